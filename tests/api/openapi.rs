//! The OpenAPI description at /api/openapi.json, checked against the running
//! app by schemathesis (pinned as in `.ci/run`): generated requests to every
//! GoPhish route with a valid API key, and to device check-in with a valid
//! token, never get a 5xx, nor a status, content type or body the
//! description does not allow.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::{python, TestApp};
use crate::storage_test;
use safetynet::with_db;

/// Keep in step with `.ci/run`.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn ensure_schemathesis() {
    let py = python();
    let version = SCHEMATHESIS.split_once("==").unwrap().1;
    let check = format!(
        "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '{version}')"
    );
    let has = || {
        Command::new(py)
            .args(["-c", &check])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has() {
        // Outside `.ci/run`: install the pinned version into the test venv once.
        let ok = Command::new(py)
            .args(["-m", "pip", "install", "-q", SCHEMATHESIS])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && has(),
            "the OpenAPI test needs {SCHEMATHESIS}: run `bash .ci/run`"
        );
    }
}

/// Runs schemathesis on the operations whose path matches `paths`, sending
/// `Authorization: Bearer <secret>`; panics with its report if any check fails.
fn schemathesis(app: &TestApp, paths: &str, secret: &str, max_time: u32) {
    ensure_schemathesis();
    let started = Instant::now();
    // Its cache goes in the working directory: keep it out of the repository.
    let out = Command::new(python())
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .args(["-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; sys.exit(schemathesis())"])
        .args(["run", &app.url("/api/openapi.json")])
        .args(["--include-path-regex", paths])
        .args(["-H", &format!("Authorization: Bearer {secret}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        ])
        .args(["--max-examples", "25", "--seed", "20261204", "--workers", "1"])
        .args(["--max-time", &max_time.to_string(), "--request-timeout", "10"])
        .args(["--no-color", "--warnings", "off"])
        .output()
        .expect("schemathesis runs");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Shown with --nocapture (and on failure): what was tried and how it went.
    eprintln!("{report}");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(u64::from(max_time) + 30),
        "schemathesis took {:?}",
        started.elapsed()
    );
}

storage_test!(
    the_description_is_served_and_the_api_keeps_to_it,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        // Served without signing in, naming both ways to give the key.
        let doc: serde_json::Value = reqwest::get(app.url("/api/openapi.json"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/campaigns/"]["get"].is_object());
        assert!(doc["webhooks"]["simulationEvent"]["post"].is_object());

        let key = app.api_key(&p, "Schemathesis").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        app.post("/resilience/checkin/token", &[]).await;
        let (token,): (String,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT token FROM checkin_tokens WHERE practice_id = $1")
            .bind(p.id).fetch_one(pool).await)
        .unwrap();

        schemathesis(
            &app,
            "^/api/(campaigns|groups|templates|pages|smtp)",
            &key,
            40,
        );
        schemathesis(&app, "^/api/checkin$", &token, 15);
    }
);
