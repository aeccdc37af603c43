//! Spawns the real app for each test: random ports, a fresh database on the
//! chosen backend, and (when asked) a real SMTP server on loopback.

use safetynet::shared::{PracticeId, StaffId, UserId};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use rand::Rng;
use safetynet::app::Application;
use safetynet::auth::{mfa, password, Role};
use safetynet::config::{Settings, SmtpSecurity};
use safetynet::db::Db;
use safetynet::mail::worker::{Outcome, Worker};
use safetynet::shared::{AppState, Clock};
use safetynet::shared::{EmailAddress, PersonName};
use safetynet::with_db;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend. The PostgreSQL pass needs
/// SAFETYNET_TEST_POSTGRES_URL (set by `.ci/run`); without it the pass is
/// skipped with a notice, except in CI where it must run.
#[macro_export]
macro_rules! storage_test {
    // With settings changed for the test (after the test defaults).
    ($name:ident, configured: $configure:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn_configured(
                    $crate::helpers::Backend::Sqlite,
                    false,
                    $configure,
                )
                .await;
                let _alive = app.keep_alive();
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::helpers::postgres_available() {
                    return;
                }
                let app = $crate::helpers::TestApp::spawn_configured(
                    $crate::helpers::Backend::Postgres,
                    false,
                    $configure,
                )
                .await;
                let _alive = app.keep_alive();
                ($body)(app).await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                // The body's `async move` captures only the fields it uses; this keeps the
                // database folder and the server alive until the body has finished.
                let _alive = app.keep_alive();
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::helpers::postgres_available() {
                    return;
                }
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                let _alive = app.keep_alive();
                ($body)(app).await;
            }
        }
    };
}

static SKIP_NOTICE: Once = Once::new();

pub fn postgres_available() -> bool {
    if std::env::var("SAFETYNET_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI must run the PostgreSQL pass: SAFETYNET_TEST_POSTGRES_URL is not set (.ci/run sets it)");
    }
    SKIP_NOTICE.call_once(|| {
        // Straight to stderr, past the test harness's output capture, so it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** PostgreSQL pass SKIPPED: SAFETYNET_TEST_POSTGRES_URL is not set. `bash .ci/run` starts a private PostgreSQL and runs it. ***\n"
        );
    });
    false
}

async fn fresh_postgres() -> (String, Db) {
    let admin_url = std::env::var("SAFETYNET_TEST_POSTGRES_URL").expect("checked");
    let name = format!("sn_test_{}", rand::thread_rng().gen::<u64>());
    let admin = Db::connect_without_migrating(&admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    with_db!(&admin, p => sqlx::query(&format!("CREATE DATABASE {name}")).execute(p).await.map(|_| ())).expect("create test database");
    admin.close().await;
    let mut url = url::Url::parse(&admin_url).expect("valid URL");
    url.set_path(&format!("/{name}"));
    let db = Db::connect(url.as_str())
        .await
        .expect("connect and migrate");
    (url.to_string(), db)
}

pub struct TestApp {
    pub base: String,
    pub sim_base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: Db,
    pub db_url: String,
    pub worker: Worker,
    pub clock: Clock,
    pub backend: Backend,
    pub smtp: Option<SmtpSink>,
    pub dir: Arc<tempfile::TempDir>,
    stop: Arc<StopOnDrop>,
    configure: Configure,
}

/// Changes a test makes to the settings, kept for restarts.
pub type Configure = Arc<dyn Fn(&mut Settings) + Send + Sync>;

/// Stops the spawned app when the test ends.
pub struct StopOnDrop(CancellationToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

pub struct Options {
    pub smtp: bool,
    pub smtp_reply_code: Option<u16>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(
            backend,
            Options {
                smtp: false,
                smtp_reply_code: None,
            },
        )
        .await
    }

    /// Spawns with settings changed by `configure` (after the test defaults).
    pub async fn spawn_configured(
        backend: Backend,
        smtp: bool,
        configure: impl Fn(&mut Settings) + Send + Sync + 'static,
    ) -> Self {
        Self::spawn_inner(
            backend,
            Options {
                smtp,
                smtp_reply_code: None,
            },
            Arc::new(configure),
        )
        .await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> Self {
        Self::spawn_inner(backend, opts, Arc::new(|_: &mut Settings| {})).await
    }

    async fn spawn_inner(backend: Backend, opts: Options, configure: Configure) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db_url, db) = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let db = Db::connect(&url).await.expect("open SQLite");
                (url, db)
            }
            Backend::Postgres => fresh_postgres().await,
        };
        let smtp = if opts.smtp {
            Some(SmtpSink::start(
                &dir.path().join("mail"),
                opts.smtp_reply_code,
            ))
        } else {
            None
        };
        Self::start(
            backend,
            Arc::new(dir),
            db_url,
            db,
            smtp,
            Clock::default(),
            configure,
        )
        .await
    }

    async fn start(
        backend: Backend,
        dir: Arc<tempfile::TempDir>,
        db_url: String,
        db: Db,
        smtp: Option<SmtpSink>,
        clock: Clock,
        configure: Configure,
    ) -> Self {
        let mut settings = Settings {
            database_url: db_url.clone(),
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            sim_listen: "127.0.0.1:0".parse().unwrap(),
            ..Settings::default()
        };
        if let Some(s) = &smtp {
            settings.smtp.host = "127.0.0.1".into();
            settings.smtp.port = s.port;
            settings.smtp.security = SmtpSecurity::None;
            settings.smtp.from = "Safety Net <safety-net@test.example>".into();
        }
        // The mail servers, mailboxes and webhook receivers of tests run on loopback.
        settings.outbound.allow_networks = vec!["127.0.0.0/8".into(), "::1/128".into()];
        configure(&mut settings);
        let app = Application::build(settings, db.clone(), clock.clone())
            .await
            .expect("build app");
        let base = format!("http://{}", app.app_addr());
        let sim_base = format!("http://{}", app.sim_addr());
        let state = app.state().clone();
        let worker = app.worker();
        let stop = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(stop.clone(), false));
        Self {
            base,
            sim_base,
            client: new_client(),
            state,
            db,
            db_url,
            worker,
            clock,
            backend,
            smtp,
            dir,
            stop: Arc::new(StopOnDrop(stop)),
            configure,
        }
    }

    /// Holds what must outlive a test body (its temporary folder, the running server).
    pub fn keep_alive(&self) -> (Arc<tempfile::TempDir>, Arc<StopOnDrop>) {
        (self.dir.clone(), self.stop.clone())
    }

    /// Stops this app and starts another on the same database and mail
    /// server, as after a crash or a restart.
    pub async fn restart(self) -> Self {
        self.stop.0.cancel();
        let TestApp {
            backend,
            dir,
            db_url,
            db,
            smtp,
            clock,
            configure,
            ..
        } = self;
        tokio::time::sleep(Duration::from_millis(50)).await;
        Self::start(backend, dir, db_url, db, smtp, clock, configure).await
    }

    /// Restarts pointing at another SMTP server.
    pub async fn restart_with_smtp(mut self, sink: SmtpSink) -> Self {
        self.stop.0.cancel();
        let old = self.smtp.replace(sink);
        drop(old);
        self.restart().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        unescape(&r.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Sends every queued system email now.
    pub async fn deliver_outbox(&self) {
        loop {
            match self.worker.run_once().await.expect("worker step") {
                Outcome::Idle => break,
                Outcome::Sent => {}
                other => panic!("a message was not delivered: {other:?}"),
            }
        }
    }

    /// Signs in a fresh client and returns it (the app's own client is replaced).
    pub async fn sign_in(
        &mut self,
        email: &str,
        password: &str,
        totp_secret: Option<&str>,
    ) -> reqwest::Response {
        self.client = new_client();
        let r = self
            .post("/sign-in", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            r.status(),
            303,
            "password accepted for {email}: {}",
            r.text().await.unwrap_or_default()
        );
        if let Some(secret) = totp_secret {
            assert_eq!(location(&r), "/sign-in/mfa");
            let code = mfa::code_at(secret, self.clock.now()).unwrap();
            let r2 = self.post("/sign-in/mfa", &[("code", &code)]).await;
            assert_eq!(r2.status(), 303, "TOTP code accepted");
            return r2;
        }
        r
    }

    /// Creates the ICB's operator account (password and two-step verification), or gives the
    /// existing one a fresh secret, and signs in as it.
    pub async fn sign_in_as_operator(&mut self) {
        let existing: Option<UserId> = with_db!(&self.db, p => sqlx::query_scalar("SELECT id FROM users WHERE email = 'it@icb.example'")
            .fetch_optional(p).await).unwrap();
        let id = match existing {
            Some(id) => id,
            None => safetynet::people::accounts::create_user(
                &self.db,
                "it@icb.example",
                "ICB IT",
                Role::Operator,
                None,
                None,
                0,
            )
            .await
            .unwrap()
            .unwrap(),
        };
        let secret = safetynet::auth::mfa::new_secret();
        set_password_and_mfa(&self.db, id, "glacier walnut falcon", Some(&secret)).await;
        self.sign_in("it@icb.example", "glacier walnut falcon", Some(&secret))
            .await;
    }

    pub async fn practice(&self, name: &str) -> Practice {
        let now = self.clock.now();
        let id = safetynet::people::practices::create_practice(&self.db, name, None, now)
            .await
            .unwrap();
        let slug: String = name
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let domain = format!("{slug}.example");
        let manager_email = format!("manager@{domain}");
        let user_id = safetynet::people::practices::add_practice_manager(
            &self.db,
            id,
            &PersonName::parse(&format!("{name} Manager")).unwrap(),
            &EmailAddress::parse(&manager_email).unwrap(),
            now,
        )
        .await
        .unwrap()
        .unwrap();
        let password = "kettle orbit meadow lantern".to_string();
        let secret = mfa::new_secret();
        set_password_and_mfa(&self.db, user_id, &password, Some(&secret)).await;
        Practice {
            id,
            domain,
            manager_email,
            password,
            totp: secret,
            manager_user_id: user_id,
        }
    }

    /// Adds a staff member (and optionally an account) straight into the database.
    pub async fn staff(
        &self,
        p: &Practice,
        name: &str,
        department: &str,
        account: Option<Role>,
    ) -> Person {
        let email = format!("{}@{}", name.to_lowercase().replace(' ', "."), p.domain);
        let (dept,): (i64,) = with_db!(&self.db, pool => sqlx::query_as("SELECT id FROM departments WHERE practice_id = $1 AND name = $2")
            .bind(p.id).bind(department).fetch_one(pool).await).unwrap();
        let (staff_id,): (StaffId,) = with_db!(&self.db, pool => sqlx::query_as(
            "INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) VALUES ($1, $2, $3, $4, 'Receptionist', 'permanent', 0) RETURNING id")
            .bind(p.id).bind(dept).bind(name).bind(&email).fetch_one(pool).await).unwrap();
        let password = "purple cactus bicycle harbour".to_string();
        if let Some(role) = account {
            let uid = safetynet::people::accounts::create_user(
                &self.db,
                &email,
                name,
                role,
                Some(p.id),
                Some(staff_id),
                0,
            )
            .await
            .unwrap()
            .unwrap();
            set_password_and_mfa(&self.db, uid, &password, None).await;
        }
        Person {
            staff_id,
            email,
            password,
            department_id: dept,
        }
    }

    /// A count from `sql`, whose `$1` is the id given (a practice's, usually).
    pub async fn count(&self, sql: &str, id: impl Into<i64>) -> i64 {
        let id: i64 = id.into();
        let (n,): (i64,) =
            with_db!(&self.db, p => sqlx::query_as(sql).bind(id).fetch_one(p).await).unwrap();
        n
    }

    /// A GoPhish API key of the practice's manager.
    pub async fn api_key(&self, p: &Practice, name: &str) -> String {
        safetynet::simulation::gophish::keys::create_key(&self.db, p.id, p.manager_user_id, name, 0)
            .await
            .unwrap()
    }

    pub async fn audit_actions(&self, practice_id: PracticeId) -> Vec<String> {
        let rows: Vec<(String,)> = with_db!(&self.db, p => sqlx::query_as("SELECT action FROM audit_log WHERE practice_id = $1 ORDER BY id")
            .bind(practice_id).fetch_all(p).await).unwrap();
        rows.into_iter().map(|r| r.0).collect()
    }
}

pub async fn set_password_and_mfa(db: &Db, user_id: UserId, pw: &str, totp: Option<&str>) {
    let hash = password::hash(pw.to_string()).await.unwrap();
    with_db!(db, p => sqlx::query("UPDATE users SET password_hash = $1, totp_secret = $2 WHERE id = $3")
        .bind(&hash).bind(totp).bind(user_id).execute(p).await.map(|_| ())).unwrap();
}

pub struct Practice {
    pub id: PracticeId,
    pub domain: String,
    pub manager_email: String,
    pub password: String,
    pub totp: String,
    pub manager_user_id: UserId,
}

pub struct Person {
    pub staff_id: StaffId,
    pub email: String,
    pub password: String,
    pub department_id: i64,
}

/// Page text as a person reads it (HTML character references undone).
pub fn unescape(html: &str) -> String {
    let numeric = regex_lite::Regex::new(r"&#(x[0-9a-fA-F]+|[0-9]+);").unwrap();
    let s = numeric.replace_all(html, |c: &regex_lite::Captures| {
        let n = &c[1];
        let code = match n.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).unwrap_or(0xFFFD),
            None => n.parse().unwrap_or(0xFFFD),
        };
        char::from_u32(code).unwrap_or('\u{FFFD}').to_string()
    });
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        // A server may close a connection after refusing a body (413); don't reuse it.
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

// ---------- a real SMTP server (aiosmtpd) ----------

static PYTHON: OnceLock<PathBuf> = OnceLock::new();

/// A Python with aiosmtpd: the one `.ci/run` made, or one made here on first use.
pub fn python() -> &'static Path {
    PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("SAFETYNET_TEST_PYTHON") {
            return PathBuf::from(p);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let venv = root.join("target/test-tools/venv");
        let py = venv.join("bin/python");
        let has = |py: &Path| Command::new(py).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
        if !has(&py) {
            let _ = writeln!(std::io::stderr(), "setting up a Python venv with aiosmtpd for the SMTP tests in {}", venv.display());
            let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success())
                && Command::new(&py).args(["-m", "pip", "install", "-q", "aiosmtpd==1.4.6"]).status().is_ok_and(|s| s.success());
            assert!(ok && has(&py), "the SMTP tests need Python 3 with aiosmtpd: run `bash .ci/run`, or `pip install aiosmtpd`");
        }
        py
    })
}

/// The PyPI `gophish` client and what it needs, pinned as in `.ci/run`
/// (installed without its own, long-outdated pins).
pub const GOPHISH_CLIENT: &str = "gophish==0.5.1";
pub const GOPHISH_CLIENT_DEPS: [&str; 7] = [
    "requests==2.32.3",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "urllib3==2.8.0",
    "idna==3.20",
    "certifi==2026.10.18",
    "charset-normalizer==3.5.2",
];

/// A Python with the `gophish` client: `.ci/run`'s, or installed into it on first use.
pub fn python_with_gophish() -> &'static Path {
    static READY: Once = Once::new();
    let py = python();
    READY.call_once(|| {
        let has = || {
            Command::new(py)
                .args(["-c", "import gophish, dateutil, requests"])
                .status()
                .is_ok_and(|s| s.success())
        };
        if !has() {
            let _ = writeln!(
                std::io::stderr(),
                "installing the gophish Python client for the API tests"
            );
            let ok = Command::new(py)
                .args(["-m", "pip", "install", "-q", "--no-deps", GOPHISH_CLIENT])
                .status()
                .is_ok_and(|s| s.success())
                && Command::new(py)
                    .args(["-m", "pip", "install", "-q"])
                    .args(GOPHISH_CLIENT_DEPS)
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(
                ok && has(),
                "the GoPhish API tests need the gophish Python client: run `bash .ci/run`"
            );
        }
    });
    py
}

pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start(dir: &Path, reply_code: Option<u16>) -> Self {
        match reply_code {
            Some(code) => Self::start_with(dir, &["--reply-code", &code.to_string()]),
            None => Self::start_with(dir, &[]),
        }
    }

    pub fn start_with(dir: &Path, extra: &[&str]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut cmd = Command::new(python());
        cmd.arg(script)
            .arg("--dir")
            .arg(dir)
            .args(["--port", "0", "--exit-on-stdin-eof"]);
        cmd.args(extra);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start smtp sink");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .expect("sink printed its port");
        Self {
            port,
            dir: dir.to_path_buf(),
            child,
        }
    }

    /// Every message received so far, oldest first, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let p = e.path();
                let n = p
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()?;
                Some((n, p))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// The first link in the last message to `to`, with quoted-printable soft breaks undone.
    pub fn link_sent_to(&self, to: &str, path_prefix: &str) -> String {
        let msg = self
            .messages()
            .into_iter()
            .rev()
            .find(|m| {
                m.to_lowercase()
                    .contains(&format!("to: {}", to.to_lowercase()))
            })
            .unwrap_or_else(|| panic!("no email to {to}"));
        let body = msg
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=");
        let re = regex_lite::Regex::new(&format!(
            r"https?://[^\s]+{}[^\s]+",
            regex_lite::escape(path_prefix)
        ))
        .unwrap();
        re.find(&body)
            .unwrap_or_else(|| panic!("no {path_prefix} link in: {body}"))
            .as_str()
            .to_string()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Node.js and the folder holding the npm package oidc-provider (a real
/// OpenID Connect / OAuth2 provider for the sign-in and mailbox token
/// tests), from `.ci/run`'s SAFETYNET_TEST_NODE and
/// SAFETYNET_TEST_NODE_MODULES. Missing: a failure in CI, otherwise the
/// tests named by `what` are skipped with a notice.
pub fn node_with_oidc_provider(what: &str) -> Option<(PathBuf, PathBuf)> {
    let node =
        PathBuf::from(std::env::var("SAFETYNET_TEST_NODE").unwrap_or_else(|_| "node".into()));
    let modules = std::env::var("SAFETYNET_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules")
        });
    if modules.join("oidc-provider/package.json").exists() {
        return Some((node, modules));
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI must run the {what}, but oidc-provider is not in {} (.ci/run installs it)",
            modules.display()
        );
    }
    static NOTICE: std::sync::Once = std::sync::Once::new();
    NOTICE.call_once(|| {
        // Straight to stderr, past the test harness's output capture, so it is seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** tests that need oidc-provider SKIPPED ({what}): run `npm ci` in tests/browser, or bash .ci/run. ***\n"
        );
    });
    None
}
