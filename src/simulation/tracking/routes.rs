//! The simulation site's handlers: what a recipient's email client and
//! browser reach. Each hit is one lookup by token ([`TrackedHit`]) and one
//! event handed to the group-commit writer; the answer goes out once the
//! event is stored.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::classify::Verdict;
use super::hit::{not_found, unavailable, TrackedHit};
use super::state::SimState;
use super::teachable::teachable_moment;
use super::views::{first_name, page, DrillPage, HowToReport, LandingPage, ThanksPage};
use crate::db::Change;
use crate::simulation::authoring::{self, SimTemplate};
use crate::simulation::library::Landing;
use crate::simulation::states::Kind;

/// A 1×1 transparent GIF.
const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The email's images were loaded.
pub async fn open(State(state): State<SimState>, method: Method, t: TrackedHit) -> Response {
    // Opens face the same scanner rules as clicks, without the delivery-time wait.
    let (counted, reasons) = match t.classify(&state, &method, false) {
        Verdict::Person => (true, "counted: the email's images were loaded".to_string()),
        not => (false, not.reasons()),
    };
    if !t.store(&state, Kind::Open, counted, reasons).await {
        return unavailable();
    }
    ([(header::CONTENT_TYPE, "image/gif")], PIXEL.as_slice()).into_response()
}

async fn training_for(state: &SimState, t: &TrackedHit) -> Option<SimTemplate> {
    let c = &t.hit.campaign;
    authoring::repo::find(&state.app.db, c.practice_id, c.template_id)
        .await
        .ok()
        .flatten()
}

/// The link in the email was followed.
pub async fn click(State(state): State<SimState>, method: Method, t: TrackedHit) -> Response {
    let verdict = t.classify(&state, &method, true);
    if !t
        .store(&state, Kind::Click, verdict.counted(), verdict.reasons())
        .await
    {
        return unavailable();
    }
    if method == Method::HEAD {
        return StatusCode::OK.into_response();
    }
    match t.hit.campaign.landing {
        Landing::Teachable => {
            let Some(template) = training_for(&state, &t).await else {
                return not_found();
            };
            teachable_moment(&state, &t.hit, &template, &t.token, false)
        }
        landing => page(LandingPage {
            token: t.token,
            document: landing == Landing::Document,
        }),
    }
}

/// A form on a landing page was submitted. Only the fact and the field
/// names are kept, and names only from what a browser's form sends
/// (form-encoded or multipart): the values are never read into anything
/// that is stored, and any other body (JSON, text) gives no names at all,
/// since a script can put anything it likes in them.
pub async fn submit(
    State(state): State<SimState>,
    headers: HeaderMap,
    t: TrackedHit,
    req: Request,
) -> Response {
    let mut fields = form_field_names(&state, &headers, req).await;
    fields.sort();
    fields.dedup();
    fields.truncate(20);
    let Some(template) = training_for(&state, &t).await else {
        return not_found();
    };
    let reasons = format!(
        "counted: details were entered (fields: {}); what was typed was not kept",
        if fields.is_empty() {
            "none".into()
        } else {
            fields.join(", ")
        }
    );
    if !t.store(&state, Kind::Submit, true, reasons).await {
        return unavailable();
    }
    teachable_moment(&state, &t.hit, &template, &t.token, true)
}

/// The names of a browser form's fields, cleaned; nothing for any other body.
async fn form_field_names(state: &SimState, headers: &HeaderMap, req: Request) -> Vec<String> {
    let clean = |k: &str| -> Option<String> {
        let k: String = k
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .take(40)
            .collect();
        (!k.is_empty()).then_some(k)
    };
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match kind.as_str() {
        "application/x-www-form-urlencoded" => {
            let Ok(body) = axum::body::to_bytes(req.into_body(), SUBMIT_BODY).await else {
                return Vec::new();
            };
            url::form_urlencoded::parse(&body)
                .filter_map(|(k, _)| clean(&k))
                .collect()
        }
        "multipart/form-data" => {
            let Ok(mut parts) = Multipart::from_request(req, state).await else {
                return Vec::new();
            };
            let mut names = Vec::new();
            // Each part's contents are skipped unread.
            while let Ok(Some(part)) = parts.next_field().await {
                if let Some(n) = part.name().and_then(clean) {
                    names.push(n);
                }
                if names.len() >= 40 {
                    break;
                }
            }
            names
        }
        _ => Vec::new(),
    }
}

/// Landing-page forms are small; anything bigger is cut off, not read.
const SUBMIT_BODY: usize = 16 * 1024;

/// The landing page's script ran, so a real browser is here: count the click.
pub async fn beacon(State(state): State<SimState>, t: TrackedHit) -> Response {
    let reasons = "counted: confirmed by a real browser (the page's script ran)";
    if !t.store(&state, Kind::Click, true, reasons.into()).await {
        return unavailable();
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The hidden link no person can see was followed: a scanner.
pub async fn honeypot(State(state): State<SimState>, t: TrackedHit) -> Response {
    let reasons = "not counted: a hidden link no person can see was followed (a scanner)";
    let first = t.hit.progress.after(Kind::Honeypot, false) != t.hit.progress;
    let campaign = t.hit.campaign.id;
    if t.store(&state, Kind::Honeypot, false, reasons.into()).await && first {
        // Every node's index learns it, so a click that follows on any node counts as a scanner's.
        if let Err(e) = state.app.db.announce(Change::Campaign(campaign)).await {
            tracing::warn!(error = ?e, "telling other nodes of a hidden-link hit failed");
        }
    }
    not_found()
}

/// The report link in the email, or a mail client's report button (POST).
pub async fn report(State(state): State<SimState>, method: Method, t: TrackedHit) -> Response {
    let reasons = "counted: reported with the link in the email";
    if !t.store(&state, Kind::Report, true, reasons.into()).await {
        return unavailable();
    }
    if method == Method::POST {
        // For report buttons in mail clients.
        return (
            StatusCode::NO_CONTENT,
            [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        )
            .into_response();
    }
    page(ThanksPage {
        practice: t.hit.campaign.practice_name.clone(),
        first_name: first_name(&t.hit.full_name),
        how_to_report: HowToReport::new(&state, &t.hit.campaign),
    })
}

/// The landing pages' stylesheet and beacon script. (axum's `Path`: a bad
/// name gets the bare 404, never the app's page.)
#[allow(clippy::disallowed_types)]
pub async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match file.as_str() {
        "site.css" => (
            [(header::CONTENT_TYPE, "text/css")],
            include_str!("../../../static/sim/site.css"),
        )
            .into_response(),
        "b.js" => (
            [(header::CONTENT_TYPE, "text/javascript")],
            include_str!("../../../static/sim/b.js"),
        )
            .into_response(),
        _ => not_found(),
    }
}

/// A USB drill's file was opened and its link followed, or a QR poster was
/// scanned: one more visit for that file or poster (nothing about who), then
/// the drill's debrief. A HEAD request (a link checker) is not counted.
/// (axum's `Path`: anything wrong gets the bare 404, never the app's page.)
#[allow(clippy::disallowed_types)]
pub async fn drill(
    State(state): State<SimState>,
    method: Method,
    token: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    use crate::culture::drills::files;
    let Ok(axum::extract::Path(token)) = token else {
        return not_found();
    };
    if !files::looks_like_token(&token) {
        return not_found();
    }
    let db = &state.app.db;
    let visited = if method == Method::HEAD {
        files::repo::owner(db, &token).await
    } else {
        files::visit(db, &token, state.app.clock.now()).await
    };
    let v = match visited {
        Ok(Some(v)) => v,
        Ok(None) => return not_found(),
        Err(_) => return unavailable(),
    };
    let Some(debrief) =
        crate::culture::library::drill(&v.drill_id).and_then(|d| d.debrief_page.as_ref())
    else {
        return not_found();
    };
    let Ok(practice) = crate::people::accounts::practice_name(db, v.practice_id).await else {
        return unavailable();
    };
    page(DrillPage {
        practice,
        title: debrief.title.clone(),
        body_html: debrief.body_html(),
    })
}
