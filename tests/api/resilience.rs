//! Resilience as a practice manager uses it: the asset register with its
//! end-of-life and patch clocks, spreadsheet import, device check-in with the
//! real scripts, NHS cyber alerts, backups, and `safetynet backup`/`restore`.

use std::process::Command;

use crate::helpers::{location, Backend, Practice, TestApp};
use crate::storage_test;
use safetynet::auth::Role;
use safetynet::db::{Db, Pool};
use safetynet::shared::PracticeId;
use safetynet::with_db;

/// Sets the app's clock to a fixed moment (UTC).
fn set_now(app: &TestApp, at: time::OffsetDateTime) {
    app.clock.advance(at.unix_timestamp() - app.clock.now());
}

const MONDAY_23_NOV_2026_NOON: time::OffsetDateTime = time::macros::datetime!(2026-11-23 12:00 UTC);

async fn manager(app: &mut TestApp) -> Practice {
    let p = app.practice("Riverside Surgery").await;
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    p
}

async fn add_asset(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post("/resilience/assets/new", fields).await
}

async fn asset_id(app: &TestApp, practice_id: PracticeId, name: &str) -> i64 {
    let (id,): (i64,) = with_db!(&app.db, p => sqlx::query_as("SELECT id FROM assets WHERE practice_id = $1 AND name = $2")
        .bind(practice_id).bind(name).fetch_one(p).await).unwrap();
    id
}

storage_test!(
    a_manager_sees_unsupported_and_overdue_devices_stand_out,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        // Windows 10 ended on 14 October 2025; last updated before October's release (13 Oct).
        let r = add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "RECEPTION-PC1"),
                ("make_model", "Dell OptiPlex 7050"),
                ("os", "Windows 10 Pro 22H2"),
                ("owner", "Reception"),
                ("location", "Front desk"),
                ("encryption", "yes"),
                ("managed_by", "icb"),
                ("last_updated", "01/10/2026"),
            ],
        )
        .await;
        assert_eq!(location(&r), "/resilience/assets?done=added");
        // Updated after October's release; November's (10 Nov) is due by 24 Nov.
        add_asset(
            &app,
            &[
                ("kind", "laptop"),
                ("name", "NURSE-LT1"),
                ("os", "Windows 11 Pro 24H2"),
                ("encryption", "no"),
                ("managed_by", "practice"),
                ("last_updated", "20/10/2026"),
                ("supported_until", "14/10/2031"),
            ],
        )
        .await;
        add_asset(
            &app,
            &[
                ("kind", "software"),
                ("name", "Docman"),
                ("os", "10"),
                ("encryption", "not_applicable"),
                ("managed_by", "supplier"),
                ("last_updated", "15/11/2026"),
            ],
        )
        .await;

        let list = app.get_text("/resilience/assets").await;
        let row = |name: &str| {
            let start = list
                .find(&format!(">{name}</a>"))
                .unwrap_or_else(|| panic!("{name} listed"));
            list[start..].split("</tr>").next().unwrap().to_string()
        };
        let pc = row("RECEPTION-PC1");
        assert!(
            pc.contains("Unsupported") && pc.contains("No security updates since 14 October 2025"),
            "{pc}"
        );
        assert!(
            pc.contains("Updates overdue")
                && pc.contains("27 days overdue: updates released 13 October 2026"),
            "{pc}"
        );
        let laptop = row("NURSE-LT1");
        assert!(
            laptop.contains("Updates due")
                && laptop.contains("Install by 24 November 2026 (1 day left)"),
            "{laptop}"
        );
        assert!(
            laptop.contains("Security updates until 14 October 2031"),
            "{laptop}"
        );
        assert!(
            laptop.contains("nhsuk-tag--red\">Not encrypted"),
            "{laptop}"
        );
        let docman = row("Docman");
        assert!(
            docman.contains("Up to date") && docman.contains("Support date not known"),
            "{docman}"
        );

        // "Needs attention" shows the two problem devices only.
        let attention = app.get_text("/resilience/assets?show=attention").await;
        assert!(
            attention.contains("RECEPTION-PC1")
                && attention.contains("NURSE-LT1")
                && !attention.contains("Docman")
        );
        let overview = app.get_text("/resilience").await;
        assert!(
            overview.contains("unsupported devices or software"),
            "{overview}"
        );

        // The manager installs the updates: the clock stops.
        let id = asset_id(&app, p.id, "RECEPTION-PC1").await;
        app.post(&format!("/resilience/assets/{id}/updated"), &[])
            .await;
        let page = app.get_text(&format!("/resilience/assets/{id}")).await;
        assert!(
            page.contains("Up to date")
                && page.contains("Next monthly updates expected 8 December 2026"),
            "{page}"
        );

        // A week later NURSE-LT1 is overdue.
        app.clock.advance(7 * 86_400);
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let later = app.get_text("/resilience/assets").await;
        assert!(
            later.contains("6 days overdue: updates released 10 November 2026"),
            "{later}"
        );

        // Every change is in the audit log.
        let actions = app.audit_actions(p.id).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "resilience.asset_changed")
                .count(),
            4,
            "{actions:?}"
        );

        // The register review is tracked.
        assert!(later.contains("Not reviewed yet"));
        app.post(
            "/resilience/assets/review",
            &[("note", "Checked with ICB GP IT")],
        )
        .await;
        let reviewed = app.get_text("/resilience/assets").await;
        assert!(
            reviewed
                .contains("Last reviewed 30 November 2026; next review due by 30 November 2027"),
            "{reviewed}"
        );
    }
);

storage_test!(
    bad_input_is_refused_with_clear_messages_and_nothing_is_lost,
    |mut app: TestApp| async move {
        let p = manager(&mut app).await;
        let r = add_asset(
            &app,
            &[
                ("kind", "toaster"),
                ("name", ""),
                ("encryption", "yes"),
                ("managed_by", "practice"),
                ("supported_until", "31/02/2027"),
            ],
        )
        .await;
        assert_eq!(r.status(), 200);
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(page.contains("There is a problem"));
        assert!(page.contains("\"toaster\" is not a type Safety Net knows"));
        assert!(page.contains("Enter a name"));
        assert!(page.contains("There is no 31 February 2027"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            0
        );

        add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "PC1"),
                ("serial", "abc123"),
                ("encryption", "yes"),
                ("managed_by", "practice"),
            ],
        )
        .await;
        let dup = add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "PC2"),
                ("serial", "ABC123"),
                ("encryption", "yes"),
                ("managed_by", "practice"),
            ],
        )
        .await;
        assert!(crate::helpers::unescape(&dup.text().await.unwrap())
            .contains("PC1 already has serial number ABC123"));

        // Tampered ids: not numbers, or another practice's, are simply not found.
        for path in [
            "/resilience/assets/abc",
            "/resilience/assets/99999",
            "/resilience/alerts/1%27%20OR%201=1",
            "/resilience/backups/-1",
        ] {
            assert_eq!(app.get(path).await.status(), 404, "{path}");
        }
        assert_eq!(
            app.post("/resilience/assets/abc/retire", &[("action", "retire")])
                .await
                .status(),
            404
        );
        let id = asset_id(&app, p.id, "PC1").await;
        assert_eq!(
            app.post(
                &format!("/resilience/assets/{id}/retire"),
                &[("action", "explode")]
            )
            .await
            .status(),
            400
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM assets WHERE practice_id = $1 AND active",
                p.id
            )
            .await,
            1
        );

        // A huge upload is refused with a message that says what to do.
        let big = vec![b'a'; 6 * 1024 * 1024];
        let part = reqwest::multipart::Part::bytes(big).file_name("huge.csv");
        let r = app
            .client
            .post(app.url("/resilience/assets/import"))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        assert!(r.text().await.unwrap().contains("larger than 5 MB"));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM asset_imports WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );
    }
);

async fn upload(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("text/csv")
        .unwrap();
    app.client
        .post(app.url("/resilience/assets/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

storage_test!(
    a_spreadsheet_with_bad_rows_imports_nothing_unless_the_manager_chooses_the_good_rows,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "OLD-PC"),
                ("serial", "OLD1"),
                ("encryption", "yes"),
                ("managed_by", "practice"),
            ],
        )
        .await;
        // Plain "CSV" from UK Excel: Windows-1252, a byte-order mark-less file with a £ sign.
        let mut csv = b"Computer name,Type,Manufacturer,Model,Operating system,Owner,Encrypted,Managed by,Last updated,Serial number,Notes\r\n".to_vec();
        csv.extend_from_slice(b"RECEPTION-PC1,Desktop,Dell,OptiPlex 7090,Windows 11 Pro 23H2,Reception,Yes,ICB GP IT,12/11/2026,ABC1,Cost \xa3450\r\n");
        csv.extend_from_slice(b"SERVER1,Server,HP,ProLiant,Windows Server 2012 R2 Standard,IT,Yes,Supplier,01/06/2026,SRV1,\r\n");
        csv.extend_from_slice(b"FRIDGE,Fridge,,,,,maybe,aliens,31/02/2026,,\r\n");
        csv.extend_from_slice(b"COPY-PC,Desktop,,,,,,,,OLD1,\r\n");
        let r = upload(&app, "register.csv", csv).await;
        assert_eq!(r.status(), 303);
        let preview_path = location(&r);
        let preview = app.get_text(&preview_path).await;
        assert!(preview.contains("<strong>2</strong> rows are ready to import and <strong>2</strong> rows have problems"), "{preview}");
        assert!(preview.contains("\"Fridge\" is not a type Safety Net knows"));
        assert!(preview.contains("Disk encryption must be yes, no, unknown or n/a"));
        assert!(preview.contains("There is no 31 February 2026"));
        assert!(preview.contains("OLD-PC in the register already has serial number OLD1"));

        let r = app.post(&preview_path, &[("action", "all")]).await;
        assert_eq!(r.status(), 200);
        assert!(crate::helpers::unescape(&r.text().await.unwrap())
            .contains("2 rows have problems, so nothing has been imported"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            1
        );

        let r = app.post(&preview_path, &[("action", "good")]).await;
        assert_eq!(location(&r), "/resilience/assets?done=imported-2");
        let list = app.get_text("/resilience/assets?done=imported-2").await;
        assert!(list.contains("2 imported into the register."));
        // Server 2012 R2 is found in the support-dates table.
        assert!(
            list.contains("No security updates since 10 October 2023"),
            "{list}"
        );
        let (notes,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT notes FROM assets WHERE practice_id = $1 AND name = 'RECEPTION-PC1'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(notes, "Cost £450");
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"resilience.assets_imported".to_string()));

        // The register downloads as a spreadsheet in the import's own columns and words...
        let r = app.get("/resilience/assets.csv").await;
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let exported = r.bytes().await.unwrap().to_vec();
        let text = String::from_utf8(exported.clone()).unwrap();
        let text = text
            .strip_prefix('\u{feff}')
            .expect("a BOM, so Excel reads UTF-8");
        let mut lines = text.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with(safetynet::resilience::import::EXAMPLE_HEADER));
        let reception = text
            .lines()
            .find(|l| l.starts_with("RECEPTION-PC1,"))
            .unwrap();
        assert!(
            reception.contains(",desktop,")
                && reception.contains(",Encrypted,ICB GP IT,")
                && reception.contains(",12/11/2026,ABC1,")
                && reception.ends_with(",Cost £450,Yes"),
            "{reception}"
        );
        let server = text.lines().find(|l| l.starts_with("SERVER1,")).unwrap();
        assert!(
            server.contains("No security updates since 10 October 2023"),
            "{server}"
        );
        assert_eq!(
            text.lines().count(),
            4,
            "a header and three devices: {text}"
        );
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"resilience.assets_exported".to_string()));

        // ...so another practice (a new site, say) can import it as it is.
        let other = app.practice("Hillside Surgery").await;
        app.sign_in(&other.manager_email, &other.password, Some(&other.totp))
            .await;
        let r = upload(&app, "asset-register.csv", exported).await;
        assert_eq!(r.status(), 303);
        let preview = app.get_text(&location(&r)).await;
        assert!(
            preview.contains("<strong>3</strong> rows are ready to import"),
            "{preview}"
        );
    }
);

fn shell_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

storage_test!(
    the_shell_check_in_script_reports_this_computer_to_the_register,
    |mut app: TestApp| async move {
        if !shell_available() {
            eprintln!("\n*** Shell check-in test SKIPPED: curl is not installed. ***\n");
            return;
        }
        let p = manager(&mut app).await;
        let r = app.get("/resilience/checkin/safetynet-checkin.sh").await;
        assert_eq!(r.status(), 400, "no token yet");
        app.post("/resilience/checkin/token", &[]).await;
        let r = app.get("/resilience/checkin/safetynet-checkin.sh").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("safetynet-checkin.sh"));
        let script = r.text().await.unwrap();
        assert!(script.contains(&app.base) && !script.contains("__TOKEN__"));
        let path = app.dir.path().join("safetynet-checkin.sh");
        std::fs::write(&path, &script).unwrap();

        // What it would send is valid JSON describing this computer.
        let dry = Command::new("sh")
            .arg(&path)
            .env("SAFETYNET_DRY_RUN", "1")
            .output()
            .unwrap();
        assert!(
            dry.status.success(),
            "{}",
            String::from_utf8_lossy(&dry.stderr)
        );
        let sent: serde_json::Value =
            serde_json::from_slice(&dry.stdout).expect("the script sends JSON");
        let hostname =
            String::from_utf8(Command::new("uname").arg("-n").output().unwrap().stdout).unwrap();
        let hostname = hostname.trim().split('.').next().unwrap().to_string();
        assert_eq!(sent["hostname"], hostname.as_str());
        assert!(!sent["os"].as_str().unwrap().is_empty());

        // Run it for real against the running app.
        let out =
            tokio::task::spawn_blocking(move || Command::new("sh").arg(&path).output().unwrap())
                .await
                .unwrap();
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            said.contains("has been added to the practice's asset register"),
            "{said}"
        );
        let (name, os, added_by, checkin): (String, String, String, Option<i64>) =
            with_db!(&app.db, pool => sqlx::query_as(
            "SELECT name, os, added_by, last_checkin_at FROM assets WHERE practice_id = $1")
            .bind(p.id).fetch_one(pool).await)
            .unwrap();
        assert_eq!(name, hostname);
        assert_eq!(os, sent["os"].as_str().unwrap());
        assert_eq!(added_by, "checkin");
        assert!(checkin.is_some());

        // The second run updates the same device.
        let path = app.dir.path().join("safetynet-checkin.sh");
        let out =
            tokio::task::spawn_blocking(move || Command::new("sh").arg(&path).output().unwrap())
                .await
                .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains("is up to date in the practice's asset register"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            1
        );
        let page = app.get_text("/resilience/checkin").await;
        assert!(page.contains(&hostname), "recent check-ins listed");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_powershell_check_in_script_where_pwsh_is_installed() {
    let Ok(out) = Command::new("pwsh")
        .args([
            "-NoProfile",
            "-Command",
            "$PSVersionTable.PSVersion.ToString()",
        ])
        .output()
    else {
        if std::env::var("SAFETYNET_TEST_REQUIRE_PWSH").is_ok_and(|v| v == "1") {
            panic!("SAFETYNET_TEST_REQUIRE_PWSH=1 but pwsh is not installed");
        }
        eprintln!("\n*** PowerShell check-in test SKIPPED: pwsh is not installed (set SAFETYNET_TEST_REQUIRE_PWSH=1 to require it). ***\n");
        return;
    };
    assert!(out.status.success());
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let p = manager(&mut app).await;
    app.post("/resilience/checkin/token", &[]).await;
    let script = app
        .get("/resilience/checkin/safetynet-checkin.ps1")
        .await
        .text()
        .await
        .unwrap();
    let path = app.dir.path().join("safetynet-checkin.ps1");
    std::fs::write(&path, script).unwrap();
    // Off Windows the CIM and registry calls fail; the script must say so plainly and send nothing broken.
    let out = tokio::task::spawn_blocking(move || {
        Command::new("pwsh")
            .args(["-NoProfile", "-ExecutionPolicy", "Bypass", "-File"])
            .arg(&path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    if cfg!(windows) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            1
        );
    } else {
        assert!(
            !out.status.success(),
            "off Windows the script stops with an error"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            0
        );
    }
}

async fn check_in(
    app: &TestApp,
    token: Option<&str>,
    body: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/checkin"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn token(app: &TestApp, practice_id: PracticeId) -> String {
    let (t,): (String,) = with_db!(&app.db, p => sqlx::query_as("SELECT token FROM checkin_tokens WHERE practice_id = $1")
        .bind(practice_id).fetch_one(p).await).unwrap();
    t
}

storage_test!(
    a_check_in_finds_its_device_by_serial_then_by_name_and_adds_a_new_one_once,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        app.post("/resilience/checkin/token", &[]).await;
        let t = token(&app, p.id).await;
        for (name, hostname, serial) in [
            ("Nurse laptop", "nurse-lt1", ""),
            ("Spare PC", "spare-1", "SPARE1"),
        ] {
            let r = add_asset(
                &app,
                &[
                    ("kind", "laptop"),
                    ("name", name),
                    ("hostname", hostname),
                    ("serial", serial),
                    ("encryption", "unknown"),
                    ("managed_by", "practice"),
                ],
            )
            .await;
            assert_eq!(location(&r), "/resilience/assets?done=added");
        }
        let laptop = asset_id(&app, p.id, "Nurse laptop").await;
        let spare = asset_id(&app, p.id, "Spare PC").await;
        let answer = |body: &'static str| {
            let (app, t) = (&app, t.clone());
            async move {
                let r = check_in(app, Some(&t), body, &[]).await;
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.unwrap();
                (status, v["asset_id"].as_i64().unwrap())
            }
        };
        // The serial number wins over the computer name…
        assert_eq!(
            answer(r#"{"hostname":"NURSE-LT1","serial":"spare1","os":"Windows 11 Pro"}"#).await,
            (200, spare)
        );
        // …and without a known one, the name finds the device, which keeps the serial it lacked.
        assert_eq!(
            answer(r#"{"hostname":"NURSE-LT1","serial":"NEW1","os":"Windows 11 Pro"}"#).await,
            (200, laptop)
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM assets WHERE id = $1 AND serial = 'NEW1'",
                laptop
            )
            .await,
            1
        );
        // A device no longer in use is not matched: its replacement is added, once, with its audit entry.
        let r = app
            .post(
                &format!("/resilience/assets/{laptop}/retire"),
                &[("action", "retire")],
            )
            .await;
        assert_eq!(
            location(&r),
            format!("/resilience/assets/{laptop}?done=retired")
        );
        let (status, added) =
            answer(r#"{"hostname":"NURSE-LT1","serial":"NEW1","os":"Windows 11 Pro"}"#).await;
        assert_eq!(status, 201);
        assert!(added != laptop && added != spare);
        assert_eq!(
            answer(r#"{"hostname":"NURSE-LT1","serial":"NEW1","os":"Windows 11 Pro"}"#).await,
            (200, added)
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            3
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE practice_id = $1 AND action = 'resilience.asset_changed' AND detail LIKE '%added by its first check-in'",
                p.id
            )
            .await,
            1
        );
        // The page it lands on says what happened, in the success banner; a word it does not know says nothing.
        let page = app
            .get_text(&format!("/resilience/assets/{laptop}?done=retired"))
            .await;
        assert!(
            page.contains("nhsuk-notification-banner--success")
                && page.contains("Marked as no longer in use.")
        );
        let page = app
            .get_text(&format!("/resilience/assets/{laptop}?done=%3Cscript%3E"))
            .await;
        assert!(!page.contains("nhsuk-notification-banner"));
    }
);

storage_test!(
    check_in_matches_devices_refuses_wrong_tokens_and_limits_each_token,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        app.post("/resilience/checkin/token", &[]).await;
        let t = token(&app, p.id).await;
        add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "Reception PC"),
                ("serial", "5cg1234xyz"),
                ("encryption", "unknown"),
                ("managed_by", "icb"),
                ("owner", "Reception"),
            ],
        )
        .await;

        // Matched by serial number: the manager's name and owner stay, the device's facts arrive.
        let body = r#"{"hostname":"RECEP-01","serial":"5CG1234XYZ","make":"HP","model":"EliteDesk 800 G6","os":"Windows 10 Pro","os_version":"22H2","build":"19045.5131","kind":"desktop","encryption":"yes","last_update":"2026-11-12T10:04:00Z"}"#;
        let r = check_in(&app, Some(&t), body, &[]).await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["result"], "updated");
        let (name, os, build, enc, owner, updated): (String, String, String, String, String, Option<i64>) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT name, os, os_build, encryption, owner, last_updated_at FROM assets WHERE practice_id = $1")
            .bind(p.id).fetch_one(pool).await).unwrap();
        assert_eq!(
            (
                name.as_str(),
                os.as_str(),
                build.as_str(),
                enc.as_str(),
                owner.as_str()
            ),
            (
                "Reception PC",
                "Windows 10 Pro 22H2",
                "19045.5131",
                "yes",
                "Reception"
            )
        );
        assert_eq!(
            updated,
            Some(time::macros::datetime!(2026-11-12 10:04 UTC).unix_timestamp())
        );
        let page = app.get_text("/resilience/assets").await;
        assert!(
            page.contains("Unsupported") && page.contains("Windows 10 Pro 22H2 (build 19045.5131)"),
            "end of life found from the check-in"
        );

        // A browser-style cross-site POST is judged by the token alone on this endpoint…
        let r = check_in(
            &app,
            Some(&t),
            r#"{"hostname":"LAPTOP-2","kind":"laptop","os":"macOS 15.1"}"#,
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://elsewhere.example"),
            ],
        )
        .await;
        assert_eq!(r.status(), 201);
        // …while every page keeps its CSRF protection.
        let r = app
            .client
            .post(app.url("/resilience/assets/new"))
            .header("sec-fetch-site", "cross-site")
            .form(&[("kind", "desktop"), ("name", "CSRF")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        // Wrong, missing and replaced tokens.
        let r = check_in(&app, Some("snci_wrong"), body, &[]).await;
        assert_eq!(r.status(), 401);
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"]
            .as_str()
            .unwrap()
            .contains("does not recognise this enrolment token"));
        let r = check_in(&app, None, body, &[]).await;
        assert_eq!(r.status(), 401);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("No enrolment token was sent"));
        // A flood of made-up tokens is turned away without a rate-limit bucket for any of them.
        let buckets = "SELECT COUNT(*) FROM rate_limits WHERE rule = 'checkin' AND $1 > 0";
        let before = app.count(buckets, 1).await;
        assert_eq!(before, 1, "the real token's bucket");
        for i in 0..200 {
            let fake = format!("snci_made_up_{i}");
            assert_eq!(check_in(&app, Some(&fake), body, &[]).await.status(), 401);
        }
        assert_eq!(app.count(buckets, 1).await, before);
        app.post("/resilience/checkin/token", &[]).await;
        assert_eq!(
            check_in(&app, Some(&t), body, &[]).await.status(),
            401,
            "the old token stops working"
        );
        let t = token(&app, p.id).await;

        // Bad bodies.
        let r = check_in(&app, Some(&t), "{not json", &[]).await;
        assert_eq!(r.status(), 400);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("could not be read as JSON"));
        let r = check_in(&app, Some(&t), r#"{"serial":"X"}"#, &[]).await;
        assert_eq!(r.status(), 400);
        let r = check_in(
            &app,
            Some(&t),
            r#"{"hostname":"PC","last_update":"last tuesday"}"#,
            &[],
        )
        .await;
        assert_eq!(r.status(), 400);
        // A device clock set wrong is refused with what to fix, not stored.
        for (when, says) in [
            ("2030-01-01T00:00:00Z", "more than a day ahead"),
            ("-86400", "before 1970"),
        ] {
            let when = if when.starts_with('-') {
                when.to_string()
            } else {
                format!("\"{when}\"")
            };
            let r = check_in(
                &app,
                Some(&t),
                &format!(r#"{{"hostname":"CLOCK-PC","last_update":{when}}}"#),
                &[],
            )
            .await;
            assert_eq!(r.status(), 400);
            assert!(r.text().await.unwrap().contains(says));
        }
        let huge = format!(r#"{{"hostname":"PC","os":"{}"}}"#, "x".repeat(200_000));
        assert_eq!(check_in(&app, Some(&t), &huge, &[]).await.status(), 413);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM assets WHERE practice_id = $1", p.id)
                .await,
            2,
            "nothing added by bad check-ins"
        );

        // Each token has its own budget: 300 at once, then 5 a second.
        let small = r#"{"hostname":"LAPTOP-2"}"#;
        let mut limited = None;
        for i in 0..400 {
            let r = check_in(&app, Some(&t), small, &[]).await;
            if r.status() == 429 {
                limited = Some((
                    i,
                    r.headers()
                        .get("retry-after")
                        .map(|v| v.to_str().unwrap().to_string()),
                    r.text().await.unwrap(),
                ));
                break;
            }
            assert_eq!(r.status(), 200);
        }
        let (at, retry, msg) = limited.expect("rate limited");
        // The real clock runs on during the loop, refilling 5 a second.
        assert!((290..=360).contains(&at), "limited after {at}");
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(msg.contains("Too many check-ins with this token"));
        app.clock.advance(2);
        assert_eq!(check_in(&app, Some(&t), small, &[]).await.status(), 200);

        // A new device's first check-ins arriving together add it once.
        app.clock.advance(120);
        let first = r#"{"hostname":"BRAND-NEW-PC","os":"Windows 11 Pro"}"#;
        let together = (0..8).map(|_| check_in(&app, Some(&t), first, &[]));
        let statuses: Vec<u16> = futures_util::future::join_all(together)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 201),
            "{statuses:?}"
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM assets WHERE practice_id = $1 AND hostname = 'brand-new-pc'",
                p.id
            )
            .await,
            1
        );
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"resilience.checkin_token_changed".to_string()));
    }
);

storage_test!(
    cyber_alerts_show_the_48_hour_clock,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        // Arrived Saturday 21 November, 09:30: 50.5 hours ago.
        let r = app
            .post(
                "/resilience/alerts/new",
                &[
                    ("reference", "CC-4567"),
                    ("title", "Critical vulnerability in a VPN appliance"),
                    ("severity", "high"),
                    ("received", "2026-11-21T09:30"),
                    ("applicability", "not_assessed"),
                    ("action_owner", "icb"),
                ],
            )
            .await;
        assert_eq!(location(&r), "/resilience/alerts?done=added");
        let list = app.get_text("/resilience/alerts").await;
        assert!(
            list.contains("Acknowledgement overdue")
                && list.contains(
                    "Should have been acknowledged by 23 Nov 2026 09:30 (2 hours 30 minutes ago)"
                ),
            "{list}"
        );
        let (id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM cyber_alerts WHERE practice_id = $1").bind(p.id).fetch_one(pool).await).unwrap();

        app.post(
            "/resilience/alerts/new",
            &[
                ("reference", "CC-4570"),
                ("title", "Browser update"),
                ("severity", "medium"),
                ("received", "2026-11-23T10:00"),
                ("action_owner", "practice"),
            ],
        )
        .await;
        let list = app.get_text("/resilience/alerts").await;
        assert!(
            // 46 hours less the seconds the test has taken.
            list.contains("Acknowledge by 25 Nov 2026 10:00 (1 day 2"),
            "{list}"
        );

        app.post(&format!("/resilience/alerts/{id}/acknowledge"), &[])
            .await;
        let page = app.get_text(&format!("/resilience/alerts/{id}")).await;
        assert!(
            page.contains("Acknowledged 23 Nov 2026 12:00, 2 hours 30 minutes after the 48 hours"),
            "{page}"
        );
        let r = app
            .post(
                &format!("/resilience/alerts/{id}"),
                &[
                    ("reference", "CC-4567"),
                    ("title", "Critical vulnerability in a VPN appliance"),
                    ("severity", "high"),
                    ("received", "2026-11-21T09:30"),
                    ("applicability", "applies"),
                    ("assessment", "The practice VPN is this model"),
                    ("actions", "ICB GP IT to patch the appliance"),
                    ("action_owner", "icb"),
                    ("completed_on", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let overview = app.get_text("/resilience").await;
        assert!(overview.contains("cyber alerts that apply with actions still open"));
        let list = app.get_text("/resilience/alerts").await;
        assert!(
            list.contains("Applies to us") && list.contains("By: ICB GP IT"),
            "{list}"
        );
        let bad = app
            .post(
                "/resilience/alerts/new",
                &[
                    ("reference", ""),
                    ("title", "x"),
                    ("severity", "apocalyptic"),
                    ("received", "soon"),
                ],
            )
            .await;
        let bad = crate::helpers::unescape(&bad.text().await.unwrap());
        assert!(
            bad.contains("Enter the alert's reference")
                && bad.contains("Choose the severity")
                && bad.contains("Enter when the alert arrived")
        );
        assert_eq!(
            app.audit_actions(p.id)
                .await
                .iter()
                .filter(|a| *a == "resilience.cyber_alert_changed")
                .count(),
            4
        );
    }
);

storage_test!(
    backups_overdue_and_restore_tests_stand_out,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        let champion = app
            .staff(&p, "Fatima Begum", "Clinical", Some(Role::Champion))
            .await;
        let staff = app
            .staff(&p, "Tom Bennett", "Clinical", Some(Role::Staff))
            .await;
        app.post(
            "/resilience/backups/new",
            &[
                ("what", "Shared drive (S:)"),
                ("category", "shared_drive"),
                ("responsible", "practice"),
                ("responsible_name", "Priya Shah"),
                ("destination", "external_drive"),
                ("destination_detail", "Two drives swapped weekly"),
                ("offline_copy", "yes"),
                ("frequency_days", "1"),
                ("restore_every_days", "182"),
            ],
        )
        .await;
        app.post(
            "/resilience/backups/new",
            &[
                ("what", "EMIS Web"),
                ("category", "clinical_system"),
                ("responsible", "supplier"),
                ("responsible_name", "EMIS Health"),
                ("destination", "supplier"),
                ("frequency_days", "1"),
                ("restore_every_days", "365"),
            ],
        )
        .await;
        let list = app.get_text("/resilience/backups").await;
        assert!(
            list.contains("Made by someone else")
                && list.contains("Not recorded")
                && list.contains("Never tested"),
            "{list}"
        );

        let (id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as("SELECT id FROM backups WHERE practice_id = $1 AND what = 'Shared drive (S:)'")
            .bind(p.id).fetch_one(pool).await).unwrap();
        app.post(
            &format!("/resilience/backups/{id}/record"),
            &[("kind", "backup"), ("on_date", "20/11/2026")],
        )
        .await;
        app.post(
            &format!("/resilience/backups/{id}/record"),
            &[
                ("kind", "restore_test"),
                ("on_date", "21/11/2026"),
                ("result", "failed"),
                ("note", "Drive would not mount"),
            ],
        )
        .await;
        let page = app.get_text(&format!("/resilience/backups/{id}")).await;
        assert!(
            page.contains("Backup overdue")
                && page.contains("Was due by 21 November 2026 (2 days ago)"),
            "{page}"
        );
        assert!(
            page.contains("Last test failed") && page.contains("Drive would not mount"),
            "{page}"
        );
        let bad = app
            .post(
                &format!("/resilience/backups/{id}/record"),
                &[("kind", "backup"), ("on_date", "01/01/2030")],
            )
            .await;
        assert!(crate::helpers::unescape(&bad.text().await.unwrap())
            .contains("The date cannot be in the future"));
        app.post(
            &format!("/resilience/backups/{id}/record"),
            &[("kind", "backup"), ("on_date", "23/11/2026")],
        )
        .await;
        app.post(
            &format!("/resilience/backups/{id}/record"),
            &[
                ("kind", "restore_test"),
                ("on_date", "23/11/2026"),
                ("result", "worked"),
            ],
        )
        .await;
        let page = app.get_text(&format!("/resilience/backups/{id}")).await;
        assert!(
            page.contains("Next backup due by 24 November 2026")
                && page.contains("Next test due by 24 May 2027"),
            "{page}"
        );
        assert_eq!(
            app.audit_actions(p.id)
                .await
                .iter()
                .filter(|a| *a == "resilience.backup_changed")
                .count(),
            6
        );

        // Champions read; they cannot change. Other staff do not see the register.
        app.sign_in(&champion.email, &champion.password, None).await;
        let seen = app.get_text("/resilience/backups").await;
        assert!(seen.contains("Shared drive (S:)") && !seen.contains("Add a backup"));
        assert!(app.get_text("/").await.contains("href=\"/resilience\""));
        assert_eq!(
            app.post(
                &format!("/resilience/backups/{id}/record"),
                &[("kind", "backup"), ("on_date", "23/11/2026")]
            )
            .await
            .status(),
            403
        );
        app.sign_in(&staff.email, &staff.password, None).await;
        let r = app.get("/resilience/assets").await;
        assert_eq!(r.status(), 403);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Only the practice manager and cyber champions"));
    }
);

// ---------- safetynet backup / restore ----------

/// Every table's full contents, read independently of the backup code:
/// SQLite quotes each value, PostgreSQL prints each row as text.
async fn snapshot(db: &Db) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    match db.pool() {
        Pool::Sqlite(p) => {
            let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name")
                .fetch_all(p).await.unwrap();
            for (t,) in tables {
                let cols: Vec<(i64, String, String, i64, Option<String>, i64)> =
                    sqlx::query_as(&format!("PRAGMA table_info(\"{t}\")"))
                        .fetch_all(p)
                        .await
                        .unwrap();
                let expr = cols
                    .iter()
                    .map(|c| format!("quote(\"{}\")", c.1))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let rows: Vec<(String,)> =
                    sqlx::query_as(&format!("SELECT {expr} FROM \"{t}\" ORDER BY 1"))
                        .fetch_all(p)
                        .await
                        .unwrap();
                out.push((t, rows.into_iter().map(|r| r.0).collect()));
            }
        }
        Pool::Postgres(p) => {
            let tables: Vec<(String,)> = sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' ORDER BY 1")
                .fetch_all(p).await.unwrap();
            for (t,) in tables {
                let rows: Vec<(String,)> =
                    sqlx::query_as(&format!("SELECT x::text FROM \"{t}\" x ORDER BY 1"))
                        .fetch_all(p)
                        .await
                        .unwrap();
                out.push((t, rows.into_iter().map(|r| r.0).collect()));
            }
        }
    }
    out
}

async fn fresh_url(app: &TestApp, name: &str) -> String {
    match app.backend {
        Backend::Sqlite => format!(
            "sqlite://{}",
            app.dir.path().join(format!("{name}.db")).display()
        ),
        Backend::Postgres => {
            let admin = std::env::var("SAFETYNET_TEST_POSTGRES_URL").unwrap();
            let db_name = format!("sn_restore_{}_{}", name, rand::random::<u32>());
            let a = Db::connect_without_migrating(&admin).await.unwrap();
            with_db!(&a, p => sqlx::query(&format!("CREATE DATABASE {db_name}")).execute(p).await.map(|_| ())).unwrap();
            a.close().await;
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{db_name}"));
            url.to_string()
        }
    }
}

storage_test!(
    a_backup_made_while_safety_net_runs_restores_with_nothing_lost,
    |mut app: TestApp| async move {
        let p = manager(&mut app).await;
        app.staff(&p, "Zoë O'Brien-Ñúñez", "Clinical", Some(Role::Champion))
            .await;
        add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "PC \"quoted\" 1"),
                ("os", "Windows 10 Pro"),
                ("encryption", "yes"),
                ("managed_by", "practice"),
                ("notes", "Line one\nline two, with a comma; and a tab\t"),
            ],
        )
        .await;
        app.post(
            "/resilience/backups/new",
            &[
                ("what", "Safety Net"),
                ("category", "safety_net"),
                ("responsible", "practice"),
                ("destination", "cloud"),
                ("frequency_days", "1"),
                ("restore_every_days", "365"),
            ],
        )
        .await;
        app.post("/resilience/checkin/token", &[]).await;
        let t = token(&app, p.id).await;
        check_in(
            &app,
            Some(&t),
            r#"{"hostname":"LAPTOP-9","os":"macOS 15.1","last_update":1763000000}"#,
            &[],
        )
        .await;

        // Writers carry on while the backup is made.
        let writer_db = app.db.clone();
        let pid = p.id;
        let writer = tokio::spawn(async move {
            for i in 0..200 {
                safetynet::auth::audit::record_alone(
                    &writer_db,
                    Some(pid),
                    &safetynet::auth::audit::Actor::system(),
                    safetynet::auth::audit::Action::AssetChanged,
                    &format!("background write {i}"),
                    i,
                )
                .await
                .unwrap();
            }
        });
        let file = app.dir.path().join("backup.snbackup");
        let summary = safetynet::resilience::own_backup::backup(&app.db, &file, app.clock.now())
            .await
            .unwrap();
        writer.await.unwrap();
        assert!(summary.tables >= 20 && summary.rows > 20, "{summary:?}");
        assert!(!app.dir.path().join("backup.snbackup.partial").exists());

        // What the backup holds is what was there at one moment: every audit
        // row it has is a prefix of the background writes, with no gaps.
        let restored_url = fresh_url(&app, "restored").await;
        let restored = safetynet::resilience::own_backup::restore(&restored_url, &file, false)
            .await
            .unwrap();
        assert_eq!(restored.rows, summary.rows);
        let target = Db::connect(&restored_url).await.unwrap();
        let background: Vec<(String,)> = with_db!(&target, pool => sqlx::query_as("SELECT detail FROM audit_log WHERE detail LIKE 'background write %' ORDER BY id")
            .fetch_all(pool).await).unwrap();
        for (i, (d,)) in background.iter().enumerate() {
            assert_eq!(d, &format!("background write {i}"));
        }

        // Nothing lost: every table of the original (as at the backup) equals the restored one.
        // Take a quiet second backup and compare the live database with its restore.
        let file2 = app.dir.path().join("quiet.snbackup");
        safetynet::resilience::own_backup::backup(&app.db, &file2, app.clock.now())
            .await
            .unwrap();
        let before = snapshot(&app.db).await;
        let again_url = fresh_url(&app, "again").await;
        safetynet::resilience::own_backup::restore(&again_url, &file2, false)
            .await
            .unwrap();
        let again = Db::connect(&again_url).await.unwrap();
        let mut after = snapshot(&again).await;
        // The live database recorded the second backup after taking it.
        let live_has_extra = |t: &str| t == "system_backups";
        let before: Vec<_> = before
            .into_iter()
            .filter(|(t, _)| !live_has_extra(t))
            .collect();
        after.retain(|(t, _)| !live_has_extra(t));
        assert_eq!(before.len(), after.len());
        for ((t1, r1), (t2, r2)) in before.iter().zip(&after) {
            assert_eq!(t1, t2);
            assert_eq!(r1, r2, "table {t1} differs after restore");
        }
        let names: Vec<(String,)> = with_db!(&again, pool => sqlx::query_as("SELECT full_name FROM staff ORDER BY id").fetch_all(pool).await).unwrap();
        assert!(names.iter().any(|n| n.0 == "Zoë O'Brien-Ñúñez"));

        // The restored database works: new rows get new ids (sequences follow the restored ids).
        let new_practice =
            safetynet::people::practices::create_practice(&again, "Hillside", None, 0)
                .await
                .unwrap();
        assert!(new_practice > p.id);

        // Restoring over data is refused unless forced.
        let err = safetynet::resilience::own_backup::restore(&again_url, &file2, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("already has data in it") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(
            snapshot(&again)
                .await
                .iter()
                .find(|t| t.0 == "practices")
                .unwrap()
                .1
                .len(),
            2,
            "nothing changed"
        );
        safetynet::resilience::own_backup::restore(&again_url, &file2, true)
            .await
            .unwrap();
        assert_eq!(
            snapshot(&again)
                .await
                .iter()
                .find(|t| t.0 == "practices")
                .unwrap()
                .1
                .len(),
            1
        );

        // A cut-short file is noticed and nothing half-restored is left claiming success.
        let bytes = std::fs::read(&file2).unwrap();
        let middle = bytes.len() / 2
            + bytes[bytes.len() / 2..]
                .iter()
                .position(|b| *b == b'\n')
                .unwrap()
            + 1;
        let cut = app.dir.path().join("cut.snbackup");
        std::fs::write(&cut, &bytes[..middle]).unwrap();
        let cut_url = fresh_url(&app, "cut").await;
        let err = safetynet::resilience::own_backup::restore(&cut_url, &cut, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("incomplete") || err.contains("damaged"),
            "{err}"
        );
        target.close().await;
        again.close().await;
    }
);

#[test]
fn the_backup_and_restore_commands_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_safetynet");
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(args)
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
    assert!(
        run(&[
            "practice",
            "create",
            "--name",
            "Riverside Surgery",
            "--database-url",
            &url
        ])
        .0
    );
    let file = dir.path().join("b.snbackup");
    let (ok, out) = run(&[
        "backup",
        "--database-url",
        &url,
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(ok && out.contains("Backed up"), "{out}");
    let (ok, out) = run(&[
        "restore",
        "--database-url",
        &url,
        "--input",
        file.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("already has data in it"), "{out}");
    let new_url = format!("sqlite://{}", dir.path().join("new.db").display());
    let (ok, out) = run(&[
        "restore",
        "--database-url",
        &new_url,
        "--input",
        file.to_str().unwrap(),
    ]);
    assert!(
        ok && out.contains("every table's row count matches"),
        "{out}"
    );
    let (ok, out) = run(&["practice", "list", "--database-url", &new_url]);
    assert!(ok && out.contains("Riverside Surgery"), "{out}");
}

async fn upload_table(app: &TestApp, text: &str) -> reqwest::Response {
    let part =
        reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name("support-dates.toml");
    app.client
        .post(app.url("/resilience/support-dates"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

storage_test!(
    a_newer_support_dates_table_can_be_loaded_by_the_practice_or_the_operator,
    |mut app: TestApp| async move {
        set_now(&app, MONDAY_23_NOV_2026_NOON);
        let p = manager(&mut app).await;
        add_asset(
            &app,
            &[
                ("kind", "desktop"),
                ("name", "PC1"),
                ("os", "Windows 11 Pro 26H1"),
                ("encryption", "yes"),
                ("managed_by", "practice"),
            ],
        )
        .await;
        assert!(app
            .get_text("/resilience/assets")
            .await
            .contains("Support date not known"));

        // Newer than the shipped table, which was last checked on 4 December 2026.
        let newer = "updated = \"2026-12-05\"\n\n[[products]]\nname = \"Windows 11 26H1\"\nkind = \"os\"\nmatch = [\"windows 11\", \"26h1\"]\nends = \"2026-12-01\"\nsource = \"https://learn.microsoft.com/lifecycle/products/windows-11-home-and-pro\"\n";
        let r = upload_table(&app, newer).await;
        assert_eq!(location(&r), "/resilience/support-dates?done=loaded");
        let page = app.get_text("/resilience/support-dates").await;
        assert!(
            page.contains("Loaded by your practice from support-dates.toml")
                && page.contains("Last checked 5 December 2026"),
            "{page}"
        );
        let list = app.get_text("/resilience/assets").await;
        assert!(
            list.contains("Support ending soon")
                && list.contains("Security updates end 1 December 2026 (in 8 days)"),
            "{list}"
        );

        // An older table would never be used, and a broken one is explained.
        let r = upload_table(&app, &newer.replace("2026-12-05", "2026-01-01")).await;
        assert!(crate::helpers::unescape(&r.text().await.unwrap())
            .contains("before the one already in use"));
        let r = upload_table(
            &app,
            "updated = \"2026-11-25\"\n[[products]]\nname = \"X\"\nkind = \"car\"\n",
        )
        .await;
        assert!(crate::helpers::unescape(&r.text().await.unwrap())
            .contains("Product 1 (X): kind must be"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"resilience.support_dates_loaded".to_string()));

        // An operator's newer table, loaded from the command line, is used by every practice.
        let file = app.dir.path().join("operator.toml");
        std::fs::write(
            &file,
            newer
                .replace("2026-12-05", "2026-12-07")
                .replace("2026-12-01", "2031-10-14"),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_safetynet"))
            .args(["support-dates", "load"])
            .arg(&file)
            .args(["--database-url", &app.db_url])
            .env_remove("SAFETYNET_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list = app.get_text("/resilience/assets").await;
        assert!(
            list.contains("Security updates until 14 October 2031"),
            "{list}"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_restores_into_postgresql() {
    if !crate::helpers::postgres_available() {
        return;
    }
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let p = manager(&mut app).await;
    app.staff(&p, "Amelia Hughes", "Clinical", Some(Role::Champion))
        .await;
    add_asset(
        &app,
        &[
            ("kind", "laptop"),
            ("name", "NURSE-LT1"),
            ("os", "Windows 10 Pro"),
            ("encryption", "no"),
            ("managed_by", "icb"),
            ("last_updated", "01/10/2026"),
        ],
    )
    .await;
    let file = app.dir.path().join("move.snbackup");
    let summary = safetynet::resilience::own_backup::backup(&app.db, &file, app.clock.now())
        .await
        .unwrap();

    let admin = std::env::var("SAFETYNET_TEST_POSTGRES_URL").unwrap();
    let name = format!("sn_move_{}", rand::random::<u32>());
    let a = Db::connect_without_migrating(&admin).await.unwrap();
    with_db!(&a, pool => sqlx::query(&format!("CREATE DATABASE {name}")).execute(pool).await.map(|_| ())).unwrap();
    a.close().await;
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    let restored = safetynet::resilience::own_backup::restore(url.as_str(), &file, false)
        .await
        .unwrap();
    assert_eq!(restored.per_table, summary.per_table);
    let pg = Db::connect(url.as_str()).await.unwrap();
    // Booleans, NULLs and text arrive as PostgreSQL types.
    let (enc, active, last, hostname): (String, bool, Option<i64>, Option<String>) = with_db!(&pg, pool => sqlx::query_as(
        "SELECT encryption, active, last_updated_at, hostname FROM assets WHERE name = 'NURSE-LT1'").fetch_one(pool).await).unwrap();
    assert_eq!((enc.as_str(), active, hostname), ("no", true, None));
    assert!(last.is_some());
    let (champions,): (i64,) = with_db!(&pg, pool => sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'champion' AND active").fetch_one(pool).await).unwrap();
    assert_eq!(champions, 1);
    // Safety Net runs on it: the manager signs in and sees the register.
    let manager_hash: (Option<String>,) = with_db!(&pg, pool => sqlx::query_as("SELECT password_hash FROM users WHERE email = $1").bind(&p.manager_email).fetch_one(pool).await).unwrap();
    assert!(manager_hash.0.is_some());
    let new_id = safetynet::people::practices::create_practice(&pg, "Hillside", None, 0)
        .await
        .unwrap();
    assert!(new_id > p.id, "identity sequences follow the restored ids");
    pg.close().await;
}
