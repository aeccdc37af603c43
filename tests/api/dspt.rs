//! The Data Security and Protection Toolkit as a practice manager, an ICB
//! operator and an outside IT administrator use it: item statuses from the
//! practice's own records at fixed dates, documents that count until they
//! expire, the administrator agreement accepted through a link from a real
//! SMTP server, the evidence pack read back with pdftotext and unzipped, and
//! the operator's readiness figures.

use std::io::Read;

use crate::helpers::{location, unescape, Backend, Options, Practice, TestApp};
use crate::storage_test;
use crate::training::pdf_text;
use safetynet::auth::{system_scope_for, Role};
use safetynet::dspt::status::Status;
use safetynet::shared::PracticeId;
use safetynet::with_db;
use time::macros::{date, datetime};
use time::OffsetDateTime;

/// Monday 23 November 2026, noon.
const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn set_now(app: &TestApp, at: OffsetDateTime) {
    app.clock.advance(at.unix_timestamp() - app.clock.now());
}

fn ts(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

async fn manager(app: &mut TestApp, name: &str) -> Practice {
    let p = app.practice(name).await;
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    p
}

/// The item's status as the DSPT works it out now.
async fn status(app: &TestApp, practice: PracticeId, item: &str) -> Status {
    let scope = system_scope_for(practice, "test");
    safetynet::dspt::assess(&app.db, &scope, app.clock.now())
        .await
        .unwrap()
        .item(item)
        .unwrap_or_else(|| panic!("no item {item}"))
        .status
        .clone()
}

fn ready_until(d: time::Date) -> Status {
    Status::Ready { until: Some(d) }
}

/// A small real PDF, as a scanner or word processor makes one.
fn pdf(title: &str) -> Vec<u8> {
    let mut d = safetynet::pdf::Document::new(title, "test");
    d.title(title);
    d.paragraph("Every practice PC has anti-malware kept up to date by the ICB GP IT service.");
    d.finish()
}

async fn upload(
    app: &TestApp,
    path: &str,
    file: (&str, Vec<u8>),
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file.1).file_name(file.0.to_string()),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn exec(app: &TestApp, sql: &str, practice: PracticeId, at: i64) {
    with_db!(&app.db, p => sqlx::query(sql).bind(practice).bind(at).execute(p).await.map(|_| ()))
        .unwrap();
}

/// A year of the practice's records, each dated so the tests can watch it lapse.
async fn seed_records(app: &TestApp, practice: PracticeId) {
    // Training needs analysis saved 1 Dec 2025.
    exec(app, "INSERT INTO training_needs_analysis (practice_id, staff_groups, delivery, gaps, actions, review_on, updated_at, updated_by) \
               VALUES ($1, 'Reception: phone scams', 'Modules', 'Locums', 'Locum pack', NULL, $2, 'Priya Shah')", practice, ts(datetime!(2025-12-01 10:00 UTC))).await;
    // The asset register reviewed 1 Nov 2025, and one device in it.
    exec(app, "INSERT INTO register_reviews (practice_id, register, reviewed_on, reviewed_by, note, at) VALUES ($1, 'assets', '2025-11-01', 'Priya Shah', '', $2)",
        practice, ts(datetime!(2025-11-01 10:00 UTC))).await;
    exec(app, "INSERT INTO assets (practice_id, kind, name, os, encryption, managed_by, last_updated_at, added_by, created_at, updated_at) \
               VALUES ($1, 'desktop', 'RECEPTION-PC1', 'Windows 11 Pro 24H2', 'yes', 'icb', $2, 'manager', $2, $2)", practice, ts(NOW) - 3 * 86_400).await;
    // Restoring the shared drive last worked on 24 Nov 2025.
    exec(app, "INSERT INTO backups (practice_id, what, category, responsible, destination, frequency_days, restore_every_days, last_backup_on, last_restore_on, last_restore_result, created_at, updated_at) \
               VALUES ($1, 'Shared drive (S:)', 'shared_drive', 'practice', 'external_drive', 1, 365, '2026-11-22', '2025-11-24', 'worked', $2, $2)", practice, 0).await;
    // The ransomware plan approved 1 Mar 2026 and printed the next day; tested 10 May 2026.
    let body = serde_json::to_string(&safetynet::resilience::plans::PlanBody::from_template(
        safetynet::resilience::plan_content::template("ransomware").unwrap(),
        "Riverside Surgery",
    ))
    .unwrap();
    with_db!(&app.db, p => sqlx::query(
        "INSERT INTO plans (practice_id, template, body, version, status, approved_version, approved_by, approved_at, last_printed_at, last_printed_by, created_at, updated_at) \
         VALUES ($1, 'ransomware', $2, 1, 'approved', 1, 'Priya Shah', $3, $4, 'Priya Shah', $3, $3)")
        .bind(practice).bind(&body).bind(ts(datetime!(2026-03-01 10:00 UTC))).bind(ts(datetime!(2026-03-02 10:00 UTC)))
        .execute(p).await.map(|_| ())).unwrap();
    exec(app, "INSERT INTO exercises (practice_id, scenario, title, run_on, facilitator, status, notes, created_at) \
               VALUES ($1, 'phishing-to-ransomware', 'Phishing to ransomware', '2026-05-10', 'Priya Shah', 'done', '[]', $2)", practice, 0).await;
}

storage_test!(
    each_item_shows_its_status_at_fixed_dates_and_evidence_lapses_at_twelve_months,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let p = manager(&mut app, "Riverside Surgery").await;
        seed_records(&app, p.id).await;

        // Reviewed 1 Nov 2025: lapsed on 1 Nov 2026.
        assert_eq!(
            status(&app, p.id, "7.1.1").await,
            Status::OutOfDate {
                lapsed: date!(2026 - 11 - 01)
            }
        );
        // Restore tested 24 Nov 2025: counts until 24 Nov 2026, one more day.
        assert_eq!(
            status(&app, p.id, "7.3.4").await,
            ready_until(date!(2026 - 11 - 24))
        );
        // Approved and printed (from 1 Mar 2026) and tested (10 May 2026): both needed, the older decides.
        assert_eq!(
            status(&app, p.id, "7.1.2").await,
            ready_until(date!(2027 - 03 - 01))
        );
        assert_eq!(
            status(&app, p.id, "7.3.2").await,
            ready_until(date!(2027 - 03 - 01))
        );
        // The analysis is fresh but nobody is trained yet: 3.2.1 needs both.
        assert_eq!(status(&app, p.id, "3.2.1").await, Status::Missing);
        // No incidents: items about what happened after one do not apply; reporting needs evidence.
        assert_eq!(
            status(&app, p.id, "6.1.3").await,
            Status::NotApplicable {
                reason: "No incidents recorded in the last 12 months.".into()
            }
        );
        assert_eq!(status(&app, p.id, "6.1.1").await, Status::Missing);
        assert_eq!(status(&app, p.id, "4.3.1").await, Status::Missing);
        assert_eq!(
            status(&app, p.id, "4.1.1").await,
            Status::Ready { until: None }
        );
        assert_eq!(
            status(&app, p.id, "4.4.1").await,
            Status::Ready { until: None }
        );

        // The page says the same, with the dates in words.
        let page = unescape(&app.get_text("/dspt").await);
        assert!(
            page.contains("id=\"item-7.1.1\" data-status=\"out_of_date\""),
            "{page}"
        );
        assert!(page.contains("Lapsed on 1 Nov 2026"));
        assert!(page.contains("id=\"item-7.3.4\" data-status=\"ready\""));
        assert!(page.contains("Counts until 24 Nov 2026"));
        assert!(page.contains("id=\"item-6.1.3\" data-status=\"not_applicable\""));
        // Practice culture is evidence like any other record: none yet, then one report.
        assert!(page.contains("No reports of suspicious emails recorded in the last 12 months"));
        assert!(page.contains("No meeting with the cyber minute recorded in the last 12 months"));
        assert!(page.contains("No drills or walk-rounds recorded in the last 12 months"));
        assert!(page.contains("The asset register was last reviewed on 1 Nov 2025."));
        assert!(page.contains("href=\"/resilience/assets\""));
        assert!(page.contains("Mandatory items still to do"));
        assert!(page.contains("<a href=\"/dspt/items/4.3.1\">4.3.1</a>"));
        // The toolkit's own numbering: no 3.1.1 or 7.2.1 in the 2025-26 list for GP practices.
        assert!(!page.contains("item-3.1.1") && !page.contains("item-7.2.1"));
        let r = app
            .post("/culture/reports", &[("how", "spamreports"), ("note", "")])
            .await;
        assert!(
            r.status().is_success() || r.status() == 303,
            "{}",
            r.status()
        );
        let page = unescape(&app.get_text("/dspt").await);
        assert!(
            page.contains(
                "1 report of something suspicious in the last 12 months, in 1 of 12 months."
            ),
            "{page}"
        );
        assert!(page.contains("href=\"/culture/reports\""));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM dspt_readiness WHERE practice_id = $1",
                p.id
            )
            .await,
            1
        );

        // A day later the restore test has lapsed too.
        set_now(&app, datetime!(2026-11-24 12:00 UTC));
        assert_eq!(
            status(&app, p.id, "7.3.4").await,
            Status::OutOfDate {
                lapsed: date!(2026 - 11 - 24)
            }
        );

        // The manager says an item does not apply, with a reason; without one nothing is saved.
        // (A day idle ends the session, so the manager signs in again.)
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .post(
                "/dspt/items/1.3.8",
                &[
                    ("responsible", "Priya Shah"),
                    ("not_applicable", "yes"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("Say why the item does not apply"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM dspt_items WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );
        let r = app
            .post(
                "/dspt/items/1.3.8",
                &[
                    ("responsible", "Priya Shah"),
                    ("not_applicable", "yes"),
                    ("reason", "We start no new projects using personal data."),
                ],
            )
            .await;
        assert_eq!(location(&r), "/dspt/items/1.3.8?done=saved");
        assert_eq!(
            status(&app, p.id, "1.3.8").await,
            Status::NotApplicable {
                reason: "We start no new projects using personal data.".into()
            }
        );
        let item = unescape(&app.get_text("/dspt/items/1.3.8").await);
        assert!(item.contains("Priya Shah") && item.contains("We start no new projects"));
        assert_eq!(app.get("/dspt/items/3.1.1").await.status(), 404);

        // An item evidenced only from outside: a document covers it until it expires.
        assert_eq!(status(&app, p.id, "4.5.3").await, Status::Missing);
        let r = upload(
            &app,
            "/dspt/documents",
            ("ICB MFA statement.pdf", pdf("MFA statement")),
            &[
                ("title", "ICB statement on two-step sign-in"),
                ("items", "4.5.3"),
                ("expires_on", "01/01/2027"),
            ],
        )
        .await;
        assert_eq!(location(&r), "/dspt/documents?done=uploaded");
        assert_eq!(
            status(&app, p.id, "4.5.3").await,
            ready_until(date!(2027 - 01 - 01))
        );
        set_now(&app, datetime!(2027-01-01 09:00 UTC));
        assert_eq!(
            status(&app, p.id, "4.5.3").await,
            Status::OutOfDate {
                lapsed: date!(2027 - 01 - 01)
            }
        );
        let actions = app.audit_actions(p.id).await;
        assert!(
            actions.iter().filter(|a| *a == "dspt.changed").count() >= 2,
            "{actions:?}"
        );
    }
);

storage_test!(
    uploads_are_refused_with_a_reason_and_nothing_half_saved,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let _p = manager(&mut app, "Riverside Surgery").await;
        let fields = [
            ("title", "Policy"),
            ("items", "1.3.1"),
            ("expires_on", "01/06/2027"),
        ];
        for (file, says) in [
            (("policy.exe", b"MZ\x90\x00".to_vec()), "not .exe files"),
            (("policy.doc", b"\xd0\xcf\x11\xe0".to_vec()), "macros"),
            (("policy.pdf", b"MZ\x90\x00 a program".to_vec()), "contents are not a PDF"),
            (("policy.docx", pdf("x")), "contents are not a Word document"),
            (("form.pdf", b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF".to_vec()), "JavaScript"),
            (("scan.pdf", [b"%PDF-1.7\n".as_slice(), &vec![b' '; 10 * 1024 * 1024]].concat()), "larger than 10 MB"),
        ] {
            let name = file.0;
            let r = upload(&app, "/dspt/documents", file, &fields).await;
            assert_eq!(r.status(), 200, "{name}");
            let body = unescape(&r.text().await.unwrap());
            assert!(body.contains(says), "{name}: {body}");
            assert!(body.contains("There is a problem"));
        }
        // A good file with a bad form keeps what was typed and saves nothing.
        let r = upload(
            &app,
            "/dspt/documents",
            ("policy.pdf", pdf("Policy")),
            &[
                ("title", "Data protection policy"),
                ("items", "9.9.9"),
                ("expires_on", "31/02/2027"),
            ],
        )
        .await;
        let body = unescape(&r.text().await.unwrap());
        assert!(body.contains("9.9.9 is not an item"), "{body}");
        assert!(body.contains("There is no 31 February 2027"), "{body}");
        assert!(body.contains("value=\"Data protection policy\""));
        for table in [
            "dspt_documents",
            "dspt_document_files",
            "dspt_document_items",
            "dspt_document_practices",
        ] {
            let n: i64 = with_db!(&app.db, p => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(p).await).unwrap();
            assert_eq!(n, 0, "{table}");
        }
    }
);

storage_test!(
    an_icb_statement_covers_its_items_for_every_practice_until_it_expires,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let a = app.practice("Riverside Surgery").await;
        let b = app.practice("Hillside Surgery").await;
        app.staff(&a, "Zebedee Secretperson", "Clinical", None)
            .await;
        app.sign_in_as_operator().await;
        let statement = pdf("ICB GP IT statement 2026");
        let r = upload(
            &app,
            "/operator/dspt/documents",
            ("ICB statement 2026.pdf", statement.clone()),
            &[
                ("title", "ICB GP IT statement 2026"),
                ("all_practices", "yes"),
                ("items", "6.2.1"),
                ("items", "9.5.2"),
                ("expires_on", "30/06/2027"),
            ],
        )
        .await;
        assert_eq!(location(&r), "/operator/dspt?done=uploaded");
        for practice in [a.id, b.id] {
            assert_eq!(
                status(&app, practice, "6.2.1").await,
                ready_until(date!(2027 - 06 - 30))
            );
            assert_eq!(
                status(&app, practice, "9.5.2").await,
                ready_until(date!(2027 - 06 - 30))
            );
            assert_eq!(status(&app, practice, "9.1.1").await, Status::Missing);
        }

        // The readiness figures: counts of items, worked out for every practice, never people.
        let pass = safetynet::dspt::worker::run(&app.state).await.unwrap();
        assert_eq!(pass.readiness, 2);
        let scope = system_scope_for(b.id, "test");
        let expected = safetynet::dspt::assess(&app.db, &scope, app.clock.now())
            .await
            .unwrap()
            .counts;
        let line = format!(
            "{} ready, {} out of date, {} missing",
            expected.ready, expected.out_of_date, expected.missing
        );
        assert!(expected.ready >= 2 && !expected.mandatory_not_ready.is_empty());
        let view = unescape(&app.get_text("/operator/dspt").await);
        assert!(view.contains(&line), "{line} in {view}");
        assert!(view.contains(&format!(
            "{} missing</strong>",
            expected.mandatory_not_ready.len()
        )));
        assert!(view.contains(&expected.mandatory_not_ready.join(", ")));
        assert!(
            !view.contains("Zebedee"),
            "no individual on the operator's view"
        );
        let list = unescape(&app.get_text("/operator").await);
        assert!(
            list.contains(&line) && list.contains("mandatory missing"),
            "{list}"
        );
        assert!(!list.contains("Zebedee"));
        // A second pass the same day has nothing to do.
        assert_eq!(
            safetynet::dspt::worker::run(&app.state)
                .await
                .unwrap()
                .readiness,
            0
        );

        // The practice sees the ICB's document and can read it, not withdraw it.
        app.sign_in(&a.manager_email, &a.password, Some(&a.totp))
            .await;
        let docs = unescape(&app.get_text("/dspt/documents").await);
        assert!(docs.contains("ICB GP IT statement 2026") && docs.contains("By the ICB"));
        let (doc_id,): (i64,) = with_db!(&app.db, p => sqlx::query_as("SELECT id FROM dspt_documents").fetch_one(p).await).unwrap();
        let got = app.get(&format!("/dspt/documents/{doc_id}")).await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), statement.as_slice());
        assert_eq!(
            app.post(&format!("/dspt/documents/{doc_id}/withdraw"), &[])
                .await
                .status(),
            404
        );
        assert!(unescape(&app.get_text("/dspt").await).contains("From the ICB: "));

        // On 30 June 2027 it stops counting.
        set_now(&app, datetime!(2027-06-30 08:00 UTC));
        assert_eq!(
            status(&app, a.id, "6.2.1").await,
            Status::OutOfDate {
                lapsed: date!(2027 - 06 - 30)
            }
        );
        // Another practice's own document is not found.
        app.sign_in(&b.manager_email, &b.password, Some(&b.totp))
            .await;
        let r = upload(
            &app,
            "/dspt/documents",
            ("b.pdf", pdf("B")),
            &[
                ("title", "B policy"),
                ("items", "1.3.1"),
                ("expires_on", "01/06/2028"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        let (b_doc,): (i64,) = with_db!(&app.db, p => sqlx::query_as("SELECT id FROM dspt_documents WHERE practice_id = $1").bind(b.id).fetch_one(p).await).unwrap();
        app.sign_in(&a.manager_email, &a.password, Some(&a.totp))
            .await;
        assert_eq!(
            app.get(&format!("/dspt/documents/{b_doc}")).await.status(),
            404
        );
        assert!(!unescape(&app.get_text("/dspt/documents").await).contains("B policy"));

        // The operator withdraws the statement from every practice.
        app.sign_in_as_operator().await;
        let r = app
            .post(&format!("/operator/dspt/documents/{doc_id}/withdraw"), &[])
            .await;
        assert_eq!(location(&r), "/operator/dspt?done=withdrawn");
        set_now(&app, NOW);
        assert_eq!(status(&app, a.id, "6.2.1").await, Status::Missing);
    }
);

/// The 2025-26 file made into next year's, as NHS England might publish it.
fn next_year() -> String {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/dspt/2025-26.toml"
    ))
    .unwrap();
    shipped
        .replacen("year = \"2025-26\"", "year = \"2026-27\"", 1)
        .replacen("version = \"8\"", "version = \"9\"", 1)
        .replacen("published = 2025-09-01", "published = 2026-09-01", 1)
        .replacen("deadline = 2026-06-30", "deadline = 2027-06-30", 1)
}

storage_test!(
    a_new_years_toolkit_is_loaded_from_the_command_line_or_by_an_operator,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("2025-26.toml");
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/content/dspt/2025-26.toml"),
            &old,
        )
        .unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_safetynet"))
                .args(args)
                .args(["--database-url", &app.db_url])
                .env_remove("SAFETYNET_DATABASE_URL")
                .output()
                .unwrap();
            (
                out.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            )
        };
        let (ok, out) = run(&["dspt", "load", old.to_str().unwrap()]);
        assert!(!ok && out.contains("already applies"), "{out}");
        let broken = dir.path().join("broken.toml");
        std::fs::write(
            &broken,
            next_year().replacen(
                "evidence = [\"admin_agreements\"]",
                "evidence = [\"admin_agreement\"]",
                1,
            ),
        )
        .unwrap();
        let (ok, out) = run(&["dspt", "load", broken.to_str().unwrap()]);
        assert!(
            !ok && out.contains("Item 4.3.1: \"admin_agreement\" is not a kind of evidence"),
            "{out}"
        );
        let new = dir.path().join("2026-27.toml");
        std::fs::write(&new, next_year()).unwrap();
        let (ok, out) = run(&["dspt", "load", new.to_str().unwrap()]);
        assert!(ok, "{out}");
        assert!(
            out.contains("Loaded DSPT 2026-27 (version 9) (45 items"),
            "{out}"
        );
        let (ok, out) = run(&["dspt", "show"]);
        assert!(
            ok && out.contains("DSPT 2026-27 (version 9)")
                && out.contains("4.3.1   Agreements signed by IT administrators (mandatory)"),
            "{out}"
        );
        // The running app uses it at once.
        let p = manager(&mut app, "Riverside Surgery").await;
        let _ = p;
        assert!(app
            .get_text("/dspt")
            .await
            .contains("DSPT 2026-27 (version 9)"));

        // An operator's upload of the same file is refused; a broken one is explained.
        app.sign_in_as_operator().await;
        let part = |name: &str, text: String| {
            reqwest::multipart::Form::new().part(
                "toolkit",
                reqwest::multipart::Part::bytes(text.into_bytes()).file_name(name.to_string()),
            )
        };
        let r = app
            .client
            .post(app.url("/operator/dspt/toolkit"))
            .multipart(part("2026-27.toml", next_year()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(unescape(&r.text().await.unwrap()).contains("is already loaded"));
        let later = next_year()
            .replacen("published = 2026-09-01", "published = 2026-10-01", 1)
            .replacen("item_count = 45", "item_count = 44", 1);
        let r = app
            .client
            .post(app.url("/operator/dspt/toolkit"))
            .multipart(part("bad.toml", later.clone()))
            .send()
            .await
            .unwrap();
        assert!(unescape(&r.text().await.unwrap())
            .contains("says it has 44 items (item_count) but lists 45"));
        let fixed = later
            .replacen("item_count = 44", "item_count = 45", 1)
            .replacen("version = \"9\"", "version = \"9.1\"", 1);
        let r = app
            .client
            .post(app.url("/operator/dspt/toolkit"))
            .multipart(part("fixed.toml", fixed))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/operator/dspt?done=toolkit");
        assert!(app
            .get_text("/operator/dspt")
            .await
            .contains("DSPT 2026-27 (version 9.1)"));
    }
);

/// The register, an outsider's emailed link, and a staff member in Safety Net.
async fn agreements(backend: Backend) {
    if backend == Backend::Postgres && !crate::helpers::postgres_available() {
        return;
    }
    let mut app = TestApp::spawn_with(
        backend,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let _alive = app.keep_alive();
    set_now(&app, NOW);
    let p = manager(&mut app, "Riverside Surgery").await;
    assert_eq!(status(&app, p.id, "4.3.1").await, Status::Missing);

    // A form with mistakes says what to fix and adds no one.
    let r = app
        .post(
            "/dspt/administrators",
            &[
                ("full_name", "Dev Patel"),
                ("email", "dev at supplier"),
                ("access_kind", ""),
            ],
        )
        .await;
    let body = unescape(&r.text().await.unwrap());
    assert!(
        body.contains("Choose the kind of access they have")
            && body.contains("Enter who they work for"),
        "{body}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM admin_access WHERE practice_id = $1",
            p.id
        )
        .await,
        0
    );

    let r = app
        .post(
            "/dspt/administrators",
            &[
                ("staff_id", ""),
                ("full_name", "Dev Patel"),
                ("email", "dev.patel@gpit-support.example"),
                ("organisation", "Northfield GP IT Ltd"),
                ("systems", "Practice network and PCs"),
                ("access_kind", "network"),
            ],
        )
        .await;
    let page = location(&r);
    assert!(
        page.starts_with("/dspt/administrators/") && page.ends_with("?done=added"),
        "{page}"
    );
    app.deliver_outbox().await;
    let sink = app.smtp.as_ref().unwrap();
    let link = sink.link_sent_to("dev.patel@gpit-support.example", "/agreement/");
    // Long header lines are folded onto the next line; unfold before reading the subject.
    let mail = sink
        .messages()
        .pop()
        .unwrap()
        .replace("\r\n ", " ")
        .replace("\n ", " ");
    assert!(
        mail.contains(
            "Subject: Riverside Surgery: please read and accept the IT administrator agreement"
        ),
        "{mail}"
    );

    // The outsider has no account: the link is all they need.
    let outsider = crate::helpers::new_client();
    let text = unescape(
        &outsider
            .get(&link)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        text.contains("Riverside Surgery's IT systems") && text.contains("What you must not do"),
        "{text}"
    );
    // Forgetting the box or the name explains; the link still works.
    let r = outsider
        .post(&link)
        .form(&[("signed_name", "Dev Patel")])
        .send()
        .await
        .unwrap();
    assert!(unescape(&r.text().await.unwrap()).contains("Tick the box"));
    let r = outsider
        .post(&link)
        .form(&[("signed_name", " "), ("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert!(unescape(&r.text().await.unwrap()).contains("Type your full name"));
    let r = outsider
        .post(&link)
        .form(&[("signed_name", "Devendra Patel"), ("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(unescape(&r.text().await.unwrap())
        .contains("Your acceptance of Riverside Surgery's IT administrator agreement is recorded"));
    // Used once, the link refuses everything after.
    assert_eq!(outsider.get(&link).send().await.unwrap().status(), 410);
    let again = outsider
        .post(&link)
        .form(&[("signed_name", "Someone Else"), ("agree", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
    let (name, via, ip, version, digest, text): (String, String, String, i64, String, String) = with_db!(&app.db, pool => sqlx::query_as(
        "SELECT signed_name, via, ip, version, digest, text FROM admin_agreements WHERE practice_id = $1")
        .bind(p.id).fetch_one(pool).await).unwrap();
    let agreement = safetynet::dspt::agreement::it_administrator();
    assert_eq!(
        (name.as_str(), via.as_str(), ip.as_str()),
        ("Devendra Patel", "link", "127.0.0.1")
    );
    assert_eq!(version, i64::from(agreement.version));
    assert_eq!(digest, agreement.digest("Riverside Surgery"));
    assert_eq!(text, agreement.text_for("Riverside Surgery"));
    assert!(app
        .audit_actions(p.id)
        .await
        .iter()
        .any(|a| a == "dspt.agreement_accepted"));
    // A made-up token looks the same as a used one.
    assert_eq!(
        outsider
            .get(link.replace("/agreement/", "/agreement/x"))
            .send()
            .await
            .unwrap()
            .status(),
        410
    );

    // Sent again: the new link works once even when two requests race.
    let access = page
        .trim_start_matches("/dspt/administrators/")
        .trim_end_matches("?done=added")
        .to_string();
    assert_eq!(
        location(
            &app.post(&format!("/dspt/administrators/{access}/send"), &[])
                .await
        ),
        format!("/dspt/administrators/{access}?done=sent")
    );
    app.deliver_outbox().await;
    let second = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to("dev.patel@gpit-support.example", "/agreement/");
    assert_ne!(second, link);
    let accept = || {
        outsider
            .post(&second)
            .form(&[("signed_name", "Devendra Patel"), ("agree", "yes")])
            .send()
    };
    let (x, y) = tokio::join!(accept(), accept());
    let mut codes = [x.unwrap().status().as_u16(), y.unwrap().status().as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 410]);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM admin_agreements WHERE practice_id = $1",
            p.id
        )
        .await,
        2
    );
    // An unused link stops working after 7 days.
    app.post(&format!("/dspt/administrators/{access}/send"), &[])
        .await;
    app.deliver_outbox().await;
    let third = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to("dev.patel@gpit-support.example", "/agreement/");
    app.clock.advance(7 * 86_400 + 1);
    assert_eq!(outsider.get(&third).send().await.unwrap().status(), 410);
    set_now(&app, NOW);

    // Everyone on the register has agreed: 4.3.1 counts for a year from the acceptance.
    assert_eq!(
        status(&app, p.id, "4.3.1").await,
        ready_until(date!(2027 - 11 - 23))
    );
    assert!(unescape(&app.get_text("/dspt/administrators").await).contains("Until 23 Nov 2027"));

    // A staff member with administrator access accepts in Safety Net.
    let nia = app
        .staff(&p, "Nia Clarke", "Management", Some(Role::Staff))
        .await;
    let r = app
        .post(
            "/dspt/administrators",
            &[
                ("staff_id", &nia.staff_id.to_string()),
                ("full_name", "Nia Clarke"),
                ("email", &nia.email),
                ("organisation", "Riverside Surgery"),
                ("systems", "EMIS Web"),
                ("access_kind", "clinical_system"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let nia_access = location(&r)
        .trim_start_matches("/dspt/administrators/")
        .trim_end_matches("?done=added")
        .to_string();
    app.deliver_outbox().await;
    let mail = app.smtp.as_ref().unwrap().messages().pop().unwrap();
    assert!(
        mail.contains(&nia.email)
            && mail.contains("Sign in to Safety Net")
            && !mail.contains("/agreement/"),
        "{mail}"
    );
    assert_eq!(
        status(&app, p.id, "4.3.1").await,
        Status::Missing,
        "waiting for Nia"
    );
    let mut staff_app = app;
    staff_app.sign_in(&nia.email, &nia.password, None).await;
    let mine = unescape(&staff_app.get_text("/agreements").await);
    assert!(
        mine.contains("What you may do") && mine.contains("accept it for EMIS Web"),
        "{mine}"
    );
    let r = staff_app
        .post(&format!("/agreements/{nia_access}"), &[])
        .await;
    assert_eq!(location(&r), "/agreements?done=accepted");
    // Dev's entry is not hers to accept.
    assert_eq!(
        staff_app
            .post(&format!("/agreements/{access}"), &[])
            .await
            .status(),
        404
    );
    let app = staff_app;
    assert_eq!(
        status(&app, p.id, "4.3.1").await,
        ready_until(date!(2027 - 11 - 23))
    );

    // When she leaves, her agreement ends with her access.
    let mut app = app;
    app.clock.advance(90); // a new sign-in code for the manager
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    app.post(
        &format!("/staff/{}/leave", nia.staff_id),
        &[("confirm", "yes")],
    )
    .await;
    let entry = unescape(
        &app.get_text(&format!("/dspt/administrators/{nia_access}"))
            .await,
    );
    assert!(entry.contains("Access ended"), "{entry}");

    // Eleven months on, Dev is reminded once with a fresh link.
    set_now(&app, datetime!(2027-10-30 09:00 UTC));
    let before = app.smtp.as_ref().unwrap().messages().len();
    let pass = safetynet::dspt::worker::run(&app.state).await.unwrap();
    assert_eq!(pass.reminders, 1);
    assert_eq!(
        safetynet::dspt::worker::run(&app.state)
            .await
            .unwrap()
            .reminders,
        0
    );
    app.deliver_outbox().await;
    let msgs = app.smtp.as_ref().unwrap().messages();
    assert_eq!(msgs.len(), before + 1);
    let renewal = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to("dev.patel@gpit-support.example", "/agreement/");
    assert_eq!(
        crate::helpers::new_client()
            .get(&renewal)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_accepts_the_agreement_through_the_emailed_link_once_sqlite() {
    agreements(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_accepts_the_agreement_through_the_emailed_link_once_postgres() {
    agreements(Backend::Postgres).await;
}

/// Waits for a pack to finish building (it runs in the background).
async fn wait_for_pack(app: &TestApp, id: &str) -> serde_json::Value {
    for _ in 0..300 {
        let p: serde_json::Value = app
            .get(&format!("/dspt/packs/{id}/progress"))
            .await
            .json()
            .await
            .unwrap();
        if p["status"] != "building" {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the pack was still building after 30 s");
}

storage_test!(
    the_evidence_pack_holds_a_summary_and_the_files_behind_it,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let p = manager(&mut app, "Riverside Surgery").await;
        with_db!(&app.db, pool => sqlx::query("UPDATE practices SET ods_code = 'Y01234' WHERE id = $1").bind(p.id).execute(pool).await.map(|_| ())).unwrap();
        seed_records(&app, p.id).await;
        // An incident whose title names a patient: the pack's log leaves titles out.
        let (plan_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM plans WHERE practice_id = $1").bind(p.id).fetch_one(pool).await).unwrap();
        with_db!(&app.db, pool => sqlx::query(
            "INSERT INTO incidents (practice_id, plan_id, title, declared_at, declared_by, aware_at, personal_data, status, checklist) \
             VALUES ($1, $2, 'Letter for Mrs Ethel Jones sent to the wrong address', $3, 'Priya Shah', $3, TRUE, 'open', '[]')")
            .bind(p.id).bind(plan_id).bind(ts(NOW) - 10 * 86_400).execute(pool).await.map(|_| ())).unwrap();
        let policy = pdf("Data protection policy");
        let r = upload(
            &app,
            "/dspt/documents",
            ("Data protection policy.pdf", policy.clone()),
            &[
                ("title", "Data protection policy"),
                ("items", "1.3.1"),
                ("expires_on", "01/09/2028"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);

        let r = app.post("/dspt/packs", &[]).await;
        let at = location(&r);
        assert!(at.starts_with("/dspt/packs/"), "{at}");
        let id = at.trim_start_matches("/dspt/packs/").to_string();
        let done = wait_for_pack(&app, &id).await;
        assert_eq!(done["status"], "ready", "{done}");
        assert_eq!(done["step"], done["steps"]);
        let page = unescape(&app.get_text(&at).await);
        assert!(
            page.contains("Download the summary (PDF)")
                && page.contains("DSPT 2025-26 (version 8)"),
            "{page}"
        );
        assert!(unescape(&app.get_text("/dspt/packs").await).contains("ready, "));

        let summary = app
            .get(&format!("{at}/summary.pdf"))
            .await
            .bytes()
            .await
            .unwrap();
        if let Some(text) = pdf_text(&summary) {
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for want in [
                "DSPT evidence pack",
                "Riverside Surgery",
                "Y01234",
                "Generated 23 Nov 2026",
                "DSPT 2025-26 (version 8)",
                "7.1.1 Digital asset register reviewed (mandatory)",
                "Status Evidence out of date: Lapsed on 1 Nov 2026",
                "Responsible Practice manager",
                "4.3.1 Agreements signed by IT administrators (mandatory)",
                "Status Evidence missing",
                "Document: Data protection policy",
                "Counts until 1 Sep 2028",
                "Mandatory items without evidence ready:",
            ] {
                assert!(flat.contains(want), "{want:?} in: {flat}");
            }
        }

        let zip_bytes = app
            .get(&format!("{at}/evidence.zip"))
            .await
            .bytes()
            .await
            .unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
        let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
            let mut f = zip
                .by_name(name)
                .unwrap_or_else(|_| panic!("{name} in the zip"));
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            out
        };
        let index = String::from_utf8(read(&mut zip, "index.txt")).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().to_string()).collect();
        for listed in index
            .lines()
            .filter(|l| !l.starts_with(' ') && (l.contains('/') || l.ends_with(".pdf")))
        {
            assert!(
                names.iter().any(|n| n == listed.trim()),
                "{listed} listed but not in the zip: {names:?}"
            );
        }
        for name in &names {
            assert!(
                name == "index.txt" || index.contains(name.as_str()),
                "{name} not in the index"
            );
        }
        for want in [
            "summary.pdf",
            "training/compliance.pdf",
            "training/training-needs-analysis.pdf",
            "assets/asset-register.csv",
            "backups/backup-and-restore-log.csv",
            "incidents/incident-log.csv",
            "plans/ransomware.pdf",
            "agreements/register.csv",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("exercises/2026-05-10-phishing-to-ransomware")),
            "{names:?}"
        );
        let doc = names
            .iter()
            .find(|n| n.starts_with("documents/"))
            .expect("the uploaded document")
            .clone();
        assert_eq!(read(&mut zip, &doc), policy);
        let assets = String::from_utf8(read(&mut zip, "assets/asset-register.csv")).unwrap();
        assert!(assets.contains("RECEPTION-PC1"));
        let incidents = String::from_utf8(read(&mut zip, "incidents/incident-log.csv")).unwrap();
        assert!(
            incidents.contains("Ransomware") && !incidents.contains("Jones"),
            "{incidents}"
        );
        assert_eq!(read(&mut zip, "summary.pdf"), summary.to_vec());
        if let Some(text) = pdf_text(&read(&mut zip, "training/training-needs-analysis.pdf")) {
            assert!(text.contains("Locum pack"));
        }

        // Another practice's packs are not found.
        let mut other = app;
        let b = manager(&mut other, "Hillside Surgery").await;
        let _ = b;
        for path in [
            at.clone(),
            format!("{at}/summary.pdf"),
            format!("{at}/evidence.zip"),
            format!("{at}/progress"),
        ] {
            assert_eq!(other.get(&path).await.status(), 404, "{path}");
        }
    }
);

storage_test!(
    documents_and_packs_are_part_of_safetynet_backup,
    |mut app: TestApp| async move {
        set_now(&app, NOW);
        let p = manager(&mut app, "Riverside Surgery").await;
        let policy = pdf("Information governance policy");
        upload(
            &app,
            "/dspt/documents",
            ("IG policy.pdf", policy.clone()),
            &[
                ("title", "IG policy"),
                ("items", "1.3.1"),
                ("expires_on", "01/09/2028"),
            ],
        )
        .await;
        let at = location(&app.post("/dspt/packs", &[]).await);
        wait_for_pack(&app, at.trim_start_matches("/dspt/packs/")).await;
        let file = app.dir.path().join("backup.snbackup");
        safetynet::resilience::own_backup::backup(&app.db, &file, app.clock.now())
            .await
            .unwrap();
        let restored_url = format!("sqlite://{}", app.dir.path().join("restored.db").display());
        safetynet::resilience::own_backup::restore(&restored_url, &file, false)
            .await
            .unwrap();
        let restored = safetynet::db::Db::connect(&restored_url).await.unwrap();
        let data: Vec<u8> = with_db!(&restored, pool => sqlx::query_scalar("SELECT data FROM dspt_document_files").fetch_one(pool).await).unwrap();
        assert_eq!(data, policy);
        let zip: Vec<u8> = with_db!(&restored, pool => sqlx::query_scalar("SELECT zip FROM dspt_pack_files").fetch_one(pool).await).unwrap();
        assert!(zip.starts_with(b"PK\x03\x04"));
        let _ = p;
    }
);
