//! Practices, departments, staff, champions, accounts for staff, and CSV import.

pub mod accounts;
pub mod csv_import;
pub mod departments;
pub mod domain;
pub mod import;
pub mod practices;
pub mod staff;

use crate::web::routes::{Access, Routes};

/// The staff CSV upload: the 5 MB file plus the form around it.
const UPLOAD_BODY: usize = csv_import::MAX_FILE_BYTES + 64 * 1024;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/staff", PracticeManager, staff::list)
        .get("/staff/new", PracticeManager, staff::new_page)
        .post("/staff/new", PracticeManager, staff::create)
        .get("/staff/export.csv", PracticeManager, staff::export_csv)
        .get("/staff/import", PracticeManager, import::upload_page)
        .post_upload(
            "/staff/import",
            PracticeManager,
            UPLOAD_BODY,
            import::upload,
        )
        .get(
            "/staff/import/{import_id}",
            PracticeManager,
            import::preview,
        )
        .post(
            "/staff/import/{import_id}",
            PracticeManager,
            import::confirm,
        )
        .get("/staff/{staff_id}", PracticeManager, staff::edit_page)
        .post("/staff/{staff_id}", PracticeManager, staff::update)
        .post("/staff/{staff_id}/leave", PracticeManager, staff::mark_left)
        .post(
            "/staff/{staff_id}/reinstate",
            PracticeManager,
            staff::reinstate,
        )
        .post(
            "/staff/{staff_id}/champion",
            PracticeManager,
            staff::set_champion,
        )
        .post(
            "/staff/{staff_id}/invite",
            PracticeManager,
            accounts::invite,
        )
        .post(
            "/staff/{staff_id}/manager",
            PracticeManager,
            accounts::set_manager,
        )
        .get("/departments", PracticeManager, departments::list)
        .post("/departments", PracticeManager, departments::create)
        .post(
            "/departments/{department_id}/rename",
            PracticeManager,
            departments::rename,
        )
        .post(
            "/departments/{department_id}/delete",
            PracticeManager,
            departments::delete,
        )
        .get("/operator", Operator, practices::list)
        .get("/operator/practices/new", Operator, practices::new_page)
        .post("/operator/practices/new", Operator, practices::create)
        .get(
            "/operator/practices/{practice_id}",
            Operator,
            practices::show,
        )
        .post(
            "/operator/practices/{practice_id}/managers",
            Operator,
            practices::add_manager,
        )
}
