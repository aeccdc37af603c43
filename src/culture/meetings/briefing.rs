//! A meeting's briefing: gathered once from the practice's own data, then
//! shown as a printable page or set as a one-page PDF (read the same way).

use super::domain;
use super::repo;
use super::views::BriefingPage;
use crate::auth::ManagerScope;
use crate::culture::library;
use crate::culture::reports::domain::start_of;
use crate::pdf::Document;
use crate::shared::AppState;
use crate::web::{AppError, Page};

/// Everything the briefing says, for meeting `meeting_id` of the manager's practice.
pub async fn gather(
    state: &AppState,
    scope: &ManagerScope,
    meeting_id: i64,
) -> Result<BriefingPage, AppError> {
    let practice = scope.practice_id();
    let meeting = repo::find(&state.db, practice, meeting_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let held = domain::parse_iso(&meeting.held_on).ok_or(AppError::NotFound)?;
    let previous = repo::previous(&state.db, practice, &meeting).await?;
    let prev_date = previous
        .as_ref()
        .and_then(|p| domain::parse_iso(&p.held_on));
    // Since the day after the last meeting (or 3 months, the first time), up to the end of this one's day.
    let from_date = match prev_date {
        Some(d) => d.next_day().unwrap_or(d),
        None => crate::ukclock::add_months(held, -3),
    };
    let range = (
        start_of(from_date),
        start_of(held.next_day().unwrap_or(held)),
    );
    let reports = crate::culture::reports::repo::times(&state.db, practice, None, range)
        .await?
        .len() as i64;
    let drills =
        crate::culture::drills::repo::outcome_counts(&state.db, practice, None, range).await?;
    // By name only for those who agreed when their drill was recorded.
    let (praised, praised_others) =
        crate::culture::drills::repo::praise_between(&state.db, practice, range).await?;
    // Training due, open incidents, patches, backups, cyber alerts and plans
    // due for review: the same list the manager's "this week" shows, as it stands now.
    let mut attention = crate::this_week::for_manager(state, scope, state.clock.now()).await?;
    use crate::resilience::incidents::domain::IncidentStatus;
    let open: Vec<_> = crate::resilience::incidents::repo::recent(&state.db, scope)
        .await?
        .into_iter()
        .filter(|i| i.status == IncidentStatus::Open)
        .collect();
    for i in open.iter().rev() {
        attention.insert(
            0,
            crate::this_week::Item {
                text: format!("Open incident: {}", i.title),
                href: format!("/resilience/incidents/{}", i.id),
                urgent: false,
            },
        );
    }
    Ok(BriefingPage {
        page: Page::for_user("Cyber minute briefing", scope.user()),
        since: domain::uk(from_date),
        reports,
        drills,
        attention,
        actions: repo::open_actions(&state.db, practice).await?,
        tip: library::tip(&meeting.tip_id),
        threat: library::threat(&meeting.threat_id),
        praised,
        praised_others,
        meeting,
    })
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The briefing as an A4 PDF, in the page's order: praise first.
pub fn pdf(b: &BriefingPage, practice: &str) -> Vec<u8> {
    let mut doc = Document::new(
        "Cyber minute briefing",
        &format!("{practice}: cyber minute briefing"),
    );
    doc.title("Cyber minute briefing");
    doc.paragraph(&format!(
        "{}, {}. {}. Since {}.",
        practice,
        b.meeting.kind_label(),
        b.meeting.date(),
        b.since
    ));
    doc.heading("Thank you first");
    doc.bullet(&format!(
        "{} reported. Every report helps: keep them coming.",
        plural(b.reports, "suspicious email", "suspicious emails")
    ));
    let mut drills = format!(
        "{} in drills",
        plural(b.good_catches(), "good catch", "good catches")
    );
    if b.to_practise() > 0 {
        drills.push_str(&format!(
            ", and {} with something to practise",
            plural(b.to_practise(), "drill", "drills")
        ));
    }
    doc.bullet(&format!("{drills}."));
    if let Some(thanks) = b.thanks() {
        doc.bullet(&thanks);
    }
    doc.heading("What needs attention");
    if b.attention.is_empty() {
        doc.paragraph("Nothing: training, incidents, patches, backups, cyber alerts and plans are all up to date.");
    }
    for i in &b.attention {
        doc.bullet(&i.text);
    }
    doc.heading("Actions carried forward");
    if b.actions.is_empty() {
        doc.paragraph("None open.");
    }
    for a in &b.actions {
        doc.bullet(&format!("{} ({}, due {})", a.what, a.owner, a.due()));
    }
    if let Some(t) = b.tip {
        doc.heading("Tip of the meeting");
        doc.paragraph(&t.say);
        doc.paragraph(&t.why);
        doc.paragraph(&format!(
            "Source: {}, {} ({})",
            t.source.publisher, t.source.title, t.source.url
        ));
    }
    if let Some(t) = b.threat {
        doc.heading(&format!("Current threat: {}", t.title));
        for l in t.summary_lines() {
            doc.paragraph(l);
        }
        for w in &t.what_to_do {
            doc.bullet(w);
        }
    }
    if !b.meeting.threat_own.is_empty() {
        doc.heading("A threat we have seen");
        for para in b.meeting.threat_own.split("\n\n") {
            doc.paragraph(para.trim());
        }
    }
    if !b.meeting.notes.is_empty() {
        doc.heading("Notes");
        doc.paragraph(&b.meeting.notes);
    }
    doc.finish()
}
