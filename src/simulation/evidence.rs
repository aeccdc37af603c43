//! Phishing exercises as DSPT evidence (a `dspt::evidence` provider): every
//! exercise that reached staff in the last twelve months, sent from here or
//! run elsewhere (NHS England's simulated phishing service on NHSmail), with
//! how many of the emails were reported. Practice totals only: no person and
//! no team is named.

use crate::dspt::evidence::{Ctx, Finding, Finds, Provider};
use crate::dspt::status::short_date;
use crate::dspt::toolkit::EvidenceSource;

pub struct Exercises;

impl Provider for Exercises {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::PhishingExercises
    }
    fn link(&self) -> &'static str {
        "/simulation"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let all = super::reporting::repo::exercises_since(
                ctx.db,
                ctx.scope.practice_id(),
                ctx.year_ago(),
            )
            .await?;
            let Some(latest) = all.iter().map(|e| e.at).max() else {
                return Ok(Finding::Missing {
                    summary: "No phishing exercise in the last 12 months. On NHSmail, record the results of NHS England's simulated phishing service under Exercises run elsewhere; with your own email domain, run one here.".into(),
                });
            };
            let on = crate::ukclock::local_date(latest);
            let elsewhere = all.iter().filter(|e| e.elsewhere == 1).count();
            let here = all.len() - elsewhere;
            let where_run = match (here, elsewhere) {
                (0, _) => "all run elsewhere, such as NHS England's service".to_string(),
                (_, 0) => "all sent from Safety Net".to_string(),
                (h, e) => format!("{h} sent from Safety Net, {e} run elsewhere"),
            };
            let sent: i64 = all.iter().map(|e| e.sent).sum();
            let reported: i64 = all.iter().map(|e| e.reported).sum();
            let share = if sent > 0 { reported * 100 / sent } else { 0 };
            let n = all.len();
            Ok(Finding::Dated {
                on,
                summary: format!(
                    "{n} phishing {} in the last 12 months ({where_run}); the latest on {}. {share}% of the {sent} emails were reported.",
                    if n == 1 { "exercise" } else { "exercises" },
                    short_date(on),
                ),
            })
        })
    }
}
