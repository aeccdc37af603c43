//! "Are you sure?" without JavaScript: a button whose change is hard to undo
//! (cancelling an exercise, marking someone as left, giving manager access,
//! removing a champion) posts without `confirm=yes`; the handler answers with
//! this page, which says what will happen and posts the same form again with
//! `confirm=yes`, beside a link back. Only the second post changes anything.

use askama::Template;
use axum::response::Html;

use super::{render, AppError, Page};
use crate::auth::SessionUser;

/// Whether a form said "yes" on the confirmation page.
pub fn confirmed(field: &str) -> bool {
    field == "yes"
}

/// What to ask.
pub struct Confirm {
    /// The question, as the page's heading: "Cancel the exercise \"Parcel\"?"
    pub heading: String,
    /// What will happen, a sentence a paragraph.
    pub explain: Vec<String>,
    /// Where the form posts (the same address as the first button).
    pub action: String,
    /// The first form's fields, sent again.
    pub fields: Vec<(&'static str, String)>,
    /// The button's words: "Yes, cancel the exercise".
    pub yes: String,
    /// Where "No, go back" leads.
    pub back: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    page: Page,
    c: Confirm,
}

/// The confirmation page for `user`.
pub fn ask(user: &SessionUser, c: Confirm) -> Result<Html<String>, AppError> {
    render(ConfirmPage {
        page: Page::for_user(c.heading.clone(), user),
        c,
    })
}
