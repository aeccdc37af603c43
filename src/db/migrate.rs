//! Migrations are embedded in the binary (one folder per backend, matching
//! names) and applied at start-up by sqlx's migrator.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use anyhow::Context;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use super::{Db, Pool};

type Embedded = &'static [(i64, &'static str, &'static str)];

/// The migrations, in order; each name has a file in both folders.
macro_rules! embedded {
    ($dir:literal: $(($v:literal, $name:literal)),* $(,)?) => {
        &[$(($v, $name, include_str!(concat!("../../migrations/", $dir, "/", $name, ".sql")))),*]
    };
}

const SQLITE: Embedded = embedded!("sqlite":
    (1, "0001_foundation"),
    (2, "0002_simulation"),
    (3, "0003_reporting_and_webhooks"),
    (4, "0004_event_lookups"),
    (5, "0005_training"),
    (6, "0006_resilience"),
    (7, "0007_gophish_api"),
    (8, "0008_plans_incidents_exercises"),
    (9, "0009_recipient_honeypot"),
    (10, "0010_template_attachments"),
    (12, "0012_sign_in_gates"),
    (19, "0019_practice_names"),
    (20, "0020_rate_limits"),
    (21, "0021_job_leases"),
    (23, "0023_incident_reports"),
    (26, "0026_nhsmail_and_reports"),
    (27, "0027_drills"),
    (28, "0028_meetings"),
    (33, "0033_dspt"),
    (34, "0034_admin_agreements"),
    (35, "0035_dspt_packs"),
    (36, "0036_external_exercises"),
    (37, "0037_champions"),
    (39, "0039_report_link_setting"),
    (40, "0040_one_open_rule_assignment"),
    (41, "0041_import_outcomes"),
    (42, "0042_organisation_sign_in"),
    (43, "0043_mailbox_tokens"),
    (44, "0044_drill_links"),
    (45, "0045_drill_plans"),
    (46, "0046_meeting_own_threat"),
);
const POSTGRES: Embedded = embedded!("postgres":
    (1, "0001_foundation"),
    (2, "0002_simulation"),
    (3, "0003_reporting_and_webhooks"),
    (4, "0004_event_lookups"),
    (5, "0005_training"),
    (6, "0006_resilience"),
    (7, "0007_gophish_api"),
    (8, "0008_plans_incidents_exercises"),
    (9, "0009_recipient_honeypot"),
    (10, "0010_template_attachments"),
    (12, "0012_sign_in_gates"),
    (19, "0019_practice_names"),
    (20, "0020_rate_limits"),
    (21, "0021_job_leases"),
    (23, "0023_incident_reports"),
    (26, "0026_nhsmail_and_reports"),
    (27, "0027_drills"),
    (28, "0028_meetings"),
    (33, "0033_dspt"),
    (34, "0034_admin_agreements"),
    (35, "0035_dspt_packs"),
    (36, "0036_external_exercises"),
    (37, "0037_champions"),
    (39, "0039_report_link_setting"),
    (40, "0040_one_open_rule_assignment"),
    (41, "0041_import_outcomes"),
    (42, "0042_organisation_sign_in"),
    (43, "0043_mailbox_tokens"),
    (44, "0044_drill_links"),
    (45, "0045_drill_plans"),
    (46, "0046_meeting_own_threat"),
);

#[derive(Debug)]
struct EmbeddedSource(Vec<(i64, &'static str, &'static str)>);

impl<'s> MigrationSource<'s> for EmbeddedSource {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*name),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

pub async fn run(db: &Db) -> anyhow::Result<()> {
    run_only(db, &versions()).await
}

/// The migration versions this copy of Safety Net knows, in order.
pub fn versions() -> Vec<i64> {
    SQLITE.iter().map(|m| m.0).collect()
}

/// Applies only the listed migrations (those not applied yet): `restore`
/// brings an empty database to a backup's schema before loading it.
pub async fn run_only(db: &Db, only: &[i64]) -> anyhow::Result<()> {
    let pick = |all: Embedded| -> Vec<(i64, &'static str, &'static str)> {
        all.iter()
            .filter(|m| only.contains(&m.0))
            .copied()
            .collect()
    };
    match db.pool() {
        Pool::Sqlite(p) => {
            Migrator::new(EmbeddedSource(pick(SQLITE)))
                .await?
                .run(p)
                .await
        }
        Pool::Postgres(p) => {
            Migrator::new(EmbeddedSource(pick(POSTGRES)))
                .await?
                .run(p)
                .await
        }
    }
    .context("applying database migrations")
}
