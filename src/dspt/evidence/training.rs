//! Evidence from training: new starters' induction (2.1.1), the training
//! needs analysis and the share of staff trained in the last 12 months
//! against the practice's own target (3.2.1), read through `training`'s
//! public functions.

use super::{count, day, Ctx, Files, Finding, Finds, PackFile, Provider};
use crate::dspt::toolkit::EvidenceSource;
use crate::training::{assignments, compliance, needs_analysis, settings};
use crate::ukclock::local_date;

pub struct Induction;

impl Provider for Induction {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::InductionCompletions
    }
    fn link(&self) -> &'static str {
        "/training/manage"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let i =
                assignments::inductions(ctx.db, ctx.scope.practice_id(), ctx.year_ago(), ctx.now)
                    .await?;
            let starters = count(i.starters, "new starter", "new starters");
            Ok(if i.starters == 0 {
                Finding::Missing {
                    summary: "No new starters were given induction training in the last 12 months. Safety Net gives each new starter on the staff list their induction automatically; until then, upload your induction checklist.".into(),
                }
            } else if i.overdue > 0 {
                Finding::Short {
                    summary: format!(
                        "{starters} in the last 12 months: {} completed their induction, {} overdue. Remind them from the training page.",
                        i.completed, i.overdue
                    ),
                }
            } else {
                match i.last_completed_at {
                    Some(at) => Finding::Dated {
                        on: local_date(at),
                        summary: format!(
                            "{starters} in the last 12 months; {} completed their induction, the latest on {}.",
                            i.completed,
                            day(at)
                        ),
                    },
                    None => Finding::Short {
                        summary: format!(
                            "{starters} in the last 12 months, none finished yet (not yet due)."
                        ),
                    },
                }
            })
        })
    }
}

pub struct NeedsAnalysis;

impl Provider for NeedsAnalysis {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::TrainingNeedsAnalysis
    }
    fn link(&self) -> &'static str {
        "/training/manage/tna"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            Ok(
                match needs_analysis::last_saved(ctx.db, ctx.scope.practice_id()).await? {
                    Some(at) => Finding::Dated {
                        on: local_date(at),
                        summary: format!("Training needs analysis last reviewed on {}.", day(at)),
                    },
                    None => Finding::Missing {
                        summary: "No training needs analysis yet: write one on the training pages (a starting text is there to edit).".into(),
                    },
                },
            )
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            Ok(vec![PackFile {
                path: "training/training-needs-analysis.pdf".into(),
                what: "The training needs analysis, with where training stands today".into(),
                bytes: needs_analysis::pdf(ctx.db, ctx.scope.practice_id(), ctx.now).await?,
            }])
        })
    }
}

pub struct StaffTrained;

impl Provider for StaffTrained {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::StaffTrained12m
    }
    fn link(&self) -> &'static str {
        "/training/manage"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let practice = ctx.scope.practice_id();
            let s = settings::load(ctx.db, practice).await?;
            let c = compliance::summary(ctx.db, practice, &s, ctx.now).await?;
            let figures = format!(
                "{} of {} staff ({}%) completed their role's training in the last {} months; the practice's target is {}%.",
                c.trained,
                c.staff,
                c.percent(),
                s.refresher_months,
                s.compliance_target
            );
            Ok(if c.meets(&s) {
                Finding::Current { summary: figures }
            } else if c.staff == 0 {
                Finding::Missing {
                    summary: "No staff on the list yet: add or import them first.".into(),
                }
            } else {
                Finding::Short {
                    summary: format!("{figures} See who still has modules to finish."),
                }
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            Ok(vec![PackFile {
                path: "training/compliance.pdf".into(),
                what: "Staff trained against the target, by department, with what is overdue"
                    .into(),
                bytes: compliance::pdf(ctx.db, ctx.scope.practice_id(), ctx.now).await?,
            }])
        })
    }
}
