//! The asset register's pages: the list (one page of the register with its
//! figures) and the form that adds, shows and changes one asset.

use askama::Template;

use super::domain::{Asset, AssetForm, AssetKind, Counts, Encryption, ManagedBy};
use crate::auth::{PracticeScope, Role};
use crate::resilience::dates::{long_date, uk_date};
use crate::resilience::ids::AssetId;
use crate::resilience::rules::{self, PatchStatus, ReviewStatus};
use crate::resilience::support_dates::table::{eol_status, EolStatus};
use crate::web::{FieldErrors, Page};

/// What the list's notice says after a change redirects to it.
pub const LIST_NOTICES: &[(&str, &str)] = &[
    ("added", "Added to the register."),
    ("saved", "Changes saved."),
    ("reviewed", "The register is marked as reviewed today."),
];

/// What an asset's page says after a change redirects to it.
pub const ASSET_NOTICES: &[(&str, &str)] = &[
    ("updated", "Recorded: updates installed today."),
    ("retired", "Marked as no longer in use."),
    ("reinstated", "Back in the register."),
];

/// The import's notice carries how many: `?done=imported-12`.
pub fn imported_notice(word: &str) -> Option<String> {
    word.strip_prefix("imported-")
        .map(|n| format!("{n} imported into the register."))
}

/// An asset with where it stands today.
pub struct Listed {
    pub asset: Asset,
    pub eol: EolStatus,
    pub patch: PatchStatus,
}

impl Listed {
    pub fn new(asset: Asset, now: i64) -> Self {
        let today = uk_date(now);
        let eol = eol_status(
            asset
                .eol_on
                .as_deref()
                .and_then(crate::resilience::dates::parse_iso),
            today,
        );
        let patch = rules::patch_status(asset.last_updated_at, now);
        Self { asset, eol, patch }
    }
    pub fn owner_location(&self) -> String {
        match (self.asset.owner.is_empty(), self.asset.location.is_empty()) {
            (false, false) => format!("{}, {}", self.asset.owner, self.asset.location),
            (false, true) => self.asset.owner.clone(),
            (true, false) => self.asset.location.clone(),
            (true, true) => String::new(),
        }
    }
    pub fn os_label(&self) -> String {
        if self.asset.os_build.is_empty() {
            self.asset.os.clone()
        } else {
            format!("{} (build {})", self.asset.os, self.asset.os_build)
        }
    }
    pub fn last_updated(&self) -> String {
        self.asset
            .last_updated_at
            .map(|t| long_date(uk_date(t)))
            .unwrap_or_else(|| "Not recorded".into())
    }
    pub fn last_checkin(&self) -> String {
        self.asset
            .last_checkin_at
            .map(crate::ukclock::format)
            .unwrap_or_else(|| "Never".into())
    }
    pub fn encryption_bad(&self) -> bool {
        self.asset.encryption == Encryption::No
    }
    pub fn eol_source_label(&self) -> String {
        match self.asset.eol_source.as_str() {
            "" => String::new(),
            "typed" => "entered by the practice".into(),
            name => format!("{name}, from the support-dates table"),
        }
    }
}

#[derive(Template)]
#[template(path = "resilience/assets.html")]
pub struct ListPage {
    pub page: Page,
    pub manager: bool,
    pub rows: Vec<Listed>,
    /// The filter's key ("" for everything in use).
    pub show: &'static str,
    pub next: Option<AssetId>,
    pub first_page: bool,
    pub counts: Counts,
    pub review: ReviewStatus,
    /// "4 Dec 2026".
    pub today: String,
}

#[derive(Template)]
#[template(path = "resilience/asset_form.html")]
pub struct FormPage {
    page: Page,
    action: String,
    form: AssetForm,
    errors: FieldErrors,
    existing: Option<Listed>,
    manager: bool,
    kinds: &'static [AssetKind],
    encryptions: &'static [Encryption],
    managers: &'static [ManagedBy],
}

impl FormPage {
    /// The form for a new asset (`existing` None) or for one already in the
    /// register, filled with `form` (as typed, when it had problems).
    pub fn new(
        scope: &PracticeScope,
        existing: Option<Listed>,
        form: AssetForm,
        errors: FieldErrors,
        notice: Option<String>,
    ) -> Self {
        let title = match &existing {
            Some(r) => r.asset.name.clone(),
            None => "Add a device or software".to_string(),
        };
        Self {
            page: Page::for_user(title, scope.user()).with_notice(notice),
            action: existing
                .as_ref()
                .map(|r| format!("/resilience/assets/{}", r.asset.id))
                .unwrap_or_else(|| "/resilience/assets/new".into()),
            form,
            errors,
            existing,
            manager: scope.role() == Role::Manager,
            kinds: AssetKind::ALL,
            encryptions: Encryption::ALL,
            managers: ManagedBy::ALL,
        }
    }
}
