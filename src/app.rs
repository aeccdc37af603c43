//! Builds the two listeners from the capability modules and holds the state
//! they share.
//!
//! - the **app**: staff and admin pages, sessions, CSRF protection;
//! - the **simulation site**: tracking links and landing pages on their own
//!   port, with no app cookies and nothing that reveals Safety Net.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{header, HeaderValue};
use axum::routing::{get, on, MethodFilter};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Settings;
use crate::db::Db;
use crate::mail::smtp::Mailer;
use crate::mail::worker::Worker;
use crate::web::serve::{serve, ServeOptions};

/// The time, in whole seconds since the Unix epoch. Tests move it forward to
/// check time-outs and expiry without waiting.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn now(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.0.load(Ordering::Relaxed)
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    /// Wakes the system-email worker as soon as something is queued.
    pub outbox_wake: Arc<Notify>,
    /// Wakes the simulated-email sender when a campaign starts or resumes.
    pub sim_wake: Arc<Notify>,
    /// Stores tracking events in groups (see `simulation::events`).
    pub events: crate::simulation::events::EventWriter,
    /// Check-ins per device enrolment token (see `resilience::checkin`).
    pub checkin_limiter: Arc<crate::resilience::checkin::RateLimiter>,
    /// Recently looked-up tracking tokens (see `simulation::tracking::HitCache`).
    pub tracking_cache: Arc<crate::simulation::hits::HitCache>,
    /// Bounds the password hashing that runs at once (see `auth::password::HashGate`).
    pub hashing: Arc<crate::auth::password::HashGate>,
}

impl AppState {
    /// Starts the event writer, so it must run inside the Tokio runtime.
    pub fn new(db: Db, settings: Settings, clock: Clock) -> Self {
        let events = crate::simulation::events::EventWriter::start(db.clone());
        let hashing = Arc::new(crate::auth::password::HashGate::new(
            settings.sign_in.concurrent_hashes,
            std::time::Duration::from_secs(settings.sign_in.hash_queue_seconds),
        ));
        Self {
            db,
            settings: Arc::new(settings),
            clock,
            outbox_wake: Arc::new(Notify::new()),
            sim_wake: Arc::new(Notify::new()),
            events,
            checkin_limiter: Arc::default(),
            tracking_cache: Arc::default(),
            hashing,
        }
    }

    /// The app's address as people reach it, for links in emails.
    pub fn public_url(&self) -> &str {
        &self.settings.public_url
    }
}

/// Who may use a route. The app checks access in each handler's extractors;
/// this table lets tests walk every route and prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    SignedInOnly,
    /// Any member of the practice (manager, champion, staff).
    PracticeMember,
    PracticeManager,
    /// The practice manager or a cyber champion (resilience pages, read-only for champions).
    ManagerOrChampion,
    Operator,
    /// A script with a practice manager's API key (the GoPhish-compatible API).
    ApiKey,
}

#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// A router that remembers what it was given.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(
        mut self,
        method: &'static str,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter, h));
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("GET", MethodFilter::GET, path, access, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("POST", MethodFilter::POST, path, access, h)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("PUT", MethodFilter::PUT, path, access, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("DELETE", MethodFilter::DELETE, path, access, h)
    }

    /// A route that takes an upload larger than the default body limit.
    pub fn post_upload<H: Handler<T, AppState>, T: 'static>(
        mut self,
        path: &'static str,
        access: Access,
        limit: usize,
        h: H,
    ) -> Self {
        self.router = self.router.route(
            path,
            on(MethodFilter::POST, h).layer(DefaultBodyLimit::max(limit)),
        );
        self.table.push(RouteInfo {
            method: "POST",
            path,
            access,
        });
        self
    }
}

/// Every app route, from every module.
fn app_routes() -> Routes {
    let r = Routes::new().get("/healthz", Access::Public, healthz);
    let r = crate::auth::routes::routes(r);
    let r = crate::people::routes(r);
    let r = crate::simulation::routes(r);
    let r = crate::simulation::webhooks::routes(r);
    let r = crate::training::routes(r);
    let r = crate::resilience::routes(r);
    let r = crate::simulation::gophish::routes(r);
    r.get("/audit", Access::PracticeManager, crate::auth::audit::page)
}

/// The route table, for tests and `safetynet routes`.
pub fn route_table() -> Vec<RouteInfo> {
    app_routes().table
}

async fn healthz() -> &'static str {
    "ok"
}

/// The staff CSV upload: the 5 MB file plus the form around it.
pub const UPLOAD_BODY: usize = crate::people::csv_import::MAX_FILE_BYTES + 64 * 1024;
/// Ordinary forms are small.
const FORM_BODY: usize = 64 * 1024;

pub fn app_router(state: AppState) -> Router {
    let https = state.settings.https();
    let mut router = app_routes()
        .router
        .route("/static/{*path}", get(crate::web::assets::serve))
        .route("/assets/{*path}", get(crate::web::assets::serve_nhsuk_asset))
        .fallback(|| async { crate::web::AppError::NotFound })
        .layer(DefaultBodyLimit::max(FORM_BODY))
        // Cross-site form posts are refused (see `web::csrf`; the device check-in API,
        // authenticated by its bearer token alone, is exempt).
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::csrf::protect))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Shared reception PCs: pages with people's details must not linger in the browser cache.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if https {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router.with_state(state)
}

pub fn sim_router(state: AppState) -> Router {
    let mut router = crate::simulation::router().layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ));
    // Recipients reach the simulation site by its own address, which may be https when the app's is not.
    if state.settings.sim_public_url.starts_with("https://") {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router.with_state(state)
}

/// A running Safety Net: both listeners bound, not yet serving.
pub struct Application {
    app_listener: TcpListener,
    sim_listener: TcpListener,
    state: AppState,
    mailer: Mailer,
}

impl Application {
    pub async fn build(mut settings: Settings, db: Db, clock: Clock) -> anyhow::Result<Self> {
        let app_listener = TcpListener::bind(settings.listen).await.with_context(|| {
            format!(
                "listening on {} (is something else using that address?)",
                settings.listen
            )
        })?;
        let sim_listener = TcpListener::bind(settings.sim_listen)
            .await
            .with_context(|| {
                format!(
                    "listening on {} for the simulation site",
                    settings.sim_listen
                )
            })?;
        if settings.public_url.is_empty() {
            settings.public_url = format!("http://{}", app_listener.local_addr()?);
        }
        if settings.sim_public_url.is_empty() {
            settings.sim_public_url = format!("http://{}", sim_listener.local_addr()?);
        }
        let mailer = Mailer::from_settings(&settings.smtp, &settings.data_dir)?;
        let state = AppState::new(db, settings, clock);
        Ok(Self {
            app_listener,
            sim_listener,
            state,
            mailer,
        })
    }

    pub fn app_addr(&self) -> SocketAddr {
        self.app_listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn sim_addr(&self) -> SocketAddr {
        self.sim_listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn worker(&self) -> Worker {
        Worker::new(self.state.clone(), self.mailer.clone())
    }

    /// Serves both listeners and runs the email worker until `stop` fires.
    pub async fn run_until_stopped(
        self,
        stop: CancellationToken,
        with_worker: bool,
    ) -> anyhow::Result<()> {
        let worker = self.worker();
        // Timeouts and connection caps on both listeners (see `web::serve`).
        let fd_share = crate::web::serve::raise_fd_limit();
        let settings = &self.state.settings;
        let app_opts = ServeOptions::from_limits(&settings.limits, fd_share, None);
        // Behind a proxy every connection comes from the proxy, so no per-address cap there.
        let per_address = (!settings.trust_forwarded_for)
            .then_some(settings.limits.sim_max_connections_per_address);
        let sim_opts = ServeOptions::from_limits(&settings.limits, fd_share, per_address);
        let app = app_router(self.state.clone());
        let sim = sim_router(self.state.clone());
        let worker_task = with_worker.then(|| tokio::spawn(worker.run_until_stopped(stop.clone())));
        let sender_task = with_worker.then(|| {
            tokio::spawn(
                crate::simulation::sender::Sender::new(self.state.clone())
                    .run_until_stopped(stop.clone()),
            )
        });
        let webhook_task = with_worker.then(|| {
            tokio::spawn(
                crate::simulation::webhooks::Deliverer::new(self.state.clone())
                    .run_until_stopped(stop.clone()),
            )
        });
        let mailbox_task = with_worker.then(|| {
            tokio::spawn(crate::simulation::mailbox::run_until_stopped(
                self.state.clone(),
                stop.clone(),
            ))
        });
        let training_task = with_worker.then(|| {
            tokio::spawn(crate::training::assignments::run_until_stopped(
                self.state.clone(),
                stop.clone(),
            ))
        });
        self.state.db.start_checkpoints(stop.clone());
        crate::simulation::hits::warm_running(&self.state).await;
        let app_srv = serve(self.app_listener, app, app_opts, stop.clone());
        let sim_srv = serve(self.sim_listener, sim, sim_opts, stop.clone());
        let result = tokio::try_join!(app_srv, sim_srv);
        stop.cancel();
        for t in [
            worker_task,
            sender_task,
            webhook_task,
            mailbox_task,
            training_task,
        ]
        .into_iter()
        .flatten()
        {
            let _ = t.await;
        }
        result.context("serving HTTP")?;
        Ok(())
    }
}

/// "22 Nov 2026 14:05", in UK time (GMT or BST), as people at the practice read it.
pub fn format_time(unix: i64) -> String {
    crate::ukclock::format(unix)
}

pub fn today(clock: &Clock) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(clock.now())
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}
