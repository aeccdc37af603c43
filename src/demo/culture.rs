//! A year of practice culture for the demo, so the dashboard is alive on
//! first sign-in: reports each month (rising, as they do when reporting is
//! praised), drills with their outcomes, and monthly meetings with the cyber
//! minute and actions, most of them done. Written through the culture
//! capabilities' own storage functions.

use crate::culture::drills::domain::Checked as DrillResult;
use crate::culture::drills::repo as drills;
use crate::culture::library::{library, DrillKind, OutcomeKey};
use crate::culture::meetings::domain::{Checked as MeetingRecord, MeetingKind, NewAction};
use crate::culture::meetings::repo as meetings;
use crate::culture::reports::domain::{month_start, start_of};
use crate::culture::reports::repo::{insert as insert_report, NewReport};
use crate::culture::reports::How;
use crate::db::Db;
use crate::shared::{PracticeId, StaffId, UserId};
use crate::ukclock::{add_months, local_date};
use crate::web::AppError;
use crate::with_db;

/// Reports in each of the last twelve months, oldest first.
const REPORTS_PER_MONTH: [usize; 12] = [3, 4, 4, 6, 5, 7, 8, 7, 9, 10, 11, 12];

const ACTIONS: [&str; 6] = [
    "Lock screens when leaving the desk",
    "Put the spamreports@nhs.net address on the reception noticeboard",
    "Check the backup restore test is booked",
    "Remind locums how to report a suspicious email",
    "Move the USB sticks drawer key to the manager's office",
    "Share the text-message scam card at the next huddle",
];

/// Whether the demo practice has any culture records yet (older demo
/// databases were seeded before there were any).
pub async fn missing(db: &Db, practice_id: PracticeId) -> Result<bool, AppError> {
    let n: i64 = with_db!(db, p => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM meetings WHERE practice_id = $1) + (SELECT COUNT(*) FROM suspicious_reports WHERE practice_id = $1)")
        .bind(practice_id).fetch_one(p).await)?;
    Ok(n == 0)
}

pub async fn seed(
    db: &Db,
    practice_id: PracticeId,
    manager: UserId,
    now: i64,
) -> Result<(), AppError> {
    let staff: Vec<(StaffId, Option<i64>)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, department_id FROM staff WHERE practice_id = $1 AND active ORDER BY id")
        .bind(practice_id).fetch_all(p).await)?;
    if staff.is_empty() {
        return Ok(());
    }
    let today = local_date(now);
    let first = add_months(month_start(today), -11);
    let lib = library();
    let hows = [How::Spamreports, How::Champion, How::ItOrManager];
    let kinds = [
        DrillKind::Phone,
        DrillKind::SmsCard,
        DrillKind::WalkRound,
        DrillKind::UsbDrop,
    ];
    let mut tx = db.begin().await?;
    let mut who = 0usize;
    for (m, reports) in REPORTS_PER_MONTH.iter().enumerate() {
        let month = add_months(first, m as i64);
        let start = start_of(month) + 9 * 3600;
        // Spread through the month, never after now.
        for i in 0..*reports {
            let at = (start + (i as i64 * 2 + 1) * 86_400).min(now - 3600);
            let (staff_id, department_id) = staff[who % staff.len()];
            who += 7;
            let r = NewReport {
                staff_id: Some(staff_id),
                department_id,
                how: hows[i % hows.len()],
                note: "",
                at,
            };
            insert_report(&mut tx, practice_id, &r).await?;
        }

        // Two drills a month, most of them a good catch.
        for d in 0..2usize {
            let n = m * 2 + d;
            let kind = kinds[n % kinds.len()];
            let Some(drill) = lib
                .drills_of(kind)
                .nth(n % 2)
                .or(lib.drills_of(kind).next())
            else {
                continue;
            };
            let run_at = (start + (8 + 10 * d as i64) * 86_400).min(now - 7200);
            let (staff_id, department_id) = staff[(n * 5 + 3) % staff.len()];
            let walk = kind == DrillKind::WalkRound;
            let outcome = match n % 6 {
                2 => OutcomeKey::Partly,
                5 if walk => OutcomeKey::NeedsPractice,
                _ => OutcomeKey::GoodCatch,
            };
            let run = drills::NewRun {
                drill_id: &drill.id,
                kind: kind.as_str(),
                department_id,
                run_at,
                run_by: manager,
            };
            let run_id = drills::insert_run(&mut tx, practice_id, &run).await?;
            let result = DrillResult {
                staff_id: (!walk).then(|| staff_id.get()),
                department_id,
                outcome,
                checks: String::new(),
                note: if outcome == OutcomeKey::GoodCatch {
                    "Spotted it straight away and reported it. Well done.".into()
                } else {
                    "Talked it through together afterwards.".into()
                },
                praise_by_name: false,
            };
            drills::insert_outcome(&mut tx, practice_id, run_id, &result, run_at).await?;
        }

        // The monthly practice meeting, with the cyber minute and one action.
        let held_on = month + time::Duration::days(14);
        if held_on <= today {
            let n = meetings::count(&mut tx, practice_id).await?;
            let record = MeetingRecord {
                held_on,
                kind: if m % 3 == 1 {
                    MeetingKind::ReceptionHuddle
                } else {
                    MeetingKind::Practice
                },
                attendees: 12 + (m as i64 % 5),
                notes: "Cyber minute: thanked everyone who reported, went through the tip.".into(),
                threat_id: lib.threats[m % lib.threats.len()].id.clone(),
                threat_own: if m % 4 == 0 {
                    "A neighbouring practice had calls from someone claiming to be from the clinical system supplier, asking reception to install a \"support tool\". Put the phone down and call the supplier back on the number in the contract.".into()
                } else {
                    String::new()
                },
                action: Some(NewAction {
                    what: ACTIONS[m % ACTIONS.len()].into(),
                    owner: "Priya Shah".into(),
                    due_on: held_on + time::Duration::days(28),
                }),
            };
            let tip = lib.tip_for(n as u64);
            meetings::insert(&mut tx, practice_id, &record, &tip.id, manager, now).await?;
        }
    }
    tx.commit().await?;

    // Actions due more than a fortnight ago are done; the latest stay open.
    let done_before = (today - time::Duration::days(14)).to_string();
    let mut tx = db.begin().await?;
    for a in meetings::open_actions(db, practice_id).await? {
        if a.due_on < done_before {
            meetings::mark_done(&mut tx, practice_id, a.id, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
