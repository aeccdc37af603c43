//! Signing in with the organisation's account: OpenID Connect's
//! authorisation code flow with PKCE, as the protocol sees it. The pages are
//! `routes::organisation`; the sign-ins on their way through the provider are
//! rows in `oidc_logins` (`repo`), so any node can finish what another began.
//!
//! What is checked, in order: the state (once, within ten minutes, from the
//! same browser), the `iss` the provider sends back (a mix-up defence), then
//! after exchanging the code with the PKCE verifier, the ID token's
//! signature against the provider's published keys (asymmetric algorithms
//! only), its issuer, audience (and `azp`), expiry and issue time within the
//! configured clock skew, and the nonce. Times use the application's clock.
//! The provider's addresses are the operator's own settings, so they are not
//! held to the outbound policy that keeps practices' addresses off the
//! internal network; redirects are not followed.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::config::OidcProvider;

/// How long a person has to finish signing in at the provider.
pub const LOGIN_LIFETIME_SECS: i64 = 600;

/// Why a sign-in with the organisation's account did not complete. Each
/// says what happened and what to do, in words for the person signing in;
/// [`Refusal::for_log`] is the audit log's shorter reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such sign-in was started here, it was used already, or it is from another browser.
    UnknownState,
    Expired,
    /// The provider said no (the person cancelled, or it refused them).
    ProviderSaidNo(String),
    /// The provider could not be reached or answered in a way we cannot use.
    ProviderUnavailable(String),
    /// The ID token failed a check: someone may be tampering, or the set-up is wrong.
    TokenRejected(&'static str),
    NoEmail,
    EmailNotVerified,
    UnknownAccount(String),
    /// The practice requires another provider.
    WrongProvider(String),
}

impl Refusal {
    pub fn heading(&self) -> &'static str {
        match self {
            Self::UnknownState | Self::Expired => "Please start signing in again",
            Self::ProviderSaidNo(_) => "Signing in was cancelled or refused",
            Self::ProviderUnavailable(_) => "We could not reach your organisation's sign-in",
            Self::TokenRejected(_) => "We could not confirm who you are",
            Self::NoEmail | Self::EmailNotVerified => {
                "Your organisation did not confirm your email address"
            }
            Self::UnknownAccount(_) => "There is no Safety Net account for you yet",
            Self::WrongProvider(_) => "Your practice uses a different sign-in",
        }
    }

    pub fn explanation(&self) -> String {
        match self {
            Self::UnknownState => "This sign-in link has been used already, or it was started in another browser or window. Nothing has been changed. Start again from the sign-in page.".into(),
            Self::Expired => "Signing in took more than ten minutes, so we stopped it to keep your account safe. Start again from the sign-in page.".into(),
            Self::ProviderSaidNo(why) => format!("Your organisation's sign-in said: \u{201c}{why}\u{201d}. If you did not cancel, try again, or ask your IT team."),
            Self::ProviderUnavailable(_) => "Your organisation's sign-in did not answer as expected. Try again in a few minutes. If it keeps happening, tell your IT team: the details are in Safety Net's log.".into(),
            Self::TokenRejected(_) => "The answer from your organisation's sign-in did not pass Safety Net's checks, so you have not been signed in. Try again; if it happens again, tell your IT team, who can see the reason in the audit log.".into(),
            Self::NoEmail => "Your organisation's sign-in did not tell us your email address, so we cannot find your Safety Net account. Ask your IT team to check the set-up.".into(),
            Self::EmailNotVerified => "Your organisation's sign-in says your email address has not been verified yet, so we cannot use it to sign you in. Ask your IT team.".into(),
            Self::UnknownAccount(email) => format!("You signed in to your organisation as {email}, but no Safety Net account uses that email address. Ask your practice manager to invite you, or sign in with the email address they used."),
            Self::WrongProvider(name) => format!("People at your practice sign in with {name}. Use the \u{201c}Sign in with {name}\u{201d} button on the sign-in page."),
        }
    }

    /// The reason as the audit log records it.
    pub fn for_log(&self) -> String {
        match self {
            Self::UnknownState => "unknown, reused or other browser's state".into(),
            Self::Expired => "sign-in took over ten minutes".into(),
            Self::ProviderSaidNo(why) => format!("provider refused: {why}"),
            Self::ProviderUnavailable(why) => format!("provider unavailable: {why}"),
            Self::TokenRejected(why) => format!("ID token rejected: {why}"),
            Self::NoEmail => "no email claim".into(),
            Self::EmailNotVerified => "email not verified".into(),
            Self::UnknownAccount(_) => "no account with that email".into(),
            Self::WrongProvider(_) => "practice requires another provider".into(),
        }
    }

    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::ProviderUnavailable(_) => http::StatusCode::BAD_GATEWAY,
            Self::UnknownAccount(_) | Self::WrongProvider(_) | Self::ProviderSaidNo(_) => {
                http::StatusCode::FORBIDDEN
            }
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// The provider's published settings (`/.well-known/openid-configuration`).
#[derive(Debug, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Providers' published settings, kept by each node for five minutes, so a
/// burst of "Sign in with" presses (or someone pressing it for fun) asks
/// the provider once, not once each. Only a provider's own published facts
/// are kept here, never anything about a sign-in.
#[derive(Default)]
pub struct MetadataCache(
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Arc<Discovery>)>>,
);

const METADATA_LIFETIME: Duration = Duration::from_secs(300);

impl MetadataCache {
    pub async fn get(&self, c: &Client, p: &OidcProvider) -> Result<Arc<Discovery>, Refusal> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&p.issuer)
            .filter(|(at, _)| at.elapsed() < METADATA_LIFETIME)
            .map(|(_, d)| d.clone());
        if let Some(d) = kept {
            return Ok(d);
        }
        let d = Arc::new(c.discover(p).await?);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(p.issuer.clone(), (std::time::Instant::now(), d.clone()));
        Ok(d)
    }
}

/// What a new sign-in needs to remember until the person comes back.
pub struct Started {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The address to send the person to.
    pub redirect: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub email: String,
    pub subject: String,
    /// The provider checked a second factor (by `amr` or `acr`).
    pub second_factor: bool,
}

/// The expectations an ID token is held to.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
    pub skew: i64,
}

fn random() -> String {
    crate::auth::tokens::new_secret()
}

/// PKCE's S256 challenge for a verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The same issuer, written with or without a final slash.
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

pub struct Client {
    http: reqwest::Client,
}

impl Client {
    pub fn new(timeout: Duration) -> Result<Self, Refusal> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent("Safety Net")
            .build()
            .map_err(|e| Refusal::ProviderUnavailable(format!("HTTP client: {e}")))?;
        Ok(Self { http })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, Refusal> {
        let unavailable = |e: String| Refusal::ProviderUnavailable(format!("{what}: {e}"));
        let res = req.send().await.map_err(|e| unavailable(e.to_string()))?;
        let status = res.status();
        let body = res.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        if !status.is_success() {
            // The token endpoint's refusal carries the reason.
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                if let Some(err) = v.get("error").and_then(Value::as_str) {
                    let desc = v.get("error_description").and_then(Value::as_str);
                    return Err(unavailable(format!(
                        "{status}: {err}{}",
                        desc.map(|d| format!(" ({d})")).unwrap_or_default()
                    )));
                }
            }
            return Err(unavailable(format!("answered {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| unavailable(format!("unreadable answer: {e}")))
    }

    /// The provider's settings, which must name the configured issuer.
    pub async fn discover(&self, p: &OidcProvider) -> Result<Discovery, Refusal> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            p.issuer.trim_end_matches('/')
        );
        let d: Discovery = self.json("discovery", self.http.get(url)).await?;
        if !same_issuer(&d.issuer, &p.issuer) {
            return Err(Refusal::ProviderUnavailable(format!(
                "discovery names the issuer {:?}, not {:?}",
                d.issuer, p.issuer
            )));
        }
        Ok(d)
    }

    /// Starts a sign-in: fresh state, nonce and PKCE verifier, and the
    /// provider address to send the person to.
    pub fn start(d: &Discovery, p: &OidcProvider, redirect_uri: &str) -> Result<Started, Refusal> {
        let (state, nonce, pkce_verifier) = (random(), random(), random());
        let mut url = url::Url::parse(&d.authorization_endpoint).map_err(|_| {
            Refusal::ProviderUnavailable("authorization_endpoint is not an address".into())
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &p.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &pkce_challenge(&pkce_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(Started {
            state,
            nonce,
            pkce_verifier,
            redirect: url.into(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token.
    pub async fn finish(
        &self,
        d: &Discovery,
        p: &OidcProvider,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &str,
        expect: &Expected<'_>,
    ) -> Result<Identity, Refusal> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce_verifier),
        ];
        let mut req = self.http.post(&d.token_endpoint);
        let basic_ok = d
            .token_endpoint_auth_methods_supported
            .as_ref()
            .is_none_or(|m| m.iter().any(|m| m == "client_secret_basic"));
        if p.client_secret.is_empty() {
            form.push(("client_id", &p.client_id));
        } else if basic_ok {
            // RFC 6749 §2.3.1: each part form-encoded before Basic.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(&p.client_id), Some(enc(&p.client_secret)));
        } else {
            form.push(("client_id", &p.client_id));
            form.push(("client_secret", &p.client_secret));
        }
        #[derive(Deserialize)]
        struct TokenAnswer {
            id_token: Option<String>,
            access_token: Option<String>,
        }
        let answer: TokenAnswer = self.json("token endpoint", req.form(&form)).await?;
        let id_token = answer.id_token.ok_or(Refusal::ProviderUnavailable(
            "no ID token in the token answer".into(),
        ))?;
        let keys: JwkSet = self.json("keys", self.http.get(&d.jwks_uri)).await?;
        let claims = verify_signature(&id_token, &keys)?;
        let subject = check_claims(&claims, expect)?;
        // The email may only be at the userinfo endpoint (a provider that keeps the ID token small).
        let mut source = claims.clone();
        if claims.get(&p.email_claim).is_none() {
            if let (Some(url), Some(token)) = (&d.userinfo_endpoint, &answer.access_token) {
                let info: Value = self
                    .json("userinfo", self.http.get(url).bearer_auth(token))
                    .await?;
                if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                    return Err(Refusal::TokenRejected("userinfo is about someone else"));
                }
                source = info;
            }
        }
        let email = identity_email(&source, &p.email_claim)?;
        Ok(Identity {
            email,
            subject,
            second_factor: second_factor(&claims, p),
        })
    }
}

/// The token's claims, if its signature is right by one of the provider's keys.
pub fn verify_signature(token: &str, keys: &JwkSet) -> Result<Value, Refusal> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| Refusal::TokenRejected("not a signed token"))?;
    // Only the provider's public-key algorithms: never "none", never a shared secret.
    if !matches!(
        header.alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
    ) {
        return Err(Refusal::TokenRejected(
            "signed with an algorithm we do not accept",
        ));
    }
    let candidates: Vec<_> = keys
        .keys
        .iter()
        .filter(|k| match (&header.kid, &k.common.key_id) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    let mut validation = Validation::new(header.alg);
    // Times, audience and issuer are checked by `check_claims`, on the application's clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    for k in candidates {
        let Ok(key) = DecodingKey::from_jwk(k) else {
            continue;
        };
        if let Ok(data) = jsonwebtoken::decode::<Value>(token, &key, &validation) {
            return Ok(data.claims);
        }
    }
    Err(Refusal::TokenRejected(
        "signature does not match the provider's keys",
    ))
}

/// Checks issuer, audience, times and nonce; returns the subject.
pub fn check_claims(c: &Value, e: &Expected<'_>) -> Result<String, Refusal> {
    let s = |k: &str| c.get(k).and_then(Value::as_str);
    let n = |k: &str| c.get(k).and_then(Value::as_i64);
    if !s("iss").is_some_and(|i| same_issuer(i, e.issuer)) {
        return Err(Refusal::TokenRejected("issued by someone else"));
    }
    let audiences: Vec<&str> = match c.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&e.client_id) {
        return Err(Refusal::TokenRejected("meant for another application"));
    }
    if let Some(azp) = s("azp") {
        if azp != e.client_id {
            return Err(Refusal::TokenRejected("meant for another application"));
        }
    }
    match n("exp") {
        Some(exp) if exp + e.skew > e.now => {}
        Some(_) => return Err(Refusal::TokenRejected("expired")),
        None => return Err(Refusal::TokenRejected("has no expiry")),
    }
    match n("iat") {
        Some(iat) if iat - e.skew <= e.now => {}
        Some(_) => return Err(Refusal::TokenRejected("issued in the future")),
        None => return Err(Refusal::TokenRejected("has no issue time")),
    }
    if let Some(nbf) = n("nbf") {
        if nbf - e.skew > e.now {
            return Err(Refusal::TokenRejected("not valid yet"));
        }
    }
    if s("nonce") != Some(e.nonce) {
        return Err(Refusal::TokenRejected("nonce does not match this sign-in"));
    }
    s("sub")
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or(Refusal::TokenRejected("has no subject"))
}

/// The email address in `claim`, lower-cased; refused when the provider
/// says it is not verified. (A provider that does not say, such as Entra
/// ID, is the organisation's own directory, so its addresses are trusted.)
pub fn identity_email(c: &Value, claim: &str) -> Result<String, Refusal> {
    let email = c
        .get(claim)
        .and_then(Value::as_str)
        .map(|e| e.trim().to_lowercase())
        .filter(|e| e.contains('@'))
        .ok_or(Refusal::NoEmail)?;
    let verified = match c.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s != "false",
        _ => true,
    };
    if !verified {
        return Err(Refusal::EmailNotVerified);
    }
    Ok(email)
}

/// Whether the provider says it checked a second factor.
pub fn second_factor(c: &Value, p: &OidcProvider) -> bool {
    let by_amr = c.get("amr").and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .any(|m| p.mfa_amr.iter().any(|w| w == m))
    });
    let by_acr = c
        .get("acr")
        .and_then(Value::as_str)
        .is_some_and(|a| p.mfa_acr.iter().any(|w| w == a));
    by_amr || by_acr
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: "https://login.example/tenant/v2.0",
            client_id: "safetynet",
            nonce: "n-123",
            now,
            skew: 120,
        }
    }

    fn good(now: i64) -> Value {
        json!({"iss": "https://login.example/tenant/v2.0", "aud": "safetynet", "sub": "abc",
               "exp": now + 3600, "iat": now - 5, "nonce": "n-123", "email": "PM@Practice.Example"})
    }

    fn provider() -> OidcProvider {
        OidcProvider {
            id: "entra".into(),
            name: "NHS".into(),
            issuer: "https://login.example/tenant/v2.0".into(),
            client_id: "safetynet".into(),
            client_secret: String::new(),
            client_secret_file: None,
            client_secret_env: String::new(),
            email_claim: "email".into(),
            mfa_amr: crate::config::default_mfa_amr(),
            mfa_acr: vec!["urn:example:mfa".into()],
            clock_skew_seconds: 120,
        }
    }

    #[test]
    fn a_good_token_passes_and_each_tampered_claim_is_refused() {
        let now = 1_800_000_000;
        assert_eq!(check_claims(&good(now), &expected(now)), Ok("abc".into()));
        let cases: [(&str, Value, &str); 7] = [
            (
                "iss",
                json!("https://evil.example"),
                "issued by someone else",
            ),
            ("aud", json!("another-app"), "meant for another application"),
            (
                "aud",
                json!(["another-app", "third"]),
                "meant for another application",
            ),
            ("azp", json!("another-app"), "meant for another application"),
            ("exp", json!(now - 121), "expired"),
            ("iat", json!(now + 121), "issued in the future"),
            (
                "nonce",
                json!("replayed"),
                "nonce does not match this sign-in",
            ),
        ];
        for (claim, value, why) in cases {
            let mut c = good(now);
            c[claim] = value;
            assert_eq!(
                check_claims(&c, &expected(now)),
                Err(Refusal::TokenRejected(why)),
                "{claim}"
            );
        }
        // Within the clock skew either way is accepted.
        let mut c = good(now);
        c["exp"] = json!(now - 119);
        c["iat"] = json!(now + 119);
        assert!(check_claims(&c, &expected(now)).is_ok());
        // An audience list that includes us, with azp naming us, is fine.
        let mut c = good(now);
        c["aud"] = json!(["safetynet", "api"]);
        c["azp"] = json!("safetynet");
        assert!(check_claims(&c, &expected(now)).is_ok());
        let mut c = good(now);
        c.as_object_mut().unwrap().remove("nonce");
        assert!(check_claims(&c, &expected(now)).is_err());
    }

    #[test]
    fn the_email_is_lower_cased_and_an_unverified_one_refused() {
        let now = 0;
        assert_eq!(
            identity_email(&good(now), "email"),
            Ok("pm@practice.example".into())
        );
        let mut c = good(now);
        c["email_verified"] = json!(false);
        assert_eq!(identity_email(&c, "email"), Err(Refusal::EmailNotVerified));
        assert_eq!(identity_email(&good(now), "upn"), Err(Refusal::NoEmail));
        let c = json!({"preferred_username": "Dr.Jones@nhs.net"});
        assert_eq!(
            identity_email(&c, "preferred_username"),
            Ok("dr.jones@nhs.net".into())
        );
    }

    #[test]
    fn a_second_factor_counts_only_when_the_provider_names_one() {
        let p = provider();
        assert!(second_factor(&json!({"amr": ["pwd", "mfa"]}), &p));
        assert!(second_factor(&json!({"amr": ["otp"]}), &p));
        assert!(!second_factor(&json!({"amr": ["pwd"]}), &p));
        assert!(
            !second_factor(&json!({"amr": "mfa"}), &p),
            "amr must be a list"
        );
        assert!(second_factor(&json!({"acr": "urn:example:mfa"}), &p));
        assert!(!second_factor(&json!({"acr": "pwd"}), &p));
        assert!(!second_factor(&json!({}), &p));
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_token_with_no_signature_is_refused() {
        // {"alg":"none"} . {"sub":"x"} . (empty)
        let t = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
        let keys: JwkSet = serde_json::from_value(json!({"keys": []})).unwrap();
        assert!(matches!(
            verify_signature(t, &keys),
            Err(Refusal::TokenRejected(_))
        ));
    }
}
