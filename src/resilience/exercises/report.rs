//! The after-action report of a tabletop exercise, as a PDF for DSPT
//! evidence: what was tested, who came, what was said, who does what next.

use axum::extract::State;
use axum::response::Response;

use super::domain::Exercise;
use super::repo;
use super::routes::find;
use crate::auth::{ManagerScope, PracticeScope};
use crate::db::Db;
use crate::pdf::Document;
use crate::people::accounts::practice_name;
use crate::resilience::ids::ExerciseId;
use crate::shared::AppState;
use crate::training::compliance::pdf_response;
use crate::web::{AppError, Path};

/// The after-action report: what was tested, who came, what was said, who does what next.
pub async fn report(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(exercise_id): Path<ExerciseId>,
) -> Result<Response, AppError> {
    let e = find(&state, &scope, exercise_id).await?;
    Ok(pdf_response(
        pdf(&state.db, &scope, &e).await?,
        &format!("after-action-report-{}.pdf", e.run_on),
    ))
}

/// The report of exercise `e` as a PDF (also for the DSPT evidence pack).
pub async fn pdf(db: &Db, scope: &PracticeScope, e: &Exercise) -> Result<Vec<u8>, sqlx::Error> {
    let practice = practice_name(db, scope.practice_id()).await?;
    let people = repo::attendee_names(db, scope, e.id).await?;
    let actions = repo::report_actions(db, scope, e.id).await?;
    let s = e.scenario;
    let mut doc = Document::new(
        &format!("After-action report: {}", s.title),
        &format!("{practice} · tabletop exercise {} · DSPT 7.2.1", e.run_on),
    );
    doc.title("After-action report");
    doc.field("Exercise", &s.title);
    doc.field("Practice", &practice);
    doc.field("Date", &e.run_on);
    doc.field("Facilitator", &e.facilitator);
    doc.field(
        "Status",
        if e.is_done() {
            "Completed"
        } else {
            "Not finished yet"
        },
    );
    doc.paragraph(&s.summary);
    doc.heading("What the exercise tested");
    for o in &s.objectives {
        doc.bullet(o);
    }
    doc.heading(&format!("Who took part ({})", people.len()));
    for a in &people {
        doc.bullet(&format!("{}, {}", a.full_name, a.job_role));
    }
    doc.heading("What was discussed");
    for (i, inj) in s.injects.iter().enumerate() {
        doc.subheading(&format!("Minute {}: {}", inj.at_minute, inj.title));
        let note = e.notes.get(i).map(String::as_str).unwrap_or("");
        doc.paragraph(if note.is_empty() { "(no notes)" } else { note });
    }
    doc.subheading("Debrief");
    let debrief = e
        .notes
        .get(s.injects.len())
        .map(String::as_str)
        .unwrap_or("");
    doc.paragraph(if debrief.is_empty() {
        "(no notes)"
    } else {
        debrief
    });
    doc.heading("Actions");
    if actions.is_empty() {
        doc.paragraph("No actions recorded.");
    }
    for (i, a) in actions.iter().enumerate() {
        let who = a.owner.as_deref().unwrap_or("owner to be agreed");
        let when = a
            .due_on
            .as_ref()
            .map(|d| format!(", by {d}"))
            .unwrap_or_default();
        doc.bullet_with(&format!("{}.", i + 1), &format!("{} ({who}{when})", a.text));
    }
    Ok(doc.finish())
}
