//! The practice's reporting mailbox as the rules see it: what is saved
//! ([`Mailbox`]), what the settings page shows about its last check, and the
//! settings form's checks. Talking to the mail server is `imap`; checking it
//! every minute is `worker`.

use serde::Deserialize;

use super::imap::{MailboxAuth, MailboxSecurity, MailboxSettings};
use super::repo::MailboxRow;
use crate::net::outbound::Policy;
use crate::web::FieldErrors;

pub struct Mailbox {
    pub settings: MailboxSettings,
    pub active: bool,
    pub last_polled: Option<i64>,
    pub last_error: Option<String>,
    pub reports_found: i64,
}

impl Mailbox {
    /// The saved row; an error if its settings no longer read.
    pub fn from_row(r: MailboxRow) -> Result<Self, serde_json::Error> {
        Ok(Self {
            settings: serde_json::from_str(&r.settings_json)?,
            active: r.active,
            last_polled: r.last_polled_at,
            last_error: r.last_error,
            reports_found: r.reports_found,
        })
    }

    /// How its last check went, for the settings page.
    pub fn status(&self) -> String {
        match (&self.last_error, self.last_polled) {
            (Some(e), _) => format!("Last check failed: {e}"),
            (None, Some(t)) => format!(
                "Last checked {}. {} reports found so far.",
                crate::ukclock::format(t),
                self.reports_found
            ),
            (None, None) => "Not checked yet: it is checked every minute.".into(),
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct MailboxForm {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    /// "password" or "oauth2".
    pub auth: String,
    pub secret: String,
    pub folder: String,
    pub ca_pem: String,
    pub active: String,
}

impl MailboxForm {
    pub fn from_saved(m: &Mailbox) -> Self {
        let s = &m.settings;
        Self {
            host: s.host.clone(),
            port: s.port.to_string(),
            security: if matches!(s.security, MailboxSecurity::Tls) {
                "tls".into()
            } else {
                "starttls".into()
            },
            username: s.username.clone(),
            auth: if matches!(s.auth, MailboxAuth::OAuth2 { .. }) {
                "oauth2".into()
            } else {
                "password".into()
            },
            secret: String::new(),
            folder: s.folder.clone(),
            ca_pem: s.ca_pem.clone().unwrap_or_default(),
            active: if m.active {
                "yes".into()
            } else {
                String::new()
            },
        }
    }

    /// `old` keeps the saved password or token when the box is left empty.
    pub fn parse(
        &self,
        policy: &Policy,
        old: Option<&MailboxSettings>,
    ) -> Result<MailboxSettings, FieldErrors> {
        let mut e = FieldErrors::default();
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            e.add(
                "host",
                "Enter the mail server's name, like outlook.office365.com or imap.example.org",
            );
        } else if let Err(why) = policy.check_host(host) {
            e.add("host", why);
        }
        let security = if self.security == "starttls" {
            MailboxSecurity::Starttls
        } else {
            MailboxSecurity::Tls
        };
        let port = if self.port.trim().is_empty() {
            security.default_port()
        } else {
            match self.port.trim().parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    e.add(
                        "port",
                        "Enter the port number: usually 993 for TLS or 143 for STARTTLS",
                    );
                    0
                }
            }
        };
        if self.username.trim().is_empty() {
            e.add(
                "username",
                "Enter the mailbox's user name (often its email address)",
            );
        }
        let secret = if self.secret.is_empty() {
            match old.map(|o| &o.auth) {
                Some(MailboxAuth::Password(p)) if self.auth != "oauth2" => Some(p.clone()),
                Some(MailboxAuth::OAuth2 { access_token }) if self.auth == "oauth2" => {
                    Some(access_token.clone())
                }
                _ => None,
            }
        } else {
            Some(self.secret.clone())
        };
        let Some(secret) = secret else {
            e.add("secret", "Enter the mailbox password, or an OAuth2 access token for Microsoft 365 and NHSmail");
            return Err(e);
        };
        if !e.is_empty() {
            return Err(e);
        }
        let folder = self.folder.trim();
        Ok(MailboxSettings {
            host: host.into(),
            port,
            security,
            username: self.username.trim().into(),
            auth: if self.auth == "oauth2" {
                MailboxAuth::OAuth2 {
                    access_token: secret,
                }
            } else {
                MailboxAuth::Password(secret)
            },
            folder: if folder.is_empty() {
                "INBOX".into()
            } else {
                folder.into()
            },
            ca_pem: Some(self.ca_pem.trim().to_string()).filter(|s| !s.is_empty()),
        })
    }
}

impl MailboxForm {
    /// The form for a practice with no mailbox yet.
    pub fn new_mailbox() -> Self {
        MailboxForm {
            security: "tls".into(),
            port: "993".into(),
            folder: "INBOX".into(),
            auth: "password".into(),
            active: "yes".into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(&[], std::time::Duration::from_secs(5))
    }

    #[test]
    fn an_empty_secret_keeps_the_saved_one_of_the_same_kind() {
        let mut f = MailboxForm::new_mailbox();
        f.host = "imap.example.org".into();
        f.username = "reports@practice.example".into();
        let old = MailboxSettings {
            host: "imap.example.org".into(),
            port: 993,
            security: MailboxSecurity::Tls,
            username: "reports@practice.example".into(),
            auth: MailboxAuth::Password("saved".into()),
            folder: "INBOX".into(),
            ca_pem: None,
        };
        let kept = f.parse(&policy(), Some(&old)).unwrap();
        assert_eq!(kept.auth, MailboxAuth::Password("saved".into()));
        f.auth = "oauth2".into();
        assert!(f
            .parse(&policy(), Some(&old))
            .unwrap_err()
            .get("secret")
            .is_some());
    }
}
