//! The GoPhish-compatible API, driven by the real PyPI `gophish` client as an
//! existing GoPhish script would drive it, and the page where a practice
//! manager makes keys and imports GoPhish JSON.

use std::process::Command;

use crate::helpers::{location, python_with_gophish, unescape, SmtpSink, TestApp};
use crate::storage_test;
use safetynet::auth::Role;
use safetynet::with_db;
use serde_json::{json, Value};

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

fn client_script(args: &[&str]) -> Value {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/gophish_client.py");
    let out = Command::new(python_with_gophish())
        .arg(script)
        .args(args)
        .output()
        .expect("run the gophish client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "gophish client {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one line of JSON")
}

storage_test!(
    an_existing_gophish_script_runs_an_exercise_through_the_api,
    |app: TestApp| async move {
        let mut app = app;
        let sink = SmtpSink::start(&app.dir.path().join("api-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let p = app.practice("Riverside Surgery").await;
        safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
            .await
            .unwrap()
            .unwrap();
        let mut targets = Vec::new();
        for n in ["Amelia Hughes", "Tom Bennett", "Fatima Begum"] {
            targets.push(
                app.staff(&p, n, "Reception & care navigation", None)
                    .await
                    .email,
            );
        }
        // Staff, but outside the practice's verified domain.
        with_db!(&app.db, pool => sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) \
            SELECT $1, id, 'Outside Person', 'outside@gmail.example', 'Locum GP', 'locum', 0 FROM departments WHERE practice_id = $1 AND name = 'Clinical'")
            .bind(p.id).execute(pool).await.map(|_| ())).unwrap();
        // The GoPhish templates' {{.ReportURL}} works where the practice keeps the report link.
        crate::simulation::report_link_on(&app, p.id).await;
        let key = app.api_key(&p, "Script").await;
        let base = format!("{}/", app.base);
        let port = app.smtp.as_ref().unwrap().port.to_string();
        let mut args = vec![
            "setup",
            "--base",
            &base,
            "--key",
            &key,
            "--smtp-port",
            &port,
            "--outsider",
            "outside@gmail.example",
        ];
        for t in &targets {
            args.extend(["--target", t.as_str()]);
        }
        let setup = client_script(&args);
        assert!(
            setup["outsider_refused"].as_str().unwrap().contains(
                "not in one of the practice's verified email domains: outside@gmail.example"
            ),
            "{setup}"
        );
        assert_eq!(setup["group_targets"].as_array().unwrap().len(), 3);
        assert_eq!(
            setup["page_capture_passwords"], false,
            "passwords are never captured"
        );
        assert_eq!(setup["campaign_status"], "In progress");
        assert_eq!(setup["campaign_results"], 3);
        assert!(
            setup["template_html"]
                .as_str()
                .unwrap()
                .contains("{{.FirstName}}"),
            "GoPhish fields are shown back as GoPhish writes them: {setup}"
        );
        assert_eq!(setup["lists"]["groups"], json!(["Reception"]));
        assert_eq!(
            setup["attachments"],
            json!([[
                "Password policy.html",
                "<p>Dear {{.FirstName}}, read the new policy: <a href=\"{{.URL}}\">policy</a></p>"
            ]]),
            "an attachment goes back as GoPhish wrote it"
        );
        assert!(
            setup["docm_refused"]
                .as_str()
                .unwrap()
                .contains("macro-enabled"),
            "{setup}"
        );
        assert_eq!(setup["lists"]["templates"], json!(["Password expiry"]));
        let campaign_id = setup["campaign_id"].as_i64().unwrap().to_string();

        // The practice's own sender sends them.
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 3);
        let msgs = app.smtp.as_ref().unwrap().messages();
        assert_eq!(msgs.len(), 3);
        for m in &msgs {
            assert!(
                m.contains("From: \"IT Service Desk\" <it@nhs-mail.example>"),
                "the profile's sender: {m}"
            );
            assert!(m.contains("X-Safety-Net-Simulation: "));
            assert!(
                m.contains("filename=\"Password policy.html\""),
                "the template's attachment is sent: {m}"
            );
            assert!(!m.contains("outside@gmail.example"));
        }
        assert!(msgs
            .iter()
            .any(|m| m.contains("Subject: Action needed, Amelia")));
        for t in &targets {
            assert_eq!(
                msgs.iter()
                    .filter(|m| m.contains(&format!("To: {t}")))
                    .count(),
                1,
                "{t} got one email"
            );
        }

        // Tom clicks (a while after delivery, as a person would); Fatima reports.
        app.clock.advance(120);
        let sink = app.smtp.as_ref().unwrap();
        let web = crate::helpers::new_client();
        let tom = sink.link_sent_to(&targets[1], "/c/");
        let r = web
            .get(&tom)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, _, report, _) = crate::simulation::links(
            &app.smtp
                .as_ref()
                .unwrap()
                .messages()
                .into_iter()
                .find(|m| m.contains(&format!("To: {}", targets[2])))
                .unwrap(),
            &app.sim_base,
        );
        assert_eq!(
            web.get(&report)
                .header("user-agent", BROWSER)
                .send()
                .await
                .unwrap()
                .status(),
            200
        );

        let report = client_script(&[
            "report",
            "--base",
            &base,
            "--key",
            &key,
            "--campaign",
            &campaign_id,
        ]);
        let stat = |k: &str| report["stats"][k].as_i64().unwrap_or(0);
        assert_eq!(
            (
                stat("total"),
                stat("sent"),
                stat("opened"),
                stat("clicked"),
                stat("submitted_data"),
                stat("error")
            ),
            (3, 3, 1, 1, 0, 0),
            "{report}"
        );
        let results = report["results"].as_array().unwrap();
        assert!(
            results.contains(&json!([targets[1], "Clicked Link"])),
            "{report}"
        );
        assert!(
            results.contains(&json!([targets[0], "Email Sent"])),
            "{report}"
        );
        let timeline: Vec<String> = report["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[1].as_str().unwrap().to_string())
            .collect();
        for m in [
            "Campaign Created",
            "Email Sent",
            "Clicked Link",
            "Email Reported",
        ] {
            assert!(timeline.iter().any(|t| t == m), "{m} in {timeline:?}");
        }
        assert_eq!(report["total_campaigns"], 1);
        assert_eq!(report["campaign_page"], "NHSmail sign-in");
        assert_eq!(report["status_after_complete"], "Completed");
        assert_eq!(report["missing"], "Campaign not found");
        // What the API did is in the practice's audit log.
        let (n,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM audit_log WHERE practice_id = $1 AND detail LIKE '%(through the API)'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert!(n >= 6, "{n} API changes audited");
    }
);

storage_test!(
    api_keys_are_made_shown_once_and_revoked_and_cookies_do_not_open_the_api,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let page = unescape(
            &app.post("/simulation/api/keys", &[("name", "Reporting script")])
                .await
                .text()
                .await
                .unwrap(),
        );
        let key = regex_lite::Regex::new(r#"id="new-key">(snk_[a-z2-7]+)<"#)
            .unwrap()
            .captures(&page)
            .expect("the new key is shown")[1]
            .to_string();
        assert!(
            page.contains(&format!("{}/", app.base)),
            "the base URL is shown"
        );
        let listed = app.get_text("/simulation/api").await;
        assert!(
            listed.contains("Reporting script") && !listed.contains(&key),
            "shown only once"
        );
        let (stored,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT key_hash FROM api_keys WHERE practice_id = $1")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_ne!(stored, key, "only a hash is stored");

        // The session cookie alone does not open the API; the key does, as a header or a parameter.
        assert_eq!(app.get("/api/groups/").await.status(), 401);
        let bare = reqwest::Client::new();
        let r = bare
            .get(app.url("/api/groups/"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            bare.get(app.url(&format!("/api/campaigns/summary?api_key={key}")))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        // A script's POST (no cookies, no browser headers) passes the CSRF layer...
        let staff = app
            .staff(&p, "Amelia Hughes", "Clinical", Some(Role::Staff))
            .await;
        safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
            .await
            .unwrap()
            .unwrap();
        let r = bare
            .post(app.url("/api/groups/"))
            .bearer_auth(&key)
            .json(&json!({"name": "Clinical", "targets": [{"email": staff.email}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        // ...while a browser's cross-site POST is still refused.
        let r = bare
            .post(app.url("/api/groups/"))
            .bearer_auth(&key)
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .json(&json!({"name": "Other", "targets": [{"email": staff.email}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // Revoked: refused from then on, and the audit log says who did it.
        let key_id: (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM api_keys WHERE practice_id = $1")
            .bind(p.id).fetch_one(pool).await).unwrap();
        let r = app
            .post(&format!("/simulation/api/keys/{}/revoke", key_id.0), &[])
            .await;
        assert_eq!(location(&r), "/simulation/api?revoked=1");
        assert_eq!(
            bare.get(app.url("/api/groups/"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        let actions = app.audit_actions(p.id).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "simulation.api_key_changed")
                .count(),
            2
        );

        // A key stops working when its owner is no longer the practice manager.
        let key2 = app.api_key(&p, "x").await;
        with_db!(&app.db, pool => sqlx::query("UPDATE users SET active = FALSE WHERE id = $1").bind(p.manager_user_id).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(
            bare.get(app.url("/api/groups/"))
                .bearer_auth(&key2)
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
    }
);

storage_test!(
    gophish_json_is_imported_from_the_page,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
            .await
            .unwrap()
            .unwrap();
        let amelia = app.staff(&p, "Amelia Hughes", "Clinical", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let export = json!([
            {"id": 4, "name": "Parcel", "subject": "Your parcel, {{.FirstName}}", "html": "<p>{{.FirstName}}, <a href=\"{{.URL}}\">track it</a></p>{{.Tracker}}<style>p{color:red}</style>", "text": "", "attachments": [{"name": "Delivery label.txt", "type": "text/plain", "content": "VHJhY2sgeW91ciBwYXJjZWwsIHt7LkZpcnN0TmFtZX19OiB7ey5VUkx9fQ=="}], "modified_date": "2024-01-02T03:04:05Z"},
            {"id": 2, "name": "Courier login", "html": "<form><input type=\"password\" name=\"p\"></form>", "capture_credentials": true, "capture_passwords": true, "redirect_url": ""},
            {"id": 7, "name": "Clinical", "targets": [{"email": amelia.email, "first_name": "Amelia", "last_name": "Hughes", "position": "Nurse"}]}
        ]);
        let r = app
            .post("/simulation/api/import", &[("json", &export.to_string())])
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let done = app.get_text(&location(&r)).await;
        assert!(
            done.contains("Imported from GoPhish: 1 templates, 1 landing pages and 1 groups"),
            "{done}"
        );
        let (html,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT html FROM sim_templates WHERE practice_id = $1 AND name = 'Parcel'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert!(
            html.contains("{{ first_name }}")
                && html.contains("{{ link }}")
                && html.contains("{{ tracker }}"),
            "{html}"
        );
        let (label,): (Vec<u8>,) = with_db!(&app.db, pool => sqlx::query_as("SELECT data FROM sim_template_attachments WHERE practice_id = $1 AND file_name = 'Delivery label.txt'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(
            String::from_utf8(label).unwrap(),
            "Track your parcel, {{ first_name }}: {{ link }}",
            "a text attachment's GoPhish markers become Safety Net's"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM landing_pages WHERE practice_id = $1 AND landing = 'credentials'", p.id).await,
            1
        );
        // A group with someone who is not staff is refused, and nothing of that paste is saved.
        let bad = json!([
            {"name": "Second", "subject": "s", "html": "<p>x</p>"},
            {"name": "Strangers", "targets": [{"email": "stranger@elsewhere.example"}]}
        ]);
        // So is a template with a macro-enabled attachment.
        let macros = json!([
            {"name": "Second", "subject": "s", "html": "<p>x</p>"},
            {"name": "Invoice", "subject": "s", "html": "<p>x</p>", "attachments": [{"name": "Invoice.xlsm", "type": "application/vnd.ms-excel.sheet.macroEnabled.12", "content": "UEsDBA=="}]}
        ]);
        let page = unescape(
            &app.post("/simulation/api/import", &[("json", &macros.to_string())])
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(page.contains("macro-enabled Office file"), "{page}");
        let page = unescape(
            &app.post("/simulation/api/import", &[("json", &bad.to_string())])
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(page.contains("not current staff of the practice"), "{page}");
        // A big export is more than an ordinary form holds.
        let big = json!({"name": "Newsletter", "subject": "News", "html": format!("<p>{}</p>", "news ".repeat(40_000))});
        let r = app
            .post("/simulation/api/import", &[("json", &big.to_string())])
            .await;
        assert_eq!(r.status(), 303, "a 200 KB template is imported");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM sim_templates WHERE practice_id = $1 AND name = 'Second'",
                p.id
            )
            .await,
            0
        );
    }
);

storage_test!(
    a_gophish_script_groups_ten_thousand_people_and_sends_from_a_bare_address,
    |app: TestApp| async move {
        let mut app = app;
        let sink = SmtpSink::start(&app.dir.path().join("api-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let p = app.practice("Riverside Surgery").await;
        safetynet::simulation::domains::add_alone(&app.db, p.id, &p.domain, Some("test"), 0)
            .await
            .unwrap()
            .unwrap();
        let mut targets = Vec::new();
        for n in ["Amelia Hughes", "Tom Bennett"] {
            targets.push(
                app.staff(&p, n, "Reception & care navigation", None)
                    .await
                    .email,
            );
        }
        // A whole federation-sized practice: 10,000 staff.
        with_db!(&app.db, pool => sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
             INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) \
             SELECT $1, (SELECT MIN(id) FROM departments WHERE practice_id = $1), 'Staff ' || i, 'staff' || i || '@' || $2, 'Staff', 'permanent', 0 FROM n")
            .bind(p.id).bind(&p.domain).execute(pool).await.map(|_| ())).unwrap();
        let key = app.api_key(&p, "Script").await;
        let base = format!("{}/", app.base);
        let port = app.smtp.as_ref().unwrap().port.to_string();
        let mut args = vec![
            "big",
            "--base",
            &base,
            "--key",
            &key,
            "--smtp-port",
            &port,
            "--domain",
            &p.domain,
        ];
        for t in &targets {
            args.extend(["--target", t.as_str()]);
        }
        let out = client_script(&args);
        assert_eq!(out["big_group_targets"], 10_000, "{out}");
        assert_eq!(out["campaign_results"], 2, "{out}");
        let members = app
            .count("SELECT COUNT(*) FROM sim_group_members m JOIN sim_groups g ON g.id = m.group_id WHERE g.practice_id = $1 AND g.name = 'Whole practice'", p.id)
            .await;
        assert_eq!(members, 10_000);

        // Every email goes, from the bare address with no display name.
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 2);
        let msgs = app.smtp.as_ref().unwrap().messages();
        assert_eq!(msgs.len(), 2);
        for m in &msgs {
            assert!(m.lines().any(|l| l == "From: it@nhs-mail.example"), "{m}");
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.practice_id = $1 AND r.send_status = 'error'", p.id).await,
            0
        );
    }
);
