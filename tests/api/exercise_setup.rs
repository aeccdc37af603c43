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

fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The fields of a saved template, as its form would send them (without red flags).
async fn template_fields(
    app: &TestApp,
    p: &crate::helpers::Practice,
    id: i64,
) -> Vec<(String, String)> {
    let t = safetynet::simulation::authoring::repo::find(
        &app.db,
        p.id,
        safetynet::simulation::ids::TemplateId::new(id),
    )
    .await
    .unwrap()
    .unwrap();
    let f = safetynet::simulation::authoring::templates::TemplateForm::from_template(&t);
    [
        ("name", f.name),
        ("from_name", f.from_name),
        ("from_address", f.from_address),
        ("subject", f.subject),
        ("html", f.html),
        ("text", f.text),
        ("landing", f.landing),
        ("training_module", f.training_module),
        ("cues", f.cues),
        ("premise", f.premise),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

storage_test!(
    a_library_email_shows_its_red_flags_and_lesson_before_use_and_flags_are_edited_as_rows,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let lure = safetynet::simulation::library::get("nhsmail-password-expiry").unwrap();

        // The list leads to the email itself, with its red flags listed first.
        let list = app.get_text("/simulation/templates").await;
        assert!(list.contains("href=\"/simulation/library/nhsmail-password-expiry\""));
        let page = unescape(
            &app.get_text("/simulation/library/nhsmail-password-expiry")
                .await,
        );
        let flags = page.find("Its red flags").expect("the red flags heading");
        let use_it = page.find("Use this email").expect("the button");
        assert!(flags < use_it, "red flags come before the button");
        for f in &lure.red_flags {
            assert!(page.contains(&f.explanation), "{}", f.explanation);
        }
        assert!(page.contains("Red flag 1"), "highlighted in the email");

        // The lesson staff would see after a click, with a sample name, where nothing can run.
        let r = app
            .get("/simulation/library/nhsmail-password-expiry/lesson")
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox"));
        let lesson = unescape(&r.text().await.unwrap());
        assert!(lesson.contains("Amelia"), "{lesson}");
        assert!(lesson.contains(&lure.red_flags[0].explanation));

        // Used, its red flags are rows to edit, not a line syntax.
        let r = app
            .post("/simulation/library/nhsmail-password-expiry/use", &[])
            .await;
        let edit = crate::helpers::location(&r);
        let id: i64 = edit.rsplit('/').next().unwrap().parse().unwrap();
        let form = unescape(&app.get_text(&edit).await);
        assert!(
            form.contains(&format!("value=\"{}\"", lure.red_flags[0].marker)),
            "{form}"
        );
        assert!(!form.contains("name=\"red_flags\""), "no line syntax");
        assert!(form.contains("Advanced: the email's HTML"));
        let rows = |html: &str| html.matches("name=\"flag_words_").count();
        let shown = rows(&form);
        assert_eq!(
            shown,
            lure.red_flags.len() + 2,
            "the flags and two blank rows"
        );

        // "Add more red flag rows" shows three more and saves nothing.
        let mut fields = template_fields(&app, &p, id).await;
        for (i, f) in lure.red_flags.iter().enumerate() {
            fields.push((format!("flag_where_{i}"), f.r#where.as_str().into()));
            fields.push((format!("flag_words_{i}"), f.marker.clone()));
            fields.push((format!("flag_why_{i}"), f.explanation.clone()));
        }
        fields.push(("more_flags".into(), "yes".into()));

        let r = app.post(&edit, &as_pairs(&fields)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(rows(&r.text().await.unwrap()), lure.red_flags.len() + 5);

        // A row with words but no reason is named beside its field; nothing is saved.
        let mut fields = template_fields(&app, &p, id).await;
        let subject = fields
            .iter()
            .find(|(k, _)| k == "subject")
            .unwrap()
            .1
            .clone();
        let word = subject.split_whitespace().next().unwrap().to_string();
        for (k, v) in [
            ("flag_where_0", "subject"),
            ("flag_words_0", word.as_str()),
            ("flag_why_0", "It pushes you to act before you think."),
            ("flag_where_1", "body"),
            ("flag_words_1", "password"),
            ("flag_why_1", ""),
            ("flag_where_2", "body"),
            ("flag_words_2", ""),
            ("flag_why_2", ""),
        ] {
            fields.push((k.into(), v.into()));
        }
        let r = app.post(&edit, &as_pairs(&fields)).await;
        assert_eq!(r.status(), 200);
        let body = unescape(&r.text().await.unwrap());
        assert!(
            body.contains("Red flag 2: say kindly why it is a red flag"),
            "{body}"
        );
        let before = safetynet::simulation::authoring::repo::find(
            &app.db,
            p.id,
            safetynet::simulation::ids::TemplateId::new(id),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            before.red_flags.len(),
            lure.red_flags.len(),
            "nothing saved"
        );

        // Filled in, the rows are saved as the template's red flags (the empty row skipped).
        let i = fields.iter().position(|(k, _)| k == "flag_why_1").unwrap();
        fields[i].1 = "Real IT never asks for your password by email.".into();
        let r = app.post(&edit, &as_pairs(&fields)).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let after = safetynet::simulation::authoring::repo::find(
            &app.db,
            p.id,
            safetynet::simulation::ids::TemplateId::new(id),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(after.red_flags.len(), 2);
        assert_eq!(
            after.red_flags[1].explanation,
            "Real IT never asks for your password by email."
        );
    }
);

/// axe-core finds nothing on a ready-made email's page, the starting page's
/// confirmation and the template form with a red flag row to fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_english_set_up_pages_are_accessible() {
    use crate::browser::{
        assert_accessible, fill, sign_in_manager, start_browser, submit, wait_for_text,
    };
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;
    c.goto(&app.url("/simulation/library/nhsmail-password-expiry"))
        .await
        .unwrap();
    wait_for_text(&c, "Its red flags").await;
    assert_accessible(&c, "a ready-made email before use").await;
    submit(
        &c,
        "form[action='/simulation/library/nhsmail-password-expiry/use'] button",
    )
    .await;
    wait_for_text(&c, "Add more red flag rows").await;
    assert_accessible(&c, "the template form with red flag rows").await;
    // The first blank row: words without a reason.
    let lure = safetynet::simulation::library::get("nhsmail-password-expiry").unwrap();
    fill(
        &c,
        &format!("flag_words_{}", lure.red_flags.len()),
        "password",
    )
    .await;
    submit(&c, "main form button[type=submit]:not([name])").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "the template form with a red flag row to fix").await;
    c.close().await.unwrap();
}
