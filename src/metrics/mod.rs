//! The counters behind the operator's monitoring: requests by route and
//! status with their latency, tracking events written and the size of each
//! group commit, emails sent and failed, background job runs and failures.
//! Capabilities record into them; `monitoring` serves them at `/metrics`
//! with the queue depths it reads when scraped.
//!
//! They are this process's own (each node is scraped by itself, as
//! Prometheus expects). Nothing here names a person, a practice or a
//! tracking token: routes are their patterns.

pub mod http;

use std::sync::LazyLock;

use prometheus_client::encoding::{prometheus_text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels<const N: usize> = [(&'static str, String); N];

/// A request's labels, cheap to build on the tracking hot path.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    listener: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListenerLabel {
    listener: &'static str,
}

/// Every figure, registered once per process.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Family<ListenerLabel, Histogram, fn() -> Histogram>,
    events_written: Counter,
    event_groups: Histogram,
    event_write_failures: Counter,
    emails: Family<Labels<2>, Counter>,
    job_runs: Family<Labels<1>, Counter>,
    job_failures: Family<Labels<1>, Counter>,
}

fn latency() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("safetynet");
        let m = Self {
            registry: Registry::default(),
            http_requests: Family::default(),
            http_seconds: Family::new_with_constructor(latency),
            events_written: Counter::default(),
            event_groups: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            event_write_failures: Counter::default(),
            emails: Family::default(),
            job_runs: Family::default(),
            job_failures: Family::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by listener (app or sim), route pattern and status",
            m.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by listener (app or sim)",
            m.http_seconds.clone(),
        );
        registry.register(
            "tracking_events_written",
            "Tracking events committed by this node",
            m.events_written.clone(),
        );
        registry.register(
            "tracking_group_commit_size",
            "Events committed together in one transaction",
            m.event_groups.clone(),
        );
        registry.register(
            "tracking_write_failures",
            "Groups of tracking events that could not be stored (answered 503)",
            m.event_write_failures.clone(),
        );
        registry.register(
            "emails",
            "Emails this node handed to a mail server or gave up on, by kind (exercise or system) and outcome (sent or failed)",
            m.emails.clone(),
        );
        registry.register(
            "job_runs",
            "Background job steps run, by job",
            m.job_runs.clone(),
        );
        registry.register(
            "job_failures",
            "Background job steps that failed, by job",
            m.job_failures.clone(),
        );
        Self { registry, ..m }
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// One request answered on `listener` ("app" or "sim").
pub fn request(listener: &'static str, route: String, status: u16, seconds: f64) {
    let m = &*METRICS;
    m.http_requests
        .get_or_create(&HttpLabels {
            listener,
            route,
            status,
        })
        .inc();
    m.http_seconds
        .get_or_create(&ListenerLabel { listener })
        .observe(seconds);
}

/// A group of tracking events committed together, or not.
pub fn events_written(n: usize, stored: bool) {
    let m = &*METRICS;
    if stored {
        m.events_written.inc_by(n as u64);
        m.event_groups.observe(n as f64);
    } else {
        m.event_write_failures.inc();
    }
}

/// Which emails a count is of.
#[derive(Debug, Clone, Copy)]
pub enum EmailKind {
    /// A simulated phishing email.
    Exercise,
    /// An invitation, reset link, reminder or notice from the outbox.
    System,
}

/// Emails handed to a mail server (`sent`) or given up on (`failed`).
pub fn emails(kind: EmailKind, sent: u64, failed: u64) {
    let kind = match kind {
        EmailKind::Exercise => "exercise",
        EmailKind::System => "system",
    };
    for (outcome, n) in [("sent", sent), ("failed", failed)] {
        if n > 0 {
            METRICS
                .emails
                .get_or_create(&[("kind", kind.to_string()), ("outcome", outcome.to_string())])
                .inc_by(n);
        }
    }
}

/// One step of a background job, and whether it failed.
pub fn job(name: &'static str, ok: bool) {
    let labels = [("job", name.to_string())];
    METRICS.job_runs.get_or_create(&labels).inc();
    if !ok {
        METRICS.job_failures.get_or_create(&labels).inc();
    }
}

/// Writes this process's counters in the Prometheus text format.
pub fn encode(out: &mut String) {
    prometheus_text::encode(out, &METRICS.registry).expect("writing to a String cannot fail");
}
