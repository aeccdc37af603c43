//! The practice's culture records as DSPT evidence (`dspt::evidence`
//! providers): meetings that held the cyber minute (security as a standing
//! item), reports of suspicious emails per month, and drills and walk-rounds,
//! each counting for twelve months from its newest date.

use time::Date;

use crate::dspt::evidence::{Ctx, Finding, Finds, Provider};
use crate::dspt::status::short_date;
use crate::dspt::toolkit::EvidenceSource;

fn twelve_months_back(ctx: &Ctx<'_>) -> Date {
    crate::ukclock::add_months(ctx.today, -12)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Meetings with the cyber minute: security discussed at every one.
pub struct Meetings;

impl Provider for Meetings {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::MeetingsStandingItem
    }
    fn link(&self) -> &'static str {
        "/culture/meetings"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let from = twelve_months_back(ctx);
            let held =
                super::meetings::held_between(ctx.db, ctx.scope.practice_id(), from, ctx.today)
                    .await?;
            let iso = time::macros::format_description!("[year]-[month]-[day]");
            let newest = held
                .iter()
                .filter_map(|m| Date::parse(&m.held_on, iso).ok())
                .max();
            Ok(match newest {
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "{} with the cyber minute in the last 12 months; the latest on {}.",
                        plural(held.len(), "meeting", "meetings"),
                        short_date(on)
                    ),
                },
                None => Finding::Missing {
                    summary: "No meeting with the cyber minute recorded in the last 12 months: record your next practice meeting under Meetings.".into(),
                },
            })
        })
    }
}

/// Reports of suspicious emails and near misses, month by month.
pub struct ReportsPerMonth;

impl Provider for ReportsPerMonth {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::ReportsPerMonth
    }
    fn link(&self) -> &'static str {
        "/culture/reports"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let from = twelve_months_back(ctx);
            let months =
                super::reports::per_month(ctx.db, ctx.scope.practice_id(), from, ctx.today).await?;
            let total: i64 = months.iter().map(|m| m.count).sum();
            let active = months.iter().filter(|m| m.count > 0).count();
            // The newest month with a report counts from its first day.
            let newest = months
                .iter()
                .filter(|m| m.count > 0)
                .filter_map(|m| Date::from_calendar_date(m.year, m.month, 1).ok())
                .max();
            Ok(match newest {
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "{} of something suspicious in the last 12 months, in {} of 12 months.",
                        plural(
                            usize::try_from(total).unwrap_or(0),
                            "report",
                            "reports"
                        ),
                        active
                    ),
                },
                None => Finding::Missing {
                    summary: "No reports of suspicious emails recorded in the last 12 months: staff can use \"I reported a suspicious email\" on their home page.".into(),
                },
            })
        })
    }
}

/// Drills and walk-rounds run without email.
pub struct Drills;

impl Provider for Drills {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::WalkRounds
    }
    fn link(&self) -> &'static str {
        "/culture/drills"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let runs = super::drills::run_between(
                ctx.db,
                ctx.scope.practice_id(),
                ctx.year_ago(),
                ctx.now,
            )
            .await?;
            let newest = runs
                .iter()
                .map(|r| crate::ukclock::local_date(r.run_at))
                .max();
            Ok(match newest {
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "{} run in the last 12 months (walk-rounds, phone, text-message and USB drills); the latest on {}.",
                        plural(runs.len(), "drill", "drills"),
                        short_date(on)
                    ),
                },
                None => Finding::Missing {
                    summary: "No drills or walk-rounds recorded in the last 12 months: run one from Drills.".into(),
                },
            })
        })
    }
}
