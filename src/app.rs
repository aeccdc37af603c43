//! The top: builds the two listeners from the capability modules and starts
//! the background workers. Nothing below imports it; the state they share is
//! `shared::AppState`, the route table is `web::routes`.
//!
//! - the **app**: staff and admin pages, sessions, CSRF protection;
//! - the **simulation site**: tracking links and landing pages on their own
//!   port, with no app cookies and nothing that reveals Safety Net.

use std::net::SocketAddr;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::db::Db;
use crate::mail::smtp::Mailer;
use crate::mail::worker::Worker;
use crate::shared::{AppState, Clock};
use crate::simulation::tracking::SimState;
use crate::web::routes::{Access, RouteInfo, Routes};
use crate::web::serve::{serve, ServeOptions};

/// Every app route, from every module.
fn app_routes() -> Routes {
    let r = Routes::new().get("/healthz", Access::Public, healthz);
    let r = r.get(
        crate::api_docs::PATH,
        Access::Public,
        crate::api_docs::serve,
    );
    let r = crate::auth::routes::routes(r);
    let r = r.get("/", Access::SignedInOnly, crate::home::page);
    let r = crate::people::routes(r);
    let r = crate::simulation::routes(r);
    let r = crate::simulation::webhooks::routes(r);
    let r = crate::training::routes(r);
    let r = crate::resilience::routes(r);
    let r = crate::simulation::gophish::routes(r);
    let r = crate::culture::routes(r);
    crate::dspt::routes(r)
}

/// The route table, for tests and `safetynet routes`.
pub fn route_table() -> Vec<RouteInfo> {
    app_routes().into_parts().1
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ordinary forms are small.
const FORM_BODY: usize = 64 * 1024;

/// Every request runs in a span naming its method and matched route (the
/// route's pattern, `/c/{token}`, never the address itself, so no tracking
/// token or link secret reaches the log), so a failure logged while it is
/// answered, or TraceLayer's own line for a 5xx answer, says where it
/// happened.
///
/// Every request is also counted and timed for `/metrics` (see `metrics::http`).
fn traced<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    listener: &'static str,
) -> Router<S> {
    router
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::metrics::http::observe(listener, req, next)
        }))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(none)", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
}

pub fn app_router(state: AppState) -> Router {
    let https = state.settings.https();
    let router = app_routes()
        .into_parts()
        .0
        .route("/static/{*path}", get(crate::web::assets::serve))
        .route(
            "/assets/{*path}",
            get(crate::web::assets::serve_nhsuk_asset),
        )
        .fallback(|| async { crate::web::AppError::NotFound });
    let mut router = traced(router, "app")
        .layer(DefaultBodyLimit::max(FORM_BODY))
        // Cross-site form posts are refused (see `web::csrf`; the device check-in API,
        // authenticated by its bearer token alone, is exempt).
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::csrf::protect))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::error::with_navigation))
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
    let metrics = crate::monitoring::on_app_listener(&state);
    let router = router.with_state(state.clone());
    if metrics {
        // Outside the app's layers: a scraper has no session, cookie or CSRF token.
        router.merge(crate::monitoring::router(state))
    } else {
        router
    }
}

pub fn sim_router(state: SimState) -> Router {
    let mut router = traced(crate::simulation::tracking::router(), "sim").layer(
        SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    );
    // Recipients reach the simulation site by its own address, which may be https when the app's is not.
    if state.app.settings.sim_public_url.starts_with("https://") {
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
    sim: SimState,
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
        let sim = SimState::start(state.clone());
        Ok(Self {
            app_listener,
            sim_listener,
            state,
            sim,
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
        let sim = sim_router(self.sim.clone());
        let worker_task = with_worker.then(|| tokio::spawn(worker.run_until_stopped(stop.clone())));
        let sender_task = with_worker.then(|| {
            tokio::spawn(
                crate::simulation::sending::Sender::new(self.state.clone())
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
            tokio::spawn(crate::simulation::reporting::worker::run_until_stopped(
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
        let dspt_task = with_worker.then(|| {
            tokio::spawn(crate::dspt::worker::run_until_stopped(
                self.state.clone(),
                stop.clone(),
            ))
        });
        self.state.db.start_checkpoints(stop.clone());
        self.state.db.listen_to_other_nodes(stop.clone());
        crate::simulation::tracking::warm_running(&self.sim).await;
        let metrics_srv = async {
            match settings.metrics.listen {
                Some(addr) => {
                    let listener = TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding the metrics listener on {addr}"))?;
                    let router = crate::monitoring::router(self.state.clone());
                    serve(listener, router, app_opts.clone(), stop.clone())
                        .await
                        .context("serving metrics")
                }
                None => Ok(()),
            }
        };
        let app_srv = serve(self.app_listener, app, app_opts.clone(), stop.clone());
        let sim_srv = serve(self.sim_listener, sim, sim_opts, stop.clone());
        let result = tokio::try_join!(
            async { app_srv.await.context("serving HTTP") },
            async { sim_srv.await.context("serving HTTP") },
            metrics_srv
        );
        stop.cancel();
        for t in [
            worker_task,
            sender_task,
            webhook_task,
            mailbox_task,
            training_task,
            dspt_task,
        ]
        .into_iter()
        .flatten()
        {
            let _ = t.await;
        }
        result?;
        Ok(())
    }
}
