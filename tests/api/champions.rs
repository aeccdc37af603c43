//! The champion's own page (issue 14 §3): their department's figures at the
//! minimum group size, the log of colleagues' questions and near misses
//! (each can become an incident report or a training module in one step),
//! and their start date and agreed responsibilities. Another department's
//! champion and plain staff never see it.

use crate::helpers::{location, unescape, TestApp};
use crate::storage_test;
use safetynet::auth::Role;

storage_test!(
    a_champion_logs_a_near_miss_and_turns_it_into_a_report_and_training,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let sian = app
            .staff(&p, "Sian Williams", reception, Some(Role::Champion))
            .await;
        let amelia = app
            .staff(&p, "Amelia Hughes", reception, Some(Role::Staff))
            .await;
        for name in ["Ben Cole", "Dee Shah", "Eli Ward"] {
            app.staff(&p, name, reception, None).await;
        }
        let cai = app
            .staff(&p, "Cai Jones", "Clinical", Some(Role::Champion))
            .await;

        // The manager appoints both: the day is recorded, with responsibilities to agree.
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        for who in [&sian, &cai] {
            let r = app
                .post(
                    &format!("/staff/{}/champion", who.staff_id),
                    &[("champion", "yes")],
                )
                .await;
            assert_eq!(r.status(), 303);
        }

        // Sian's page: since today, the usual responsibilities, reception's figures.
        app.sign_in(&sian.email, &sian.password, None).await;
        let page = unescape(&app.get_text("/culture/champion").await);
        let today = safetynet::ukclock::format_date(app.clock.now());
        assert!(
            page.contains(&format!("You have been a cyber champion since {today}")),
            "{page}"
        );
        assert!(page.contains("Pass near misses and anything that may be an incident"));
        assert!(
            page.contains("This month, Reception &amp; care navigation")
                || page.contains("This month, Reception & care navigation")
        );
        assert!(
            page.contains("People with training due"),
            "five people: figures shown"
        );
        assert!(page.contains("Suggested this month"));

        // Nothing chosen: named beside the fields, nothing saved.
        let r = app
            .post(
                "/culture/champion/log",
                &[("what", ""), ("happened_on", "")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let body = unescape(&r.text().await.unwrap());
        assert!(body.contains("Choose whether it was a question or a near miss"));
        assert!(body.contains("Say what they asked or what happened"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM champion_log WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        let day = safetynet::ukclock::local_date(app.clock.now()).to_string();
        let r = app
            .post(
                "/culture/champion/log",
                &[
                    ("kind", "near_miss"),
                    ("staff_id", &amelia.staff_id.to_string()),
                    (
                        "what",
                        "Clicked a parcel delivery link on the reception PC, then closed it",
                    ),
                    (
                        "advice",
                        "Thanked her, told her to change her NHSmail password",
                    ),
                    ("happened_on", &day),
                ],
            )
            .await;
        assert_eq!(location(&r), "/culture/champion?done=logged");
        let (entry,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id FROM champion_log").fetch_one(pool).await)
        .unwrap();
        let page = unescape(&app.get_text("/culture/champion").await);
        assert!(page.contains("A near miss"), "{page}");
        assert!(page.contains("Clicked a parcel delivery link"));

        // Cai (Clinical, one person) sees no figures and not Sian's log, and cannot act on it.
        app.sign_in(&cai.email, &cai.password, None).await;
        let his = unescape(&app.get_text("/culture/champion").await);
        assert!(his.contains("fewer than 5 current staff"), "{his}");
        assert!(!his.contains("parcel delivery link"));
        let r = app
            .post(&format!("/culture/champion/log/{entry}/report"), &[])
            .await;
        assert_eq!(r.status(), 404);
        // Plain staff have no champion's page.
        app.sign_in(&amelia.email, &amelia.password, None).await;
        assert_eq!(app.get("/culture/champion").await.status(), 403);

        // Sian passes it on: an incident report the manager is emailed about, once.
        app.sign_in(&sian.email, &sian.password, None).await;
        let r = app
            .post(&format!("/culture/champion/log/{entry}/report"), &[])
            .await;
        assert_eq!(location(&r), "/culture/champion?done=reported");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM incident_reports WHERE practice_id = $1",
                p.id
            )
            .await,
            1
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM outbox WHERE practice_id = $1 AND kind = 'incident-report'",
                p.id
            )
            .await,
            1
        );
        let r = app
            .post(&format!("/culture/champion/log/{entry}/report"), &[])
            .await;
        assert_eq!(r.status(), 400, "only once");

        // And gives Amelia a short module, due in four weeks.
        let r = app
            .post(
                &format!("/culture/champion/log/{entry}/training"),
                &[("module", "phishing")],
            )
            .await;
        assert_eq!(location(&r), "/culture/champion?done=trained");
        assert_eq!(
            app.count(
                &format!("SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1 AND staff_id = {} AND module = 'phishing' AND completed_at IS NULL", amelia.staff_id),
                p.id
            )
            .await,
            1
        );
        let page = unescape(&app.get_text("/culture/champion").await);
        assert!(page.contains("Passed to the practice manager as an incident report."));
        assert!(page.contains("Training given:"));

        // Her responsibilities, changed as agreed; empty is refused.
        let r = app
            .post("/culture/champion/duties", &[("duties", "  ")])
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .post(
                "/culture/champion/duties",
                &[("duties", "Answer questions kindly\nRun a drill each month")],
            )
            .await;
        assert_eq!(location(&r), "/culture/champion?done=duties");
        assert!(app
            .get_text("/culture/champion")
            .await
            .contains("Run a drill each month"));

        // The manager sees every department's log, with the department named.
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let all = unescape(&app.get_text("/culture/champion").await);
        assert!(all.contains("Clicked a parcel delivery link"), "{all}");
        // And every champion, since when, with what they agreed.
        assert!(all.contains("Your champions"));
        assert!(all.contains("Cai Jones") && all.contains("Sian Williams"));
        assert!(all.contains(&today), "the day each was appointed");
        assert!(all.contains("Run a drill each month"), "Sian's own words");
        assert!(
            all.contains("(Reception & care navigation)")
                || all.contains("(Reception &amp; care navigation)")
        );
        let actions = app.audit_actions(p.id).await;
        assert!(
            actions.iter().filter(|a| *a == "culture.changed").count() >= 4,
            "{actions:?}"
        );
    }
);

/// axe-core finds nothing on the champion's page, with an entry and with errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_champions_page_is_accessible() {
    use crate::browser::{assert_accessible, fill, start_browser, submit, wait_for_text};
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let sian = app
        .staff(
            &p,
            "Sian Williams",
            "Reception & care navigation",
            Some(Role::Champion),
        )
        .await;
    c.goto(&app.url("/sign-in")).await.unwrap();
    fill(&c, "email", &sian.email).await;
    fill(&c, "password", &sian.password).await;
    submit(&c, "button[type=submit].nhsuk-button").await;
    wait_for_text(&c, "Reported something suspicious?").await;
    c.goto(&app.url("/culture/champion")).await.unwrap();
    wait_for_text(&c, "Colleagues' questions and near misses").await;
    assert_accessible(&c, "champion's page").await;
    submit(&c, "form[action='/culture/champion/log'] button").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "champion's page with errors").await;
    c.find(fantoccini::Locator::Id("kind-question"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "what", "Is this invoice email real?").await;
    submit(&c, "form[action='/culture/champion/log'] button").await;
    wait_for_text(&c, "Added to the log").await;
    assert_accessible(&c, "champion's page with an entry").await;
    c.close().await.unwrap();
}

storage_test!(
    the_cyber_minute_thanks_by_name_only_those_who_agreed,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let amelia = app.staff(&p, "Amelia Hughes", reception, None).await;
        let ben = app.staff(&p, "Ben Cole", reception, None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        // Ben has two good catches and did not ask to be named: one other, not two.
        for (who, agreed) in [(&amelia, "yes"), (&ben, ""), (&ben, "")] {
            let r = app
                .post(
                    "/culture/drills/library/phone-relative-results",
                    &[
                        ("staff_id", &who.staff_id.to_string()),
                        ("outcome", "good-catch"),
                        ("checks", "verified-identity"),
                        ("praise_by_name", agreed),
                    ],
                )
                .await;
            assert_eq!(r.status(), 303);
        }
        let today = safetynet::ukclock::local_date(app.clock.now()).to_string();
        let r = app
            .post(
                "/culture/meetings",
                &[
                    ("held_on", &today),
                    ("kind", "practice"),
                    ("attendees", "9"),
                ],
            )
            .await;
        let briefing = location(&r);
        let page = unescape(&app.get_text(&briefing).await);
        assert!(
            page.contains("Thank you, Amelia Hughes, and 1 other, for your good catches."),
            "{page}"
        );
        assert!(!page.contains("Ben Cole"), "Ben did not ask to be named");
        let pdf = app
            .get(&format!("{briefing}/pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = crate::training::pdf_text(&pdf) {
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                words.contains("Thank you, Amelia Hughes, and 1 other"),
                "{words}"
            );
            assert!(!words.contains("Ben Cole"));
        }
    }
);
