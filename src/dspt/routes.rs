//! The DSPT page (every item with its status, what Safety Net holds for it
//! and where that lives) and one item's page, where the manager names who is
//! responsible and says when an item does not apply.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::assess::{refresh_readiness, Assessed, Assessment};
use super::packs::repo as packs;
use super::repo;
use super::status::short_date;
use super::toolkit::{caf_title, Standard};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

const NOTICES: &[(&str, &str)] = &[("saved", "Saved.")];

/// A standard with its items, for the page.
pub struct Group<'a> {
    pub standard: &'a Standard,
    pub items: Vec<&'a Assessed>,
}

#[derive(Template)]
#[template(path = "dspt/overview.html")]
struct OverviewPage<'a> {
    page: Page,
    a: &'a Assessment,
    groups: Vec<Group<'a>>,
    deadline: String,
    building: bool,
}

fn groups(a: &Assessment) -> Vec<Group<'_>> {
    a.toolkit
        .standards
        .iter()
        .map(|standard| Group {
            standard,
            items: a
                .items
                .iter()
                .filter(|i| i.item.standard == standard.number)
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

/// `/dspt`: every item of the toolkit that applies, with its status.
pub async fn overview(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let now = state.clock.now();
    let a = refresh_readiness(&state.db, &scope, now).await?;
    let building = packs::building(&state.db, &scope, now).await?.is_some();
    render(OverviewPage {
        page: Page::for_user("Data Security and Protection Toolkit", scope.user()),
        deadline: short_date(a.toolkit.deadline),
        groups: groups(&a),
        building,
        a: &a,
    })
}

#[derive(Template)]
#[template(path = "dspt/item.html")]
struct ItemPage {
    page: Page,
    i: Assessed,
    caf: Vec<(String, &'static str)>,
    freshness: String,
    form: ItemForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ItemForm {
    responsible: String,
    not_applicable: String,
    reason: String,
}

async fn item_page(
    state: &AppState,
    scope: &ManagerScope,
    id: &str,
    form: Option<ItemForm>,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let a = refresh_readiness(&state.db, scope, state.clock.now()).await?;
    let i = a.item(id).ok_or(AppError::NotFound)?.clone();
    let form = form.unwrap_or_else(|| ItemForm {
        responsible: i.responsible.clone(),
        not_applicable: if i.not_applicable.is_some() {
            "yes".into()
        } else {
            String::new()
        },
        reason: i.not_applicable.clone().unwrap_or_default(),
    });
    render(ItemPage {
        page: Page::for_user(format!("{} {}", i.item.id, i.item.title), scope.user())
            .with_notice(notice),
        caf: i
            .item
            .caf
            .iter()
            .map(|c| (c.clone(), caf_title(c).unwrap_or("")))
            .collect(),
        freshness: i.item.freshness.describe(),
        i,
        form,
        errors,
    })
}

/// `/dspt/items/{item}`: one item in full.
pub async fn item(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<String>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    item_page(
        &state,
        &scope,
        &id,
        None,
        FieldErrors::default(),
        notice.say(NOTICES),
    )
    .await
}

/// Saves who is responsible for an item and whether it applies.
pub async fn save_item(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<ItemForm>,
) -> Result<Response, AppError> {
    let toolkit = super::in_use::toolkit(&state.db).await?;
    if toolkit.item(&id).is_none() {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::default();
    let responsible = form.responsible.trim().to_string();
    if responsible.chars().count() > 120 {
        errors.add("responsible", "Keep the name to 120 characters or fewer");
    }
    let reason = form.reason.trim().to_string();
    let not_applicable = (form.not_applicable == "yes").then_some(reason.as_str());
    match not_applicable {
        Some("") => errors.add(
            "reason",
            "Say why the item does not apply to the practice: the assessor will read it",
        ),
        Some(r) if r.chars().count() > 500 => {
            errors.add("reason", "Keep the reason to 500 characters or fewer")
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Ok(item_page(&state, &scope, &id, Some(form), errors, None)
            .await?
            .into_response());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    repo::save_choice(&mut tx, &scope, &id, &responsible, not_applicable, now).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::DsptChanged,
        &match not_applicable {
            Some(r) => format!("DSPT item {id}: marked not applicable ({r})"),
            None => format!("DSPT item {id}: responsible person {responsible:?}; applies"),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/dspt/items/{id}"), "saved").into_response())
}
