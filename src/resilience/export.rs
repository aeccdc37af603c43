//! The asset register as a spreadsheet (CSV), for DSPT evidence, the ICB's GP
//! IT team or an insurer. The first columns are the import's own, in its
//! words, so the file can be edited in Excel and imported again; the columns
//! after them say where each device stands today.

use axum::extract::State;
use axum::response::Response;
use time::Date;

use super::assets::{query_assets, Bind, Row, COLUMNS};
use super::{import, rules, ViewScope};
use crate::auth::audit::{self, Action, Actor};
use crate::shared::AppState;
use crate::web::spreadsheet::Sheet;
use crate::web::{AppError, ClientIp};

/// Day/month/year, as a UK spreadsheet shows dates and the import reads them.
fn uk(d: Option<Date>) -> String {
    d.map(|d| format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()))
        .unwrap_or_default()
}

/// Every device and program of the practice, in use first, then retired.
pub async fn csv(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ViewScope,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let sql = format!(
        "SELECT {COLUMNS} FROM assets WHERE practice_id = $1 ORDER BY active DESC, name, id"
    );
    let assets = query_assets(&state.db, &sql, &[Bind::I(scope.practice_id().get())]).await?;
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
    for asset in assets {
        let row = Row::new(asset, now);
        let a = &row.asset;
        let date = |s: &Option<String>| uk(s.as_deref().and_then(rules::parse_iso));
        let in_use = match (&a.retired_on, a.active) {
            (_, true) => "Yes".to_string(),
            (Some(on), false) => format!("No, since {}", date(&Some(on.clone()))),
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
            uk(a.last_updated_at.map(rules::uk_date)),
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
