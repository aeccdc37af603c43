//! Planning a drill (issue 14 §2: "a drill is scheduled, run, and each
//! person's outcome recorded"): the plan shows on the drills page and in
//! the manager's "this week", never to staff, and recording the drill marks
//! it done.

use crate::helpers::{location, unescape, TestApp};
use crate::storage_test;
use safetynet::auth::Role;

const DRILL: &str = "/culture/drills/library/phone-relative-results";

fn day(app: &TestApp, days: i64) -> String {
    (safetynet::ukclock::local_date(app.clock.now()) + time::Duration::days(days)).to_string()
}

storage_test!(
    a_planned_drill_shows_to_the_manager_and_champion_and_is_done_when_recorded,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let amelia = app
            .staff(&p, "Amelia Hughes", reception, Some(Role::Staff))
            .await;
        let sian = app
            .staff(&p, "Sian Williams", reception, Some(Role::Champion))
            .await;
        let cai = app
            .staff(&p, "Cai Jones", "Clinical", Some(Role::Champion))
            .await;

        // The champion plans a phone drill for her department in three days.
        app.sign_in(&sian.email, &sian.password, None).await;
        let page = app.get_text(DRILL).await;
        assert!(page.contains("Plan it for a day"));
        assert!(
            !page.contains("plan_department_id"),
            "a champion plans for her own department"
        );

        // A day already gone, or no day, is named beside the field; nothing is saved.
        for bad in [day(&app, -1), String::new()] {
            let r = app
                .post(&format!("{DRILL}/plan"), &[("planned_on", &bad)])
                .await;
            assert_eq!(r.status(), 200);
            let body = unescape(&r.text().await.unwrap());
            assert!(
                body.contains("Choose today or a date after it")
                    || body.contains("Enter the date you plan to run the drill"),
                "{body}"
            );
        }
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM drill_plans WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        let on = day(&app, 3);
        let r = app
            .post(&format!("{DRILL}/plan"), &[("planned_on", &on)])
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/culture/drills?done=planned");
        let drills = unescape(&app.get_text("/culture/drills?done=planned").await);
        assert!(drills.contains("The drill is in the plan"), "{drills}");
        assert!(drills.contains("A relative asks for test results"));
        assert!(drills.contains("Reception & care navigation"));

        // The manager sees it in "this week"; staff and the other department's champion never do.
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let home = unescape(&app.get_text("/").await);
        assert!(
            home.contains("Drill \"A relative asks for test results\" is planned for"),
            "{home}"
        );
        app.sign_in(&cai.email, &cai.password, None).await;
        let other = unescape(&app.get_text("/culture/drills").await);
        assert!(!other.contains("Reception & care navigation"), "{other}");
        let (plan_id,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id FROM drill_plans").fetch_one(pool).await)
        .unwrap();
        let r = app
            .post(&format!("/culture/drills/plans/{plan_id}/cancel"), &[])
            .await;
        assert_eq!(
            r.status(),
            404,
            "another department's champion cannot cancel it"
        );
        app.sign_in(&amelia.email, &amelia.password, None).await;
        assert_eq!(app.get("/culture/drills").await.status(), 403);
        let home = unescape(&app.get_text("/").await);
        assert!(
            !home.contains("A relative asks for test results"),
            "staff are not told"
        );

        // Sian runs it two days early and records it: the plan is done.
        app.sign_in(&sian.email, &sian.password, None).await;
        let r = app
            .post(
                DRILL,
                &[
                    ("staff_id", &amelia.staff_id.to_string()),
                    ("outcome", "good-catch"),
                    ("checks", "verified-identity"),
                    ("note", "Checked who was calling first. Lovely."),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let drills = unescape(&app.get_text("/culture/drills").await);
        assert!(drills.contains("No drills planned"), "{drills}");
        let (run_id,): (Option<i64>,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
            "SELECT run_id FROM drill_plans WHERE id = $1").bind(plan_id).fetch_one(pool).await)
        .unwrap();
        assert!(run_id.is_some());

        // A second plan, cancelled by the manager, leaves the list and is audited.
        app.clock.advance(31); // a fresh two-step code
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .post(&format!("{DRILL}/plan"), &[("planned_on", &day(&app, 20))])
            .await;
        assert_eq!(r.status(), 303);
        let (second,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id FROM drill_plans WHERE run_id IS NULL").fetch_one(pool).await)
        .unwrap();
        let r = app
            .post(&format!("/culture/drills/plans/{second}/cancel"), &[])
            .await;
        assert_eq!(location(&r), "/culture/drills?done=plan-cancelled");
        let drills = unescape(&app.get_text("/culture/drills").await);
        assert!(drills.contains("No drills planned"));
        let actions = app.audit_actions(p.id).await;
        assert!(
            actions.iter().filter(|a| *a == "culture.changed").count() >= 4,
            "{actions:?}"
        );
    }
);
