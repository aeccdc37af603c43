//! One person's own record in phishing exercises. Only they and their
//! practice manager can see it; team views never show individuals.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::{AppState, StaffId};
use crate::web::{render, AppError, Page};
use crate::with_db;

pub struct Entry {
    pub when: String,
    pub reported: Option<String>,
    pub clicked: bool,
    pub submitted: bool,
    pub training: Vec<(String, bool)>,
}

impl Entry {
    /// A kind one-line summary, reporting first.
    pub fn summary(&self) -> &'static str {
        match (self.reported.is_some(), self.clicked) {
            (true, false) => "Spotted and reported it. Brilliant.",
            (true, true) => "Clicked, then reported it. Reporting after a click is exactly right.",
            (false, true) => "Clicked the link. It happens to everyone: the short refresher helps.",
            (false, false) => "Did not click. Next time, reporting it helps everyone.",
        }
    }
}

type Row = (i64, i64, Option<i64>, Option<i64>, Option<i64>);

/// The exercises this staff member received, newest first.
pub async fn for_staff(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(
        "SELECT campaign_id, sent_at, reported_at, clicked_at, submitted_at FROM campaign_recipients \
         WHERE practice_id = $1 AND staff_id = $2 AND sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 100")
        .bind(scope.practice_id()).bind(staff_id).fetch_all(p).await)?;
    let training: Vec<(Option<i64>, String, Option<i64>)> = with_db!(db, p => sqlx::query_as(
        "SELECT campaign_id, module, completed_at FROM training_assignments WHERE practice_id = $1 AND staff_id = $2")
        .bind(scope.practice_id()).bind(staff_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(campaign_id, sent, reported, clicked, submitted)| Entry {
            when: crate::ukclock::format(sent),
            reported: reported.map(|r| {
                let mins = (r - sent).max(0) / 60;
                if mins < 1 {
                    "within a minute".to_string()
                } else {
                    format!("after {mins} minutes")
                }
            }),
            clicked: clicked.is_some(),
            submitted: submitted.is_some(),
            training: training
                .iter()
                .filter(|(c, ..)| *c == Some(campaign_id))
                .map(|(_, m, done)| {
                    (
                        super::templates::module_title(m).to_string(),
                        done.is_some(),
                    )
                })
                .collect(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "simulation/my_exercises.html")]
struct MinePage {
    page: Page,
    entries: Vec<Entry>,
    reported: usize,
}

/// "Your phishing exercises", for the person signed in.
pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
) -> Result<Html<String>, AppError> {
    let entries = match scope.user().staff_id {
        Some(staff_id) => for_staff(&state.db, &scope, staff_id).await?,
        None => Vec::new(),
    };
    let reported = entries.iter().filter(|e| e.reported.is_some()).count();
    render(MinePage {
        page: Page::for_user("Your phishing exercises", scope.user()),
        entries,
        reported,
    })
}
