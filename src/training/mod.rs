//! Training and CPD: the built-in modules and quizzes, what each person has to
//! do and by when, CPD evidence, the manager's compliance view, and the public
//! lessons for patients.

pub mod assignments;
pub mod compliance;
pub mod content;
pub mod cpd;
pub mod learn;
pub mod learning;
pub mod quiz;
pub mod settings;

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use crate::auth::PracticeScope;
use crate::web::routes::{Access, Routes};
use crate::web::{render, AppError, Page};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/training", PracticeMember, learning::mine)
        .get(
            "/training/modules/{module}",
            PracticeMember,
            learning::overview,
        )
        .get(
            "/training/modules/{module}/lesson",
            PracticeMember,
            learning::lesson,
        )
        .post(
            "/training/modules/{module}/lesson",
            PracticeMember,
            learning::turn,
        )
        .get(
            "/training/modules/{module}/quiz",
            PracticeMember,
            quiz::start_page,
        )
        .post(
            "/training/modules/{module}/quiz",
            PracticeMember,
            quiz::start,
        )
        .get(
            "/training/attempts/{attempt_id}",
            PracticeMember,
            quiz::show,
        )
        .post(
            "/training/attempts/{attempt_id}",
            PracticeMember,
            quiz::submit,
        )
        .get(
            "/training/certificates/{completion_id}",
            PracticeMember,
            cpd::certificate,
        )
        .get(
            "/training/people/{staff_id}/cpd/{year}",
            PracticeMember,
            cpd::summary,
        )
        .get(
            "/training/people/{staff_id}/cpd.csv",
            PracticeMember,
            cpd::csv,
        )
        .get(
            "/training/password-practice",
            PracticeMember,
            password_practice,
        )
        .get(
            "/training/password-practice/common-passwords.txt",
            PracticeMember,
            common_passwords,
        )
        .get("/training/manage", PracticeManager, compliance::manage)
        .get(
            "/training/manage/people/{staff_id}",
            PracticeManager,
            compliance::person,
        )
        .get(
            "/training/manage/assign",
            PracticeManager,
            assignments::assign_page,
        )
        .post(
            "/training/manage/assign",
            PracticeManager,
            assignments::assign_submit,
        )
        .get(
            "/training/manage/curricula",
            PracticeManager,
            compliance::curricula_page,
        )
        .post(
            "/training/manage/curricula",
            PracticeManager,
            compliance::curricula_save,
        )
        .get("/training/manage/settings", PracticeManager, settings::show)
        .post(
            "/training/manage/settings",
            PracticeManager,
            settings::update,
        )
        .get(
            "/training/manage/tna",
            PracticeManager,
            compliance::tna_page,
        )
        .post(
            "/training/manage/tna",
            PracticeManager,
            compliance::tna_save,
        )
        .get(
            "/training/manage/tna.pdf",
            PracticeManager,
            compliance::tna_pdf,
        )
        .get("/learn", Public, learn::index)
        .get("/learn/{lesson}", Public, learn::show)
        .get("/learn/{lesson}/leaflet.pdf", Public, learn::leaflet)
        .get("/learn/{lesson}/poster.pdf", Public, learn::poster)
}

#[derive(Template)]
#[template(path = "training/password_practice.html")]
struct PasswordPracticePage {
    page: Page,
}

/// Try passwords against the same meter and deny-list the app uses; the
/// password never leaves the device.
pub async fn password_practice(scope: PracticeScope) -> Result<Html<String>, AppError> {
    let mut page = Page::for_user("Password practice", scope.user());
    page.scripts.push("/static/vendor/zxcvbn/zxcvbn.js");
    page.scripts.push("/static/js/password-practice.js");
    render(PasswordPracticePage { page })
}

/// The deny-list, for the practice tool to check in the browser.
pub async fn common_passwords(_scope: PracticeScope) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        crate::auth::password::DENY_LIST,
    )
        .into_response()
}
