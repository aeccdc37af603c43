//! "This week": the list at the top of the practice manager's home of what
//! needs them now, each line a link to where to act. It draws on every
//! capability (exercises, training, plans, cyber alerts, backups, devices),
//! so it sits in the top layer beside `home`, which shows it. Nothing
//! recorded yet is said as such ("No backups recorded yet"), never as 0.

use crate::auth::PracticeScope;
use crate::resilience::{alerts, assets, backups, plan_content, plans, support_dates};
use crate::shared::AppState;
use crate::simulation::sending::repo as exercises;
use crate::simulation::states::Status;
use crate::ukclock;
use crate::web::AppError;

/// One thing to act on.
pub struct Item {
    pub text: String,
    pub href: String,
    /// Something past its date (shown with a red "Overdue"/"Needed" tag).
    pub urgent: bool,
}

fn item(text: impl Into<String>, href: impl Into<String>, urgent: bool) -> Item {
    Item {
        text: text.into(),
        href: href.into(),
        urgent,
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How long ahead a plan review counts as "this week" (a fortnight, so
/// there is time to arrange it).
const PLAN_REVIEW_AHEAD_DAYS: i64 = 14;

/// The manager's list at `now`, most pressing kinds first.
pub async fn for_manager(
    state: &AppState,
    scope: &PracticeScope,
    now: i64,
) -> Result<Vec<Item>, AppError> {
    let db = &state.db;
    let mut items = Vec::new();

    // The reporting mailbox Safety Net can no longer sign in to: reports are
    // not being counted until the manager signs in again.
    if crate::simulation::reporting::repo::mailbox_attention(db, scope.practice_id())
        .await?
        .is_some()
    {
        items.push(item(
            "The reporting mailbox needs you to sign in again: forwarded reports are not being counted",
            "/simulation/mailbox",
            true,
        ));
    }

    // Phishing exercises running or about to start, and when sending begins.
    for e in exercises::unfinished(db, scope).await? {
        let href = format!("/simulation/campaigns/{}", e.id);
        let text = match (e.status, e.next_send) {
            (Status::Paused, _) => format!("Exercise \"{}\" is paused", e.name),
            (_, Some(first)) if e.sent == 0 => format!(
                "Exercise \"{}\" starts sending {} ({})",
                e.name,
                ukclock::format(first),
                plural(e.recipients, "person", "people")
            ),
            (_, Some(_)) => format!(
                "Exercise \"{}\" is sending: {} of {} emails gone{}",
                e.name,
                e.sent,
                e.recipients,
                e.last_send
                    .map(|t| format!(", the last by {}", ukclock::format(t)))
                    .unwrap_or_default()
            ),
            (_, None) => format!(
                "Exercise \"{}\" is running until {}",
                e.name,
                ukclock::format_date(e.ends_at)
            ),
        };
        items.push(item(text, href, false));
    }

    // Drills planned for the coming week (or past their day and not recorded).
    let today = ukclock::local_date(now);
    let week = crate::resilience::dates::iso(today + time::Duration::days(7));
    for pl in
        crate::culture::drills::plans::repo::open(db, scope.practice_id(), None, &week).await?
    {
        let late = pl.planned_on < crate::resilience::dates::iso(today);
        let text = if late {
            format!(
                "Drill \"{}\" was planned for {}: record how it went, or cancel it",
                pl.title(),
                pl.when()
            )
        } else {
            format!(
                "Drill \"{}\" is planned for {} ({})",
                pl.title(),
                pl.when(),
                pl.whose()
            )
        };
        items.push(item(
            text,
            format!("/culture/drills/library/{}", pl.drill_id),
            late,
        ));
    }

    // Training overdue, by the compliance view's list.
    let s = crate::training::settings::load(db, scope.practice_id()).await?;
    let c = crate::training::compliance::summary(db, scope.practice_id(), &s, now).await?;
    let mut overdue_people: Vec<_> = c.overdue.iter().map(|o| o.staff_id).collect();
    overdue_people.sort();
    overdue_people.dedup();
    if !overdue_people.is_empty() {
        let n = overdue_people.len() as i64;
        items.push(item(
            format!(
                "{} overdue on training",
                plural(n, "person is", "people are")
            ),
            "/training/manage#overdue",
            true,
        ));
    }

    // Plans whose yearly review is due within a fortnight or past.
    let review_by = ukclock::local_date(now) + time::Duration::days(PLAN_REVIEW_AHEAD_DAYS);
    for p in plans::repo::all(db, scope).await? {
        let Some(on) = p
            .review_on
            .as_deref()
            .and_then(crate::training::assignments::parse_date)
        else {
            continue;
        };
        if on <= review_by {
            let title = plan_content::template(&p.template).map_or("A plan", |t| t.title.as_str());
            let past = on < ukclock::local_date(now);
            items.push(item(
                format!(
                    "Review the plan \"{title}\" ({} {})",
                    if past { "was due" } else { "due" },
                    ukclock::day(on)
                ),
                format!("/resilience/plans/{}", p.id),
                past,
            ));
        }
    }

    // Cyber alerts waiting for acknowledgement.
    let a = alerts::repo::counts(db, scope, now).await?;
    if a.waiting > 0 {
        let late = if a.overdue > 0 {
            format!(" ({} past 48 hours)", a.overdue)
        } else {
            String::new()
        };
        items.push(item(
            format!(
                "{} to acknowledge{late}",
                plural(a.waiting, "cyber alert", "cyber alerts")
            ),
            "/resilience/alerts",
            a.overdue > 0,
        ));
    }

    // Staff's reports of incidents and near misses in the last seven days.
    let week_ago = now - 7 * 86_400;
    let reported = crate::resilience::incidents::reports::recent(db, scope, 50)
        .await?
        .iter()
        .filter(|r| r.created_at > week_ago)
        .count() as i64;
    if reported > 0 {
        items.push(item(
            format!(
                "{} of an incident or near miss from staff in the last 7 days",
                plural(reported, "report", "reports")
            ),
            "/resilience/incidents",
            false,
        ));
    }

    // Backups and restore tests.
    let b = backups::routes::counts(state, scope).await?;
    if b.listed == 0 {
        items.push(item(
            "No backups recorded yet: record what is backed up and who checks it",
            "/resilience/backups/new",
            true,
        ));
    } else {
        if b.overdue > 0 {
            items.push(item(
                format!(
                    "{} overdue or never recorded",
                    plural(b.overdue, "backup", "backups")
                ),
                "/resilience/backups",
                true,
            ));
        }
        if b.restores_due > 0 {
            items.push(item(
                format!(
                    "{} due, failed or never done",
                    plural(b.restores_due, "restore test", "restore tests")
                ),
                "/resilience/backups",
                false,
            ));
        }
    }

    // Devices out of support or behind on updates.
    support_dates::refresh(db, scope).await?;
    let d = assets::repo::counts(db, scope, now).await?;
    if d.total == 0 {
        items.push(item(
            "No devices recorded yet: add them to the asset register to know which need updates",
            "/resilience/assets/import",
            true,
        ));
    } else {
        if d.unsupported > 0 {
            items.push(item(
                format!(
                    "{} out of support (no security updates)",
                    plural(
                        d.unsupported,
                        "device or program is",
                        "devices or programs are"
                    )
                ),
                "/resilience/assets?show=attention",
                true,
            ));
        }
        if d.overdue > 0 {
            items.push(item(
                format!(
                    "{} with updates overdue",
                    plural(d.overdue, "device", "devices")
                ),
                "/resilience/assets?show=attention",
                true,
            ));
        }
    }
    Ok(items)
}
