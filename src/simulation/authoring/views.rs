//! The template pages: the list with the lure library and the practice's
//! lure names, the template form (with its attachment), and the import page.

use askama::Template;
use axum::response::{IntoResponse, Response};

use super::attachments::{self, AttachmentMeta};
use super::routes::NamesForm;
use super::templates::{SimTemplate, TemplateForm, MODULES};
use crate::auth::ManagerScope;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{self, PremiseAlignment};
use crate::simulation::render;
use crate::web::{render as page_render, AppError, FieldErrors, Page};

#[derive(Template)]
#[template(path = "simulation/templates.html")]
pub struct ListPage {
    pub page: Page,
    pub templates: Vec<SimTemplate>,
    pub library: &'static [library::Lure],
    pub names: NamesForm,
    /// Whether exercise emails carry the "Report it" link.
    pub report_link: bool,
    pub errors: FieldErrors,
    /// Which form was just saved ("names", "report-link"), if any.
    pub saved: String,
}

#[derive(Template)]
#[template(path = "simulation/template_import.html")]
pub struct ImportPage {
    pub page: Page,
    pub raw: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "simulation/template_form.html")]
pub struct FormPage {
    page: Page,
    /// What an email import took out and how to keep a picture.
    pub(super) import_note: Option<String>,
    action: String,
    form: TemplateForm,
    errors: FieldErrors,
    existing: Option<TemplateId>,
    modules: [(&'static str, &'static str); 13],
    difficulty: String,
    variables: String,
    attachment: Option<AttachmentMeta>,
    /// A problem with an upload, shown beside the attachment form.
    attachment_error: Option<String>,
    allowed: &'static str,
    max_mb: usize,
}

impl FormPage {
    /// A red flag row's field name, `flag_words_2`.
    pub fn row_key(&self, field: &str, i: &usize) -> String {
        format!("{field}_{i}")
    }
    /// Where a red flag can be, in the words the form uses.
    pub fn places(&self) -> [(&'static str, &'static str); 4] {
        [
            ("body", "In the email's text"),
            ("subject", "In the subject line"),
            ("from", "In the sender's name or address"),
            ("attachment", "In the attached file's name"),
        ]
    }
}

pub fn form_page(
    scope: &ManagerScope,
    existing: Option<TemplateId>,
    form: TemplateForm,
    errors: FieldErrors,
    attachment: Option<AttachmentMeta>,
) -> FormPage {
    let difficulty = form
        .cues
        .trim()
        .parse::<u8>()
        .map(|c| {
            library::nist_difficulty(c, PremiseAlignment::from_key_or_medium(&form.premise))
                .label()
                .to_string()
        })
        .unwrap_or_default();
    FormPage {
        page: Page::for_user(
            if existing.is_some() {
                "Edit template"
            } else {
                "New template"
            },
            scope.user(),
        ),
        import_note: None,
        action: existing
            .map(|id| format!("/simulation/templates/{id}"))
            .unwrap_or_else(|| "/simulation/templates/new".into()),
        form,
        errors,
        existing,
        modules: MODULES,
        difficulty,
        variables: render::VARIABLES
            .iter()
            .map(|v| format!("{{{{ {v} }}}}"))
            .collect::<Vec<_>>()
            .join("  "),
        attachment,
        attachment_error: None,
        allowed: attachments::ALLOWED,
        max_mb: attachments::MAX_BYTES / (1024 * 1024),
    }
}

/// The edit page for a saved template, with a problem from the attachment form if there was one.
pub fn edit_response(
    scope: &ManagerScope,
    t: SimTemplate,
    attachment_error: Option<String>,
) -> Result<Response, AppError> {
    let mut page = form_page(
        scope,
        Some(t.id),
        TemplateForm::from_template(&t),
        FieldErrors::default(),
        t.attachment.clone(),
    );
    if let Some(problem) = attachment_error {
        page.errors.add("file", problem.clone());
        page.attachment_error = Some(problem);
    }
    Ok(page_render(page)?.into_response())
}
