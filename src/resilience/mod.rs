//! Resilience: plans for when things go wrong, incident mode with the ICO
//! clock, and tabletop exercises to test the plans.

pub mod exercises;
pub mod incidents;
pub mod plan_content;
pub mod plans;

use crate::app::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/resilience/plans", PracticeMember, plans::list)
        .post("/resilience/plans", PracticeManager, plans::create)
        .get("/resilience/plans/{plan_id}", PracticeMember, plans::show)
        .get(
            "/resilience/plans/{plan_id}/print",
            PracticeMember,
            plans::print,
        )
        .get(
            "/resilience/plans/{plan_id}/plan.pdf",
            PracticeMember,
            plans::pdf,
        )
        .get(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::edit,
        )
        .post(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::save,
        )
        .post(
            "/resilience/plans/{plan_id}/approve",
            PracticeManager,
            plans::approve,
        )
        .get("/resilience/incidents", PracticeMember, incidents::list)
        .post("/resilience/incidents", PracticeMember, incidents::declare)
        .get(
            "/resilience/incidents/{incident_id}",
            PracticeMember,
            incidents::show,
        )
        .post(
            "/resilience/incidents/{incident_id}/log",
            PracticeMember,
            incidents::log,
        )
        .post(
            "/resilience/incidents/{incident_id}/check",
            PracticeMember,
            incidents::check,
        )
        .post(
            "/resilience/incidents/{incident_id}/assess",
            PracticeMember,
            incidents::assess,
        )
        .post(
            "/resilience/incidents/{incident_id}/reported",
            PracticeMember,
            incidents::reported,
        )
        .post(
            "/resilience/incidents/{incident_id}/close",
            PracticeMember,
            incidents::close,
        )
        .post(
            "/resilience/incidents/{incident_id}/lessons",
            PracticeMember,
            incidents::lesson,
        )
        .get("/resilience/exercises", PracticeManager, exercises::list)
        .post("/resilience/exercises", PracticeManager, exercises::create)
        .get(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::show,
        )
        .post(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::save,
        )
        .get(
            "/resilience/exercises/{exercise_id}/report.pdf",
            PracticeManager,
            exercises::report,
        )
}
