//! Practice managers looking after staff, departments and champions;
//! operators creating practices.

use crate::helpers::{location, Backend, Options, TestApp};
use crate::storage_test;
use safetynet::auth::Role;

storage_test!(
    a_manager_adds_a_staff_member_and_sees_errors_beside_the_fields,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let form = app.get_text("/staff/new").await;
        let dept = regex_lite::Regex::new(r#"<option value="(\d+)">Clinical</option>"#)
            .unwrap()
            .captures(&form)
            .unwrap()[1]
            .to_string();
        let bad = app
            .post(
                "/staff/new",
                &[
                    ("full_name", ""),
                    ("email", "emma.walsh@nhs"),
                    ("job_role", "Practice nurse"),
                    ("department_id", &dept),
                    ("start_date", "31/02/2025"),
                ],
            )
            .await;
        assert_eq!(bad.status(), 200);
        let page = bad.text().await.unwrap();
        assert!(page.contains("There is a problem"));
        assert!(
            page.contains(r#"id="full_name-error""#),
            "error beside the name"
        );
        assert!(
            page.contains(r#"id="email-error""#),
            "error beside the email"
        );
        assert!(
            page.contains(r#"id="start_date-error""#),
            "error beside the date"
        );
        assert!(page.contains("Practice nurse"), "what was typed is kept");
        let ok = app
            .post(
                "/staff/new",
                &[
                    ("full_name", "Emma Walsh"),
                    ("email", "Emma.Walsh@NHS.net"),
                    ("job_role", "Practice nurse"),
                    ("department_id", &dept),
                    ("start_date", "03/09/2024"),
                    ("employment_type", "locum"),
                ],
            )
            .await;
        assert_eq!(location(&ok), "/staff?done=added");
        let list = app.get_text("/staff?done=added").await;
        assert!(list.contains("Staff member added"));
        assert!(
            list.contains("Emma Walsh")
                && list.contains("emma.walsh@nhs.net")
                && list.contains("Locum")
        );
        let dup = app
            .post(
                "/staff/new",
                &[
                    ("full_name", "Emma W"),
                    ("email", "emma.walsh@nhs.net"),
                    ("job_role", "Nurse"),
                    ("department_id", &dept),
                ],
            )
            .await;
        assert!(dup
            .text()
            .await
            .unwrap()
            .contains("is already on the staff list"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"staff.added".to_string()));
    }
);

storage_test!(
    champions_are_marked_per_department_and_their_role_follows,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let fatima = app
            .staff(
                &p,
                "Fatima Begum",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .post(
                &format!("/staff/{}/champion", fatima.staff_id),
                &[("champion", "yes")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let role = app
            .count(
                "SELECT COUNT(*) FROM users WHERE practice_id = $1 AND role = 'champion'",
                p.id,
            )
            .await;
        assert_eq!(role, 1, "her account is now a champion's");
        let depts = app.get_text("/departments").await;
        assert!(
            depts.contains("Fatima Begum"),
            "shown as Reception's champion"
        );
        // Everyone at the practice can see who the champions are.
        app.sign_in(&fatima.email, &fatima.password, None).await;
        let home = app.get_text("/").await;
        assert!(home.contains("Your cyber champions") && home.contains("Fatima Begum"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"role.changed".to_string()));
    }
);

storage_test!(
    a_leaver_is_deactivated_at_once_and_their_history_is_kept,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let tom = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&tom.email, &tom.password, None).await;
        let toms_session = app.client.clone();
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        // The button asks first; nothing changes until the manager says yes.
        let r = app
            .post(&format!("/staff/{}/leave", tom.staff_id), &[])
            .await;
        assert_eq!(r.status(), 200);
        let ask = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(ask.contains("Mark Tom Bennett as left the practice?"));
        assert!(app.get_text("/staff").await.contains("Tom Bennett"));
        let r = app
            .post(
                &format!("/staff/{}/leave", tom.staff_id),
                &[("confirm", "yes")],
            )
            .await;
        assert_eq!(location(&r), "/staff?done=left");
        assert!(
            !app.get_text("/staff").await.contains("Tom Bennett"),
            "not among current staff"
        );
        assert!(
            app.get_text("/staff?status=left")
                .await
                .contains("Tom Bennett"),
            "but kept, under people who have left"
        );
        let r = toms_session.get(app.url("/")).send().await.unwrap();
        assert_eq!(location(&r), "/sign-in", "his open session ended");
        let r = app
            .client
            .post(app.url("/sign-in"))
            .form(&[("email", &tom.email), ("password", &tom.password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "he cannot sign in");
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"staff.left".to_string()));
        // Coming back restores the account.
        app.post(&format!("/staff/{}/reinstate", tom.staff_id), &[])
            .await;
        app.sign_in(&tom.email, &tom.password, None).await;
    }
);

storage_test!(
    departments_can_be_added_renamed_and_removed_only_when_empty,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let person = app.staff(&p, "Nia Roberts", "Dispensary", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .post("/departments", &[("name", "Community team")])
            .await;
        assert_eq!(location(&r), "/departments");
        let dup = app
            .post("/departments", &[("name", "Community team")])
            .await
            .text()
            .await
            .unwrap();
        assert!(dup.contains("There is already a department called Community team"));
        let blank = app
            .post("/departments", &[("name", "  ")])
            .await
            .text()
            .await
            .unwrap();
        assert!(blank.contains(r#"id="name-error""#));
        let r = app
            .post(
                &format!("/departments/{}/delete", person.department_id),
                &[],
            )
            .await;
        assert_eq!(r.status(), 400, "a department with people in it stays");
        let r = app
            .post(
                &format!("/departments/{}/rename", person.department_id),
                &[("name", "Pharmacy & dispensary")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = app.get_text("/departments").await;
        assert!(page.contains("Pharmacy & dispensary"), "{page}");
    }
);

storage_test!(
    the_staff_list_exports_as_csv_excel_can_open_safely,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.staff(&p, "Siân O'Brien", "Clinical", None).await;
        app.staff(&p, "=HYPERLINK(evil)", "Clinical", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app.get("/staff/export.csv").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("staff.csv"));
        let bytes = r.bytes().await.unwrap();
        assert_eq!(
            &bytes[..3],
            &[0xEF, 0xBB, 0xBF],
            "starts with a BOM so Excel reads UTF-8"
        );
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("Name,Email,Job role,Department"));
        assert!(text.contains("Siân O'Brien"));
        assert!(text.contains("'=HYPERLINK(evil)"), "formulas are defused");
        assert!(!text.contains(",=HYPERLINK"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"staff.exported".to_string()));
    }
);

storage_test!(
    the_audit_log_can_be_filtered_by_what_happened_and_who,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.post(
            "/sign-in",
            &[("email", &p.manager_email), ("password", "wrong one")],
        )
        .await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let all = app.get_text("/audit").await;
        assert!(all.contains("Sign-in failed") && all.contains("Signed in"));
        let failed = app.get_text("/audit?action=sign_in.failed").await;
        let table = &failed[failed.find("audit-table").unwrap()..];
        assert!(table.contains("Sign-in failed") && !table.contains(">Signed in<"));
        let none = app.get_text("/audit?q=nobody-matches-this").await;
        assert!(none.contains("Nothing matches"));
        let bad = app.get_text("/audit?from=yesterday").await;
        assert!(bad.contains("Enter the 'from' date as year-month-day"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_a_practice_and_its_manager_is_invited_by_email() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    app.sign_in_as_operator().await;
    let bad = app
        .post(
            "/operator/practices/new",
            &[
                ("name", ""),
                ("manager_name", "Jo Bloggs"),
                ("manager_email", "jo"),
            ],
        )
        .await;
    let page = bad.text().await.unwrap();
    assert!(page.contains(r#"id="name-error""#) && page.contains(r#"id="manager_email-error""#));
    let r = app
        .post(
            "/operator/practices/new",
            &[
                ("name", "Hillside Medical Centre"),
                ("ods_code", "b82005"),
                ("manager_name", "Jo Bloggs"),
                ("manager_email", "jo.bloggs@hillside.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let show = app.get_text(&location(&r)).await;
    assert!(
        show.contains("Hillside Medical Centre")
            && show.contains("B82005")
            && show.contains("Jo Bloggs")
    );
    app.deliver_outbox().await;
    let link = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to("jo.bloggs@hillside.example", "/invitation/");
    app.client = crate::helpers::new_client();
    let r = app
        .client
        .post(&link)
        .form(&[
            ("password", "anchor pepper juniper"),
            ("confirm", "anchor pepper juniper"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    // A new manager must set up two-step verification before anything else.
    assert_eq!(location(&app.get("/staff").await), "/account/mfa");
    let depts = app.count("SELECT COUNT(*) FROM departments WHERE practice_id = (SELECT id FROM practices WHERE name = 'Hillside Medical Centre') AND $1 = $1", 0).await;
    assert_eq!(depts, 5, "the standard departments are there");
}

storage_test!(
    an_operator_sees_each_practices_training_and_reporting_as_totals_only,
    |app: TestApp| async move {
        let mut app = app;
        let (p, template_id, profile_id) = crate::simulation::ready(&mut app).await;
        let mut people = Vec::new();
        for n in [
            "Amelia Hughes",
            "Tom Bennett",
            "Fatima Begum",
            "Grace Oconnor",
            "Daniel Price",
        ] {
            people.push(app.staff(&p, n, "Reception & care navigation", None).await);
        }
        // Six current staff (with the manager): two have training past its due date.
        let now = app.clock.now();
        safetynet::with_db!(&app.db, pool => sqlx::query("DELETE FROM training_assignments WHERE practice_id = $1")
            .bind(p.id).execute(pool).await.map(|_| ())).unwrap();
        let mut tx = app.db.begin().await.unwrap();
        for person in &people[..2] {
            let overdue = safetynet::training::NewAssignment {
                staff_id: person.staff_id,
                module: "phishing",
                kind: safetynet::training::AssignmentKind::Manager,
                reason: "Assigned by the practice manager",
                campaign_id: None,
                assigned_at: now - 30 * 86_400,
                due_at: Some(now - 86_400),
            };
            safetynet::training::assign(&mut tx, p.id, &overdue)
                .await
                .unwrap();
        }
        // Four of them completed every module this year: trained whatever is
        // assigned (the one definition, `training::is_up_to_date`).
        for person in &people[1..] {
            for m in &safetynet::training::content::catalogue().modules {
                safetynet::training::record_completed(
                    &mut tx,
                    p.id,
                    person.staff_id,
                    m.slug,
                    now - 86_400,
                    600,
                )
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
        // An exercise this year: 20 emails, 5 reported, 2 clicked.
        let (campaign_id, _) = crate::simulation::launch(&app, template_id, profile_id, &[]).await;
        safetynet::with_db!(&app.db, pool => sqlx::query("UPDATE campaigns SET sent = 20, reported = 5, clicked = 2 WHERE id = $1")
            .bind(campaign_id).execute(pool).await.map(|_| ())).unwrap();
        // A cancelled one does not count.
        let (cancelled, _) = crate::simulation::launch(&app, template_id, profile_id, &[]).await;
        safetynet::with_db!(&app.db, pool => sqlx::query("UPDATE campaigns SET sent = 100, reported = 0, clicked = 50, status = 'cancelled' WHERE id = $1")
            .bind(cancelled).execute(pool).await.map(|_| ())).unwrap();
        // A small practice: too few people for any figure to be shown.
        let small = app.practice("Tiny Branch Surgery").await;

        app.client = crate::helpers::new_client();
        app.sign_in_as_operator().await;
        let list = crate::helpers::unescape(&app.get_text("/operator").await);
        let row = |name: &str| {
            let start = list
                .find(name)
                .unwrap_or_else(|| panic!("{name} in {list}"));
            let rest = &list[start..];
            rest[..rest.find("</tr>").unwrap()].to_string()
        };
        let riverside = row("Riverside Surgery");
        assert!(riverside.contains(">66%<"), "4 of 6 trained: {riverside}");
        assert!(
            riverside.contains("25% reported, 10% clicked (20 emails)"),
            "{riverside}"
        );
        let tiny = row("Tiny Branch Surgery");
        assert!(
            tiny.contains("Not shown: fewer than 5 staff") && tiny.contains("No exercises"),
            "{tiny}"
        );
        for person in &people {
            assert!(!list.contains(&person.email), "no one's own details");
        }
        let show = crate::helpers::unescape(
            &app.get_text(&format!("/operator/practices/{}", small.id))
                .await,
        );
        assert!(show.contains("Not shown: fewer than 5 staff"), "{show}");
    }
);
