//! Typed ids for the things that cross module boundaries: a practice, a
//! member of staff, a user account, a phishing exercise.
//!
//! Each is an `i64` underneath (the database's `BIGINT`/`INTEGER` primary
//! key) but a distinct type, so a staff id cannot be passed where a practice
//! id is wanted. They bind and decode like `i64` on both SQLite and
//! PostgreSQL, (de)serialise as plain numbers, print as the number and parse
//! from it (a path segment like `abc` or `99999999999999999999` is refused,
//! which `web::Path` answers with "Page not found").

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// An id read from the database or another trusted source. Ids from a
            /// request come through `FromStr`/`Deserialize` (the `web::Path` extractor).
            pub const fn new(id: i64) -> Self {
                Self(id)
            }
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl<DB: Database> Type<DB> for $name
        where
            i64: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <i64 as Decode<'r, DB>>::decode(value).map(Self)
            }
        }
    };
}
/// For a capability's own ids (`resilience::ids`): the same type, in its module.
pub(crate) use id_type;

id_type!(
    /// A practice (a tenant): every practice-owned row carries one.
    PracticeId
);
id_type!(
    /// A member of a practice's staff (`staff.id`), with or without an account.
    StaffId
);
id_type!(
    /// A sign-in account (`users.id`).
    UserId
);
id_type!(
    /// A phishing exercise (`campaigns.id`).
    CampaignId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_whole_numbers_that_fit() {
        assert_eq!("42".parse::<StaffId>(), Ok(StaffId::new(42)));
        assert!("abc".parse::<StaffId>().is_err());
        assert!("99999999999999999999".parse::<StaffId>().is_err());
        assert!("".parse::<PracticeId>().is_err());
        assert_eq!(PracticeId::new(7).to_string(), "7");
    }

    #[test]
    fn ids_are_plain_numbers_in_json() {
        assert_eq!(serde_json::to_string(&CampaignId::new(5)).unwrap(), "5");
        assert_eq!(
            serde_json::from_str::<UserId>("12").unwrap(),
            UserId::new(12)
        );
        assert!(serde_json::from_str::<UserId>("\"12\"").is_err());
    }
}
