//! Settings: built-in defaults, then an optional TOML file, then
//! `SAFETYNET_…` environment variables (nested keys joined by `__`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`. Empty means
    /// a SQLite file inside `data_dir`.
    pub database_url: String,
    /// Where Safety Net keeps its SQLite database and other files.
    pub data_dir: PathBuf,
    /// The staff and admin app.
    pub listen: SocketAddr,
    /// The simulation site (tracking links and landing pages), kept apart from the app.
    pub sim_listen: SocketAddr,
    /// The address people type to reach the app, used in emailed links.
    /// Empty means the address the app listens on.
    pub public_url: String,
    /// The address of the simulation site as recipients see it (empty: its listen address).
    pub sim_public_url: String,
    /// Trust the `X-Forwarded-For` header for the client address (only behind a reverse proxy you run).
    pub trust_forwarded_for: bool,
    /// With `trust_forwarded_for`: how many proxies you run in front of Safety Net. The client's
    /// address is the entry this many places from the right of `X-Forwarded-For` (each proxy
    /// appends the address it was reached from; entries further left are written by the client).
    pub forwarded_hops: usize,
    pub limits: ConnectionLimits,
    pub outbound: OutboundSettings,
    pub session: SessionSettings,
    pub simulation: SimulationSettings,
    pub sign_in: SignInSettings,
    pub smtp: SmtpSettings,
    pub metrics: MetricsSettings,
    pub jobs: JobSettings,
    /// Signing in with the organisation's account (OpenID Connect), e.g. Microsoft Entra ID or
    /// Keycloak. Local accounts keep working beside them.
    pub oidc: OidcSettings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    pub providers: Vec<OidcProvider>,
}

/// One identity provider people may sign in with (`[[oidc.providers]]`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// A short name for addresses and settings, like `entra` (letters, digits and dashes).
    pub id: String,
    /// What people see on the button: "Sign in with <name>".
    pub name: String,
    /// The issuer, like https://login.microsoftonline.com/<tenant id>/v2.0 (HTTPS; plain HTTP
    /// only on this machine's loopback address).
    pub issuer: String,
    pub client_id: String,
    /// Better kept out of the file: `client_secret_file` or `client_secret_env`.
    #[serde(default)]
    pub client_secret: String,
    /// A file holding the client secret (read at start-up).
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// An environment variable holding the client secret.
    #[serde(default)]
    pub client_secret_env: String,
    /// The claim holding the person's email address: `email` (the default), or for Entra ID
    /// often `preferred_username`.
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// `amr` values that mean the provider checked a second factor; then Safety Net does not
    /// ask for its own code.
    #[serde(default = "default_mfa_amr")]
    pub mfa_amr: Vec<String>,
    /// `acr` values that mean the same (empty: none).
    #[serde(default)]
    pub mfa_acr: Vec<String>,
    /// How far the provider's clock may be from ours when checking a token's times (0 to 300).
    #[serde(default = "default_clock_skew")]
    pub clock_skew_seconds: i64,
}

fn default_email_claim() -> String {
    "email".into()
}

pub(crate) fn default_mfa_amr() -> Vec<String> {
    // RFC 8176's methods that are a second factor or stronger than a password alone.
    [
        "mfa", "otp", "hwk", "sms", "fido", "face", "fpt", "iris", "retina", "sc", "swk", "tel",
        "vbm",
    ]
    .map(String::from)
    .to_vec()
}

fn default_clock_skew() -> i64 {
    120
}

impl std::fmt::Debug for OidcProvider {
    // The secret must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// Checks the entry and reads its secret from the file or environment named.
    fn prepare(&mut self) -> anyhow::Result<()> {
        let id = &self.id;
        anyhow::ensure!(
            !id.is_empty()
                && id.len() <= 40
                && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "oidc.providers: the id {id:?} must be 1 to 40 lower-case letters, digits or dashes, like entra"
        );
        anyhow::ensure!(
            !self.name.trim().is_empty(),
            "oidc.providers {id}: give it a name for the button"
        );
        anyhow::ensure!(
            !self.client_id.is_empty(),
            "oidc.providers {id}: client_id is missing"
        );
        let issuer = url::Url::parse(&self.issuer).map_err(|_| {
            anyhow::anyhow!(
                "oidc.providers {id}: issuer {:?} is not an address",
                self.issuer
            )
        })?;
        let loopback = match issuer.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => false,
        };
        anyhow::ensure!(
            issuer.scheme() == "https" || (issuer.scheme() == "http" && loopback),
            "oidc.providers {id}: the issuer must use https:// (plain http only on this machine's loopback address)"
        );
        anyhow::ensure!(
            (0..=300).contains(&self.clock_skew_seconds),
            "oidc.providers {id}: clock_skew_seconds must be from 0 to 300"
        );
        anyhow::ensure!(
            !self.email_claim.is_empty(),
            "oidc.providers {id}: email_claim is empty"
        );
        if let Some(path) = &self.client_secret_file {
            let s = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "oidc.providers {id}: reading client_secret_file {}",
                    path.display()
                )
            })?;
            self.client_secret = s.trim().to_string();
        } else if !self.client_secret_env.is_empty() {
            self.client_secret = std::env::var(&self.client_secret_env).map_err(|_| {
                anyhow::anyhow!(
                    "oidc.providers {id}: the environment variable {} is not set",
                    self.client_secret_env
                )
            })?;
        }
        Ok(())
    }
}

/// How often the background jobs that run on one node at a time look for work.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// The training rules (induction, refreshers, reminders, the Monday round-up). Only one node
    /// applies them at a time, whichever holds their lease; the lease lasts three intervals.
    pub training_rules_seconds: u64,
}

/// Where the operator's monitoring reads `/metrics` (see `metrics`). Off unless one is set.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A listener of its own for `/metrics`, such as 127.0.0.1:9464 (keep it off the internet).
    pub listen: Option<SocketAddr>,
    /// A bearer token `/metrics` asks for (on the app's listener when `listen` is not set).
    /// Better set from the environment: SAFETYNET_METRICS__TOKEN.
    pub token: String,
}

impl std::fmt::Debug for MetricsSettings {
    // The token must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("listen", &self.listen)
            .field(
                "token",
                &if self.token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Signed out after this many minutes without activity.
    pub idle_minutes: i64,
    /// Signed out this many hours after signing in, whatever happens.
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInSettings {
    /// Failed guesses allowed per account in the window (Cyber Essentials: at most 10 in 5 minutes).
    pub max_failures_per_account: i64,
    /// Failed guesses allowed from one network address in the window. A whole
    /// practice often shares one address, so this is higher.
    pub max_failures_per_ip: i64,
    pub window_minutes: i64,
    /// Passwords checked at once (each check takes about 19 MiB for a moment). 0: one per CPU core.
    pub concurrent_hashes: usize,
    /// How long a sign-in waits for a free slot before being asked to try again in a moment.
    pub hash_queue_seconds: u64,
}

/// Time limits and connection caps for both listeners, so slow or idle
/// connections cannot use up the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this; a kept-alive connection waiting for its
    /// next request is also closed after this long.
    pub header_timeout_seconds: u64,
    /// A request's whole body must arrive within this.
    pub body_timeout_seconds: u64,
    /// A connection whose client stops reading the answer is closed after this long.
    pub write_timeout_seconds: u64,
    /// Open connections per listener; beyond this new ones wait to be accepted.
    pub max_connections: usize,
    /// Open connections from one network address to the simulation site (not applied with
    /// `trust_forwarded_for`, where every connection comes from the proxy).
    pub sim_max_connections_per_address: usize,
}

/// Where Safety Net may connect on a practice's behalf (sending profiles, the reporting
/// mailbox, webhooks). Public addresses only, unless a network is listed here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    /// Private networks (CIDR, like 10.20.0.0/16 or 127.0.0.0/8) that practices' mail servers
    /// and webhook receivers may be on. Cloud metadata addresses are never allowed.
    pub allow_networks: Vec<String>,
    /// How long a mail server may take to answer each step (connecting, each SMTP command).
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSettings {
    /// Team figures are shown only for groups at least this big, so no one is singled out.
    pub min_group_size: i64,
    /// A click this soon after delivery waits for the page to confirm a real browser.
    pub too_soon_seconds: i64,
    /// Extra browser names (parts, any case) that mark an email scanner, added to the built-in list.
    pub scanner_user_agents: Vec<String>,
    /// Networks (CIDR, like 40.94.0.0/16) whose clicks are scanners', e.g. your mail filter's.
    pub scanner_networks: Vec<String>,
    /// How long a sender's claim on an email lasts. The sender renews it while it works, so
    /// this is how long emails claimed by a process that died wait before another sends them.
    pub send_lease_seconds: i64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Empty: system email stays in the outbox until a mail server is set.
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls` (implicit TLS, usually port 465).
    pub security: SmtpSecurity,
    pub username: String,
    pub password: String,
    /// The sender of invitations and password resets.
    pub from: String,
    /// Extra CA certificate (PEM) to trust, for a mail relay with a private CA.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    // The password must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            listen: "127.0.0.1:8080".parse().expect("valid literal"),
            sim_listen: "127.0.0.1:8081".parse().expect("valid literal"),
            public_url: String::new(),
            sim_public_url: String::new(),
            trust_forwarded_for: false,
            forwarded_hops: 1,
            limits: ConnectionLimits {
                header_timeout_seconds: 10,
                body_timeout_seconds: 60,
                write_timeout_seconds: 60,
                max_connections: 10_000,
                sim_max_connections_per_address: 1024,
            },
            outbound: OutboundSettings {
                allow_networks: Vec::new(),
                timeout_seconds: 30,
            },
            simulation: SimulationSettings {
                min_group_size: 5,
                too_soon_seconds: 10,
                scanner_user_agents: Vec::new(),
                scanner_networks: Vec::new(),
                send_lease_seconds: 6,
            },
            session: SessionSettings {
                idle_minutes: 30,
                absolute_hours: 12,
            },
            sign_in: SignInSettings {
                max_failures_per_account: 10,
                max_failures_per_ip: 50,
                window_minutes: 5,
                concurrent_hashes: 0,
                hash_queue_seconds: 5,
            },
            smtp: SmtpSettings {
                host: String::new(),
                port: 587,
                security: SmtpSecurity::Starttls,
                username: String::new(),
                password: String::new(),
                from: "Safety Net <safety-net@localhost>".into(),
                ca_file: None,
            },
            metrics: MetricsSettings::default(),
            jobs: JobSettings {
                training_rules_seconds: 600,
            },
            oidc: OidcSettings::default(),
        }
    }
}

impl Settings {
    /// Defaults, then the file (if given), then the environment.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "the configuration file {} does not exist",
                path.display()
            );
            fig = fig.merge(Toml::file(path));
        }
        // SAFETYNET_TEST_* and SAFETYNET_CI_* belong to the test suite, SAFETYNET_CONFIG names the file.
        let env = Env::prefixed("SAFETYNET_")
            .filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                !(k.starts_with("test_") || k.starts_with("ci_") || k == "config")
            })
            .split("__");
        fig = fig.merge(env);
        let mut s: Settings = fig.extract().context("reading the configuration")?;
        for n in &s.simulation.scanner_networks {
            n.parse::<ipnet::IpNet>().map_err(|_| {
                anyhow::anyhow!(
                    "simulation.scanner_networks: {n:?} is not a network like 40.94.0.0/16"
                )
            })?;
        }
        for n in &s.outbound.allow_networks {
            n.parse::<ipnet::IpNet>().map_err(|_| {
                anyhow::anyhow!("outbound.allow_networks: {n:?} is not a network like 10.20.0.0/16")
            })?;
        }
        anyhow::ensure!(
            s.forwarded_hops >= 1,
            "forwarded_hops must be 1 or more (the number of proxies in front of Safety Net)"
        );
        let l = &s.limits;
        anyhow::ensure!(
            l.header_timeout_seconds >= 1
                && l.body_timeout_seconds >= 1
                && l.write_timeout_seconds >= 1,
            "limits: the timeouts must be at least 1 second"
        );
        anyhow::ensure!(
            l.max_connections >= 16 && l.sim_max_connections_per_address >= 1,
            "limits: max_connections must be at least 16 and sim_max_connections_per_address at least 1"
        );
        anyhow::ensure!(
            (3..=3600).contains(&s.simulation.send_lease_seconds),
            "simulation.send_lease_seconds must be from 3 to 3600 (it is {})",
            s.simulation.send_lease_seconds
        );
        anyhow::ensure!(
            (1..=86_400).contains(&s.jobs.training_rules_seconds),
            "jobs.training_rules_seconds must be from 1 to 86400 (it is {})",
            s.jobs.training_rules_seconds
        );
        let mut seen = std::collections::HashSet::new();
        for p in &mut s.oidc.providers {
            p.prepare()?;
            anyhow::ensure!(
                seen.insert(p.id.clone()),
                "oidc.providers: the id {:?} is used twice",
                p.id
            );
        }
        s.fill_derived();
        Ok(s)
    }

    /// Fills values that default to something computed from other values.
    pub fn fill_derived(&mut self) {
        if self.database_url.is_empty() {
            self.database_url =
                format!("sqlite://{}", self.data_dir.join("safetynet.db").display());
        }
        self.public_url = self.public_url.trim_end_matches('/').to_string();
        self.sim_public_url = self.sim_public_url.trim_end_matches('/').to_string();
    }

    /// Cookies are marked Secure and HSTS is sent when people reach the app over HTTPS.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl OidcSettings {
    /// The provider with this id, if the operator set one up.
    pub fn provider(&self, id: &str) -> Option<&OidcProvider> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> anyhow::Result<Settings> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("safetynet.toml");
        std::fs::write(&path, toml).unwrap();
        Settings::load(Some(&path))
    }

    #[test]
    fn an_identity_provider_is_read_with_its_secret_from_a_file_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cret-from-file\n").unwrap();
        let s = load(&format!(
            "[[oidc.providers]]\nid = \"entra\"\nname = \"NHS account\"\nissuer = \"https://login.example/t/v2.0\"\nclient_id = \"abc\"\nclient_secret_file = {:?}\nemail_claim = \"preferred_username\"\n",
            secret.display().to_string()
        ))
        .unwrap();
        let p = s.oidc.provider("entra").unwrap();
        assert_eq!(p.client_secret, "s3cret-from-file");
        assert_eq!(p.email_claim, "preferred_username");
        assert!(p.mfa_amr.contains(&"mfa".to_string()));
        assert_eq!(p.clock_skew_seconds, 120);
        assert!(
            !format!("{p:?}").contains("s3cret"),
            "the secret never reaches a log"
        );

        let base = "name = \"X\"\nclient_id = \"abc\"\nclient_secret = \"x\"\n";
        for (entry, says) in [
            ("id = \"entra\"\nissuer = \"http://login.example/t\"\n", "must use https://"),
            ("id = \"Entra ID\"\nissuer = \"https://login.example/t\"\n", "lower-case letters"),
            ("id = \"e\"\nissuer = \"https://login.example/t\"\nclock_skew_seconds = 3600\n", "from 0 to 300"),
            ("id = \"e\"\nissuer = \"https://login.example/t\"\nclient_secret_env = \"SAFETYNET_TEST_NO_SUCH_VAR\"\n", "is not set"),
        ] {
            let err = load(&format!("[[oidc.providers]]\n{entry}{base}")).unwrap_err();
            assert!(format!("{err:#}").contains(says), "{err:#}");
        }
        // Plain http is for a provider on this machine only.
        let s = load(&format!(
            "[[oidc.providers]]\nid = \"local\"\nissuer = \"http://127.0.0.1:9000\"\n{base}"
        ))
        .unwrap();
        assert_eq!(s.oidc.providers.len(), 1);
        let twice = format!(
            "[[oidc.providers]]\nid = \"a\"\nissuer = \"https://x.example\"\n{base}[[oidc.providers]]\nid = \"a\"\nissuer = \"https://y.example\"\n{base}"
        );
        assert!(format!("{:#}", load(&twice).unwrap_err()).contains("used twice"));
    }
}
