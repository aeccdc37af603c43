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
        // Past the page that says what will happen, so a 200 is a refusal.
        ("confirm", "yes".to_string()),
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

storage_test!(
    the_report_button_thanks_at_once_and_counts_per_month,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let amelia = app
            .staff(&p, "Amelia Hughes", reception, Some(Role::Staff))
            .await;
        for n in ["Tom Bennett", "Fatima Begum", "Grace Oconnor"] {
            app.staff(&p, n, reception, None).await;
        }
        let champ = app
            .staff(&p, "Sian Williams", reception, Some(Role::Champion))
            .await;
        let small = app
            .staff(&p, "Daniel Price", "Dispensary", Some(Role::Champion))
            .await;

        // One button on the home page; pressing it thanks the person at once.
        app.sign_in(&amelia.email, &amelia.password, None).await;
        let home = crate::helpers::unescape(&app.get_text("/").await);
        assert!(home.contains("I reported a suspicious email"));
        assert!(!home.contains("Reports per month"), "staff see no figures");
        let r = app
            .post("/culture/reports", &[("how", ""), ("note", "")])
            .await;
        assert_eq!(r.status(), 303);
        let thanks = app.get_text(&crate::helpers::location(&r)).await;
        assert!(thanks.contains("Thank you for reporting it"));

        // With a line about it; a line too long is named beside its field and nothing is saved.
        let long = "a".repeat(301);
        let bad = app
            .post(
                "/culture/reports",
                &[("how", "spamreports"), ("note", &long)],
            )
            .await;
        assert_eq!(bad.status(), 200);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains(r#"id="note-error""#), "{bad}");
        assert!(
            bad.contains(r#"value="spamreports" checked"#),
            "the choice is kept"
        );
        let r = app
            .post(
                "/culture/reports",
                &[("how", "spamreports"), ("note", "A parcel text")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(app
            .get_text("/culture/reports/thanks")
            .await
            .contains("That is 2 reports from you in the last 12 months"));
        assert_eq!(
            app.get("/culture/reports").await.status(),
            403,
            "only the manager and champions see figures"
        );

        // A month later the champion reports too.
        let first_month = safetynet::ukclock::local_date(app.clock.now());
        app.clock.advance(31 * 86_400);
        app.sign_in(&champ.email, &champ.password, None).await;
        assert_eq!(
            app.post("/culture/reports", &[("how", "it_or_manager")])
                .await
                .status(),
            303
        );

        // The figure that matters: reports per month, for the DSPT and the dashboard too.
        let today = safetynet::ukclock::local_date(app.clock.now());
        let months = safetynet::culture::reports::per_month(&app.db, p.id, first_month, today)
            .await
            .unwrap();
        let counts: Vec<i64> = months.iter().map(|m| m.count).collect();
        assert_eq!(counts.first(), Some(&2), "{counts:?}");
        assert_eq!(counts.last(), Some(&1), "{counts:?}");
        assert_eq!(counts.iter().sum::<i64>(), 3);

        // The champion sees their department's count (five current staff: at the minimum size).
        let page = crate::helpers::unescape(&app.get_text("/culture/reports").await);
        assert!(page.contains("for Reception & care navigation"), "{page}");
        assert!(page.contains("<strong>3</strong> reports in 12 months"));
        assert!(
            !page.contains("A parcel text"),
            "the notes are the manager's"
        );

        // A champion of a department below the minimum group size sees no figure.
        app.sign_in(&small.email, &small.password, None).await;
        let page = crate::helpers::unescape(&app.get_text("/culture/reports").await);
        assert!(page.contains("fewer than 5 current staff"), "{page}");
        assert!(!page.contains("reports in 12 months"));

        // The manager sees the practice's months and who reported what.
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let page = crate::helpers::unescape(&app.get_text("/culture/reports").await);
        assert!(page.contains("<strong>3</strong> reports in 12 months"));
        assert!(page.contains("A parcel text"));
        assert!(page.contains("Forwarded it to spamreports@nhs.net"));
        assert!(page.contains("<svg class=\"sn-chart\""));
    }
);

storage_test!(
    a_champion_records_a_phone_drill_and_the_manager_a_walk_round,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let amelia = app
            .staff(&p, "Amelia Hughes", reception, Some(Role::Staff))
            .await;
        let champ = app
            .staff(&p, "Sian Williams", reception, Some(Role::Champion))
            .await;
        let other = app
            .staff(&p, "Daniel Price", "Dispensary", Some(Role::Champion))
            .await;
        let drill = "/culture/drills/library/phone-relative-results";

        app.sign_in(&champ.email, &champ.password, None).await;
        let page = crate::helpers::unescape(&app.get_text(drill).await);
        assert!(page.contains("A relative asks for test results"));
        assert!(page.contains("Amelia Hughes"), "the champion's department");
        assert!(!page.contains("Daniel Price"), "only their own department");

        // Nothing chosen: each problem beside its field, nothing saved.
        let r = app.post(drill, &[("note", "")]).await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains(r#"id="staff_id-error""#) && body.contains(r#"id="outcome-error""#));
        // Someone outside the champion's department cannot be recorded.
        let r = app
            .post(
                drill,
                &[
                    ("staff_id", &other.staff_id.to_string()),
                    ("outcome", "partly"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Choose someone from the list"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM drill_runs WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        let r = app
            .post(
                drill,
                &[
                    ("staff_id", &amelia.staff_id.to_string()),
                    ("checks", "verified-identity"),
                    ("checks", "reported"),
                    ("outcome", "needs-practice"),
                    (
                        "note",
                        "Lovely and calm on the phone. Next time, offer to ring the patient back.",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let run = app.get_text(&crate::helpers::location(&r)).await;
        let run = crate::helpers::unescape(&run);
        assert!(run.contains("Needs more practice"));
        assert!(run.contains("has been added to their training"));
        // The drill's module went through the usual assignments.
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM training_assignments WHERE staff_id = $1 AND module = 'phone-scams' AND completed_at IS NULL",
                amelia.staff_id
            )
            .await,
            1
        );

        // Another department's champion cannot open it.
        app.sign_in(&other.email, &other.password, None).await;
        let loc = crate::helpers::location(&r);
        assert_eq!(app.get(&loc).await.status(), 404);

        // The person sees their own outcome and the kind debrief.
        app.sign_in(&amelia.email, &amelia.password, None).await;
        let mine = crate::helpers::unescape(&app.get_text("/culture/my-drills").await);
        assert!(mine.contains("A relative asks for test results"));
        assert!(mine.contains("Next time, offer to ring the patient back"));
        assert_eq!(app.get("/culture/drills").await.status(), 403);

        // The manager records a walk-round for a department: no person, no training.
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let walk = "/culture/drills/library/walk-round-reception";
        let r = app
            .post(
                walk,
                &[
                    ("department_id", &amelia.department_id.to_string()),
                    ("outcome", "good-catch"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let list = crate::helpers::unescape(&app.get_text("/culture/drills").await);
        assert!(list.contains("Reception & care navigation"));
        assert!(list.contains("Good catch"));

        let now = app.clock.now();
        let runs = safetynet::culture::drills::run_between(&app.db, p.id, now - 3600, now + 1)
            .await
            .unwrap();
        let kinds: Vec<(&str, &str)> = runs
            .iter()
            .map(|r| (r.kind.as_str(), r.outcome.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![("phone", "needs-practice"), ("walk_round", "good-catch")]
        );
        let audit = app.audit_actions(p.id).await;
        assert_eq!(audit.iter().filter(|a| *a == "culture.changed").count(), 2);
    }
);

storage_test!(
    a_meeting_briefing_comes_from_the_practice_data_and_actions_carry_forward,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let amelia = app
            .staff(
                &p,
                "Amelia Hughes",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&amelia.email, &amelia.password, None).await;
        for _ in 0..3 {
            app.post("/culture/reports", &[("how", "spamreports")])
                .await;
        }
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        app.post(
            "/culture/drills/library/phone-police-address",
            &[
                ("staff_id", &amelia.staff_id.to_string()),
                ("outcome", "good-catch"),
            ],
        )
        .await;
        let today = safetynet::ukclock::local_date(app.clock.now());

        // Bad input is named by its field; nothing is saved.
        let r = app
            .post(
                "/culture/meetings",
                &[
                    ("held_on", "2026-13-40"),
                    ("kind", "practice"),
                    ("attendees", "lots"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains(r#"id="held_on-error""#) && body.contains(r#"id="attendees-error""#));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM meetings WHERE practice_id = $1", p.id)
                .await,
            0
        );

        let r = app
            .post(
                "/culture/meetings",
                &[
                    ("held_on", &today.to_string()),
                    ("kind", "reception_huddle"),
                    ("attendees", "6"),
                    (
                        "threat_id",
                        safetynet::culture::library::threats()[0].id.as_str(),
                    ),
                    ("action_what", "Check every screen locks after five minutes"),
                    ("action_owner", "Sian"),
                    ("action_due", "2030-01-31"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let first = crate::helpers::location(&r);
        let briefing = crate::helpers::unescape(&app.get_text(&first).await);
        assert!(briefing.contains("Reception huddle"));
        assert!(
            briefing.contains("<strong>3</strong> suspicious emails reported"),
            "{briefing}"
        );
        assert!(briefing.contains("<strong>1</strong> good catch in drills"));
        assert!(briefing.contains("Check every screen locks after five minutes"));
        assert!(briefing.contains(&safetynet::culture::library::threats()[0].title));
        let tip0 = &safetynet::culture::library::library().tip_for(0).say;
        assert!(
            briefing.contains(tip0.as_str()),
            "the first tip of the rotation"
        );

        // The next meeting: the action carries forward until done, and the tip moves on.
        let r = app
            .post(
                "/culture/meetings",
                &[
                    ("held_on", &today.to_string()),
                    ("kind", "practice"),
                    ("attendees", "14"),
                ],
            )
            .await;
        let second = crate::helpers::location(&r);
        let briefing = crate::helpers::unescape(&app.get_text(&second).await);
        assert!(briefing.contains("Check every screen locks after five minutes"));
        assert!(briefing.contains(
            safetynet::culture::library::library()
                .tip_for(1)
                .say
                .as_str()
        ));
        assert!(
            briefing.contains("<strong>0</strong> suspicious emails reported"),
            "only since the last meeting"
        );
        let list = app.get_text("/culture/meetings").await;
        let done = regex_lite::Regex::new(r#"action="(/culture/meetings/actions/\d+/done)""#)
            .unwrap()
            .captures(&list)
            .expect("a done button")[1]
            .to_string();
        assert_eq!(app.post(&done, &[]).await.status(), 303);
        assert!(!app
            .get_text(&second)
            .await
            .contains("Check every screen locks"));

        let held = safetynet::culture::meetings::held_between(&app.db, p.id, today, today)
            .await
            .unwrap();
        assert_eq!(held.len(), 2);
        assert_eq!(held[1].kind, "reception_huddle");
    }
);
