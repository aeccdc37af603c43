//! Plans, incidents and tabletop exercises as a practice uses them: a plan
//! built from the ransomware template, approved and printed (text checked with
//! pdftotext); an incident run from it with the ICO clock; an exercise with
//! its after-action report.

use safetynet::auth::Role;
use safetynet::with_db;

use crate::helpers::{location, unescape, Practice, TestApp};
use crate::storage_test;
use crate::training::pdf_text;

/// Every field of a plan's edit form as the page shows it, so a test can change a few.
fn form_fields(page: &str) -> Vec<(String, String)> {
    let page = unescape(page);
    let mut fields = Vec::new();
    for part in page.split("<input ").skip(1) {
        let tag = part.split('>').next().unwrap();
        let attr = |name: &str| {
            tag.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_string)
        };
        if let Some(name) = attr("name") {
            fields.push((name, attr("value").unwrap_or_default()));
        }
    }
    for part in page.split("<textarea ").skip(1) {
        let name = part
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let value = part
            .split_once('>')
            .unwrap()
            .1
            .split("</textarea>")
            .next()
            .unwrap()
            .to_string();
        fields.push((name, value));
    }
    fields
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("field {name}"));
    f.1 = value.to_string();
}

async fn post_fields(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    app.post(path, &pairs).await
}

/// Starts the ransomware plan and names the incident lead; returns the plan's path.
async fn ransomware_plan(app: &TestApp) -> String {
    let r = app
        .post("/resilience/plans", &[("template", "ransomware")])
        .await;
    assert_eq!(r.status(), 303);
    let edit = location(&r);
    let mut fields = form_fields(&app.get_text(&edit).await);
    set(&mut fields, "role-incident-lead-person", "Sarah Okafor");
    set(
        &mut fields,
        "role-incident-lead-person_phone",
        "07700 900123",
    );
    set(&mut fields, "role-incident-lead-deputy", "Dr Kwame Mensah");
    set(&mut fields, "contact-0-phone", "01632 960001");
    let r = post_fields(app, &edit, &fields).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    edit.trim_end_matches("/edit").to_string()
}

async fn sign_in_manager(app: &mut TestApp, p: &Practice) {
    app.clock.advance(31);
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
}

storage_test!(
    a_manager_builds_the_ransomware_plan_approves_it_and_prints_a_hard_copy,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let staff = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        sign_in_manager(&mut app, &p).await;

        let r = app
            .post("/resilience/plans", &[("template", "ransomware")])
            .await;
        let edit = location(&r);
        let plan = edit.trim_end_matches("/edit").to_string();
        // Approving before anyone is named as incident lead is refused.
        let r = app
            .post(&format!("{plan}/approve"), &[("review_on", "")])
            .await;
        assert_eq!(r.status(), 400);
        assert!(
            unescape(&r.text().await.unwrap()).contains("Name the incident lead before approving")
        );

        // A phone number with letters: refused, and everything typed is still there to fix.
        let mut fields = form_fields(&app.get_text(&edit).await);
        set(&mut fields, "role-incident-lead-person", "Sarah Okafor");
        set(
            &mut fields,
            "role-incident-lead-person_phone",
            "call reception",
        );
        set(&mut fields, "contact-6-organisation", "Alarm company");
        let r = post_fields(&app, &edit, &fields).await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(page
            .contains("Enter the phone number for the Incident lead with digits and spaces only"));
        assert!(page.contains("value=\"Sarah Okafor\""));
        assert!(page.contains("value=\"Alarm company\""));
        assert!(
            !unescape(&app.get_text(&plan).await).contains("Sarah Okafor"),
            "nothing saved"
        );

        set(
            &mut fields,
            "role-incident-lead-person_phone",
            "07700 900123",
        );
        let first_phase = fields
            .iter()
            .find(|(n, _)| n == "phase-0")
            .unwrap()
            .1
            .clone();
        set(
            &mut fields,
            "phase-0",
            &format!("{first_phase}\n[DPO] Check whether patient records were copied"),
        );
        let r = post_fields(&app, &edit, &fields).await;
        assert_eq!(r.status(), 303);
        let view = unescape(&app.get_text(&plan).await);
        assert!(view.contains("Sarah Okafor") && view.contains("07700 900123"));
        assert!(view.contains(
            "Data protection officer (DPO):</strong> Check whether patient records were copied"
        ));
        assert!(view.contains("Version 1, draft"));

        // Approve: version 1 frozen, review in 12 months by default.
        let r = app
            .post(&format!("{plan}/approve"), &[("review_on", "")])
            .await;
        assert_eq!(r.status(), 303);
        let today = safetynet::ukclock::local_date(app.clock.now());
        let view = unescape(&app.get_text(&plan).await);
        assert!(view.contains("Version 1, approved"), "{view}");
        assert!(view.contains(&format!(
            "Review by {}",
            safetynet::ukclock::add_months(today, 12)
        )));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM plan_versions WHERE practice_id = $1",
                p.id
            )
            .await,
            1
        );
        // A later change starts version 2 as a draft.
        let mut fields = form_fields(&app.get_text(&edit).await);
        set(&mut fields, "role-incident-lead-deputy", "Dr Kwame Mensah");
        post_fields(&app, &edit, &fields).await;
        assert!(unescape(&app.get_text(&plan).await)
            .contains("Version 2, draft (version 1 was approved"));

        // The hard copy, as any member of staff prints it.
        assert!(unescape(&app.get_text(&plan).await).contains("Last printed never"));
        app.sign_in(&staff.email, &staff.password, None).await;
        assert_eq!(
            app.get(&edit).await.status(),
            403,
            "staff read plans but do not edit them"
        );
        let pdf = app.get(&format!("{plan}/plan.pdf")).await;
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        if let Some(text) = pdf_text(&pdf.bytes().await.unwrap()) {
            for expected in [
                "Riverside Surgery: Ransomware attack",
                "Named person: Sarah Okafor 07700 900123",
                "Deputy: Dr Kwame Mensah",
                "Pull the network cable",
                "Do not switch the computer off",
                "[ ]",
                "Working while systems are restored",
                "Draft statement for patients",
                "Riverside Surgery is currently affected",
                "printed",
            ] {
                assert!(
                    text.contains(expected),
                    "the PDF says {expected:?}:\n{text}"
                );
            }
        }
        let print = unescape(&app.get_text(&format!("{plan}/print")).await);
        assert!(print.contains("Print this plan"));
        // Opening the PDF or the print page is safe to repeat and records nothing: a
        // link from another site must not be able to put "printed" on the record.
        assert!(
            unescape(&app.get_text(&plan).await).contains("Last printed never"),
            "looking is not printing"
        );
        let printed = app.post(&format!("{plan}/print"), &[]).await;
        assert_eq!(printed.status(), 303);
        assert_eq!(location(&printed), format!("{plan}/print?done=printed"));
        let view = unescape(&app.get_text(&plan).await);
        assert!(
            view.contains("by Tom Bennett"),
            "last printed recorded: {view}"
        );
        let pdf = app.post(&format!("{plan}/plan.pdf"), &[]).await;
        assert_eq!(
            pdf.headers()["content-type"],
            "application/pdf",
            "the PDF to print, recorded"
        );
        let actions = app.audit_actions(p.id).await;
        assert!(
            actions
                .iter()
                .filter(|a| *a == "resilience.plan_changed")
                .count()
                >= 3
        );
    }
);

storage_test!(
    an_incident_follows_the_plan_with_a_live_log_checklist_and_the_ico_clock,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let champion = app
            .staff(
                &p,
                "Fatima Begum",
                "Reception & care navigation",
                Some(Role::Champion),
            )
            .await;
        let tom = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        sign_in_manager(&mut app, &p).await;
        let plan = ransomware_plan(&app).await;
        let plan_id = plan.rsplit('/').next().unwrap().to_string();

        // Staff cannot declare; a champion can. Bad input is refused with what to fix.
        app.sign_in(&tom.email, &tom.password, None).await;
        assert_eq!(
            app.post(
                "/resilience/incidents",
                &[
                    ("plan_id", &plan_id),
                    ("title", "x"),
                    ("aware_at", "2026-01-01T10:00")
                ]
            )
            .await
            .status(),
            403
        );
        app.sign_in(&champion.email, &champion.password, None).await;
        let r = app
            .post(
                "/resilience/incidents",
                &[
                    ("plan_id", &plan_id),
                    ("title", ""),
                    ("what", "Ransom note"),
                    ("aware_at", "2099-01-01T10:00"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Give the incident a short name"));
        assert!(page.contains("cannot be in the future"));
        assert!(page.contains("Ransom note"), "what was typed is kept");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM incidents WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        let aware = app.clock.now() - 10 * 3600;
        let local = safetynet::ukclock::local(aware);
        let aware_text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        );
        let r = app
            .post(
                "/resilience/incidents",
                &[
                    ("plan_id", &plan_id),
                    ("title", "Ransom note on reception PC 2"),
                    ("what", "Screen shows a ransom demand."),
                    ("aware_at", &aware_text),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let incident = location(&r);
        let page = unescape(&app.get_text(&incident).await);
        assert!(
            page.contains("ICO clock: 61 hours") || page.contains("ICO clock: 62 hours"),
            "{page}"
        );
        assert!(page.contains("Screen shows a ransom demand."));
        assert!(page.contains("Pull the network cable"));
        assert!(page.contains("0 of"));
        // Who to call is on the page day and night, NHS England's 24/7 centre first.
        assert!(page.contains("Who to call"), "{page}");
        assert!(page.contains(r#"href="tel:03003035222""#), "{page}");
        assert!(page.contains("72 hours to report, not to decide"));

        // Anyone at the practice ticks actions and writes in the log.
        app.sign_in(&tom.email, &tom.password, None).await;
        let r = app
            .post(
                &format!("{incident}/check"),
                &[("item", "1"), ("done", "yes")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            app.post(
                &format!("{incident}/check"),
                &[("item", "9999"), ("done", "yes")]
            )
            .await
            .status(),
            400
        );
        app.post(
            &format!("{incident}/log"),
            &[("text", "Called the ICB GP IT service desk, ref 4471.")],
        )
        .await;
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("(1 of "));
        assert!(
            page.contains("nhsuk-tag--green\">Done ") && page.contains(" by Tom Bennett</strong>"),
            "ticked with who and when"
        );
        // The whole checklist is one form: ticking two and leaving 1 unticked
        // saves all three changes at once, each in the log.
        let r = app
            .post(
                &format!("{incident}/checklist"),
                &[("done", "0"), ("done", "2"), ("done", "9999")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("(2 of "), "{page}");
        assert!(page.contains("Not done after all"));
        let r = app
            .post(
                &format!("{incident}/checklist"),
                &[("done", "0"), ("done", "1"), ("done", "2")],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(
            page.contains("Called the ICB GP IT service desk, ref 4471.")
                && page.contains("Tom Bennett")
        );
        assert_eq!(
            app.post(
                &format!("{incident}/assess"),
                &[("likelihood", "3"), ("severity", "2")]
            )
            .await
            .status(),
            403
        );

        // The champion assesses it: reportable under the DSPT test.
        app.sign_in(&champion.email, &champion.password, None).await;
        assert_eq!(
            app.post(
                &format!("{incident}/assess"),
                &[("likelihood", "9"), ("severity", "2")]
            )
            .await
            .status(),
            400
        );
        app.post(
            &format!("{incident}/assess"),
            &[
                ("likelihood", "3"),
                ("severity", "2"),
                ("personal_data", "yes"),
            ],
        )
        .await;
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("Reportable to the ICO under the DSPT test"));
        // 63 hours later the deadline has passed; the report is then recorded.
        app.clock.advance(63 * 3600);
        app.sign_in(&champion.email, &champion.password, None).await;
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("ICO clock: passed"), "{page}");
        app.post(&format!("{incident}/reported"), &[]).await;
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("ICO clock: reported"));
        assert!(page.contains("after the 72 hours"));

        // Lessons become training for everyone and a change to the plan; then it closes.
        app.post(
            &format!("{incident}/lessons"),
            &[
                ("text", "Everyone should know how to spot the rota email."),
                ("action", "training"),
                ("module", "phishing"),
            ],
        )
        .await;
        let (assigned,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM training_assignments WHERE practice_id = $1 AND reason LIKE 'Lesson from the incident%'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(assigned, 3, "the manager, the champion and Tom");
        app.post(
            &format!("{incident}/lessons"),
            &[
                ("text", "Print clinic lists every evening."),
                ("action", "plan"),
                ("module", "phishing"),
            ],
        )
        .await;
        assert!(unescape(&app.get_text(&plan).await).contains("Print clinic lists every evening."));
        assert_eq!(
            app.post(&format!("{incident}/close"), &[("review", "")])
                .await
                .status(),
            400
        );
        app.post(
            &format!("{incident}/close"),
            &[("review", "Contained within the hour; restored from backup.")],
        )
        .await;
        let page = unescape(&app.get_text(&incident).await);
        assert!(page.contains("Incident (closed)"));
        assert!(
            !page.contains("Add to the log"),
            "a closed incident's log is kept as it was"
        );
    }
);

storage_test!(
    a_tabletop_exercise_is_planned_run_and_written_up,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let tom = app
            .staff(&p, "Tom Bennett", "Reception & care navigation", None)
            .await;
        let fatima = app
            .staff(&p, "Fatima Begum", "Reception & care navigation", None)
            .await;
        sign_in_manager(&mut app, &p).await;
        let list = unescape(&app.get_text("/resilience/exercises").await);
        assert!(list.contains("No exercise has been completed yet") && list.contains("One is due"));
        let r = app
            .post(
                "/resilience/exercises",
                &[
                    ("scenario", "phishing-to-ransomware"),
                    ("run_on", "next tuesday"),
                    ("facilitator", "Sarah"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("Enter the date of the exercise"));
        let today = safetynet::ukclock::local_date(app.clock.now()).to_string();
        let r = app
            .post(
                "/resilience/exercises",
                &[
                    ("scenario", "phishing-to-ransomware"),
                    ("run_on", &today),
                    ("facilitator", "Sarah Okafor"),
                ],
            )
            .await;
        let ex = location(&r);

        app.post(&ex, &[("step", "start")]).await;
        let page = unescape(&app.get_text(&ex).await);
        assert!(
            page.contains("Coming up at minute 15"),
            "later injects wait their turn"
        );
        let tom_id = tom.staff_id.to_string();
        let fatima_id = fatima.staff_id.to_string();
        // A bad due date keeps the notes typed so far.
        let r = app
            .post(
                &ex,
                &[
                    ("notes-0", "Jo would tell Fatima straight away."),
                    ("attended", &tom_id),
                    ("action-0-text", "Laminate the ICB number"),
                    ("action-0-owner", &tom_id),
                    ("action-0-due", "soon"),
                    ("step", "save"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Enter the due date for action 1 as a date"));
        assert!(page.contains("Jo would tell Fatima straight away."));
        // Finishing needs the attendance.
        let r = app
            .post(
                &ex,
                &[
                    ("notes-0", "Jo would tell Fatima straight away."),
                    ("step", "finish"),
                ],
            )
            .await;
        assert!(unescape(&r.text().await.unwrap()).contains("Tick who took part before finishing"));
        let r = app
            .post(
                &ex,
                &[
                    ("notes-0", "Jo would tell Fatima straight away."),
                    ("notes-6", "Numbers must be on paper."),
                    ("attended", &tom_id),
                    ("attended", &fatima_id),
                    ("action-0-text", "Laminate the ICB number"),
                    ("action-0-owner", &tom_id),
                    ("action-0-due", "2027-01-31"),
                    ("action-1-text", ""),
                    ("step", "finish"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let list = unescape(&app.get_text("/resilience/exercises").await);
        assert!(list.contains(&format!("The last exercise was on {today}")));
        assert!(!list.contains("One is due"));
        let pdf = app
            .get(&format!("{ex}/report.pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = pdf_text(&pdf) {
            for expected in [
                "After-action report",
                "Phishing leads to ransomware",
                "Who took part (2)",
                "Fatima Begum",
                "Tom Bennett",
                "Jo would tell Fatima straight away.",
                "Laminate the ICB number (Tom Bennett, by 2027-01-31)",
                "Sarah Okafor",
                "Completed",
            ] {
                assert!(
                    text.contains(expected),
                    "the report says {expected:?}:\n{text}"
                );
            }
        }
        assert!(app
            .audit_actions(p.id)
            .await
            .iter()
            .any(|a| a == "resilience.exercise_changed"));
    }
);
