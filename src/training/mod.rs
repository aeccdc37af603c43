//! Training and CPD: the built-in modules and quizzes, what each person has to
//! do and by when, CPD evidence, the manager's compliance view, and the public
//! lessons for patients. Each part is a folder, its files by job: `routes`
//! (handlers and their pages), `domain` (rules, no I/O, unit-tested), `repo`
//! (the only place its SQL lives), `views` (documents laid out), `worker`.
//!
//! | Part | What |
//! |---|---|
//! | `content` | the staff modules, quiz banks and role curricula (`content/training`) |
//! | `my_training` | a member of staff's own training: their page, lessons a page at a time, password practice |
//! | `quiz` | attempts, scoring on the server, the completion a pass records |
//! | `cpd` | certificates, CPD summaries by calendar or appraisal year, the log spreadsheet |
//! | `assignments` | who has to do what by when; the rules worker (induction, refreshers, reminders, weekly round-up); the manager's "assign" page |
//! | `compliance` | the manager's view: who is trained against the DSPT target; one person's record |
//! | `curricula` | which modules each job role needs |
//! | `needs_analysis` | the training needs analysis (DSPT 3.1.1) and its PDF |
//! | `settings` | the practice's training rules |
//! | `patient_lessons` | public lessons for patients under `/learn` (`content/learn`) |
//!
//! Other capabilities write training's tables only through the functions
//! re-exported below, in their own transaction.

pub mod assignments;
pub mod compliance;
pub mod content;
pub mod cpd;
pub mod curricula;
pub mod my_training;
pub mod needs_analysis;
pub mod patient_lessons;
pub mod quiz;
pub mod settings;

/// Writing training from other capabilities, and asking where a person stands.
pub use assignments::{
    assign, assign_follow_up, open_for, withdraw_follow_up, Kind as AssignmentKind, NewAssignment,
};
pub use compliance::{is_up_to_date, standing, trained_count, Standing};
pub use quiz::record_completed;

use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/training", PracticeMember, my_training::routes::mine)
        .get(
            "/training/modules/{module}",
            PracticeMember,
            my_training::routes::overview,
        )
        .get(
            "/training/modules/{module}/lesson",
            PracticeMember,
            my_training::routes::lesson,
        )
        .post(
            "/training/modules/{module}/lesson",
            PracticeMember,
            my_training::routes::turn,
        )
        .get(
            "/training/modules/{module}/quiz",
            PracticeMember,
            quiz::routes::start_page,
        )
        .post(
            "/training/modules/{module}/quiz",
            PracticeMember,
            quiz::routes::start,
        )
        .get(
            "/training/attempts/{attempt_id}",
            PracticeMember,
            quiz::routes::show,
        )
        .post(
            "/training/attempts/{attempt_id}",
            PracticeMember,
            quiz::routes::submit,
        )
        .get(
            "/training/certificates/{completion_id}",
            PracticeMember,
            cpd::routes::certificate,
        )
        .get(
            "/training/people/{staff_id}/cpd/{year}",
            PracticeMember,
            cpd::routes::summary,
        )
        .get(
            "/training/people/{staff_id}/cpd.csv",
            PracticeMember,
            cpd::routes::csv,
        )
        .get(
            "/training/password-practice",
            PracticeMember,
            my_training::routes::password_practice,
        )
        .get(
            "/training/password-practice/common-passwords.txt",
            PracticeMember,
            my_training::routes::common_passwords,
        )
        .get(
            "/training/manage",
            PracticeManager,
            compliance::routes::manage,
        )
        .get(
            "/training/manage/people/{staff_id}",
            PracticeManager,
            compliance::routes::person,
        )
        .get(
            "/training/manage/assign",
            PracticeManager,
            assignments::routes::show,
        )
        .post(
            "/training/manage/assign",
            PracticeManager,
            assignments::routes::submit,
        )
        .get(
            "/training/manage/curricula",
            PracticeManager,
            curricula::routes::show,
        )
        .post(
            "/training/manage/curricula",
            PracticeManager,
            curricula::routes::save,
        )
        .get(
            "/training/manage/settings",
            PracticeManager,
            settings::routes::show,
        )
        .post(
            "/training/manage/settings",
            PracticeManager,
            settings::routes::update,
        )
        .get(
            "/training/manage/tna",
            PracticeManager,
            needs_analysis::routes::show,
        )
        .post(
            "/training/manage/tna",
            PracticeManager,
            needs_analysis::routes::save,
        )
        .get(
            "/training/manage/tna.pdf",
            PracticeManager,
            needs_analysis::routes::pdf,
        )
        .get("/learn", Public, patient_lessons::index)
        .get("/learn/{lesson}", Public, patient_lessons::show)
        .get(
            "/learn/{lesson}/leaflet.pdf",
            Public,
            patient_lessons::leaflet,
        )
        .get(
            "/learn/{lesson}/poster.pdf",
            Public,
            patient_lessons::poster,
        )
}
