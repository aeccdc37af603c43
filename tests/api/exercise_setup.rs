//! Setting up and running a phishing exercise in plain English (issue 13):
//! staff report an exercise email as they would a real one (no report link
//! unless the practice keeps one for a report button add-in), starting an
//! exercise says what will happen, and the set-up pages explain themselves.

use crate::helpers::{unescape, TestApp};
use crate::simulation::{launch, links, ready};
use crate::storage_test;
use safetynet::auth::Role;

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

storage_test!(
    exercise_emails_have_no_report_link_unless_the_practice_keeps_one,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(
            &p,
            "Tom Bennett",
            "Reception & care navigation",
            Some(Role::Staff),
        )
        .await;
        let page = app.get_text("/simulation/templates").await;
        assert!(
            page.contains("How staff report an exercise email")
                && !page.contains(r#"id="report_link" name="report_link" type="checkbox" value="on" aria-describedby="report_link-hint" checked"#),
            "off by default"
        );
        launch(&app, template_id, profile_id, &[]).await;
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        sender.run_once().await.unwrap();
        let tom = |app: &TestApp| {
            app.smtp
                .as_ref()
                .unwrap()
                .messages()
                .into_iter()
                .rfind(|m| m.contains("tom.bennett"))
                .unwrap()
        };
        let msg = tom(&app);
        let flat = msg.replace("=\r\n", "").replace("=\n", "");
        assert!(
            !flat.contains(&format!("{}/r/", app.sim_base)) && !flat.contains("Report it"),
            "no report link in the email: {flat}"
        );
        let (click, _, report, _) = links(&msg, &app.sim_base);
        assert!(report.is_empty());

        // Tom clicks and types: the lesson tells him how to report a real one.
        app.clock.advance(120);
        let web = crate::helpers::new_client();
        let lesson = unescape(
            &web.post(&click)
                .header("user-agent", BROWSER)
                .form(&[("username", "tom"), ("password", "x")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        for words in [
            "How to report a suspicious email",
            "reporting mailbox",
            "spamreports@nhs.net",
            "I reported a suspicious email",
        ] {
            assert!(lesson.contains(words), "{words}: {lesson}");
        }
        assert!(lesson.contains(&format!("{}/culture/reports/new", app.base)));
        assert!(
            !lesson.contains("use the report link") && !lesson.contains(">Report it<"),
            "neither the lesson nor the email it shows has the link: {lesson}"
        );
        // A report made some other way that reaches the link still thanks him the same way.
        let thanks = unescape(
            &web.get(click.replace("/c/", "/r/"))
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            thanks.contains("spamreports@nhs.net")
                && thanks.contains("reporting mailbox")
                && thanks.contains("I reported a suspicious email")
                && !thanks.contains("report button"),
            "{thanks}"
        );

        // A practice with a report button add-in switches the link back on.
        let r = app
            .post("/simulation/library/report-link", &[("report_link", "on")])
            .await;
        assert_eq!(r.status(), 303);
        let page = app.get_text(&crate::helpers::location(&r)).await;
        assert!(page.contains("<strong>Saved.</strong> Emails sent from now on"));
        assert!(page.contains(r#"aria-describedby="report_link-hint" checked"#));
        launch(
            &app,
            template_id,
            profile_id,
            &[("name", "December exercise")],
        )
        .await;
        sender.run_once().await.unwrap();
        let (_, _, report, _) = links(&tom(&app), &app.sim_base);
        assert!(!report.is_empty(), "the link is back");
        let thanks = unescape(
            &web.get(&report)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            thanks.contains("report button in your email program"),
            "{thanks}"
        );
        // And off again.
        app.post("/simulation/library/report-link", &[]).await;
        assert!(!app
            .get_text("/simulation/templates")
            .await
            .contains(r#"aria-describedby="report_link-hint" checked"#));
    }
);

storage_test!(
    the_results_page_reloads_itself_only_while_emails_are_going_out,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(&p, "Karen Doyle", "Administration & secretaries", None)
            .await;
        let (id, _) = launch(&app, template_id, profile_id, &[]).await;
        let refresh = r#"<noscript><meta http-equiv="refresh" content="30"></noscript>"#;
        let page = app.get_text(&format!("/simulation/campaigns/{id}")).await;
        assert!(page.contains("Sending begins"), "{page}");
        assert!(
            page.contains(refresh),
            "watching delivery works without JavaScript"
        );
        safetynet::simulation::sending::Sender::new(app.state.clone())
            .run_once()
            .await
            .unwrap();
        let page = app.get_text(&format!("/simulation/campaigns/{id}")).await;
        assert!(page.contains("All emails sent"), "{page}");
        assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
    }
);

/// The password practice tool never calls a password the app would refuse
/// "Fair", and its strength word follows the time to guess it shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_tool_agrees_with_the_password_rules() {
    use crate::browser::{assert_accessible, fill, sign_in_manager, start_browser, wait_for_text};
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;
    c.goto(&app.url("/training/password-practice"))
        .await
        .unwrap();
    wait_for_text(&c, "</main>").await;
    // Eleven characters, zxcvbn's "Fair" (score 2): the app wants 3 below 12 characters.
    fill(&c, "practice-password", "Summer2024!").await;
    let page = wait_for_text(&c, "to guess it").await;
    assert!(page.contains("would not accept it"), "{page}");
    assert!(!page.contains("Strength: Fair"), "{page}");
    assert_accessible(&c, "password practice, a refused password").await;
    c.find(fantoccini::Locator::Id("practice-password"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    fill(&c, "practice-password", "kettle orbit meadow lantern").await;
    let page = wait_for_text(&c, "Strength: ").await;
    assert!(!page.contains("would not accept"), "{page}");
    assert!(
        page.contains("Strength: Very strong") && page.contains("centuries"),
        "the word and the time agree: {page}"
    );
    c.close().await.unwrap();
}

storage_test!(
    starting_an_exercise_says_how_many_people_and_when_and_sends_exactly_that,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("confirm-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        let reception = "Reception & care navigation";
        for name in ["Tom Bennett", "Ana Silva", "Joe Price"] {
            app.staff(&p, name, reception, Some(Role::Staff)).await;
        }
        // Someone outside the verified domain is left out, and the page says so.
        safetynet::with_db!(&app.db, pool => sqlx::query("INSERT INTO staff (practice_id, full_name, email, job_role, employment_type, created_at) \
            VALUES ($1, 'Locum Outside', 'locum@elsewhere.example', 'GP', 'locum', 0)")
            .bind(p.id).execute(pool).await.map(|_| ())).unwrap();
        let in_domain = app
            .count(
                &format!("SELECT COUNT(*) FROM staff WHERE practice_id = $1 AND active AND email LIKE '%@{}'", p.domain),
                p.id,
            )
            .await;
        let form = |extra: &[(&'static str, &'static str)]| {
            let mut f = vec![
                ("name", "Autumn check".to_string()),
                ("template_id", template_id.to_string()),
                ("profile_id", profile_id.to_string()),
                ("audience", "everyone".to_string()),
                ("spread_hours", "0".to_string()),
                ("business_hours", String::new()),
                ("run_days", "14".to_string()),
            ];
            f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
            f
        };
        let post = |f: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/simulation/campaigns/new"))
                    .form(&f)
                    .send()
                    .await
                    .unwrap()
            }
        };

        // The first press says what will happen and sends nothing.
        let r = post(form(&[])).await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Check before you start"), "{page}");
        assert!(
            page.contains(&format!("This will email {in_domain} people now.")),
            "{page}"
        );
        assert!(page.contains(
            "1 person is left out: their address is not in one of your verified domains."
        ));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM campaigns WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        // "Go back and change it" returns to the form as typed.
        let r = post(form(&[("edit", "yes")])).await;
        let back = unescape(&r.text().await.unwrap());
        assert!(back.contains("value=\"Autumn check\""), "{back}");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM campaigns WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        // Starting it sends exactly what the page said.
        let r = post(form(&[("confirm", "yes")])).await;
        assert_eq!(r.status(), 303);
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        sender.run_once().await.unwrap();
        let sent = app.smtp.as_ref().unwrap().messages().len() as i64;
        assert_eq!(sent, in_domain, "the page said {in_domain}");
    }
);
