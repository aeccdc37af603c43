//! Phishing exercises end to end: a real SMTP server receives the emails,
//! their links are followed over HTTP as a person (or a scanner) would, and
//! the results page shows what happened.

use crate::helpers::{location, unescape, Backend, Options, Practice, TestApp};
use crate::storage_test;
use safetynet::auth::Role;
use safetynet::simulation::ids::TemplateId;
use safetynet::with_db;

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

/// A practice ready to run an exercise: verified domain, a sending profile for the test SMTP server, one library email.
pub(crate) async fn ready(app: &mut TestApp) -> (Practice, i64, i64) {
    let p = app.practice("Riverside Surgery").await;
    safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
        .await
        .unwrap()
        .unwrap();
    let template_id =
        safetynet::simulation::authoring::adopt_alone(&app.db, p.id, "nhsmail-password-expiry", 0)
            .await
            .unwrap()
            .unwrap();
    let port = app.smtp.as_ref().map(|s| s.port).unwrap_or(1);
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    let r = app
        .post(
            "/simulation/profiles/new",
            &[
                ("name", "Test relay"),
                ("host", "127.0.0.1"),
                ("port", &port.to_string()),
                ("security", "none"),
                ("envelope_from", "exercises@riversidesurgery.example"),
                ("header_name", "X-Safety-Net-Simulation"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "profile saved");
    let profile_id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    (p, template_id.get(), profile_id)
}

pub(crate) async fn launch(
    app: &TestApp,
    template_id: i64,
    profile_id: i64,
    extra: &[(&str, &str)],
) -> (i64, String) {
    let mut form = vec![
        ("name", "November exercise".to_string()),
        ("template_id", template_id.to_string()),
        ("profile_id", profile_id.to_string()),
        ("audience", "everyone".to_string()),
        ("spread_hours", "0".to_string()),
        ("run_days", "14".to_string()),
        // Past the page that says what will happen.
        ("confirm", "yes".to_string()),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v.to_string()));
    }
    let r = app
        .client
        .post(app.url("/simulation/campaigns/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        303,
        "campaign launched: {}",
        r.text().await.unwrap_or_default()
    );
    let loc = location(&r);
    let id: i64 = loc
        .trim_start_matches("/simulation/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (id, loc)
}

pub(crate) fn links(msg: &str, sim_base: &str) -> (String, String, String, String) {
    let body = msg
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let find = |kind: &str| {
        let re = regex_lite::Regex::new(&format!(
            r"{}/{kind}/([a-z2-7]{{22}})",
            regex_lite::escape(sim_base)
        ))
        .unwrap();
        re.captures(&body)
            .unwrap_or_else(|| panic!("no /{kind}/ link in {body}"))[0]
            .to_string()
    };
    // The report link is in the email only where the practice switched it on.
    let report = if body.contains(&format!("{sim_base}/r/")) {
        find("r")
    } else {
        String::new()
    };
    (find("c"), find("o"), report, find("h"))
}

/// Puts the "Report it" link back in the practice's exercise emails (for
/// tests of the link itself; a practice with a report button add-in does this).
pub(crate) async fn report_link_on(app: &TestApp, practice_id: safetynet::shared::PracticeId) {
    with_db!(&app.db, pool => sqlx::query("UPDATE practices SET sim_report_link = TRUE WHERE id = $1")
        .bind(practice_id).execute(pool).await.map(|_| ())).unwrap();
}

fn recipient_of(msg: &str) -> String {
    msg.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap()
        .trim()
        .to_string()
}

storage_test!(
    an_exercise_is_delivered_tracked_reported_and_shown_kindly,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        report_link_on(&app, p.id).await;
        let names = [
            "Amelia Hughes",
            "Tom Bennett",
            "Fatima Begum",
            "Grace Oconnor",
            "Daniel Price",
            "Sian Williams",
        ];
        for n in names {
            app.staff(&p, n, "Reception & care navigation", None).await;
        }
        // Someone whose address is outside the practice's verified domain.
        with_db!(&app.db, pool => sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) \
        SELECT $1, id, 'Outside Person', 'outside@gmail.example', 'Locum GP', 'locum', 0 FROM departments WHERE practice_id = $1 AND name = 'Clinical'")
        .bind(p.id).execute(pool).await.map(|_| ())).unwrap();
        let (id, loc) = launch(&app, template_id, profile_id, &[]).await;
        assert!(loc.ends_with("left_out=1"));
        assert!(app.get_text(&loc).await.contains("1 staff were left out because their email address is not in one of the practice's verified domains"));
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(
            sender.run_once().await.unwrap(),
            7,
            "the six staff and the manager"
        );
        let msgs = app.smtp.as_ref().unwrap().messages();
        assert_eq!(msgs.len(), 7);
        for m in &msgs {
            assert!(
                m.contains("X-Safety-Net-Simulation: "),
                "every simulated email is marked"
            );
            assert!(
                recipient_of(m).ends_with(&p.domain),
                "only verified domains: {}",
                recipient_of(m)
            );
            assert!(!m.contains("outside@gmail.example"));
            assert!(
                m.contains("From: NHSmail") || m.contains("nhs-mail.example"),
                "the lure's sender is shown"
            );
        }
        let by = |name: &str| {
            msgs.iter()
                .find(|m| recipient_of(m).starts_with(&name.to_lowercase().replace(' ', ".")))
                .unwrap()
                .clone()
        };
        let client = crate::helpers::new_client();
        app.clock.advance(120);

        // Amelia's email client loads the images: an open.
        let (_, open, _, _) = links(&by("Amelia Hughes"), &app.sim_base);
        let r = client
            .get(&open)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "image/gif");

        // Tom clicks, lands on a sign-in page, and types a password: only the fact and the field names are kept.
        let (click, _, _, _) = links(&by("Tom Bennett"), &app.sim_base);
        let page = client
            .get(&click)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Sign in") && !page.contains("Safety Net"),
            "the landing page names nothing"
        );
        let lesson = client
            .post(&click)
            .header("user-agent", BROWSER)
            .form(&[
                ("username", "tom.bennett@nhs.net"),
                ("password", "hunter2-Secret!"),
            ])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let lesson = unescape(&lesson);
        assert!(lesson.contains("This was a practice exercise, Tom"));
        assert!(lesson.contains("what you typed was not kept"));
        assert!(lesson.contains("<mark"), "red flags are highlighted");
        assert!(
            lesson.contains("Spotting phishing emails"),
            "the follow-up training is named"
        );
        assert!(
            lesson.contains(&format!("href=\"{}/training/modules/", app.base)),
            "and linked on the staff app"
        );
        let (stored,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM sim_events WHERE reasons LIKE '%hunter2%' OR user_agent LIKE '%hunter2%' OR reasons LIKE '%tom.bennett@nhs.net%'")
        .fetch_one(pool).await).unwrap();
        assert_eq!(stored, 0, "what was typed is never stored");
        let (fields,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT reasons FROM sim_events WHERE kind = 'submit'").fetch_one(pool).await).unwrap();
        assert!(fields.contains("password, username"), "{fields}");

        // Fatima reports it with the link in the footer and is thanked at once.
        let (_, _, report, _) = links(&by("Fatima Begum"), &app.sim_base);
        let thanks = unescape(
            &client
                .get(&report)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            thanks.contains("Thank you, Fatima")
                && thanks.contains("exactly the right thing to do")
        );

        // Grace's mail system scans the link: a HEAD request and a scanner's browser name do not count.
        let (click_g, _, _, _) = links(&by("Grace Oconnor"), &app.sim_base);
        client
            .head(&click_g)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
        client
            .get(&click_g)
            .header(
                "user-agent",
                "Mozilla/5.0 (compatible; Microsoft SafeLinks scanner)",
            )
            .send()
            .await
            .unwrap();
        // Daniel's mail filter follows the hidden link too, then "clicks": not counted.
        let (click_d, _, _, honeypot) = links(&by("Daniel Price"), &app.sim_base);
        assert_eq!(
            client
                .get(&honeypot)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        client
            .get(&click_d)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();

        let results = app.get_text(&format!("/simulation/campaigns/{id}")).await;
        let fig = |id: &str| {
            let re = regex_lite::Regex::new(&format!(r#"id="{id}">([^<]+)<"#)).unwrap();
            re.captures(&results)
                .unwrap_or_else(|| panic!("figure {id}"))[1]
                .to_string()
        };
        assert_eq!(fig("sent"), "7 of 7");
        assert_eq!(fig("reported"), "1 (14%)");
        assert_eq!(fig("clicked"), "1 (14%)", "only Tom's click was a person's");
        assert_eq!(fig("submitted"), "1 (14%)");
        assert_eq!(fig("opened"), "2 (29%)", "Amelia's open and Tom's click");
        assert!(fig("median").contains("minutes") || fig("median").contains("seconds"));
        assert!(
            results.contains("Department figures appear once") || results.contains("Reception"),
            "department table obeys the minimum group"
        );
        let (assigned,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1 AND module = 'phishing'").bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(assigned, 1, "the clicker was given the matching training");
        // Tom sees the email's subject and date, never the exercise's own name.
        let (tom_id,): (safetynet::shared::StaffId,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id FROM staff WHERE practice_id = $1 AND full_name = 'Tom Bennett'").bind(p.id).fetch_one(pool).await).unwrap();
        let (campaign_name,): (String,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT name FROM campaigns WHERE id = $1").bind(id).fetch_one(pool).await)
        .unwrap();
        let open = safetynet::training::open_for(&app.db, p.id, tom_id, app.clock.now())
            .await
            .unwrap();
        assert_eq!(open.len(), 1);
        assert!(
            open[0]
                .reason
                .starts_with("Follow-up to the practice email"),
            "{}",
            open[0].reason
        );
        assert!(!open[0].reason.contains(&campaign_name));
        assert!(open[0]
            .reason
            .contains(&safetynet::ukclock::format_date(app.clock.now())));
        let export = app
            .get(&format!("/simulation/campaigns/{id}/results.csv"))
            .await
            .text()
            .await
            .unwrap();
        assert!(export.contains("Tom Bennett") && export.contains("Fatima Begum"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_seconds_after_delivery_waits_for_a_real_browser_to_confirm_it() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let (p, template_id, profile_id) = ready(&mut app).await;
    app.staff(&p, "Emma Walsh", "Clinical", None).await;
    let (id, _) = launch(&app, template_id, profile_id, &[]).await;
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
        .find(|m| m.contains("emma.walsh"))
        .unwrap();
    let (click, ..) = links(&msg, &app.sim_base);
    let client = crate::helpers::new_client();
    client
        .get(&click)
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    let clicked = || async {
        app.count("SELECT clicked FROM campaigns WHERE id = $1", id)
            .await
    };
    assert_eq!(clicked().await, 0, "too fast for a person");
    let token = click.rsplit('/').next().unwrap();
    let r = client
        .post(format!("{}/b/{token}", app.sim_base))
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(clicked().await, 1, "the page's script confirmed a person");
    let (reasons,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT reasons FROM sim_events WHERE kind = 'click' AND counted ORDER BY id LIMIT 1")
        .fetch_one(pool).await).unwrap();
    assert!(reasons.contains("confirmed by a real browser"));

    // The manager sees why, and can overturn it: say it was a scanner after all.
    let page = unescape(&app.get_text(&format!("/simulation/campaigns/{id}")).await);
    assert!(
        page.contains("too fast for a person") && page.contains("confirmed by a real browser"),
        "reasons are shown"
    );
    let (event_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM sim_events WHERE kind = 'click' AND counted ORDER BY id LIMIT 1")
        .fetch_one(pool).await).unwrap();
    let r = app
        .post(
            &format!("/simulation/campaigns/{id}/events/{event_id}/override"),
            &[("action", "ignore")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(clicked().await, 0, "no longer counted");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1",
            p.id
        )
        .await,
        0,
        "its refresher is withdrawn"
    );
    app.post(
        &format!("/simulation/campaigns/{id}/events/{event_id}/override"),
        &[("action", "count")],
    )
    .await;
    assert_eq!(clicked().await, 1);
    assert!(app
        .audit_actions(p.id)
        .await
        .contains(&"simulation.click_reclassified".to_string()));
}

storage_test!(
    unknown_or_malformed_tokens_get_a_bare_404,
    |app: TestApp| async move {
        let client = crate::helpers::new_client();
        for path in [
            "/c/aaaaaaaaaaaaaaaaaaaaaa",
            "/c/not-a-token",
            "/o/x",
            "/r/../../etc/passwd",
            "/admin",
            "/",
        ] {
            let r = client
                .get(format!("{}{path}", app.sim_base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{path}");
            assert!(r.headers().get("set-cookie").is_none());
            let body = r.text().await.unwrap();
            assert!(!body.to_lowercase().contains("safety"), "{path}: {body}");
        }
    }
);

storage_test!(
    a_tracking_lookup_the_database_cannot_answer_is_503_not_a_silent_404,
    |app: TestApp| async move {
        let client = crate::helpers::new_client();
        let get = |path: String| {
            let client = client.clone();
            let url = format!("{}{path}", app.sim_base);
            async move { client.get(url).send().await.unwrap() }
        };
        // An unknown (well-formed) token: not found.
        let token = safetynet::simulation::token::RecipientToken::generate();
        let paths = ["o", "c", "h", "r"].map(|kind| format!("/{kind}/{}", token.as_str()));
        for path in &paths {
            assert_eq!(get(path.clone()).await.status(), 404, "{path}");
        }
        // The recipients table goes away under the running site: the mail
        // client or scanner is told to come back later, and nothing names Safety Net.
        with_db!(&app.db, p => sqlx::query("ALTER TABLE campaign_recipients RENAME TO campaign_recipients_away")
            .execute(p).await.map(|_| ())).unwrap();
        for path in &paths {
            let r = get(path.clone()).await;
            assert_eq!(r.status(), 503, "{path}");
            let body = r.text().await.unwrap();
            assert!(!body.to_lowercase().contains("safety"), "{path}: {body}");
        }
        // Back again: an unknown token is plain "not found" once more.
        with_db!(&app.db, p => sqlx::query("ALTER TABLE campaign_recipients_away RENAME TO campaign_recipients")
            .execute(p).await.map(|_| ())).unwrap();
        assert_eq!(get(paths[0].clone()).await.status(), 404);
    }
);

storage_test!(
    pausing_holds_the_emails_and_cancelling_stops_them,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(&p, "Karen Doyle", "Administration & secretaries", None)
            .await;
        let (id, _) = launch(&app, template_id, profile_id, &[]).await;
        // While emails are still to go, the results page reloads itself even
        // without JavaScript, so "watching delivery" works.
        assert!(app
            .get_text(&format!("/simulation/campaigns/{id}"))
            .await
            .contains(r#"<meta http-equiv="refresh" content="30">"#));
        let r = app
            .post(
                &format!("/simulation/campaigns/{id}/status"),
                &[("action", "pause")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(
            sender.run_once().await.unwrap(),
            0,
            "nothing goes while paused"
        );
        assert!(app
            .get_text(&format!("/simulation/campaigns/{id}"))
            .await
            .contains("Paused; runs until"));
        // Cancelling asks first and says what will happen; only "yes" cancels.
        let r = app
            .post(
                &format!("/simulation/campaigns/{id}/status"),
                &[("action", "cancel")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let ask = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(ask.contains("Yes, cancel the exercise"), "{ask}");
        assert!(ask.contains("emails have not gone yet"));
        app.post(
            &format!("/simulation/campaigns/{id}/status"),
            &[("action", "cancel"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(sender.run_once().await.unwrap(), 0);
        assert!(app.smtp.as_ref().unwrap().messages().is_empty());
        let page = app.get_text(&format!("/simulation/campaigns/{id}")).await;
        assert!(page.contains("Cancelled: no more emails are sent"));
        assert!(
            !page.contains("runs until"),
            "a cancelled exercise does not finish later"
        );
        assert!(!page.contains("data-live-refresh"));
        assert!(
            !page.contains("http-equiv=\"refresh\""),
            "nothing left to watch"
        );
        let r = app
            .post(
                &format!("/simulation/campaigns/{id}/status"),
                &[("action", "resume")],
            )
            .await;
        assert_eq!(r.status(), 400, "a cancelled exercise cannot be resumed");
    }
);

storage_test!(
    an_exercise_finishes_by_itself_at_its_end_date,
    |app: TestApp| async move {
        let mut app = app;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(&p, "Nia Roberts", "Dispensary", None).await;
        let (id, _) = launch(
            &app,
            template_id,
            profile_id,
            &[("run_days", "1"), ("spread_hours", "20")],
        )
        .await;
        app.clock.advance(86_401);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert!(app
            .get_text(&format!("/simulation/campaigns/{id}"))
            .await
            .contains("Finished"));
        let queued = app.count("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued'", id).await;
        assert_eq!(queued, 0, "nothing is sent after the end");
    }
);

storage_test!(
    a_template_with_a_mistake_is_explained_beside_the_field,
    |app: TestApp| async move {
        let mut app = app;
        let (_p, template_id, _) = ready(&mut app).await;
        let form = app
            .get_text(&format!("/simulation/templates/{template_id}"))
            .await;
        assert!(form.contains("red flags") || form.contains("Red flags"));
        let r = app
            .post(
                &format!("/simulation/templates/{template_id}"),
                &[
                    ("name", "Broken"),
                    ("from_name", "IT"),
                    ("from_address", "it@nhs-mail.example"),
                    ("subject", "Hi {{ first_name }}"),
                    ("html", "<p>Hello {{ frist_name }}</p>"),
                    ("text", "x"),
                    ("cues", "3"),
                    ("premise", "high"),
                    ("red_flags", "body | not in the email | explanation"),
                ],
            )
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(
            page.contains(r#"id="html-error""#)
                && page.contains("uses a name Safety Net does not know"),
            "{page}"
        );
        let preview = app
            .get(&format!("/simulation/templates/{template_id}/preview"))
            .await;
        assert!(preview.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox"));
        // Nothing already saved was lost.
        assert!(app
            .get_text(&format!("/simulation/templates/{template_id}"))
            .await
            .contains("NHSmail"));
    }
);

storage_test!(
    campaign_pages_are_managers_only,
    |app: TestApp| async move {
        let mut app = app;
        let (p, ..) = ready(&mut app).await;
        let tom = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&tom.email, &tom.password, None).await;
        assert_eq!(app.get("/simulation").await.status(), 403);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_the_email_to_the_reporting_mailbox_counts_as_a_report_and_says_thank_you() {
    let Some(dovecot) = crate::report_mailbox::Dovecot::start().await else {
        return;
    };
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let (p, template_id, profile_id) = ready(&mut app).await;
    let fatima = app
        .staff(&p, "Fatima Begum", "Reception & care navigation", None)
        .await;
    let (id, _) = launch(&app, template_id, profile_id, &[]).await;
    safetynet::simulation::sending::Sender::new(app.state.clone())
        .run_once()
        .await
        .unwrap();
    let original = app
        .smtp
        .as_ref()
        .unwrap()
        .messages()
        .into_iter()
        .find(|m| m.contains("fatima.begum"))
        .unwrap();
    // Outlook's "forward as attachment": the original travels inside the report.
    let forward = format!(
        "From: Fatima Begum <{}>\r\nTo: reports@riversidesurgery.example\r\nSubject: FW: suspicious\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThis looks like phishing.\r\n\
         --b1\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--b1--\r\n",
        fatima.email, original
    );
    dovecot.deliver("INBOX", &[forward.into_bytes()]).await;
    let s = dovecot.settings(safetynet::simulation::reporting::imap::MailboxSecurity::Starttls);
    let password = match &s.auth {
        safetynet::simulation::reporting::imap::MailboxAuth::Password(p) => p.clone(),
        _ => unreachable!(),
    };
    let page = app
        .post(
            "/simulation/mailbox",
            &[
                ("host", s.host.as_str()),
                ("port", &s.port.to_string()),
                ("security", "starttls"),
                ("username", &s.username),
                ("auth", "password"),
                ("secret", &password),
                ("folder", "INBOX"),
                ("ca_pem", s.ca_pem.as_deref().unwrap()),
                ("active", "yes"),
                ("action", "test"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Connected to 127.0.0.1"), "{page}");
    let r = app
        .post(
            "/simulation/mailbox",
            &[
                ("host", s.host.as_str()),
                ("port", &s.port.to_string()),
                ("security", "starttls"),
                ("username", &s.username),
                ("auth", "password"),
                ("secret", &password),
                ("folder", "INBOX"),
                ("ca_pem", s.ca_pem.as_deref().unwrap()),
                ("active", "yes"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.count("SELECT reported FROM campaigns WHERE id = $1", id)
            .await,
        1,
        "the forward counted as a report"
    );
    assert!(app
        .get_text("/simulation/mailbox")
        .await
        .contains("1 reports found so far"));
    app.deliver_outbox().await;
    let thanks = app
        .smtp
        .as_ref()
        .unwrap()
        .messages()
        .into_iter()
        .find(|m| m.contains("Subject: Thank you for reporting"))
        .expect("thank-you email");
    assert!(thanks.contains(&format!("To: {}", fatima.email)));
}

storage_test!(
    each_person_sees_their_own_record_and_nobody_elses,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        report_link_on(&app, p.id).await;
        let tom = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        let amelia = app
            .staff(
                &p,
                "Amelia Hughes",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        launch(&app, template_id, profile_id, &[]).await;
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
            .unwrap();
        let (_, _, report, _) = links(&msg, &app.sim_base);
        crate::helpers::new_client()
            .get(&report)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
        app.sign_in(&tom.email, &tom.password, None).await;
        let mine = app.get_text("/my/exercises").await;
        assert!(
            mine.contains("Spotted and reported it") && mine.contains("You have reported 1 of 1"),
            "{mine}"
        );
        app.sign_in(&amelia.email, &amelia.password, None).await;
        let hers = app.get_text("/my/exercises").await;
        assert!(
            hers.contains("Did not click") && !hers.contains("Spotted and reported"),
            "Amelia sees only her own record"
        );
        // The manager sees Tom's record on his staff page (a new code: the last one was used).
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert!(app
            .get_text(&format!("/staff/{}", tom.staff_id))
            .await
            .contains("Spotted and reported it"));
    }
);

storage_test!(
    an_operator_verifies_a_domain_the_practice_asked_for,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let bad = app
            .post("/simulation/domains", &[("domain", "not a domain")])
            .await
            .text()
            .await
            .unwrap();
        assert!(bad.contains(r#"id="domain-error""#));
        app.post(
            "/simulation/domains",
            &[("domain", "@RiversideSurgery.example")],
        )
        .await;
        assert!(app
            .get_text("/simulation/domains")
            .await
            .contains("Waiting for your operator"));
        app.clock.advance(31);
        app.sign_in_as_operator().await;
        let page = app.get_text(&format!("/operator/practices/{}", p.id)).await;
        let action =
            regex_lite::Regex::new(r#"action="(/operator/practices/\d+/domains/\d+/verify)""#)
                .unwrap()
                .captures(&page)
                .expect("verify button")[1]
                .to_string();
        assert_eq!(app.post(&action, &[]).await.status(), 303);
        assert!(app
            .get_text(&format!("/operator/practices/{}", p.id))
            .await
            .contains("riversidesurgery.example: verified by it@icb.example"));
    }
);

storage_test!(
    a_real_email_is_imported_with_its_links_pointed_at_the_exercise,
    |app: TestApp| async move {
        let mut app = app;
        ready(&mut app).await;
        let raw = "From: \"IT Service Desk\" <servicedesk@nhs-mail.example>\r\nTo: someone@example.org\r\nSubject: Mailbox quota exceeded\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
        <html><body><p>Your mailbox is full. <a href=3D\"https://evil.example/login?u=3D1\">Increase quota</a></p>=\r\n\
        <p>Template braces {{ kept }} stay text.</p><a href=3D'http://evil.example/2'>More</a></body></html>\r\n";
        let page = unescape(
            &app.post("/simulation/templates/import", &[("raw", raw)])
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(
            page.contains(r#"href="{{ link }}">Increase quota"#),
            "{page}"
        );
        assert!(!page.contains("evil.example"), "no original link survives");
        assert!(page.contains("{{ report_link }}") && page.contains("{{ tracker }}"));
        assert!(
            page.contains("Mailbox quota exceeded")
                && page.contains("servicedesk@nhs-mail.example")
        );
        // Saving the imported email (with its red flags) works, and its braces render as text.
        let html = regex_lite::Regex::new(r#"(?s)<textarea[^>]*id="html"[^>]*>(.*?)</textarea>"#)
            .unwrap()
            .captures(&page)
            .unwrap()[1]
            .to_string();
        let text = regex_lite::Regex::new(r#"(?s)<textarea[^>]*id="text"[^>]*>(.*?)</textarea>"#)
            .unwrap()
            .captures(&page)
            .unwrap()[1]
            .to_string();
        let r = app
            .post(
                "/simulation/templates/new",
                &[
                    ("name", "Imported quota"),
                    ("from_name", "IT Service Desk"),
                    ("from_address", "servicedesk@nhs-mail.example"),
                    ("subject", "Mailbox quota exceeded"),
                    ("html", &html),
                    ("text", &text),
                    ("cues", "5"),
                    ("premise", "medium"),
                    ("landing", "credentials"),
                    ("training_module", "phishing"),
                    (
                        "red_flags",
                        "from | nhs-mail.example | NHSmail addresses end in nhs.net.",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let id = location(&r).rsplit('/').next().unwrap().to_string();
        let preview = app
            .get(&format!("/simulation/templates/{id}/preview"))
            .await
            .text()
            .await
            .unwrap();
        assert!(preview.contains("{{ kept }}"), "{preview}");
        let bad = unescape(
            &app.post(
                "/simulation/templates/import",
                &[("raw", "not an email at all")],
            )
            .await
            .text()
            .await
            .unwrap(),
        );
        assert!(
            bad.contains("does not look like an email") || bad.contains("Add the red flags"),
            "{bad}"
        );
    }
);

/// A 1×1 PNG, as a manager would save a sender's logo.
const LOGO_PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0d\x49\x44\x41\x54\x78\xda\x63\xfc\xff\x9f\xa1\x1e\x00\x07\x82\x02\x7f\x3d\xc8\x48\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

storage_test!(
    an_imported_emails_picture_is_kept_only_as_one_the_manager_uploads,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, _, profile_id) = ready(&mut app).await;
        app.staff(&p, "Tom Bennett", "Reception & care navigation", None)
            .await;
        // A real-looking e-signature lure: the sender's logo and tracking pixel load from its server.
        let raw = "From: \"DocuSign\" <dse@docusign-mail.example>\r\nSubject: Please review and sign\r\n\
            MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
            <html><body><p><img src=\"https://tracker.evil.example/logo.png\" alt=\"DocuSign\" width=\"120\"></p>\
            <p>A document is waiting. <a href=\"https://evil.example/sign\">Review document</a></p>\
            <img src=\"https://tracker.evil.example/open.gif?u=42\" width=\"1\" height=\"1\"></body></html>\r\n";
        let page = unescape(
            &app.post("/simulation/templates/import", &[("raw", raw)])
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(
            page.contains("2 pictures were taken out")
                && page.contains("attach the picture (.png, .jpg or .gif)"),
            "the manager is told what went and how to keep the logo: {page}"
        );
        let textarea = |id: &str| {
            regex_lite::Regex::new(&format!(
                r#"(?s)<textarea[^>]*id="{id}"[^>]*>(.*?)</textarea>"#
            ))
            .unwrap()
            .captures(&page)
            .unwrap()[1]
                .to_string()
        };
        let html = textarea("html");
        assert!(
            !html.contains("evil.example") && html.contains("{{ picture }}"),
            "{html}"
        );
        let r = app
            .post(
                "/simulation/templates/new",
                &[
                    ("name", "E-signature"),
                    ("from_name", "DocuSign"),
                    ("from_address", "dse@docusign-mail.example"),
                    ("subject", "Please review and sign"),
                    ("html", &html),
                    ("text", &textarea("text")),
                    ("cues", "3"),
                    ("premise", "medium"),
                    ("landing", "document"),
                    ("training_module", "phishing"),
                    (
                        "red_flags",
                        "from | docusign-mail.example | Not DocuSign's own address.",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let template_id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        // Before a picture is attached the preview shows where it will go.
        let preview = app
            .get(&format!("/simulation/templates/{template_id}/preview"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            preview.contains("The picture attached to this template appears here"),
            "{preview}"
        );
        let r = attach(&app, template_id, "logo.png", LOGO_PNG).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let edit = unescape(
            &app.get(&format!("/simulation/templates/{template_id}"))
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(
            edit.contains("To show this picture in the email itself"),
            "{edit}"
        );

        launch(&app, template_id, profile_id, &[]).await;
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 2, "Tom and the manager");
        let msgs = app.smtp.as_ref().unwrap().messages();
        let tom = msgs
            .iter()
            .find(|m| recipient_of(m).starts_with("tom.bennett"))
            .unwrap();
        assert!(
            !tom.contains("evil.example"),
            "nothing of the sender's server: {tom}"
        );
        assert!(
            tom.to_ascii_lowercase().contains("multipart/related"),
            "{tom}"
        );
        use mail_parser::MimeHeaders;
        let parsed = mail_parser::MessageParser::default()
            .parse(tom.as_bytes())
            .unwrap();
        let body = parsed.body_html(0).unwrap();
        assert!(body.contains(r#"<img src="cid:picture" alt="">"#), "{body}");
        let logo = parsed
            .attachment(0)
            .expect("the picture travels inside the email");
        assert_eq!(logo.content_id(), Some("picture"));
        assert_eq!(logo.content_type().unwrap().subtype(), Some("png"));
        assert_eq!(logo.contents(), LOGO_PNG);
    }
);

storage_test!(
    a_cancelled_exercise_stops_counting_opens_and_reports_at_once,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        report_link_on(&app, p.id).await;
        app.staff(&p, "Karen Doyle", "Administration & secretaries", None)
            .await;
        let (id, _) = launch(&app, template_id, profile_id, &[]).await;
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 2);
        let msg = app.smtp.as_ref().unwrap().messages().pop().unwrap();
        let (_, open, report, _) = links(&msg, &app.sim_base);
        let web = crate::helpers::new_client();
        // Opened twice in a row (the second answered from the lookup cache), then reported.
        for _ in 0..2 {
            let r = web
                .get(&open)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        assert_eq!(
            web.get(&report)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let (opened, reported): (i64, i64) = with_db!(&app.db, pool => sqlx::query_as("SELECT opened, reported FROM campaigns WHERE id = $1")
            .bind(id).fetch_one(pool).await).unwrap();
        assert_eq!((opened, reported), (1, 1), "each person counted once");
        app.post(
            &format!("/simulation/campaigns/{id}/status"),
            &[("action", "cancel"), ("confirm", "yes")],
        )
        .await;
        assert_eq!(
            web.get(&open)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        assert_eq!(
            web.get(&report)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
    }
);

pub(crate) async fn attach(
    app: &TestApp,
    template_id: i64,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
    app.client
        .post(app.url(&format!("/simulation/templates/{template_id}/attachment")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

/// The template form as saved, with `red_flags` in place of the lure's own.
async fn save_flags(
    app: &TestApp,
    p: &Practice,
    template_id: i64,
    red_flags: &str,
) -> reqwest::Response {
    let t =
        safetynet::simulation::authoring::repo::find(&app.db, p.id, TemplateId::new(template_id))
            .await
            .unwrap()
            .unwrap();
    app.post(
        &format!("/simulation/templates/{template_id}"),
        &[
            ("name", &t.name),
            ("from_name", &t.content.from_name),
            ("from_address", &t.content.from_address),
            ("subject", &t.content.subject),
            ("html", &t.content.html),
            ("text", &t.content.text),
            ("landing", "credentials"),
            ("training_module", "phishing"),
            ("cues", "3"),
            ("premise", "high"),
            ("red_flags", red_flags),
        ],
    )
    .await
}

storage_test!(
    a_template_attachment_is_checked_sent_filled_in_per_person_and_tracked,
    |app: TestApp| async move {
        let mut app = app;
        let sink = crate::helpers::SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        app.staff(&p, "Tom Bennett", "Reception & care navigation", None)
            .await;
        let stored = |app: &TestApp| {
            let db = app.db.clone();
            let pid = p.id;
            async move {
                safetynet::simulation::authoring::repo::load_attachment(
                    &db,
                    pid,
                    TemplateId::new(template_id),
                )
                .await
                .unwrap()
                .map(|a| a.meta.file_name)
            }
        };

        // A macro-enabled Word file is refused with the reason, and nothing is attached.
        let r = attach(
            &app,
            template_id,
            "Complaint letter.docm",
            b"PK\x03\x04 word/x",
        )
        .await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(
            page.contains("macro-enabled Office file") && page.contains("There is a problem"),
            "{page}"
        );
        assert_eq!(stored(&app).await, None);
        // A web page that runs a script is refused too.
        let r = attach(&app, template_id, "letter.html", b"<script>x()</script>").await;
        assert!(unescape(&r.text().await.unwrap()).contains("never sends anything that can run"));

        // A web page letter with each person's tracked link.
        let letter = "<html><body><p>Dear {{ first_name }},</p><p>My complaint is in full below.</p>\
            <p><a href=\"{{ link }}\">Sign in to read the full complaint</a></p>{{ tracker }}</body></html>";
        let r = attach(
            &app,
            template_id,
            "Complaint letter.html",
            letter.as_bytes(),
        )
        .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        assert_eq!(stored(&app).await.as_deref(), Some("Complaint letter.html"));
        let edit = app
            .get_text(&format!("/simulation/templates/{template_id}"))
            .await;
        assert!(edit.contains("Complaint letter.html") && edit.contains("Web page"));
        let download = app
            .get(&format!("/simulation/templates/{template_id}/attachment"))
            .await;
        assert!(download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(download.bytes().await.unwrap().as_ref(), letter.as_bytes());

        // A red flag about the attachment must be in its name.
        let r = save_flags(
            &app,
            &p,
            template_id,
            "attachment | .pdf | A letter as a PDF",
        )
        .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("is not in the attachment's name"));
        let r = save_flags(
            &app,
            &p,
            template_id,
            "attachment | .html | A complaint letter has no reason to be a web page that asks you to sign in.",
        )
        .await;
        assert_eq!(r.status(), 303);
        // And the attachment cannot be removed while a red flag points at it.
        let r = app
            .post(
                &format!("/simulation/templates/{template_id}/attachment/remove"),
                &[],
            )
            .await;
        assert!(unescape(&r.text().await.unwrap()).contains("Remove or change that red flag first"));
        assert_eq!(stored(&app).await.as_deref(), Some("Complaint letter.html"));

        launch(&app, template_id, profile_id, &[]).await;
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 2, "Tom and the manager");
        let msgs = app.smtp.as_ref().unwrap().messages();
        let tom = msgs
            .iter()
            .find(|m| recipient_of(m).starts_with("tom.bennett"))
            .unwrap();
        use mail_parser::MimeHeaders;
        let parsed = mail_parser::MessageParser::default()
            .parse(tom.as_bytes())
            .unwrap();
        assert!(
            parsed.body_html(0).is_some(),
            "the email's own body is still there"
        );
        let file = parsed.attachment(0).expect("an attachment");
        assert_eq!(file.attachment_name(), Some("Complaint letter.html"));
        assert_eq!(file.content_type().unwrap().ctype(), "text");
        assert_eq!(file.content_type().unwrap().subtype(), Some("html"));
        let filled = unescape(std::str::from_utf8(file.contents()).unwrap());
        assert!(
            filled.starts_with("<html><body><p>Dear Tom,</p>"),
            "{filled}"
        );
        let (click, open, _, _) = links(tom, &app.sim_base);
        assert!(
            filled.contains(&format!("href=\"{click}\""))
                && filled.contains(&format!("src=\"{open}\"")),
            "the attachment carries Tom's own tracked link and open pixel: {filled}"
        );
        let manager = msgs.iter().find(|m| !std::ptr::eq(*m, tom)).unwrap();
        assert!(
            !manager.contains(&click),
            "each person's file has their own link"
        );

        // Tom opens the file and follows its link: a click, and the lesson names the attachment.
        app.clock.advance(120);
        let client = crate::helpers::new_client();
        let lesson = unescape(
            &client
                .post(&click)
                .header("user-agent", BROWSER)
                .form(&[("password", "x")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        assert!(
            lesson.contains(
                "<strong>Attachment:</strong> Complaint letter<mark title=\"Red flag 1\">.html"
            ),
            "{lesson}"
        );
        assert!(lesson.contains("no reason to be a web page"));
        let (clicked,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM campaign_recipients WHERE clicked_at IS NOT NULL").fetch_one(pool).await).unwrap();
        assert_eq!(clicked, 1);

        // With the red flag gone, the attachment can be removed; later emails have none.
        assert_eq!(save_flags(&app, &p, template_id, "").await.status(), 303);
        let r = app
            .post(
                &format!("/simulation/templates/{template_id}/attachment/remove"),
                &[],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(stored(&app).await, None);
        let (actions,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE practice_id = $1 AND (detail LIKE 'attached Complaint letter.html%' OR detail LIKE 'removed the attachment Complaint letter.html%')")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(actions, 2, "adding and removing are audited");
    }
);

storage_test!(
    ready_made_emails_use_the_practices_own_partner_and_pcn_names,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        // Without names, the partner email names nobody.
        let r = app
            .post("/simulation/library/urgent-request-from-partner/use", &[])
            .await;
        assert_eq!(r.status(), 303);
        let page = app.get_text(&location(&r)).await;
        assert!(page.contains("one of the GP partners"), "{page}");

        // A name with braces is refused with a reason, and nothing is saved.
        let page = app
            .post(
                "/simulation/library/names",
                &[("partner", "Dr {{ x }}"), ("pcn", "Riverside North PCN")],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("can&#39;t contain") || page.contains("can't contain"),
            "{page}"
        );
        assert!(
            page.contains("Riverside North PCN"),
            "what was typed is kept"
        );
        let names = safetynet::simulation::authoring::repo::practice_names(&app.db, p.id)
            .await
            .unwrap();
        assert_eq!(names.pcn, "", "nothing saved while a field is wrong");

        let r = app
            .post(
                "/simulation/library/names",
                &[
                    ("partner", "Dr Priya  Shah"),
                    ("pcn", "Riverside North PCN"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(app
            .get_text("/simulation/templates")
            .await
            .contains("Dr Priya Shah"));
        let r = app
            .post("/simulation/library/pcn-rota-change/use", &[])
            .await;
        let page = app.get_text(&location(&r)).await;
        assert!(page.contains("Riverside North PCN"), "{page}");
        let r = app
            .post("/simulation/library/urgent-request-from-partner/use", &[])
            .await;
        let page = app.get_text(&location(&r)).await;
        assert!(page.contains("Dr Priya Shah"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"simulation.template_changed".to_string()));
    }
);
