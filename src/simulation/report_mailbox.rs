//! The reporting-mailbox monitor. Staff who spot a simulated phishing email
//! and forward it to the practice's reporting mailbox should be counted as
//! having reported it. This module reads that mailbox over IMAP, finds the
//! recipient tokens in newly arrived messages, and hands them back; it knows
//! nothing about campaigns or the database.
//!
//! Forwarding mangles links in many ways (quoted-printable, HTML entities,
//! percent-encoding, Safe Links, Proofpoint, forward-as-attachment), so
//! [`tokens_in_message`] looks at every decoded layer of every part, and at
//! the raw message as a fallback. A token only counts once the caller finds
//! it in the database, so looking too widely costs nothing but a lookup.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use async_imap::{Authenticator, Client, Session};
use base64::Engine as _;
use futures_util::TryStreamExt as _;
use mail_parser::{Message, MessageParser, MimeHeaders as _, PartType};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;

use crate::net::outbound::{FailureKind, OutboundError, Policy};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

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
    /// XOAUTH2, for Microsoft 365 and NHSmail where passwords are switched off.
    #[serde(rename = "oauth2")]
    OAuth2 { access_token: String },
}

// Settings get logged; the secrets must not.
impl fmt::Debug for MailboxAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password(<redacted>)"),
            Self::OAuth2 { .. } => f.write_str("OAuth2 { access_token: <redacted> }"),
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
    let mut session = open(policy, settings).await?;
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
    let mut session = open(policy, settings).await?;
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

async fn open(policy: &Policy, s: &MailboxSettings) -> Result<Session<ImapStream>, MailboxError> {
    let client = connect(policy, s).await?;
    let mut session = log_in(client, s).await?;
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
) -> Result<Session<ImapStream>, MailboxError> {
    let user = s.username.trim();
    let attempt = match &s.auth {
        MailboxAuth::Password(password) => {
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
        MailboxAuth::OAuth2 { access_token } => {
            let sasl = SaslOnce(Some(xoauth2_sasl(user, access_token)));
            within(s, "logging in", client.authenticate("XOAUTH2", sasl)).await?
        }
    };
    match attempt {
        Ok(session) => Ok(session),
        Err((async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_), _)) => {
            let username = user.to_string();
            Err(match s.auth {
                MailboxAuth::Password(_) => MailboxError::PasswordRefused { username },
                MailboxAuth::OAuth2 { .. } => MailboxError::TokenRefused { username },
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

// ---------- finding tokens in a message ----------

/// Headers the original simulated email carries its token in; they survive
/// forwarding as an attachment, and replies keep it in References.
const TOKEN_HEADERS: [&str; 4] = [
    "Message-ID",
    "X-Safety-Net-Simulation",
    "References",
    "In-Reply-To",
];
/// Nested forwarded-as-attachment messages deeper than this are not opened.
const MAX_NESTING: usize = 8;
/// The raw fallback looks at no more than this much of a message; the parsed
/// walk has already seen everything decoded.
const MAX_RAW_SCAN: usize = 16 << 20;
/// Rounds of decoding (entities, percent, Proofpoint) applied to each text:
/// a Safe Links wrapper around a Proofpoint link is three layers deep.
const DECODE_ROUNDS: usize = 4;

struct Analysis {
    tokens: Vec<RecipientToken>,
    reporter: Option<String>,
    date: Option<i64>,
}

/// Tokens in one raw RFC 5322 message, whatever encoding and wrapping it went
/// through, without repeats (in the order found, which depends on how deeply
/// each was wrapped). Never panics.
pub fn tokens_in_message(raw: &[u8]) -> Vec<RecipientToken> {
    match analyse(raw) {
        Some(a) => a.tokens,
        None => {
            let mut found = Found::default();
            found.scan_raw(raw);
            found.tokens
        }
    }
}

/// None when the bytes are not a message at all.
fn analyse(raw: &[u8]) -> Option<Analysis> {
    // mail-parser is careful, but this runs on whatever arrives in a mailbox:
    // a panic in it must cost one message's structure, not the poll.
    let parsed = std::panic::catch_unwind(|| {
        let message = MessageParser::default().parse(raw)?;
        let mut found = Found::default();
        found.walk(&message, 0);
        let reporter = message
            .from()
            .or_else(|| message.sender())
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty());
        let date = message.date().map(|d| d.to_timestamp());
        Some((found, reporter, date))
    });
    let (mut found, reporter, date) = match parsed {
        Ok(Some(p)) => p,
        Ok(None) | Err(_) => return None,
    };
    found.scan_raw(raw);
    Some(Analysis {
        tokens: found.tokens,
        reporter,
        date,
    })
}

#[derive(Default)]
struct Found {
    tokens: Vec<RecipientToken>,
}

impl Found {
    fn add(&mut self, text: &str) {
        for t in RecipientToken::find_all(text) {
            if !self.tokens.contains(&t) {
                self.tokens.push(t);
            }
        }
    }

    fn walk(&mut self, message: &Message<'_>, depth: usize) {
        for (name, value) in message.headers_raw() {
            if TOKEN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                self.scan(value, Layers::All);
            }
        }
        for part in &message.parts {
            match &part.body {
                PartType::Text(text) | PartType::Html(text) => self.scan(text, Layers::All),
                PartType::Message(inner) if depth < MAX_NESTING => self.walk(inner, depth + 1),
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    self.binary(part, bytes, depth)
                }
                PartType::Message(_) | PartType::Multipart(_) => {}
            }
        }
    }

    /// Attachments that can hold a forwarded email: an .eml not labelled
    /// message/rfc822, an Outlook .msg (whose text is UTF-16), or text
    /// labelled as something else. Pictures, PDFs and the like are skipped.
    fn binary(&mut self, part: &mail_parser::MessagePart<'_>, bytes: &[u8], depth: usize) {
        let (main_type, sub_type) = part
            .content_type()
            .map(|c| {
                (
                    c.ctype().to_ascii_lowercase(),
                    c.subtype().unwrap_or("").to_ascii_lowercase(),
                )
            })
            .unwrap_or_default();
        let name = part.attachment_name().unwrap_or("").to_ascii_lowercase();
        let has_ext = |exts: &[&str]| exts.iter().any(|e| name.ends_with(e));
        let is_message = main_type == "message" || has_ext(&[".eml"]);
        let is_outlook = sub_type == "vnd.ms-outlook" || has_ext(&[".msg"]);
        let is_text =
            main_type == "text" || sub_type.contains("html") || has_ext(&[".txt", ".htm", ".html"]);
        if !(is_message || is_outlook || is_text) || bytes.len() > MAX_RAW_SCAN {
            return;
        }
        if is_message && depth < MAX_NESTING {
            if let Some(inner) = MessageParser::default().parse(bytes) {
                self.walk(&inner, depth + 1);
            }
        }
        self.scan(&String::from_utf8_lossy(bytes), Layers::Some);
        if is_outlook {
            let without_nuls: Vec<u8> = bytes.iter().copied().filter(|b| *b != 0).collect();
            self.scan(&String::from_utf8_lossy(&without_nuls), Layers::Some);
        }
    }

    /// The whole message as text, for anything the parsed walk missed
    /// (a malformed MIME structure, a mislabelled transfer encoding).
    fn scan_raw(&mut self, raw: &[u8]) {
        let raw = &raw[..raw.len().min(MAX_RAW_SCAN)];
        // Base64 lines of attachments are most of a big message and cannot
        // show a token; leaving them out keeps this pass cheap.
        let mut text = Vec::with_capacity(raw.len().min(1 << 20));
        for line in raw.split_inclusive(|b| *b == b'\n') {
            if !looks_like_base64_line(line) {
                text.extend_from_slice(line);
            }
        }
        self.scan(&String::from_utf8_lossy(&text), Layers::Some);
    }

    /// Scans the text and every decoded form of it. Decoding only turns
    /// escapes into characters, so each round's text keeps every token the
    /// round before could see, except where a decoded character glues onto a
    /// token; scanning every round covers that.
    fn scan(&mut self, text: &str, layers: Layers) {
        self.add(text);
        let mut current: Cow<'_, str> = Cow::Borrowed(text);
        for _ in 0..DECODE_ROUNDS {
            let mut changed = false;
            for decode in [decode_entities, decode_percent, decode_proofpoint_v2] {
                if let Some(decoded) = decode(&current) {
                    self.add(&decoded);
                    current = Cow::Owned(decoded);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // These can join text that was apart, so they are scanned beside the
        // decoded text, never instead of it.
        let joined = [
            strip_markup(&current),
            unwrap_lines(&current),
            decode_qp(text),
        ];
        for variant in joined.into_iter().flatten() {
            if layers == Layers::Decode {
                self.add(&variant);
            } else {
                self.scan(&variant, Layers::Decode);
            }
        }
        if layers == Layers::All {
            for decoded in base64_runs(&current) {
                self.scan(&decoded, Layers::Decode);
            }
        }
    }
}

/// How far [`Found::scan`] goes. `All` for decoded text parts and headers;
/// `Some` (no base64 guessing) for raw bytes, where every line of every
/// attachment would look like base64; `Decode` for text already derived.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layers {
    All,
    Some,
    Decode,
}

/// A line of a base64 body: long, only base64 characters, and mixed case
/// with digits as encoded data always is. Quoted-printable lines that end in
/// a soft break (`=`) and links (`:`, `.`) never match.
fn looks_like_base64_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line
        .strip_suffix(b"==")
        .or_else(|| line.strip_suffix(b"="))
        .unwrap_or(line);
    line.len() >= 60
        && line
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
        && line.iter().any(|c| c.is_ascii_uppercase())
        && line
            .iter()
            .any(|c| c.is_ascii_digit() || *c == b'+' || *c == b'/')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%2F` and `%2f` alike. None if there was nothing to decode.
fn decode_percent(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                changed = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Quoted-printable: soft line breaks (which can split a token in two) and
/// `=XX` escapes. None if there was nothing to decode.
fn decode_qp(s: &str) -> Option<String> {
    if !(s.contains("=\n") || s.contains("=\r\n") || s.contains("=3D") || s.contains("=3d")) {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            // A soft break may have trailing blanks before the line end.
            let mut j = i + 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if b.get(j) == Some(&b'\n') {
                i = j + 1;
                continue;
            }
            if b.get(j) == Some(&b'\r') && b.get(j + 1) == Some(&b'\n') {
                i = j + 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex_val(*c)),
                b.get(i + 2).and_then(|c| hex_val(*c)),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    let out = String::from_utf8_lossy(&out).into_owned();
    (out != s).then_some(out)
}

/// HTML character references: numeric, and the named ones that turn up in
/// links. None if there was nothing to decode.
fn decode_entities(s: &str) -> Option<String> {
    if !s.contains('&') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match entity_at(rest) {
            Some((decoded, used)) => {
                out.push_str(decoded.as_str());
                rest = &rest[used..];
                changed = true;
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The entity at the start of `s` (which begins with `&`): its text and how
/// many bytes it used.
fn entity_at(s: &str) -> Option<(String, usize)> {
    let body_end = s[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .map(|i| i + 1)
        .unwrap_or(s.len());
    let body = &s[1..body_end];
    let used = if s[body_end..].starts_with(';') {
        body_end + 1
    } else {
        body_end
    };
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return Some((char::from_u32(code).unwrap_or('\u{FFFD}').to_string(), used));
    }
    let text = match body {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "sol" => "/",
        "colon" => ":",
        "period" => ".",
        "equals" => "=",
        "quest" => "?",
        "percnt" => "%",
        "num" => "#",
        "excl" => "!",
        "lowbar" => "_",
        "hyphen" | "dash" => "-",
        "commat" => "@",
        "nbsp" => " ",
        "shy" | "ZeroWidthSpace" => "",
        _ => return None,
    };
    // Without a semicolon only the old core entities count (`&amp` in hrefs).
    if used == body_end && !matches!(body, "amp" | "lt" | "gt" | "quot") {
        return None;
    }
    Some((text.to_string(), used))
}

/// Proofpoint URL Defense v2 (`/v2/url?u=https-3A__host_c_token`): `-XX` is a
/// hex escape and `_` a slash. v1 percent-encodes, and v3 (`/v3/__url__;…`)
/// keeps letters and digits as they are, so both need nothing of their own.
fn decode_proofpoint_v2(s: &str) -> Option<String> {
    if !(s.contains("-3A__") || s.contains("urldefense")) {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            let hi = b
                .get(i + 1)
                .filter(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(*c));
            let lo = b
                .get(i + 2)
                .filter(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(*c));
            if let (Some(h), Some(l)) = (hi, lo) {
                out.push(hex_val(*h)? * 16 + hex_val(*l)?);
                i += 3;
                changed = true;
                continue;
            }
        }
        if b[i] == b'_' {
            out.push(b'/');
            changed = true;
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Text with HTML tags removed and the invisible characters mail programs
/// put into long links (soft hyphens, zero-width spaces) taken out, so a
/// link split by `<wbr>` joins up again.
fn strip_markup(s: &str) -> Option<String> {
    const INVISIBLE: [char; 6] = [
        '\u{AD}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
    ];
    if !(s.contains('<') || s.contains(INVISIBLE)) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag || INVISIBLE.contains(&c) => {}
            _ => out.push(c),
        }
    }
    (out != s).then_some(out)
}

/// Lines joined, dropping reply quote markers (`> `), for a link that a mail
/// program wrapped in the middle.
fn unwrap_lines(s: &str) -> Option<String> {
    if !s.contains('\n') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push_str(if i == 0 {
            line
        } else {
            line.trim_start_matches(['>', ' ', '\t'])
        });
    }
    Some(out)
}

/// Long base64 runs decoded, for link wrappers that base64 the original
/// address (Sophos's `u=` parameter, for one).
fn base64_runs(s: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    // A 22-character token in a link is at least ~35 characters of base64.
    const MIN_RUN: usize = 32;
    let is_b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_b64(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_b64(b[i]) {
            i += 1;
        }
        let run = &b[start..i];
        if run.len() < MIN_RUN || !run.iter().any(|c| c.is_ascii_uppercase()) {
            continue; // plain lower-case words and tokens themselves
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            if let Ok(bytes) = engine.decode(run) {
                if let Ok(text) = String::from_utf8(bytes) {
                    out.push(text);
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> RecipientToken {
        RecipientToken::generate()
    }

    /// A forwarding message with the given body parts already assembled.
    fn message(headers: &str, body: &str) -> Vec<u8> {
        format!(
            "From: Alice Smith <Alice.Smith@Practice.example>\r\n\
             To: phishing-reports@practice.example\r\n\
             Subject: FW: Your parcel could not be delivered\r\n\
             Date: Tue, 03 Mar 2026 09:15:00 +0000\r\n\
             Message-ID: <forward-1@mail.practice.example>\r\n\
             MIME-Version: 1.0\r\n{headers}\r\n{body}"
        )
        .into_bytes()
    }

    fn qp_encode(text: &str) -> String {
        // Soft line breaks every 40 characters, as an encoder might, and '=' escaped.
        let escaped = text.replace('=', "=3D");
        let chars: Vec<char> = escaped.chars().collect();
        chars
            .chunks(40)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("=\r\n")
    }

    fn b64_lines(text: &str) -> String {
        let enc = base64::engine::general_purpose::STANDARD.encode(text);
        enc.as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n")
    }

    fn pct(s: &str, lower: bool) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                    (b as char).to_string()
                } else if lower {
                    format!("%{b:02x}")
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    #[test]
    fn plain_text_link() {
        let t = token();
        let raw = message(
            "Content-Type: text/plain\r\n",
            &format!("Looks dodgy:\r\nhttps://parcel-track.example/c/{t}\r\n"),
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn quoted_printable_soft_break_splitting_the_token() {
        let t = token();
        // The break falls inside the token: `=\r\n` in the middle of it.
        let html = format!("<a href=\"https://parcel-track.example/c/{t}\">Track</a>");
        let split = html.find(t.as_str()).unwrap() + 9;
        let encoded = format!(
            "{}=\r\n{}",
            html[..split].replace('=', "=3D"),
            html[split..].replace('=', "=3D")
        );
        let raw = message("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n", &encoded);
        assert_eq!(tokens_in_message(&raw), vec![t.clone()]);
        // And when the part is mislabelled, so only the raw fallback sees it.
        let raw = message("Content-Type: text/html; charset=utf-8\r\n", &encoded);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn html_entities() {
        let t = token();
        let href = format!("https&#58;&#x2F;&#x2f;parcel-track.example&sol;c&#47;{t}&amp;x=1");
        let raw = message(
            "Content-Type: text/html\r\n",
            &format!("<a href=\"{href}\">Track</a>"),
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn percent_encoding_with_lower_case_hex_glues_without_decoding() {
        let t = token();
        // "%2f" then the token: undecoded, the "f" runs into it.
        let link = format!("https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fparcel-track.example%2fc%2f{t}&c=E,1,abc");
        assert!(
            RecipientToken::find_all(&link).is_empty(),
            "the test must need decoding"
        );
        let raw = message("Content-Type: text/plain\r\n", &link);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn safe_links_wrapping() {
        let t = token();
        let original = format!("https://parcel-track.example/c/{t}");
        let wrapped = format!(
            "https://eur01.safelinks.protection.outlook.com/?url={}&data=05%7C02%7Calice%40practice.example%7C&sdata=abc%3D&reserved=0",
            pct(&original, false)
        );
        let html = format!(
            "<p>From: Parcels</p><a href=\"{}\">Track</a>",
            wrapped.replace('&', "&amp;")
        );
        let raw = message(
            "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            &qp_encode(&html),
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn safe_links_around_a_percent_encoded_link_is_decoded_twice() {
        let t = token();
        let inner = format!("https://parcel-track.example/c%2f{t}");
        let wrapped = format!(
            "https://eur01.safelinks.protection.outlook.com/?url={}&data=05",
            pct(&inner, true)
        );
        let raw = message("Content-Type: text/plain\r\n", &wrapped);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn proofpoint_v3() {
        let t = token();
        let link = format!("https://urldefense.com/v3/__https://parcel-track.example/c/{t}__;!!ABCdef!GhIjKl-MnOp$");
        let raw = message("Content-Type: text/plain\r\n", &link);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn proofpoint_v2() {
        let t = token();
        // An escaped "&" ("-26") glues "26" onto the token until decoded.
        let link = format!(
            "https://urldefense.proofpoint.com/v2/url?u=https-3A__parcel-2Dtrack.example_c_x-3Fa-3Db-26{t}&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e="
        );
        assert!(
            RecipientToken::find_all(&link).is_empty(),
            "the test must need decoding"
        );
        let raw = message("Content-Type: text/plain\r\n", &link);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn rewriters_that_carry_the_address_in_a_parameter() {
        let (a, b) = (token(), token());
        let text = format!(
            "https://imsva91-ctp.trendmicro.com:443/wis/clicktime/v1/query?url=https%3a%2f%2fx.example%2fc%2f{a}&umid=1234\r\n\
             https://www.google.com/url?q=https://x.example/o/{b}&sa=D&source=editors\r\n"
        );
        let raw = message("Content-Type: text/plain\r\n", &text);
        let found = tokens_in_message(&raw);
        assert!(
            found.len() == 2 && found.contains(&a) && found.contains(&b),
            "{found:?}"
        );
    }

    #[test]
    fn mimecast_links_are_opaque_so_the_headers_must_carry_it() {
        // Mimecast's /s/ links keep no trace of the original address; only a
        // copy forwarded as an attachment (with its headers) can be matched.
        let t = token();
        let inline = "<a href=\"https://protect-eu.mimecast.com/s/AbCdEfGhIjKlMnOp?domain=parcel-track.example\">Track</a>";
        assert!(tokens_in_message(&message("Content-Type: text/html\r\n", inline)).is_empty());
        let body = format!(
            "--b1\r\nContent-Type: text/html\r\n\r\n{inline}\r\n\
             --b1\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--b1--\r\n",
            simulated_original(&t, None)
        );
        let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn base64_wrapped_link() {
        let t = token();
        let original = format!("https://parcel-track.example/c/{t}");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&original);
        let link = format!("https://eu-central-1.protection.sophos.com?d=parcel-track.example&u={b64}&i=NjE&t=Ym9i&h=abc");
        let raw = message("Content-Type: text/plain\r\n", &link);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn link_split_by_wbr_and_soft_hyphen() {
        let t = token();
        let (a, b) = t.as_str().split_at(10);
        let html = format!(
            "<p>https://parcel-track.example/c/{a}<wbr>{}&shy;{}</p>",
            &b[..4],
            &b[4..]
        );
        let raw = message("Content-Type: text/html\r\n", &html);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn link_wrapped_in_a_quoted_reply() {
        let t = token();
        let (a, b) = t.as_str().split_at(12);
        let text = format!(
            "See below\r\n\r\n> Track your parcel: https://parcel-track.example/c/{a}\r\n> {b}\r\n"
        );
        let raw = message("Content-Type: text/plain\r\n", &text);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn inline_forward_base64_html() {
        let t = token();
        let html = format!(
            "<div>Is this real?</div><hr><b>From:</b> Parcels &lt;noreply@parcel-track.example&gt;<br>\
             <a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fparcel-track.example%2Fc%2F{t}&amp;data=05\">Track</a>"
        );
        let body = format!(
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIs this real?\r\n\
             --b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
            b64_lines(&html)
        );
        let raw = message(
            "Content-Type: multipart/alternative; boundary=\"b1\"\r\n",
            &body,
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    fn simulated_original(t: &RecipientToken, body_token: Option<&RecipientToken>) -> String {
        let body = match body_token {
            Some(b) => format!("<a href=3D\"https://parcel-track.example/c/{b}\">Track</a>"),
            None => "<p>Your parcel is waiting.</p>".to_string(),
        };
        format!(
            "From: Parcels <noreply@parcel-track.example>\r\n\
             To: alice.smith@practice.example\r\n\
             Subject: Your parcel could not be delivered\r\n\
             Message-ID: <{t}@parcel-track.example>\r\n\
             X-Safety-Net-Simulation: {t}\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n{body}\r\n"
        )
    }

    #[test]
    fn forwarded_as_attachment() {
        let t = token();
        let body = format!(
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"parcel.eml\"\r\n\r\n{}\r\n--b1--\r\n",
            simulated_original(&t, None)
        );
        let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn forwarded_as_base64_attachment_labelled_octet_stream() {
        let t = token();
        let body = format!(
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b1\r\nContent-Type: application/octet-stream; name=\"parcel.eml\"\r\n\
             Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"parcel.eml\"\r\n\r\n{}\r\n--b1--\r\n",
            b64_lines(&simulated_original(&t, None))
        );
        let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn forwarded_as_base64_message_rfc822() {
        let t = token();
        let body = format!(
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
            b64_lines(&simulated_original(&t, None))
        );
        let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn outlook_msg_attachment_in_utf16() {
        let t = token();
        let mut msg = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0".to_vec();
        for u in format!("X-Safety-Net-Simulation: {t}\r\n").encode_utf16() {
            msg.extend_from_slice(&u.to_le_bytes());
        }
        let body = format!(
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --b1\r\nContent-Type: application/vnd.ms-outlook; name=\"parcel.msg\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
            base64::engine::general_purpose::STANDARD.encode(&msg)
        );
        let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn reply_keeps_the_token_in_references() {
        let t = token();
        let raw = message(
            &format!("In-Reply-To: <{t}@parcel-track.example>\r\nReferences: <{t}@parcel-track.example>\r\nContent-Type: text/plain\r\n"),
            "Is this real?\r\n",
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn no_token_gives_nothing() {
        let raw = message(
            "Content-Type: text/plain\r\n",
            "Hello, this email from our bank looks suspicious, please check abcdefghijklmnopqrstuv.\r\n\
             https://bank.example/login?session=aaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
        assert_eq!(tokens_in_message(&raw), Vec::<RecipientToken>::new());
        assert_eq!(tokens_in_message(b""), Vec::<RecipientToken>::new());
    }

    #[test]
    fn two_tokens_both_found_in_order() {
        let (a, b) = (token(), token());
        let raw = message(
            "Content-Type: text/plain\r\n",
            &format!("first https://x.example/c/{a}\r\nsecond https://x.example/o/{b}\r\n"),
        );
        assert_eq!(tokens_in_message(&raw), vec![a, b]);
    }

    #[test]
    fn the_same_token_many_times_counts_once() {
        let t = token();
        let links: String = (0..50)
            .map(|i| format!("https://x.example/c/{t}?n={i} https://x.example/o/{t}\r\n"))
            .collect();
        let raw = message(
            &format!("X-Safety-Net-Simulation: {t}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"),
            &qp_encode(&links),
        );
        assert_eq!(tokens_in_message(&raw), vec![t]);
    }

    #[test]
    fn reporter_and_date_come_from_the_forwarding_message() {
        let t = token();
        let raw = message(
            "Content-Type: text/plain\r\n",
            &format!("https://x.example/c/{t}\r\n"),
        );
        let a = analyse(&raw).unwrap();
        assert_eq!(a.reporter.as_deref(), Some("alice.smith@practice.example"));
        assert_eq!(a.date, Some(1_772_529_300)); // 2026-03-03T09:15:00Z
        assert_eq!(a.tokens, vec![t]);
    }

    #[test]
    fn random_and_truncated_input_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5afe_7e57);
        let t = token();
        let samples = [
            simulated_original(&t, Some(&t)).into_bytes(),
            message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &format!(
                "--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
                b64_lines(&simulated_original(&t, Some(&t)))
            )),
            message("Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n", &qp_encode(&format!(
                "<a href=\"https://urldefense.proofpoint.com/v2/url?u=https-3A__x.example_c_{t}&amp;d=1\">&#x</a>%%%2"
            ))),
        ];
        for sample in &samples {
            for cut in 0..sample.len() {
                let _ = tokens_in_message(&sample[..cut]);
            }
        }
        // Random bytes, weighted towards the characters the decoders react to.
        let alphabet = b"=%&#;<>_-3AaF\r\n\t :/?abcdefgh234567xX\x00\xff\xc3";
        for _ in 0..400 {
            let len = rng.gen_range(0..600);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.gen_bool(0.7) {
                        alphabet[rng.gen_range(0..alphabet.len())]
                    } else {
                        rng.gen()
                    }
                })
                .collect();
            let _ = tokens_in_message(&bytes);
            let mut with_headers =
                b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n".to_vec();
            with_headers.extend_from_slice(&bytes);
            let _ = tokens_in_message(&with_headers);
        }
        // Deep nesting of forwarded attachments.
        let mut nested = simulated_original(&t, None);
        for _ in 0..30 {
            nested = format!("Content-Type: message/rfc822\r\n\r\n{nested}");
        }
        assert_eq!(tokens_in_message(nested.as_bytes()), vec![t]);
    }

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

    mod fuzz {
        use super::super::*;
        use crate::simulation::fuzz;
        use proptest::prelude::*;

        fn pct(s: &str) -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        }

        proptest! {
            #![proptest_config(crate::simulation::fuzz::config(192))]

            /// Nothing that arrives in the reporting mailbox can stop the monitor.
            #[test]
            fn no_message_panics_the_parser(raw in fuzz::email()) {
                let _ = tokens_in_message(&raw);
            }

            /// A forwarded exercise link is found whatever wrapped, encoded and nested it.
            #[test]
            fn a_forwarded_link_is_found_whatever_the_wrapping(
                wrap in 0..4usize,
                encoding in 0..3usize,
                nesting in 0..3usize,
                before in "[a-zA-Z ,.]{0,200}",
                after in "[a-zA-Z ,.]{0,200}",
                lf in any::<bool>(),
            ) {
                let token = RecipientToken::generate();
                let link = format!("https://updates.example.org/c/{}", token.as_str());
                let (ctype, shown) = match wrap {
                    0 => ("text/plain", link.clone()),
                    1 => ("text/html", format!("<p><a href=\"{link}\">Open</a></p>")),
                    2 => ("text/html", format!("<a href=\"{}\">x</a>", link.replace('/', "&#x2f;"))),
                    _ => ("text/plain", format!("https://eur01.safelinks.protection.outlook.com/?url={}&amp;data=05", pct(&link))),
                };
                let body = format!("{before}\n{shown}\n{after}");
                let (cte, encoded) = match encoding {
                    0 => ("7bit", body),
                    1 => ("quoted-printable", fuzz::qp(&body)),
                    _ => ("base64", fuzz::base64_lines(&body)),
                };
                let leaf = format!("Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{encoded}\r\n");
                let inner = match nesting {
                    0 => leaf,
                    1 => format!("Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--zz\r\n{leaf}--zz--\r\n"),
                    _ => format!("Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nForwarded as an attachment.\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\nFrom: NHSmail <it@nhs-mail.example>\r\nSubject: Password expiry\r\nMIME-Version: 1.0\r\n{leaf}--zz--\r\n"),
                };
                let mut raw = format!("From: Alice <alice@practice.example>\r\nTo: reports@practice.example\r\nSubject: FW: Password expiry\r\nMIME-Version: 1.0\r\n{inner}");
                if lf {
                    raw = raw.replace("\r\n", "\n");
                }
                let found = tokens_in_message(raw.as_bytes());
                prop_assert!(found.contains(&token), "not found in: {}", raw);
            }
        }
    }
}
