//! The Data Security and Protection Toolkit (DSPT, issue 16): the practice's
//! evidence gathered from its everyday work in Safety Net.
//!
//! | Part | What |
//! |---|---|
//! | `toolkit` | a year's evidence items as content (`content/dspt/<year>.toml`), checked |
//! | `in_use` | the toolkit that applies: the newest of the shipped ones and those an operator loaded |
//! | `evidence` | one provider per kind of evidence, reading its owning capability (training, resilience, people, auth); practice-culture sources stand in until they exist |
//! | `status` | how an item's status is decided (ready, out of date, missing, not applicable), no I/O |
//! | `assess` | every item of the toolkit for one practice at one moment |
//! | `routes`, `repo` | the DSPT page and an item's page; the manager's choices and readiness figures |
//! | `documents` | evidence documents uploaded by the practice, or once by an operator for many practices |
//! | `agreement`, `admins` | the IT administrator agreement (item 4.3.1) and the register of who has accepted it |
//! | `packs` | evidence packs: a PDF summary and a zip with an index, built in the background |
//! | `operator` | the ICB's view: readiness figures, documents for many practices, loading a toolkit file |
//! | `worker` | readiness figures kept fresh, renewal reminders, packs whose builder stopped |
//!
//! Evidence is only read from other capabilities, through their public
//! functions; the DSPT writes only its own tables (`dspt_*`, `admin_*`).

pub mod admins;
pub mod agreement;
pub mod assess;
pub mod documents;
pub mod evidence;
pub mod ids;
pub mod in_use;
pub mod operator;
pub mod packs;
pub mod repo;
pub mod routes;
pub mod status;
pub mod toolkit;
pub mod worker;

pub use assess::{assess, Assessment};
pub use repo::Readiness;

use crate::web::routes::{Access, Routes};

/// A document upload: the file plus the form around it.
const DOCUMENT_BODY: usize = documents::domain::MAX_BYTES + 64 * 1024;
const TOOLKIT_BODY: usize = toolkit::MAX_FILE_BYTES + 64 * 1024;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/dspt", PracticeManager, routes::overview)
        .get("/dspt/items/{item}", PracticeManager, routes::item)
        .post("/dspt/items/{item}", PracticeManager, routes::save_item)
        .get("/dspt/documents", PracticeManager, documents::routes::list)
        .post_upload(
            "/dspt/documents",
            PracticeManager,
            DOCUMENT_BODY,
            documents::routes::upload,
        )
        .get(
            "/dspt/documents/{document_id}",
            PracticeManager,
            documents::routes::download,
        )
        .post(
            "/dspt/documents/{document_id}/withdraw",
            PracticeManager,
            documents::routes::withdraw,
        )
        .get(
            "/dspt/administrators",
            PracticeManager,
            admins::routes::list,
        )
        .post(
            "/dspt/administrators",
            PracticeManager,
            admins::routes::create,
        )
        .get(
            "/dspt/administrators/{access_id}",
            PracticeManager,
            admins::routes::show,
        )
        .post(
            "/dspt/administrators/{access_id}/send",
            PracticeManager,
            admins::routes::resend,
        )
        .post(
            "/dspt/administrators/{access_id}/end",
            PracticeManager,
            admins::routes::end,
        )
        .get("/dspt/packs", PracticeManager, packs::routes::list)
        .post("/dspt/packs", PracticeManager, packs::routes::create)
        .get(
            "/dspt/packs/{pack_id}",
            PracticeManager,
            packs::routes::show,
        )
        .get(
            "/dspt/packs/{pack_id}/progress",
            PracticeManager,
            packs::routes::progress,
        )
        .get(
            "/dspt/packs/{pack_id}/summary.pdf",
            PracticeManager,
            packs::routes::summary_pdf,
        )
        .get(
            "/dspt/packs/{pack_id}/evidence.zip",
            PracticeManager,
            packs::routes::zip,
        )
        .get(admins::MY_AGREEMENTS, PracticeMember, admins::routes::mine)
        .post(
            "/agreements/{access_id}",
            PracticeMember,
            admins::routes::accept_mine,
        )
        .get("/agreement/{token}", Public, admins::routes::link)
        .post("/agreement/{token}", Public, admins::routes::link_accept)
        .get("/operator/dspt", Operator, operator::show)
        .post_upload(
            "/operator/dspt/documents",
            Operator,
            DOCUMENT_BODY,
            operator::upload,
        )
        .get(
            "/operator/dspt/documents/{document_id}",
            Operator,
            operator::download,
        )
        .post(
            "/operator/dspt/documents/{document_id}/withdraw",
            Operator,
            operator::withdraw,
        )
        .post_upload(
            "/operator/dspt/toolkit",
            Operator,
            TOOLKIT_BODY,
            operator::load_toolkit,
        )
}
