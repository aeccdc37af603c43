//! Delivering a message: through a real SMTP server (lettre, pooled
//! connections, STARTTLS or implicit TLS, optional login), or, when no mail
//! server is configured, into a pickup folder of `.eml` files so a demo or
//! a new install can still follow invitation links.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::Outgoing;
use crate::config::{SmtpSecurity, SmtpSettings};
use crate::net::outbound::{
    connect_failure, io_failure_in, tls_failure_in, FailureKind, OutboundError, Policy,
};

#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (4xx reply, connection trouble).
    Temporary(String),
    /// The server refused the message for good (5xx reply, bad address).
    Permanent(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Pickup {
        dir: PathBuf,
        from: Mailbox,
    },
}

/// A pooled SMTP client for these settings (STARTTLS or implicit TLS, optional login).
pub fn transport(s: &SmtpSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    transport_via(s, &s.host, Duration::from_secs(30))
}

/// A client for a practice's own mail server (a sending profile): it
/// connects only to an address the outbound policy allowed after looking the
/// name up, so the name cannot lead elsewhere by the time it connects, and
/// TLS still checks the certificate against the server's name.
pub async fn practice_transport(
    policy: &Policy,
    s: &SmtpSettings,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, OutboundError> {
    let addrs = policy.resolve(&s.host, s.port).await?;
    let ip = addrs[0].ip().to_string();
    transport_via(s, &ip, policy.timeout()).map_err(|_| OutboundError::CouldNotConnect {
        host: s.host.clone(),
        port: s.port,
        why: "secure connections could not be set up",
    })
}

/// What kind of failure an SMTP error was, and a plain description of it.
/// The server's own words are never repeated (the "mail server" could be
/// any service a manager points Safety Net at); its reply code is a number.
pub fn failure(e: &lettre::transport::smtp::Error) -> (FailureKind, String) {
    let tls = tls_failure_in(e);
    let io = io_failure_in(e).map(connect_failure);
    if let Some(code) = e.status() {
        return (
            FailureKind::ServerSaidNo,
            format!("the mail server refused it (reply code {code})"),
        );
    }
    if e.is_timeout() {
        return (
            FailureKind::TimedOut,
            "the mail server did not answer in time".into(),
        );
    }
    if tls || e.is_tls() {
        return (
            FailureKind::TlsFailed,
            "check the security setting (TLS is usually port 465, STARTTLS port 587) and that the server's certificate is valid for its name".into(),
        );
    }
    if e.is_client() {
        return (
            FailureKind::ServerSaidNo,
            "the mail server does not offer what this profile needs (STARTTLS, or a login method Safety Net can use)".into(),
        );
    }
    if e.is_response() {
        return (
            FailureKind::UnexpectedAnswer,
            "it did not answer as a mail server does: check the port".into(),
        );
    }
    match io {
        Some(why) => (FailureKind::CouldNotConnect, why.to_string()),
        None => (FailureKind::CouldNotConnect, "the connection failed".into()),
    }
}

/// As [`transport`], connecting to `server` (an address already checked) and
/// waiting at most `timeout` for each step.
fn transport_via(
    s: &SmtpSettings,
    server: &str,
    timeout: Duration,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls = || -> anyhow::Result<TlsParameters> {
        let mut b = TlsParameters::builder(s.host.clone());
        if let Some(ca) = &s.ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("reading the SMTP CA file {}", ca.display()))?;
            b = b.add_root_certificate(
                Certificate::from_pem(&pem).context("reading the SMTP CA certificate")?,
            );
        }
        b.build_rustls().context("setting up TLS for SMTP")
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server).port(s.port);
    builder = match s.security {
        SmtpSecurity::None => builder.tls(Tls::None),
        SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    if !s.username.is_empty() {
        builder = builder.credentials(Credentials::new(s.username.clone(), s.password.clone()));
    }
    Ok(builder.timeout(Some(timeout)).build())
}

/// Sorts an SMTP failure into "try again later" or "refused for good".
pub fn classify(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Temporary(e.to_string())
    }
}

impl Mailer {
    pub fn from_settings(s: &SmtpSettings, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let from: Mailbox = s.from.parse().with_context(|| {
            format!(
                "the SMTP 'from' address {:?} is not a valid email address",
                s.from
            )
        })?;
        if s.host.trim().is_empty() {
            return Ok(Self::Pickup {
                dir: data_dir.join("outbox-pickup"),
                from,
            });
        }
        Ok(Self::Smtp {
            transport: transport(s)?,
            from,
        })
    }

    fn build(from: &Mailbox, msg: &Outgoing) -> Result<Message, SendError> {
        let to: Mailbox = msg.to.parse().map_err(|e| {
            SendError::Permanent(format!("the address {:?} cannot be used: {e}", msg.to))
        })?;
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(msg.subject.clone())
            // Tells mail servers and auto-responders this is automatic mail.
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body_text.clone())
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
    }

    pub async fn send(&self, msg: &Outgoing) -> Result<(), SendError> {
        match self {
            Self::Smtp { transport, from } => {
                let m = Self::build(from, msg)?;
                transport.send(m).await.map(|_| ()).map_err(classify)
            }
            Self::Pickup { dir, from } => {
                let m = Self::build(from, msg)?;
                let write = || -> std::io::Result<()> {
                    std::fs::create_dir_all(dir)?;
                    let tmp = dir.join(format!(".{}.tmp", msg.id));
                    std::fs::write(&tmp, m.formatted())?;
                    std::fs::rename(tmp, dir.join(format!("{:06}.eml", msg.id)))
                };
                write()
                    .map_err(|e| SendError::Temporary(format!("writing to the pickup folder: {e}")))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { .. } => "SMTP".into(),
            Self::Pickup { dir, .. } => format!(
                "no mail server set: messages are saved in {}",
                dir.display()
            ),
        }
    }
}

#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
