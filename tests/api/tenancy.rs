//! A practice never sees another practice's data, and every route checks
//! who is asking. These tests walk the app's own route table, so a route
//! added later is covered without anyone remembering to add a test.

use std::collections::HashMap;

use crate::helpers::{location, Practice, TestApp};
use crate::storage_test;
use safetynet::app::route_table;
use safetynet::auth::Role;
use safetynet::web::routes::Access;
use safetynet::with_db;

/// Fills a route's `{params}` with ids of the given practice's objects.
/// A route with a parameter this does not know fails the test: add it here.
fn fill(path: &str, ids: &HashMap<&str, String>) -> String {
    let mut out = path.to_string();
    while let Some(start) = out.find('{') {
        let end = out[start..].find('}').unwrap() + start;
        let name = &out[start + 1..end];
        let value = ids.get(name).unwrap_or_else(|| {
            panic!("tenancy test does not know route parameter {{{name}}} in {path}")
        });
        out.replace_range(start..=end, value);
    }
    out
}

async fn other_practice_ids(app: &TestApp, b: &Practice) -> HashMap<&'static str, String> {
    let bob = app
        .staff(b, "Bob Otherpractice", "Clinical", Some(Role::Staff))
        .await;
    let (import_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO staff_imports (practice_id, created_by, created_at, filename, rows_json, status) VALUES ($1, $2, 0, 'b.csv', '[]', 'preview') RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let template_id =
        safetynet::simulation::authoring::adopt_alone(&app.db, b.id, "nhsmail-password-expiry", 0)
            .await
            .unwrap()
            .unwrap();
    let (profile_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'B relay', '127.0.0.1', 25, 'none', '', '', 'b@b.example', 'X-Safety-Net-Simulation', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (campaign_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at) \
         VALUES ($1, 'B exercise', $2, $3, 'teachable', 'paused', 0, 0, 9999999999, FALSE, $4, 0) RETURNING id")
        .bind(b.id).bind(template_id).bind(profile_id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    safetynet::simulation::domains::add_alone(&app.db, b.id, "practiceb.example", None, 0)
        .await
        .unwrap()
        .unwrap();
    let (domain_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as("SELECT id FROM practice_domains WHERE practice_id = $1")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (recipient_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, token, email, full_name, job_role, send_at, send_status) \
         VALUES ($1, $2, $3, 'aaaaaaaaaaaaaaaaaaaaaa', 'bob@practiceb.example', 'Bob', 'GP', 0, 'sent') RETURNING id")
        .bind(campaign_id).bind(b.id).bind(bob.staff_id).fetch_one(p).await).unwrap();
    let (event_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO sim_events (campaign_id, recipient_id, practice_id, kind, counted, reasons, at, ip, user_agent) \
         VALUES ($1, $2, $3, 'click', FALSE, 'test', 0, '', '') RETURNING id")
        .bind(campaign_id).bind(recipient_id).bind(b.id).fetch_one(p).await).unwrap();
    let (webhook_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO webhooks (practice_id, name, url, secret, created_at) VALUES ($1, 'B hook', 'http://127.0.0.1:9/', 'b-secret-b-secret', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (asset_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO assets (practice_id, kind, name, encryption, managed_by, added_by, created_at, updated_at) \
         VALUES ($1, 'desktop', 'B-PC', 'unknown', 'unknown', 'manager', 0, 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (asset_import_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO asset_imports (practice_id, created_by, created_at, filename, rows_json, status) VALUES ($1, $2, 0, 'b.csv', '[]', 'preview') RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let (alert_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO cyber_alerts (practice_id, reference, title, severity, received_at, applicability, action_owner, created_at, updated_at) \
         VALUES ($1, 'CC-0001', 'B alert', 'high', 0, 'not_assessed', 'practice', 0, 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (backup_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO backups (practice_id, what, category, responsible, destination, frequency_days, restore_every_days, created_at, updated_at) \
         VALUES ($1, 'B drive', 'shared_drive', 'practice', 'cloud', 1, 365, 0, 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (attempt_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO quiz_attempts (practice_id, staff_id, module, questions, started_at, submitted_at, answers, score, passed) \
         VALUES ($1, $2, 'phishing', 'x', 0, 1, '0', 1, TRUE) RETURNING id")
        .bind(b.id).bind(bob.staff_id).fetch_one(p).await).unwrap();
    let (completion_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO training_completions (practice_id, staff_id, module, completed_at, seconds, score, total, attempt_id) \
         VALUES ($1, $2, 'phishing', 1, 60, 6, 6, $3) RETURNING id")
        .bind(b.id).bind(bob.staff_id).bind(attempt_id).fetch_one(p).await).unwrap();
    let (plan_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO plans (practice_id, template, body, version, status, created_at, updated_at) VALUES ($1, 'ransomware', $2, 1, 'draft', 0, 0) RETURNING id")
        .bind(b.id).bind(serde_json::to_string(&safetynet::resilience::plans::PlanBody::from_template(
            safetynet::resilience::plan_content::template("ransomware").unwrap(), "B")).unwrap())
        .fetch_one(p).await).unwrap();
    let (incident_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO incidents (practice_id, plan_id, title, declared_at, declared_by, aware_at, personal_data, status, checklist) \
         VALUES ($1, $2, 'B incident', 0, 'B', 0, TRUE, 'open', '[]') RETURNING id")
        .bind(b.id).bind(plan_id).fetch_one(p).await).unwrap();
    let (exercise_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO exercises (practice_id, scenario, title, run_on, facilitator, status, notes, created_at) \
         VALUES ($1, 'lost-laptop', 'B exercise', '2026-01-01', 'B', 'planned', '[]', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (group_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO sim_groups (practice_id, name, modified_at) VALUES ($1, 'B group', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (page_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO landing_pages (practice_id, name, landing, html, redirect_url, modified_at) VALUES ($1, 'B page', 'teachable', '', '', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    app.api_key(b, "B key").await;
    let (key_id,): (i64,) =
        with_db!(&app.db, p => sqlx::query_as("SELECT id FROM api_keys WHERE practice_id = $1")
        .bind(b.id).fetch_one(p).await)
        .unwrap();
    // B's DSPT objects: a document with its file, an administrator, a built pack.
    let (document_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO dspt_documents (practice_id, title, file_name, kind, size_bytes, sha256, expires_on, uploaded_by, uploaded_at) \
         VALUES ($1, 'B statement', 'b.pdf', 'pdf', 4, 'x', '2099-01-01', 'B', 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    with_db!(&app.db, p => async {
        sqlx::query("INSERT INTO dspt_document_files (document_id, data) VALUES ($1, $2)")
            .bind(document_id).bind(b"%PDF".to_vec()).execute(p).await?;
        sqlx::query("INSERT INTO dspt_document_items (document_id, item_id) VALUES ($1, '1.1.1')")
            .bind(document_id).execute(p).await?;
        sqlx::query("INSERT INTO dspt_document_practices (document_id, practice_id) VALUES ($1, $2)")
            .bind(document_id).bind(b.id).execute(p).await.map(|_| ())
    }.await).unwrap();
    let (access_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO admin_access (practice_id, full_name, email, organisation, systems, access_kind, created_at, updated_at) \
         VALUES ($1, 'B admin', 'admin@practiceb.example', 'B IT', 'Network', 'network', 0, 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    let (pack_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO dspt_packs (practice_id, requested_by, requested_at, status, steps, lease_until, finished_at) \
         VALUES ($1, 'B', 0, 'ready', 1, 0, 0) RETURNING id")
        .bind(b.id).fetch_one(p).await).unwrap();
    with_db!(&app.db, p => sqlx::query("INSERT INTO dspt_pack_files (pack_id, pdf, zip) VALUES ($1, $2, $2)")
        .bind(pack_id).bind(b"B".to_vec()).execute(p).await.map(|_| ())).unwrap();
    let (drill_run_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO drill_runs (practice_id, drill_id, kind, department_id, run_at, run_by, created_at) \
         VALUES ($1, 'phone-relative-results', 'phone', $2, 0, $3, 0) RETURNING id")
        .bind(b.id).bind(bob.department_id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    with_db!(&app.db, p => sqlx::query(
        "INSERT INTO drill_outcomes (run_id, practice_id, staff_id, outcome, recorded_at) VALUES ($1, $2, $3, 'partly', 0)")
        .bind(drill_run_id).bind(b.id).bind(bob.staff_id).execute(p).await.map(|_| ())).unwrap();
    let (meeting_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO meetings (practice_id, held_on, kind, attendees, tip_id, created_by, created_at) \
         VALUES ($1, '2026-01-05', 'practice', 9, 'three-random-words', $2, 0) RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let (action_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO meeting_actions (practice_id, meeting_id, what, owner, due_on) VALUES ($1, $2, 'B action', 'B', '2026-02-01') RETURNING id")
        .bind(b.id).bind(meeting_id).fetch_one(p).await).unwrap();
    let (external_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO external_exercises (practice_id, name, run_by, starts_on, ends_on, starts_at, source, created_by, created_at) \
         VALUES ($1, 'B elsewhere', 'nhs-england', '2026-01-05', '2026-01-06', 0, 'none', $2, 0) RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let (external_import_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO external_result_imports (practice_id, exercise_id, created_by, created_at, filename, rows_json, status) \
         VALUES ($1, $2, $3, 0, 'b.csv', '[]', 'preview') RETURNING id")
        .bind(b.id).bind(external_id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let (link_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO drill_links (practice_id, drill_id, kind, place, token, created_by, created_at) \
         VALUES ($1, 'qr-poster-car-park', 'qr_poster', 'B kitchen', 'bbbbbbbbbbbbbbbbbbbb', $2, 0) RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await).unwrap();
    let (drill_plan_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO drill_plans (practice_id, drill_id, planned_on, planned_by, created_at) \
         VALUES ($1, 'phone-relative-results', '2030-01-01', $2, 0) RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await)
    .unwrap();
    let (entry_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
        "INSERT INTO champion_log (practice_id, kind, what, happened_on, logged_by, created_at) \
         VALUES ($1, 'question', 'B question', '2026-01-01', $2, 0) RETURNING id")
        .bind(b.id).bind(b.manager_user_id).fetch_one(p).await)
    .unwrap();
    HashMap::from([
        ("entry_id", entry_id.to_string()),
        ("drill_plan_id", drill_plan_id.to_string()),
        ("link_id", link_id.to_string()),
        ("external_id", external_id.to_string()),
        ("external_import_id", external_import_id.to_string()),
        ("document_id", document_id.to_string()),
        ("access_id", access_id.to_string()),
        ("pack_id", pack_id.to_string()),
        // Items are the toolkit's, not a practice's: one that does not exist.
        ("item", "9.9.9".to_string()),
        ("meeting_id", meeting_id.to_string()),
        ("action_id", action_id.to_string()),
        ("drill_id", "not-a-drill".to_string()),
        ("run_id", drill_run_id.to_string()),
        ("asset_id", asset_id.to_string()),
        ("asset_import_id", asset_import_id.to_string()),
        ("alert_id", alert_id.to_string()),
        ("backup_id", backup_id.to_string()),
        ("plan_id", plan_id.to_string()),
        ("incident_id", incident_id.to_string()),
        ("exercise_id", exercise_id.to_string()),
        ("module", "not-a-module".to_string()),
        ("lesson", "not-a-lesson".to_string()),
        ("attempt_id", attempt_id.to_string()),
        ("completion_id", completion_id.to_string()),
        ("year", "2026".to_string()),
        ("group_id", group_id.to_string()),
        ("page_id", page_id.to_string()),
        ("key_id", key_id.to_string()),
        ("staff_id", bob.staff_id.to_string()),
        ("department_id", bob.department_id.to_string()),
        ("import_id", import_id.to_string()),
        ("practice_id", b.id.to_string()),
        ("token", "not-a-real-token".to_string()),
        ("template_id", template_id.to_string()),
        ("profile_id", profile_id.to_string()),
        ("campaign_id", campaign_id.to_string()),
        ("domain_id", domain_id.to_string()),
        ("lure_id", "not-a-lure".to_string()),
        ("webhook_id", webhook_id.to_string()),
        ("event_id", event_id.to_string()),
    ])
}

storage_test!(
    a_manager_gets_404_for_every_object_of_another_practice,
    |mut app: TestApp| async move {
        let a = app.practice("Practice A").await;
        let b = app.practice("Practice B").await;
        let ids = other_practice_ids(&app, &b).await;
        let staff_before = app
            .count(
                "SELECT COUNT(*) FROM staff WHERE practice_id = $1 AND active",
                b.id,
            )
            .await;
        app.sign_in(&a.manager_email, &a.password, Some(&a.totp))
            .await;
        let key_a = app.api_key(&a, "A key").await;
        let mut checked = 0;
        let mut checked_api = 0;
        for r in route_table() {
            if !r.path.contains('{') || r.access == Access::Public {
                continue;
            }
            if r.access == Access::ApiKey {
                // A script with practice A's key: B's ids do not exist.
                let path = fill(r.path, &ids);
                let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
                let resp = app
                    .client
                    .request(method, app.url(&path))
                    .bearer_auth(&key_a)
                    .json(&serde_json::json!({"name": "Hijacked", "targets": [{"email": "bob.otherpractice@practiceb.example"}], "html": "x", "subject": "x", "host": "h:25", "from_address": "a@b.example"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    resp.status(),
                    404,
                    "{} {} with practice A's API key",
                    r.method,
                    path
                );
                checked_api += 1;
                continue;
            }
            let path = fill(r.path, &ids);
            let resp = match r.method {
                "GET" => app.get(&path).await,
                _ => {
                    app.post(
                        &path,
                        &[
                            ("name", "Hijacked"),
                            ("champion", "yes"),
                            ("manager", "yes"),
                            ("action", "all"),
                        ],
                    )
                    .await
                }
            };
            assert_eq!(
                resp.status(),
                404,
                "{} {} as practice A's manager",
                r.method,
                path
            );
            checked += 1;
        }
        assert!(checked >= 10, "walked {checked} routes with ids");
        assert!(
            checked_api >= 10,
            "walked {checked_api} API routes with ids"
        );
        for table in [
            "sim_groups",
            "landing_pages",
            "sim_templates",
            "sending_profiles",
        ] {
            assert_eq!(
                app.count(
                    &format!(
                        "SELECT COUNT(*) FROM {table} WHERE practice_id = $1 AND name = 'Hijacked'"
                    ),
                    b.id
                )
                .await,
                0,
                "{table}"
            );
        }
        // Nothing of B's changed.
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM staff WHERE practice_id = $1 AND active",
                b.id
            )
            .await,
            staff_before
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM departments WHERE practice_id = $1 AND name = 'Hijacked'",
                b.id
            )
            .await,
            0
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM staff WHERE practice_id = $1 AND is_champion",
                b.id
            )
            .await,
            0
        );
    }
);

storage_test!(
    lists_and_exports_show_only_the_practice_in_scope,
    |mut app: TestApp| async move {
        let a = app.practice("Practice A").await;
        let b = app.practice("Practice B").await;
        app.staff(&b, "Zebedee Secretperson", "Clinical", Some(Role::Staff))
            .await;
        // Give B audit entries too.
        app.post(
            "/sign-in",
            &[("email", &b.manager_email), ("password", "wrong")],
        )
        .await;
        with_db!(&app.db, p => sqlx::query("INSERT INTO sim_groups (practice_id, name, modified_at) VALUES ($1, 'Zebedee group', 0)")
            .bind(b.id).execute(p).await.map(|_| ())).unwrap();
        app.sign_in(&a.manager_email, &a.password, Some(&a.totp))
            .await;
        let key_a = app.api_key(&a, "A key").await;
        for r in route_table() {
            if r.method == "GET" && !r.path.contains('{') && r.access == Access::ApiKey {
                let resp = app
                    .client
                    .get(app.url(r.path))
                    .bearer_auth(&key_a)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{}", r.path);
                let body = resp.text().await.unwrap();
                assert!(
                    !body.contains("Zebedee"),
                    "{} shows practice B's data",
                    r.path
                );
                continue;
            }
            if r.method != "GET"
                || r.path.contains('{')
                || !matches!(
                    r.access,
                    Access::PracticeManager | Access::ManagerOrChampion
                )
            {
                continue;
            }
            let body = app.get(r.path).await.text().await.unwrap();
            assert!(
                !body.contains("Zebedee") && !body.contains(&b.manager_email),
                "{} shows practice B's data",
                r.path
            );
        }
    }
);

storage_test!(
    every_route_that_needs_sign_in_sends_strangers_to_sign_in,
    |app: TestApp| async move {
        let b = app.practice("Practice B").await;
        let ids = other_practice_ids(&app, &b).await;
        for r in route_table() {
            if r.access == Access::Public {
                continue;
            }
            let path = fill(r.path, &ids);
            if r.access == Access::ApiKey {
                let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
                for key in [None, Some("snk_notarealkey"), Some("")] {
                    let mut req = app.client.request(method.clone(), app.url(&path));
                    if let Some(k) = key {
                        req = req.bearer_auth(k);
                    }
                    let resp = req.send().await.unwrap();
                    assert_eq!(resp.status(), 401, "{} {} with key {key:?}", r.method, path);
                    let body: serde_json::Value = resp.json().await.unwrap();
                    assert_eq!(body["success"], false);
                }
                continue;
            }
            let resp = match r.method {
                "GET" => app.get(&path).await,
                _ => app.post(&path, &[]).await,
            };
            assert_eq!(
                resp.status(),
                303,
                "{} {} without signing in",
                r.method,
                path
            );
            assert_eq!(location(&resp), "/sign-in", "{} {}", r.method, path);
        }
    }
);

storage_test!(
    staff_and_champions_cannot_use_manager_pages_and_operators_cannot_see_inside_practices,
    |mut app: TestApp| async move {
        let a = app.practice("Practice A").await;
        let champion = app
            .staff(
                &a,
                "Fatima Begum",
                "Reception & care navigation",
                Some(Role::Champion),
            )
            .await;
        let colleague = app
            .staff(&a, "Tom Bennett", "Reception & care navigation", None)
            .await;
        let ids = HashMap::from([
            ("drill_id", "phone-relative-results".to_string()),
            ("meeting_id", "1".to_string()),
            ("external_id", "1".to_string()),
            ("external_import_id", "1".to_string()),
            ("action_id", "1".to_string()),
            ("run_id", "1".to_string()),
            ("link_id", "1".to_string()),
            ("drill_plan_id", "1".to_string()),
            ("entry_id", "1".to_string()),
            ("asset_id", "1".to_string()),
            ("asset_import_id", "1".to_string()),
            ("alert_id", "1".to_string()),
            ("backup_id", "1".to_string()),
            ("plan_id", "1".to_string()),
            ("incident_id", "1".to_string()),
            ("exercise_id", "1".to_string()),
            ("module", "phishing".to_string()),
            ("lesson", "children".to_string()),
            ("attempt_id", "1".to_string()),
            ("completion_id", "1".to_string()),
            ("year", "2026".to_string()),
            ("group_id", "1".to_string()),
            ("page_id", "1".to_string()),
            ("key_id", "1".to_string()),
            ("staff_id", colleague.staff_id.to_string()),
            ("department_id", colleague.department_id.to_string()),
            ("import_id", "1".to_string()),
            ("practice_id", a.id.to_string()),
            ("token", "x".to_string()),
            ("template_id", "1".to_string()),
            ("profile_id", "1".to_string()),
            ("campaign_id", "1".to_string()),
            ("domain_id", "1".to_string()),
            ("lure_id", "nhsmail-password-expiry".to_string()),
            ("webhook_id", "1".to_string()),
            ("event_id", "1".to_string()),
            ("document_id", "1".to_string()),
            ("access_id", "1".to_string()),
            ("pack_id", "1".to_string()),
            ("item", "4.3.1".to_string()),
        ]);
        app.sign_in(&champion.email, &champion.password, None).await;
        for r in route_table()
            .into_iter()
            .filter(|r| r.access == Access::PracticeManager || r.access == Access::Operator)
        {
            let path = fill(r.path, &ids);
            let resp = match r.method {
                "GET" => app.get(&path).await,
                _ => {
                    app.post(&path, &[("manager", "yes"), ("champion", "yes")])
                        .await
                }
            };
            let expected = if r.access == Access::Operator {
                404
            } else {
                403
            };
            assert_eq!(
                resp.status(),
                expected,
                "{} {} as a champion",
                r.method,
                path
            );
        }
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND role = 'manager'",
                a.id
            )
            .await,
            1
        );

        // An operator sees practices and figures, never the staff list.
        app.sign_in_as_operator().await;
        let list = app.get_text("/operator").await;
        assert!(list.contains("Practice A"));
        assert!(
            !list.contains("Fatima"),
            "no individual names on the operator's list"
        );
        for r in route_table().into_iter().filter(|r| {
            matches!(
                r.access,
                Access::PracticeManager | Access::PracticeMember | Access::ManagerOrChampion
            )
        }) {
            let path = fill(r.path, &ids);
            if r.method == "GET" {
                assert_eq!(
                    app.get(&path).await.status(),
                    404,
                    "GET {path} as an operator"
                );
            }
        }
        assert_eq!(location(&app.get("/").await), "/operator");
    }
);

storage_test!(
    a_malformed_id_in_any_route_answers_page_not_found,
    |mut app: TestApp| async move {
        // Today's ids are small numbers; these are not numbers, or too large to be one.
        const BAD: [&str; 2] = ["abc", "99999999999999999999"];
        let a = app.practice("Practice A").await;
        let key = app.api_key(&a, "A key").await;
        // Segments that are not ids get an ordinary value, so only the id is wrong.
        let fill = |path: &str, bad: &str| {
            let mut out = path.to_string();
            while let Some(start) = out.find('{') {
                let end = out[start..].find('}').unwrap() + start;
                let value = match &out[start + 1..end] {
                    "module" => "phishing",
                    "year" => "2026",
                    _ => bad,
                };
                out.replace_range(start..=end, value);
            }
            out
        };
        let with_ids: Vec<_> = route_table()
            .into_iter()
            .filter(|r| r.path.contains("_id}"))
            .collect();
        let mut checked = 0;
        for signed_in_as in [Access::PracticeManager, Access::Operator] {
            if signed_in_as == Access::Operator {
                app.sign_in_as_operator().await;
            } else {
                app.sign_in(&a.manager_email, &a.password, Some(&a.totp))
                    .await;
            }
            for r in &with_ids {
                let operator_route = r.access == Access::Operator;
                if operator_route != (signed_in_as == Access::Operator) {
                    continue;
                }
                for bad in BAD {
                    let path = fill(r.path, bad);
                    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
                    let mut req = app.client.request(method, app.url(&path));
                    if r.access == Access::ApiKey {
                        req = req.bearer_auth(&key);
                    } else if r.method != "GET" {
                        req = req.form(&[("name", "x")]);
                    }
                    let resp = req.send().await.unwrap();
                    assert_eq!(resp.status(), 404, "{} {path}", r.method);
                    let body = resp.text().await.unwrap();
                    if r.access == Access::ApiKey {
                        // GoPhish clients get GoPhish's JSON error.
                        let json: serde_json::Value = serde_json::from_str(&body)
                            .unwrap_or_else(|_| panic!("{} {path}: not JSON: {body}", r.method));
                        assert_eq!(json["success"], false, "{} {path}", r.method);
                    } else {
                        assert!(
                            body.contains("Page not found")
                                && body.contains("Go to the Safety Net home page"),
                            "{} {path} did not answer the app's page: {body}",
                            r.method
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked >= 2 * 60,
            "walked {checked} requests to routes with ids"
        );
    }
);
