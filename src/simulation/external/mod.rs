//! Results of a phishing exercise run elsewhere: on NHSmail only NHS
//! England's simulated phishing service may send, so the practice manager
//! records what it (or another tool) ran and imports its results, per person
//! from a CSV or as summary counts. It lives with the simulation because its
//! results are exercise results: they count in the same figures (the
//! exercises list, the operator's, team views at the minimum group size),
//! each person's own record (`reporting::history`) and the clicker
//! follow-up training as our own exercises.
//!
//! - `domain`: the record and summary forms, and what a results cell may say;
//! - `import`: the results file's columns and each row's checks;
//! - `repo`: `external_exercises`, `external_results`, `external_result_imports`;
//! - `routes` and `views`: the pages.

pub mod domain;
pub mod import;
pub mod repo;
pub mod routes;
mod views;

use crate::web::import::UPLOAD_BODY;
use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/simulation/external", PracticeManager, routes::list)
        .post("/simulation/external", PracticeManager, routes::create)
        .get(
            "/simulation/external/{external_id}",
            PracticeManager,
            routes::show,
        )
        .post_upload(
            "/simulation/external/{external_id}/results",
            PracticeManager,
            UPLOAD_BODY,
            routes::upload,
        )
        .get(
            "/simulation/external/{external_id}/results/{external_import_id}",
            PracticeManager,
            routes::preview,
        )
        .post(
            "/simulation/external/{external_id}/results/{external_import_id}",
            PracticeManager,
            routes::confirm,
        )
        .post(
            "/simulation/external/{external_id}/summary",
            PracticeManager,
            routes::summary,
        )
        .post(
            "/simulation/external/{external_id}/delete",
            PracticeManager,
            routes::delete,
        )
}
