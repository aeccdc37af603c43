//! What resilience's repos share with its domain types: the registers'
//! fixed choices (a device's kind, an alert's severity, a plan's status) as
//! enums stored as their text key ([`text_enum!`]: binding one writes its
//! key, reading one checks it), and rows read into named structs by column
//! name on either backend ([`from_row!`]).

/// Declares an enum of fixed choices, each with the key the database and
/// forms use (`as_str`) and the label people read (`label`):
///
/// ```text
/// text_enum! {
///     /// How serious NHS England says an alert is.
///     pub enum Severity {
///         Critical = "critical", "Critical";
///         High = "high", "High";
///     }
/// }
/// ```
///
/// It binds as its key and decodes from it on SQLite and PostgreSQL (a key
/// the enum does not know is an error: the tables' CHECK constraints allow
/// only these), so SQL never spells a choice out.
macro_rules! text_enum {
    (
        $(#[$doc:meta])*
        pub enum $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $key:literal, $label:literal; )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every choice, in the order forms list them.
            pub const ALL: &'static [Self] = &[$( Self::$variant ),+];

            /// The key stored in the database and sent by forms.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $key, )+
                }
            }

            /// What people read.
            pub const fn label(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }

            /// The choice with this key, if there is one.
            pub fn from_key(key: &str) -> Option<Self> {
                match key {
                    $( $key => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        /// A choice equals its key (`kind == "laptop"`).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let key = String::deserialize(d)?;
                Self::from_key(&key).ok_or_else(|| {
                    serde::de::Error::custom(format!("{key:?} is not a {}", stringify!($name)))
                })
            }
        }

        impl $name {
            /// The choice stored as `key` (what `db::row::text_state!` reads with).
            fn from_sql(key: &str) -> Option<Self> {
                Self::from_key(key)
            }
        }
        $crate::db::row::text_state!($name);
    };
}
pub(crate) use text_enum;

/// Implements `sqlx::FromRow` for a struct on both backends, its body
/// reading columns by name (`r.try_get("name")?`), so `query_as::<_, T>`
/// fills it and a column added to the SELECT cannot shift the others:
///
/// ```text
/// from_row!(Listed, r => Ok(Listed { id: r.try_get("id")?, title: r.try_get("title")? }));
/// ```
macro_rules! from_row {
    ($name:ident, $r:ident => $body:expr) => {
        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            fn from_row($r: &'r R) -> Result<Self, sqlx::Error> {
                #[allow(unused_imports)]
                use sqlx::Row as _;
                $body
            }
        }
    };
}
pub(crate) use from_row;

/// A JSON column as `T`, for [`from_row!`] bodies: a value that no longer
/// reads is the row's decoding error.
pub fn json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}
