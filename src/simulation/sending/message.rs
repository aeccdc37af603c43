//! The emails the simulation sends: one exercise's email for one recipient
//! (with their tracked links, the marking header and any attachment), and
//! a sending profile's plain test message.

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};

use super::campaigns::Target;
use super::profiles::Profile;
use super::repo::Claimed;
use crate::mail::smtp::SendError;
use crate::net::outbound::{FailureKind, Policy};
use crate::shared::CampaignId;
use crate::simulation::authoring::attachments::Attachment;
use crate::simulation::authoring::SimTemplate;
use crate::simulation::ids::RecipientId;
use crate::simulation::render::{self, Picture, Vars};

/// The header that marks a simulated email (its name comes from the sending profile).
pub fn simulation_header(name: &str, value: &str) -> anyhow::Result<HeaderValue> {
    let name = HeaderName::new_from_ascii(name.to_string())
        .map_err(|e| anyhow::anyhow!("header name {name:?}: {e}"))?;
    Ok(HeaderValue::new(name, value.to_string()))
}

/// The From line for a display name and an address. The name is written
/// into the header by lettre, quoted or RFC 2047-encoded as it needs (so
/// quotes, commas, `@` and accents all arrive as typed); line breaks and
/// other control characters become spaces, since a header name is one line.
/// An empty name gives a bare address, as GoPhish users often write it.
pub fn sender(name: &str, address: &str) -> Result<Mailbox, String> {
    let address: lettre::Address = address
        .trim()
        .parse()
        .map_err(|_| format!("{:?} is not an email address", address.trim()))?;
    let name = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
}

/// A sender line as people write it: `Name <address>` (the name may hold
/// commas, `@` or quotes, quoted or not) or a bare address. `None` when
/// there is no usable address in it.
pub fn split_sender(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let (name, address) = match line.strip_suffix('>').and_then(|l| l.rsplit_once('<')) {
        Some((name, address)) => {
            let name = name.trim();
            let name = name
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .map(|n| n.replace("\\\"", "\"").replace("\\\\", "\\"))
                .unwrap_or_else(|| name.to_string());
            (name, address.trim())
        }
        None => (String::new(), line),
    };
    let mb = sender(&name, address).ok()?;
    Some((mb.name.unwrap_or_default(), mb.email.to_string()))
}

/// What every email of one exercise shares, loaded once per batch.
pub struct CampaignParts {
    pub template: SimTemplate,
    pub prepared: Result<render::Prepared, render::RenderError>,
    /// Sent as it is, or (text kinds) rendered per person by `prepared`.
    pub attachment: Option<Attachment>,
    pub profile: Profile,
    pub practice_name: String,
    /// Whether the email carries the "Report it" link (a practice setting).
    pub report_link: bool,
}

/// The exercise's email for one recipient. A `Permanent` error means it can
/// never be sent as it stands (the template or an address is unusable).
pub fn for_recipient(r: &Claimed, parts: &CampaignParts, sim: &str) -> Result<Message, SendError> {
    let (first, last) = match r.full_name.rsplit_once(' ') {
        Some((f, l)) => (f.trim_start_matches("Dr ").to_string(), l.to_string()),
        None => (r.full_name.clone(), String::new()),
    };
    let first = first.split_whitespace().next().unwrap_or("").to_string();
    let vars = Vars {
        first_name: first,
        last_name: last,
        email: r.email.clone(),
        job_role: r.job_role.clone(),
        practice_name: parts.practice_name.clone(),
        link: format!("{sim}/c/{}", r.token),
        tracker_url: format!("{sim}/o/{}", r.token),
        report_link: if parts.report_link {
            format!("{sim}/r/{}", r.token)
        } else {
            String::new()
        },
        honeypot_url: format!("{sim}/h/{}", r.token),
        picture: match &parts.attachment {
            Some(a) if a.meta.kind.is_picture() => Picture::Inline,
            _ => Picture::None,
        },
    };
    let t = &parts.template;
    let unrenderable = |e: render::RenderError| {
        SendError::Permanent(format!("the template could not be rendered: {}", e.message))
    };
    let prepared = parts
        .prepared
        .as_ref()
        .map_err(|e| unrenderable(e.clone()))?;
    let rendered = prepared.render(&vars).map_err(unrenderable)?;
    // A picture the body shows with `{{ picture }}` travels inside the email
    // (multipart/related); any other file is an ordinary attachment.
    let inline_picture = vars.picture == Picture::Inline && rendered.html.contains("cid:");
    let attachment = match &parts.attachment {
        None => None,
        Some(a) => {
            let bytes = match prepared.render_attachment(&vars) {
                Some(r) => r.map_err(unrenderable)?.into_bytes(),
                None => a.data.clone(),
            };
            let kind = ContentType::parse(a.meta.kind.content_type())
                .map_err(|e| SendError::Permanent(format!("the attachment's type: {e}")))?;
            let part = if inline_picture {
                lettre::message::Attachment::new_inline(render::PICTURE_CID.to_string())
            } else {
                lettre::message::Attachment::new(a.meta.file_name.clone())
            };
            Some(part.body(bytes, kind))
        }
    };
    let from = sender(&rendered.from_name, &t.content.from_address).map_err(|e| {
        SendError::Permanent(format!("the template's sender address cannot be used: {e}"))
    })?;
    let to: Mailbox = r.email.parse().map_err(|e| {
        SendError::Permanent(format!("the address {:?} cannot be used: {e}", r.email))
    })?;
    let envelope =
        Envelope::new(
            Some(parts.profile.envelope_from.parse().map_err(|e| {
                SendError::Permanent(format!("the profile's envelope sender: {e}"))
            })?),
            vec![r
                .email
                .parse()
                .map_err(|e| SendError::Permanent(format!("{e}")))?],
        )
        .map_err(|e| SendError::Permanent(e.to_string()))?;
    let host = url::Url::parse(sim)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let header = simulation_header(&parts.profile.header_name, &r.token)
        .map_err(|e| SendError::Permanent(e.to_string()))?;
    let body = match attachment {
        None => MultiPart::alternative_plain_html(rendered.text, rendered.html),
        Some(picture) if inline_picture => MultiPart::alternative()
            .singlepart(SinglePart::plain(rendered.text))
            .multipart(
                MultiPart::related()
                    .singlepart(SinglePart::html(rendered.html))
                    .singlepart(picture),
            ),
        Some(file) => MultiPart::mixed()
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .singlepart(file),
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(format!("<{}@{host}>", r.token)))
        .envelope(envelope)
        .raw_header(header)
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
}

/// Builds the exercise's email for one of its people without sending it:
/// `Err` says in plain words why no email of the exercise could go (the
/// template does not render, or its sender or the profile's address is
/// unusable), so a launch is refused with the reason rather than failing
/// for every recipient.
pub fn check_launch(parts: &CampaignParts, t: &Target, sim: &str) -> Result<(), String> {
    let sample = Claimed {
        id: RecipientId::new(0),
        campaign_id: CampaignId::new(0),
        token: "launch-check".into(),
        email: t.email.clone(),
        full_name: t.full_name.clone(),
        job_role: t.job_role.clone(),
        send_attempts: 1,
    };
    match for_recipient(&sample, parts, sim) {
        Ok(_) => Ok(()),
        Err(SendError::Permanent(why)) | Err(SendError::Temporary(why)) => Err(format!(
            "The email cannot be sent as it stands: {why}. Change the email template or the sending profile, then launch again."
        )),
    }
}

/// Sends the test message; on failure, which kind it was and why in plain words.
pub async fn send_test(
    policy: &Policy,
    p: &Profile,
    to: &str,
) -> Result<(), (FailureKind, String)> {
    let unusable = |what: &str| (FailureKind::ServerSaidNo, format!("{what} cannot be used"));
    let msg = lettre::Message::builder()
        .from(p.envelope_from.parse::<Mailbox>().map_err(|_| unusable("the envelope sender"))?)
        .to(to.parse::<Mailbox>().map_err(|_| unusable("the address"))?)
        .subject("Test message from your phishing-exercise sending profile")
        .raw_header(
            simulation_header(&p.header_name, "test")
                .map_err(|_| unusable("the header name"))?,
        )
        .header(ContentType::TEXT_PLAIN)
        .body("This is a test of a sending profile. If you can read it, simulated emails can be delivered.\n".to_string())
        .map_err(|_| unusable("the message"))?;
    let transport = crate::mail::smtp::practice_transport(policy, &p.smtp())
        .await
        .map_err(|e| (e.kind(), e.to_string().trim_end_matches('.').to_string()))?;
    // lettre bounds only the connection itself; the whole test send is bounded here.
    // (Per-command limits for the sender belong with its rework, issue 12 item 5.)
    match tokio::time::timeout(policy.timeout() * 2, transport.send(msg)).await {
        Ok(sent) => sent.map(|_| ()).map_err(|e| crate::mail::smtp::failure(&e)),
        Err(_) => Err((
            FailureKind::TimedOut,
            "the mail server did not answer in time".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The From line as it goes out, and the name and address a mail program reads from it.
    fn header(mb: Mailbox) -> (String, Option<String>, String) {
        let m = Message::builder()
            .from(mb)
            .to("tom@example.org".parse().unwrap())
            .subject("s")
            .body(String::new())
            .unwrap();
        let raw = m.formatted();
        let text = String::from_utf8(raw.clone()).unwrap();
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("From: "))
            .unwrap()
            .to_string();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let from = parsed.from().unwrap().first().unwrap();
        (
            line,
            from.name().map(str::to_string),
            from.address().unwrap().to_string(),
        )
    }

    #[test]
    fn display_names_are_encoded_not_refused() {
        for (name, reads) in [
            ("IT Support", Some("IT Support")),
            ("Smith, John", Some("Smith, John")),
            ("help@desk", Some("help@desk")),
            ("Say \"hi\" <now>", Some("Say \"hi\" <now>")),
            (
                "Line\r\nBcc: x@evil.example",
                Some("Line Bcc: x@evil.example"),
            ),
            ("Zoë Brontë", Some("Zoë Brontë")),
            ("", None),
        ] {
            let (line, got, address) = header(sender(name, "it@example.org").unwrap());
            assert_eq!(got.as_deref(), reads, "for {name:?}: {line}");
            assert_eq!(address, "it@example.org");
            assert!(line.is_ascii(), "encoded: {line}");
        }
        assert!(sender("IT", "not an address").is_err());
    }

    #[test]
    fn sender_lines_as_gophish_users_write_them() {
        let split = |l| split_sender(l).unwrap();
        assert_eq!(
            split("it@example.org"),
            ("".into(), "it@example.org".into())
        );
        assert_eq!(
            split("IT Support <it@example.org>"),
            ("IT Support".into(), "it@example.org".into())
        );
        assert_eq!(
            split("Helpdesk, NHS <it@example.org>"),
            ("Helpdesk, NHS".into(), "it@example.org".into())
        );
        assert_eq!(
            split("\"Smith, \\\"JJ\\\"\" <it@example.org>"),
            ("Smith, \"JJ\"".into(), "it@example.org".into())
        );
        assert!(split_sender("IT Support").is_none());
        assert!(split_sender("").is_none());
    }
}
