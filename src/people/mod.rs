//! Practices, departments, staff, champions, accounts for staff, and
//! importing staff from a spreadsheet.
//!
//! By job: `domain` (checked values and states: no I/O), `repo` (every
//! statement on `practices`, `departments` and `staff`), `routes` (the
//! staff, department, account and operator pages, one file each), `views`
//! (their templates), `staff_import` (the staff spreadsheet on the generic
//! import flow, `web::import`). What other code calls: `practices` (making
//! a practice and its manager), `accounts` (opening and inviting accounts
//! for staff), `departments` and `staff` (the repo's reads).

pub mod accounts;
pub mod domain;
pub mod practices;
pub mod repo;
pub mod routes;
pub mod staff_import;
pub mod views;

pub use repo::{departments, staff};

use crate::web::import::{routes as import, UPLOAD_BODY};
use crate::web::routes::{Access, Routes};
use routes::{accounts as account_routes, departments as department_routes};
use routes::{practices as practice_routes, staff as staff_routes};
use staff_import::StaffImport;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/staff", PracticeManager, staff_routes::list)
        .get("/staff/new", PracticeManager, staff_routes::new_page)
        .post("/staff/new", PracticeManager, staff_routes::create)
        .get(
            "/staff/export.csv",
            PracticeManager,
            staff_routes::export_csv,
        )
        .get(
            "/staff/import",
            PracticeManager,
            import::upload_page::<StaffImport>,
        )
        .post_upload(
            "/staff/import",
            PracticeManager,
            UPLOAD_BODY,
            import::upload::<StaffImport>,
        )
        .get(
            "/staff/import/{import_id}",
            PracticeManager,
            import::preview::<StaffImport>,
        )
        .post(
            "/staff/import/{import_id}",
            PracticeManager,
            import::confirm::<StaffImport>,
        )
        .get(
            "/staff/{staff_id}",
            PracticeManager,
            staff_routes::edit_page,
        )
        .post("/staff/{staff_id}", PracticeManager, staff_routes::update)
        .post(
            "/staff/{staff_id}/leave",
            PracticeManager,
            staff_routes::mark_left,
        )
        .post(
            "/staff/{staff_id}/reinstate",
            PracticeManager,
            staff_routes::reinstate,
        )
        .post(
            "/staff/{staff_id}/champion",
            PracticeManager,
            staff_routes::set_champion,
        )
        .post(
            "/staff/invite-all",
            PracticeManager,
            account_routes::invite_all,
        )
        .post(
            "/staff/{staff_id}/invite",
            PracticeManager,
            account_routes::invite,
        )
        .post(
            "/staff/{staff_id}/manager",
            PracticeManager,
            account_routes::set_manager,
        )
        .get("/departments", PracticeManager, department_routes::list)
        .post("/departments", PracticeManager, department_routes::create)
        .post(
            "/departments/{department_id}/rename",
            PracticeManager,
            department_routes::rename,
        )
        .post(
            "/departments/{department_id}/delete",
            PracticeManager,
            department_routes::delete,
        )
        .get("/operator", Operator, practice_routes::list)
        .get(
            "/operator/practices/new",
            Operator,
            practice_routes::new_page,
        )
        .post("/operator/practices/new", Operator, practice_routes::create)
        .get(
            "/operator/practices/{practice_id}",
            Operator,
            practice_routes::show,
        )
        .post(
            "/operator/practices/{practice_id}/managers",
            Operator,
            practice_routes::add_manager,
        )
        .post(
            "/operator/practices/{practice_id}/nhsmail-agreement",
            Operator,
            practice_routes::nhsmail_agreement,
        )
        .post(
            "/operator/practices/{practice_id}/sign-in",
            Operator,
            practice_routes::sign_in_rule,
        )
}
