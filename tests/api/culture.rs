//! Practice culture that works on NHSmail (issue 14): exercises refused to
//! nhs.net without an operator's agreement, the "I reported a suspicious
//! email" button, and what champions and managers see of them.

use crate::helpers::{set_password_and_mfa, Practice, TestApp};
use crate::simulation::{launch, ready};
use crate::storage_test;
use safetynet::auth::Role;
use safetynet::with_db;

/// Adds a current member of staff with an NHSmail address.
async fn nhsmail_staff(app: &TestApp, p: &Practice, name: &str, department: &str) {
    let email = format!("{}@nhs.net", name.to_lowercase().replace(' ', "."));
    with_db!(&app.db, pool => sqlx::query("INSERT INTO staff (practice_id, department_id, full_name, email, job_role, employment_type, created_at) \
        SELECT $1, id, $2, $3, 'Receptionist', 'permanent', 0 FROM departments WHERE practice_id = $1 AND name = $4")
        .bind(p.id).bind(name).bind(&email).bind(department).execute(pool).await.map(|_| ())).unwrap();
}

const OPERATOR_PASSWORD: &str = "glacier walnut falcon";

/// The ICB's operator account; returns its two-step verification secret.
async fn operator(app: &TestApp) -> String {
    let id = safetynet::people::accounts::create_user(
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
    let secret = safetynet::auth::mfa::new_secret();
    set_password_and_mfa(&app.db, id, OPERATOR_PASSWORD, Some(&secret)).await;
    secret
}

fn launch_form(template_id: i64, profile_id: i64) -> Vec<(&'static str, String)> {
    vec![
        ("name", "Spring exercise".to_string()),
        ("template_id", template_id.to_string()),
        ("profile_id", profile_id.to_string()),
        ("audience", "everyone".to_string()),
        ("spread_hours", "0".to_string()),
        ("run_days", "14".to_string()),
    ]
}

storage_test!(
    an_nhsmail_practice_is_refused_without_an_agreement_and_allowed_with_one,
    |app: TestApp| async move {
        let mut app = app;
        let (p, template_id, profile_id) = ready(&mut app).await;
        safetynet::simulation::domains::add_alone(&app.db, p.id, "nhs.net", Some("test"), 0)
            .await
            .unwrap()
            .unwrap();
        nhsmail_staff(&app, &p, "Amelia Hughes", "Reception & care navigation").await;
        nhsmail_staff(&app, &p, "Tom Bennett", "Clinical").await;

        // The exercises page says plainly why, and what to do instead.
        let list = crate::helpers::unescape(&app.get_text("/simulation").await);
        assert!(list.contains("Your staff use NHSmail"), "{list}");
        assert!(list.contains("2 of your staff have an nhs.net address"));
        assert!(list.contains("NHS England's own simulated phishing service"));

        // A launch that includes nhs.net addresses is refused with the reason; nothing is stored.
        let r = app
            .client
            .post(app.url("/simulation/campaigns/new"))
            .form(&launch_form(template_id, profile_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(
            page.contains("2 of the people chosen use NHSmail (nhs.net)"),
            "{page}"
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM campaigns WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        // The operator records the agreement's reference: a blank one is named beside its field.
        let op = operator(&app).await;
        app.sign_in("it@icb.example", OPERATOR_PASSWORD, Some(&op))
            .await;
        let path = format!("/operator/practices/{}/nhsmail-agreement", p.id);
        let blank = app.post(&path, &[("nhsmail_reference", "  ")]).await;
        assert_eq!(blank.status(), 200);
        assert!(blank
            .text()
            .await
            .unwrap()
            .contains(r#"id="nhsmail_reference-error""#));
        let r = app
            .post(&path, &[("nhsmail_reference", "NHSE-SPS-2026-041")])
            .await;
        assert_eq!(r.status(), 303);
        let practice_page = app.get_text(&format!("/operator/practices/{}", p.id)).await;
        assert!(practice_page.contains("NHSE-SPS-2026-041"));
        assert!(practice_page.contains("by it@icb.example"));
        let (detail,): (String,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT detail FROM audit_log WHERE practice_id = $1 AND action = 'simulation.domain_changed' ORDER BY id DESC LIMIT 1")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert!(detail.contains("NHSE-SPS-2026-041"), "{detail}");

        // With it, the same launch goes ahead and includes the nhs.net addresses.
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert!(!app
            .get_text("/simulation")
            .await
            .contains("Your staff use NHSmail"));
        let (id, _) = launch(&app, template_id, profile_id, &[]).await;
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND email LIKE '%@nhs.net'",
                id
            )
            .await,
            2
        );

        // Withdrawn, nhs.net is refused again.
        app.clock.advance(31);
        app.sign_in("it@icb.example", OPERATOR_PASSWORD, Some(&op))
            .await;
        assert_eq!(
            app.post(&path, &[("nhsmail_action", "withdraw")])
                .await
                .status(),
            303
        );
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .client
            .post(app.url("/simulation/campaigns/new"))
            .form(&launch_form(template_id, profile_id))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "refused again once withdrawn");
    }
);
