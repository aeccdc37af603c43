//! The manager's dashboard (issue 14 §5): tiles below "this week" showing
//! the practice's figures, each linking to its page; the operator's trend
//! tiles with no one named; small groups never shown; axe-clean on a
//! desktop and a phone.

use crate::browser::{assert_accessible, sign_in_manager, start_browser, wait_for_text};
use crate::helpers::{unescape, Backend, Practice, TestApp};
use crate::storage_test;
use safetynet::auth::Role;
use safetynet::culture::reports::repo::{insert, NewReport};
use safetynet::culture::reports::How;

/// Records `n` reports by `who` at `at`, through the reports' own storage.
async fn reports(app: &TestApp, p: &Practice, who: &crate::helpers::Person, n: usize, at: i64) {
    let mut tx = app.db.begin().await.unwrap();
    for _ in 0..n {
        let r = NewReport {
            staff_id: Some(who.staff_id),
            department_id: Some(who.department_id),
            how: How::Spamreports,
            note: "",
            at,
        };
        insert(&mut tx, p.id, &r).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// "Dec 2026" for the UK month `unix` falls in.
fn month_label(unix: i64) -> String {
    let d = safetynet::ukclock::local_date(unix);
    format!("{} {}", &d.month().to_string()[..3], d.year())
}

/// A practice of eight: five in reception (one a champion), two in the
/// dispensary and the manager.
async fn riverside(app: &TestApp) -> (Practice, crate::helpers::Person, crate::helpers::Person) {
    let p = app.practice("Riverside Surgery").await;
    let reception = "Reception & care navigation";
    let amelia = app
        .staff(&p, "Amelia Hughes", reception, Some(Role::Staff))
        .await;
    for n in ["Tom Bennett", "Fatima Begum", "Grace Oconnor"] {
        app.staff(&p, n, reception, None).await;
    }
    let sian = app
        .staff(&p, "Sian Williams", reception, Some(Role::Champion))
        .await;
    safetynet::with_db!(&app.db, pool => sqlx::query("UPDATE staff SET is_champion = TRUE WHERE id = $1")
        .bind(sian.staff_id).execute(pool).await.map(|_| ())).unwrap();
    let daniel = app.staff(&p, "Daniel Price", "Dispensary", None).await;
    app.staff(&p, "Olu Adeyemi", "Dispensary", None).await;
    (p, amelia, daniel)
}

storage_test!(
    the_dashboard_shows_the_practice_figures_and_keeps_small_groups_back,
    |app: TestApp| async move {
        let mut app = app;
        let (p, amelia, daniel) = riverside(&app).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;

        // Nothing recorded yet is said as such, not as 0.
        let home = unescape(&app.get_text("/").await);
        let this_week = home.find("This week").unwrap();
        let dashboard = home.find("How the practice is doing").unwrap();
        assert!(this_week < dashboard, "this week stays at the top");
        assert!(home.contains("No reports recorded yet"), "{home}");
        assert!(home.contains("No drills recorded yet"));
        assert!(home.contains("No exercise results yet"));
        assert!(home.contains("No devices recorded yet"));
        assert!(home.contains("No backups recorded yet"));
        assert!(!home.contains("0 reports in the last 12 months"));

        // Reports last month and this month: counted per month and per department.
        let now = app.clock.now();
        let last_month = now - 31 * 86_400;
        reports(&app, &p, &amelia, 2, last_month).await;
        reports(&app, &p, &amelia, 3, now).await;
        reports(&app, &p, &daniel, 1, now).await;
        let home = unescape(&app.get_text("/").await);
        assert!(home.contains("6 reports in the last 12 months"), "{home}");
        let cell = |label: String, n: i64| {
            format!(
                "<td class=\"nhsuk-table__cell\">{label}</td><td class=\"nhsuk-table__cell\">{n}</td>"
            )
        };
        assert!(home.contains(&cell(month_label(now), 4)), "{home}");
        assert!(home.contains(&cell(month_label(last_month), 2)));
        assert!(home.contains("<svg class=\"sn-chart\""));
        assert!(home.contains("Reception & care navigation: 5 reports"));
        // The dispensary has two people: its count is never shown.
        assert!(!home.contains("Dispensary: "), "{home}");
        assert!(
            home.contains("departments are not shown: fewer than 5 current staff."),
            "{home}"
        );

        // Training against the DSPT target, with the small department kept back.
        assert!(
            home.contains("0% of staff are trained this year (0 of 8); the DSPT target is 95%."),
            "{home}"
        );
        assert!(!home.contains("Dispensary</td><td class=\"nhsuk-table__cell\">0%"));
        // Champion coverage: reception has one; the dispensary and the manager's own have none.
        assert!(
            home.contains("2 of 3 departments without a cyber champion: Dispensary, Management."),
            "{home}"
        );

        // Two drills: too few to say how they went without pointing at someone.
        let drill = &safetynet::culture::library::library().drills[0];
        let mut tx = app.db.begin().await.unwrap();
        for who in [&amelia, &daniel] {
            use safetynet::culture::drills::{domain::Checked, repo};
            let run = repo::NewRun {
                drill_id: &drill.id,
                kind: drill.kind.as_str(),
                department_id: Some(who.department_id),
                run_at: now,
                run_by: p.manager_user_id,
            };
            let run_id = repo::insert_run(&mut tx, p.id, &run).await.unwrap();
            let result = Checked {
                staff_id: Some(who.staff_id.get()),
                department_id: Some(who.department_id),
                outcome: safetynet::culture::library::OutcomeKey::NeedsPractice,
                checks: String::new(),
                note: String::new(),
                praise_by_name: false,
            };
            repo::insert_outcome(&mut tx, p.id, run_id, &result, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let home = unescape(&app.get_text("/").await);
        assert!(home.contains(
            "2 drills in the last 12 months. How they went is shown once there are at least 5"
        ));
        assert!(!home.contains("Needs more practice"));

        // Every tile's link opens its page.
        let links: Vec<String> = home
            .split("<p class=\"nhsuk-body-s sn-tile-link\"><a href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect();
        assert_eq!(links.len(), 9, "{links:?}");
        for href in links {
            assert_eq!(app.get(&href).await.status(), 200, "{href}");
        }

        // Staff see none of it.
        app.sign_in(&amelia.email, &amelia.password, None).await;
        let home = app.get_text("/").await;
        assert!(!home.contains("How the practice is doing"));
    }
);

storage_test!(
    the_operator_sees_trends_with_no_one_named_and_no_small_practice,
    |app: TestApp| async move {
        let mut app = app;
        let (p, amelia, daniel) = riverside(&app).await;
        let now = app.clock.now();
        reports(&app, &p, &amelia, 3, now).await;
        reports(&app, &p, &daniel, 1, now).await;
        let tiny = app.practice("Hilltop Branch").await;
        let lone = app.staff(&tiny, "Priya Shah", "Clinical", None).await;
        reports(&app, &tiny, &lone, 2, now).await;

        app.sign_in_as_operator().await;
        let page = unescape(&app.get_text(&format!("/operator/practices/{}", p.id)).await);
        assert!(page.contains("<h2 id=\"dashboard\">Trends</h2>"), "{page}");
        assert!(page.contains("4 reports in the last 12 months"));
        assert!(page.contains("Reception & care navigation: 3 reports"));
        assert!(!page.contains("Dispensary: "), "small groups stay hidden");
        for name in ["Amelia", "Daniel", "Sian", "Tom Bennett"] {
            assert!(!page.contains(name), "no one is named: {name}");
        }
        assert!(
            !page.contains("href=\"/culture") && !page.contains("href=\"/training"),
            "no links into the practice"
        );

        // A practice smaller than the minimum group size shows no trends at all.
        let page = unescape(
            &app.get_text(&format!("/operator/practices/{}", tiny.id))
                .await,
        );
        assert!(
            page.contains("Trend figures are shown for practices with at least 5 current staff")
        );
        assert!(!page.contains("2 reports in the last 12 months"));
    }
);

/// A finished exercise to the people given, with who clicked and how long
/// each reporter took (seconds after sending), as sending and tracking leave it.
async fn finished_exercise(
    app: &TestApp,
    p: &Practice,
    (template_id, profile_id): (i64, i64),
    (name, launch_at): (&str, i64),
    people: &[crate::helpers::Person],
    clicked: usize,
    report_delays: &[i64],
) {
    let sent = people.len() as i64;
    let (id,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
        "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at, recipients, sent, clicked, reported) \
         VALUES ($1, $2, $3, $4, 'credentials', 'completed', $5, $5, $6, FALSE, $7, $5, $8, $8, $9, $10) RETURNING id")
        .bind(p.id).bind(name).bind(template_id).bind(profile_id).bind(launch_at).bind(launch_at + 14 * 86_400)
        .bind(p.manager_user_id).bind(sent).bind(clicked as i64).bind(report_delays.len() as i64)
        .fetch_one(pool).await).unwrap();
    for (i, who) in people.iter().enumerate() {
        let reported = report_delays.get(i).map(|d| launch_at + d);
        let clicked_at = (i < clicked).then_some(launch_at + 60);
        safetynet::with_db!(&app.db, pool => sqlx::query(
            "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, department_id, token, email, full_name, job_role, send_at, send_status, sent_at, clicked_at, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'Someone', 'Receptionist', $7, 'sent', $7, $8, $9)")
            .bind(id).bind(p.id).bind(who.staff_id).bind(who.department_id).bind(format!("tok-{id}-{i}"))
            .bind(&who.email).bind(launch_at).bind(clicked_at).bind(reported)
            .execute(pool).await.map(|_| ())).unwrap();
    }
}

storage_test!(
    the_exercise_tile_puts_reporting_first_and_leaves_out_small_exercises,
    |app: TestApp| async move {
        let mut app = app;
        let (p, template_id, profile_id) = crate::simulation::ready(&mut app).await;
        let mut people = Vec::new();
        for n in [
            "Amelia Hughes",
            "Tom Bennett",
            "Fatima Begum",
            "Grace Oconnor",
            "Sian Williams",
            "Daniel Price",
        ] {
            people.push(app.staff(&p, n, "Reception & care navigation", None).await);
        }
        let now = app.clock.now();
        let ids = (template_id, profile_id);
        finished_exercise(
            &app,
            &p,
            ids,
            ("Spring exercise", now - 40 * 86_400),
            &people,
            2,
            &[300, 600, 1200],
        )
        .await;
        // Sent to three people: below the minimum group size, so never shown.
        finished_exercise(
            &app,
            &p,
            ids,
            ("Tiny exercise", now - 10 * 86_400),
            &people[..3],
            1,
            &[60],
        )
        .await;

        let home = unescape(&app.get_text("/").await);
        assert!(
            home.contains("In the latest exercise, \"Spring exercise\", 50% reported the email and 33% clicked."),
            "{home}"
        );
        assert!(home
            .contains("Median time from sending to a report in the last 12 months: 10 minutes."));
        assert!(
            !home.contains("Tiny exercise"),
            "small exercises stay hidden"
        );
        assert!(home.contains("<td class=\"nhsuk-table__cell\">Spring exercise</td>"));
    }
);

/// How many reports, drill runs, meetings and meeting actions a practice has.
async fn culture_counts(app: &TestApp, id: safetynet::shared::PracticeId) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "suspicious_reports",
        "drill_runs",
        "meetings",
        "meeting_actions",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE practice_id = $1");
        out.push(app.count(&sql, id).await);
    }
    out
}

storage_test!(
    the_demo_practice_has_a_year_of_culture_on_its_dashboard_and_keeps_it,
    |app: TestApp| async move {
        let mut app = app;
        let now = app.clock.now();
        let login = safetynet::demo::seed(&app.db, now).await.unwrap();
        let id = safetynet::people::practices::find_by_name(&app.db, "Riverside Surgery")
            .await
            .unwrap()
            .unwrap();
        let first = culture_counts(&app, id).await;
        assert_eq!(first[0], 86, "twelve months of reports");
        assert_eq!(first[1], 24, "two drills a month");
        assert!(first[2] >= 11, "a meeting a month: {first:?}");

        // Running the demo again keeps the data and adds nothing.
        let again = safetynet::demo::seed(&app.db, now).await.unwrap();
        assert_eq!(culture_counts(&app, id).await, first);

        app.sign_in(&again.email, &again.password, Some(&again.totp_secret))
            .await;
        let home = unescape(&app.get_text("/").await);
        assert!(home.contains("86 reports in the last 12 months"), "{home}");
        assert!(home.contains("24 drill outcomes in the last 12 months"));
        assert!(home.contains("with a cyber minute in the last 12 months"));
        assert!(home.contains("of staff are trained this year"));
        assert!(login.created && !again.created);
    }
);

/// The demo's dashboard, with figures in every culture tile, on a desktop and a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_is_accessible_on_a_desktop_and_a_phone() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let login = safetynet::demo::seed(&app.db, app.clock.now())
        .await
        .unwrap();
    let manager = safetynet::auth::accounts::find_by_email(&app.db, &login.email)
        .await
        .unwrap()
        .unwrap();
    let p = Practice {
        id: manager.practice_id.unwrap(),
        domain: safetynet::demo::DOMAIN.into(),
        manager_email: login.email,
        password: login.password,
        totp: login.totp_secret,
        manager_user_id: manager.id,
    };
    sign_in_manager(&c, &app, &p).await;
    for (w, h, name) in [(1280, 1000, "desktop"), (390, 844, "phone")] {
        c.set_window_size(w, h).await.unwrap();
        c.goto(&app.url("/")).await.unwrap();
        wait_for_text(&c, "How the practice is doing").await;
        wait_for_text(&c, "86 reports in the last 12 months").await;
        assert_accessible(&c, &format!("dashboard on a {name}")).await;
    }
    c.close().await.unwrap();
}
