//! The asset register as a spreadsheet (CSV), for DSPT evidence, the ICB's GP
//! IT team or an insurer. The first columns are the import's own, in its
//! words, so the file can be edited in Excel and imported again; the columns
//! after them say where each device stands today.

use axum::extract::State;
use axum::response::Response;

use super::repo;
use super::views::Listed;
use crate::auth::audit::{self, Action, Actor};
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::resilience::dates::{numeric, parse_iso, uk_date};
use crate::resilience::{import, ViewScope};
use crate::shared::AppState;
use crate::web::spreadsheet::Sheet;
use crate::web::{AppError, ClientIp};

/// Every device and program of the practice, in use first, then retired.
pub async fn csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ViewScope,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let (sheet, count) = sheet(&state.db, &scope, now).await?;
    // A download changes nothing else, so its entry stands alone.
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AssetsExported,
        &format!("{count} devices and programs"),
        now,
    )
    .await?;
    sheet.download("asset-register.csv")
}

/// The register as a spreadsheet at `now` (also for the DSPT evidence pack),
/// and how many devices and programs it lists.
pub async fn sheet(db: &Db, scope: &PracticeScope, now: i64) -> Result<(Sheet, usize), AppError> {
    let assets = repo::all(db, scope).await?;
    let mut header: Vec<&str> = import::EXAMPLE_HEADER.split(',').collect();
    header.extend([
        "Hostname",
        "Build",
        "Support",
        "Updates",
        "Last check-in",
        "Notes",
        "In use",
    ]);
    let mut sheet = Sheet::new(&header)?;
    let count = assets.len();
    let date = |s: &Option<String>| {
        s.as_deref()
            .and_then(parse_iso)
            .map(numeric)
            .unwrap_or_default()
    };
    for asset in assets {
        let row = Listed::new(asset, now);
        let a = &row.asset;
        let in_use = match (&a.retired_on, a.active) {
            (_, true) => "Yes".to_string(),
            (Some(_), false) => format!("No, since {}", date(&a.retired_on)),
            (None, false) => "No".to_string(),
        };
        sheet.row([
            a.name.clone(),
            a.kind.as_str().to_string(),
            a.make_model.clone(),
            a.os.clone(),
            a.owner.clone(),
            a.location.clone(),
            a.encryption.label().to_string(),
            a.managed_by.label().to_string(),
            date(&a.supported_until),
            a.last_updated_at
                .map(|t| numeric(uk_date(t)))
                .unwrap_or_default(),
            a.serial.clone().unwrap_or_default(),
            a.hostname.clone().unwrap_or_default(),
            a.os_build.clone(),
            row.eol.explain(),
            row.patch.tag().to_string(),
            a.last_checkin_at
                .map(crate::ukclock::format)
                .unwrap_or_default(),
            a.notes.clone(),
            in_use,
        ])?;
    }
    Ok((sheet, count))
}
