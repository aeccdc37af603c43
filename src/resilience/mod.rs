//! Resilience: the asset register (devices and software) with end-of-life
//! dates and the 14-day patch clock, device check-in scripts, the NHS cyber
//! alert log, the backup register, `safetynet backup` / `restore` for
//! Safety Net's own database, and the plans for when things go wrong: the
//! plans themselves, incident mode and tabletop exercises.
//!
//! The practice manager changes things (every change is audit-logged); cyber
//! champions can read every page, since they are a first contact in an
//! incident. Other staff do not see the register: a list of which devices are
//! unpatched or unencrypted is useful to an attacker and not to them. Plans
//! and incidents are for everyone: anyone may need them on a bad day.
//!
//! Each area is a folder split by job: `domain` (its values and rules, no
//! I/O), `repo` (the only SQL for its tables), `routes` (handlers) and
//! `views` (pages): `assets`, `checkin`, `support_dates`, `alerts`,
//! `backups`, `plans`, `incidents`, `exercises`. Beside them: `overview`
//! (the first page), `rules` (the patch, alert, backup and review clocks),
//! `dates`, `fields` (checking typed text), `scope` (who may read the
//! registers; the audit entry of a change), `sql` (choices stored as their
//! keys, rows read by name), `ids`, `staff` (people's staff, read only),
//! `plan_content` (our plan templates and exercise scenarios), `own_backup`
//! (`safetynet backup`/`restore`), and `import` (the spreadsheet import).

pub mod alerts;
pub mod assets;
pub mod backups;
pub mod checkin;
pub mod dates;
pub mod exercises;
pub mod fields;
pub mod ids;
pub mod import;
pub mod incidents;
pub mod overview;
pub mod own_backup;
pub mod plan_content;
pub mod plans;
pub mod rules;
pub mod scope;
pub mod sql;
pub mod staff;
pub mod support_dates;

pub use scope::ViewScope;

use crate::web::routes::{Access, Routes};

use crate::web::import::{routes as flow, UPLOAD_BODY};
use import::AssetImport;

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    plan_routes(r)
        .get("/resilience", ManagerOrChampion, overview::overview)
        .get(
            "/resilience/assets",
            ManagerOrChampion,
            assets::routes::list,
        )
        .get(
            "/resilience/assets.csv",
            ManagerOrChampion,
            assets::export::csv,
        )
        .get(
            "/resilience/assets/new",
            PracticeManager,
            assets::routes::new_page,
        )
        .post(
            "/resilience/assets/new",
            PracticeManager,
            assets::routes::create,
        )
        .post(
            "/resilience/assets/review",
            PracticeManager,
            assets::routes::review,
        )
        .get(
            "/resilience/assets/import",
            PracticeManager,
            flow::upload_page::<AssetImport>,
        )
        .post_upload(
            "/resilience/assets/import",
            PracticeManager,
            UPLOAD_BODY,
            flow::upload::<AssetImport>,
        )
        .get(
            "/resilience/assets/import/{asset_import_id}",
            PracticeManager,
            flow::preview::<AssetImport>,
        )
        .post(
            "/resilience/assets/import/{asset_import_id}",
            PracticeManager,
            flow::confirm::<AssetImport>,
        )
        .get(
            "/resilience/assets/{asset_id}",
            ManagerOrChampion,
            assets::routes::show,
        )
        .post(
            "/resilience/assets/{asset_id}",
            PracticeManager,
            assets::routes::update,
        )
        .post(
            "/resilience/assets/{asset_id}/updated",
            PracticeManager,
            assets::routes::mark_updated,
        )
        .post(
            "/resilience/assets/{asset_id}/retire",
            PracticeManager,
            assets::routes::retire,
        )
        .get(
            "/resilience/support-dates",
            ManagerOrChampion,
            support_dates::routes::page,
        )
        .post_upload(
            "/resilience/support-dates",
            PracticeManager,
            support_dates::table::MAX_FILE_BYTES + 64 * 1024,
            support_dates::routes::upload,
        )
        .get(
            "/resilience/checkin",
            PracticeManager,
            checkin::routes::page,
        )
        .post(
            "/resilience/checkin/token",
            PracticeManager,
            checkin::routes::new_token,
        )
        .get(
            "/resilience/checkin/safetynet-checkin.ps1",
            PracticeManager,
            checkin::routes::powershell,
        )
        .get(
            "/resilience/checkin/safetynet-checkin.sh",
            PracticeManager,
            checkin::routes::shell,
        )
        .post(checkin::API_PATH, Public, checkin::routes::api)
        .get(
            "/resilience/alerts",
            ManagerOrChampion,
            alerts::routes::list,
        )
        .get(
            "/resilience/alerts/new",
            PracticeManager,
            alerts::routes::new_page,
        )
        .post(
            "/resilience/alerts/new",
            PracticeManager,
            alerts::routes::create,
        )
        .get(
            "/resilience/alerts/{alert_id}",
            ManagerOrChampion,
            alerts::routes::show,
        )
        .post(
            "/resilience/alerts/{alert_id}",
            PracticeManager,
            alerts::routes::update,
        )
        .post(
            "/resilience/alerts/{alert_id}/acknowledge",
            PracticeManager,
            alerts::routes::acknowledge,
        )
        .get(
            "/resilience/backups",
            ManagerOrChampion,
            backups::routes::list,
        )
        .get(
            "/resilience/backups/new",
            PracticeManager,
            backups::routes::new_page,
        )
        .post(
            "/resilience/backups/new",
            PracticeManager,
            backups::routes::create,
        )
        .get(
            "/resilience/backups/{backup_id}",
            ManagerOrChampion,
            backups::routes::show,
        )
        .post(
            "/resilience/backups/{backup_id}",
            PracticeManager,
            backups::routes::update,
        )
        .post(
            "/resilience/backups/{backup_id}/record",
            PracticeManager,
            backups::routes::record,
        )
}

/// Plans, incidents and tabletop exercises.
fn plan_routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/resilience/plans", PracticeMember, plans::routes::list)
        .post("/resilience/plans", PracticeManager, plans::routes::create)
        .get(
            "/resilience/plans/{plan_id}",
            PracticeMember,
            plans::routes::show,
        )
        .get(
            "/resilience/plans/{plan_id}/print",
            PracticeMember,
            plans::routes::print,
        )
        .post(
            "/resilience/plans/{plan_id}/print",
            PracticeMember,
            plans::routes::record_print,
        )
        .get(
            "/resilience/plans/{plan_id}/plan.pdf",
            PracticeMember,
            plans::routes::pdf,
        )
        .post(
            "/resilience/plans/{plan_id}/plan.pdf",
            PracticeMember,
            plans::routes::pdf_to_print,
        )
        .get(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::routes::edit,
        )
        .post(
            "/resilience/plans/{plan_id}/edit",
            PracticeManager,
            plans::routes::save,
        )
        .post(
            "/resilience/plans/{plan_id}/approve",
            PracticeManager,
            plans::routes::approve,
        )
        .get(
            "/resilience/incidents",
            PracticeMember,
            incidents::routes::list,
        )
        .post(
            "/resilience/incidents",
            PracticeMember,
            incidents::routes::declare,
        )
        .get(
            "/resilience/incidents/report",
            PracticeMember,
            incidents::reports::page,
        )
        .post(
            "/resilience/incidents/report",
            PracticeMember,
            incidents::reports::submit,
        )
        .get(
            "/resilience/incidents/{incident_id}",
            PracticeMember,
            incidents::routes::show,
        )
        .post(
            "/resilience/incidents/{incident_id}/log",
            PracticeMember,
            incidents::routes::log,
        )
        .post(
            "/resilience/incidents/{incident_id}/check",
            PracticeMember,
            incidents::routes::check,
        )
        .post(
            "/resilience/incidents/{incident_id}/checklist",
            PracticeMember,
            incidents::routes::save_checklist,
        )
        .post(
            "/resilience/incidents/{incident_id}/assess",
            PracticeMember,
            incidents::routes::assess,
        )
        .post(
            "/resilience/incidents/{incident_id}/reported",
            PracticeMember,
            incidents::routes::reported,
        )
        .post(
            "/resilience/incidents/{incident_id}/close",
            PracticeMember,
            incidents::routes::close,
        )
        .post(
            "/resilience/incidents/{incident_id}/lessons",
            PracticeMember,
            incidents::routes::lesson,
        )
        .get(
            "/resilience/exercises",
            PracticeManager,
            exercises::routes::list,
        )
        .post(
            "/resilience/exercises",
            PracticeManager,
            exercises::routes::create,
        )
        .get(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::routes::show,
        )
        .post(
            "/resilience/exercises/{exercise_id}",
            PracticeManager,
            exercises::routes::save,
        )
        .get(
            "/resilience/exercises/{exercise_id}/report.pdf",
            PracticeManager,
            exercises::report::report,
        )
}
