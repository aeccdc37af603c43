//! `/metrics` for the operator's monitoring: this process's counters
//! (`metrics`) and, read from the shared database at each scrape, the queues
//! (exercise emails due, system emails and webhook deliveries waiting) and
//! this node's database pool. On a listener of its own (`[metrics] listen`),
//! or on the app's behind `Authorization: Bearer <[metrics] token>` (a wrong
//! or missing token gets 401 and nothing else); off when neither is set.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
use sha2::{Digest, Sha256};

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::db::Pool;
use crate::shared::AppState;

type Labels = [(&'static str, String); 1];

/// The router serving `/metrics` (for either listener).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Whether `[metrics]` asks for `/metrics` on the app's own listener.
pub fn on_app_listener(state: &AppState) -> bool {
    state.settings.metrics.listen.is_none() && !state.settings.metrics.token.is_empty()
}

fn token_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as hashes, so the time taken says nothing about the token.
    Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = &state.settings.metrics.token;
    if !token.is_empty() && !token_matches(&headers, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "A metrics token is needed: Authorization: Bearer <token>\n",
        )
            .into_response();
    }
    match render(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "metrics could not be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The database could not be asked; try again.\n",
            )
                .into_response()
        }
    }
}

/// The text Prometheus scrapes: this process's counters, then the queues and
/// the pool read now (into a registry of this scrape's own, so two scrapes at
/// once cannot mix their readings).
pub async fn render(state: &AppState) -> Result<String, sqlx::Error> {
    let db = &state.db;
    let queues: Family<Labels, Gauge> = Family::default();
    for (queue, n) in [
        (
            "exercise_emails",
            crate::simulation::sending::repo::due_count(db, state.clock.now()).await?,
        ),
        ("system_emails", crate::mail::repo::waiting_count(db).await?),
        (
            "webhook_deliveries",
            crate::simulation::webhooks::backlog(db).await?,
        ),
    ] {
        queues.get_or_create(&[("queue", queue.to_string())]).set(n);
    }
    let (size, idle) = match db.pool() {
        Pool::Sqlite(p) => (p.size(), p.num_idle()),
        Pool::Postgres(p) => (p.size(), p.num_idle()),
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    let pool: Family<Labels, Gauge> = Family::default();
    pool.get_or_create(&[("state", "idle".to_string())])
        .set(idle);
    pool.get_or_create(&[("state", "in_use".to_string())])
        .set(i64::from(size).saturating_sub(idle));
    let mut now = Registry::with_prefix("safetynet");
    now.register(
        "queue_depth",
        "Work waiting in the shared database, by queue: exercise_emails (due, not yet sent), system_emails (outbox), webhook_deliveries",
        queues,
    );
    now.register(
        "db_pool_connections",
        "This node's database connections, by state (idle or in_use)",
        pool,
    );
    let mut out = String::new();
    crate::metrics::encode(&mut out);
    prometheus_text::encode(&mut out, &now).expect("writing to a String cannot fail");
    Ok(out)
}
