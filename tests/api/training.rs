//! Training and CPD as staff and managers use them: induction for new starters,
//! reminders, refreshers, quizzes scored on the server, certificates checked
//! with pdftotext, the compliance view, and the public patient lessons.

use std::io::Write;

use safetynet::shared::StaffId;
use safetynet::training::{assignments, content::catalogue};
use safetynet::with_db;

use crate::helpers::{location, unescape, Backend, Person, Practice, TestApp};
use crate::storage_test;

/// The text of a PDF as `pdftotext` (Debian's poppler-utils) reads it, or None
/// (with a notice) where it is not installed outside CI.
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");
    let tool =
        std::env::var("SAFETYNET_TEST_PDFTOTEXT").unwrap_or_else(|_| "/usr/bin/pdftotext".into());
    if !std::path::Path::new(&tool).exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI must check PDFs: install poppler-utils (bash .ci/run does)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "\n*** PDF text check SKIPPED: pdftotext is not installed. ***\n"
        );
        return None;
    }
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    let out = std::process::Command::new(tool)
        .args(["-layout", "-enc", "UTF-8"])
        .arg(f.path())
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext reads the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Collapse the layout's spacing so phrases can be searched for.
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

async fn staff_member(app: &TestApp, p: &Practice, name: &str) -> Person {
    app.staff(
        p,
        name,
        "Reception & care navigation",
        Some(safetynet::auth::Role::Staff),
    )
    .await
}

/// The question ids on a quiz page, in order.
fn question_ids(page: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for part in page.split("name=\"q-").skip(1) {
        let id = part.split('"').next().unwrap().to_string();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Starts a quiz for `module` as the signed-in person; returns the attempt's path and question ids.
async fn start_quiz(app: &TestApp, module: &str) -> (String, Vec<String>) {
    let r = app
        .post(&format!("/training/modules/{module}/quiz"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let attempt = location(&r);
    let page = app.get_text(&attempt).await;
    let ids = question_ids(&page);
    assert_eq!(ids.len(), 6, "six questions drawn from the bank");
    (attempt, ids)
}

fn answers(module: &str, ids: &[String], right: bool) -> Vec<(String, String)> {
    let m = catalogue().module(module).unwrap();
    ids.iter()
        .map(|id| {
            let q = m.quiz.question(id).unwrap();
            let choice = if right {
                q.answer
            } else {
                (q.answer + 1) % q.choices.len()
            };
            (format!("q-{id}"), choice.to_string())
        })
        .collect()
}

async fn submit(app: &TestApp, attempt: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    app.post(attempt, &pairs).await
}

/// Passes a module's quiz as the signed-in person.
async fn pass(app: &TestApp, module: &str) {
    let (attempt, ids) = start_quiz(app, module).await;
    let r = submit(app, &attempt, &answers(module, &ids, true)).await;
    assert_eq!(r.status(), 303);
    assert!(app.get_text(&attempt).await.contains("you passed"));
}

async fn kinds(app: &TestApp, staff_id: StaffId, kind: &str) -> Vec<(String, Option<i64>)> {
    with_db!(&app.db, p => sqlx::query_as(
        "SELECT module, due_at FROM training_assignments WHERE staff_id = $1 AND kind = $2 ORDER BY module")
        .bind(staff_id).bind(kind).fetch_all(p).await).unwrap()
}

async fn reminders_to(app: &TestApp, email: &str) -> Vec<String> {
    let rows: Vec<(String,)> = with_db!(&app.db, p => sqlx::query_as(
        "SELECT subject FROM outbox WHERE kind = 'training-reminder' AND to_addr = $1 ORDER BY id")
        .bind(email).fetch_all(p).await)
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

storage_test!(
    a_new_starter_gets_induction_then_reminders_and_a_refresher_a_year_after_finishing,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let nina = staff_member(&app, &p, "Nina Newstarter").await;
        let olive = staff_member(&app, &p, "Olive Oldhand").await;
        let now = app.clock.now();
        let today = safetynet::ukclock::local_date(now);
        with_db!(&app.db, pool => sqlx::query("UPDATE staff SET start_date = $1, created_at = $2 WHERE id = $3")
            .bind(today.to_string()).bind(now).bind(nina.staff_id).execute(pool).await.map(|_| ())).unwrap();
        // Olive has worked here for years; being added to Safety Net does not make her new.
        with_db!(&app.db, pool => sqlx::query("UPDATE staff SET start_date = '2015-03-02', created_at = $1 WHERE id = $2")
            .bind(now).bind(olive.staff_id).execute(pool).await.map(|_| ())).unwrap();

        let state = app.state.clone();
        let pass1 = assignments::run(&state).await.unwrap();
        let reception = catalogue().role("reception").unwrap().modules.clone();
        let induction = kinds(&app, nina.staff_id, "induction").await;
        assert_eq!(
            induction.len(),
            reception.len(),
            "Nina's role curriculum is her induction"
        );
        assert_eq!(pass1.induction as usize, reception.len());
        assert!(kinds(&app, olive.staff_id, "induction").await.is_empty());
        let due = induction[0].1.unwrap();
        assert_eq!(
            safetynet::ukclock::local_date(due),
            today + time::Duration::days(28),
            "due 28 days after the start date by default"
        );
        // Running again changes nothing.
        assert_eq!(assignments::run(&state).await.unwrap().induction, 0);

        app.sign_in(&nina.email, &nina.password, None).await;
        let page = unescape(&app.get_text("/training").await);
        assert!(page.contains("Induction for new starters"));
        assert!(page.contains(&format!(
            "due {}",
            safetynet::ukclock::day(today + time::Duration::days(28))
        )));

        // A week before the due date: one reminder listing every module, once.
        app.clock.advance(due - now - 6 * 86_400);
        assert_eq!(assignments::run(&state).await.unwrap().reminders, 1);
        assignments::run(&state).await.unwrap();
        let sent = reminders_to(&app, &nina.email).await;
        assert_eq!(
            sent,
            [format!(
                "Training reminder: {} short modules",
                reception.len()
            )]
        );

        // Overdue: a second, kind reminder, and the manager sees it.
        app.clock.advance(7 * 86_400);
        assignments::run(&state).await.unwrap();
        let sent = reminders_to(&app, &nina.email).await;
        assert_eq!(sent.len(), 2);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let manage = unescape(&app.get_text("/training/manage").await);
        assert!(manage.contains("Nina Newstarter"));
        assert!(
            manage.contains("0 of 3 staff"),
            "Nina, Olive and the manager: {manage}"
        );

        // Nina finishes the phishing module: that assignment closes, the rest stay open.
        app.sign_in(&nina.email, &nina.password, None).await;
        pass(&app, "phishing").await;
        let open: Vec<(String,)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT module FROM training_assignments WHERE staff_id = $1 AND completed_at IS NULL")
            .bind(nina.staff_id).fetch_all(pool).await)
        .unwrap();
        assert_eq!(open.len(), reception.len() - 1);
        assert!(!open.iter().any(|(m,)| m == "phishing"));

        // Eleven months and a bit later the yearly refresher appears, due on the anniversary.
        let completed = app.clock.now();
        app.clock.advance(340 * 86_400);
        let pass2 = assignments::run(&state).await.unwrap();
        assert_eq!(pass2.refreshers, 1);
        let refresher = kinds(&app, nina.staff_id, "refresher").await;
        assert_eq!(refresher.len(), 1);
        assert_eq!(refresher[0].0, "phishing");
        assert_eq!(
            safetynet::ukclock::local_date(refresher[0].1.unwrap()),
            safetynet::ukclock::add_months(safetynet::ukclock::local_date(completed), 12)
        );
        assert_eq!(
            assignments::run(&state).await.unwrap().refreshers,
            0,
            "only once"
        );
    }
);

storage_test!(
    two_nodes_applying_the_training_rules_at_once_add_each_module_and_reminder_once,
    |app: TestApp| async move {
        // Several app nodes each run the rules; if two run them at the same moment, each
        // new starter still gets each module once and one reminder email.
        let p = app.practice("Riverside").await;
        let now = app.clock.now();
        let today = safetynet::ukclock::local_date(now);
        let mut starters = Vec::new();
        for i in 0..12 {
            let person = app
                .staff(
                    &p,
                    &format!("Starter Number{i}"),
                    "Reception & care navigation",
                    None,
                )
                .await;
            with_db!(&app.db, pool => sqlx::query("UPDATE staff SET start_date = $1, created_at = $2 WHERE id = $3")
                .bind(today.to_string()).bind(now).bind(person.staff_id).execute(pool).await.map(|_| ())).unwrap();
            starters.push(person);
        }
        let reception = catalogue().role("reception").unwrap().modules.clone();
        let (a, b) = tokio::join!(assignments::run(&app.state), assignments::run(&app.state));
        let added = a.unwrap().induction + b.unwrap().induction;
        assert_eq!(
            added as usize,
            12 * reception.len(),
            "what the two passes say they added"
        );
        let per_module: Vec<(i64, String, i64)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT staff_id, module, COUNT(*) FROM training_assignments WHERE practice_id = $1 \
             GROUP BY staff_id, module ORDER BY staff_id, module")
            .bind(p.id).fetch_all(pool).await)
        .unwrap();
        let starter_rows: Vec<_> = per_module
            .iter()
            .filter(|(id, _, _)| starters.iter().any(|s| i64::from(s.staff_id) == *id))
            .collect();
        assert_eq!(
            starter_rows.len(),
            12 * reception.len(),
            "every module for everyone"
        );
        assert!(
            starter_rows.iter().all(|r| r.2 == 1),
            "each once: {starter_rows:?}"
        );

        // A week before the due date both nodes remind at once: one email each.
        let due: i64 = with_db!(&app.db, pool => sqlx::query_scalar(
            "SELECT MIN(due_at) FROM training_assignments WHERE practice_id = $1 AND kind = 'induction'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        app.clock.advance(due - now - 6 * 86_400);
        let (a, b) = tokio::join!(assignments::run(&app.state), assignments::run(&app.state));
        assert_eq!(a.unwrap().reminders + b.unwrap().reminders, 12);
        for s in &starters {
            assert_eq!(reminders_to(&app, &s.email).await.len(), 1, "{}", s.email);
        }
    }
);

storage_test!(
    quizzes_are_scored_on_the_server_and_tampered_answers_are_refused,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let tom = staff_member(&app, &p, "Tom Bennett").await;
        let ann = staff_member(&app, &p, "Ann Other").await;
        app.sign_in(&tom.email, &tom.password, None).await;

        // Reading the lesson counts towards CPD time.
        let r = app
            .post("/training/modules/passwords/lesson", &[("page", "0")])
            .await;
        assert_eq!(location(&r), "/training/modules/passwords/lesson?page=1");
        let page = unescape(
            &app.get_text("/training/modules/passwords/lesson?page=1")
                .await,
        );
        assert!(page.contains(&catalogue().module("passwords").unwrap().sections[0].heading));
        app.clock.advance(4 * 60);
        app.post("/training/modules/passwords/lesson", &[("page", "1")])
            .await;
        let r = app
            .post("/training/modules/passwords/lesson", &[("page", "99")])
            .await;
        assert_eq!(r.status(), 400, "a page that is not in the lesson");

        let (attempt, ids) = start_quiz(&app, "passwords").await;
        // An answer that is not one of the choices, and one left out.
        let mut tampered = answers("passwords", &ids, true);
        tampered[0].1 = "9".into();
        tampered.remove(1);
        tampered.push(("q-not-a-question".into(), "0".into()));
        let r = submit(&app, &attempt, &tampered).await;
        assert_eq!(r.status(), 200);
        let body = unescape(&r.text().await.unwrap());
        assert!(body.contains("The answer sent for question 1 is not one of its choices"));
        assert!(body.contains("Choose an answer for question 2"));
        let (submitted,): (Option<i64>,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT submitted_at FROM quiz_attempts WHERE staff_id = $1").bind(tom.staff_id).fetch_one(pool).await).unwrap();
        assert!(
            submitted.is_none(),
            "nothing scored until every answer is a real choice"
        );

        // All wrong: not passed, every answer explained, no completion.
        let r = submit(&app, &attempt, &answers("passwords", &ids, false)).await;
        assert_eq!(r.status(), 303);
        let result = unescape(&app.get_text(&attempt).await);
        assert!(result.contains("You got 0 of 6 right"));
        let q = catalogue()
            .module("passwords")
            .unwrap()
            .quiz
            .question(&ids[0])
            .unwrap();
        assert!(result.contains(&q.explanation));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM training_completions WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );
        // Sending better answers to the same attempt does not rescore it.
        submit(&app, &attempt, &answers("passwords", &ids, true)).await;
        assert!(unescape(&app.get_text(&attempt).await).contains("You got 0 of 6 right"));

        // A new attempt, all right: passed, completion with the reading time, certificate.
        let (attempt2, ids2) = start_quiz(&app, "passwords").await;
        submit(&app, &attempt2, &answers("passwords", &ids2, true)).await;
        let result = unescape(&app.get_text(&attempt2).await);
        assert!(result.contains("You got 6 of 6 right"));
        let (completion_id, seconds): (i64, i64) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT id, seconds FROM training_completions WHERE staff_id = $1").bind(tom.staff_id).fetch_one(pool).await).unwrap();
        assert!(
            seconds >= 240,
            "four minutes of reading counted, got {seconds}s"
        );
        let cert_path = format!("/training/certificates/{completion_id}");
        assert!(result.contains(&cert_path));
        let cert = app.get(&cert_path).await;
        assert_eq!(cert.headers()["content-type"], "application/pdf");
        if let Some(text) = pdf_text(&cert.bytes().await.unwrap()) {
            assert!(text.contains("Certificate of completion"));
            assert!(text.contains("Tom Bennett"));
            assert!(text.contains("Passwords and 2-step verification"), "{text}");
            assert!(text.contains("Riverside"));
            let outcome: String = catalogue().module("passwords").unwrap().outcomes[0]
                .split_whitespace()
                .take(5)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.contains(&outcome),
                "learning outcomes printed: {outcome}"
            );
            let d = safetynet::ukclock::local_date(app.clock.now());
            let date = format!("{} {} {}", d.day(), d.month(), d.year());
            assert!(text.contains(&date), "{date} in {text}");
        }
        // The CPD log and the year's summary.
        let csv = app
            .get_text(&format!("/training/people/{}/cpd.csv", tom.staff_id))
            .await;
        assert!(csv.contains("Passwords and 2-step verification"));
        let year = safetynet::ukclock::local_date(app.clock.now()).year();
        let summary = app
            .get(&format!("/training/people/{}/cpd/{year}", tom.staff_id))
            .await;
        assert_eq!(summary.status(), 200);
        if let Some(text) = pdf_text(&summary.bytes().await.unwrap()) {
            assert!(text.contains(&format!("Cyber security CPD summary, {year}")));
            assert!(text.contains("1 module,"), "{text}");
        }
        // GP appraisals gather evidence by appraisal year, 1 April to 31 March.
        let today = safetynet::ukclock::local_date(app.clock.now());
        let appraisal = safetynet::training::cpd::Period::Appraisal(
            safetynet::training::cpd::Period::appraisal_year_of(today),
        );
        let mine = unescape(&app.get_text("/training").await);
        let link = format!("/training/people/{}/cpd/{}", tom.staff_id, appraisal.slug());
        assert!(
            mine.contains(&link) && mine.contains("April to March, for GP appraisal"),
            "{mine}"
        );
        let summary = app.get(&link).await;
        assert_eq!(summary.status(), 200);
        if let Some(text) = pdf_text(&summary.bytes().await.unwrap()) {
            assert!(
                text.contains(&format!(
                    "Cyber security CPD summary, {}",
                    appraisal.label()
                )),
                "{text}"
            );
            assert!(
                text.contains("Covers") && text.contains("1 April"),
                "{text}"
            );
            assert!(text.contains("1 module,"), "{text}");
        }
        let bad = app
            .get(&format!("/training/people/{}/cpd/2026-28", tom.staff_id))
            .await;
        assert_eq!(bad.status(), 400);
        assert!(unescape(&bad.text().await.unwrap()).contains("an appraisal year, like 2026-27"));

        // A colleague cannot see Tom's attempt, certificate or CPD log; the manager can see the certificate.
        app.sign_in(&ann.email, &ann.password, None).await;
        assert_eq!(app.get(&attempt2).await.status(), 404);
        assert_eq!(app.get(&cert_path).await.status(), 404);
        assert_eq!(
            app.get(&format!("/training/people/{}/cpd.csv", tom.staff_id))
                .await
                .status(),
            404
        );
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert_eq!(app.get(&cert_path).await.status(), 200);
        let record = unescape(
            &app.get_text(&format!("/training/manage/people/{}", tom.staff_id))
                .await,
        );
        assert!(record.contains("Passwords and 2-step verification"));
    }
);

storage_test!(
    a_click_in_a_phishing_exercise_becomes_training_to_do_and_closes_when_done,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let tom = staff_member(&app, &p, "Tom Bennett").await;
        // What the simulation writes when someone clicks (see simulation::tracking::writer).
        with_db!(&app.db, pool => sqlx::query(
            "INSERT INTO training_assignments (practice_id, staff_id, module, reason, assigned_at, due_at) VALUES ($1, $2, 'phishing', 'Follow-up to the practice exercise \"Parcel\"', $3, $4)")
            .bind(p.id).bind(tom.staff_id).bind(app.clock.now()).bind(app.clock.now() + 14 * 86_400)
            .execute(pool).await.map(|_| ())).unwrap();
        app.sign_in(&tom.email, &tom.password, None).await;
        let page = unescape(&app.get_text("/training").await);
        assert!(page.contains("Follow-up to the practice exercise \"Parcel\""));
        pass(&app, "phishing").await;
        let page = unescape(&app.get_text("/training").await);
        assert!(!page.contains("Follow-up to the practice exercise"));
        // The rest of a receptionist's curriculum is still needed: not "up to date".
        assert!(page.contains("Still needed this year for this role"));
        assert!(!page.contains("Training up to date"));
    }
);

storage_test!(
    managers_set_rules_curricula_assignments_and_the_training_needs_analysis,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside").await;
        let tom = staff_member(&app, &p, "Tom Bennett").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;

        // Bad rules are refused with what to fix; nothing changes.
        let r = app
            .post(
                "/training/manage/settings",
                &[
                    ("pass_mark", "150"),
                    ("induction_due_days", "28"),
                    ("refresher_months", "12"),
                    ("compliance_target", "95"),
                    ("reminder_days", "7"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap())
            .contains("Enter the pass mark as a whole number from 50 to 100"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM training_settings WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );
        let r = app
            .post(
                "/training/manage/settings",
                &[
                    ("pass_mark", "50"),
                    ("induction_due_days", "14"),
                    ("refresher_months", "12"),
                    ("compliance_target", "90"),
                    ("reminder_days", "3"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        assert!(unescape(&app.get_text("/training/manage").await).contains("pass mark 50%"));

        // Reception needs only phishing: Tom is trained once he has done it.
        let r = app
            .post(
                "/training/manage/curricula",
                &[
                    ("reception", "phishing"),
                    ("manager", "phishing"),
                    ("gp", "phishing"),
                    ("gp", "passwords"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let c = unescape(&app.get_text("/training/manage/curricula").await);
        assert!(c.contains("id=\"reception-phishing\" name=\"reception\" type=\"checkbox\" value=\"phishing\" checked"));
        assert!(!c.contains("id=\"reception-passwords\" name=\"reception\" type=\"checkbox\" value=\"passwords\" checked"));

        // Assign to a department, with a due date in the past refused first.
        let r = app
            .post(
                "/training/manage/assign",
                &[
                    ("module", "phone-scams"),
                    ("who", "department"),
                    ("department", &tom.department_id.to_string()),
                    ("due", "2001-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("The due date must be in the future"));
        let due = (safetynet::ukclock::local_date(app.clock.now()) + time::Duration::days(10))
            .to_string();
        let r = app
            .post(
                "/training/manage/assign",
                &[
                    ("module", "phone-scams"),
                    ("who", "department"),
                    ("department", &tom.department_id.to_string()),
                    ("due", &due),
                ],
            )
            .await;
        assert_eq!(location(&r), "/training/manage?assigned=1");
        assert_eq!(kinds(&app, tom.staff_id, "manager").await.len(), 1);
        // Assigning again adds nothing: he already has it to do.
        let r = app
            .post(
                "/training/manage/assign",
                &[
                    ("module", "phone-scams"),
                    ("who", "people"),
                    ("staff", &tom.staff_id.to_string()),
                    ("due", &due),
                ],
            )
            .await;
        assert_eq!(location(&r), "/training/manage?assigned=0");

        // The training needs analysis, saved and printed.
        let r = app
            .post(
                "/training/manage/tna",
                &[
                    ("staff_groups", "Reception: phone scams first."),
                    ("delivery", "Modules and a cyber minute."),
                    ("gaps", "Locums miss induction."),
                    ("actions", "Practice manager to send locum pack by March."),
                    ("review_on", "2027-11-30"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let pdf = app
            .get("/training/manage/tna.pdf")
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = pdf_text(&pdf) {
            assert!(text.contains("Training needs analysis"));
            assert!(text.contains("Locums miss induction."));
            assert!(text.contains("Next review: 2027-11-30"));
        }
        let actions = app.audit_actions(p.id).await;
        assert!(actions.iter().any(|a| a == "training.changed"));
        assert!(actions.iter().any(|a| a == "training.assigned"));

        // Tom passes phishing at the new 50% mark: trained, and the view says so.
        app.sign_in(&tom.email, &tom.password, None).await;
        pass(&app, "phishing").await;
        app.clock.advance(31);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let manage = unescape(&app.get_text("/training/manage").await);
        assert!(manage.contains("50% of staff trained"), "{manage}");
        assert!(manage.contains("The target is not met yet"));
        // The practice manager is on the staff list too, and does the module.
        pass(&app, "phishing").await;
        let manage = unescape(&app.get_text("/training/manage").await);
        assert!(manage.contains("100% of staff trained"), "{manage}");
        assert!(manage.contains("The target is met"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patient_lessons_are_public_cookie_free_and_print_as_leaflets_and_posters() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app.get("/learn").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no cookies on public pages"
    );
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    let index = unescape(&r.text().await.unwrap());
    for audience in ["Children aged 7 to 11", "Older adults and carers"] {
        assert!(
            index.to_lowercase().contains(&audience.to_lowercase()),
            "{audience} listed"
        );
    }
    for slug in safetynet::training::patient_lessons::SLUGS {
        let lesson = safetynet::training::patient_lessons::lessons()
            .iter()
            .find(|l| l.slug == slug)
            .unwrap();
        let page = app.get(&format!("/learn/{slug}")).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers().get("set-cookie").is_none());
        let html = unescape(&page.text().await.unwrap());
        assert!(html.contains(&lesson.title));
        assert!(
            !html.contains("<script") || html.matches("<script").count() == 1,
            "only the app's own module script"
        );
        assert!(
            html.contains("aria-label=\"Contents\"") && html.contains("href=\"#part-1\""),
            "{slug}: a contents list to jump to each part"
        );
        assert!(
            html.contains("These pages are from your GP surgery"),
            "{slug}: the footer speaks to patients"
        );
        let leaflet = app
            .get(&format!("/learn/{slug}/leaflet.pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = pdf_text(&leaflet) {
            assert!(text.contains(&lesson.title), "{slug} leaflet title");
            assert!(
                text.contains(&lesson.sections[0].0),
                "{slug} leaflet first section"
            );
            assert!(
                text.contains(&format!("/learn/{slug}")),
                "{slug} leaflet gives the address"
            );
            let raw = String::from_utf8_lossy(&leaflet);
            let pages = raw.matches("/Type /Page").count() - raw.matches("/Type /Pages").count();
            assert!(
                (1..=2).contains(&pages),
                "{slug}: a leaflet is one sheet of A4 at most, not {pages} pages"
            );
            if pages == 1 {
                assert!(!text.contains("Page 1 of 1"));
            }
        }
        let poster = app
            .get(&format!("/learn/{slug}/poster.pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = pdf_text(&poster) {
            assert!(text.contains("Stay safe online"));
            assert!(text.contains(lesson.key_messages[0].split_whitespace().next().unwrap()));
            assert!(text.contains("From your GP surgery"), "{slug}: {text}");
            assert!(
                !text.contains("Page 1 of 1"),
                "{slug}: a poster has no page number"
            );
            if lesson.key_messages.iter().any(|m| m.contains("7726")) {
                assert!(
                    text.contains("None of them is the surgery's"),
                    "{slug}: says whose phone numbers are printed"
                );
            }
        }
    }
    // Printed by someone at the practice, the poster carries the surgery's name
    // (and is not kept in shared caches).
    let p = app.practice("Riverside Surgery").await;
    let mut app = app;
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    let r = app.get("/learn/adults/poster.pdf").await;
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    if let Some(text) = pdf_text(&r.bytes().await.unwrap()) {
        assert!(text.contains("From Riverside Surgery"), "{text}");
    }
    // A page that does not exist keeps the signed-in person's menu.
    let missing = app.get("/no-such-page").await;
    assert_eq!(missing.status(), 404);
    let missing = missing.text().await.unwrap();
    assert!(missing.contains("Page not found") && missing.contains("aria-label=\"Menu\""));
    assert_eq!(app.get("/learn/not-a-lesson").await.status(), 404);
    assert_eq!(
        app.get("/learn/not-a-lesson/poster.pdf").await.status(),
        404
    );
}

storage_test!(
    the_practice_manager_gets_one_training_digest_each_monday_morning,
    |app: TestApp| async move {
        let p = app.practice("Riverside").await;
        staff_member(&app, &p, "Tom Bennett").await;
        // Move to the next Monday at 09:30 UK time.
        let now = app.clock.now();
        let mut t = now - now % 1800 + 1800;
        loop {
            let local = safetynet::ukclock::local(t);
            if local.weekday() == time::Weekday::Monday && local.hour() == 9 && local.minute() == 30
            {
                break;
            }
            t += 1800;
        }
        app.clock.advance(t - now);
        let digests = |app: &TestApp| {
            let db = app.db.clone();
            let email = p.manager_email.clone();
            async move {
                let rows: Vec<(String, String)> = with_db!(&db, pool => sqlx::query_as(
                    "SELECT subject, body_text FROM outbox WHERE kind = 'training-digest' AND to_addr = $1")
                    .bind(&email).fetch_all(pool).await).unwrap();
                rows
            }
        };
        assignments::run(&app.state).await.unwrap();
        assignments::run(&app.state).await.unwrap();
        let sent = digests(&app).await;
        assert_eq!(sent.len(), 1, "one digest, however often the rules run");
        assert_eq!(sent[0].0, "Training this week at Riverside");
        assert!(
            sent[0]
                .1
                .contains("Trained in the last 12 months: 0 of 2 staff"),
            "{}",
            sent[0].1
        );
        // Later the same week: nothing more; the next Monday: the next one.
        app.clock.advance(2 * 86_400);
        assignments::run(&app.state).await.unwrap();
        assert_eq!(digests(&app).await.len(), 1);
        app.clock.advance(5 * 86_400);
        assignments::run(&app.state).await.unwrap();
        assert_eq!(digests(&app).await.len(), 2);
    }
);

storage_test!(
    whether_someone_is_up_to_date_is_what_the_compliance_view_counts,
    |app: TestApp| async move {
        use safetynet::training::{self, is_up_to_date, record_completed};
        let p = app.practice("Riverside").await;
        let tom = staff_member(&app, &p, "Tom Bennett").await;
        let ann = staff_member(&app, &p, "Ann Lowe").await;
        let eve = staff_member(&app, &p, "Eve Marsh").await;
        let other = app.practice("Hillside").await;
        let now = app.clock.now();
        let curricula = training::curricula::load(&app.db, p.id).await.unwrap();
        let modules = curricula.for_staff("Receptionist", "permanent").to_vec();
        assert!(modules.len() > 1, "reception has several modules");
        let recent = now - 5 * 86_400;
        let mut tx = app.db.begin().await.unwrap();
        for (k, m) in modules.iter().enumerate() {
            // Tom has done them all this month; Eve did her first over a year
            // ago; Ann has all but the last one.
            record_completed(&mut tx, p.id, tom.staff_id, m, recent, 600)
                .await
                .unwrap();
            let eve_at = if k == 0 { now - 400 * 86_400 } else { recent };
            record_completed(&mut tx, p.id, eve.staff_id, m, eve_at, 600)
                .await
                .unwrap();
            if k + 1 < modules.len() {
                record_completed(&mut tx, p.id, ann.staff_id, m, recent, 600)
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();

        let s = training::settings::load(&app.db, p.id).await.unwrap();
        let summary = training::compliance::summary(&app.db, p.id, &s, now)
            .await
            .unwrap();
        let not_trained: Vec<StaffId> = summary.not_trained.iter().map(|l| l.staff_id).collect();
        for person in [&tom, &ann, &eve] {
            let up = is_up_to_date(&app.db, p.id, person.staff_id, now)
                .await
                .unwrap();
            assert_eq!(
                up,
                !not_trained.contains(&person.staff_id),
                "the compliance view and is_up_to_date agree"
            );
        }
        assert!(is_up_to_date(&app.db, p.id, tom.staff_id, now)
            .await
            .unwrap());
        assert!(!is_up_to_date(&app.db, p.id, ann.staff_id, now)
            .await
            .unwrap());
        assert!(!is_up_to_date(&app.db, p.id, eve.staff_id, now)
            .await
            .unwrap());
        // Another practice does not have Tom on its staff list.
        assert!(!is_up_to_date(&app.db, other.id, tom.staff_id, now)
            .await
            .unwrap());
        // A year on, this month's completions no longer count.
        assert!(
            !is_up_to_date(&app.db, p.id, tom.staff_id, now + 400 * 86_400)
                .await
                .unwrap()
        );
    }
);
