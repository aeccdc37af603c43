//! The practice manager's dashboard (issue 14 §5): tiles below "this week"
//! on the home page, each a figure with a server-rendered chart and the same
//! figures in a table, linking to the page behind it. The operator's page
//! for a practice shows the same tiles as aggregates, with no names and no
//! links into the practice.
//!
//! It reads every capability (culture, exercises, training, resilience), so
//! it sits in the top layer beside `home`. By job: `domain` (tiles, shares,
//! medians, group sizes), `repo` (its few aggregate queries), `culture`
//! (reports, exercises, drills, meetings), `care` (training, devices,
//! backups, plans, champions). Nothing recorded is said as such, never as 0.

mod care;
mod culture;
pub mod domain;
pub mod repo;

pub use domain::Tile;

use crate::auth::PracticeScope;
use crate::shared::AppState;
use crate::web::AppError;

/// Who is looking: the practice's manager, or the operator (aggregates only).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Manager,
    Operator,
}

/// The dashboard's tiles for the practice in `scope`, at the clock's now.
pub async fn tiles(
    state: &AppState,
    scope: &PracticeScope,
    audience: Audience,
) -> Result<Vec<Tile>, AppError> {
    let now = state.clock.now();
    let min_group = state.settings.simulation.min_group_size;
    let departments = crate::people::departments::all(&state.db, scope).await?;
    let ctx = culture::Context {
        state,
        scope,
        now,
        min_group,
        departments: &departments,
    };
    let mut tiles = vec![
        culture::reports(&ctx).await?,
        culture::exercises(&ctx).await?,
        culture::drills(&ctx).await?,
        culture::meetings(&ctx).await?,
        care::training(&ctx).await?,
        care::devices(&ctx).await?,
        care::backups(&ctx).await?,
        care::plans(&ctx).await?,
        care::champions(&ctx),
    ];
    if audience == Audience::Operator {
        for t in &mut tiles {
            t.href = None;
        }
    }
    Ok(tiles)
}
