//! Importing GoPhish JSON on the "GoPhish API" page: templates, landing
//! pages and groups, one object or a list, as GoPhish's API or an export
//! gives them. Everything is checked first, and all of it is saved in one
//! transaction with its audit entry, or none of it.

use serde_json::Value;

use super::groups::{self, GroupIn};
use super::json::Saving;
use super::pages::{self, PageIn};
use super::templates::{self, TemplateIn};
use super::{repo, ApiError};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::PracticeScope;
use crate::shared::AppState;
use crate::simulation::authoring;

enum Item {
    Template(TemplateIn),
    Page(PageIn),
    Group(GroupIn),
}

/// What went wrong with an item, in words for the manager.
fn said(e: ApiError) -> String {
    match e {
        ApiError::Bad(m) | ApiError::Conflict(m) => m,
        other => format!("{other:?}"),
    }
}

/// Imports templates, pages and groups from GoPhish JSON. Returns what was
/// imported, in words, or what is wrong.
pub async fn import_json(
    state: &AppState,
    scope: &PracticeScope,
    ip: &str,
    text: &str,
) -> Result<String, String> {
    let value: Value = serde_json::from_str(text.trim()).map_err(|e| {
        format!("This is not GoPhish JSON ({e}). Paste what GoPhish's API returned, starting with [ or {{")
    })?;
    let items = match value {
        Value::Array(v) => v,
        v @ Value::Object(_) => vec![v],
        _ => return Err("Paste a GoPhish template, page or group, or a list of them".into()),
    };
    if items.is_empty() {
        return Err("There is nothing to import in that list".into());
    }
    let db = &state.db;
    let practice = crate::people::accounts::practice_name(db, scope.practice_id())
        .await
        .map_err(|e| e.to_string())?;
    let mut parsed = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, v) in items.into_iter().enumerate() {
        let n = i + 1;
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let err = |e: ApiError| format!("Item {n} ({name}): {}", said(e));
        let item = if v.get("targets").is_some() {
            let g: GroupIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            groups::staff_for(db, scope, &g.targets)
                .await
                .map_err(err)?;
            Item::Group(g)
        } else if v.get("subject").is_some() {
            let t: TemplateIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            templates::template_from(&t, None, &practice).map_err(err)?;
            templates::attachment_from(&t, &practice).map_err(err)?;
            Item::Template(t)
        } else if v.get("html").is_some() {
            let p: PageIn = serde_json::from_value(v).map_err(|e| format!("Item {n}: {e}"))?;
            if p.name.trim().is_empty() {
                return Err(format!("Item {n}: the page has no name"));
            }
            Item::Page(p)
        } else {
            return Err(format!(
                "Item {n} ({name}) is not a GoPhish template (with a subject), page (with html) or group (with targets)"
            ));
        };
        let name = name.trim();
        let (kind, taken) = match &item {
            Item::Template(_) => (
                "template",
                authoring::repo::name_taken(db, scope, name, None).await,
            ),
            Item::Page(_) => (
                "landing page",
                repo::page_name_taken(db, scope, name, None).await,
            ),
            Item::Group(_) => ("group", repo::group_name_taken(db, scope, name, None).await),
        };
        if taken.map_err(|e| e.to_string())? || !seen.insert((kind, name.to_string())) {
            return Err(format!(
                "Item {n}: there is already a {kind} called \"{name}\": rename one of them"
            ));
        }
        parsed.push(item);
    }
    let now = state.clock.now();
    let (mut t, mut p, mut g) = (0, 0, 0);
    let mut tx = db.begin().await.map_err(|e| e.to_string())?;
    for item in &parsed {
        let saved = match item {
            Item::Template(x) => templates::write(&mut tx, db, scope, Saving::New, x, now)
                .await
                .map(|_| t += 1),
            Item::Page(x) => pages::write(&mut tx, db, scope, Saving::New, x, now)
                .await
                .map(|_| p += 1),
            Item::Group(x) => groups::write(&mut tx, db, scope, Saving::New, x, now)
                .await
                .map(|_| g += 1),
        };
        saved.map_err(said)?;
    }
    let summary = format!("{t} templates, {p} landing pages and {g} groups");
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), ip),
        Action::TemplateChanged,
        &format!("imported from GoPhish: {summary}"),
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(summary)
}
