//! The stand-in for practice-culture evidence that Safety Net does not
//! record yet (reports of suspicious emails per month, meetings with
//! security as a standing item, walk-rounds): it always says the evidence is
//! missing and how to give it. Replace an entry in `PROVIDERS` with the real
//! provider when the culture records exist (see this module's parent).

use super::{Ctx, Finding, Finds, Provider};
use crate::dspt::toolkit::EvidenceSource;

pub struct NotYetRecorded(pub EvidenceSource);

impl NotYetRecorded {
    fn what(&self) -> &'static str {
        match self.0 {
            EvidenceSource::ReportsPerMonth => "reports of suspicious emails and near misses",
            EvidenceSource::WalkRounds => "walk-round spot checks",
            EvidenceSource::MeetingsStandingItem => "meetings with security as a standing item",
            _ => "this evidence",
        }
    }
}

impl Provider for NotYetRecorded {
    fn source(&self) -> EvidenceSource {
        self.0
    }
    fn link(&self) -> &'static str {
        "/dspt/documents"
    }
    fn find<'a>(&'a self, _ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            Ok(Finding::Missing {
                summary: format!(
                    "Evidence missing — record {} in Safety Net or upload a document.",
                    self.what()
                ),
            })
        })
    }
}
