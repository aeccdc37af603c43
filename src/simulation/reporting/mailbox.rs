//! The practice's reporting mailbox as the rules see it: what is saved
//! ([`Mailbox`]), what the settings page shows about its last check, and the
//! settings form's checks. Talking to the mail server is `imap`; checking it
//! every minute is `worker`.

use serde::Deserialize;

use super::imap::{MailboxAuth, MailboxSecurity, MailboxSettings};
use super::oauth::{self, ClientAuth, OAuthClient};
use super::repo::MailboxRow;
use crate::net::outbound::Policy;
use crate::web::FieldErrors;

pub struct Mailbox {
    pub settings: MailboxSettings,
    pub active: bool,
    pub last_polled: Option<i64>,
    pub last_error: Option<String>,
    pub reports_found: i64,
    /// Why Safety Net can no longer sign in, until the manager fixes it.
    pub attention: Option<String>,
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
            attention: r.attention,
        })
    }

    /// What the manager should do, when the mailbox needs them.
    pub fn what_to_do(&self) -> Option<&'static str> {
        self.attention
            .as_ref()
            .map(|_| super::worker::what_to_do(&self.settings.auth))
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
    /// "password", "oauth2" (a pasted access token), "oauth2_refresh" (a
    /// refresh token) or "oauth2_app" (an app registration).
    pub auth: String,
    pub secret: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
    /// "basic" or "post".
    pub client_auth: String,
    pub refresh_token: String,
    /// The token service's sign-in page, for "Sign in as the mailbox".
    pub authorize_url: String,
    /// Set by the "Sign in as the mailbox" button: the refresh token comes
    /// from that sign-in, so the box may be empty.
    #[serde(skip)]
    pub connecting: bool,
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
            auth: match s.auth {
                MailboxAuth::Password(_) => "password",
                MailboxAuth::OAuth2 { .. } => "oauth2",
                MailboxAuth::OAuth2Refresh { .. } => "oauth2_refresh",
                MailboxAuth::OAuth2App { .. } => "oauth2_app",
            }
            .into(),
            secret: String::new(),
            token_url: s
                .auth
                .oauth_client()
                .map(|c| c.token_url.clone())
                .unwrap_or_default(),
            client_id: s
                .auth
                .oauth_client()
                .map(|c| c.client_id.clone())
                .unwrap_or_default(),
            client_secret: String::new(),
            scope: s
                .auth
                .oauth_client()
                .map(|c| c.scope.clone())
                .unwrap_or_default(),
            client_auth: match s.auth.oauth_client().map(|c| c.client_auth) {
                Some(ClientAuth::Post) => "post".into(),
                _ => "basic".into(),
            },
            refresh_token: String::new(),
            authorize_url: s
                .auth
                .oauth_client()
                .and_then(|c| c.authorize_url.clone())
                .unwrap_or_default(),
            connecting: false,
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
        let auth = match self.auth.as_str() {
            "oauth2_refresh" | "oauth2_app" => self.parse_oauth(policy, old, &mut e),
            _ => self.parse_secret(old, &mut e),
        };
        let Some(auth) = auth else {
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
            auth,
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
    /// A password or a pasted access token; an empty box keeps the saved one of the same kind.
    fn parse_secret(
        &self,
        old: Option<&MailboxSettings>,
        e: &mut FieldErrors,
    ) -> Option<MailboxAuth> {
        let pasted_token = self.auth == "oauth2";
        let secret = if self.secret.is_empty() {
            match old.map(|o| &o.auth) {
                Some(MailboxAuth::Password(p)) if !pasted_token => Some(p.clone()),
                Some(MailboxAuth::OAuth2 { access_token }) if pasted_token => {
                    Some(access_token.clone())
                }
                _ => None,
            }
        } else {
            Some(self.secret.clone())
        };
        let Some(secret) = secret else {
            e.add("secret", "Enter the mailbox password, or an OAuth2 access token for Microsoft 365 and NHSmail");
            return None;
        };
        Some(if pasted_token {
            MailboxAuth::OAuth2 {
                access_token: secret,
            }
        } else {
            MailboxAuth::Password(secret)
        })
    }

    /// A refresh token or an app registration: Safety Net gets the access
    /// tokens itself. Empty secret boxes keep the saved ones.
    fn parse_oauth(
        &self,
        policy: &Policy,
        old: Option<&MailboxSettings>,
        e: &mut FieldErrors,
    ) -> Option<MailboxAuth> {
        let app = self.auth == "oauth2_app";
        let old_client = old.and_then(|o| o.auth.oauth_client());
        let token_url = match oauth::check_token_url(policy, &self.token_url) {
            Ok(u) => u.to_string(),
            Err(why) => {
                e.add("token_url", why);
                String::new()
            }
        };
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() {
            e.add(
                "client_id",
                "Enter the client ID (the app registration's application ID)",
            );
        }
        let client_secret = if self.client_secret.is_empty() {
            old_client.and_then(|c| c.client_secret.clone())
        } else {
            Some(self.client_secret.clone())
        };
        if app && client_secret.is_none() {
            e.add(
                "client_secret",
                "Enter the client secret of the app registration (its value, not its ID)",
            );
        }
        let scope = match self.scope.split_whitespace().collect::<Vec<_>>().join(" ") {
            s if s.is_empty() && app => oauth::M365_APP_SCOPE.to_string(),
            s if s.is_empty() => oauth::M365_DELEGATED_SCOPE.to_string(),
            s => s,
        };
        let authorize_url = match self.authorize_url.trim() {
            "" if self.connecting && !app => {
                e.add("authorize_url", "Enter the sign-in page address (authorisation endpoint), like https://login.microsoftonline.com/<your tenant ID>/oauth2/v2.0/authorize");
                None
            }
            "" => None,
            raw => match oauth::check_token_url(policy, raw) {
                Ok(u) => Some(u.to_string()),
                Err(why) => {
                    e.add(
                        "authorize_url",
                        why.replace("token endpoint", "sign-in page address"),
                    );
                    None
                }
            },
        };
        let client = OAuthClient {
            authorize_url,
            token_url,
            client_id,
            client_secret,
            scope,
            client_auth: if self.client_auth == "post" {
                ClientAuth::Post
            } else {
                ClientAuth::Basic
            },
        };
        if app {
            return Some(MailboxAuth::OAuth2App { client });
        }
        let refresh_token = if self.refresh_token.trim().is_empty() {
            match old.map(|o| &o.auth) {
                Some(MailboxAuth::OAuth2Refresh { refresh_token, .. }) => {
                    Some(refresh_token.clone())
                }
                _ => None,
            }
        } else {
            Some(self.refresh_token.trim().to_string())
        };
        // Signing in as the mailbox brings a new one.
        let refresh_token = if self.connecting {
            Some(String::new())
        } else {
            refresh_token
        };
        match refresh_token {
            Some(refresh_token) => Some(MailboxAuth::OAuth2Refresh {
                client,
                refresh_token,
            }),
            None => {
                e.add(
                    "refresh_token",
                    "Enter the refresh token from signing in as the mailbox with offline access",
                );
                None
            }
        }
    }

    /// The form for a practice with no mailbox yet.
    pub fn new_mailbox() -> Self {
        MailboxForm {
            security: "tls".into(),
            port: "993".into(),
            folder: "INBOX".into(),
            auth: "password".into(),
            client_auth: "basic".into(),
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

    fn oauth_form(mode: &str) -> MailboxForm {
        let mut f = MailboxForm::new_mailbox();
        f.host = "outlook.office365.com".into();
        f.username = "reports@practice.example".into();
        f.auth = mode.into();
        f.token_url = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token".into();
        f.client_id = "app-id".into();
        f.client_secret = "app-secret".into();
        f.refresh_token = "rt-1".into();
        f
    }

    #[test]
    fn a_refresh_token_sign_in_gets_microsofts_scope_and_keeps_saved_secrets() {
        let saved = oauth_form("oauth2_refresh").parse(&policy(), None).unwrap();
        let MailboxAuth::OAuth2Refresh {
            client,
            refresh_token,
        } = &saved.auth
        else {
            panic!("{:?}", saved.auth)
        };
        assert_eq!(client.scope, oauth::M365_DELEGATED_SCOPE);
        assert_eq!(client.client_auth, ClientAuth::Basic);
        assert_eq!(refresh_token, "rt-1");
        // Shown again without its secrets; saving it unchanged keeps them.
        let shown = MailboxForm::from_saved(&Mailbox {
            settings: saved.clone(),
            active: true,
            last_polled: None,
            last_error: None,
            reports_found: 0,
            attention: None,
        });
        assert!(
            shown.client_secret.is_empty()
                && shown.refresh_token.is_empty()
                && shown.secret.is_empty()
        );
        assert_eq!(shown.auth, "oauth2_refresh");
        assert_eq!(shown.parse(&policy(), Some(&saved)).unwrap(), saved);
        // Old JSON (and new) still reads.
        let back: MailboxSettings =
            serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
        assert_eq!(back, saved);
        assert!(
            !format!("{saved:?}").contains("rt-1") && !format!("{saved:?}").contains("app-secret")
        );
    }

    #[test]
    fn an_app_registration_needs_a_secret_and_gets_the_default_scope() {
        let app = oauth_form("oauth2_app").parse(&policy(), None).unwrap();
        assert_eq!(
            app.auth.oauth_client().unwrap().scope,
            oauth::M365_APP_SCOPE
        );
        let mut f = oauth_form("oauth2_app");
        f.client_secret.clear();
        assert!(f
            .parse(&policy(), None)
            .unwrap_err()
            .get("client_secret")
            .is_some());
        // A public client signing in with a refresh token needs none.
        let mut f = oauth_form("oauth2_refresh");
        f.client_secret.clear();
        assert_eq!(
            f.parse(&policy(), None)
                .unwrap()
                .auth
                .oauth_client()
                .unwrap()
                .client_secret,
            None
        );
    }

    #[test]
    fn a_bad_token_endpoint_is_explained_beside_its_box() {
        for (url, says) in [
            ("login.microsoftonline.com/token", "full web address"),
            ("http://login.microsoftonline.com/token", "https://"),
            (
                "https://169.254.169.254/token",
                "Safety Net will not connect",
            ),
        ] {
            let mut f = oauth_form("oauth2_app");
            f.token_url = url.into();
            let e = f.parse(&policy(), None).unwrap_err();
            assert!(
                e.get("token_url").is_some_and(|m| m.contains(says)),
                "{url}"
            );
        }
        let mut f = oauth_form("oauth2_refresh");
        f.refresh_token.clear();
        assert!(f
            .parse(&policy(), None)
            .unwrap_err()
            .get("refresh_token")
            .is_some());
    }
}
