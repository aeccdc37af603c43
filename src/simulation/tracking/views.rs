//! The simulation site's pages: the fake sign-in or document page a click
//! opens, the thank-you page a report link opens, and the teachable moment.
//! They name the practice, never Safety Net.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use super::hit::not_found;

/// A page, or the bare 404 if it cannot be drawn.
pub fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => not_found(),
    }
}

#[derive(Template)]
#[template(path = "sim/landing.html")]
pub struct LandingPage {
    pub token: String,
    pub document: bool,
}

/// The page a USB drill's file or a QR poster leads to: the drill's own debrief.
#[derive(Template)]
#[template(path = "sim/drill.html")]
pub struct DrillPage {
    pub practice: String,
    pub title: String,
    /// From our own Markdown in the drill library.
    pub body_html: String,
}

#[derive(Template)]
#[template(path = "sim/thanks.html")]
pub struct ThanksPage {
    pub practice: String,
    pub first_name: String,
    pub how_to_report: HowToReport,
}

/// How staff report a suspicious email, as the thank-you page and the
/// teachable moment say it: the way they would report a real one.
pub struct HowToReport {
    /// The "I reported a suspicious email" form on the staff app.
    pub report_form: String,
    /// The practice's exercise emails carry a "Report it" link (for a report button add-in).
    pub report_link: bool,
}

impl HowToReport {
    pub fn new(state: &super::state::SimState, campaign: &super::hit::CampaignFacts) -> Self {
        Self {
            report_form: format!(
                "{}/culture/reports/new",
                state.app.settings.public_url.trim_end_matches('/')
            ),
            report_link: campaign.report_link,
        }
    }
}

/// One red flag, numbered as its highlight is.
pub struct Flag {
    pub n: usize,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "sim/teachable.html")]
pub struct TeachablePage {
    pub practice: String,
    pub first_name: String,
    pub submitted: bool,
    pub from_line: String,
    pub subject_line: String,
    /// The attached file's name, highlighted where a red flag points at it.
    pub attachment_line: Option<String>,
    pub body_srcdoc: String,
    pub flags: Vec<Flag>,
    pub module_title: String,
    /// The module on the staff app (another host), where the person signs in to take it.
    pub module_link: String,
    pub token: String,
    pub how_to_report: HowToReport,
}

/// "Dr Amelia Jones" → "Amelia".
pub fn first_name(full: &str) -> String {
    full.trim_start_matches("Dr ")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}
