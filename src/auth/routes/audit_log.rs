//! The practice's audit log for its manager: filtered by action, by words
//! in the person's email or the detail, and by dates, 50 entries a page.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use crate::auth::audit::Action;
use crate::auth::repo::{self, EntryQuery};
use crate::auth::views::{AuditPage, Entry};
use crate::auth::ManagerScope;
use crate::shared::AppState;
use crate::web::{render, AppError, Page};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AuditFilter {
    pub action: String,
    /// Matches the person's email or the detail text.
    pub q: String,
    /// ISO dates, inclusive.
    pub from: String,
    pub to: String,
    pub page: Option<u32>,
}

const PER_PAGE: i64 = 50;

fn parse_day(s: &str) -> Option<time::Date> {
    time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The start of a day typed as `field` (`from` or `to`), plus `days`; blank
/// is `open`. A date that does not read is an error to show, and `open`.
fn day_bound(raw: &str, field: &str, days: i64, open: i64) -> (i64, Option<String>) {
    if raw.trim().is_empty() {
        return (open, None);
    }
    match parse_day(raw) {
        Some(d) => (
            d.midnight().assume_utc().unix_timestamp() + days * 86_400,
            None,
        ),
        None => (
            open,
            Some(format!(
                "Enter the '{field}' date as year-month-day, like 2026-01-31."
            )),
        ),
    }
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(filter): Query<AuditFilter>,
) -> Result<Html<String>, AppError> {
    let (from, from_error) = day_bound(&filter.from, "from", 0, i64::MIN);
    let (to, to_error) = day_bound(&filter.to, "to", 1, i64::MAX);
    let action = Action::from_key(&filter.action)
        .map(|a| a.key())
        .unwrap_or("");
    let like = format!("%{}%", filter.q.trim().to_lowercase());
    let page_no = filter.page.unwrap_or(1).max(1);
    let query = EntryQuery {
        from,
        to,
        action,
        like: &like,
        limit: PER_PAGE + 1,
        offset: (i64::from(page_no) - 1) * PER_PAGE,
    };
    let rows = repo::entries(&state.db, scope.practice_id(), &query).await?;
    let more = rows.len() as i64 > PER_PAGE;
    let entries = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|r| Entry {
            when: crate::ukclock::format(r.at),
            who: r.actor_email.unwrap_or_else(|| "Safety Net".into()),
            action: Action::from_key(&r.action)
                .map(|a| a.label())
                .unwrap_or("Other"),
            detail: r.detail,
            ip: r.ip.unwrap_or_default(),
        })
        .collect();
    render(AuditPage {
        page: Page::for_user("Audit log", scope.user()),
        entries,
        filter,
        actions: Action::ALL.iter().map(|a| (a.key(), a.label())).collect(),
        page_no,
        more,
        error: to_error.or(from_error),
    })
}
