//! Typed ids for the DSPT's own rows (see `shared::ids`): a document's id
//! cannot be given where a pack's is wanted, and a path segment that is not
//! a whole number that fits answers "Page not found".

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::shared::ids::id_type;

id_type!(
    /// An uploaded evidence document (`dspt_documents.id`).
    DocumentId
);
id_type!(
    /// Someone on the register of administrator access (`admin_access.id`).
    AccessId
);
id_type!(
    /// An evidence pack (`dspt_packs.id`).
    PackId
);
