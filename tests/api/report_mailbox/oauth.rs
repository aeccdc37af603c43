//! The reporting mailbox getting its own OAuth2 access tokens from a real
//! token service: oidc-provider (tests/support/oauth/mailbox_provider.mjs)
//! on loopback, whose access tokens last 4 seconds, with the test's dovecot
//! checking each token at the provider's introspection endpoint. The whole
//! app runs (settings form, the worker's poll, the home page, the outbox),
//! on SQLite and on PostgreSQL.
//!
//! Without node and oidc-provider (`bash .ci/run` installs them) the tests
//! are skipped with a notice, except in CI where they must run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use safetynet::shared::PracticeId;
use safetynet::simulation::reporting::worker::poll_all;
use safetynet::simulation::token::RecipientToken;
use safetynet::with_db;

use super::{free_port, inline_forward, logs, Dovecot, USER};
use crate::helpers::{location, unescape, Backend, Options, Practice, TestApp};
use crate::simulation::{launch, ready};

/// How long the provider's access tokens last (see mailbox_provider.mjs).
const TOKEN_SECONDS: u64 = 4;

// ---------- the token service ----------

/// oidc-provider on a loopback port, for as long as the test holds it.
struct TokenService {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl TokenService {
    async fn start() -> Option<Self> {
        let (node, modules) = crate::helpers::node_with_oidc_provider("mailbox token tests")?;
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/oauth/mailbox_provider.mjs");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("provider.log");
        for _attempt in 0..3 {
            let port = free_port();
            let out = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(&node)
                .arg(&script)
                .arg(port.to_string())
                .arg(USER)
                .env("SAFETYNET_TEST_NODE_MODULES", &modules)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start node");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("listening")) {
                    return Some(Self {
                        child,
                        port,
                        log,
                        _dir: dir,
                    });
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "the token service did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A refresh token, as if the mailbox's owner had signed in once with offline access.
    async fn refresh_token(&self) -> String {
        let v: serde_json::Value = reqwest::Client::new()
            .post(self.url("/test/refresh-token"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["refresh_token"].as_str().unwrap().to_string()
    }

    /// Revokes a refresh token (RFC 7009), as an administrator signing the account out would.
    async fn revoke(&self, refresh_token: &str) {
        let r = reqwest::Client::new()
            .post(self.url("/token/revocation"))
            .basic_auth("safetynet-mailbox", Some("mailbox-secret"))
            .form(&[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "revoked");
    }
}

impl Drop for TokenService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------- a practice with an exercise under way ----------

struct Setup {
    app: TestApp,
    dovecot: Dovecot,
    service: TokenService,
    p: Practice,
    campaign: i64,
    /// Each recipient's token and email address.
    recipients: Vec<(RecipientToken, String)>,
}

async fn setup(backend: Backend) -> Option<Setup> {
    let service = TokenService::start().await?;
    let dovecot = Dovecot::start_with_introspection(service.port).await?;
    let mut app = TestApp::spawn_with(
        backend,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let (p, template_id, profile_id) = ready(&mut app).await;
    for name in ["Fatima Begum", "Tom Bennett", "Amelia Hughes"] {
        app.staff(&p, name, "Reception & care navigation", None)
            .await;
    }
    let (campaign, _) = launch(&app, template_id, profile_id, &[]).await;
    safetynet::simulation::sending::Sender::new(app.state.clone())
        .run_once()
        .await
        .unwrap();
    let rows: Vec<(String, String)> = with_db!(&app.db, c => sqlx::query_as(
        "SELECT token, email FROM campaign_recipients WHERE campaign_id = $1 AND email <> $2 ORDER BY id")
        .bind(campaign).bind(&p.manager_email).fetch_all(c).await)
    .unwrap();
    let recipients = rows
        .into_iter()
        .map(|(t, e)| (RecipientToken::parse(&t).expect("a token"), e))
        .collect::<Vec<_>>();
    assert!(recipients.len() >= 3, "{recipients:?}");
    Some(Setup {
        app,
        dovecot,
        service,
        p,
        campaign,
        recipients,
    })
}

impl Setup {
    /// Recipient `i` forwards their exercise email to the reporting mailbox.
    async fn forward(&self, i: usize) {
        let (token, email) = &self.recipients[i];
        self.dovecot
            .deliver("INBOX", &[inline_forward(token, email)])
            .await;
    }

    fn reported(&self) -> impl std::future::Future<Output = i64> + '_ {
        self.app.count(
            "SELECT reported FROM campaigns WHERE id = $1",
            self.campaign,
        )
    }

    /// The mailbox settings form, signing in as `auth` with these fields.
    async fn save(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let port = self.dovecot.imap_port.to_string();
        let mut form: Vec<(&str, &str)> = vec![
            ("host", "127.0.0.1"),
            ("port", &port),
            ("security", "starttls"),
            ("username", USER),
            ("folder", "INBOX"),
            ("ca_pem", &self.dovecot.ca_pem),
            ("active", "yes"),
            ("action", action),
        ];
        form.extend_from_slice(fields);
        self.app.post("/simulation/mailbox", &form).await
    }

    async fn held(&self) -> Held {
        held(&self.app, self.p.id).await
    }

    async fn poll(&self) {
        poll_all(&self.app.state).await.unwrap();
    }

    fn explain(&self) -> String {
        format!(
            "dovecot:\n{}\ntoken service:\n{}",
            logs(self.dovecot.dir.path()),
            self.service.log()
        )
    }
}

/// What the database holds for the mailbox.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    access_token: Option<String>,
    refresh_token: Option<String>,
    last_error: Option<String>,
    attention: Option<String>,
    settings_json: String,
}

async fn held(app: &TestApp, practice: PracticeId) -> Held {
    let (access_token, refresh_token, last_error, attention, settings_json): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    ) = with_db!(&app.db, c => sqlx::query_as(
        "SELECT oauth_access_token, oauth_refresh_token, last_error, attention, settings_json FROM report_mailboxes WHERE practice_id = $1")
        .bind(practice).fetch_one(c).await)
    .unwrap();
    Held {
        access_token,
        refresh_token,
        last_error,
        attention,
        settings_json,
    }
}

async fn let_the_token_run_out() {
    tokio::time::sleep(Duration::from_secs(TOKEN_SECONDS + 1)).await;
}

macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !crate::helpers::postgres_available() {
                    return;
                }
                super::$name(crate::helpers::Backend::Postgres).await
            }
        }
    };
}

// ---------- the tests ----------

on_both_backends!(an_app_registration_gets_a_token_and_a_new_one_when_it_runs_out);
async fn an_app_registration_gets_a_token_and_a_new_one_when_it_runs_out(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    s.forward(0).await;
    let token_url = s.service.url("/token");
    // The scope is left empty: Microsoft 365's default is sent.
    let r = s
        .save(
            "check",
            &[
                ("auth", "oauth2_app"),
                ("token_url", &token_url),
                ("client_id", "safetynet-app"),
                ("client_secret", "app-secret"),
                ("scope", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let first = s.held().await;
    assert_eq!(first.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 1, "the forward counted");
    let first_token = first.access_token.clone().expect("a token is kept");
    assert!(
        !first.settings_json.contains(&first_token),
        "the token is kept beside the settings, not in them"
    );

    // The token runs out between two checks: the next check gets a new one.
    let_the_token_run_out().await;
    s.forward(1).await;
    s.poll().await;
    let second = s.held().await;
    assert_eq!(second.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 2);
    let second_token = second.access_token.clone().unwrap();
    assert_ne!(second_token, first_token, "a new token was obtained");

    // The mail server turns down the token held (revoked early, say): one
    // new token is obtained and the check still works.
    with_db!(&s.app.db, c => sqlx::query(
        "UPDATE report_mailboxes SET oauth_access_token = 'no-longer-valid', oauth_expires_at = oauth_expires_at + 3600 WHERE practice_id = $1")
        .bind(s.p.id).execute(c).await.map(|_| ()))
    .unwrap();
    s.forward(2).await;
    s.poll().await;
    let third = s.held().await;
    assert_eq!(third.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 3);
    let third_token = third.access_token.unwrap();
    assert!(third_token != "no-longer-valid" && third_token != second_token);
    assert_eq!(third.attention, None);

    // "Test the connection" gets its own token from the app registration and
    // signs in; a wrong client secret is explained, and what is saved stays.
    for (secret, says) in [
        ("", "Connected to 127.0.0.1"),
        ("not-the-secret", "could not get an access token"),
    ] {
        let fields = [
            ("auth", "oauth2_app"),
            ("token_url", token_url.as_str()),
            ("client_id", "safetynet-app"),
            ("client_secret", secret),
            ("scope", ""),
        ];
        let page = unescape(&s.save("test", &fields).await.text().await.unwrap());
        assert!(page.contains(says), "{page}\n{}", s.explain());
    }
    assert_eq!(s.held().await.settings_json, third.settings_json);
}

on_both_backends!(a_refresh_token_keeps_working_and_its_replacement_is_kept);
async fn a_refresh_token_keeps_working_and_its_replacement_is_kept(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let given = s.service.refresh_token().await;
    let token_url = s.service.url("/token");
    let fields = |refresh: &str| -> Vec<(&'static str, String)> {
        vec![
            ("auth", "oauth2_refresh".into()),
            ("token_url", token_url.clone()),
            ("client_id", "safetynet-mailbox".into()),
            ("client_secret", "mailbox-secret".into()),
            ("scope", "openid offline_access".into()),
            ("refresh_token", refresh.into()),
        ]
    };
    let with_given = fields(&given);

    // "Test the connection" does not use up an unsaved refresh token.
    let page = s
        .save("test", &refs(&with_given))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        unescape(&page).contains("Save these settings first"),
        "{page}"
    );

    s.forward(0).await;
    assert_eq!(s.save("check", &refs(&with_given)).await.status(), 303);
    let first = s.held().await;
    assert_eq!(first.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 1);
    let rotated = first
        .refresh_token
        .clone()
        .expect("the new refresh token is kept");
    assert_ne!(rotated, given);

    // Saved again with the refresh token box left empty (as the form shows
    // it): the newest refresh token and the access token stay.
    assert_eq!(s.save("save", &refs(&fields(""))).await.status(), 303);
    let kept = s.held().await;
    assert_eq!(
        (&kept.refresh_token, &kept.access_token),
        (&first.refresh_token, &first.access_token)
    );

    let_the_token_run_out().await;
    s.forward(1).await;
    s.poll().await;
    let second = s.held().await;
    assert_eq!(second.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 2);
    assert_ne!(second.access_token, first.access_token);
    let rotated_again = second.refresh_token.clone().unwrap();
    assert!(rotated_again != rotated && rotated_again != given);

    // The test button works with the saved refresh token, and keeps its replacement.
    let page = s
        .save("test", &refs(&fields("")))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        unescape(&page).contains("Connected to 127.0.0.1"),
        "{page}\n{}",
        s.explain()
    );
    s.forward(2).await;
    let_the_token_run_out().await;
    s.poll().await;
    assert_eq!(s.held().await.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 3);
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

on_both_backends!(a_revoked_refresh_token_asks_the_manager_once_to_sign_in_again);
async fn a_revoked_refresh_token_asks_the_manager_once_to_sign_in_again(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let token_url = s.service.url("/token");
    let given = s.service.refresh_token().await;
    let with = |rt: &str| -> Vec<(&'static str, String)> {
        vec![
            ("auth", "oauth2_refresh".into()),
            ("token_url", token_url.clone()),
            ("client_id", "safetynet-mailbox".into()),
            ("client_secret", "mailbox-secret".into()),
            ("scope", "openid offline_access".into()),
            ("refresh_token", rt.into()),
        ]
    };
    assert_eq!(s.save("check", &refs(&with(&given))).await.status(), 303);
    let working = s.held().await;
    assert_eq!(working.last_error, None, "{}", s.explain());
    assert!(!s
        .app
        .get_text("/")
        .await
        .contains("reporting mailbox needs"));

    // An administrator signs the mailbox's account out everywhere.
    s.service.revoke(&working.refresh_token.unwrap()).await;
    s.forward(0).await;
    s.poll().await;
    s.poll().await;
    let broken = s.held().await;
    assert!(
        broken
            .attention
            .as_deref()
            .is_some_and(|a| a.contains("invalid_grant")),
        "{broken:?}"
    );
    assert!(broken.last_error.is_some());
    assert_eq!(s.reported().await, 0);

    // Exactly one email, to the manager, however many checks fail.
    let emails: Vec<(String, String)> = with_db!(&s.app.db, c => sqlx::query_as(
        "SELECT to_addr, body_text FROM outbox WHERE practice_id = $1 AND kind = 'mailbox_attention'")
        .bind(s.p.id).fetch_all(c).await)
    .unwrap();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0].0, s.p.manager_email);
    assert!(
        emails[0].1.contains("/simulation/mailbox"),
        "{}",
        emails[0].1
    );
    assert!(emails[0].1.contains("Sign in again"), "{}", emails[0].1);

    // The manager's home page says so, urgently, linking to the settings.
    let home = s.app.get_text("/").await;
    let at = home
        .find("The reporting mailbox needs you to sign in again")
        .unwrap_or_else(|| panic!("{home}"));
    let around = &home[at.saturating_sub(600)..(at + 200).min(home.len())];
    assert!(around.contains("/simulation/mailbox"), "{around}");
    // The settings page explains what to do.
    let page = s.app.get_text("/simulation/mailbox").await;
    assert!(page.contains("This mailbox needs your attention"), "{page}");
    assert!(
        page.contains("Sign in again as the reporting mailbox"),
        "{page}"
    );
    assert!(!page.contains(&given), "secrets are never shown back");

    // New credentials: the warning goes, the change is audit-logged, and the mailbox works again.
    let fresh = s.service.refresh_token().await;
    assert_eq!(s.save("save", &refs(&with(&fresh))).await.status(), 303);
    assert_eq!(s.held().await.attention, None);
    assert!(!s
        .app
        .get_text("/")
        .await
        .contains("reporting mailbox needs"));
    assert!(!s
        .app
        .get_text("/simulation/mailbox")
        .await
        .contains("needs your attention"));
    let audit: Vec<(String, String)> = with_db!(&s.app.db, c => sqlx::query_as(
        "SELECT action, detail FROM audit_log WHERE practice_id = $1 AND action = 'simulation.mailbox_changed' ORDER BY id")
        .bind(s.p.id).fetch_all(c).await)
    .unwrap();
    assert!(
        audit
            .last()
            .is_some_and(|(_, d)| d.contains("refresh token") && d.contains("needed attention")),
        "{audit:?}"
    );
    s.poll().await;
    let again = s.held().await;
    assert_eq!(again.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 1);
    let emails = s
        .app
        .count(
            "SELECT COUNT(*) FROM outbox WHERE practice_id = $1 AND kind = 'mailbox_attention'",
            s.p.id,
        )
        .await;
    assert_eq!(emails, 1, "no more emails once fixed");
}

crate::storage_test!(
    a_bad_token_endpoint_is_explained_and_nothing_saved_is_lost,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let base = [
            ("host", "outlook.office365.com"),
            ("port", "993"),
            ("security", "tls"),
            ("username", "reports@riversidesurgery.example"),
            ("auth", "oauth2_app"),
            ("client_id", "app-id"),
            ("client_secret", "app-secret-value"),
            ("folder", "INBOX"),
            ("active", "yes"),
            ("action", "save"),
        ];
        let good = "https://login.microsoftonline.com/tenant-id/oauth2/v2.0/token";
        let mut form = base.to_vec();
        form.push(("token_url", good));
        assert_eq!(app.post("/simulation/mailbox", &form).await.status(), 303);
        let saved = held(&app, p.id).await.settings_json;
        assert!(saved.contains(good));

        for (url, says) in [
            (
                "login.microsoftonline.com/tenant-id/token",
                "Enter the token endpoint as a full web address",
            ),
            (
                "http://login.microsoftonline.com/tenant-id/oauth2/v2.0/token",
                "must start with https://",
            ),
            (
                "http://169.254.169.254/token",
                "Safety Net will not connect to 169.254.169.254",
            ),
            (
                "https://10.20.30.40/token",
                "Safety Net will not connect to 10.20.30.40",
            ),
        ] {
            let mut form = base.to_vec();
            form.push(("token_url", url));
            let r = app.post("/simulation/mailbox", &form).await;
            assert_eq!(r.status(), 200, "{url} is not saved");
            let page = unescape(&r.text().await.unwrap());
            let beside = page
                .find("id=\"token_url-error\"")
                .map(|i| &page[i..(i + 400).min(page.len())])
                .unwrap_or_else(|| panic!("{url}: no message beside the field\n{page}"));
            assert!(beside.contains(says), "{url}: {beside}");
            assert!(
                !page.contains("app-secret-value"),
                "the secret is not shown back"
            );
            assert_eq!(
                held(&app, p.id).await.settings_json,
                saved,
                "{url}: nothing saved is lost"
            );
        }
    }
);

/// The sign-in page's `state` in the address Safety Net sent the manager to.
fn state_in(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .expect("a state")
        .to_string()
}

on_both_backends!(signing_in_as_the_mailbox_connects_it_without_pasting_anything);
async fn signing_in_as_the_mailbox_connects_it_without_pasting_anything(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let token_url = s.service.url("/token");
    let authorize_url = s.service.url("/auth");
    let fields: Vec<(&str, &str)> = vec![
        ("auth", "oauth2_refresh"),
        ("token_url", &token_url),
        ("authorize_url", &authorize_url),
        ("client_id", "safetynet-mailbox"),
        ("client_secret", "mailbox-secret"),
        ("scope", "openid offline_access"),
    ];
    // Without the sign-in page's address, it is named beside its box and nothing is saved.
    let r = s.save("connect", &fields[..2]).await;
    assert_eq!(r.status(), 200);
    let body = unescape(&r.text().await.unwrap());
    assert!(body.contains("Enter the sign-in page address"), "{body}");
    assert_eq!(
        s.app
            .count(
                "SELECT COUNT(*) FROM report_mailboxes WHERE practice_id = $1",
                s.p.id
            )
            .await,
        0
    );

    // The button sends the manager to the sign-in page, with PKCE.
    let r = s.save("connect", &fields).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let to = location(&r);
    assert!(to.starts_with(&authorize_url), "{to}");
    assert!(to.contains("code_challenge_method=S256") && to.contains("prompt=consent"));
    assert_eq!(
        s.app
            .count(
                "SELECT COUNT(*) FROM report_mailboxes WHERE practice_id = $1",
                s.p.id
            )
            .await,
        0,
        "nothing saved before the sign-in comes back"
    );
    // The mailbox's owner signs in and agrees; the page sends them back.
    let c = &s.app.client;
    let mut next = to.clone();
    let back = loop {
        let r = c.get(&next).send().await.unwrap();
        assert_eq!(
            r.status(),
            303,
            "{}\n{}",
            r.text().await.unwrap_or_default(),
            s.explain()
        );
        let loc = location(&r);
        let loc = if loc.starts_with('/') {
            s.service.url(&loc)
        } else {
            loc
        };
        if loc.starts_with(&s.app.url("/simulation/mailbox/connected")) {
            break loc;
        }
        next = loc;
    };
    let page = unescape(&c.get(&back).send().await.unwrap().text().await.unwrap());
    assert!(
        page.contains("Connected: Safety Net signed in as the mailbox"),
        "{page}\n{}",
        s.explain()
    );
    let held = s.held().await;
    assert!(held.settings_json.contains("oauth2_refresh"));
    assert!(
        !held.settings_json.contains("\"refresh_token\":\"\""),
        "a refresh token was kept"
    );
    assert!(s
        .app
        .audit_actions(s.p.id)
        .await
        .contains(&"simulation.mailbox_changed".to_string()));

    // The mailbox is checked with the tokens that sign-in gives, past their life.
    s.forward(0).await;
    s.poll().await;
    assert_eq!(s.held().await.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 1);
    let_the_token_run_out().await;
    s.forward(1).await;
    s.poll().await;
    assert_eq!(s.held().await.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 2);

    // The same answer again changes nothing; a cancelled sign-in is explained.
    let saved = s.held().await.settings_json;
    let page = unescape(&c.get(&back).send().await.unwrap().text().await.unwrap());
    assert!(page.contains("used already"), "{page}");
    let r = s.save("connect", &fields).await;
    let state = state_in(&location(&r));
    let page = unescape(
        &c.get(s.app.url(&format!(
            "/simulation/mailbox/connected?error=access_denied&state={state}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
    );
    assert!(
        page.contains("did not let Safety Net in (access_denied)"),
        "{page}"
    );
    assert!(page.contains("Nothing was changed"));
    assert_eq!(
        s.held().await.settings_json,
        saved,
        "what was saved is kept"
    );
}

/// The settings page with the sign-in fields, and the page after a sign-in
/// that did not finish, read by axe-core in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_sign_in_pages_are_accessible() {
    use crate::browser::{assert_accessible, sign_in_manager, start_browser, wait_for_text};
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;
    c.goto(&app.url("/simulation/mailbox")).await.unwrap();
    wait_for_text(&c, "Save and sign in as the mailbox").await;
    assert_accessible(&c, "reporting mailbox settings").await;
    c.goto(&app.url("/simulation/mailbox/connected?error=access_denied&state=unknown"))
        .await
        .unwrap();
    wait_for_text(&c, "Nothing was changed").await;
    assert_accessible(&c, "reporting mailbox sign-in not finished").await;
}

on_both_backends!(servers_needing_a_token_at_once_ask_for_one_and_share_it);
/// Twelve servers (or checks and the test button) needing a new token at
/// the same moment: one asks the token service, the rest wait and use the
/// token it keeps. Asking several times with one refresh token would use
/// up a rotated token and look like a revoked sign-in.
async fn servers_needing_a_token_at_once_ask_for_one_and_share_it(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let given = s.service.refresh_token().await;
    let token_url = s.service.url("/token");
    let fields = [
        ("auth", "oauth2_refresh"),
        ("token_url", token_url.as_str()),
        ("client_id", "safetynet-mailbox"),
        ("client_secret", "mailbox-secret"),
        ("scope", "openid offline_access"),
        ("refresh_token", given.as_str()),
    ];
    assert_eq!(s.save("save", &fields).await.status(), 303);
    let saved = s.held().await.settings_json;
    let settings: safetynet::simulation::reporting::imap::MailboxSettings =
        serde_json::from_str(&saved).unwrap();
    let policy = safetynet::net::outbound::Policy::from_settings(&s.app.state.settings);
    let asks = (0..12).map(|_| {
        safetynet::simulation::reporting::worker::access_token(
            &s.app.state,
            &policy,
            s.p.id,
            &saved,
            &settings,
            None,
        )
    });
    let got = futures_util::future::join_all(asks).await;
    let tokens: Vec<String> = got
        .into_iter()
        .map(|r| {
            r.unwrap()
                .unwrap_or_else(|e| panic!("{e}\n{}", s.explain()))
                .0
        })
        .collect();
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "one token, shared: {tokens:?}"
    );
    let held = s.held().await;
    assert_eq!(held.attention, None, "{}", s.explain());
    assert_eq!(held.access_token.as_deref(), Some(tokens[0].as_str()));
    // The refresh token chain is intact: the next one still works.
    let_the_token_run_out().await;
    s.forward(0).await;
    s.poll().await;
    assert_eq!(s.held().await.last_error, None, "{}", s.explain());
    assert_eq!(s.reported().await, 1);
}
