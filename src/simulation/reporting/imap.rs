//! The reporting mailbox's IMAP client: connect (TLS or STARTTLS, only
//! where the outbound policy allows), log in (password or OAuth2), open the
//! folder, read every unseen message and mark it seen. It hands back what
//! each message said (see `forwarded` for finding the tokens) and knows
//! nothing about campaigns or the database. Errors are in words for the
//! practice manager, never the mail server's own.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use async_imap::{Authenticator, Client, Session};
use base64::Engine as _;
use futures_util::TryStreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use crate::net::outbound::{FailureKind, OutboundError, Policy};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

use super::forwarded::analyse;
pub use super::oauth::OAuthClient;
use crate::simulation::token::RecipientToken;

/// Where the practice's suspicious-email reports arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxSettings {
    pub host: String,
    pub port: u16,
    pub security: MailboxSecurity,
    pub username: String,
    pub auth: MailboxAuth,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// An extra certificate authority to trust (PEM text), for servers with
    /// a private CA. The public web roots are trusted as well.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

fn default_folder() -> String {
    "INBOX".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxSecurity {
    /// TLS from the first byte, usually port 993.
    Tls,
    /// Plain connection upgraded with STARTTLS before logging in, usually port 143.
    Starttls,
}

impl MailboxSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tls => 993,
            Self::Starttls => 143,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxAuth {
    #[serde(rename = "password")]
    Password(String),
    /// XOAUTH2 with an access token pasted by the manager (it runs out
    /// within about an hour). Kept for settings saved before Safety Net
    /// could get tokens itself.
    #[serde(rename = "oauth2")]
    OAuth2 { access_token: String },
    /// XOAUTH2 with access tokens Safety Net gets itself from a refresh
    /// token (someone signed in once, with offline access).
    #[serde(rename = "oauth2_refresh")]
    OAuth2Refresh {
        client: OAuthClient,
        refresh_token: String,
    },
    /// XOAUTH2 with access tokens Safety Net gets itself as an app
    /// registration (the client credentials grant).
    #[serde(rename = "oauth2_app")]
    OAuth2App { client: OAuthClient },
}

impl MailboxAuth {
    /// The token service's details, where Safety Net gets the tokens itself.
    pub fn oauth_client(&self) -> Option<&OAuthClient> {
        match self {
            Self::OAuth2Refresh { client, .. } | Self::OAuth2App { client } => Some(client),
            Self::Password(_) | Self::OAuth2 { .. } => None,
        }
    }

    fn is_oauth(&self) -> bool {
        !matches!(self, Self::Password(_))
    }
}

// Settings get logged; the secrets must not.
impl fmt::Debug for MailboxAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password(<redacted>)"),
            Self::OAuth2 { .. } => f.write_str("OAuth2 { access_token: <redacted> }"),
            Self::OAuth2Refresh { client, .. } => f
                .debug_struct("OAuth2Refresh")
                .field("client", client)
                .field("refresh_token", &"<redacted>")
                .finish(),
            Self::OAuth2App { client } => {
                f.debug_struct("OAuth2App").field("client", client).finish()
            }
        }
    }
}

/// One message found in the mailbox. `tokens` is empty for an ordinary
/// report (a real suspicious email rather than one of ours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundReport {
    pub tokens: Vec<RecipientToken>,
    /// From address of the forwarding message, lower-cased.
    pub reporter: Option<String>,
    /// Unix seconds: when the server received it (INTERNALDATE), or failing
    /// that the Date header, which the sender's clock wrote.
    pub received_at: Option<i64>,
    pub uid: u32,
}

/// What went wrong, in words for the practice manager. The mail server's
/// own words are never shown: a "mail server" can be anything a manager
/// points Safety Net at, and its answer could be another service's secrets.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// Refused by the outbound policy, not found, or could not connect.
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    #[error("Could not connect to {host}:{port}: {reason}. Check the server name and port, and that this server is allowed to reach it.")]
    Connect {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("The mail server {host}:{port} did not answer within {secs} seconds while {doing}. Check the server name and port, or try again later.")]
    Timeout {
        host: String,
        port: u16,
        doing: &'static str,
        secs: u64,
    },
    #[error("The certificate of {host} is not trusted: {reason}. If the mail server uses a private certificate authority, paste that authority's certificate into the settings.")]
    UntrustedCertificate { host: String, reason: String },
    #[error("{host}:{port} did not answer with TLS ({reason}). Check the security setting: TLS is usually port 993, STARTTLS usually port 143.")]
    NotTls {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("{host}:{port} accepted the connection but said nothing. If that port expects TLS from the start (usually 993), choose TLS rather than STARTTLS.")]
    SilentServer { host: String, port: u16 },
    #[error("{host}:{port} does not offer STARTTLS, so the password would travel unencrypted. Choose TLS (usually port 993) instead.")]
    NoStarttls { host: String, port: u16 },
    #[error("The extra CA certificate in the settings is not usable: {0}. Paste the whole PEM text, including the BEGIN CERTIFICATE and END CERTIFICATE lines.")]
    BadCaCertificate(String),
    #[error("The mail server refused the password for {username}. Check the username and password. Microsoft 365 and NHSmail usually switch passwords off for IMAP; use OAuth2 sign-in there.")]
    PasswordRefused { username: String },
    #[error("The mail server refused the access token for {username}. Sign in to the mail provider again to get a fresh token, and check that it allows IMAP access to this mailbox.")]
    TokenRefused { username: String },
    #[error("The mail server refused to open a folder called \"{folder}\" in the mailbox of {username}. Check the spelling, or use INBOX.")]
    NoSuchFolder { folder: String, username: String },
    #[error("The mail server {host}:{port} gave an unexpected answer while {doing}: {detail}")]
    Protocol {
        host: String,
        port: u16,
        doing: &'static str,
        detail: String,
    },
}

impl MailboxError {
    /// Which kind of failure, for the test button's answer.
    pub fn kind(&self) -> FailureKind {
        match self {
            MailboxError::Outbound(e) => e.kind(),
            MailboxError::Connect { .. } => FailureKind::CouldNotConnect,
            MailboxError::Timeout { .. } | MailboxError::SilentServer { .. } => {
                FailureKind::TimedOut
            }
            MailboxError::UntrustedCertificate { .. }
            | MailboxError::NotTls { .. }
            | MailboxError::NoStarttls { .. }
            | MailboxError::BadCaCertificate(_) => FailureKind::TlsFailed,
            MailboxError::PasswordRefused { .. }
            | MailboxError::TokenRefused { .. }
            | MailboxError::NoSuchFolder { .. } => FailureKind::ServerSaidNo,
            MailboxError::Protocol { .. } => FailureKind::UnexpectedAnswer,
        }
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Short: a server that says nothing is usually a TLS port spoken to in plain text.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// A backlog is worked through over several polls rather than in one long session.
const MAX_MESSAGES_PER_POLL: usize = 200;

type ImapStream = TlsStream<TcpStream>;

/// Checks the settings work (connect, log in, open the folder), for a
/// "Test connection" button.
pub async fn test_connection(
    policy: &Policy,
    settings: &MailboxSettings,
) -> Result<(), MailboxError> {
    test_connection_with(policy, settings, None).await
}

/// [`test_connection`], signing in with `token` (an access token Safety
/// Net obtained) where the settings say Safety Net gets its own.
pub async fn test_connection_with(
    policy: &Policy,
    settings: &MailboxSettings,
    token: Option<&str>,
) -> Result<(), MailboxError> {
    let mut session = open(policy, settings, token).await?;
    logout(&mut session).await;
    Ok(())
}

/// Connects, logs in, opens the folder, reads every unseen message, and marks
/// as seen those it read successfully (a message that could not be fetched
/// stays unseen for next time). Messages without a token are returned too,
/// with empty `tokens`, so the caller can count ordinary reports.
///
/// Messages are marked seen only after all of them were read, just before
/// this returns; if marking fails, nothing is returned and the next poll
/// sees the same messages again.
pub async fn poll_once(
    policy: &Policy,
    settings: &MailboxSettings,
) -> Result<Vec<FoundReport>, MailboxError> {
    poll_with(policy, settings, None).await
}

/// [`poll_once`], signing in with `token` (an access token Safety Net
/// obtained) where the settings say Safety Net gets its own.
pub async fn poll_with(
    policy: &Policy,
    settings: &MailboxSettings,
    token: Option<&str>,
) -> Result<Vec<FoundReport>, MailboxError> {
    let mut session = open(policy, settings, token).await?;
    let result = read_unseen(&mut session, settings).await;
    logout(&mut session).await;
    result
}

async fn read_unseen(
    session: &mut Session<ImapStream>,
    s: &MailboxSettings,
) -> Result<Vec<FoundReport>, MailboxError> {
    let searched = within(
        s,
        "searching for new messages",
        session.uid_search("UNSEEN UNDELETED"),
    )
    .await?;
    let mut uids: Vec<u32> = searched
        .map_err(|e| imap_failure(s, "searching for new messages", e))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    uids.truncate(MAX_MESSAGES_PER_POLL);

    let mut reports = Vec::new();
    // One message per FETCH, so a message the server cannot read is skipped
    // rather than holding up the rest.
    for uid in uids {
        let fetched = within(s, "fetching a message", async {
            let stream = session
                .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
                .await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        let fetches = match fetched {
            Ok(f) => f,
            Err(e @ (async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))) => {
                tracing::warn!(uid, error = %e, "the reporting mailbox could not fetch a message; it stays unseen");
                continue;
            }
            Err(e) => return Err(imap_failure(s, "fetching a message", e)),
        };
        let Some(fetch) = fetches.iter().find(|f| f.uid == Some(uid)) else {
            continue; // expunged meanwhile
        };
        let Some(raw) = fetch.body() else {
            tracing::warn!(
                uid,
                "the reporting mailbox returned a message without its body; it stays unseen"
            );
            continue;
        };
        // Decoding every layer of a large message takes a while: off the async threads.
        let raw = raw.to_vec();
        let analysed = tokio::task::spawn_blocking(move || analyse(&raw)).await;
        let Some(parsed) = analysed.ok().flatten() else {
            tracing::warn!(
                uid,
                "a message in the reporting mailbox could not be parsed; it stays unseen"
            );
            continue;
        };
        reports.push(FoundReport {
            tokens: parsed.tokens,
            reporter: parsed.reporter,
            received_at: fetch.internal_date().map(|d| d.timestamp()).or(parsed.date),
            uid,
        });
    }

    for chunk in reports.chunks(100) {
        let set = chunk
            .iter()
            .map(|r| r.uid.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let stored = within(s, "marking messages as read", async {
            let stream = session.uid_store(&set, "+FLAGS.SILENT (\\Seen)").await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        stored.map_err(|e| imap_failure(s, "marking messages as read", e))?;
    }
    Ok(reports)
}

// ---------- connecting and logging in ----------

async fn open(
    policy: &Policy,
    s: &MailboxSettings,
    token: Option<&str>,
) -> Result<Session<ImapStream>, MailboxError> {
    let client = connect(policy, s).await?;
    let mut session = log_in(client, s, token).await?;
    let selected = within(
        s,
        "opening the folder",
        session.select(imap_utf7(&s.folder)),
    )
    .await?;
    match selected {
        Ok(_) => Ok(session),
        Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)) => {
            logout(&mut session).await;
            Err(MailboxError::NoSuchFolder {
                folder: s.folder.clone(),
                username: s.username.clone(),
            })
        }
        Err(e) => Err(imap_failure(s, "opening the folder", e)),
    }
}

async fn connect(policy: &Policy, s: &MailboxSettings) -> Result<Client<ImapStream>, MailboxError> {
    let host = s.host.trim();
    let connector = tls_connector(s.ca_pem.as_deref())?;
    let server_name =
        ServerName::try_from(host.to_string()).map_err(|_| MailboxError::Connect {
            host: host.to_string(),
            port: s.port,
            reason: "that is not a valid server name".to_string(),
        })?;
    // Only to an address the outbound policy allows, checked after the name lookup.
    let tcp = within(s, "connecting", policy.connect(host, s.port)).await??;

    match s.security {
        MailboxSecurity::Tls => {
            let tls = within(s, "setting up TLS", connector.connect(server_name, tcp))
                .await?
                .map_err(|e| tls_failure(s, e))?;
            let mut client = Client::new(tls);
            read_greeting(&mut client, s).await?;
            Ok(client)
        }
        MailboxSecurity::Starttls => {
            let mut client = Client::new(tcp);
            read_greeting(&mut client, s).await?;
            let started = within(
                s,
                "asking for STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            match started {
                Ok(()) => {}
                Err(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)) => {
                    return Err(MailboxError::NoStarttls {
                        host: host.to_string(),
                        port: s.port,
                    });
                }
                Err(e) => return Err(imap_failure(s, "asking for STARTTLS", e)),
            }
            // Anything the server sent before the handshake is dropped with
            // the plain-text client, as RFC 3501 requires.
            let tcp = client.into_inner();
            let tls = within(s, "setting up TLS", connector.connect(server_name, tcp))
                .await?
                .map_err(|e| tls_failure(s, e))?;
            Ok(Client::new(tls))
        }
    }
}

async fn read_greeting<T>(client: &mut Client<T>, s: &MailboxSettings) -> Result<(), MailboxError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + fmt::Debug + Send,
{
    let greeting = match within(s, "waiting for the greeting", client.read_response()).await {
        Err(MailboxError::Timeout { .. }) if s.security == MailboxSecurity::Starttls => {
            return Err(MailboxError::SilentServer {
                host: s.host.trim().to_string(),
                port: s.port,
            });
        }
        other => other?,
    };
    match greeting {
        Ok(Some(r)) => match r.parsed() {
            Response::Data {
                status: Status::Bye,
                ..
            } => Err(protocol(
                s,
                "waiting for the greeting",
                "it closed the connection at once".to_string(),
            )),
            _ => Ok(()),
        },
        Ok(None) => Err(protocol(
            s,
            "waiting for the greeting",
            "it closed the connection at once".to_string(),
        )),
        Err(_) if s.security == MailboxSecurity::Starttls => Err(protocol(
            s,
            "waiting for the greeting",
            "it did not greet as a mail server does; if this port expects TLS from the start, choose TLS rather than STARTTLS".to_string(),
        )),
        Err(_) => Err(protocol(
            s,
            "waiting for the greeting",
            "it did not greet as a mail server does".to_string(),
        )),
    }
}

fn tls_connector(ca_pem: Option<&str>) -> Result<TlsConnector, MailboxError> {
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem.filter(|p| !p.trim().is_empty()) {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| MailboxError::BadCaCertificate(e.to_string()))?;
            roots
                .add(cert)
                .map_err(|e| MailboxError::BadCaCertificate(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(MailboxError::BadCaCertificate(
                "there is no certificate in it".to_string(),
            ));
        }
    }
    // ring explicitly: the build must not depend on which provider is the process default.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailboxError::BadCaCertificate(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn log_in(
    client: Client<ImapStream>,
    s: &MailboxSettings,
    token: Option<&str>,
) -> Result<Session<ImapStream>, MailboxError> {
    let user = s.username.trim();
    enum Login<'a> {
        Password(&'a str),
        Bearer(&'a str),
    }
    let login = match (&s.auth, token) {
        (MailboxAuth::Password(p), _) => Login::Password(p),
        (MailboxAuth::OAuth2 { access_token }, _) => Login::Bearer(access_token),
        (MailboxAuth::OAuth2Refresh { .. } | MailboxAuth::OAuth2App { .. }, Some(t)) => {
            Login::Bearer(t)
        }
        // No token was obtained: nothing to offer the server.
        (MailboxAuth::OAuth2Refresh { .. } | MailboxAuth::OAuth2App { .. }, None) => {
            return Err(MailboxError::TokenRefused {
                username: user.to_string(),
            })
        }
    };
    let attempt = match login {
        Login::Bearer(access_token) => {
            let sasl = SaslOnce(Some(xoauth2_sasl(user, access_token)));
            within(s, "logging in", client.authenticate("XOAUTH2", sasl)).await?
        }
        Login::Password(password) => {
            // LOGIN is the one every server has, but it is only defined for
            // ASCII; AUTHENTICATE PLAIN carries any UTF-8.
            let plain_ascii = |v: &str| v.bytes().all(|b| (0x20..0x7f).contains(&b));
            if plain_ascii(user) && plain_ascii(password) {
                within(s, "logging in", client.login(user, password)).await?
            } else {
                let sasl = SaslOnce(Some(plain_sasl(user, password)));
                within(s, "logging in", client.authenticate("PLAIN", sasl)).await?
            }
        }
    };
    match attempt {
        Ok(session) => Ok(session),
        Err((async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_), _)) => {
            let username = user.to_string();
            Err(if s.auth.is_oauth() {
                MailboxError::TokenRefused { username }
            } else {
                MailboxError::PasswordRefused { username }
            })
        }
        Err((async_imap::error::Error::Validate(_), _)) => Err(MailboxError::PasswordRefused {
            username: user.to_string(),
        }),
        Err((e, _)) => Err(imap_failure(s, "logging in", e)),
    }
}

/// A SASL exchange where the client speaks once. Any later challenge is a
/// server error report (XOAUTH2 sends its JSON one way), answered with an
/// empty line so the server can finish with NO.
struct SaslOnce(Option<String>);

impl Authenticator for SaslOnce {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        self.0.take().unwrap_or_default()
    }
}

/// RFC 4616 PLAIN, without an authorisation identity. (async-imap base64s it.)
fn plain_sasl(user: &str, password: &str) -> String {
    format!("\0{user}\0{password}")
}

/// Google's and Microsoft's XOAUTH2 initial response. (async-imap base64s it.)
fn xoauth2_sasl(user: &str, access_token: &str) -> String {
    format!("user={user}\x01auth=Bearer {access_token}\x01\x01")
}

async fn logout(session: &mut Session<ImapStream>) {
    // Only politeness: the messages are already marked, so errors do not matter.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
}

async fn within<F: std::future::Future>(
    s: &MailboxSettings,
    doing: &'static str,
    f: F,
) -> Result<F::Output, MailboxError> {
    let limit = match doing {
        "connecting" | "setting up TLS" => CONNECT_TIMEOUT,
        "waiting for the greeting" => GREETING_TIMEOUT,
        _ => COMMAND_TIMEOUT,
    };
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| MailboxError::Timeout {
            host: s.host.trim().to_string(),
            port: s.port,
            doing,
            secs: limit.as_secs(),
        })
}

fn protocol(s: &MailboxSettings, doing: &'static str, detail: String) -> MailboxError {
    MailboxError::Protocol {
        host: s.host.trim().to_string(),
        port: s.port,
        doing,
        detail,
    }
}

fn imap_failure(
    s: &MailboxSettings,
    doing: &'static str,
    e: async_imap::error::Error,
) -> MailboxError {
    let detail = match e {
        async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
            "the server said no".to_string()
        }
        async_imap::error::Error::Io(e) => describe_io_error(&e),
        async_imap::error::Error::ConnectionLost => "it closed the connection".to_string(),
        _ => "it answered in a way Safety Net did not understand".to_string(),
    };
    protocol(s, doing, detail)
}

fn tls_failure(s: &MailboxSettings, e: std::io::Error) -> MailboxError {
    let host = s.host.trim().to_string();
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return MailboxError::NotTls {
            host,
            port: s.port,
            reason: describe_io_error(&e),
        };
    };
    match tls {
        rustls::Error::InvalidCertificate(c) => MailboxError::UntrustedCertificate {
            host,
            reason: describe_certificate_error(c),
        },
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => MailboxError::NotTls {
            host,
            port: s.port,
            reason: "it answered in something other than TLS".to_string(),
        },
        other => MailboxError::NotTls {
            host,
            port: s.port,
            reason: other.to_string(),
        },
    }
}

fn describe_certificate_error(e: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => {
            "it was not issued by a certificate authority this server trusts".to_string()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it was issued for a different server name (check the server name in the settings)"
                .to_string()
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet (check this server's clock)".to_string()
        }
        C::Revoked => "it has been revoked".to_string(),
        C::BadSignature => "its signature does not check out".to_string(),
        other => format!("{other:?}"),
    }
}

fn describe_io_error(e: &std::io::Error) -> String {
    crate::net::outbound::connect_failure(e).to_string()
}

/// IMAP's modified UTF-7 for folder names (RFC 3501 section 5.1.3), so a
/// folder called "Phishing – reports" can be found.
fn imap_utf7(name: &str) -> String {
    fn flush(out: &mut String, pending: &mut Vec<u16>) {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(
            &base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(bytes)
                .replace('/', ","),
        );
        out.push('-');
        pending.clear();
    }
    let mut out = String::with_capacity(name.len());
    let mut pending = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            pending.extend_from_slice(c.encode_utf16(&mut [0; 2]));
        }
    }
    flush(&mut out, &mut pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_initial_response_is_the_documented_string() {
        let s = xoauth2_sasl("reports@practice.example", "ya29.token");
        assert_eq!(
            s,
            "user=reports@practice.example\x01auth=Bearer ya29.token\x01\x01"
        );
        // What goes on the wire, as async-imap encodes it.
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&s),
            "dXNlcj1yZXBvcnRzQHByYWN0aWNlLmV4YW1wbGUBYXV0aD1CZWFyZXIgeWEyOS50b2tlbgEB"
        );
        let mut once = SaslOnce(Some(s.clone()));
        assert_eq!(once.process(b""), s);
        // The error challenge that follows a refused token gets an empty answer.
        assert_eq!(once.process(b"{\"status\":\"401\"}"), "");
    }

    #[test]
    fn folder_names_are_modified_utf7() {
        assert_eq!(imap_utf7("INBOX"), "INBOX");
        assert_eq!(imap_utf7("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(imap_utf7("台北"), "&U,BTFw-");
        assert_eq!(imap_utf7("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(imap_utf7("Phishing – reports"), "Phishing &IBM- reports");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = MailboxSettings {
            host: "imap.example".into(),
            port: 993,
            security: MailboxSecurity::Tls,
            username: "reports@practice.example".into(),
            auth: MailboxAuth::Password("hunter2-secret".into()),
            folder: "INBOX".into(),
            ca_pem: None,
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("reports@practice.example"),
            "{shown}"
        );
        let o = MailboxAuth::OAuth2 {
            access_token: "ya29.secret".into(),
        };
        assert!(!format!("{o:?}").contains("ya29"));
    }

    #[test]
    fn settings_round_trip_through_json_with_defaults() {
        let json = r#"{"host":"imap.example","port":143,"security":"starttls","username":"u","auth":{"oauth2":{"access_token":"t"}}}"#;
        let s: MailboxSettings = serde_json::from_str(json).unwrap();
        assert_eq!(s.folder, "INBOX");
        assert_eq!(s.security, MailboxSecurity::Starttls);
        assert_eq!(
            s.auth,
            MailboxAuth::OAuth2 {
                access_token: "t".into()
            }
        );
        let back: MailboxSettings =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
