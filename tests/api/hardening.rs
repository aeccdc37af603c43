//! Hardening against a real attacker (issue 12), each finding as an attack
//! on the running server: bursts with real concurrency, slow sockets with
//! real time limits, a second node on the same database, loopback servers
//! that stall or answer with something else, and a corpus of crafted emails
//! and attachments (tests/corpus).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use safetynet::app::Application;
use safetynet::auth::{mfa, Role};
use safetynet::with_db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::{location, new_client, unescape, Backend, SmtpSink, TestApp};
use crate::simulation::{attach, launch, ready};
use crate::storage_test;
use crate::webhooks::{deliver, exercise, sign_in_manager, Receiver, BROWSER};

// ---------- helpers ----------

/// Another Safety Net node on the same database, as a second `serve` would be.
struct Node {
    base: String,
    stop: CancellationToken,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn second_node(app: &TestApp) -> Node {
    let mut settings = (*app.state.settings).clone();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.sim_listen = "127.0.0.1:0".parse().unwrap();
    let node = Application::build(settings, app.db.clone(), app.clock.clone())
        .await
        .unwrap();
    let base = format!("http://{}", node.app_addr());
    let stop = CancellationToken::new();
    tokio::spawn(node.run_until_stopped(stop.clone(), false));
    Node { base, stop }
}

async fn attempts(app: &TestApp, column: &str, value: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM sign_in_attempts WHERE {column} = $1");
    let (n,): (i64,) =
        with_db!(&app.db, p => sqlx::query_as(&sql).bind(value).fetch_one(p).await).unwrap();
    n
}

/// Posts a sign-in from `forwarded` (an X-Forwarded-For value, if any) to `base`.
async fn guess(base: &str, email: &str, password: &str, forwarded: Option<&str>) -> (u16, String) {
    let mut req = new_client()
        .post(format!("{base}/sign-in"))
        .form(&[("email", email), ("password", password)]);
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, unescape(&r.text().await.unwrap_or_default()))
}

/// Whether the server closes the connection within `limit` (a bound for the
/// test, generous beside the configured time limits, not a speed claim).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A loopback server that greets with `greeting` (or says nothing) and then only listens.
async fn fake_server(greeting: Option<&'static [u8]>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                if let Some(g) = greeting {
                    let _ = s.write_all(g).await;
                }
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    port
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn corpus(kind: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x != "py"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Whatever an attacker's email could still do, if any of it is left in `html`.
fn live_content(html: &str) -> Vec<&'static str> {
    let lower = html.to_ascii_lowercase();
    [
        "evil.example",
        "<script",
        "<form",
        "<input",
        "<iframe",
        "<object",
        "<svg",
        "<meta",
        "<base",
        "<link",
        "url(",
        "image-set",
        "@import",
        "behavior",
        "onload",
        "onmouseover",
        "javascript:",
        "data:",
        "<!--",
        "srcset",
        "background=",
        "mso-bg",
    ]
    .into_iter()
    .filter(|p| lower.contains(p))
    .collect()
}

fn textarea(page: &str, id: &str) -> String {
    let re = regex_lite::Regex::new(&format!(
        r#"(?s)<textarea[^>]*id="{id}"[^>]*>(.*?)</textarea>"#
    ))
    .unwrap();
    unescape(
        &re.captures(page)
            .unwrap_or_else(|| panic!("no {id} in {page}"))[1],
    )
}

// ---------- 1 and 2: sign-in ----------

storage_test!(
    sign_in_hashing_is_bounded_and_a_burst_beyond_it_is_asked_to_wait,
    configured: |s| {
        s.sign_in.concurrent_hashes = 1;
        s.sign_in.hash_queue_seconds = 0;
    },
    |app: TestApp| async move {
        // 40 sign-ins for made-up accounts at once: each would take argon2's memory.
        let mut burst = tokio::task::JoinSet::new();
        for i in 0..40 {
            let base = app.base.clone();
            burst.spawn(async move {
                guess(&base, &format!("nobody{i}@nowhere.example"), "wrong password", None).await
            });
        }
        let (mut checked, mut busy) = (0, 0);
        while let Some(r) = burst.join_next().await {
            let (status, page) = r.unwrap();
            match status {
                200 => {
                    assert!(page.contains("The email address or password is not right"));
                    checked += 1;
                }
                503 => {
                    assert!(
                        page.contains("busy checking other sign-ins") && page.contains("try again"),
                        "{page}"
                    );
                    busy += 1;
                }
                other => panic!("sign-in answered {other}: {page}"),
            }
        }
        assert_eq!(checked + busy, 40);
        assert!(busy >= 1, "a burst beyond the bound is asked to wait");
        assert_eq!(app.state.hashing.peak(), 1, "never more than one hash at once");
        let (kept,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE email LIKE 'nobody%'").fetch_one(p).await).unwrap();
        assert_eq!(kept, checked, "guesses that were not checked do not count against anyone");
    }
);

storage_test!(
    a_burst_of_guesses_checks_no_more_than_the_limit_across_two_nodes,
    configured: |s| {
        s.trust_forwarded_for = true;
        s.sign_in.max_failures_per_ip = 10;
        s.sign_in.hash_queue_seconds = 120;
    },
    |app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let other = second_node(&app).await;
        // 29 wrong passwords and the right one at once, half through each node,
        // each from a different address so only the account's limit applies.
        let mut burst = tokio::task::JoinSet::new();
        for i in 0..30 {
            let base = if i % 2 == 0 { app.base.clone() } else { other.base.clone() };
            let email = p.manager_email.clone();
            let password = if i == 17 { p.password.clone() } else { format!("wrong guess {i}") };
            burst.spawn(async move {
                guess(&base, &email, &password, Some(&format!("198.51.100.{}", i + 1))).await.0
            });
        }
        let mut statuses = Vec::new();
        while let Some(r) = burst.join_next().await {
            statuses.push(r.unwrap());
        }
        // The limit counts failed guesses. A guess counts as failed from the moment it
        // is reserved until it is found right, so the right one, if it is checked,
        // may have taken one of the ten places while it was being checked.
        let wrong_checked = statuses.iter().filter(|s| **s == 200).count();
        let signed_in = statuses.iter().filter(|s| **s == 303).count();
        assert!(signed_in <= 1, "{statuses:?}");
        assert!(wrong_checked <= 10, "no more than the limit of wrong guesses is checked: {statuses:?}");
        assert!(wrong_checked + signed_in >= 10, "the limit is not stricter than it says: {statuses:?}");
        assert_eq!(
            attempts(&app, "email", &p.manager_email).await,
            (wrong_checked + signed_in) as i64,
            "only checked guesses are recorded"
        );

        // Thirty made-up accounts from one address: the address's limit holds too.
        let mut burst = tokio::task::JoinSet::new();
        for i in 0..30 {
            let base = if i % 2 == 0 { app.base.clone() } else { other.base.clone() };
            burst.spawn(async move {
                guess(&base, &format!("guess{i}@nowhere.example"), "wrong", Some("203.0.113.50")).await.0
            });
        }
        let mut statuses = Vec::new();
        while let Some(r) = burst.join_next().await {
            statuses.push(r.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s != 429).count(), 10, "{statuses:?}");
        assert_eq!(attempts(&app, "ip", "203.0.113.50").await, 10);
    }
);

storage_test!(
    one_authenticator_code_signs_in_at_most_once,
    |app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        // Six half-signed-in sessions (password accepted, code not yet given).
        let mut clients = Vec::new();
        for _ in 0..6 {
            let c = new_client();
            let r = c
                .post(app.url("/sign-in"))
                .form(&[
                    ("email", p.manager_email.as_str()),
                    ("password", p.password.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(location(&r), "/sign-in/mfa");
            clients.push(c);
        }
        let code = mfa::code_at(&p.totp, app.clock.now()).unwrap();
        let mut burst = tokio::task::JoinSet::new();
        for c in clients {
            let (url, code) = (app.url("/sign-in/mfa"), code.clone());
            burst.spawn(async move {
                let r = c.post(url).form(&[("code", code)]).send().await.unwrap();
                (r.status().as_u16(), location(&r))
            });
        }
        let mut signed_in = 0;
        while let Some(r) = burst.join_next().await {
            match r.unwrap() {
                (303, to) if to == "/" => signed_in += 1,
                (200, _) => {}
                other => panic!("unexpected answer {other:?}"),
            }
        }
        assert_eq!(signed_in, 1, "the code's time step is claimed once");
    }
);

// ---------- 3: the client address behind a proxy ----------

storage_test!(
    forged_forwarded_for_entries_are_not_believed,
    configured: |s| {
        s.trust_forwarded_for = true;
        s.sign_in.max_failures_per_ip = 5;
        s.simulation.scanner_networks = vec!["203.0.113.0/24".into()];
    },
    |app: TestApp| async move {
        // Rotating forged entries on the left; the proxy's own entry on the right.
        let mut statuses = Vec::new();
        for i in 0..8 {
            let forwarded = format!("6.6.6.{i}, 198.51.100.77");
            statuses.push(guess(&app.base, &format!("x{i}@nowhere.example"), "wrong", Some(&forwarded)).await.0);
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
        assert_eq!(attempts(&app, "ip", "198.51.100.77").await, 5);
        let (forged,): (i64,) = with_db!(&app.db, p => sqlx::query_as(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE ip LIKE '6.6.6.%'").fetch_one(p).await).unwrap();
        assert_eq!(forged, 0, "the client's own entries are never recorded");

        // The simulation site: the scanner rule and the event's address use the proxy's entry.
        let p = app.practice("Riverside Surgery").await;
        let people = exercise(&app, &p, "Exercise", &["Amelia Hughes", "Tom Bennett"]).await;
        for (who, forwarded) in [(&people[0], "8.8.8.8, 203.0.113.9"), (&people[1], "203.0.113.5, 192.0.2.44")] {
            let r = new_client()
                .get(format!("{}/c/{}", app.sim_base, who.token))
                .header("user-agent", BROWSER)
                .header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let events: Vec<(String, bool, String)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT ip, counted, reasons FROM sim_events WHERE practice_id = $1 AND kind = 'click' ORDER BY id")
            .bind(p.id).fetch_all(pool).await).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].0, "203.0.113.9");
        assert!(!events[0].1 && events[0].2.contains("203.0.113.0/24"), "{events:?}");
        assert_eq!(events[1].0, "192.0.2.44");
        assert!(events[1].1, "a forged scanner address on the left does not hide a person: {events:?}");
    }
);

// ---------- 4: slow and idle connections ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_others_are_still_served() {
    let app = TestApp::spawn_configured(Backend::Sqlite, false, |s| {
        s.limits.header_timeout_seconds = 3;
        s.limits.body_timeout_seconds = 3;
        s.limits.sim_max_connections_per_address = 20;
    })
    .await;
    let _alive = app.keep_alive();
    let app_addr: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let sim_addr: SocketAddr = app.sim_base.trim_start_matches("http://").parse().unwrap();
    let bound = Duration::from_secs(20);

    // Headers trickled a line at a time.
    let mut s = TcpStream::connect(app_addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = s.into_split();
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X-Slow: 1\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let headers_closed = tokio::time::timeout(bound, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok();
    trickle.abort();
    assert!(
        headers_closed,
        "a connection trickling its headers is closed"
    );

    // A body trickled a byte at a time.
    let mut s = TcpStream::connect(app_addr).await.unwrap();
    s.write_all(b"POST /sign-in HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = s.into_split();
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"e").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let body_closed = tokio::time::timeout(bound, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok();
    trickle.abort();
    assert!(body_closed, "a connection trickling its body is closed");

    // Idle: a new connection that says nothing, and one kept alive after a request.
    let mut idle = TcpStream::connect(sim_addr).await.unwrap();
    assert!(
        closed_within(&mut idle, bound).await,
        "an idle connection is closed"
    );
    let mut kept = TcpStream::connect(app_addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_within(&mut kept, bound).await,
        "a kept-alive connection left idle is closed"
    );

    // 1,000 slow connections open at once: everyone else is still served.
    let mut slow = Vec::new();
    for i in 0..1000 {
        let mut s = TcpStream::connect(if i % 2 == 0 { app_addr } else { sim_addr }).await;
        if let Ok(s) = &mut s {
            let _ = s.write_all(b"GET / HTTP/1.1\r\n").await;
        }
        slow.push(s);
    }
    // The simulation site takes only its share from one address; these came from 127.0.0.1 too,
    // so the normal requests come from another loopback address.
    let client = reqwest::Client::builder()
        .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
        .no_proxy()
        .build()
        .unwrap();
    for base in [&app.base, &app.sim_base] {
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{base} still answers");
    }
    let app_slow = slow
        .iter_mut()
        .step_by(2)
        .filter_map(|s| s.as_mut().ok())
        .next()
        .unwrap();
    assert!(
        closed_within(app_slow, bound).await,
        "and the slow ones are closed in time"
    );
    drop(slow);

    // One address's share of the simulation site: the next connection from it is closed at once,
    // while its open ones and other addresses are served.
    let from = |ip: &'static str| async move {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        sock.connect(sim_addr).await.unwrap()
    };
    let mut share = Vec::new();
    for _ in 0..20 {
        share.push(from("127.0.0.2").await);
    }
    let mut over = from("127.0.0.2").await;
    assert!(
        closed_within(&mut over, Duration::from_secs(2)).await,
        "beyond its share, an address's connection is closed at once"
    );
    share[0]
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let n = share[0].read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let mut other = from("127.0.0.4").await;
    other
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let n = other.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

// ---------- 5: a mail server that stalls ----------

/// Waits (up to a minute) until `sql`, given `id`, counts `want`; false if it never does.
async fn eventually(app: &TestApp, sql: &str, id: i64, want: i64) -> bool {
    for _ in 0..600 {
        if app.count(sql, id).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

storage_test!(
    a_mail_server_that_never_answers_holds_up_only_its_own_profile,
    configured: |s| s.outbound.timeout_seconds = 1,
    |app: TestApp| async move {
        let mut app = app;
        let sink = SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, working) = ready(&mut app).await;
        app.staff(&p, "Tom Bennett", "Reception & care navigation", None).await;
        // Greets like a mail server, then never answers anything.
        let silent = fake_server(Some(b"220 relay.example ESMTP\r\n")).await;
        let r = app
            .post("/simulation/profiles/new", &[
                ("name", "Stalled relay"), ("host", "127.0.0.1"), ("port", &silent.to_string()),
                ("security", "none"), ("envelope_from", "exercises@riversidesurgery.example"),
            ])
            .await;
        let stalled: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
        let (stuck, _) = launch(&app, template_id, stalled, &[("name", "Through the stalled relay")]).await;
        let stop = CancellationToken::new();
        let sender = tokio::spawn(
            safetynet::simulation::sending::Sender::new(app.state.clone()).run_until_stopped(stop.clone()),
        );
        // The stalled exercise's emails are being handed to the silent server…
        assert!(eventually(&app, "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND locked_until IS NOT NULL", stuck, 2).await);
        // …when another exercise goes out through a working profile: it is not held up.
        let (fine, _) = launch(&app, template_id, working, &[("name", "Through the working relay")]).await;
        assert!(
            eventually(&app, "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'sent'", fine, 2).await,
            "the working profile's emails went"
        );
        // The whole send is bounded: the stalled emails wait for a later try, saying why.
        assert!(eventually(&app, "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 AND send_status = 'queued' \
            AND locked_until IS NULL AND send_error = 'the mail server did not answer in time'", stuck, 2).await);
        stop.cancel();
        sender.await.unwrap();
        assert_eq!(app.smtp.as_ref().unwrap().messages().len(), 2);
    }
);

// ---------- 7: outbound connections ----------

storage_test!(
    inside_addresses_are_refused_when_saved_and_names_leading_inside_when_connecting,
    configured: |s| s.outbound.allow_networks.clear(),
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        for host in [
            "127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "::ffff:127.0.0.1",
            "10.1.2.3", "192.168.0.10", "169.254.169.254", "100.100.100.200", "100.64.1.1",
            "fd00:ec2::254", "64:ff9b::a9fe:a9fe", "0.0.0.0",
        ] {
            let r = app
                .post("/simulation/profiles/new", &[
                    ("name", "Inside"), ("host", host), ("port", "25"), ("security", "none"),
                    ("envelope_from", "exercises@riversidesurgery.example"),
                ])
                .await;
            assert_eq!(r.status(), 200, "{host} is not saved");
            let page = unescape(&r.text().await.unwrap());
            assert!(page.contains("Safety Net will not connect to"), "{host}: {page}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM sending_profiles WHERE practice_id = $1", p.id).await, 0);
        let r = app
            .post("/simulation/mailbox", &[
                ("host", "169.254.169.254"), ("port", "993"), ("security", "tls"),
                ("username", "reports@riversidesurgery.example"), ("auth", "password"),
                ("secret", "x"), ("folder", "INBOX"),
            ])
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("a cloud server's private settings service"), "{page}");
        let r = app
            .post("/simulation/webhooks/new", &[("name", "Inside"), ("url", "http://127.1:8080/hook"), ("secret", "")])
            .await;
        assert!(unescape(&r.text().await.unwrap()).contains("this server itself (a loopback address)"));
        let key = safetynet::simulation::gophish::keys::create_key(&app.db, p.id, p.manager_user_id, "k", 0).await.unwrap();
        let r = new_client()
            .post(app.url("/api/smtp/"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"name": "Metadata", "host": "169.254.169.254:25", "from_address": "IT <it@riversidesurgery.example>"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Safety Net will not connect to 169.254.169.254"));

        // A name is saved, but where it leads is checked when connecting.
        let r = app
            .post("/simulation/profiles/new", &[
                ("name", "By name"), ("host", "localhost"), ("port", &free_port().to_string()),
                ("security", "none"), ("envelope_from", "exercises@riversidesurgery.example"),
            ])
            .await;
        assert_eq!(r.status(), 303);
        let test = format!("{}/test", location(&r));
        let page = unescape(&app.post(&test, &[("to", &p.manager_email)]).await.text().await.unwrap());
        assert!(
            page.contains("Refused by Safety Net's outbound policy") && page.contains("a loopback address"),
            "{page}"
        );
        let r = app
            .post("/simulation/mailbox", &[
                ("host", "localhost"), ("port", "993"), ("security", "tls"),
                ("username", "reports@riversidesurgery.example"), ("auth", "password"),
                ("secret", "x"), ("folder", "INBOX"), ("action", "test"),
            ])
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("Refused by Safety Net's outbound policy"), "{page}");
    }
);

storage_test!(
    test_buttons_say_what_kind_of_failure_and_never_repeat_the_far_side,
    configured: |s| s.outbound.timeout_seconds = 2,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let refusing = SmtpSink::start(&app.dir.path().join("refusing"), Some(550));
        let silent = fake_server(None).await;
        let plain = fake_server(Some(b"220 relay.example ESMTP\r\n")).await;
        let ssh = fake_server(Some(b"SSH-2.0-OpenSSH_9.6 SECRET-BANNER-7731\r\n")).await;
        for (port, security, expect) in [
            (free_port(), "none", "Could not connect"),
            (silent, "none", "Timed out"),
            (plain, "tls", "The secure (TLS) connection failed"),
            (refusing.port, "none", "The server said no"),
            (ssh, "none", "The server's answer was not understood"),
        ] {
            let r = app
                .post("/simulation/profiles/new", &[
                    ("name", "Relay"), ("host", "127.0.0.1"), ("port", &port.to_string()),
                    ("security", security), ("envelope_from", "exercises@riversidesurgery.example"),
                ])
                .await;
            assert_eq!(r.status(), 303);
            let test = format!("{}/test", location(&r));
            let page = unescape(&app.post(&test, &[("to", &p.manager_email)]).await.text().await.unwrap());
            assert!(page.contains(expect), "{expect}: {page}");
            assert!(!page.contains("SECRET-BANNER") && !page.contains("relay.example ESMTP"), "{page}");
        }
        // The reporting mailbox's test button, against the same impostor.
        let r = app
            .post("/simulation/mailbox", &[
                ("host", "127.0.0.1"), ("port", &ssh.to_string()), ("security", "starttls"),
                ("username", "reports@riversidesurgery.example"), ("auth", "password"),
                ("secret", "x"), ("folder", "INBOX"), ("action", "test"),
            ])
            .await;
        let page = unescape(&r.text().await.unwrap());
        assert!(page.contains("did not greet as a mail server does"), "{page}");
        assert!(!page.contains("SECRET-BANNER"), "{page}");
    }
);

// ---------- 8: imported emails ----------

storage_test!(
    imported_emails_lose_every_live_element_in_what_is_saved_and_what_is_sent,
    |app: TestApp| async move {
        let mut app = app;
        let sink = SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, _, profile_id) = ready(&mut app).await;
        app.staff(&p, "Tom Bennett", "Reception & care navigation", None)
            .await;
        let mut template_ids = Vec::new();
        for (name, raw) in corpus("emails") {
            let raw = String::from_utf8(raw).unwrap();
            let r = app
                .post("/simulation/templates/import", &[("raw", &raw)])
                .await;
            assert_eq!(r.status(), 200);
            let page = r.text().await.unwrap();
            let html = textarea(&page, "html");
            assert_eq!(live_content(&html), Vec::<&str>::new(), "{name}: {html}");
            assert!(
                html.contains("{{ link }}") && html.contains("{{ report_link }}"),
                "{name}: {html}"
            );
            let r = app
                .post(
                    "/simulation/templates/new",
                    &[
                        ("name", &format!("Imported {name}")),
                        ("from_name", "IT Service Desk"),
                        ("from_address", "servicedesk@nhs-mail.example"),
                        ("subject", "Please act today"),
                        ("html", &html),
                        ("text", &textarea(&page, "text")),
                        ("cues", "3"),
                        ("premise", "medium"),
                        ("landing", "credentials"),
                        ("training_module", "phishing"),
                        (
                            "red_flags",
                            "from | nhs-mail.example | NHSmail addresses end in nhs.net.",
                        ),
                    ],
                )
                .await;
            assert_eq!(
                r.status(),
                303,
                "{name}: {}",
                r.text().await.unwrap_or_default()
            );
            let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
            let (saved,): (String,) = with_db!(&app.db, pool => sqlx::query_as("SELECT html FROM sim_templates WHERE id = $1")
                .bind(id).fetch_one(pool).await).unwrap();
            assert_eq!(
                live_content(&saved),
                Vec::<&str>::new(),
                "{name} as saved: {saved}"
            );
            template_ids.push((name, id));
        }
        // Live content typed straight into the editor is taken out too.
        let typed = r#"<p>Hi</p><img src="https://evil.example/p.gif"><a href="https://evil.example">go</a><script>x()</script>"#;
        let r = app
            .post(
                "/simulation/templates/new",
                &[
                    ("name", "Typed"),
                    ("from_name", "IT"),
                    ("from_address", "it@nhs-mail.example"),
                    ("subject", "Hi"),
                    ("html", typed),
                    ("text", ""),
                    ("cues", "1"),
                    ("premise", "medium"),
                    ("landing", "credentials"),
                    ("training_module", "phishing"),
                    ("red_flags", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        // And through the GoPhish-compatible API.
        let key = safetynet::simulation::gophish::keys::create_key(
            &app.db,
            p.id,
            p.manager_user_id,
            "k",
            0,
        )
        .await
        .unwrap();
        let r = new_client()
            .post(app.url("/api/templates/"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"name": "From GoPhish", "subject": "Hi", "text": "",
                "html": "<html><body><form action='https://evil.example'><input name=p></form><a href='{{.URL}}'>Go</a><img src='https://evil.example/p.gif'>{{.Tracker}}</body></html>"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let saved: Vec<(String,)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT html FROM sim_templates WHERE practice_id = $1 AND name IN ('Typed', 'From GoPhish')")
            .bind(p.id).fetch_all(pool).await).unwrap();
        assert_eq!(saved.len(), 2);
        for (html,) in &saved {
            assert_eq!(live_content(html), Vec::<&str>::new(), "{html}");
        }

        // Sent: each imported email, as the SMTP server receives it.
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        for (name, id) in &template_ids {
            launch(&app, *id, profile_id, &[("name", name.as_str())]).await;
            assert!(sender.run_once().await.unwrap() >= 1);
        }
        let msgs = app.smtp.as_ref().unwrap().messages();
        assert_eq!(
            msgs.len(),
            2 * template_ids.len(),
            "the manager and Tom, for each"
        );
        for m in &msgs {
            let parsed = mail_parser::MessageParser::default()
                .parse(m.as_bytes())
                .unwrap();
            let html = parsed.body_html(0).unwrap();
            assert_eq!(live_content(&html), Vec::<&str>::new(), "sent: {html}");
            assert!(
                html.contains(&format!("{}/c/", app.sim_base)),
                "the tracked link is there: {html}"
            );
        }
    }
);

storage_test!(
    emails_up_to_two_megabytes_can_be_imported,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let paragraph = "<p style=\"font-family:Arial\">Your NHSmail mailbox has reached its storage limit. Archive older messages or <a href=\"https://evil.example/x\">ask for more space</a>.</p>\n";
        let email = |bytes: usize| {
            format!(
                "From: IT <it@nhs-mail.example>\nSubject: Mailbox full\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body>{}</body></html>\n",
                paragraph.repeat(bytes / paragraph.len())
            )
        };
        let big = email(1_900_000);
        let r = app
            .post("/simulation/templates/import", &[("raw", &big)])
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("Add the red flags"), "imported");
        assert!(!textarea(&page, "html").contains("evil.example"));
        let r = app
            .post(
                "/simulation/templates/import",
                &[("raw", &email(2_200_000))],
            )
            .await;
        assert!(unescape(&r.text().await.unwrap()).contains("larger than 2 MB"));
    }
);

// ---------- 9: attachments ----------

storage_test!(
    attachments_that_can_run_anything_are_refused_by_their_contents,
    |app: TestApp| async move {
        let mut app = app;
        let (p, template_id, _) = ready(&mut app).await;
        let reasons = [
            ("data-frame.html", "a frame showing another page"),
            ("embedded-file.pdf", "embedded inside it"),
            ("entity-javascript-link.html", "a javascript: address"),
            ("javascript-in-object-stream.pdf", "JavaScript"),
            ("javascript-on-open.pdf", "JavaScript"),
            ("launch-action.pdf", "starts a program"),
            ("meta-refresh.html", "refresh"),
            ("ole-object.docx", "OLE object"),
            ("remote-template.docx", "fetch something from elsewhere"),
            ("renamed-macro.docx", "macros"),
            ("svg-script.html", "a script"),
        ];
        let files = corpus("attachments");
        assert_eq!(
            files.len(),
            reasons.len() + 3,
            "the corpus and this list agree"
        );
        for (name, bytes) in &files {
            let r = attach(&app, template_id, name, bytes).await;
            if name.starts_with("clean-") {
                assert_eq!(
                    r.status(),
                    303,
                    "{name} is accepted: {}",
                    r.text().await.unwrap_or_default()
                );
                continue;
            }
            let (_, says) = reasons
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no reason listed for {name}"));
            assert_eq!(r.status(), 200, "{name} is refused");
            let page = unescape(&r.text().await.unwrap());
            assert!(
                page.contains(says) && page.contains("There is a problem"),
                "{name}: {page}"
            );
        }
        let kept = safetynet::simulation::authoring::repo::load_attachment(
            &app.db,
            p.id,
            safetynet::simulation::ids::TemplateId::new(template_id),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(
            kept.meta.file_name.starts_with("clean-"),
            "only a clean file was ever kept"
        );
    }
);

// ---------- 10: what a landing page keeps ----------

storage_test!(
    landing_pages_keep_field_names_only_from_forms_and_never_a_value,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let (url, receiver) = Receiver::start(0).await;
        crate::webhooks::add_webhook(&app, "Dashboard", &url).await;
        let people = exercise(&app, &p, "Exercise", &["Amelia Hughes"]).await;
        let at = format!("{}/c/{}", app.sim_base, people[0].token);
        let client = new_client();
        let sent = [
            client
                .post(&at)
                .header("content-type", "application/json")
                .body(r#"{"passwordJsonSecretPw888": "hunter2", "user": "amelia"}"#),
            client.post(&at).multipart(
                reqwest::multipart::Form::new()
                    .text("username", "amelia.hughes")
                    .text("password", "SecretValue123"),
            ),
            client
                .post(&at)
                .form(&[("username", "amelia"), ("password", "AnotherSecret456")]),
            client
                .post(&at)
                .header("content-type", "text/plain")
                .body("password=PlainSecret789"),
        ];
        for req in sent {
            let r = req.header("user-agent", BROWSER).send().await.unwrap();
            assert_eq!(r.status(), 200);
        }
        let reasons: Vec<(String,)> = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT reasons FROM sim_events WHERE practice_id = $1 AND kind = 'submit' ORDER BY id")
            .bind(p.id).fetch_all(pool).await)
        .unwrap();
        let reasons: Vec<String> = reasons.into_iter().map(|r| r.0).collect();
        assert_eq!(reasons.len(), 4);
        assert!(
            reasons[0].contains("fields: none"),
            "JSON gives no names: {}",
            reasons[0]
        );
        assert!(
            reasons[1].contains("fields: password, username"),
            "{}",
            reasons[1]
        );
        assert!(
            reasons[2].contains("fields: password, username"),
            "{}",
            reasons[2]
        );
        assert!(reasons[3].contains("fields: none"), "{}", reasons[3]);
        let d = safetynet::simulation::webhooks::Deliverer::new(app.state.clone());
        deliver(&app, &d).await;
        let payloads = serde_json::to_string(&receiver.accepted()).unwrap();
        assert!(payloads.contains("submit"));
        for secret in [
            "passwordJsonSecretPw888",
            "hunter2",
            "SecretValue123",
            "AnotherSecret456",
            "PlainSecret789",
        ] {
            assert!(
                !reasons.iter().any(|r| r.contains(secret)),
                "{secret} stored"
            );
            assert!(!payloads.contains(secret), "{secret} sent to the webhook");
        }
    }
);

// ---------- 11: headers on the simulation site ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulation_site_sends_hsts_over_https_and_nosniff_always() {
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let _alive = plain.keep_alive();
    let r = new_client()
        .get(format!("{}/healthz", plain.sim_base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers().get("strict-transport-security").is_none());
    let https = TestApp::spawn_configured(Backend::Sqlite, false, |s| {
        s.sim_public_url = "https://sim.riversidesurgery.example".into();
    })
    .await;
    let _alive = https.keep_alive();
    for path in ["/healthz", "/c/unknowntoken", "/s/site.css"] {
        let r = new_client()
            .get(format!("{}{path}", https.sim_base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(
            r.headers()["strict-transport-security"]
                .to_str()
                .unwrap()
                .starts_with("max-age="),
            "{path}"
        );
    }
}

// ---------- 12: sender names ----------

storage_test!(
    sender_names_with_quotes_commas_at_signs_and_line_breaks_go_out_as_written,
    |app: TestApp| async move {
        let mut app = app;
        let sink = SmtpSink::start(&app.dir.path().join("sim-mail"), None);
        app = app.restart_with_smtp(sink).await;
        let (p, template_id, profile_id) = ready(&mut app).await;
        // As a GoPhish script or an import could store it.
        let name = "IT \"Service\" Desk, NHS@Mail\r\nBcc: victim@elsewhere.example";
        with_db!(&app.db, pool => sqlx::query("UPDATE sim_templates SET from_name = $1 WHERE id = $2")
            .bind(name).bind(template_id).execute(pool).await.map(|_| ())).unwrap();
        launch(&app, template_id, profile_id, &[]).await;
        let sender = safetynet::simulation::sending::Sender::new(app.state.clone());
        assert_eq!(sender.run_once().await.unwrap(), 1);
        let msgs = app.smtp.as_ref().unwrap().messages();
        assert_eq!(msgs.len(), 1, "sent, not failed");
        let parsed = mail_parser::MessageParser::default()
            .parse(msgs[0].as_bytes())
            .unwrap();
        let from = parsed.from().unwrap().first().unwrap();
        assert_eq!(
            from.name(),
            Some("IT \"Service\" Desk, NHS@Mail Bcc: victim@elsewhere.example")
        );
        assert!(!msgs[0].contains("\nBcc:"), "no header smuggled in");
        assert!(!msgs[0].contains("victim@elsewhere.example>"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM campaign_recipients WHERE practice_id = $1 AND send_status = 'error'", p.id).await,
            0
        );
    }
);

// ---------- 13: requests with side effects ----------

storage_test!(
    looking_changes_nothing_and_forms_from_another_scheme_are_refused,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let staff = app
            .staff(
                &p,
                "Tom Bennett",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&staff.email, &staff.password, None).await;
        // Starting a quiz is a POST; its page (a link from anywhere) starts nothing.
        assert_eq!(
            app.get("/training/modules/phishing/quiz").await.status(),
            200
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM quiz_attempts WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );
        assert_eq!(
            app.post("/training/modules/phishing/quiz", &[])
                .await
                .status(),
            303
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM quiz_attempts WHERE practice_id = $1",
                p.id
            )
            .await,
            1
        );

        // An old browser's form post (Origin, no Sec-Fetch-Site) must come from the app's own scheme too.
        sign_in_manager(&mut app, &p).await;
        let https_origin = app.base.replacen("http://", "https://", 1);
        for (origin, expect, name) in [
            (https_origin.as_str(), 403, "Forged"),
            (app.base.as_str(), 303, "Genuine"),
        ] {
            let r = app
                .client
                .post(app.url("/departments"))
                .header("origin", origin)
                .form(&[("name", name)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), expect, "{origin}");
        }
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM departments WHERE practice_id = $1 AND name = 'Forged'",
                p.id
            )
            .await,
            0
        );
    }
);
