//! The practice manager's Monday (issue 13): figures that agree with each
//! other and with the person (one meaning of "trained", nobody overdue on
//! their first day, one reminder email, small groups and cancelled exercises
//! left out, empty meaning "not known"), in a real browser where a person
//! would see them, with axe-core on every page and state touched.

use fantoccini::Locator;

use crate::browser::{
    assert_accessible, fill, sign_in_manager, start_browser, submit, wait_for_text,
};
use crate::helpers::{Backend, Options, TestApp};

/// A new receptionist's first day: the manager adds her (she started a month
/// ago) and invites her; she passes one module before the training rules
/// run; her induction is then due in the future, the module she passed is not
/// listed as to do, and a week before the due date one reminder email lists
/// everything left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_receptionists_first_day() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    let today = safetynet::ukclock::local_date(app.clock.now());
    let started = today - time::Duration::days(33);
    sign_in_manager(&c, &app, &p).await;

    // The manager adds Nina, who started 33 days ago, and invites her.
    c.goto(&app.url("/staff/new")).await.unwrap();
    fill(&c, "full_name", "Nina Newstarter").await;
    fill(&c, "email", &format!("nina.newstarter@{}", p.domain)).await;
    fill(&c, "job_role", "Receptionist").await;
    c.find(Locator::Css("#department_id option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let fmt = time::macros::format_description!("[day]/[month]/[year]");
    fill(&c, "start_date", &started.format(fmt).unwrap()).await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Nina Newstarter").await;
    let (nina_id,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
        "SELECT id FROM staff WHERE practice_id = $1 AND full_name = 'Nina Newstarter'")
        .bind(p.id).fetch_one(pool).await)
    .unwrap();
    c.goto(&app.url(&format!("/staff/{nina_id}")))
        .await
        .unwrap();
    submit(
        &c,
        &format!("form[action='/staff/{nina_id}/invite'] button"),
    )
    .await;
    wait_for_text(&c, "Invitation sent").await;
    assert_accessible(&c, "staff member after an invitation").await;
    app.deliver_outbox().await;
    let sink = app.smtp.as_ref().unwrap();
    let invitation = sink.link_sent_to(&format!("nina.newstarter@{}", p.domain), "/invitation/");

    // Nina accepts, chooses a password and passes the phishing module at once.
    c.delete_all_cookies().await.unwrap();
    c.goto(&invitation).await.unwrap();
    fill(&c, "password", "harbour lantern pebble").await;
    fill(&c, "confirm", "harbour lantern pebble").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Your training").await;
    let home = c.source().await.unwrap();
    assert!(
        !home.contains("You are up to date") && !home.contains("Your training is up to date"),
        "nothing done yet is not up to date"
    );
    c.goto(&app.url("/training/modules/phishing/quiz"))
        .await
        .unwrap();
    submit(&c, "main form button[type=submit]").await;
    let page = wait_for_text(&c, "Check my answers").await;
    let m = safetynet::training::content::catalogue()
        .module("phishing")
        .unwrap();
    let mut ids = Vec::new();
    for part in page.split("name=\"q-").skip(1) {
        let id = part.split('"').next().unwrap().to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in &ids {
        let answer = m.quiz.question(id).unwrap().answer;
        c.find(Locator::Id(&format!("q-{id}-{answer}")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "you passed").await;

    // Ten minutes later the training rules run.
    app.clock.advance(600);
    safetynet::training::assignments::run(&app.state)
        .await
        .unwrap();
    let reception = safetynet::training::content::catalogue()
        .role("reception")
        .unwrap()
        .modules
        .clone();
    let due_day = today + time::Duration::days(28);
    c.goto(&app.url("/training")).await.unwrap();
    let page = wait_for_text(&c, "Induction for new starters").await;
    assert_accessible(&c, "a new starter's training").await;
    let to_do = page
        .split("<h2>To do</h2>")
        .nth(1)
        .and_then(|s| s.split("<h2>Completed</h2>").next())
        .unwrap();
    assert!(!to_do.contains("Overdue"), "nothing overdue on day one");
    assert!(
        !to_do.contains("/training/modules/phishing\""),
        "the module she passed is not to do again"
    );
    assert_eq!(
        to_do.matches("due ").count(),
        reception.len() - 1,
        "{to_do}"
    );
    assert!(to_do.contains(&format!("due {}", safetynet::ukclock::day(due_day))));

    // Nina reports a near miss from the Incidents page (item 11).
    c.goto(&app.url("/resilience/incidents")).await.unwrap();
    c.find(Locator::LinkText(
        "Report something that happened or nearly happened",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_for_text(&c, "Report an incident or near miss").await;
    assert_accessible(&c, "report an incident or near miss").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "report form with mistakes").await;
    fill(
        &c,
        "what",
        "A man in a hi-vis jacket asked to plug a laptop into reception's network",
    )
    .await;
    fill(&c, "happened", "this morning about 9").await;
    submit(&c, "main form button[type=submit]").await;
    let page = wait_for_text(&c, "Thank you for reporting it").await;
    assert!(page.contains("hi-vis jacket"));
    assert_accessible(&c, "after reporting a near miss").await;

    // No reminder yet; a week before the due date, one email listing the rest.
    app.deliver_outbox().await;
    let to_nina = |sink: &crate::helpers::SmtpSink| -> Vec<String> {
        sink.messages()
            .into_iter()
            .filter(|m| m.contains("Training reminder") || m.contains("Training due"))
            .map(|m| {
                m.replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    };
    assert!(to_nina(sink).is_empty());
    let due = safetynet::ukclock::end_of_day(due_day);
    app.clock.advance(due - app.clock.now() - 6 * 86_400);
    safetynet::training::assignments::run(&app.state)
        .await
        .unwrap();
    safetynet::training::assignments::run(&app.state)
        .await
        .unwrap();
    app.deliver_outbox().await;
    let reminders = to_nina(sink);
    assert_eq!(reminders.len(), 1, "one email, not one per module");
    let email = &reminders[0];
    assert!(email.contains(&format!(
        "Training reminder: {} short modules",
        reception.len() - 1
    )));
    for module in reception.iter().filter(|m| *m != "phishing") {
        assert!(
            email.contains(&format!("/training/modules/{module}")),
            "{module} listed: {email}"
        );
    }
    assert!(!email.contains("/training/modules/phishing"));

    c.close().await.unwrap();
}

use safetynet::shared::StaffId;

use crate::helpers::unescape;
use crate::storage_test;

/// Records every module as completed at `at` for this person (their
/// curriculum, whatever it is, is then done).
async fn complete_everything(
    app: &TestApp,
    practice_id: safetynet::shared::PracticeId,
    staff_id: StaffId,
    at: i64,
) {
    let mut tx = app.db.begin().await.unwrap();
    for m in &safetynet::training::content::catalogue().modules {
        safetynet::training::record_completed(&mut tx, practice_id, staff_id, m.slug, at, 600)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

storage_test!(
    staff_home_manager_operator_and_digest_agree_on_who_is_trained,
    |mut app: TestApp| async move {
        // Monday 1 March 2027, 09:00 UK time: the round-up goes out.
        let monday = time::macros::datetime!(2027-03-01 09:00 UTC).unix_timestamp();
        app.clock.advance(monday - app.clock.now());
        let p = app.practice("Riverside").await;
        let role = Some(safetynet::auth::Role::Staff);
        let ann = app
            .staff(&p, "Ann Able", "Reception & care navigation", role)
            .await;
        let ben = app
            .staff(&p, "Ben Bright", "Reception & care navigation", None)
            .await;
        let cat = app
            .staff(&p, "Cat Cole", "Reception & care navigation", role)
            .await;
        let dan = app
            .staff(&p, "Dan Dale", "Reception & care navigation", None)
            .await;
        let now = app.clock.now();
        // Ann and Ben did everything in the last year; Dan one module; Cat
        // nothing, and nothing has been assigned to her yet.
        complete_everything(&app, p.id, ann.staff_id, now - 30 * 86_400).await;
        complete_everything(&app, p.id, ben.staff_id, now - 200 * 86_400).await;
        let mut tx = app.db.begin().await.unwrap();
        safetynet::training::record_completed(
            &mut tx,
            p.id,
            dan.staff_id,
            "phishing",
            now - 86_400,
            600,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // Dan did everything over two years ago: that no longer counts.
        complete_everything(&app, p.id, dan.staff_id, now - 800 * 86_400).await;

        // The one function.
        let db = &app.db.clone();
        for (who, trained) in [(&ann, true), (&ben, true), (&cat, false), (&dan, false)] {
            assert_eq!(
                safetynet::training::is_up_to_date(db, p.id, who.staff_id, now)
                    .await
                    .unwrap(),
                trained
            );
        }
        assert_eq!(
            safetynet::training::trained_count(db, p.id, now)
                .await
                .unwrap(),
            (2, 5)
        );

        // The staff home, for someone trained and for someone with nothing assigned.
        app.sign_in(&ann.email, &ann.password, None).await;
        assert!(unescape(&app.get_text("/").await).contains("Your training is up to date"));
        app.sign_in(&cat.email, &cat.password, None).await;
        let home = unescape(&app.get_text("/").await);
        assert!(!home.contains("up to date"), "{home}");
        assert!(home.contains("your role needs this year are still to do"));
        let training = unescape(&app.get_text("/training").await);
        assert!(training.contains("Still needed this year for this role"));
        assert!(!training.contains("Nothing to do right now"));

        // The manager's home and compliance view: 2 of 5 (the manager too).
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert!(unescape(&app.get_text("/").await)
            .contains("<strong>40%</strong> of staff are trained"));
        let manage = unescape(&app.get_text("/training/manage").await);
        assert!(manage.contains("40% of staff trained"));
        assert!(manage.contains("2 of 5 staff"));

        // The weekly round-up.
        safetynet::training::assignments::run(&app.state)
            .await
            .unwrap();
        let (body,): (String,) = safetynet::with_db!(db, pool => sqlx::query_as(
            "SELECT body_text FROM outbox WHERE kind = 'training-digest' AND to_addr = $1")
            .bind(&p.manager_email).fetch_one(pool).await)
        .unwrap();
        assert!(
            body.contains("Trained in the last 12 months: 2 of 5 staff (40%"),
            "{body}"
        );

        // The operator: the same 40%; two-step verification for 3 accounts is
        // not shown (fewer than the minimum group of 5).
        app.sign_in_as_operator().await;
        let list = unescape(&app.get_text("/operator").await);
        assert!(list.contains("40%"), "{list}");
        assert!(list.contains("Not shown: fewer than 5 accounts"));
        assert!(!list.contains("33%"));
        let one = unescape(&app.get_text(&format!("/operator/practices/{}", p.id)).await);
        assert!(one.contains("40%"));
        assert!(one.contains("Not shown: fewer than 5 accounts"));
    }
);

/// The manager's Monday in a browser: the "this week" list says what is
/// missing rather than "0"; after an import one button invites everyone
/// without an account, after a confirmation with the count; marking someone
/// as left asks first. axe-core on every page and state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_sees_this_week_invites_everyone_and_is_asked_before_a_leaver() {
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    let now = app.clock.now();
    safetynet::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO cyber_alerts (practice_id, reference, title, severity, received_at, applicability, action_owner, created_at, updated_at) \
         VALUES ($1, 'CC-4567', 'Critical vulnerability in a VPN appliance', 'high', $2, 'not_assessed', 'icb', 0, 0)")
        .bind(p.id).bind(now - 3 * 86_400).execute(pool).await.map(|_| ())).unwrap();
    sign_in_manager(&c, &app, &p).await;

    // This week: nothing recorded is said as such, each a link.
    c.goto(&app.url("/")).await.unwrap();
    let home = wait_for_text(&c, "This week").await;
    assert!(home.contains("No backups recorded yet"));
    assert!(home.contains("No devices recorded yet"));
    assert!(home.contains("1 cyber alert to acknowledge (1 past 48 hours)"));
    assert!(home.find("This week") < home.find("Your practice at a glance"));
    assert_accessible(&c, "manager's home with this week").await;
    c.goto(&app.url("/resilience")).await.unwrap();
    let overview = wait_for_text(&c, "What needs attention").await;
    assert!(overview.contains("Not known"));
    assert!(overview.contains("no backups recorded yet"));
    assert!(!overview.contains(
        ">0</td><td class=\"nhsuk-table__cell\"><a href=\"/resilience/backups\">backups overdue"
    ));
    assert_accessible(&c, "resilience overview with nothing recorded").await;

    // Import two people; the list offers to invite them both.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("staff.csv");
    std::fs::write(&file, format!("Name,Email,Job role,Department\r\nAmelia Hughes,amelia.hughes@{d},Receptionist,Reception & care navigation\r\nGareth Lloyd,gareth.lloyd@{d},Dispenser,Dispensary\r\n", d = p.domain)).unwrap();
    c.goto(&app.url("/staff/import")).await.unwrap();
    c.find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    submit(&c, "main button[type=submit]").await;
    wait_for_text(&c, "Import 2").await;
    submit(&c, "button[value=all]").await;
    wait_for_text(&c, "2 staff imported").await;
    wait_for_text(&c, "Invite everyone without an account (2)").await;
    assert_accessible(&c, "staff list after an import").await;
    submit(&c, "#invite-all button").await;
    wait_for_text(&c, "Invite 2 people to Safety Net?").await;
    assert_accessible(&c, "confirm inviting everyone").await;
    app.deliver_outbox().await;
    assert!(
        app.smtp.as_ref().unwrap().messages().is_empty(),
        "nothing is sent before the manager says yes"
    );
    submit(&c, "main form button[type=submit]").await;
    let list = wait_for_text(&c, "2 invitations sent.").await;
    assert!(!list.contains("Invite everyone without an account"));
    assert!(list.find("nhsuk-notification-banner") < list.find("<h1>Staff</h1>"));
    assert_accessible(&c, "staff list after inviting everyone").await;
    app.deliver_outbox().await;
    let sink = app.smtp.as_ref().unwrap();
    sink.link_sent_to(&format!("amelia.hughes@{}", p.domain), "/invitation/");
    sink.link_sent_to(&format!("gareth.lloyd@{}", p.domain), "/invitation/");

    // Marking Gareth as left asks first; "No, go back" changes nothing.
    let (gareth,): (i64,) = safetynet::with_db!(&app.db, pool => sqlx::query_as(
        "SELECT id FROM staff WHERE practice_id = $1 AND full_name = 'Gareth Lloyd'")
        .bind(p.id).fetch_one(pool).await)
    .unwrap();
    c.goto(&app.url(&format!("/staff/{gareth}"))).await.unwrap();
    submit(&c, &format!("form[action='/staff/{gareth}/leave'] button")).await;
    wait_for_text(&c, "Mark Gareth Lloyd as left the practice?").await;
    assert_accessible(&c, "confirm a leaver").await;
    c.find(Locator::LinkText("No, go back"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "Leaving the practice").await;
    c.goto(&app.url("/staff")).await.unwrap();
    assert!(wait_for_text(&c, "Gareth Lloyd")
        .await
        .contains("Gareth Lloyd"));
    c.goto(&app.url(&format!("/staff/{gareth}"))).await.unwrap();
    submit(&c, &format!("form[action='/staff/{gareth}/leave'] button")).await;
    wait_for_text(&c, "Mark Gareth Lloyd as left the practice?").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Marked as left").await;
    assert_accessible(&c, "staff list after a leaver").await;
    c.close().await.unwrap();
}

storage_test!(
    removing_a_champion_giving_manager_access_and_cancelling_ask_first,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let tom = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(safetynet::auth::Role::Staff),
            )
            .await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let champion = format!("/staff/{}/champion", tom.staff_id);
        let r = app.post(&champion, &[("champion", "yes")]).await;
        assert_eq!(r.status(), 303, "making a champion needs no second step");
        let r = app.post(&champion, &[("champion", "no")]).await;
        assert_eq!(r.status(), 200);
        assert!(
            unescape(&r.text().await.unwrap()).contains("Stop Tom Bennett being a cyber champion?")
        );
        let still: i64 = app
            .count(
                "SELECT COUNT(*) FROM staff WHERE id = $1 AND is_champion",
                tom.staff_id.get(),
            )
            .await;
        assert_eq!(still, 1);
        let r = app
            .post(&champion, &[("champion", "no"), ("confirm", "yes")])
            .await;
        assert_eq!(
            crate::helpers::location(&r),
            format!("/staff/{}?done=champion", tom.staff_id)
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM staff WHERE id = $1 AND is_champion",
                tom.staff_id.get()
            )
            .await,
            0
        );

        let manager = format!("/staff/{}/manager", tom.staff_id);
        let r = app.post(&manager, &[("manager", "yes")]).await;
        assert!(unescape(&r.text().await.unwrap())
            .contains("Give Tom Bennett practice manager access?"));
        let managers = "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND role = 'manager'";
        assert_eq!(app.count(managers, p.id).await, 1);
        let r = app
            .post(&manager, &[("manager", "yes"), ("confirm", "yes")])
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(app.count(managers, p.id).await, 2);
        let page = unescape(
            &app.get_text(&format!("/staff/{}?done=role", tom.staff_id))
                .await,
        );
        assert!(page.contains("Account access updated."));
    }
);

storage_test!(
    anyone_reports_a_near_miss_and_the_manager_and_champion_hear_at_once,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let role = Some(safetynet::auth::Role::Staff);
        let tom = app
            .staff(&p, "Tom Bennett", "Reception & care navigation", role)
            .await;
        let cat = app
            .staff(&p, "Cat Cole", "Reception & care navigation", None)
            .await;
        let gp = app.staff(&p, "Gail Price", "Clinical", role).await;
        safetynet::with_db!(&app.db, pool => sqlx::query("UPDATE staff SET is_champion = TRUE WHERE id = $1")
            .bind(cat.staff_id).execute(pool).await.map(|_| ())).unwrap();
        app.sign_in(&tom.email, &tom.password, None).await;
        let incidents = unescape(&app.get_text("/resilience/incidents").await);
        assert!(
            incidents.contains("/resilience/incidents/report"),
            "the Incidents page links to the form"
        );

        // Nothing written: what to fix, and nothing kept.
        let r = app
            .post(
                "/resilience/incidents/report",
                &[("what", " "), ("happened", ""), ("done_already", "")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Say what happened, or nearly happened"));
        assert!(page.contains("Say when it happened"));
        let r = app
            .post(
                "/resilience/incidents/report",
                &[
                    ("what", "I clicked a link in a parcel email, then closed it"),
                    ("happened", ""),
                    ("done_already", ""),
                ],
            )
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(
            page.contains("I clicked a link in a parcel email, then closed it"),
            "what was typed is kept"
        );

        let r = app
            .post(
                "/resilience/incidents/report",
                &[
                    ("what", "I clicked a link in a parcel email, then closed it"),
                    ("happened", "this morning about 10"),
                    ("done_already", "I changed my password"),
                ],
            )
            .await;
        assert_eq!(
            crate::helpers::location(&r),
            "/resilience/incidents/report?done=sent"
        );
        let mine = unescape(&app.get_text("/resilience/incidents/report?done=sent").await);
        assert!(mine.contains("Thank you for reporting it"));
        assert!(mine.contains("I clicked a link in a parcel email"));
        assert!(mine.contains("I changed my password"));

        // The manager and Reception's champion are emailed; Gail (Clinical) is not.
        let to: Vec<(String,)> = safetynet::with_db!(&app.db, pool => sqlx::query_as(
            "SELECT to_addr FROM outbox WHERE kind = 'incident-report' ORDER BY to_addr")
            .fetch_all(pool).await)
        .unwrap();
        let to: Vec<String> = to.into_iter().map(|t| t.0).collect();
        assert_eq!(to, [cat.email.clone(), p.manager_email.clone()]);
        assert!(!to.contains(&gp.email));

        // The champion's page (issue 14) lists the department's reports.
        let scope = safetynet::auth::system_scope_for(p.id, "test");
        let reports = safetynet::resilience::incidents::near_misses_for_department(
            &app.db,
            &scope,
            tom.department_id,
            10,
        )
        .await
        .unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].reporter_name, "Tom Bennett");
        assert!(
            safetynet::resilience::incidents::near_misses_for_department(
                &app.db,
                &scope,
                gp.department_id,
                10
            )
            .await
            .unwrap()
            .is_empty()
        );

        // Gail sees only her own reports.
        app.sign_in(&gp.email, &gp.password, None).await;
        let hers = unescape(&app.get_text("/resilience/incidents/report").await);
        assert!(hers.contains("You have not reported anything yet"));
        assert!(!hers.contains("parcel email"));
    }
);
