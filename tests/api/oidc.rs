//! Signing in with the organisation's account (issue 18 §1) against a real
//! OpenID Connect provider: the npm package oidc-provider on loopback
//! (tests/support/oidc/provider.mjs), which signs its ID tokens with its own
//! RSA key and checks PKCE. People sign in on the provider's page; the
//! provider can be told to spoil the next ID token in one way, so each of
//! Safety Net's checks is seen refusing a real token.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use crate::helpers::{location, new_client, unescape, TestApp};
use crate::storage_test;
use safetynet::auth::{mfa, Role};
use safetynet::config::{OidcProvider, Settings};

const SECRET: &str = "a-client-secret-only-the-test-provider-and-safety-net-know";
const NAME: &str = "Test ICB account";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn entry(id: &str, name: &str, issuer: String) -> OidcProvider {
    OidcProvider {
        id: id.into(),
        name: name.into(),
        issuer,
        client_id: "safetynet".into(),
        client_secret: SECRET.into(),
        client_secret_file: None,
        client_secret_env: String::new(),
        email_claim: "email".into(),
        mfa_amr: vec!["otp".into(), "mfa".into()],
        mfa_acr: Vec::new(),
        clock_skew_seconds: 120,
    }
}

/// The provider on a port of its own, and one whose address answers nothing.
pub(crate) fn configure(s: &mut Settings) {
    s.oidc.providers = vec![
        entry("test", NAME, format!("http://127.0.0.1:{}", free_port())),
        entry(
            "down",
            "Closed Provider",
            format!("http://127.0.0.1:{}", free_port()),
        ),
    ];
}

pub(crate) struct Provider {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider at the issuer address the app was configured with.
    pub(crate) async fn start(app: &TestApp) -> Option<Self> {
        let base = app.state.settings.oidc.providers[0].issuer.clone();
        Self::start_at(&base, &app.url("/sign-in/with/test/callback")).await
    }

    /// Starts the provider at `base`, sending people back to `redirect`.
    pub(crate) async fn start_at(base: &str, redirect: &str) -> Option<Self> {
        let (node, modules) =
            crate::helpers::node_with_oidc_provider("OpenID Connect sign-in tests")?;
        let base = base.to_string();
        let port = base.rsplit(':').next().unwrap().to_string();
        let dir = tempfile::tempdir().unwrap();
        // Bare imports resolve from the script's own folder, so the script sits beside the packages.
        std::fs::copy(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc/provider.mjs"),
            dir.path().join("provider.mjs"),
        )
        .unwrap();
        std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).unwrap();
        let out = dir.path().join("out.log");
        let child = Command::new(node)
            .arg(dir.path().join("provider.mjs"))
            .args([port.as_str(), redirect, SECRET])
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(dir.path().join("err.log")).unwrap())
            .spawn()
            .expect("start node");
        for _ in 0..300 {
            if std::fs::read_to_string(&out).is_ok_and(|s| s.contains("ready")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            std::fs::read_to_string(&out).is_ok_and(|s| s.contains("ready")),
            "the test provider did not start: {}",
            std::fs::read_to_string(dir.path().join("err.log")).unwrap_or_default()
        );
        Some(Self {
            child,
            base,
            _dir: dir,
        })
    }

    /// What the provider wrote to its error output.
    #[allow(dead_code)]
    pub(crate) fn errors(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("err.log")).unwrap_or_default()
    }

    /// Spoils the next ID token in one way (see provider.mjs).
    pub(crate) async fn spoil_next_token(&self, how: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/test/next-token", self.base))
            .body(how.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        format!("{base}{loc}")
    }
}

/// Follows the app's "Sign in with" to the provider, signs in there as
/// `login` (with a second factor or not), and returns the address the
/// provider sends the browser back to.
pub(crate) async fn through_provider(
    app: &TestApp,
    p: &Provider,
    login: &str,
    mfa: bool,
) -> String {
    let c = &app.client;
    let r = c.get(app.url("/sign-in/with/test")).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let auth = location(&r);
    assert!(auth.starts_with(&format!("{}/auth?", p.base)), "{auth}");
    assert!(auth.contains("code_challenge_method=S256") && auth.contains("nonce="));
    let r = c.get(&auth).send().await.unwrap();
    assert_eq!(
        r.status(),
        303,
        "provider: {}",
        r.text().await.unwrap_or_default()
    );
    let interaction = absolute(&p.base, &location(&r));
    assert!(
        interaction.starts_with(&format!("{}/interaction/", p.base)),
        "the provider asks who is signing in (a fresh browser has no session there): {interaction}"
    );
    let mut form = vec![("login", login)];
    if mfa {
        form.push(("mfa", "yes"));
    }
    let r = c.post(&interaction).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let resume = absolute(&p.base, &location(&r));
    let r = c.get(&resume).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(
        back.starts_with(&app.url("/sign-in/with/test/callback?")),
        "{back}"
    );
    back
}

async fn follow(app: &TestApp, url: &str) -> (u16, String) {
    let r = app.client.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let text = if status == 303 {
        location(&r)
    } else {
        unescape(&r.text().await.unwrap())
    };
    (status, text)
}

async fn audit_details(app: &TestApp, action: &str) -> Vec<String> {
    use safetynet::with_db;
    let rows: Vec<(String,)> = with_db!(&app.db, p => sqlx::query_as(
        "SELECT detail FROM audit_log WHERE action = $1 ORDER BY id")
        .bind(action).fetch_all(p).await)
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn home_after(app: &TestApp) -> String {
    let r = app.get("/").await;
    assert_eq!(r.status(), 200, "signed in");
    unescape(&r.text().await.unwrap())
}

storage_test!(
    a_manager_signs_in_with_the_organisations_account_and_its_second_factor_counts,
    configured: configure,
    |app: TestApp| async move {
        let mut app = app;
        let Some(provider) = Provider::start(&app).await else {
            return;
        };
        let p = app.practice("Riverside Surgery").await;
        let page = unescape(&app.get_text("/sign-in").await);
        assert!(page.contains(&format!("Sign in with {NAME}")), "{page}");

        // With the provider's second factor: straight in, no Safety Net code.
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()));
        assert!(home_after(&app).await.contains("Riverside Surgery"));
        let ok = audit_details(&app, "sign_in.succeeded").await;
        assert_eq!(
            ok.last().unwrap(),
            &format!("{NAME} (OpenID Connect), with its two-step verification")
        );

        // The same answer again (a replay) is refused: the state is used up.
        app.client = new_client();
        let (status, body) = follow(&app, &back).await;
        assert_eq!(status, 400);
        assert!(body.contains("Please start signing in again"), "{body}");
        assert!(body.contains("nothing in Safety Net has changed"));

        // Without it, Safety Net asks for its own code, as after a password.
        app.clock.advance(31);
        let back = through_provider(&app, &provider, &p.manager_email.to_uppercase(), false).await;
        assert_eq!(follow(&app, &back).await, (303, "/sign-in/mfa".to_string()));
        assert_eq!(app.get("/").await.status(), 303, "not in before the code");
        let code = mfa::code_at(&p.totp, app.clock.now()).unwrap();
        let r = app.post("/sign-in/mfa", &[("code", &code)]).await;
        assert_eq!(location(&r), "/");
        assert!(home_after(&app).await.contains("Riverside Surgery"));
        assert_eq!(
            audit_details(&app, "sign_in.succeeded").await.last().unwrap(),
            &format!("{NAME} (OpenID Connect) and authenticator code")
        );

        // A manager who never set up Safety Net's code: the provider's second
        // factor is enough; without it they are sent to set one up first.
        app.client = new_client();
        let locum = app
            .staff(&p, "Priya Shah", "Clinical", Some(Role::Manager))
            .await;
        let back = through_provider(&app, &provider, &locum.email, false).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()));
        let r = app.get("/").await;
        assert_eq!(location(&r), "/account/mfa", "must set up two-step verification");
        app.client = new_client();
        let back = through_provider(&app, &provider, &locum.email, true).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()));
        assert_eq!(app.get("/").await.status(), 200);

        // Someone the organisation knows but Safety Net does not.
        app.client = new_client();
        let back = through_provider(&app, &provider, "stranger@riversidesurgery.example", true).await;
        let (status, body) = follow(&app, &back).await;
        assert_eq!(status, 403);
        assert!(body.contains("There is no Safety Net account for you yet"), "{body}");
        assert!(body.contains("stranger@riversidesurgery.example"));
        assert_eq!(app.get("/").await.status(), 303, "not signed in");
        assert!(audit_details(&app, "sign_in.failed")
            .await
            .iter()
            .any(|d| d == &format!("{NAME} (OpenID Connect): no account with that email")));
    }
);

storage_test!(
    a_spoiled_or_misdirected_answer_is_refused_with_a_clear_page,
    configured: configure,
    |app: TestApp| async move {
        let mut app = app;
        let Some(provider) = Provider::start(&app).await else {
            return;
        };
        let p = app.practice("Riverside Surgery").await;

        // Each spoiled ID token, signed by the provider or not, is refused by one check.
        for (how, reason) in [
            ("wrong-audience", "meant for another application"),
            ("expired", "expired"),
            ("bad-signature", "signature does not match the provider's keys"),
            ("wrong-nonce", "nonce does not match this sign-in"),
            ("wrong-issuer", "issued by someone else"),
        ] {
            app.client = new_client();
            let back = through_provider(&app, &provider, &p.manager_email, true).await;
            provider.spoil_next_token(how).await;
            let (status, body) = follow(&app, &back).await;
            assert_eq!(status, 400, "{how}: {body}");
            assert!(body.contains("We could not confirm who you are"), "{how}: {body}");
            assert_eq!(app.get("/").await.status(), 303, "{how}: not signed in");
            let last = audit_details(&app, "sign_in.failed").await;
            assert_eq!(
                last.last().unwrap(),
                &format!("{NAME} (OpenID Connect): ID token rejected: {reason}"),
                "{how}"
            );
        }
        app.client = new_client();
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        provider.spoil_next_token("unverified-email").await;
        let (status, body) = follow(&app, &back).await;
        assert_eq!(status, 400);
        assert!(body.contains("did not confirm your email address"), "{body}");

        // A state changed on the way back, or the answer opened in another browser.
        app.client = new_client();
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        let tampered = back.replace("state=", "state=x");
        let (status, body) = follow(&app, &tampered).await;
        assert_eq!(status, 400);
        assert!(body.contains("Please start signing in again"), "{body}");
        app.client = new_client();
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        let elsewhere = new_client();
        let r = elsewhere.get(&back).send().await.unwrap();
        assert_eq!(r.status(), 400, "another browser cannot finish it");
        // ...and then the real browser cannot either: it was used up.
        assert_eq!(follow(&app, &back).await.0, 400);

        // The provider's clock may be a little ahead of ours, not far.
        app.client = new_client();
        app.clock.advance(-100);
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()), "100 s is within the skew");
        app.client = new_client();
        app.clock.advance(-100);
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        let (status, body) = follow(&app, &back).await;
        assert_eq!(status, 400, "{body}");
        assert!(audit_details(&app, "sign_in.failed")
            .await
            .last()
            .unwrap()
            .ends_with("issued in the future"));
        app.clock.advance(200);

        // Ten minutes at the provider is too long.
        app.client = new_client();
        let r = app.get("/sign-in/with/test").await;
        let state = location(&r)
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("state=").map(str::to_string))
            .unwrap();
        app.clock.advance(601);
        let (status, body) = follow(
            &app,
            &app.url(&format!("/sign-in/with/test/callback?code=x&state={state}")),
        )
        .await;
        assert_eq!(status, 400);
        assert!(body.contains("more than ten minutes"), "{body}");

        // The person cancelled at the provider: it says why, with the real state.
        let r = app.get("/sign-in/with/test").await;
        let state = location(&r)
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("state=").map(str::to_string))
            .unwrap();
        let (status, body) = follow(
            &app,
            &app.url(&format!(
                "/sign-in/with/test/callback?error=access_denied&error_description=End-User+aborted+interaction&state={state}"
            )),
        )
        .await;
        assert_eq!(status, 403);
        assert!(body.contains("End-User aborted interaction"), "{body}");

        // 200 presses of the button at the same instant: each gets its own
        // sign-in (the provider's settings are asked for once and kept).
        let presses = (0..200).map(|_| {
            let c = new_client();
            let url = app.url("/sign-in/with/test");
            async move { c.get(url).send().await.map(|r| (r.status().as_u16(), location(&r))) }
        });
        let answers = futures_util::future::join_all(presses).await;
        let mut states = std::collections::HashSet::new();
        for a in answers {
            let (status, to) = a.expect("answered");
            assert_eq!(status, 303);
            states.insert(to.split(['?', '&']).find(|kv| kv.starts_with("state=")).unwrap().to_string());
        }
        assert_eq!(states.len(), 200, "every sign-in has its own state");

        // A provider that does not answer: a clear page, not an error.
        let r = app.get("/sign-in/with/down").await;
        assert_eq!(r.status(), 502);
        let body = unescape(&r.text().await.unwrap());
        assert!(body.contains("We could not reach your organisation's sign-in"), "{body}");
        // An unknown provider is simply not there.
        assert_eq!(app.get("/sign-in/with/nobody").await.status(), 404);
        assert_eq!(app.get("/sign-in/with/test/callback").await.status(), 400);
        let odd = app.get("/sign-in/with/test/callback?state=a&state=b&code=%FF%FE").await;
        assert_eq!(odd.status(), 400);
        assert!(unescape(&odd.text().await.unwrap()).contains("Please start signing in again"));
    }
);

storage_test!(
    an_operator_requires_the_organisations_sign_in_for_a_practice,
    configured: configure,
    |app: TestApp| async move {
        let mut app = app;
        let Some(provider) = Provider::start(&app).await else {
            return;
        };
        let p = app.practice("Riverside Surgery").await;
        let other = app.practice("Hillside Practice").await;
        app.sign_in_as_operator().await;
        let page = unescape(&app.get_text(&format!("/operator/practices/{}", p.id)).await);
        assert!(page.contains("How people at this practice sign in"));
        assert!(page.contains(&format!("Only {NAME}")));
        let r = app
            .post(
                &format!("/operator/practices/{}/sign-in", p.id),
                &[("sign_in_provider", "nobody")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("Choose one of the sign-ins listed"));
        let r = app
            .post(
                &format!("/operator/practices/{}/sign-in", p.id),
                &[("sign_in_provider", "test")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"sign_in.rule_changed".to_string()));

        // The manager's right password is now refused, with what to do instead.
        app.client = new_client();
        let r = app
            .post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
        assert_eq!(r.status(), 200);
        let body = unescape(&r.text().await.unwrap());
        assert!(
            body.contains(&format!("People at your practice sign in with {NAME}")),
            "{body}"
        );
        assert_eq!(app.get("/").await.status(), 303);
        // The organisation's account works; another practice still uses passwords.
        app.clock.advance(31);
        let back = through_provider(&app, &provider, &p.manager_email, true).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()));
        app.clock.advance(31);
        app.sign_in(&other.manager_email, &other.password, Some(&other.totp))
            .await;
        assert_eq!(app.get("/").await.status(), 200);

        // A new starter's invitation offers the button, not a password; their
        // first sign-in with it accepts the invitation and counts them as joined.
        let invited = app.staff(&p, "Cai Jones", "Clinical", None).await;
        let uid = safetynet::people::accounts::create_user(
            &app.db,
            &invited.email,
            "Cai Jones",
            Role::Staff,
            Some(p.id),
            Some(invited.staff_id),
            app.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
        let mut tx = app.db.begin().await.unwrap();
        let link = safetynet::auth::tokens::issue(
            &mut tx,
            uid,
            safetynet::auth::tokens::Purpose::Invite,
            app.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.client = new_client();
        let page = unescape(&app.get_text(&format!("/invitation/{link}")).await);
        assert!(page.contains(&format!("Sign in with {NAME}")), "{page}");
        assert!(!page.contains("type=\"password\""), "no password to choose");
        let joined = "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND joined_with_provider_at IS NOT NULL";
        let before = app.count(joined, p.id).await;
        let back = through_provider(&app, &provider, &invited.email, false).await;
        assert_eq!(follow(&app, &back).await, (303, "/".to_string()));
        assert_eq!(app.count(joined, p.id).await, before + 1);
        assert!(audit_details(&app, "invitation.accepted")
            .await
            .contains(&format!("by signing in with {NAME} (OpenID Connect)")));
        assert_ne!(
            app.get(&format!("/invitation/{link}")).await.status(),
            200,
            "the invitation link is used up"
        );

        // Passwords allowed again.
        app.clock.advance(31);
        app.sign_in_as_operator().await;
        let r = app
            .post(
                &format!("/operator/practices/{}/sign-in", p.id),
                &[("sign_in_provider", "")],
            )
            .await;
        assert_eq!(r.status(), 303);
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp)).await;
        assert_eq!(app.get("/").await.status(), 200);
    }
);

/// In headless Chromium: the sign-in page's button, the provider's own page,
/// the manager's home; a refusal page; the operator's form requiring the
/// organisation's sign-in. axe-core finds nothing on Safety Net's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_with_the_organisations_account_in_a_browser() {
    use crate::browser::{assert_accessible, fill, start_browser, submit, wait_for_text};
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn_configured(crate::helpers::Backend::Sqlite, false, configure).await;
    let Some(_provider) = Provider::start(&app).await else {
        return;
    };
    let p = app.practice("Riverside Surgery").await;

    c.goto(&app.url("/sign-in")).await.unwrap();
    wait_for_text(&c, &format!("Sign in with {NAME}")).await;
    assert_accessible(&c, "sign-in with an organisation button").await;
    submit(&c, "#sign-in-with-test").await;
    wait_for_text(&c, "Test organisation sign-in").await;
    fill(&c, "login", &p.manager_email).await;
    submit(&c, "#mfa").await;
    submit(&c, "#continue").await;
    wait_for_text(&c, "Your practice at a glance").await;

    // Someone without an account is told what to do.
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/sign-in")).await.unwrap();
    submit(&c, "#sign-in-with-test").await;
    wait_for_text(&c, "Test organisation sign-in").await;
    fill(&c, "login", "new.starter@riversidesurgery.example").await;
    submit(&c, "#continue").await;
    wait_for_text(&c, "There is no Safety Net account for you yet").await;
    assert_accessible(&c, "organisation sign-in refused").await;

    // The ICB's operator chooses how the practice signs in.
    let secret = mfa::new_secret();
    let uid = safetynet::people::accounts::create_user(
        &app.db,
        "it@icb.example",
        "ICB IT",
        Role::Operator,
        None,
        None,
        0,
    )
    .await
    .unwrap()
    .unwrap();
    crate::helpers::set_password_and_mfa(&app.db, uid, "glacier walnut falcon", Some(&secret))
        .await;
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(&c, "email", "it@icb.example").await;
    fill(&c, "password", "glacier walnut falcon").await;
    submit(&c, "form[action='/sign-in'] button[type=submit]").await;
    wait_for_text(&c, "Enter your security code").await;
    fill(&c, "code", &mfa::code_at(&secret, app.clock.now()).unwrap()).await;
    submit(&c, "main button[type=submit]").await;
    wait_for_text(&c, "Practices").await;
    c.goto(&app.url(&format!("/operator/practices/{}", p.id)))
        .await
        .unwrap();
    wait_for_text(&c, "How people at this practice sign in").await;
    submit(&c, "#sign_in_provider-test").await;
    submit(&c, "form[action$='/sign-in'] button[type=submit]").await;
    // Saved, and shown when the page is opened again.
    let mut saved = None;
    for _ in 0..50 {
        saved = safetynet::auth::repo::practice_sign_in_provider(&app.db, p.id)
            .await
            .unwrap();
        if saved.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(saved.as_deref(), Some("test"));
    c.goto(&app.url(&format!("/operator/practices/{}", p.id)))
        .await
        .unwrap();
    wait_for_text(&c, "How people at this practice sign in").await;
    let checked = c
        .find(fantoccini::Locator::Id("sign_in_provider-test"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(checked.as_deref(), Some("true"), "the choice is shown");
    assert_accessible(&c, "operator practice sign-in").await;
}

/// An ICB's two nodes behind one address: the sign-in begins on one node
/// and the provider sends the person back to the other, which finishes it
/// from what the first kept in the database; the session works on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_begun_on_one_node_is_finished_by_another() {
    if !crate::helpers::postgres_available() {
        return;
    }
    let app = TestApp::spawn(crate::helpers::Backend::Postgres).await;
    let _alive = app.keep_alive();
    let p = app.practice("Riverside Surgery").await;
    // The address people use (the load balancer's); the test plays the balancer
    // and sends the person's return to node B.
    let public = format!("http://127.0.0.1:{}", free_port());
    let issuer = format!("http://127.0.0.1:{}", free_port());
    let Some(provider) =
        Provider::start_at(&issuer, &format!("{public}/sign-in/with/test/callback")).await
    else {
        return;
    };
    let config = app.dir.path().join("nodes.toml");
    std::fs::write(
        &config,
        format!(
            "public_url = {public:?}\n[[oidc.providers]]\nid = \"test\"\nname = {NAME:?}\nissuer = {issuer:?}\nclient_id = \"safetynet\"\nclient_secret = {SECRET:?}\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let env = [("SAFETYNET_CONFIG", config.as_str())];
    let a = crate::crash_safety::Served::start_with(&app, "node-a", &env).await;
    let b = crate::crash_safety::Served::start_with(&app, "node-b", &env).await;

    let c = new_client();
    let r = c
        .get(format!("{}/sign-in/with/test", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = c.get(location(&r)).send().await.unwrap();
    let interaction = absolute(&provider.base, &location(&r));
    let r = c
        .post(&interaction)
        .form(&[("login", p.manager_email.as_str()), ("mfa", "yes")])
        .send()
        .await
        .unwrap();
    let r = c
        .get(absolute(&provider.base, &location(&r)))
        .send()
        .await
        .unwrap();
    let back = location(&r);
    assert!(
        back.starts_with(&format!("{public}/sign-in/with/test/callback?")),
        "{back}"
    );
    let back = back.replace(&public, &b.base);
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 303, "node B finished what node A began");
    assert_eq!(location(&r), "/");
    for base in [&a.base, &b.base] {
        let r = c.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(r.status(), 200, "signed in on {base}");
    }
    // Used up on B, so A cannot take the same answer again.
    let again = back.replace(&b.base, &a.base);
    assert_eq!(c.get(&again).send().await.unwrap().status(), 400);
}
