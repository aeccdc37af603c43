//! Reading a device check-in, with no storage: the bearer token and its
//! hash, the JSON body, and the device it describes, cleaned and ready to
//! match against the register.

use axum::http::{header, HeaderMap};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::resilience::assets::repo::CheckIn;
use crate::resilience::assets::{normal_hostname, normal_serial, AssetKind, Encryption};

/// How a token is stored and looked up: never as itself.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new enrolment token: 24 random bytes, recognisable by its prefix.
pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("snci_{}", hex::encode(bytes))
}

/// The token in an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() && token.len() <= 200)
        .then(|| token.trim().to_string())
}

/// What a check-in script sends (every field may be missing).
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = CheckIn)]
pub struct Report {
    pub hostname: Option<String>,
    pub serial: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub build: Option<String>,
    pub kind: Option<String>,
    pub encryption: Option<String>,
    /// An RFC 3339 time, or Unix seconds as a number.
    #[schema(value_type = Option<String>)]
    pub last_update: Option<serde_json::Value>,
    pub script: Option<String>,
}

/// A check-in's device, cleaned: text cut to length, the operating system
/// with its version, make and model joined, kind and encryption understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub hostname: String,
    pub serial: Option<String>,
    pub name: String,
    pub kind: AssetKind,
    pub os: String,
    pub build: String,
    pub make_model: String,
    pub encryption: Option<Encryption>,
    pub last_update: Option<i64>,
}

impl Report {
    /// The device, or what is wrong with the check-in. An update time more
    /// than a day ahead of `now`, or before 1970, is refused: the device's
    /// clock is wrong, and storing it would hide that it needs updates.
    pub fn device(&self, now: i64) -> Result<Device, String> {
        let Some(hostname) = normal_hostname(&text(&self.hostname, 255)) else {
            return Err("The check-in has no computer name (hostname), so Safety Net cannot tell which device it is.".into());
        };
        let last_update = moment(&self.last_update)?;
        match last_update {
            Some(t) if t > now + 86_400 => return Err("last_update is more than a day ahead of Safety Net's clock: check the device's date and time, then check in again.".into()),
            Some(t) if t < 0 => return Err("last_update is before 1970: check the device's date and time, then check in again.".into()),
            _ => {}
        }
        let serial = normal_serial(&text(&self.serial, 100));
        let mut os = text(&self.os, 150);
        let version = text(&self.os_version, 40);
        if !version.is_empty() && !os.to_lowercase().contains(&version.to_lowercase()) {
            os = format!("{os} {version}").trim().to_string();
        }
        let build = text(&self.build, 60);
        let make = text(&self.make, 80);
        let model = text(&self.model, 100);
        let make_model = match (make.is_empty(), model.is_empty()) {
            (false, false) if model.to_lowercase().starts_with(&make.to_lowercase()) => model,
            (false, false) => format!("{make} {model}"),
            (false, true) => make,
            (true, _) => model,
        };
        let encryption = match text(&self.encryption, 20).to_lowercase().as_str() {
            "yes" | "on" | "true" => Some(Encryption::Yes),
            "no" | "off" | "false" => Some(Encryption::No),
            _ => None,
        };
        let kind = match text(&self.kind, 20).to_lowercase().as_str() {
            "laptop" => AssetKind::Laptop,
            "server" => AssetKind::Server,
            _ if os.to_lowercase().contains("server") => AssetKind::Server,
            _ => AssetKind::Desktop,
        };
        let name = text(&self.hostname, 100).trim_end_matches('.').to_string();
        Ok(Device {
            hostname,
            serial,
            name,
            kind,
            os,
            build,
            make_model,
            encryption,
            last_update,
        })
    }
}

impl Device {
    /// The device as the register's storage takes it.
    pub fn as_checkin(&self) -> CheckIn<'_> {
        CheckIn {
            hostname: &self.hostname,
            serial: self.serial.as_deref(),
            name: &self.name,
            kind: self.kind,
            os: &self.os,
            os_build: &self.build,
            make_model: &self.make_model,
            encryption: self.encryption,
            last_update: self.last_update,
        }
    }
}

/// Text from the device: control characters dropped, spaces joined, cut short.
fn text(v: &Option<String>, max: usize) -> String {
    let s: String = v
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

/// RFC 3339 text or Unix seconds.
fn moment(v: &Option<serde_json::Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| "last_update must be whole seconds since 1970".to_string()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => {
            time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
                .map(|t| Some(t.unix_timestamp()))
                .map_err(|_| {
                    format!(
                        "last_update must be a time like 2026-11-12T10:04:00Z (it was {:?})",
                        s.chars().take(40).collect::<String>()
                    )
                })
        }
        Some(_) => Err("last_update must be a time like 2026-11-12T10:04:00Z".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn times_from_scripts() {
        assert_eq!(
            moment(&Some(serde_json::json!(1_700_000_000))),
            Ok(Some(1_700_000_000))
        );
        assert_eq!(
            moment(&Some(serde_json::json!("2026-11-12T10:04:00Z"))),
            Ok(Some(
                time::macros::datetime!(2026-11-12 10:04 UTC).unix_timestamp()
            ))
        );
        assert_eq!(moment(&Some(serde_json::Value::Null)), Ok(None));
        assert!(moment(&Some(serde_json::json!("yesterday"))).is_err());
    }

    #[test]
    fn bearer_tokens() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  snci_abc "),
        );
        assert_eq!(bearer(&h).as_deref(), Some("snci_abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn a_check_in_becomes_a_device() {
        let report: Report = serde_json::from_value(serde_json::json!({
            "hostname": " RECEPTION-PC1. ", "serial": "to be filled by o.e.m.",
            "make": "HP", "model": "HP EliteDesk 800 G6", "os": "Windows Server 2022", "os_version": "21H2",
            "encryption": "On", "last_update": 2_000_000_000,
        }))
        .unwrap();
        assert!(report
            .device(1_700_000_000)
            .unwrap_err()
            .contains("more than a day ahead"));
        let d = report.device(2_000_000_000).unwrap();
        assert_eq!(d.hostname, "reception-pc1");
        assert_eq!(d.name, "RECEPTION-PC1");
        assert_eq!(d.serial, None);
        assert_eq!(d.make_model, "HP EliteDesk 800 G6");
        assert_eq!(d.os, "Windows Server 2022 21H2");
        assert_eq!(d.kind, AssetKind::Server);
        assert_eq!(d.encryption, Some(Encryption::Yes));
        assert_eq!(d.last_update, Some(2_000_000_000));
        let mut before_1970 = report.clone();
        before_1970.last_update = Some(serde_json::json!(-5));
        assert!(before_1970
            .device(2_000_000_000)
            .unwrap_err()
            .contains("before 1970"));
        assert!(Report::default()
            .device(0)
            .unwrap_err()
            .contains("no computer name"));
    }
}
