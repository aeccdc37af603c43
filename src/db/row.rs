//! Reading rows into named structs and storing states as text, the same on
//! both backends, without sqlx's derive feature (it would build sqlx a second
//! time for the compiler, SQLite's C library included).
//!
//! - [`named_row!`]`(Struct { field, … })`: `sqlx::FromRow` for both
//!   backends, each field read from the column of the same name (alias the
//!   column in the SQL, `… IS NOT NULL AS mfa_enabled`). Leaving a field out
//!   does not compile, and a column missing from the query is an error
//!   naming it, never a value read from the wrong position.
//! - [`text_state!`]`(Enum)`: binds and decodes an enum as TEXT through its
//!   `as_str(self) -> &'static str` and `from_sql(&str) -> Option<Self>`, so
//!   the strings a state is stored as are written in one place.

/// `named_row!(Struct { field, … })`; see the module's opening.
macro_rules! named_row {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl sqlx::FromRow<'_, sqlx::sqlite::SqliteRow> for $ty {
            fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(Self { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
        impl sqlx::FromRow<'_, sqlx::postgres::PgRow> for $ty {
            fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(Self { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
    };
}
pub(crate) use named_row;

/// `text_state!(Enum)`; see the module's opening. A stored value the enum
/// does not know is a decoding error naming it.
macro_rules! text_state {
    ($ty:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                $ty::from_sql(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($ty), " {:?}"), text).into()
                })
            }
        }
    };
}
pub(crate) use text_state;
