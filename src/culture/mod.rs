//! Practice culture beyond email: the content behind champions, drills that
//! need no email, and the "cyber minute" at practice meetings (issue 14).
//!
//! [`library`] holds the built-in drill library (`content/drills/`), the
//! rotating tips (`content/tips/`) and the "current threat" entries a manager
//! can pick for a meeting (`content/threats/`), typed and checked. The
//! features that schedule drills, record outcomes and prepare meeting
//! briefings build on it.

//! Built so far: [`champions`] (coverage per department), [`reports`] ("I reported a suspicious email", counted per
//! month), [`drills`] (run and logged by a champion or the manager),
//! [`meetings`] (the cyber minute: record, briefing, actions), [`chart`] (server-rendered SVG bars) and [`scope`] (manager or
//! champion). NHSmail's refusal lives with the domains it guards
//! (`simulation::domains`).

pub mod champions;
pub mod chart;
pub mod drills;
pub mod evidence;
pub mod library;
pub mod meetings;
pub mod reports;
pub mod scope;

use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.post("/culture/reports", PracticeMember, reports::routes::record)
        .get(
            "/culture/reports/new",
            PracticeMember,
            reports::routes::new_page,
        )
        .get(
            "/culture/reports/thanks",
            PracticeMember,
            reports::routes::thanks,
        )
        .get("/culture/reports", ManagerOrChampion, reports::routes::page)
        .get(
            "/culture/champion",
            ManagerOrChampion,
            champions::routes::page,
        )
        .post(
            "/culture/champion/log",
            ManagerOrChampion,
            champions::routes::add,
        )
        .post(
            "/culture/champion/log/{entry_id}/report",
            ManagerOrChampion,
            champions::routes::to_report,
        )
        .post(
            "/culture/champion/log/{entry_id}/training",
            ManagerOrChampion,
            champions::routes::to_training,
        )
        .post(
            "/culture/champion/duties",
            ManagerOrChampion,
            champions::routes::save_duties,
        )
        .get("/culture/drills", ManagerOrChampion, drills::routes::list)
        .get(
            "/culture/drills/library/{drill_id}",
            ManagerOrChampion,
            drills::routes::show,
        )
        .post(
            "/culture/drills/library/{drill_id}",
            ManagerOrChampion,
            drills::routes::record,
        )
        .post(
            "/culture/drills/library/{drill_id}/plan",
            ManagerOrChampion,
            drills::plans::routes::plan,
        )
        .post(
            "/culture/drills/plans/{drill_plan_id}/cancel",
            ManagerOrChampion,
            drills::plans::routes::cancel,
        )
        .get(
            "/culture/drills/runs/{run_id}",
            ManagerOrChampion,
            drills::routes::run_page,
        )
        .get(
            "/culture/drills/files/{drill_id}",
            ManagerOrChampion,
            drills::files::routes::page,
        )
        .post(
            "/culture/drills/files/{drill_id}",
            ManagerOrChampion,
            drills::files::routes::make,
        )
        .get(
            "/culture/drills/files/{drill_id}/{link_id}",
            ManagerOrChampion,
            drills::files::routes::download,
        )
        .get("/culture/my-drills", PracticeMember, drills::routes::mine)
        .get("/culture/meetings", PracticeManager, meetings::routes::list)
        .post(
            "/culture/meetings",
            PracticeManager,
            meetings::routes::create,
        )
        .get(
            "/culture/meetings/calendar.ics",
            PracticeManager,
            meetings::routes::series_ics,
        )
        .get(
            "/culture/meetings/{meeting_id}",
            PracticeManager,
            meetings::routes::briefing,
        )
        .get(
            "/culture/meetings/{meeting_id}/pdf",
            PracticeManager,
            meetings::routes::briefing_pdf,
        )
        .post(
            "/culture/meetings/actions/{action_id}/done",
            PracticeManager,
            meetings::routes::action_done,
        )
}
