//! The practice manager's "Role curricula" page: tick the modules each job role needs.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{chosen, repo};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::training::content::catalogue;
use crate::web::{render, AppError, ClientIp, Page};

pub struct RoleRow {
    pub key: String,
    pub name: String,
    /// (slug, title, ticked) for every module in the catalogue.
    pub modules: Vec<(&'static str, String, bool)>,
}

#[derive(Template)]
#[template(path = "training/curricula.html")]
struct CurriculaPage {
    page: Page,
    roles: Vec<RoleRow>,
}

pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    let curricula = super::load(&state.db, scope.practice_id()).await?;
    let roles = catalogue()
        .roles
        .iter()
        .map(|r| RoleRow {
            key: r.key.clone(),
            name: r.name.clone(),
            modules: catalogue()
                .modules
                .iter()
                .map(|m| {
                    let on = curricula.for_role(&r.key).iter().any(|x| x == m.slug);
                    (m.slug, m.title.clone(), on)
                })
                .collect(),
        })
        .collect();
    render(CurriculaPage {
        page: Page::for_user("Role curricula", scope.user()),
        roles,
    })
}

/// Checkboxes arrive as `role=module` pairs, one per ticked box. Only roles
/// whose list changed are saved, with one audit entry naming them.
pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    axum_extra::extract::Form(fields): axum_extra::extract::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let chosen = chosen(&fields);
    let before = super::load(&state.db, scope.practice_id()).await?;
    let mut tx = state.db.begin().await?;
    let mut changed = Vec::new();
    for role in &catalogue().roles {
        let list = &chosen[role.key.as_str()];
        if before.for_role(&role.key) == list.as_slice() {
            continue;
        }
        repo::save(&mut tx, scope.practice_id(), &role.key, list).await?;
        changed.push(format!(
            "{}: {}",
            role.name,
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    if !changed.is_empty() {
        audit::record(
            &mut tx,
            Some(scope.practice_id()),
            &Actor::user(scope.user(), &ip),
            Action::TrainingChanged,
            &format!("curricula changed: {}", changed.join("; ")),
            state.clock.now(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to("/training/manage?saved=curricula").into_response())
}
