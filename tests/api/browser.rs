//! A practice manager in a real browser (headless Chromium through
//! ChromeDriver): sign in, set up two-step verification, import staff, see
//! them listed — with axe-core finding no accessibility violations on the way.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use safetynet::auth::mfa;

use crate::helpers::{Backend, TestApp};

pub(crate) struct Driver(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(var: &str, default: &str) -> Option<String> {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_string());
    std::path::Path::new(&path).exists().then_some(path)
}

fn axe_path() -> String {
    std::env::var("SAFETYNET_TEST_AXE_JS").unwrap_or_else(|_| {
        format!(
            "{}/tests/browser/node_modules/axe-core/axe.min.js",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

pub(crate) async fn start_browser() -> Option<(Driver, Client)> {
    if !std::path::Path::new(&axe_path()).exists()
        && !std::env::var("CI").is_ok_and(|v| v == "true")
    {
        let _ = writeln!(std::io::stderr(), "\n*** Browser test SKIPPED: axe-core is not installed (run `npm ci` in tests/browser, or bash .ci/run). ***\n");
        return None;
    }
    let (Some(driver), Some(chromium)) = (
        tool("SAFETYNET_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"),
        tool("SAFETYNET_TEST_CHROMIUM", "/usr/bin/chromium"),
    ) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI must run the browser test: chromium and chromium-driver are not installed");
        }
        let _ = writeln!(std::io::stderr(), "\n*** Browser test SKIPPED: install Debian's chromium and chromium-driver (bash .ci/run does). ***\n");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let profile_dir = profile.path().display().to_string();
    let driver = Driver(child, profile);
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1000", format!("--user-data-dir={profile_dir}")]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("ChromeDriver did not start");
}

/// Runs axe-core on the current page and fails with the details of any violation.
/// With SAFETYNET_TEST_SCREENSHOTS=DIR it also saves a picture of the page there.
pub(crate) async fn assert_accessible(c: &Client, page: &str) {
    if let Ok(dir) = std::env::var("SAFETYNET_TEST_SCREENSHOTS") {
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{}.png", page.replace(' ', "-"))),
            png,
        )
        .unwrap();
    }
    let axe_path = axe_path();
    let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|_| {
        panic!(
            "axe-core not found at {axe_path}: run `npm ci` in tests/browser (bash .ci/run does)"
        )
    });
    c.execute(&axe, vec![]).await.expect("inject axe-core");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] })\
                .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations: Vec<String> = serde_json::from_value(result).unwrap();
    assert!(
        violations.is_empty(),
        "axe-core found accessibility violations on {page}:\n{}",
        violations.join("\n")
    );
}

pub(crate) async fn fill(c: &Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("field #{id}"))
        .send_keys(value)
        .await
        .unwrap();
}

/// Waits (up to 10 s) for the page to show some text: a click on a submit
/// button returns before the browser has loaded the next page.
pub(crate) async fn wait_for_text(c: &Client, text: &str) -> String {
    for _ in 0..100 {
        let source = c.source().await.unwrap_or_default();
        if source.contains(text) {
            return source;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page never showed {text:?}:\n{}",
        c.source().await.unwrap_or_default()
    );
}

/// Signs the practice manager in, with a code from their authenticator.
pub(crate) async fn sign_in_manager(c: &Client, app: &TestApp, p: &crate::helpers::Practice) {
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(c, "email", &p.manager_email).await;
    fill(c, "password", &p.password).await;
    submit(c, "button[type=submit].nhsuk-button").await;
    wait_for_text(c, "Enter your security code").await;
    fill(c, "code", &mfa::code_at(&p.totp, app.clock.now()).unwrap()).await;
    submit(c, "main button[type=submit]").await;
    wait_for_text(c, "Your practice at a glance").await;
}

pub(crate) async fn submit(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("button {css}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_enrols_mfa_imports_staff_and_sees_them_listed() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    crate::helpers::set_password_and_mfa(&app.db, p.manager_user_id, &p.password, None).await;

    c.goto(&app.url("/sign-in")).await.unwrap();
    assert_accessible(&c, "sign-in").await;
    fill(&c, "email", &p.manager_email).await;
    fill(&c, "password", &p.password).await;
    submit(&c, "button[type=submit].nhsuk-button").await;

    // Managers must set up two-step verification before anything else.
    wait_for_text(&c, "Set up two-step verification").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/account/mfa"));
    assert_accessible(&c, "MFA enrolment").await;
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("code"),
        "the code field is ready to type in"
    );
    let secret = c
        .find(Locator::Css(".sn-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace(' ', "");
    fill(&c, "code", &mfa::code_at(&secret, app.clock.now()).unwrap()).await;
    submit(&c, "main button[type=submit]").await;
    wait_for_text(&c, "Save your recovery codes").await;
    let codes = c.find_all(Locator::Css(".sn-codes code")).await.unwrap();
    assert_eq!(codes.len(), 10, "recovery codes shown");
    c.find(Locator::LinkText("I have saved my codes"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    wait_for_text(&c, "Your practice at a glance").await;
    assert_accessible(&c, "practice home").await;

    // Import two staff from a spreadsheet saved by Excel.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("staff.csv");
    std::fs::write(&file, "\u{feff}Name,Email,Job role,Department\r\nAmelia Hughes,amelia.hughes@nhs.net,Receptionist,Reception & care navigation\r\nGareth Lloyd,gareth.lloyd@nhs.net,Dispensary manager,Dispensary\r\nBad Row,not-an-email,Nurse,Clinical\r\n").unwrap();
    c.goto(&app.url("/staff/import")).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    submit(&c, "main button[type=submit]").await;
    wait_for_text(&c, "<strong>2</strong> rows are ready to import").await;
    assert_accessible(&c, "import preview").await;
    submit(&c, "button[value=good]").await;

    let list = wait_for_text(&c, "2 staff imported").await;
    assert!(list.contains("Amelia Hughes") && list.contains("Gareth Lloyd"));
    assert_accessible(&c, "staff list").await;

    // Back to the finished import: what it did, with the menu.
    c.back().await.unwrap();
    c.refresh().await.unwrap();
    wait_for_text(&c, "has been imported").await;
    assert_accessible(&c, "finished import").await;

    // The password tool never praises a password the app would refuse.
    c.goto(&app.url("/training/password-practice"))
        .await
        .unwrap();
    fill(&c, "practice-password", "Summer2024").await;
    let said = wait_for_text(&c, "would not accept it").await;
    assert!(!said.contains("Strength: Fair"));
    let field = c.find(Locator::Id("practice-password")).await.unwrap();
    field.clear().await.unwrap();
    field
        .send_keys("kettle orbit meadow lantern")
        .await
        .unwrap();
    let mut judged = false;
    for _ in 0..100 {
        let said = c.find(Locator::Id("practice-result")).await.unwrap();
        let said = said.text().await.unwrap();
        if said.contains("Strength:") && !said.contains("Summer") {
            assert!(!said.contains("would not accept"), "{said}");
            assert!(
                said.contains("Strong") || said.contains("Very strong"),
                "{said}"
            );
            judged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(judged, "the password tool gave a verdict");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_runs_an_exercise_and_a_clicker_sees_a_kind_lesson() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::helpers::Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    app.staff(&p, "Tom Bennett", "Reception & care navigation", None)
        .await;
    safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
        .await
        .unwrap()
        .unwrap();
    let port = app.smtp.as_ref().unwrap().port;
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'Test relay', '127.0.0.1', $2, 'none', '', '', 'exercises@riversidesurgery.example', 'X-Safety-Net-Simulation', 0)")
        .bind(p.id).bind(i64::from(port)).execute(pool).await.map(|_| ())).unwrap();

    sign_in_manager(&c, &app, &p).await;

    c.goto(&app.url("/simulation/templates")).await.unwrap();
    assert_accessible(&c, "template library").await;
    c.find(Locator::Css(
        "form[action='/simulation/library/nhsmail-password-expiry/use'] button",
    ))
    .await
    .expect("library lure")
    .click()
    .await
    .unwrap();
    assert_accessible(&c, "template editor").await;
    // Attaching a file through the browser's file picker: a refused file is explained beside
    // the field, a letter is then attached.
    let upload = |name: &'static str, contents: &'static [u8]| {
        let path = app.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_string()
    };
    let docm = upload("Complaint letter.docm", b"PK\x03\x04 word/document.xml");
    fill(&c, "file", &docm).await;
    submit(&c, "form[enctype='multipart/form-data'] button").await;
    wait_for_text(&c, "macro-enabled Office file").await;
    assert_accessible(&c, "template editor with an attachment problem").await;
    let letter = upload(
        "Complaint letter.html",
        b"<p>Dear {{ first_name }}, <a href=\"{{ link }}\">read the complaint</a></p>",
    );
    fill(&c, "file", &letter).await;
    submit(&c, "form[enctype='multipart/form-data'] button").await;
    wait_for_text(&c, "Every email from this template carries").await;
    assert_accessible(&c, "template editor with an attachment").await;

    c.goto(&app.url("/simulation/campaigns/new")).await.unwrap();
    assert_accessible(&c, "new exercise").await;
    fill(&c, "name", "Browser exercise").await;
    c.find(Locator::Css("#template_id option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#profile_id option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let spread = c.find(Locator::Id("spread_hours")).await.unwrap();
    spread.clear().await.unwrap();
    spread.send_keys("0").await.unwrap();
    c.find(Locator::Id("business_hours"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Check before you start").await;
    wait_for_text(&c, "This will email").await;
    assert_accessible(&c, "starting an exercise: what will happen").await;
    submit(&c, "button[name=confirm][value=yes]").await;
    wait_for_text(&c, "Reporting comes first").await;
    assert_accessible(&c, "exercise results").await;

    c.goto(&app.url("/simulation/api")).await.unwrap();
    assert_accessible(&c, "GoPhish API page").await;
    fill(&c, "name", "Reporting script").await;
    submit(&c, "form[action='/simulation/api/keys'] button").await;
    wait_for_text(&c, "shown only this once").await;
    assert_accessible(&c, "GoPhish API page with a new key").await;

    safetynet::simulation::sending::Sender::new(app.state.clone())
        .run_once()
        .await
        .unwrap();
    let msg = app
        .smtp
        .as_ref()
        .unwrap()
        .messages()
        .into_iter()
        .find(|m| m.contains("tom.bennett"))
        .expect("Tom's email");
    let body = msg.replace("=\r\n", "").replace("=3D", "=");
    let link = regex_lite::Regex::new(&format!(
        r"{}/c/[a-z2-7]{{22}}",
        regex_lite::escape(&app.sim_base)
    ))
    .unwrap()
    .find(&body)
    .unwrap()
    .as_str()
    .to_string();
    app.clock.advance(60);
    c.goto(&link).await.unwrap();
    assert_accessible(&c, "landing page").await;
    fill(&c, "username", "tom@example.nhs.uk").await;
    fill(&c, "password", "not a real password").await;
    submit(&c, "button[type=submit]").await;
    wait_for_text(&c, "This was a practice exercise, Tom").await;
    assert_accessible(&c, "teachable moment").await;
    // Had he reported it instead, the thank-you says how to report a real one.
    c.goto(&link.replace("/c/", "/r/")).await.unwrap();
    wait_for_text(&c, "spamreports@nhs.net").await;
    assert_accessible(&c, "thank-you for reporting").await;
    c.close().await.unwrap();
}

/// A new receptionist works through her whole induction on the web, passes each quiz and
/// downloads her CPD certificate; the public patient lessons are checked too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_starter_completes_her_induction_in_the_browser_and_downloads_a_certificate() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let nina = app
        .staff(
            &p,
            "Nina Newstarter",
            "Reception & care navigation",
            Some(safetynet::auth::Role::Staff),
        )
        .await;
    let today = safetynet::ukclock::local_date(app.clock.now()).to_string();
    safetynet::with_db!(&app.db, pool => sqlx::query("UPDATE staff SET start_date = $1, created_at = $2 WHERE id = $3")
        .bind(&today).bind(app.clock.now()).bind(nina.staff_id).execute(pool).await.map(|_| ())).unwrap();
    safetynet::training::assignments::run(&app.state)
        .await
        .unwrap();

    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(&c, "email", &nina.email).await;
    fill(&c, "password", &nina.password).await;
    submit(&c, "button[type=submit].nhsuk-button").await;
    wait_for_text(&c, "Your training").await;
    c.goto(&app.url("/training")).await.unwrap();
    wait_for_text(&c, "Induction for new starters").await;
    assert_accessible(&c, "your training").await;

    // Her induction is her role's curriculum; she works through every module of it.
    let induction = safetynet::training::content::catalogue()
        .role("reception")
        .unwrap()
        .modules
        .clone();
    let mut href = String::new();
    let mut module = None;
    for (n, slug) in induction.iter().enumerate() {
        let first = n == 0;
        let m = safetynet::training::content::catalogue()
            .module(slug)
            .unwrap();
        c.goto(&app.url("/training")).await.unwrap();
        wait_for_text(&c, "Your training").await;
        c.find(Locator::Css(&format!("a[href='/training/modules/{slug}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_text(&c, "After this module you can").await;
        if first {
            assert_accessible(&c, "module overview").await;
        }
        submit(&c, "main form button[type=submit]").await;
        for (i, section) in m.sections.iter().enumerate() {
            let heading = section.heading.replace('&', "&amp;");
            wait_for_text(&c, &format!("page {} of {}", i + 1, m.sections.len())).await;
            wait_for_text(&c, &heading).await;
            if first && i == 0 {
                assert_accessible(&c, "lesson page").await;
            }
            submit(&c, "main form button[type=submit]").await;
        }
        wait_for_text(&c, "Start the quiz").await;
        submit(&c, "main form button[type=submit]").await;
        let page = wait_for_text(&c, "Check my answers").await;
        if first {
            assert_accessible(&c, "quiz").await;
        }
        let mut ids = Vec::new();
        for part in page.split("name=\"q-").skip(1) {
            let id = part.split('"').next().unwrap().to_string();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        assert_eq!(ids.len(), 6);
        for id in &ids {
            let answer = m.quiz.question(id).unwrap().answer;
            c.find(Locator::Id(&format!("q-{id}-{answer}")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        submit(&c, "main form button[type=submit]").await;
        let result = wait_for_text(&c, "you passed").await;
        if first {
            assert_accessible(&c, "quiz result").await;
        }
        href = result
            .split("href=\"/training/certificates/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a certificate link")
            .to_string();
        module = Some(m);
    }
    let module = module.expect("an induction module");
    c.goto(&app.url("/training")).await.unwrap();
    wait_for_text(&c, "Nothing to do right now").await;
    // Download it as the browser would, with Nina's session.
    let b64 = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {\
               let s = ''; new Uint8Array(b).forEach(x => s += String.fromCharCode(x)); done(btoa(s)); })\
             .catch(e => done('failed: ' + e));",
            vec![serde_json::json!(format!("/training/certificates/{href}"))],
        )
        .await
        .unwrap();
    let pdf = base64_decode(b64.as_str().unwrap());
    if let Ok(dir) = std::env::var("SAFETYNET_TEST_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(&dir).join("certificate.pdf"), &pdf).unwrap();
    }
    if let Some(text) = crate::training::pdf_text(&pdf) {
        assert!(text.contains("Nina Newstarter"), "{text}");
        assert!(text.contains(&module.title));
        assert!(text.contains("Riverside Surgery"));
    }

    for (path, name) in [
        ("/training/password-practice", "password practice"),
        ("/learn", "patient lessons"),
        ("/learn/children", "children's lesson"),
        ("/learn/older-adults", "older adults' lesson"),
        (
            "/learn/adults-easy-read",
            "Easy Read lesson with its pictures",
        ),
        ("/learn/teens", "young people's lesson"),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        wait_for_text(&c, "</main>").await;
        assert_accessible(&c, name).await;
    }
    c.close().await.unwrap();
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 from the page")
}

/// The plan, incident and exercise pages a practice manager uses, each checked with axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_builds_a_plan_declares_an_incident_and_plans_an_exercise() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;

    c.goto(&app.url("/resilience/plans")).await.unwrap();
    wait_for_text(&c, "Start a plan from a template").await;
    assert_accessible(&c, "plans").await;
    submit(&c, "form[action='/resilience/plans'] button").await;
    wait_for_text(&c, "Who does what").await;
    assert_accessible(&c, "plan editor").await;
    fill(&c, "role-incident-lead-person", "Sarah Okafor").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Approve version 1").await;
    assert_accessible(&c, "plan").await;

    c.goto(&app.url("/resilience/incidents")).await.unwrap();
    wait_for_text(&c, "Declare an incident").await;
    assert_accessible(&c, "incidents").await;
    fill(&c, "title", "Ransom note on reception PC 2").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Checklist from the plan").await;
    assert_accessible(&c, "incident").await;
    // One form for the whole checklist: tick two actions, save once.
    for n in [0, 1] {
        c.find(Locator::Css(&format!("label[for='done-{n}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    submit(&c, "form[action$='/checklist'] button[type=submit]").await;
    let page = wait_for_text(&c, "(2 of ").await;
    assert_eq!(page.matches("nhsuk-tag--green\">Done ").count(), 2);
    assert_accessible(&c, "incident after ticking checklist items").await;
    // Unticking one is the same form.
    c.find(Locator::Css("label[for='done-1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "form[action$='/checklist'] button[type=submit]").await;
    wait_for_text(&c, "(1 of ").await;
    wait_for_text(&c, "Not done after all").await;

    c.goto(&app.url("/resilience/exercises")).await.unwrap();
    wait_for_text(&c, "Plan an exercise").await;
    assert_accessible(&c, "exercises").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Who took part").await;
    assert_accessible(&c, "exercise").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_resilience_pages_are_accessible() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let now = app.clock.now();
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO assets (practice_id, kind, name, hostname, make_model, os, owner, location, encryption, managed_by, last_updated_at, added_by, created_at, updated_at) VALUES \
         ($1, 'desktop', 'RECEPTION-PC1', 'reception-pc1', 'Dell OptiPlex 7050', 'Windows 10 Pro 22H2', 'Reception', 'Front desk', 'yes', 'icb', $2, 'manager', $2, $2), \
         ($1, 'laptop', 'NURSE-LT1', NULL, 'HP EliteBook', 'Windows 11 Pro 24H2', 'Nurses', 'Room 3', 'no', 'practice', NULL, 'manager', $2, $2)")
        .bind(p.id).bind(now - 40 * 86_400).execute(pool).await.map(|_| ())).unwrap();
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO backups (practice_id, what, category, responsible, destination, frequency_days, restore_every_days, last_backup_on, created_at, updated_at) VALUES \
         ($1, 'Shared drive (S:)', 'shared_drive', 'practice', 'external_drive', 1, 365, '2026-01-01', 0, 0), \
         ($1, 'EMIS Web', 'clinical_system', 'supplier', 'supplier', 1, 365, NULL, 0, 0)")
        .bind(p.id).execute(pool).await.map(|_| ())).unwrap();
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO cyber_alerts (practice_id, reference, title, severity, received_at, applicability, action_owner, created_at, updated_at) \
         VALUES ($1, 'CC-4567', 'Critical vulnerability in a VPN appliance', 'high', $2, 'not_assessed', 'icb', 0, 0)")
        .bind(p.id).bind(now - 3600).execute(pool).await.map(|_| ())).unwrap();

    sign_in_manager(&c, &app, &p).await;

    for (path, text, name) in [
        ("/resilience", "What needs attention", "resilience overview"),
        ("/resilience/assets", "RECEPTION-PC1", "asset register"),
        (
            "/resilience/assets?show=attention",
            "Needs attention",
            "asset register needing attention",
        ),
        (
            "/resilience/assets/1",
            "Updates were installed today",
            "asset page",
        ),
        ("/resilience/backups", "Shared drive (S:)", "backups"),
        (
            "/resilience/backups/1",
            "Record a restore test",
            "backup page",
        ),
        ("/resilience/alerts", "CC-4567", "cyber alerts"),
        (
            "/resilience/alerts/1",
            "We have acknowledged this alert",
            "cyber alert page",
        ),
        (
            "/resilience/checkin",
            "Make an enrolment token",
            "device check-in",
        ),
        ("/resilience/support-dates", "Windows 10", "support dates"),
        (
            "/resilience/assets/import",
            "Check the file",
            "asset import",
        ),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        wait_for_text(&c, text).await;
        assert_accessible(&c, name).await;
    }
    // A form with mistakes, as the manager sees it.
    c.goto(&app.url("/resilience/assets/new")).await.unwrap();
    assert_accessible(&c, "new asset").await;
    fill(&c, "supported_until", "31/02/2027").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "new asset with errors").await;
    c.close().await.unwrap();
}

/// Waits (up to 60 s) for a page that changes by itself, such as a pack's
/// progress page reloading when the build in the background ends.
async fn wait_long_for_text(c: &Client, text: &str) {
    for _ in 0..600 {
        if c.source().await.unwrap_or_default().contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the page never showed {text:?}:\n{}",
        c.source().await.unwrap_or_default()
    );
}

/// The DSPT in a browser: the manager builds an evidence pack from the DSPT
/// page and adds an IT administrator, the administrator accepts through the
/// emailed link, and the ICB operator looks at readiness; axe-core checks
/// every page on the way, forms with mistakes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_builds_a_dspt_pack_and_an_administrator_accepts_the_agreement() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        crate::helpers::Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;

    c.goto(&app.url("/dspt")).await.unwrap();
    wait_for_text(&c, "Data Security and Protection Toolkit").await;
    assert_accessible(&c, "DSPT page").await;
    submit(&c, "form[action='/dspt/packs'] button").await;
    // The progress page reloads itself when the build ends.
    wait_long_for_text(&c, "Download the summary (PDF)").await;
    assert_accessible(&c, "evidence pack").await;
    c.goto(&app.url("/dspt/packs")).await.unwrap();
    wait_for_text(&c, "/dspt/packs/").await;
    assert_accessible(&c, "evidence packs").await;

    c.goto(&app.url("/dspt/items/4.3.1")).await.unwrap();
    wait_for_text(&c, "4.3.1").await;
    assert_accessible(&c, "DSPT item").await;
    c.goto(&app.url("/dspt/documents")).await.unwrap();
    wait_for_text(&c, "Upload").await;
    assert_accessible(&c, "DSPT documents").await;

    c.goto(&app.url("/dspt/administrators")).await.unwrap();
    wait_for_text(&c, "Add someone with administrator access").await;
    assert_accessible(&c, "IT administrators").await;
    fill(&c, "full_name", "Dev Patel").await;
    submit(&c, "form[action='/dspt/administrators'] button").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "IT administrators with errors").await;
    fill(&c, "email", "dev.patel@gpit-support.example").await;
    fill(&c, "organisation", "Northfield GP IT Ltd").await;
    fill(&c, "systems", "Practice network and PCs").await;
    c.find(Locator::Id("access_kind"))
        .await
        .unwrap()
        .select_by_value("network")
        .await
        .unwrap();
    submit(&c, "form[action='/dspt/administrators'] button").await;
    wait_for_text(&c, "Northfield GP IT Ltd").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/dspt/administrators/"));
    assert_accessible(&c, "IT administrator").await;

    // The administrator, with no account, opens the emailed link.
    app.deliver_outbox().await;
    let link = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to("dev.patel@gpit-support.example", "/agreement/");
    c.delete_all_cookies().await.unwrap();
    c.goto(&link).await.unwrap();
    wait_for_text(&c, "IT administrator agreement").await;
    assert_accessible(&c, "agreement link").await;
    fill(&c, "signed_name", "Dev Patel").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "agreement link with errors").await;
    c.find(Locator::Id("agree"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "is recorded").await;
    assert_accessible(&c, "agreement accepted").await;

    // A member of staff with administrator access accepts in Safety Net.
    let nia = app
        .staff(
            &p,
            "Nia Clarke",
            "Management",
            Some(safetynet::auth::Role::Staff),
        )
        .await;
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO admin_access (practice_id, staff_id, full_name, email, organisation, systems, access_kind, created_at, updated_at) \
         VALUES ($1, $2, 'Nia Clarke', $3, 'Riverside Surgery', 'EMIS Web', 'clinical_system', 0, 0)")
        .bind(p.id).bind(nia.staff_id).bind(&nia.email).execute(pool).await.map(|_| ())).unwrap();
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(&c, "email", &nia.email).await;
    fill(&c, "password", &nia.password).await;
    submit(&c, "button[type=submit].nhsuk-button").await;
    wait_for_text(&c, "Sign out").await;
    c.goto(&app.url("/agreements")).await.unwrap();
    wait_for_text(&c, "accept it for EMIS Web").await;
    assert_accessible(&c, "your agreements").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "your acceptance of the agreement is recorded").await;
    assert_accessible(&c, "your agreements accepted").await;
    c.delete_all_cookies().await.unwrap();

    // The ICB operator's readiness page.
    let operator = safetynet::people::accounts::create_user(
        &app.db,
        "it@icb.example",
        "ICB IT",
        safetynet::auth::Role::Operator,
        None,
        None,
        0,
    )
    .await
    .unwrap()
    .unwrap();
    let secret = mfa::new_secret();
    crate::helpers::set_password_and_mfa(&app.db, operator, "glacier walnut falcon", Some(&secret))
        .await;
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(&c, "email", "it@icb.example").await;
    fill(&c, "password", "glacier walnut falcon").await;
    submit(&c, "button[type=submit].nhsuk-button").await;
    wait_for_text(&c, "Enter your security code").await;
    fill(&c, "code", &mfa::code_at(&secret, app.clock.now()).unwrap()).await;
    submit(&c, "main button[type=submit]").await;
    wait_for_text(&c, "Sign out").await;
    c.goto(&app.url("/operator/dspt")).await.unwrap();
    wait_for_text(&c, "DSPT readiness").await;
    assert!(c.source().await.unwrap().contains("Riverside Surgery"));
    assert_accessible(&c, "DSPT readiness").await;
    c.goto(&app.url("/operator")).await.unwrap();
    wait_for_text(&c, "DSPT evidence").await;
    assert_accessible(&c, "practices with DSPT readiness").await;
    c.close().await.unwrap();
}

/// Signs a member of staff (no two-step verification) in.
async fn sign_in_staff(c: &Client, app: &TestApp, email: &str, password: &str, landing: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(c, "email", email).await;
    fill(c, "password", password).await;
    submit(c, "button[type=submit].nhsuk-button").await;
    wait_for_text(c, landing).await;
}

/// Issue 14 on a phone-sized screen: a receptionist presses "I reported a
/// suspicious email" and is thanked; the manager sees the reports per month
/// and, with staff on NHSmail, why email exercises need an agreement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_button_and_culture_pages_work_on_a_phone_and_are_accessible() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    c.set_window_size(390, 844).await.unwrap();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let amelia = app
        .staff(
            &p,
            "Amelia Hughes",
            "Reception & care navigation",
            Some(safetynet::auth::Role::Staff),
        )
        .await;
    safetynet::with_db!(&app.db, pool => sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) \
        SELECT $1, id, 'Tom Bennett', 'tom.bennett@nhs.net', 'GP', 'permanent', 0 FROM departments WHERE practice_id = $1 AND name = 'Clinical'")
        .bind(p.id).execute(pool).await.map(|_| ())).unwrap();

    sign_in_staff(
        &c,
        &app,
        &amelia.email,
        &amelia.password,
        "Reported something suspicious?",
    )
    .await;
    assert_accessible(&c, "staff home with the report button").await;
    submit(&c, "#report-suspicious button[type=submit]").await;
    wait_for_text(&c, "Thank you for reporting it").await;
    assert_accessible(&c, "report thank-you").await;
    c.goto(&app.url("/culture/reports/new")).await.unwrap();
    wait_for_text(&c, "How did you report it?").await;
    assert_accessible(&c, "report form").await;
    fill(&c, "note", &"a".repeat(301)).await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "report form with errors").await;

    c.delete_all_cookies().await.unwrap();
    sign_in_manager(&c, &app, &p).await;
    for (path, text, name) in [
        ("/culture/reports", "Recent reports", "reports per month"),
        (
            "/simulation",
            "Your staff use NHSmail",
            "exercises on NHSmail",
        ),
        (
            "/culture/drills",
            "Choose a drill",
            "drills for the manager",
        ),
        ("/culture/meetings", "Record a meeting", "meetings"),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        wait_for_text(&c, text).await;
        assert_accessible(&c, name).await;
    }
    fill(&c, "attendees", "x").await;
    submit(
        &c,
        "main form[action='/culture/meetings'] button[type=submit]",
    )
    .await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "meetings with errors").await;
    c.find(Locator::Id("attendees"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "attendees", "7").await;
    fill(&c, "action_what", "Lock screens when away").await;
    fill(&c, "action_owner", "Sian").await;
    c.execute(
        "document.getElementById('action_due').value = '2030-01-31';",
        vec![],
    )
    .await
    .unwrap();
    submit(
        &c,
        "main form[action='/culture/meetings'] button[type=submit]",
    )
    .await;
    wait_for_text(&c, "Cyber minute briefing").await;
    assert_accessible(&c, "meeting briefing").await;
    c.close().await.unwrap();
}

/// Issue 14: a champion runs a phone drill from start to finish on a
/// phone-sized screen, and the receptionist reads her debrief.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_champion_runs_a_phone_drill_on_a_phone() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    c.set_window_size(390, 844).await.unwrap();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let reception = "Reception & care navigation";
    let role = safetynet::auth::Role::Staff;
    let amelia = app.staff(&p, "Amelia Hughes", reception, Some(role)).await;
    let champion = safetynet::auth::Role::Champion;
    let sian = app
        .staff(&p, "Sian Williams", reception, Some(champion))
        .await;

    sign_in_staff(
        &c,
        &app,
        &sian.email,
        &sian.password,
        "Reported something suspicious?",
    )
    .await;
    c.goto(&app.url("/culture/drills")).await.unwrap();
    wait_for_text(&c, "Drills that need no email").await;
    assert_accessible(&c, "drills").await;
    c.find(Locator::LinkText("A relative asks for test results"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "Record how it went").await;
    assert_accessible(&c, "phone drill").await;
    let record =
        "form[action='/culture/drills/library/phone-relative-results'] button[type=submit]";
    submit(&c, record).await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "phone drill with errors").await;
    c.find(Locator::Id("staff_id"))
        .await
        .unwrap()
        .select_by_value(&amelia.staff_id.to_string())
        .await
        .unwrap();
    for id in [
        "check-verified-identity",
        "check-refused-to-disclose",
        "outcome-good-catch",
        "praise_by_name",
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    fill(&c, "note", "Calm, kind and kept to the checks. Thank you!").await;
    submit(&c, record).await;
    wait_for_text(&c, "Drill recorded").await;
    assert_accessible(&c, "drill recorded").await;

    sign_in_staff(
        &c,
        &app,
        &amelia.email,
        &amelia.password,
        "Reported something suspicious?",
    )
    .await;
    c.goto(&app.url("/culture/my-drills")).await.unwrap();
    wait_for_text(&c, "Well done, and thank you").await;
    assert_accessible(&c, "my drills").await;
    c.close().await.unwrap();
}
