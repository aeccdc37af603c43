//! Talking to a webhook's receiver: checking an address a manager typed
//! (http or https, no password, and only where the outbound policy allows),
//! the HTTP client (no redirects, no proxy, every connection through the
//! policy's name lookup), posting one signed body, and explaining a failure
//! by its kind only: the receiver's own words are never shown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use url::{Host, Url};

use super::signing::{sign, SIGNATURE_HEADER};
use crate::net::outbound::{FailureKind, Policy, Resolver};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Every address the URL's host stands for, each allowed by the policy, or why Safety Net will not send there.
pub async fn allowed_addresses(policy: &Policy, url: &Url) -> Result<Vec<SocketAddr>, String> {
    let host = match url.host() {
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        Some(Host::Domain(name)) => name.to_string(),
        None => return Err("The address has no computer name in it.".into()),
    };
    policy
        .resolve(&host, url.port_or_known_default().unwrap_or(443))
        .await
        .map_err(|e| e.to_string())
}

/// Checks an address a manager typed: http or https, a host, no password in
/// it, and leading only where the outbound policy allows.
pub async fn check_url(policy: &Policy, raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter the web address of the receiving system, like https://dashboard.example.org/safety-net".into());
    }
    if raw.len() > 2000 {
        return Err("The web address must be 2,000 characters or fewer".into());
    }
    let url = Url::parse(raw)
        .map_err(|_| "Enter the full web address, starting with https://".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The web address must start with https:// (or http:// for a receiver on your own network)".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Take the user name and password out of the web address: the signature shows the receiver that the message came from Safety Net".into());
    }
    allowed_addresses(policy, &url).await?;
    Ok(url)
}

/// A client per deliverer (or test button press): reqwest's pooled
/// connections belong to the runtime that opened them. Every connection it
/// makes goes through the policy's name lookup.
pub fn http_client(policy: &Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(policy.clone())))
        .user_agent(concat!("Safety-Net-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client has a fixed, valid configuration")
}

/// One event as the receiver gets it (the module's opening shows an example).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEvent)]
pub struct Payload<'a> {
    pub event: &'a str,
    pub counted: bool,
    pub reasons: &'a str,
    pub time: String,
    pub campaign_id: i64,
    pub campaign: &'a str,
    pub recipient: Recipient<'a>,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// Lets a receiver ignore an event it already has (delivery is at least once).
    pub event_id: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookRecipient)]
pub struct Recipient<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// What the receiver said.
pub struct Answer {
    status: reqwest::StatusCode,
    location: Option<String>,
}

impl Answer {
    pub fn accepted(&self) -> bool {
        self.status.is_success()
    }

    /// Plain English, by the status alone: what the receiver sent back is never shown.
    pub fn describe(&self) -> String {
        let mut s = if self.accepted() {
            format!("The receiver answered {}", self.status)
        } else {
            format!(
                "{}: the receiver answered {}",
                FailureKind::ServerSaidNo.label(),
                self.status
            )
        };
        if self.status.is_redirection() {
            s.push_str(&format!(
                ", a redirect{}. Safety Net does not follow redirects: enter the final address",
                self.location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            ));
        }
        s.push('.');
        s
    }
}

/// Posts one signed body to an address already checked with [`allowed_addresses`].
/// `Err` is a plain-English reason nothing was answered.
pub async fn post(
    client: &reqwest::Client,
    url: &Url,
    secret: &str,
    body: Vec<u8>,
) -> Result<Answer, String> {
    let signature = sign(secret, &body);
    let resp = client
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| explain(&e, url))?;
    let status = resp.status();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Its words are not read: only the status is shown.
    Ok(Answer { status, location })
}

/// Why a request got no answer, in words a practice manager can act on
/// (which kind of failure it was; nothing the far side sent).
fn explain(e: &reqwest::Error, url: &Url) -> String {
    let place = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    };
    crate::net::outbound::http_failure(
        e,
        crate::net::outbound::HttpWords {
            who: &place,
            check: "the address",
            ask: " Is the receiving system running?",
            odd: "as a web server does",
            timeout: TIMEOUT,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
