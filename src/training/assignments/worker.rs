//! The training rules worker: every ten minutes it applies the rules to every
//! practice: induction for new starters, refreshers a set time after
//! completion, reminders before and after the due date (one email per person
//! listing everything due), and the practice
//! manager's weekly round-up on Monday mornings. [`run`] is idempotent: the
//! worker calls it, and tests call it with a chosen clock. Reminders and
//! round-ups are claimed once in the database, so several app nodes can run
//! it without sending anything twice.

use super::assign;
use super::domain::{
    induction_due, is_round_up_time, iso_week, refresher, refresher_candidates_until,
    reminder_email, round_up_email, DueItem, Kind, ReminderKind, INDUCTION_REASON,
};
use super::repo::{self, NewAssignment, Practice};
use crate::db::Db;
use crate::mail::outbox;
use crate::shared::{AppState, PracticeId};
use crate::training::settings::{self, TrainingSettings};
use crate::training::{compliance, curricula};

/// What the rules did in one pass, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub induction: u32,
    pub refreshers: u32,
    pub reminders: u32,
    pub digests: u32,
}

/// Applies every rule to every practice at the state's clock's `now`.
pub async fn run(state: &AppState) -> anyhow::Result<Pass> {
    let now = state.clock.now();
    let mut total = Pass::default();
    for practice in repo::practices(&state.db).await? {
        let s = settings::load(&state.db, practice.id).await?;
        total.induction += induction(&state.db, practice.id, &s, now).await?;
        total.refreshers += refreshers(&state.db, practice.id, &s, now).await?;
        total.reminders += reminders(state, practice.id, &s, now).await?;
        total.digests += round_up(state, &practice, &s, now).await?;
    }
    Ok(total)
}

/// Runs the rules every `[jobs] training_rules_seconds` (ten minutes by
/// default). The first pass waits a full interval, so a restart loop cannot
/// send a burst of reminders.
pub async fn run_until_stopped(state: AppState, stop: tokio_util::sync::CancellationToken) {
    let every = state.settings.jobs.training_rules_seconds;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(every)) => {}
        }
        // One node applies the rules; the lease outlasts a pass and its wait.
        let now = state.clock.now();
        match crate::db::leases::hold(&state.db, "training-rules", now, 3 * every as i64).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "taking the training rules' lease failed; will try again");
                continue;
            }
        }
        let step = run(&state).await;
        crate::metrics::job("training_rules", step.is_ok());
        match step {
            Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "training rules applied"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "training rules failed; will try again"),
        }
    }
}

/// Each new starter's role curriculum, due a set number of days after they
/// start; a practice's new inductions commit together.
async fn induction(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<u32, sqlx::Error> {
    let starters: Vec<_> = repo::without_induction(db, practice_id)
        .await?
        .into_iter()
        .filter_map(|p| {
            induction_due(p.start_date.as_deref(), p.created_at, now, s).map(|due| (p, due))
        })
        .collect();
    if starters.is_empty() {
        return Ok(0);
    }
    let curricula = curricula::load(db, practice_id).await?;
    let done_from = compliance::domain::counts_from(now, s);
    let mut tx = db.begin().await?;
    let mut added = 0;
    for (person, due) in &starters {
        for module in curricula.for_staff(&person.job_role, &person.employment_type) {
            // A module already done (before the rules saw them) counts.
            if repo::completed_since(&mut tx, practice_id, person.staff_id, module, done_from)
                .await?
            {
                continue;
            }
            let new = NewAssignment {
                staff_id: person.staff_id,
                module,
                kind: Kind::Induction,
                reason: INDUCTION_REASON,
                campaign_id: None,
                assigned_at: now,
                due_at: Some(*due),
            };
            if assign(&mut tx, practice_id, &new).await? {
                added += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// A refresher for each module whose last completion is nearly a refresher
/// interval old; a practice's new refreshers commit together.
async fn refreshers(
    db: &Db,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> Result<u32, sqlx::Error> {
    let until = refresher_candidates_until(now, s);
    let due: Vec<_> = repo::last_completions_without_refresher(db, practice_id, until)
        .await?
        .into_iter()
        .filter_map(|c| refresher(c.last, now, s).map(|r| (c, r)))
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut added = 0;
    for (last, r) in &due {
        let new = NewAssignment {
            staff_id: last.staff_id,
            module: &last.module,
            kind: Kind::Refresher,
            reason: &r.reason,
            campaign_id: None,
            assigned_at: now,
            due_at: Some(r.due),
        };
        if assign(&mut tx, practice_id, &new).await? {
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// A reminder shortly before each due date and another once overdue: one
/// email per person, listing every module whose reminder is due.
async fn reminders(
    state: &AppState,
    practice_id: PracticeId,
    s: &TrainingSettings,
    now: i64,
) -> anyhow::Result<u32> {
    let db = &state.db;
    let soon = now + s.reminder_days * 86_400;
    let due = repo::reminders_due(db, practice_id, soon, now).await?;
    let base = state.public_url().trim_end_matches('/');
    let mut sent = 0;
    for person in group_by_person(due) {
        // Claiming the reminders and queueing their email commit together: a
        // crash between them can neither lose the email nor send it twice.
        // What another node claimed first is left out of this email.
        let mut tx = db.begin().await?;
        let mut items = Vec::new();
        for r in &person {
            let kind = ReminderKind::at(r.due_at, now);
            if repo::claim_reminder(&mut tx, r.assignment_id, kind, now).await? {
                items.push(DueItem {
                    module: r.module.clone(),
                    due: r.due_at,
                    kind,
                });
            }
        }
        if items.is_empty() {
            continue;
        }
        let email = reminder_email(&person[0].full_name, &items, base);
        outbox::enqueue(
            &mut tx,
            Some(practice_id),
            "training-reminder",
            &person[0].email,
            &email.subject,
            &email.body,
            now,
        )
        .await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// Reminder rows gathered by person, each person's soonest due first.
fn group_by_person(mut due: Vec<repo::ReminderDue>) -> Vec<Vec<repo::ReminderDue>> {
    due.sort_by_key(|r| (r.staff_id, r.due_at, r.assignment_id));
    let mut people: Vec<Vec<repo::ReminderDue>> = Vec::new();
    for r in due {
        match people.last_mut() {
            Some(p) if p[0].staff_id == r.staff_id => p.push(r),
            _ => people.push(vec![r]),
        }
    }
    people
}

/// The weekly round-up to the practice's managers, once per ISO week.
async fn round_up(
    state: &AppState,
    practice: &Practice,
    s: &TrainingSettings,
    now: i64,
) -> anyhow::Result<u32> {
    if !is_round_up_time(now) {
        return Ok(0);
    }
    let db = &state.db;
    let week = iso_week(now);
    if repo::round_up_sent(db, practice.id, &week).await? {
        return Ok(0);
    }
    let managers = repo::manager_emails(db, practice.id).await?;
    if managers.is_empty() {
        return Ok(0);
    }
    let c = compliance::summary(db, practice.id, s, now).await?;
    let done_this_week = repo::completions_after(db, practice.id, now - 7 * 86_400).await?;
    let base = state.public_url().trim_end_matches('/');
    let email = round_up_email(&practice.name, &week, s, &c, done_this_week, base);
    // The week's claim and its emails commit together; another node that
    // got there first has claimed it, and this one sends nothing.
    let mut tx = db.begin().await?;
    if !repo::claim_round_up(&mut tx, practice.id, &week, now).await? {
        return Ok(0);
    }
    for to in &managers {
        outbox::enqueue(
            &mut tx,
            Some(practice.id),
            "training-digest",
            to,
            &email.subject,
            &email.body,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(1)
}
