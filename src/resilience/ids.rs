//! Typed ids for resilience's own rows, as `shared::ids` has for the ones
//! every capability passes around: an asset id cannot be given where a
//! backup's is wanted, and a path segment that is not a whole number that
//! fits answers "Page not found" (through `web::Path`).

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

use crate::shared::ids::id_type;

id_type!(
    /// A device or program in the asset register (`assets.id`).
    AssetId
);
id_type!(
    /// An NHS cyber alert the practice recorded (`cyber_alerts.id`).
    AlertId
);
id_type!(
    /// A line of the backup register (`backups.id`).
    BackupId
);
id_type!(
    /// An incident or recovery plan (`plans.id`).
    PlanId
);
id_type!(
    /// A declared incident (`incidents.id`).
    IncidentId
);
id_type!(
    /// A tabletop exercise (`exercises.id`).
    ExerciseId
);
