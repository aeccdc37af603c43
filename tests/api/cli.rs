//! The `safetynet` command as a newcomer and an administrator use it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_safetynet");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
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
}

#[test]
fn every_subcommand_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["practice", "create", "--help"],
        vec!["user", "create", "--help"],
    ] {
        let (ok, out) = run(&args);
        assert!(ok, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    assert!(run(&["user", "create", "--help"])
        .1
        .contains("operator, manager, champion or staff"));
}

#[test]
fn an_administrator_sets_up_a_practice_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sn.db").display());
    let (ok, out) = run(&["migrate", "--database-url", &url]);
    assert!(ok, "{out}");
    let (ok, out) = run(&[
        "practice",
        "create",
        "--name",
        "Hillside Medical Centre",
        "--ods-code",
        "B82005",
        "--database-url",
        &url,
    ]);
    assert!(
        ok && out.contains("Created practice 1: Hillside Medical Centre"),
        "{out}"
    );
    let (ok, out) = run(&[
        "user",
        "create",
        "--email",
        "jo@hillside.example",
        "--name",
        "Jo Bloggs",
        "--role",
        "manager",
        "--practice",
        "1",
        "--database-url",
        &url,
    ]);
    assert!(ok && out.contains("/invitation/"), "{out}");
    let (ok, out) = run(&[
        "user",
        "create",
        "--email",
        "it@icb.example",
        "--name",
        "ICB IT",
        "--role",
        "operator",
        "--database-url",
        &url,
    ]);
    assert!(ok && out.contains("Operator"), "{out}");
    let (ok, out) = run(&[
        "user",
        "create",
        "--email",
        "x@y.example",
        "--name",
        "X",
        "--role",
        "wizard",
        "--practice",
        "1",
        "--database-url",
        &url,
    ]);
    assert!(
        !ok && out.contains("--role must be operator, manager, champion or staff"),
        "{out}"
    );
    let (ok, out) = run(&[
        "user",
        "create",
        "--email",
        "x@y.example",
        "--name",
        "X",
        "--role",
        "staff",
        "--practice",
        "99",
        "--database-url",
        &url,
    ]);
    assert!(!ok && out.contains("there is no practice 99"), "{out}");
    let (ok, out) = run(&["migrate", "--database-url", "mysql://nope"]);
    assert!(
        !ok && out.contains("must start with sqlite:// or postgres://"),
        "{out}"
    );
}

/// Starts `demo`, waits for it to answer, returns what it printed, stops it.
fn demo_once(data_dir: &std::path::Path) -> String {
    let (app, sim) = (free_port(), free_port());
    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{app}"),
            "--sim-listen",
            &format!("127.0.0.1:{sim}"),
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("SAFETYNET_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let start = Instant::now();
    while !out.contains("Press Ctrl+C") && start.elapsed() < Duration::from_secs(60) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        out.push_str(&line);
    }
    let health = Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{app}/healthz")])
        .output();
    if let Ok(h) = health {
        assert_eq!(String::from_utf8_lossy(&h.stdout), "ok");
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn the_demo_creates_riverside_surgery_once_and_prints_how_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let first = demo_once(dir.path());
    assert!(
        first.contains("Safety Net is running at http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        first.contains("Riverside Surgery (just created)"),
        "{first}"
    );
    assert!(first.contains("priya.shah@riverside-surgery.example"));
    assert!(first.contains("password:"));
    assert!(first.contains("API key:  snk_"), "{first}");
    let second = demo_once(dir.path());
    assert!(
        second.contains("Riverside Surgery (already set up)"),
        "{second}"
    );
    let (ok, out) = run(&[
        "practice",
        "list",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "one practice after two runs: {out}");
    // The demo's exercise templates include one with an attachment to try.
    let db = rusqlite::Connection::open(dir.path().join("safetynet.db")).unwrap();
    let attached: Vec<(String, String)> = db
        .prepare("SELECT t.name, a.file_name FROM sim_templates t JOIN sim_template_attachments a ON a.template_id = t.id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        attached,
        vec![(
            "Remittance advice with a web page attachment".to_string(),
            "Remittance advice.html".to_string()
        )]
    );
}
