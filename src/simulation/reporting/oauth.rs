//! Getting the reporting mailbox's OAuth2 access tokens from the mail
//! provider's token service (Microsoft Entra ID for Microsoft 365 and
//! NHSmail), so a mailbox keeps working after the hour an access token
//! lasts. Two ways: a refresh token (someone signed in once as the mailbox,
//! with offline access) or an app registration (client credentials).
//!
//! This file knows HTTP and the token service's answers, nothing about the
//! database: `worker` keeps the tokens in it. Like the mail server's, the
//! token service's own words are never shown; only the standard OAuth2
//! error code (`invalid_grant`, …) is named, with what it means.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::net::outbound::{classify, FailureKind, Policy, Resolver};

/// Microsoft 365's scope for reading a mailbox over IMAP as a signed-in
/// account, with a refresh token.
pub const M365_DELEGATED_SCOPE: &str =
    "https://outlook.office365.com/IMAP.AccessAsUser.All offline_access";
/// Microsoft 365's scope for an app registration (client credentials).
pub const M365_APP_SCOPE: &str = "https://outlook.office365.com/.default";

const TIMEOUT: Duration = Duration::from_secs(20);
/// A token service's answer is small; anything bigger is not one.
const MAX_ANSWER: usize = 256 * 1024;

/// The token service and the app registration Safety Net asks it as.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub token_url: String,
    pub client_id: String,
    /// None for a public client (no secret).
    #[serde(default)]
    pub client_secret: Option<String>,
    pub scope: String,
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// The sign-in page (authorisation endpoint), for "Sign in as the mailbox".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .field("client_auth", &self.client_auth)
            .field("authorize_url", &self.authorize_url)
            .finish()
    }
}

/// How the client secret travels to the token service.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`): what Entra ID and most others accept.
    #[default]
    Basic,
    /// In the form body (`client_secret_post`).
    Post,
}

/// What Safety Net asks the token service for.
#[derive(Clone, Copy)]
pub enum Grant<'a> {
    Refresh(&'a str),
    ClientCredentials,
    /// The code from "Sign in as the mailbox", with its PKCE verifier.
    Code {
        code: &'a str,
        verifier: &'a str,
        redirect_uri: &'a str,
    },
}

/// A token service's answer.
#[derive(PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// Seconds it lasts, where the service said.
    pub expires_in: Option<i64>,
    /// A replacement refresh token, where the service rotates them.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why no token came, in words for the practice manager.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token service said no, and asking again will not change that:
    /// someone must sign in again or give new details.
    #[error("{0}")]
    Refused(String),
    /// Could not ask, or a failure that may pass (the next check tries again).
    #[error("{0}")]
    Unavailable(String),
}

impl TokenError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Refused(_))
    }
}

/// How long a token is used before a new one is fetched: until 5 minutes
/// before it runs out, or for a token that lasts under 20 minutes, until
/// the last quarter of its life.
pub fn needs_refresh(now: i64, issued_at: i64, expires_at: i64) -> bool {
    let margin = (300).min((expires_at - issued_at).max(0) / 4);
    now >= expires_at - margin
}

/// When a token runs out if the service did not say (Entra's are an hour).
pub const ASSUMED_LIFETIME: i64 = 3600;

/// Checks a token service address a manager typed: https (http only for a
/// service on a network the operator allowed, named by its address or
/// `localhost`), no password in it, and not where the outbound policy
/// forbids. A name's addresses are checked again when connecting.
pub fn check_token_url(policy: &Policy, raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter the token endpoint, like https://login.microsoftonline.com/<your tenant ID>/oauth2/v2.0/token".into());
    }
    let url = Url::parse(raw).map_err(|_| {
        "Enter the token endpoint as a full web address starting with https://, like https://login.microsoftonline.com/<your tenant ID>/oauth2/v2.0/token".to_string()
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Take the user name and password out of the token endpoint: the client ID and secret go in their own boxes".into());
    }
    if url.fragment().is_some() {
        return Err("Take the part after # out of the token endpoint".into());
    }
    let ip: Option<IpAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => Some(ip.into()),
        Some(Host::Ipv6(ip)) => Some(ip.into()),
        Some(Host::Domain(_)) => None,
        None => return Err("The token endpoint has no server name in it".into()),
    };
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    policy.check_host(host)?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let local = match ip {
                Some(ip) => classify(ip).is_some(),
                None => host.eq_ignore_ascii_case("localhost"),
            };
            if !local {
                return Err(
                    "The token endpoint must start with https://, so the secrets travel encrypted"
                        .into(),
                );
            }
        }
        _ => return Err("The token endpoint must start with https://".into()),
    }
    Ok(url)
}

/// The client for token requests: no redirects, no proxy, and every
/// connection through the outbound policy's name lookup.
pub fn http_client(policy: &Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(policy.timeout().min(TIMEOUT))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(policy.clone())))
        .user_agent(concat!("Safety-Net/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the token client has a fixed, valid configuration")
}

/// Asks the token service for an access token.
pub async fn request(
    policy: &Policy,
    client: &OAuthClient,
    grant: Grant<'_>,
) -> Result<Token, TokenError> {
    let url = check_token_url(policy, &client.token_url).map_err(TokenError::Unavailable)?;
    let mut form: Vec<(&str, &str)> = match grant {
        Grant::Refresh(rt) => vec![("grant_type", "refresh_token"), ("refresh_token", rt)],
        Grant::ClientCredentials => vec![("grant_type", "client_credentials")],
        Grant::Code {
            code,
            verifier,
            redirect_uri,
        } => vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect_uri),
        ],
    };
    if !client.scope.trim().is_empty() && !matches!(grant, Grant::Code { .. }) {
        form.push(("scope", client.scope.trim()));
    }
    let mut req = http_client(policy)
        .post(url.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    match (&client.client_secret, client.client_auth) {
        (Some(secret), ClientAuth::Basic) => {
            // RFC 6749 2.3.1: each part form-encoded before joining.
            let enc =
                |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", enc(&client.client_id), enc(secret));
            req = req.header(
                reqwest::header::AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            );
        }
        (Some(secret), ClientAuth::Post) => {
            form.push(("client_id", &client.client_id));
            form.push(("client_secret", secret));
        }
        (None, _) => form.push(("client_id", &client.client_id)),
    }
    let place = url.host_str().unwrap_or("the token service").to_string();
    let resp = req
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError::Unavailable(explain(&e, &place)))?;
    let status = resp.status().as_u16();
    let body = read_limited(resp)
        .await
        .map_err(|e| TokenError::Unavailable(explain(&e, &place)))?;
    judge(status, &body, grant, &place)
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            break;
        }
    }
    Ok(body)
}

/// What the token service's answer means.
fn judge(status: u16, body: &[u8], grant: Grant<'_>, place: &str) -> Result<Token, TokenError> {
    #[derive(Deserialize)]
    struct Answer {
        access_token: Option<String>,
        token_type: Option<String>,
        expires_in: Option<serde_json::Value>,
        refresh_token: Option<String>,
        error: Option<String>,
    }
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        let Some(a) = answer else {
            return Err(TokenError::Unavailable(format!(
                "{}: {place} did not answer as a token service does.",
                FailureKind::UnexpectedAnswer.label()
            )));
        };
        let bearer = a
            .token_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("bearer"));
        return match a.access_token.filter(|t| !t.is_empty() && bearer) {
            Some(access_token) => Ok(Token {
                access_token,
                expires_in: a.expires_in.and_then(|v| match v {
                    serde_json::Value::Number(n) => n.as_i64(),
                    // Older Microsoft services send it as text.
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }),
                refresh_token: a.refresh_token.filter(|t| !t.is_empty()),
            }),
            None => Err(TokenError::Unavailable(format!(
                "{}: {place} answered without a bearer access token.",
                FailureKind::UnexpectedAnswer.label()
            ))),
        };
    }
    let code = answer.and_then(|a| a.error).unwrap_or_default();
    let refresh = matches!(grant, Grant::Refresh(_));
    let refused = |why: &str| Err(TokenError::Refused(format!("{place} {why}")));
    match code.as_str() {
        "invalid_grant" if refresh => refused("no longer accepts the saved refresh token (invalid_grant): the sign-in it came from has been withdrawn or has run out. That happens when the account's password is changed, when an administrator signs it out everywhere, or after about 90 days unused."),
        "invalid_grant" => refused("refused the app registration's request (invalid_grant)."),
        "invalid_client" => refused("did not accept the client ID or client secret (invalid_client). A client secret stops working on the expiry date chosen when it was made."),
        "unauthorized_client" => refused("does not let this app registration get tokens this way (unauthorized_client)."),
        "invalid_scope" => refused("does not offer the scope asked for (invalid_scope). Check the scope."),
        "unsupported_grant_type" => refused("does not let this app registration get tokens this way (unsupported_grant_type)."),
        _ if status == 401 => refused("did not accept the client ID or client secret (it answered 401)."),
        _ if status == 429 || status >= 500 => Err(TokenError::Unavailable(format!(
            "{place} is busy or having problems (it answered {status}); Safety Net tries again at the next check."
        ))),
        _ => Err(TokenError::Unavailable(format!(
            "{}: {place} answered {status}{}. Check the token endpoint.",
            FailureKind::ServerSaidNo.label(),
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || code.len() > 40 {
                String::new()
            } else {
                format!(" ({code})")
            }
        ))),
    }
}

/// Why a request got no answer, by its kind only.
fn explain(e: &reqwest::Error, place: &str) -> String {
    crate::net::outbound::http_failure(
        e,
        crate::net::outbound::HttpWords {
            who: &format!("the token service {place}"),
            check: "the token endpoint",
            ask: "",
            odd: "properly",
            timeout: TIMEOUT,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(status: u16, body: &str, grant: Grant<'_>) -> Result<Token, TokenError> {
        judge(status, body.as_bytes(), grant, "login.example")
    }

    #[test]
    fn a_token_answer_is_read_with_its_lifetime_and_any_new_refresh_token() {
        let t = judged(
            200,
            r#"{"access_token":"at1","token_type":"Bearer","expires_in":3599,"refresh_token":"rt2"}"#,
            Grant::Refresh("rt1"),
        )
        .unwrap();
        assert_eq!(t.access_token, "at1");
        assert_eq!(t.expires_in, Some(3599));
        assert_eq!(t.refresh_token.as_deref(), Some("rt2"));
        let t = judged(
            200,
            r#"{"access_token":"at1","token_type":"bearer","expires_in":"3600"}"#,
            Grant::ClientCredentials,
        )
        .unwrap();
        assert_eq!((t.expires_in, t.refresh_token), (Some(3600), None));
        assert!(matches!(
            judged(
                200,
                r#"{"access_token":"x","token_type":"mac"}"#,
                Grant::ClientCredentials
            ),
            Err(TokenError::Unavailable(_))
        ));
        assert!(matches!(
            judged(200, "<html>sign in</html>", Grant::ClientCredentials),
            Err(TokenError::Unavailable(_))
        ));
    }

    #[test]
    fn only_a_lasting_refusal_is_permanent() {
        for (status, body) in [
            (
                400,
                r#"{"error":"invalid_grant","error_description":"grant request is invalid"}"#,
            ),
            (401, r#"{"error":"invalid_client"}"#),
            (401, "Unauthorized"),
            (400, r#"{"error":"invalid_scope"}"#),
            (400, r#"{"error":"unauthorized_client"}"#),
        ] {
            let e = judged(status, body, Grant::Refresh("rt")).unwrap_err();
            assert!(e.is_permanent(), "{status} {body}: {e}");
            assert!(!e.to_string().contains("grant request is invalid"), "{e}");
        }
        for (status, body) in [
            (500, r#"{"error":"server_error"}"#),
            (503, ""),
            (429, r#"{"error":"temporarily_unavailable"}"#),
            (404, "<html>not found</html>"),
        ] {
            let e = judged(status, body, Grant::Refresh("rt")).unwrap_err();
            assert!(!e.is_permanent(), "{status} {body}: {e}");
        }
        let e = judged(400, r#"{"error":"invalid_grant"}"#, Grant::Refresh("rt")).unwrap_err();
        assert!(
            e.to_string()
                .contains("no longer accepts the saved refresh token"),
            "{e}"
        );
        let e = judged(400, r#"{"error":"<script>"}"#, Grant::ClientCredentials).unwrap_err();
        assert!(!e.to_string().contains("<script>"), "{e}");
    }

    #[test]
    fn a_token_is_renewed_five_minutes_before_it_runs_out_or_sooner_if_short_lived() {
        // An hour's token: used until 5 minutes before.
        assert!(!needs_refresh(1000 + 3299, 1000, 4600));
        assert!(needs_refresh(1000 + 3300, 1000, 4600));
        // A 4-second token: used for its first 3 seconds.
        assert!(!needs_refresh(1002, 1000, 1004));
        assert!(needs_refresh(1003, 1000, 1004));
        assert!(needs_refresh(2000, 1000, 1004));
    }

    #[test]
    fn the_token_endpoint_must_be_https_and_allowed() {
        let open = Policy::new(&[], Duration::from_secs(5));
        let lan = Policy::new(&["10.0.0.0/8".into()], Duration::from_secs(5));
        assert!(check_token_url(
            &open,
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        )
        .is_ok());
        for bad in [
            "",
            "login.microsoftonline.com/token",
            "ftp://x.example/t",
            "http://login.example/token",
            "https://u:p@login.example/t",
        ] {
            assert!(check_token_url(&open, bad).is_err(), "{bad}");
        }
        let e = check_token_url(&open, "http://169.254.169.254/token").unwrap_err();
        assert!(e.contains("Safety Net will not connect"), "{e}");
        assert!(check_token_url(&open, "http://10.1.2.3/token").is_err());
        assert!(
            check_token_url(&lan, "http://10.1.2.3:8080/token").is_ok(),
            "http on an allowed private network"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = OAuthClient {
            token_url: "https://login.example/token".into(),
            client_id: "app".into(),
            client_secret: Some("s3cret-value".into()),
            scope: M365_APP_SCOPE.into(),
            client_auth: ClientAuth::Basic,
            authorize_url: None,
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("app"),
            "{shown}"
        );
        let t = Token {
            access_token: "at-secret".into(),
            expires_in: None,
            refresh_token: Some("rt-secret".into()),
        };
        assert!(!format!("{t:?}").contains("secret"));
    }
}
