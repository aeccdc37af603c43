//! Evidence from resilience, read through its areas' repos: the asset
//! register and its yearly review (7.1.x), end-of-life and the 14-day patch
//! clock (8.x), NHS cyber alerts, plans approved and printed and tested in a
//! tabletop exercise (7.1.2, 7.3.2), backups and restore tests (7.3.4), and
//! incidents (5.x, 6.x).

use super::{count, day, Ctx, Files, Finding, Finds, PackFile, Provider};
use crate::dspt::toolkit::EvidenceSource;
use crate::people::accounts::practice_name;
use crate::resilience::backups::domain::RestoreResult;
use crate::resilience::dates::{iso, parse_iso};
use crate::resilience::exercises::domain::{Exercise, ExerciseStatus};
use crate::resilience::plans::domain::PlanStatus;
use crate::resilience::{
    alerts, assets, backups, exercises, incidents, plan_content, plans, support_dates,
};
use crate::ukclock::local_date;
use crate::web::spreadsheet::Sheet;

pub struct AssetRegisterReview;

impl Provider for AssetRegisterReview {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::AssetRegisterReview
    }
    fn link(&self) -> &'static str {
        "/resilience/assets"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let last = assets::repo::last_review(ctx.db, ctx.scope).await?;
            Ok(match last.as_deref().and_then(parse_iso) {
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "The asset register was last reviewed on {}.",
                        crate::dspt::status::short_date(on)
                    ),
                },
                None => Finding::Missing {
                    summary: "The asset register has not been reviewed yet: check it is complete and record the review on the register's page.".into(),
                },
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let (sheet, n) = assets::export::sheet(ctx.db, ctx.scope, ctx.now).await?;
            Ok(vec![PackFile {
                path: "assets/asset-register.csv".into(),
                what: format!(
                    "The asset register ({}), as a spreadsheet",
                    count(n as i64, "device or program", "devices and programs")
                ),
                bytes: sheet.into_bytes()?,
            }])
        })
    }
}

pub struct UnsupportedSystems;

impl Provider for UnsupportedSystems {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::UnsupportedSystems
    }
    fn link(&self) -> &'static str {
        "/resilience/assets?show=attention"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            support_dates::refresh(ctx.db, ctx.scope).await?;
            let c = assets::repo::counts(ctx.db, ctx.scope, ctx.now).await?;
            Ok(if c.total == 0 {
                Finding::Missing {
                    summary:
                        "The asset register is empty: add the practice's devices and software."
                            .into(),
                }
            } else if c.unsupported == 0 {
                Finding::Current {
                    summary: format!(
                        "None of the {} in the register is past its end of support.",
                        count(c.total, "device or program", "devices and programs")
                    ),
                }
            } else {
                Finding::Short {
                    summary: format!(
                        "{} past the end of support: replace them, or record the risk and what reduces it.",
                        count(c.unsupported, "device or program is", "devices or programs are")
                    ),
                }
            })
        })
    }
}

pub struct PatchClock;

impl Provider for PatchClock {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::PatchClock
    }
    fn link(&self) -> &'static str {
        "/resilience/assets?show=attention"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let c = assets::repo::counts(ctx.db, ctx.scope, ctx.now).await?;
            Ok(if c.total == 0 {
                Finding::Missing {
                    summary: "The asset register is empty, so the 14-day update clock has nothing to check.".into(),
                }
            } else if c.overdue == 0 && c.unknown_updates == 0 {
                Finding::Current {
                    summary: format!(
                        "Every one of the {} has had its updates within the 14 days allowed.",
                        count(c.total, "device or program", "devices and programs")
                    ),
                }
            } else {
                Finding::Short {
                    summary: format!(
                        "{} with updates overdue (over 14 days) and {} with no date for their last updates.",
                        count(c.overdue, "device", "devices"),
                        c.unknown_updates
                    ),
                }
            })
        })
    }
}

pub struct CyberAlerts;

impl Provider for CyberAlerts {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::CyberAlerts
    }
    fn link(&self) -> &'static str {
        "/resilience/alerts"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let recorded = alerts::repo::recent(ctx.db, ctx.scope).await?.len() as i64;
            let c = alerts::repo::counts(ctx.db, ctx.scope, ctx.now).await?;
            Ok(if recorded == 0 {
                Finding::Missing {
                    summary: "No NHS cyber alerts recorded yet.".into(),
                }
            } else if c.overdue == 0 {
                Finding::Current {
                    summary: format!(
                        "{} recorded; none waiting more than 48 hours for acknowledgement.",
                        count(recorded, "NHS cyber alert", "NHS cyber alerts")
                    ),
                }
            } else {
                Finding::Short {
                    summary: format!(
                        "{} waiting more than 48 hours for acknowledgement.",
                        count(c.overdue, "cyber alert is", "cyber alerts are")
                    ),
                }
            })
        })
    }
}

pub struct PlansApproved;

impl Provider for PlansApproved {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::PlansApproved
    }
    fn link(&self) -> &'static str {
        "/resilience/plans"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let all = plans::repo::all(ctx.db, ctx.scope).await?;
            let approved: Vec<_> = all.iter().filter(|p| p.approved_at.is_some()).collect();
            // A plan counts from the older of its approval and its last printing.
            let newest = approved
                .iter()
                .filter_map(|p| Some(p.approved_at?.min(p.last_printed_at?)))
                .max();
            Ok(match newest {
                _ if approved.is_empty() => Finding::Missing {
                    summary: "No plan approved yet: start one from a template, fill in the contacts and approve it.".into(),
                },
                Some(at) => Finding::Dated {
                    on: local_date(at),
                    summary: format!(
                        "{} approved; approved and printed (with its contact sheet) most recently on {}.",
                        count(approved.len() as i64, "plan", "plans"),
                        day(at)
                    ),
                },
                None => Finding::Short {
                    summary: format!(
                        "{} approved but not printed: print the plan and its contact sheet to keep on paper.",
                        count(approved.len() as i64, "plan", "plans")
                    ),
                },
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let practice = practice_name(ctx.db, ctx.scope.practice_id()).await?;
            let mut out = Vec::new();
            for p in plans::repo::all(ctx.db, ctx.scope).await? {
                if p.status != PlanStatus::Approved {
                    continue;
                }
                out.push(PackFile {
                    path: format!("plans/{}.pdf", p.template),
                    what: format!(
                        "{} (version {}, approved {})",
                        p.body.title,
                        p.version,
                        p.approved_on()
                    ),
                    bytes: plans::pdf::plan_pdf(
                        &p,
                        &practice,
                        "Safety Net (evidence pack)",
                        ctx.now,
                    ),
                });
            }
            Ok(out)
        })
    }
}

/// Completed exercises, newest first: (id, date).
async fn done_exercises(
    ctx: &Ctx<'_>,
) -> Result<Vec<(exercises::domain::Summary, time::Date)>, sqlx::Error> {
    Ok(exercises::repo::all(ctx.db, ctx.scope)
        .await?
        .into_iter()
        .filter(|e| e.status == ExerciseStatus::Done)
        .filter_map(|e| {
            let on = parse_iso(&e.run_on)?;
            Some((e, on))
        })
        .collect())
}

pub struct PlanTested;

impl Provider for PlanTested {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::PlanTested
    }
    fn link(&self) -> &'static str {
        "/resilience/exercises"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let done = done_exercises(ctx).await?;
            Ok(match done.iter().map(|(_, on)| *on).max() {
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "{} completed; the latest on {}.",
                        count(done.len() as i64, "tabletop exercise", "tabletop exercises"),
                        crate::dspt::status::short_date(on)
                    ),
                },
                None => Finding::Missing {
                    summary: "No tabletop exercise completed yet: run one (about 90 minutes) to test a plan.".into(),
                },
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let done = done_exercises(ctx).await?;
            let year_ago = crate::ukclock::add_months(ctx.today, -12);
            // This year's reports, or the latest if there were none this year.
            let mut chosen: Vec<_> = done.iter().filter(|(_, on)| *on >= year_ago).collect();
            if chosen.is_empty() {
                chosen.extend(done.iter().max_by_key(|(_, on)| *on));
            }
            let mut out = Vec::new();
            for (summary, on) in chosen {
                let Some(e) = exercises::repo::find(ctx.db, ctx.scope, summary.id)
                    .await?
                    .and_then(Exercise::of)
                else {
                    continue;
                };
                out.push(PackFile {
                    path: format!(
                        "exercises/{}-{}-after-action-report.pdf",
                        iso(*on),
                        e.scenario.slug
                    ),
                    what: format!(
                        "After-action report: {} on {}",
                        e.scenario.title,
                        crate::dspt::status::short_date(*on)
                    ),
                    bytes: exercises::report::pdf(ctx.db, ctx.scope, &e).await?,
                });
            }
            Ok(out)
        })
    }
}

pub struct Backups;

impl Provider for Backups {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::BackupsAndRestoreTests
    }
    fn link(&self) -> &'static str {
        "/resilience/backups"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let all = backups::repo::all(ctx.db, ctx.scope).await?;
            let tested = all
                .iter()
                .filter(|b| b.last_restore_result == Some(RestoreResult::Worked))
                .filter_map(|b| b.last_restore_on.as_deref().and_then(parse_iso))
                .max();
            let lines = count(all.len() as i64, "backup", "backups");
            Ok(match tested {
                _ if all.is_empty() => Finding::Missing {
                    summary: "No backups recorded yet: record what is backed up, where, and who is responsible.".into(),
                },
                Some(on) => Finding::Dated {
                    on,
                    summary: format!(
                        "{lines} recorded; the latest restore test that worked was on {}.",
                        crate::dspt::status::short_date(on)
                    ),
                },
                None => Finding::Short {
                    summary: format!("{lines} recorded, but no restore test that worked yet: test restoring and record it."),
                },
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let mut sheet = Sheet::new(&[
                "What",
                "Kind",
                "Who is responsible",
                "Where",
                "Offline copy",
                "Date",
                "Entry",
                "Result",
                "Note",
                "Recorded by",
            ])?;
            for b in backups::repo::all(ctx.db, ctx.scope).await? {
                for e in backups::repo::log(ctx.db, ctx.scope, b.id).await? {
                    sheet.row([
                        b.what.as_str(),
                        b.category.label(),
                        b.responsible.label(),
                        b.destination.label(),
                        if b.offline_copy { "Yes" } else { "No" },
                        e.on_date.as_str(),
                        e.kind.label(),
                        e.result.map_or("", |r| r.label()),
                        e.note.as_str(),
                        e.recorded_by.as_str(),
                    ])?;
                }
            }
            Ok(vec![PackFile {
                path: "backups/backup-and-restore-log.csv".into(),
                what: "Backups and restore tests recorded (the latest 50 of each backup)".into(),
                bytes: sheet.into_bytes()?,
            }])
        })
    }
}

pub struct Incidents;

impl Provider for Incidents {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::Incidents
    }
    fn link(&self) -> &'static str {
        "/resilience/incidents"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let year = incidents::repo::logged_since(ctx.db, ctx.scope, ctx.year_ago()).await?;
            let Some(latest) = year.iter().map(|i| i.declared_at).max() else {
                return Ok(Finding::NothingHappened {
                    summary: "No incidents recorded in the last 12 months.".into(),
                });
            };
            let reviewed = year.iter().filter(|i| i.reviewed).count() as i64;
            let reported = year.iter().filter(|i| i.ico_reported_at.is_some()).count() as i64;
            Ok(Finding::Dated {
                on: local_date(latest),
                summary: format!(
                    "{} in the last 12 months, the latest on {}: {reviewed} closed with a review, {reported} reported to the ICO.",
                    count(year.len() as i64, "incident", "incidents"),
                    day(latest)
                ),
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let since =
                crate::resilience::dates::uk_midnight(crate::ukclock::add_months(ctx.today, -36));
            let mut sheet = Sheet::new(&[
                "Number",
                "Kind (plan used)",
                "Declared",
                "Became aware",
                "Personal data",
                "Likelihood (1-5)",
                "Severity (1-5)",
                "Reported to the ICO",
                "Status",
                "Closed",
                "Review written",
                "Lessons learned",
            ])?;
            let opt = |t: Option<i64>| t.map(crate::ukclock::format).unwrap_or_default();
            for i in incidents::repo::logged_since(ctx.db, ctx.scope, since).await? {
                let kind = plan_content::template(&i.template)
                    .map_or(i.template.as_str(), |t| t.title.as_str());
                sheet.row([
                    i.id.to_string(),
                    kind.to_string(),
                    crate::ukclock::format(i.declared_at),
                    crate::ukclock::format(i.aware_at),
                    if i.personal_data { "Yes" } else { "No" }.to_string(),
                    i.likelihood.map(|n| n.to_string()).unwrap_or_default(),
                    i.severity.map(|n| n.to_string()).unwrap_or_default(),
                    opt(i.ico_reported_at),
                    i.status.label().to_string(),
                    opt(i.closed_at),
                    if i.reviewed { "Yes" } else { "No" }.to_string(),
                    i.lessons.to_string(),
                ])?;
            }
            Ok(vec![PackFile {
                path: "incidents/incident-log.csv".into(),
                what: "Incidents of the last three years: dates, kinds and outcomes (no titles or notes, which may name patients)".into(),
                bytes: sheet.into_bytes()?,
            }])
        })
    }
}
