//! Where each kind of evidence comes from: one [`Provider`] per
//! [`EvidenceSource`], each reading its owning capability through that
//! capability's public functions (training, resilience, people, auth, and
//! the DSPT's own administrator register). A provider says what Safety Net
//! holds ([`Provider::find`], a [`Finding`]), where it lives (a link for the
//! DSPT page), and which files go in the evidence pack ([`Provider::files`]).
//!
//! The practice-culture records (meetings with the cyber minute, reports of
//! suspicious emails per month, drills and walk-rounds) are provided by the
//! culture capability (`culture::evidence`), as any other capability's are:
//! the page, the pack and the readiness figures use whatever [`PROVIDERS`]
//! holds.

mod agreements;
mod records;
mod resilience;
mod training;

use futures_util::future::{try_join_all, BoxFuture};
use time::Date;

pub use super::status::Finding;
use super::toolkit::EvidenceSource;
use crate::auth::PracticeScope;
use crate::db::Db;

/// What a provider reads with: the practice (through its scope), and the
/// moment the evidence is judged at.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub scope: &'a PracticeScope,
    pub now: i64,
    pub today: Date,
}

impl Ctx<'_> {
    /// The moment twelve months ago, UK time, from which a year's evidence counts.
    pub fn year_ago(&self) -> i64 {
        crate::resilience::dates::uk_midnight(crate::ukclock::add_months(self.today, -12))
    }
}

/// A file for the evidence pack's zip, at `path` inside it.
#[derive(Debug, Clone)]
pub struct PackFile {
    pub path: String,
    /// What it is, for the zip's index.
    pub what: String,
    pub bytes: Vec<u8>,
}

pub type Finds<'a> = BoxFuture<'a, Result<Finding, sqlx::Error>>;
pub type Files<'a> = BoxFuture<'a, anyhow::Result<Vec<PackFile>>>;

/// One kind of evidence, read from the capability that owns it.
pub trait Provider: Send + Sync {
    fn source(&self) -> EvidenceSource;
    /// The page where the manager sees or records this evidence.
    fn link(&self) -> &'static str;
    /// What Safety Net holds for the practice at `ctx.now`.
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a>;
    /// The files this evidence puts in the pack.
    fn files<'a>(&'a self, _ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Every provider, one per kind of evidence except uploaded documents
/// (which the DSPT reads itself).
pub static PROVIDERS: [&dyn Provider; 18] = [
    &training::Induction,
    &training::NeedsAnalysis,
    &training::StaffTrained,
    &records::StaffRegister,
    &agreements::AdminAgreements,
    &records::AuditLog,
    &resilience::Incidents,
    &crate::culture::evidence::ReportsPerMonth,
    &crate::culture::evidence::Drills,
    &resilience::AssetRegisterReview,
    &resilience::PlanTested,
    &resilience::PlansApproved,
    &resilience::Backups,
    &resilience::UnsupportedSystems,
    &resilience::PatchClock,
    &resilience::CyberAlerts,
    &crate::culture::evidence::Meetings,
    &crate::simulation::evidence::Exercises,
];

pub fn provider(source: EvidenceSource) -> Option<&'static dyn Provider> {
    PROVIDERS.iter().copied().find(|p| p.source() == source)
}

/// What each of `sources` shows, read at once.
pub async fn gather(
    ctx: &Ctx<'_>,
    sources: &[EvidenceSource],
) -> Result<Vec<(EvidenceSource, Finding)>, sqlx::Error> {
    try_join_all(
        sources
            .iter()
            .filter_map(|s| provider(*s))
            .map(|p| async move { Ok((p.source(), p.find(ctx).await?)) }),
    )
    .await
}

/// "4 Dec 2026" for a moment.
fn day(unix: i64) -> String {
    super::status::short_date(crate::ukclock::local_date(unix))
}

/// "1 person" / "3 people" style counts.
fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_evidence_but_uploads_has_one_provider() {
        for source in EvidenceSource::ALL {
            let n = PROVIDERS.iter().filter(|p| p.source() == source).count();
            let expected = usize::from(source != EvidenceSource::UploadedDocument);
            assert_eq!(n, expected, "{source:?}");
        }
        for p in PROVIDERS {
            assert!(p.link().starts_with('/'), "{:?}", p.source());
        }
    }
}
