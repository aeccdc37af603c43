//! The practice home page: what matters to the person signed in. It draws on
//! several capabilities (people, training, …), so it sits above them all.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::{PracticeScope, Role};
use crate::people::departments::{self, Department};
use crate::shared::AppState;
use crate::web::{render, AppError, Page};
use crate::with_db;

pub struct ManagerFigures {
    pub active_staff: i64,
    pub accounts: i64,
    pub invited: i64,
    pub mfa_accounts: i64,
    pub no_champion: Vec<String>,
}

/// A member of staff's own training, as the home page tells them.
struct MyTraining {
    /// Trained, by the one definition (`training::is_up_to_date`).
    up_to_date: bool,
    /// Modules their role needs that are not done this year.
    missing: usize,
    /// Assignments still open, and how many of those are overdue.
    open: usize,
    overdue: usize,
}

#[derive(Template)]
#[template(path = "people/home.html")]
struct HomePage {
    page: Page,
    practice_name: String,
    first_name: String,
    departments: Vec<Department>,
    manager: Option<ManagerFigures>,
    mfa_enabled: bool,
    /// Where the person's own training stands, for someone on the staff list.
    training: Option<MyTraining>,
    /// Share of staff trained, for the manager.
    trained_percent: Option<usize>,
    champion: bool,
    /// The manager's "this week" list (empty for everyone else).
    this_week: Vec<crate::this_week::Item>,
    /// The manager's dashboard tiles, below "this week" (empty for everyone else).
    tiles: Vec<crate::dashboard::Tile>,
    dashboard_heading: &'static str,
}

pub async fn page(
    State(state): State<AppState>,
    scope: Option<PracticeScope>,
) -> Result<Response, AppError> {
    let Some(scope) = scope else {
        return Ok(Redirect::to("/operator").into_response());
    };
    let (practice_id, user) = (scope.practice_id(), scope.user());
    let departments = departments::all(&state.db, &scope).await?;
    let practice_name = crate::people::accounts::practice_name(&state.db, practice_id).await?;
    let manager = if user.role == Role::Manager {
        let (active_staff, accounts, invited, mfa_accounts): (i64, i64, i64, i64) = with_db!(&state.db, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM staff WHERE practice_id = $1 AND active), \
                    (SELECT COUNT(*) FROM users WHERE practice_id = $1 AND active AND (password_hash IS NOT NULL OR joined_with_provider_at IS NOT NULL)), \
                    (SELECT COUNT(*) FROM users WHERE practice_id = $1 AND active AND password_hash IS NULL AND joined_with_provider_at IS NULL), \
                    (SELECT COUNT(*) FROM users WHERE practice_id = $1 AND active AND totp_secret IS NOT NULL)")
            .bind(practice_id).fetch_one(p).await)?;
        let no_champion = departments
            .iter()
            .filter(|d| d.champions.is_empty() && d.active_staff > 0)
            .map(|d| d.name.clone())
            .collect();
        Some(ManagerFigures {
            active_staff,
            accounts,
            invited,
            mfa_accounts,
            no_champion,
        })
    } else {
        None
    };
    let now = state.clock.now();
    let training = match user.staff_id {
        Some(staff_id) => {
            let open =
                crate::training::assignments::open_for(&state.db, practice_id, staff_id, now)
                    .await?;
            let standing = crate::training::standing(&state.db, practice_id, staff_id, now).await?;
            Some(MyTraining {
                up_to_date: standing.up_to_date,
                missing: standing.missing.len(),
                open: open.len(),
                overdue: open.iter().filter(|o| o.overdue).count(),
            })
        }
        None => None,
    };
    let trained_percent = if user.role == Role::Manager {
        let s = crate::training::settings::load(&state.db, practice_id).await?;
        Some(
            crate::training::compliance::summary(&state.db, practice_id, &s, now)
                .await?
                .percent(),
        )
    } else {
        None
    };
    let (this_week, tiles) = if user.role == Role::Manager {
        (
            crate::this_week::for_manager(&state, &scope, now).await?,
            crate::dashboard::tiles(&state, &scope, crate::dashboard::Audience::Manager).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let first_name = user
        .full_name
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    Ok(render(HomePage {
        page: Page::for_user(practice_name.clone(), user),
        practice_name,
        first_name,
        departments,
        manager,
        mfa_enabled: user.mfa_enabled,
        training,
        trained_percent,
        champion: user.role == Role::Champion,
        this_week,
        tiles,
        dashboard_heading: "How the practice is doing",
    })?
    .into_response())
}
