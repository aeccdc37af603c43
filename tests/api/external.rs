//! Results of an exercise run elsewhere (NHS England's simulated phishing
//! service on NHSmail): recorded, imported from an Excel CSV with a preview
//! and per-row errors, and counted in the practice's figures, the team
//! view, the clicker's follow-up, the person's own record and the
//! operator's figures; or entered as summary counts.

use crate::helpers::{location, unescape, TestApp};
use crate::storage_test;
use safetynet::auth::Role;

async fn upload(app: &TestApp, path: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("results.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn record(app: &TestApp, name: &str) -> String {
    let r = app
        .post(
            "/simulation/external",
            &[
                ("name", name),
                ("run_by", "nhs-england"),
                ("starts_on", "2026-11-03"),
                ("ends_on", "2026-11-10"),
                ("subject", "Your mailbox is almost full"),
                ("red_flags", "Urgent tone\nThe link went to an odd address"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    location(&r)
}

storage_test!(
    an_external_exercise_file_with_bad_rows_is_previewed_then_counted,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let reception = "Reception & care navigation";
        let ann = app
            .staff(&p, "Ann Hughes", reception, Some(Role::Staff))
            .await;
        let bob = app.staff(&p, "Bob Price", reception, None).await;
        let cara = app.staff(&p, "Cara Begum", reception, None).await;
        let dan = app.staff(&p, "Dan Bennett", reception, None).await;
        let eve = app.staff(&p, "Eve Grant", reception, None).await;
        let fay = app.staff(&p, "Fay Oconnor", "Clinical", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;

        // Every problem with the form is named beside its field; nothing is saved.
        let r = app
            .post(
                "/simulation/external",
                &[
                    ("name", ""),
                    ("starts_on", "2026-11-10"),
                    ("ends_on", "2026-11-03"),
                ],
            )
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Enter a name for the exercise"), "{page}");
        assert!(page.contains("Choose who ran the exercise"));
        assert!(page.contains("The end date must be on or after the start date"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM external_exercises WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        let exercise = record(&app, "NHSmail exercise, November").await;
        let shown = unescape(&app.get_text(&exercise).await);
        assert!(shown.contains("NHS England's simulated phishing service"));
        assert!(shown.contains("The link went to an odd address"));

        // Excel's "CSV UTF-8": a byte-order mark, its own headings, CRLF.
        let csv = format!(
            "\u{feff}E-mail Address , Delivered,OPENED,Clicked,Submitted,Reported\r\n\
             {},yes,yes,2026-11-03 09:15,,no\r\n\
             {},yes,yes,no,no,2026-11-03 09:20\r\n\
             {},yes,,,,yes\r\n\
             {},yes,yes,yes,yes,\r\n\
             {},yes,no,no,no,no\r\n\
             someone@elsewhere.example,yes,yes,yes,,\r\n\
             {},yes,yes,maybe,,\r\n",
            ann.email.to_uppercase(),
            bob.email,
            cara.email,
            dan.email,
            eve.email,
            fay.email
        );
        let path = format!("{exercise}/results");
        let r = upload(&app, &path, csv.clone().into_bytes()).await;
        assert_eq!(r.status(), 303);
        let preview_path = location(&r);
        let preview = unescape(&app.get_text(&preview_path).await);
        assert!(
            preview.contains("<strong>5</strong> rows are ready to import")
                && preview.contains("<strong>2</strong> rows have problems"),
            "{preview}"
        );
        assert!(preview.contains("Email: someone@elsewhere.example is not one of your staff"));
        assert!(preview.contains(
            "Clicked: \"maybe\" is not something we understand. Use yes, no, or a date and time"
        ), "{preview}");
        let results = "SELECT COUNT(*) FROM external_results WHERE practice_id = $1";
        assert_eq!(
            app.count(results, p.id).await,
            0,
            "nothing saved before choosing"
        );
        // "All" with bad rows imports nothing.
        let r = app.post(&preview_path, &[("action", "all")]).await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("nothing has been imported"));
        assert_eq!(app.count(results, p.id).await, 0);

        let r = app.post(&preview_path, &[("action", "good")]).await;
        assert_eq!(location(&r), format!("{exercise}?done=imported-5"));
        assert_eq!(app.count(results, p.id).await, 5);
        let follow_ups = "SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1 AND module = 'phishing' AND reason LIKE 'Follow-up to the practice phishing exercise%'";
        assert_eq!(app.count(follow_ups, p.id).await, 2, "Ann and Dan clicked");
        assert_eq!(
            app.post(&preview_path, &[("action", "good")])
                .await
                .status(),
            400,
            "a preview is imported once"
        );

        // The same file again changes nothing and gives no second follow-up.
        let r = upload(&app, &path, csv.into_bytes()).await;
        let again = location(&r);
        app.post(&again, &[("action", "good")]).await;
        assert_eq!(app.count(results, p.id).await, 5);
        assert_eq!(app.count(follow_ups, p.id).await, 2);

        // The practice's figures: 5 received, 2 reported (Bob, Cara), 2 clicked (Ann, Dan).
        let shown = unescape(&app.get_text(&exercise).await);
        assert!(shown.contains("5 received it. <strong>40% reported it</strong> (2); 40% clicked (2), 1 entered details"), "{shown}");
        // Reception (5 people) is shown; Clinical had no good row.
        assert!(shown.contains("<td class=\"nhsuk-table__cell\">Reception & care navigation</td><td class=\"nhsuk-table__cell\">5</td>"), "{shown}");
        let list = unescape(&app.get_text("/simulation").await);
        assert!(list.contains("NHSmail exercise, November") && list.contains("40%"));
        assert!(
            app.audit_actions(p.id)
                .await
                .iter()
                .filter(|a| *a == "simulation.external_changed")
                .count()
                >= 3
        );

        // Ann's own record: the exercise, kindly put, and her refresher to do.
        app.client = crate::helpers::new_client();
        app.sign_in(&ann.email, &ann.password, None).await;
        let mine = unescape(&app.get_text("/my/exercises").await);
        assert!(mine.contains("NHSmail exercise, November"), "{mine}");
        assert!(mine.contains("It happens to everyone"));
        assert!(mine.contains("– to do"));
        // Staff cannot see the manager's pages.
        assert_eq!(app.get(&exercise).await.status(), 403);
    }
);

storage_test!(
    summary_counts_are_checked_and_count_in_the_practice_and_operator_figures,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        for n in [
            "Ann Hughes",
            "Bob Price",
            "Cara Begum",
            "Dan Bennett",
            "Eve Grant",
        ] {
            app.staff(&p, n, "Reception & care navigation", None).await;
        }
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let exercise = record(&app, "Summary only").await;
        let summary = format!("{exercise}/summary");
        let r = app
            .post(
                &summary,
                &[
                    ("sent", "20"),
                    ("opened", "8"),
                    ("clicked", "25"),
                    ("submitted", "1"),
                    ("reported", "lots"),
                ],
            )
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(
            page.contains("More cannot have clicked than were sent the email (20)"),
            "{page}"
        );
        assert!(page.contains("Enter how many reported it as a whole number"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM external_exercises WHERE practice_id = $1 AND source = 'summary'", p.id).await,
            0
        );
        let r = app
            .post(
                &summary,
                &[
                    ("sent", "20"),
                    ("opened", "8"),
                    ("clicked", "4"),
                    ("submitted", "1"),
                    ("reported", "5"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let shown = unescape(&app.get_text(&exercise).await);
        assert!(
            shown.contains("20 received it. <strong>25% reported it</strong> (5); 20% clicked (4)"),
            "{shown}"
        );
        assert!(shown.contains("summary counts"));
        // It is DSPT evidence that staff report what they are sent (practice totals only).
        let item = unescape(&app.get_text("/dspt/items/6.1.1").await);
        assert!(
            item.contains("1 phishing exercise in the last 12 months (all run elsewhere, such as NHS England's service)"),
            "{item}"
        );
        assert!(item.contains("25% of the 20 emails were reported."));
        // And on the manager's dashboard, like an exercise sent from here.
        let home = unescape(&app.get_text("/").await);
        assert!(
            home.contains(
                "In the latest exercise, \"Summary only\", 25% reported the email and 20% clicked."
            ),
            "{home}"
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM external_results WHERE practice_id = $1",
                p.id
            )
            .await,
            0,
            "no people from a summary"
        );

        // Deleting asks first, and is audit-logged.
        let other = record(&app, "Recorded by mistake").await;
        let delete = format!("{other}/delete");
        let ask = app.post(&delete, &[]).await;
        assert!(ask.text().await.unwrap().contains("Yes, delete it"));
        let r = app.post(&delete, &[("confirm", "yes")]).await;
        assert_eq!(location(&r), "/simulation/external");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM external_exercises WHERE practice_id = $1",
                p.id
            )
            .await,
            1
        );
        app.client = crate::helpers::new_client();
        app.sign_in_as_operator().await;
        let list = unescape(&app.get_text("/operator").await);
        assert!(
            list.contains("25% reported, 20% clicked (20 emails)"),
            "{list}"
        );
    }
);

/// axe-core finds nothing on the external-exercise pages in every state a
/// manager meets: the list, the form with its errors, the exercise, the
/// preview of a file with a bad row, and the exercise with its results.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_external_exercise_pages_are_accessible() {
    use crate::browser::{
        assert_accessible, fill, sign_in_manager, start_browser, submit, wait_for_text,
    };
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    let ann = app
        .staff(
            &p,
            "Ann Hughes",
            "Reception & care navigation",
            Some(Role::Staff),
        )
        .await;
    sign_in_manager(&c, &app, &p).await;
    c.goto(&app.url("/simulation/external")).await.unwrap();
    wait_for_text(&c, "Record an exercise").await;
    assert_accessible(&c, "exercises run elsewhere").await;
    submit(
        &c,
        "main form[action='/simulation/external'] button[type=submit]",
    )
    .await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "exercises run elsewhere with errors").await;

    fill(&c, "name", "NHSmail exercise, November").await;
    c.find(fantoccini::Locator::Id("run_by-nhs-england"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.execute(
        "document.getElementById('starts_on').value = '2026-11-03'; document.getElementById('ends_on').value = '2026-11-10';",
        vec![],
    )
    .await
    .unwrap();
    submit(
        &c,
        "main form[action='/simulation/external'] button[type=submit]",
    )
    .await;
    wait_for_text(&c, "Import each person's results").await;
    assert_accessible(&c, "an exercise run elsewhere, no results yet").await;

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("results.csv");
    std::fs::write(
        &csv,
        format!(
            "\u{feff}Email,Clicked,Reported\r\n{},no,yes\r\nstranger@elsewhere.example,yes,no\r\n",
            ann.email
        ),
    )
    .unwrap();
    c.find(fantoccini::Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    submit(
        &c,
        "form[enctype='multipart/form-data'] button[type=submit]",
    )
    .await;
    wait_for_text(&c, "Import only the 1 good rows").await;
    assert_accessible(&c, "the preview of a results file with a bad row").await;
    submit(&c, "button[name=action][value=good]").await;
    wait_for_text(&c, "100% reported it").await;
    assert_accessible(&c, "an exercise run elsewhere with its results").await;
    c.close().await.unwrap();
}
