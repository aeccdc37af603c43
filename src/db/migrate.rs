//! Migrations are embedded in the binary (one folder per backend, matching
//! names) and applied at start-up by sqlx's migrator.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use anyhow::Context;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use super::Db;

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
    (7, "0007_gophish_api"),
);
const POSTGRES: Embedded = embedded!("postgres":
    (1, "0001_foundation"),
    (2, "0002_simulation"),
    (3, "0003_reporting_and_webhooks"),
    (4, "0004_event_lookups"),
    (7, "0007_gophish_api"),
);

#[derive(Debug)]
struct EmbeddedSource(Embedded);

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
    match db {
        Db::Sqlite(p) => Migrator::new(EmbeddedSource(SQLITE)).await?.run(p).await,
        Db::Postgres(p) => Migrator::new(EmbeddedSource(POSTGRES)).await?.run(p).await,
    }
    .context("applying database migrations")
}
