//! The page where a champion or the manager makes the stick's file or the
//! posters, and sees how often each was opened or scanned.

use askama::Template;

use super::repo::LinkRow;
use crate::culture::library::{Drill, DrillKind};
use crate::web::{FieldErrors, Page};

#[derive(Template)]
#[template(path = "culture/drill_files.html")]
pub struct FilesPage {
    pub page: Page,
    pub drill: &'static Drill,
    pub links: Vec<LinkRow>,
    pub places: Vec<String>,
    pub form: PlaceForm,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub other_place: String,
}

/// "Somewhere else" in the list of places.
pub const OTHER: &str = "other";

impl FilesPage {
    pub fn is_usb(&self) -> bool {
        self.drill.kind == DrillKind::UsbDrop
    }
    /// "file" or "poster", for buttons and headings.
    pub fn thing(&self) -> &'static str {
        if self.is_usb() {
            "file"
        } else {
            "poster"
        }
    }
    pub fn debrief_title(&self) -> String {
        self.drill
            .debrief_page
            .as_ref()
            .map(|d| d.title.clone())
            .unwrap_or_default()
    }
    pub fn debrief_html(&self) -> String {
        self.drill
            .debrief_page
            .as_ref()
            .map(|d| d.body_html())
            .unwrap_or_default()
    }
    /// "Opened 3 times, last on 4 Dec 2026 at 14:05" or "Not yet".
    pub fn visits(&self, l: &LinkRow) -> String {
        let verb = if self.is_usb() { "Opened" } else { "Scanned" };
        match (l.visits, l.last_visit_at) {
            (0, _) | (_, None) => "Not yet".into(),
            (1, Some(at)) => format!("{verb} once, on {}", crate::ukclock::format(at)),
            (n, Some(at)) => format!("{verb} {n} times, last on {}", crate::ukclock::format(at)),
        }
    }
    pub fn made(&self, l: &LinkRow) -> String {
        crate::ukclock::format_date(l.created_at)
    }
}
