//! Sending profiles as the rules see them: the mail server simulated emails
//! go through, the header that marks them, and the profile form's checks.

use serde::Deserialize;

use crate::config::{SmtpSecurity, SmtpSettings};
use crate::net::outbound::Policy;
use crate::shared::EmailAddress;
use crate::simulation::ids::ProfileId;
use crate::web::FieldErrors;

/// The header that marks every simulated email, so mail administrators can
/// allow-list or filter them. Its name can be changed per profile.
pub const DEFAULT_HEADER: &str = "X-Safety-Net-Simulation";

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: ProfileId,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: String,
    pub envelope_from: String,
    pub header_name: String,
}

impl Profile {
    pub fn smtp(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: self.username.clone(),
            password: self.password.clone(),
            from: self.envelope_from.clone(),
            ca_file: None,
        }
    }
    /// The connection security as stored and sent by the form.
    pub fn security_key(&self) -> &'static str {
        security_key(self.security)
    }
    pub fn security_label(&self) -> &'static str {
        match self.security {
            SmtpSecurity::None => "No encryption",
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS",
        }
    }
}

/// The connection security as stored (`sending_profiles.security`) and sent by forms.
pub fn security_key(s: SmtpSecurity) -> &'static str {
    match s {
        SmtpSecurity::None => "none",
        SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
    }
}

/// The connection security for a stored or typed key (STARTTLS unless it says otherwise).
pub fn security_from_key(key: &str) -> SmtpSecurity {
    match key {
        "none" => SmtpSecurity::None,
        "tls" => SmtpSecurity::Tls,
        _ => SmtpSecurity::Starttls,
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: String,
    pub envelope_from: String,
    pub header_name: String,
}

impl ProfileForm {
    pub fn from_profile(p: &Profile) -> Self {
        Self {
            name: p.name.clone(),
            host: p.host.clone(),
            port: p.port.to_string(),
            security: p.security_key().into(),
            username: p.username.clone(),
            password: String::new(),
            envelope_from: p.envelope_from.clone(),
            header_name: p.header_name.clone(),
        }
    }

    /// `existing_password` keeps the saved password when the box is left empty.
    pub fn parse(
        &self,
        policy: &Policy,
        existing_password: Option<&str>,
    ) -> Result<Profile, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add(
                "name",
                "Give the profile a name, like \"Practice mail relay\"",
            );
        }
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            e.add(
                "host",
                "Enter the mail server's name, like smtp.example.org",
            );
        } else if let Err(why) = policy.check_host(host) {
            e.add("host", why);
        }
        let port = match self.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                e.add(
                    "port",
                    "Enter the port number, usually 587 (STARTTLS), 465 (TLS) or 25",
                );
                0
            }
        };
        let security = security_from_key(&self.security);
        let from = match EmailAddress::parse(&self.envelope_from) {
            Ok(a) => a.as_str().to_string(),
            Err(_) => {
                e.add("envelope_from", "Enter the address the mail server sends from, like simulations@riversidesurgery.nhs.uk");
                String::new()
            }
        };
        let header = self.header_name.trim();
        let header = if header.is_empty() {
            DEFAULT_HEADER
        } else {
            header
        };
        if !header.starts_with("X-")
            || !header
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            e.add(
                "header_name",
                "The header name must start with X- and use only letters, numbers and hyphens",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        let password = if self.password.is_empty() {
            existing_password.unwrap_or("").to_string()
        } else {
            self.password.clone()
        };
        Ok(Profile {
            id: ProfileId::new(0),
            name: name.into(),
            host: host.into(),
            port,
            security,
            username: self.username.trim().into(),
            password,
            envelope_from: from,
            header_name: header.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ProfileForm {
        ProfileForm {
            name: "Relay".into(),
            host: "smtp.example.org".into(),
            port: "587".into(),
            security: "starttls".into(),
            envelope_from: "sims@riverside.example".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_header_defaults_and_must_be_an_x_header() {
        let policy = Policy::new(&[], std::time::Duration::from_secs(5));
        let p = form().parse(&policy, Some("kept")).unwrap();
        assert_eq!(p.header_name, DEFAULT_HEADER);
        assert_eq!(p.password, "kept");
        let mut f = form();
        f.header_name = "Subject".into();
        assert!(f
            .parse(&policy, None)
            .unwrap_err()
            .get("header_name")
            .is_some());
    }

    #[test]
    fn security_keys_round_trip() {
        for s in [
            SmtpSecurity::None,
            SmtpSecurity::Starttls,
            SmtpSecurity::Tls,
        ] {
            assert_eq!(security_from_key(security_key(s)), s);
        }
    }
}
