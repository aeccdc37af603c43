//! Evidence from the practice's records: the staff list (4.1.1, from
//! `people`) and Safety Net's audit log of what administrators did (4.4.1,
//! from `auth`).

use super::{count, day, Ctx, Finding, Finds, Provider};
use crate::dspt::toolkit::EvidenceSource;
use crate::people::domain::Showing;
use crate::people::staff::{search, Search};

pub struct StaffRegister;

impl Provider for StaffRegister {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::StaffRegister
    }
    fn link(&self) -> &'static str {
        "/staff"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let current = search(
                ctx.db,
                ctx.scope,
                &Search {
                    words: "",
                    department: None,
                    showing: Showing::Current,
                },
            )
            .await?;
            Ok(if current.is_empty() {
                Finding::Missing {
                    summary: "The staff list is empty: add or import your staff.".into(),
                }
            } else {
                Finding::Current {
                    summary: format!(
                        "{} on the staff list with their roles; leavers are marked as they go.",
                        count(current.len() as i64, "person", "people")
                    ),
                }
            })
        })
    }
}

pub struct AuditLog;

impl Provider for AuditLog {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::AuditLog
    }
    fn link(&self) -> &'static str {
        "/audit"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let (n, last) =
                crate::auth::audit::activity_since(ctx.db, ctx.scope.practice_id(), ctx.year_ago())
                    .await?;
            Ok(match last {
                Some(at) => Finding::Current {
                    summary: format!(
                        "Safety Net logs every administrator action and only the practice manager can read the log: {} in the last 12 months, the latest on {}. Logs of the clinical system and network come from the ICB or supplier.",
                        count(n, "entry", "entries"),
                        day(at)
                    ),
                },
                None => Finding::Missing {
                    summary: "Nothing logged in the last 12 months.".into(),
                },
            })
        })
    }
}
