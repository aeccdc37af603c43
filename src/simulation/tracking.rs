//! The simulation site: what a recipient's email client and browser reach.
//! Each hit is one indexed lookup by token and one event handed to the
//! group-commit writer; the answer goes out once the event is stored.
//! Unknown tokens get a bare 404 that names nothing.

// axum's own `Path`, not `web::Path`: whatever goes wrong here must answer
// the bare 404 (or 400), never the app's page, which would name Safety Net.
#![allow(clippy::disallowed_types)]

use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;

use super::events::{Kind, NewEvent};
use super::hits::{lookup, Hit};
use super::library::{FlagPlace, Landing};
use super::render::{self, html_escape, Vars};
use super::site::SimState;
use super::templates;

pub fn router() -> Router<SimState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /\n" }))
        .route("/o/{token}", get(open))
        .route("/c/{token}", get(click).post(submit))
        .route("/b/{token}", axum::routing::post(beacon))
        .route("/h/{token}", get(honeypot))
        .route("/r/{token}", get(report).post(report))
        .route("/s/{file}", get(asset))
        .fallback(|| async { not_found() })
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer")))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store")))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

/// A 1×1 transparent GIF.
const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

struct Client {
    ip: String,
    ua: String,
}

fn client(state: &SimState, headers: &HeaderMap, addr: SocketAddr) -> Client {
    // The trusted proxy's entry, never the client's own (see `net::forwarded`).
    let ip = crate::net::forwarded::client_ip(&state.app.settings, headers, Some(addr))
        .unwrap_or(addr.ip());
    Client {
        ip: ip.to_string(),
        ua: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(400)
            .collect(),
    }
}

/// Browser names that email-security scanners and link previewers use.
const SCANNER_AGENTS: [&str; 22] = [
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "safelinks",
    "microsoft office",
    "ms-office",
    "python",
    "curl",
    "wget",
    "go-http-client",
    "java/",
    "okhttp",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "forcepoint",
    "zscaler",
    "headless",
    "libwww",
];

/// What the practice has configured about scanners (see `[simulation]` settings).
pub struct ScannerRules<'a> {
    pub too_soon_secs: i64,
    pub extra_agents: &'a [String],
    pub networks: &'a [String],
}

impl ScannerRules<'_> {
    pub const DEFAULT: ScannerRules<'static> = ScannerRules {
        too_soon_secs: 10,
        extra_agents: &[],
        networks: &[],
    };

    fn in_scanner_network(&self, ip: &str) -> Option<&str> {
        let ip: std::net::IpAddr = ip.parse().ok()?;
        self.networks
            .iter()
            .find(|n| n.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&ip)))
            .map(String::as_str)
    }
}

/// Decides whether a hit was a person, and says why.
pub fn classify(
    method: &Method,
    ua: &str,
    ip: &str,
    sent_at: Option<i64>,
    now: i64,
    honeypot_seen: bool,
    rules: &ScannerRules<'_>,
) -> (bool, String) {
    let lower = ua.to_ascii_lowercase();
    if let Some(net) = rules.in_scanner_network(ip) {
        return (
            false,
            format!("not counted: from {net}, a network set as your email scanner's"),
        );
    }
    if let Some(a) = rules
        .extra_agents
        .iter()
        .find(|a| !a.is_empty() && lower.contains(&a.to_ascii_lowercase()))
    {
        return (
            false,
            format!("not counted: the browser name matches a scanner you listed (\"{a}\")"),
        );
    }
    if method == Method::HEAD {
        return (
            false,
            "not counted: a HEAD request (link checkers look before they fetch; browsers do not)"
                .into(),
        );
    }
    if lower.is_empty() {
        return (
            false,
            "not counted: no browser name was sent (automated software)".into(),
        );
    }
    if let Some(s) = SCANNER_AGENTS.iter().find(|s| lower.contains(*s)) {
        return (
            false,
            format!("not counted: the browser name looks like an email scanner (\"{s}\")"),
        );
    }
    if honeypot_seen {
        return (
            false,
            "not counted: the same email's hidden link, which no person can see, was followed too"
                .into(),
        );
    }
    if let Some(sent) = sent_at {
        if now - sent < rules.too_soon_secs {
            return (
                false,
                format!("not counted yet: {} seconds after delivery is too fast for a person; counted if the page confirms a real browser", now - sent),
            );
        }
    }
    (true, "counted: an ordinary browser".into())
}

async fn store(
    state: &SimState,
    token: &str,
    hit: &Hit,
    kind: Kind,
    counted: bool,
    reasons: String,
    c: &Client,
) -> bool {
    let now = state.app.clock.now();
    if !hit.campaign.live(now) {
        return true;
    }
    let stored = state
        .events
        .record(NewEvent {
            recipient_id: hit.recipient_id,
            campaign_id: hit.campaign.id,
            practice_id: hit.campaign.practice_id,
            staff_id: hit.staff_id,
            kind,
            counted,
            reasons,
            at: now,
            ip: c.ip.clone(),
            user_agent: c.ua.clone(),
            training_module: hit.campaign.training_module.clone(),
            campaign_name: hit.campaign.name.clone(),
            already: hit.already,
        })
        .await;
    if stored {
        state.hits.stored(token, kind, counted);
    }
    stored
}

/// The recipient behind a token, or the answer to give instead: the bare
/// 404 for an unknown token, 503 when the database could not be asked (a
/// mail client or scanner tries again later; a 404 would be wrong and silent).
async fn found(state: &SimState, token: &str) -> Result<std::sync::Arc<Hit>, Response> {
    match lookup(state, token).await {
        Ok(Some(hit)) => Ok(hit),
        Ok(None) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = ?e, "tracking lookup failed");
            Err(unavailable())
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again in a moment.",
    )
        .into_response()
}

async fn open(
    State(state): State<SimState>,
    method: Method,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let c = client(&state, &headers, addr);
    // Opens face the same scanner rules as clicks, without the delivery-time wait.
    let (counted, reasons) = match classify(
        &method,
        &c.ua,
        &c.ip,
        None,
        0,
        false,
        &scanner_rules(&state),
    ) {
        (true, _) => (true, "counted: the email's images were loaded".to_string()),
        (false, why) => (false, why),
    };
    if !store(&state, &token, &hit, Kind::Open, counted, reasons, &c).await {
        return unavailable();
    }
    ([(header::CONTENT_TYPE, "image/gif")], PIXEL.as_slice()).into_response()
}

fn scanner_rules(state: &SimState) -> ScannerRules<'_> {
    let sim = &state.app.settings.simulation;
    ScannerRules {
        too_soon_secs: sim.too_soon_seconds,
        extra_agents: &sim.scanner_user_agents,
        networks: &sim.scanner_networks,
    }
}

async fn training_for(state: &SimState, hit: &Hit) -> Option<templates::SimTemplate> {
    templates::find_in_practice(
        &state.app.db,
        hit.campaign.practice_id,
        hit.campaign.template_id,
    )
    .await
    .ok()
    .flatten()
}

async fn click(
    State(state): State<SimState>,
    method: Method,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let c = client(&state, &headers, addr);
    let rules = scanner_rules(&state);
    let (counted, reasons) = classify(
        &method,
        &c.ua,
        &c.ip,
        hit.sent_at,
        state.app.clock.now(),
        hit.honeypot_seen,
        &rules,
    );
    if !store(&state, &token, &hit, Kind::Click, counted, reasons, &c).await {
        return unavailable();
    }
    if method == Method::HEAD {
        return StatusCode::OK.into_response();
    }
    match hit.campaign.landing {
        Landing::Teachable => {
            let Some(t) = training_for(&state, &hit).await else {
                return not_found();
            };
            teachable_moment(&state, &hit, &t, &token, false).await
        }
        landing => page(LandingPage {
            token,
            document: landing == Landing::Document,
        }),
    }
}

/// A form on a landing page was submitted. Only the fact and the field
/// names are kept, and names only from what a browser's form sends
/// (form-encoded or multipart): the values are never read into anything
/// that is stored, and any other body (JSON, text) gives no names at all,
/// since a script can put anything it likes in them.
async fn submit(
    State(state): State<SimState>,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let mut fields = form_field_names(&state, &headers, req).await;
    fields.sort();
    fields.dedup();
    fields.truncate(20);
    let c = client(&state, &headers, addr);
    let Some(t) = training_for(&state, &hit).await else {
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
    if !store(&state, &token, &hit, Kind::Submit, true, reasons, &c).await {
        return unavailable();
    }
    teachable_moment(&state, &hit, &t, &token, true).await
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
async fn beacon(
    State(state): State<SimState>,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let c = client(&state, &headers, addr);
    if !store(
        &state,
        &token,
        &hit,
        Kind::Click,
        true,
        "counted: confirmed by a real browser (the page's script ran)".into(),
        &c,
    )
    .await
    {
        return unavailable();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn honeypot(
    State(state): State<SimState>,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let c = client(&state, &headers, addr);
    store(
        &state,
        &token,
        &hit,
        Kind::Honeypot,
        false,
        "not counted: a hidden link no person can see was followed (a scanner)".into(),
        &c,
    )
    .await;
    not_found()
}

async fn report(
    State(state): State<SimState>,
    method: Method,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
) -> Response {
    let hit = match found(&state, &token).await {
        Ok(hit) => hit,
        Err(answer) => return answer,
    };
    let c = client(&state, &headers, addr);
    if !store(
        &state,
        &token,
        &hit,
        Kind::Report,
        true,
        "counted: reported with the link in the email".into(),
        &c,
    )
    .await
    {
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
    let practice = hit.campaign.practice_name.clone();
    page(ThanksPage {
        practice,
        first_name: first_name(&hit.full_name),
    })
}

async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "site.css" => (
            [(header::CONTENT_TYPE, "text/css")],
            include_str!("../../static/sim/site.css"),
        )
            .into_response(),
        "b.js" => (
            [(header::CONTENT_TYPE, "text/javascript")],
            include_str!("../../static/sim/b.js"),
        )
            .into_response(),
        _ => not_found(),
    }
}

fn first_name(full: &str) -> String {
    full.trim_start_matches("Dr ")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
}

fn page(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => not_found(),
    }
}

#[derive(Template)]
#[template(path = "sim/landing.html")]
struct LandingPage {
    token: String,
    document: bool,
}

#[derive(Template)]
#[template(path = "sim/thanks.html")]
struct ThanksPage {
    practice: String,
    first_name: String,
}

pub struct Flag {
    pub n: usize,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "sim/teachable.html")]
struct TeachablePage {
    practice: String,
    first_name: String,
    submitted: bool,
    from_line: String,
    subject_line: String,
    /// The attached file's name, highlighted where a red flag points at it.
    attachment_line: Option<String>,
    body_srcdoc: String,
    flags: Vec<Flag>,
    module_title: String,
    /// The module on the staff app (another host), where the person signs in to take it.
    module_link: String,
    token: String,
}

/// Wraps each occurrence of `marker` in text (not inside tags) with a numbered highlight.
fn highlight_html(html: &str, marker: &str, n: usize) -> String {
    let escaped = html_escape(marker);
    let mut out = String::with_capacity(html.len() + 64);
    let mut in_tag = false;
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < html.len() {
        let c = bytes[i];
        if c == b'<' {
            in_tag = true;
        } else if c == b'>' {
            in_tag = false;
        }
        if !in_tag {
            for m in [escaped.as_str(), marker] {
                if !m.is_empty() && html[i..].starts_with(m) {
                    out.push_str(&format!(
                        r#"<mark title="Red flag {n}">{m}<sup>{n}</sup></mark>"#
                    ));
                    i += m.len();
                    break;
                }
            }
            if i < html.len() && (bytes[i] == b'<') {
                in_tag = true;
            }
        }
        if i < html.len() {
            let ch = html[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn highlight_text(text: &str, marker: &str, n: usize) -> String {
    let escaped = html_escape(text);
    let m = html_escape(marker);
    if m.is_empty() {
        return escaped;
    }
    escaped.replace(
        &m,
        &format!(r#"<mark title="Red flag {n}">{m}<sup>{n}</sup></mark>"#),
    )
}

/// The kind lesson: the exact email this person received, its red flags
/// highlighted and explained, and the short training they have been given.
async fn teachable_moment(
    state: &SimState,
    hit: &Hit,
    t: &templates::SimTemplate,
    token: &str,
    submitted: bool,
) -> Response {
    let practice = hit.campaign.practice_name.clone();
    let mut vars = Vars::sample(&practice);
    vars.first_name = first_name(&hit.full_name);
    vars.last_name = hit.full_name.rsplit(' ').next().unwrap_or("").to_string();
    vars.email = hit.email.clone();
    vars.job_role = hit.job_role.clone();
    let Ok(r) = render::render(&t.content, &vars) else {
        return not_found();
    };
    let mut from_line = html_escape(&format!("{} <{}>", r.from_name, t.content.from_address));
    let mut subject_line = html_escape(&r.subject);
    let mut body = r.html;
    let mut attachment_line = t.attachment.as_ref().map(|a| html_escape(&a.file_name));
    for (i, f) in t.red_flags.iter().enumerate() {
        let n = i + 1;
        match f.r#where {
            FlagPlace::From => {
                from_line = highlight_text(
                    &format!("{} <{}>", r.from_name, t.content.from_address),
                    &f.marker,
                    n,
                )
            }
            FlagPlace::Subject => subject_line = highlight_text(&r.subject, &f.marker, n),
            FlagPlace::Body => body = highlight_html(&body, &f.marker, n),
            FlagPlace::Attachment => {
                if let Some(a) = &t.attachment {
                    attachment_line = Some(highlight_text(&a.file_name, &f.marker, n));
                }
            }
        }
    }
    let style = "<style>mark{background:#ffeb3b;outline:2px solid #d5281b;padding:0 2px}mark sup{font-weight:bold;color:#d5281b}</style>";
    page(TeachablePage {
        practice,
        first_name: first_name(&hit.full_name),
        submitted,
        from_line,
        subject_line,
        attachment_line,
        body_srcdoc: format!("{style}{body}"),
        flags: t
            .red_flags
            .iter()
            .enumerate()
            .map(|(i, f)| Flag {
                n: i + 1,
                explanation: f.explanation.clone(),
            })
            .collect(),
        module_title: templates::module_title(&t.training_module).to_string(),
        module_link: format!(
            "{}/training/modules/{}",
            state.app.settings.public_url.trim_end_matches('/'),
            t.training_module
        ),
        token: token.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_requests_scanners_and_instant_clicks_are_not_people() {
        let now = 1_000_000;
        assert!(
            !classify(
                &Method::HEAD,
                "Mozilla/5.0",
                "10.0.0.1",
                Some(now - 600),
                now,
                false,
                &ScannerRules::DEFAULT
            )
            .0
        );
        assert!(
            !classify(
                &Method::GET,
                "Mozilla/5.0 (compatible; SafeLinks)",
                "10.0.0.1",
                Some(now - 600),
                now,
                false,
                &ScannerRules::DEFAULT
            )
            .0
        );
        assert!(
            !classify(
                &Method::GET,
                "",
                "10.0.0.1",
                Some(now - 600),
                now,
                false,
                &ScannerRules::DEFAULT
            )
            .0
        );
        assert!(
            !classify(
                &Method::GET,
                "Mozilla/5.0 (Windows NT 10.0)",
                "10.0.0.1",
                Some(now - 2),
                now,
                false,
                &ScannerRules::DEFAULT
            )
            .0
        );
        assert!(
            !classify(
                &Method::GET,
                "Mozilla/5.0 (Windows NT 10.0)",
                "10.0.0.1",
                Some(now - 600),
                now,
                true,
                &ScannerRules::DEFAULT
            )
            .0
        );
        let (ok, why) = classify(
            &Method::GET,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120",
            "10.0.0.1",
            Some(now - 600),
            now,
            false,
            &ScannerRules::DEFAULT,
        );
        assert!(ok, "{why}");
    }

    #[test]
    fn configured_scanner_networks_and_names_are_not_people() {
        let now = 1_000_000;
        let nets = vec!["40.94.0.0/16".to_string()];
        let agents = vec!["AcmeMailGuard".to_string()];
        let rules = ScannerRules {
            too_soon_secs: 10,
            extra_agents: &agents,
            networks: &nets,
        };
        let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120";
        assert!(
            !classify(
                &Method::GET,
                browser,
                "40.94.12.3",
                Some(now - 600),
                now,
                false,
                &rules
            )
            .0
        );
        assert!(
            classify(
                &Method::GET,
                browser,
                "40.95.12.3",
                Some(now - 600),
                now,
                false,
                &rules
            )
            .0
        );
        assert!(
            !classify(
                &Method::GET,
                "Mozilla/5.0 acmemailguard/2",
                "10.0.0.1",
                Some(now - 600),
                now,
                false,
                &rules
            )
            .0
        );
    }

    #[test]
    fn markers_are_highlighted_in_text_but_not_inside_tags() {
        let html = r#"<a href="https://nhs-mail.example/x">Visit nhs-mail.example now</a>"#;
        let out = highlight_html(html, "nhs-mail.example", 1);
        assert!(
            out.starts_with(r#"<a href="https://nhs-mail.example/x">"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"Visit <mark title="Red flag 1">nhs-mail.example<sup>1</sup></mark> now"#
            ),
            "{out}"
        );
    }
}
