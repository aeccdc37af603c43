//! Webhooks end to end: a small receiver on loopback records what arrives,
//! events are made by following tracking links on the real simulation site,
//! and the deliverer is driven step by step.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::helpers::{location, Backend, Practice, TestApp};
use crate::storage_test;
use safetynet::simulation::token::RecipientToken;
use safetynet::simulation::webhooks::{Deliverer, SETTLE_SECS};
use safetynet::with_db;

pub(crate) const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36";

// ---------- a receiving system ----------

struct Received {
    status: u16,
    body: Vec<u8>,
    signature: String,
    content_type: String,
}

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many requests first.
    fail_next: Arc<AtomicUsize>,
}

impl Receiver {
    pub(crate) async fn start(fail_first: usize) -> (String, Self) {
        let r = Self::default();
        r.fail_next.store(fail_first, Ordering::SeqCst);
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (format!("http://{addr}/hook"), r)
    }

    fn requests(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// The bodies it answered 2xx to, parsed, oldest first.
    pub(crate) fn accepted(&self) -> Vec<serde_json::Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }

    /// Every request's signature checks out with `secret`, and it says it is JSON.
    fn assert_signed_with(&self, secret: &str) {
        for r in self.got.lock().unwrap().iter() {
            assert_eq!(r.content_type, "application/json");
            let hex_mac = r
                .signature
                .strip_prefix("sha256=")
                .unwrap_or_else(|| panic!("signature header: {:?}", r.signature));
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(&r.body);
            mac.verify_slice(&hex::decode(hex_mac).unwrap())
                .expect("the signature is the HMAC-SHA256 of the exact body");
        }
    }
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let fail = r
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.got.lock().unwrap().push(Received {
        status: if fail { 500 } else { 200 },
        body: body.to_vec(),
        signature: header("x-safety-net-signature"),
        content_type: header("content-type"),
    });
    if fail {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "receiver is down for maintenance",
        )
    } else {
        (StatusCode::OK, "thanks, got it")
    }
}

// ---------- set-up ----------

/// Adds a webhook through the pages, leaving the secret for Safety Net to
/// make, and returns its id and the secret the page shows.
pub(crate) async fn add_webhook(app: &TestApp, name: &str, url: &str) -> (i64, String) {
    let r = app
        .post(
            "/simulation/webhooks/new",
            &[("name", name), ("url", url), ("secret", "")],
        )
        .await;
    assert_eq!(r.status(), 303, "webhook saved");
    let loc = location(&r);
    let id: i64 = loc
        .trim_start_matches("/simulation/webhooks/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = app.get_text(&loc).await;
    assert!(page.contains("Webhook added"));
    let secret = regex_lite::Regex::new(r#"id="secret">([0-9a-f]{64})<"#)
        .unwrap()
        .captures(&page)
        .expect("the new secret is shown")[1]
        .to_string();
    (id, secret)
}

pub(crate) struct Person {
    pub(crate) email: String,
    pub(crate) token: String,
}

/// A live exercise whose emails reached each person an hour ago, so their
/// clicks count as a person's.
pub(crate) async fn exercise(
    app: &TestApp,
    p: &Practice,
    name: &str,
    people: &[&str],
) -> Vec<Person> {
    let now = app.clock.now();
    let template_id =
        safetynet::simulation::authoring::adopt_alone(&app.db, p.id, "nhsmail-password-expiry", 0)
            .await
            .unwrap()
            .unwrap();
    let (profile_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, 'Relay', '127.0.0.1', 25, 'none', '', '', 'x@x.example', 'X-Safety-Net-Simulation', 0) RETURNING id")
        .bind(p.id).fetch_one(pool).await).unwrap();
    let (campaign_id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
        "INSERT INTO campaigns (practice_id, name, template_id, profile_id, landing, status, launch_at, send_by, ends_at, business_hours, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'teachable', 'sending', $5, $5, $6, FALSE, $7, $5) RETURNING id")
        .bind(p.id).bind(name).bind(template_id).bind(profile_id).bind(now - 3600).bind(now + 14 * 86_400)
        .bind(p.manager_user_id).fetch_one(pool).await).unwrap();
    let mut out = Vec::new();
    for full_name in people {
        let s = app
            .staff(p, full_name, "Reception & care navigation", None)
            .await;
        let token = RecipientToken::generate().as_str().to_string();
        with_db!(&app.db, pool => sqlx::query(
            "INSERT INTO campaign_recipients (campaign_id, practice_id, staff_id, department_id, token, email, full_name, job_role, send_at, send_status, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'Receptionist', $8, 'sent', $8)")
            .bind(campaign_id).bind(p.id).bind(s.staff_id).bind(s.department_id).bind(&token)
            .bind(&s.email).bind(full_name).bind(now - 3600).execute(pool).await.map(|_| ())).unwrap();
        out.push(Person {
            email: s.email,
            token,
        });
    }
    out
}

/// Follows a tracking link as a person's browser would: "o" open, "c" click,
/// "r" report, "submit" enters details on the landing page.
async fn track(app: &TestApp, what: &str, who: &Person) {
    let client = crate::helpers::new_client();
    let r = match what {
        "submit" => client
            .post(format!("{}/c/{}", app.sim_base, who.token))
            .form(&[("username", "someone"), ("password", "hunter2-Secret!")]),
        kind => client.get(format!("{}/{kind}/{}", app.sim_base, who.token)),
    }
    .header("user-agent", BROWSER)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{what} for {}", who.email);
}

/// Runs the deliverer until it has nothing left to send. On PostgreSQL it
/// sends an event only once SETTLE_SECS have passed, so the clock moves on.
pub(crate) async fn deliver(app: &TestApp, d: &Deliverer) -> usize {
    let mut n = d.run_once().await.unwrap();
    if app.backend == Backend::Postgres {
        app.clock.advance(SETTLE_SECS);
    }
    loop {
        match d.run_once().await.unwrap() {
            0 => return n,
            k => n += k,
        }
    }
}

pub(crate) async fn sign_in_manager(app: &mut TestApp, p: &Practice) {
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
}

fn kinds(bodies: &[serde_json::Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap().to_string())
        .collect()
}

// ---------- the tests ----------

storage_test!(
    each_event_reaches_the_receiver_once_in_order_and_signed,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let (url, receiver) = Receiver::start(0).await;
        let (id, secret) = add_webhook(&app, "Security dashboard", &url).await;
        let people = exercise(
            &app,
            &p,
            "November exercise",
            &["Amelia Hughes", "Tom Bennett", "Fatima Begum"],
        )
        .await;
        let (amelia, tom, fatima) = (&people[0], &people[1], &people[2]);
        track(&app, "o", amelia).await;
        track(&app, "c", tom).await;
        track(&app, "r", fatima).await;
        track(&app, "submit", tom).await;

        let d = Deliverer::new(app.state.clone());
        assert_eq!(deliver(&app, &d).await, 4);
        receiver.assert_signed_with(&secret);
        let got = receiver.accepted();
        assert_eq!(receiver.requests(), 4, "one POST per event");
        assert_eq!(kinds(&got), ["open", "click", "report", "submit"]);
        let ids: Vec<i64> = got
            .iter()
            .map(|b| b["event_id"].as_i64().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
        let click = &got[1];
        assert_eq!(click["counted"], true);
        assert_eq!(click["campaign"], "November exercise");
        assert!(click["campaign_id"].as_i64().unwrap() > 0);
        assert_eq!(click["recipient"]["email"], tom.email.as_str());
        assert_eq!(click["recipient"]["name"], "Tom Bennett");
        assert_eq!(click["ip"], "127.0.0.1");
        assert_eq!(click["user_agent"], BROWSER);
        assert!(click["reasons"].as_str().unwrap().starts_with("counted"));
        let time = click["time"].as_str().unwrap();
        assert!(
            time.ends_with('Z')
                && time::OffsetDateTime::parse(
                    time,
                    &time::format_description::well_known::Rfc3339
                )
                .is_ok(),
            "RFC 3339 in UTC: {time}"
        );
        assert!(
            !String::from_utf8_lossy(&receiver.got.lock().unwrap()[3].body).contains("hunter2"),
            "what was typed is never sent"
        );

        // Nothing is sent twice, however often the deliverer runs.
        assert_eq!(deliver(&app, &d).await, 0);
        app.clock.advance(1200); // well past any backoff, inside the session's idle time
        assert_eq!(deliver(&app, &d).await, 0);
        assert_eq!(receiver.requests(), 4);

        let list = app.get_text("/simulation/webhooks").await;
        assert!(list.contains("Security dashboard") && list.contains("Up to date"));
        let page = app.get_text(&format!("/simulation/webhooks/{id}")).await;
        assert!(!page.contains("Nothing yet"), "the last delivery is shown");

        // A later event follows on.
        track(&app, "c", amelia).await;
        assert_eq!(deliver(&app, &d).await, 1);
        assert_eq!(kinds(&receiver.accepted()).last().unwrap(), "click");
        assert_eq!(receiver.requests(), 5);
    }
);

storage_test!(
    a_failing_receiver_is_retried_with_backoff_and_nothing_is_lost_or_repeated,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let (url, receiver) = Receiver::start(2).await;
        let (id, secret) = add_webhook(&app, "Dashboard", &url).await;
        let people = exercise(
            &app,
            &p,
            "Spring exercise",
            &["Grace Oconnor", "Nia Roberts"],
        )
        .await;
        track(&app, "o", &people[0]).await;
        track(&app, "c", &people[0]).await;
        track(&app, "r", &people[1]).await;
        let d = Deliverer::new(app.state.clone());

        assert_eq!(deliver(&app, &d).await, 0, "the receiver is down");
        assert_eq!(receiver.requests(), 1, "it stops at the first failure");
        let page = app.get_text(&format!("/simulation/webhooks/{id}")).await;
        assert!(
            page.contains("The server said no: the receiver answered 500 Internal Server Error."),
            "the problem is shown in plain English"
        );
        assert!(
            !page.contains("receiver is down for maintenance"),
            "the receiver's own words are never shown"
        );
        assert!(page.contains("Not delivering") && page.contains("3 events"));

        // Nothing is tried again before the minute is up.
        assert_eq!(deliver(&app, &d).await, 0);
        assert_eq!(receiver.requests(), 1);

        // A minute later: fails again, and waits two minutes this time.
        app.clock.advance(61);
        assert_eq!(deliver(&app, &d).await, 0);
        assert_eq!(receiver.requests(), 2);
        app.clock.advance(61);
        assert_eq!(deliver(&app, &d).await, 0, "still waiting");
        assert_eq!(receiver.requests(), 2);

        // Back up: everything arrives, once each, in order.
        app.clock.advance(60);
        assert_eq!(deliver(&app, &d).await, 3);
        let got = receiver.accepted();
        assert_eq!(kinds(&got), ["open", "click", "report"]);
        let mut ids: Vec<i64> = got
            .iter()
            .map(|b| b["event_id"].as_i64().unwrap())
            .collect();
        ids.dedup();
        assert_eq!(ids.len(), 3, "no event accepted twice");
        assert_eq!(receiver.requests(), 5, "two refusals and three deliveries");
        receiver.assert_signed_with(&secret);
        let page = app.get_text(&format!("/simulation/webhooks/{id}")).await;
        assert!(page.contains("Up to date") && !page.contains("Last problem"));
    }
);

storage_test!(
    a_receiver_that_is_not_running_is_explained_and_retried,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        // A port with nothing behind it.
        let closed: SocketAddr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let (id, _) = add_webhook(&app, "Not yet running", &format!("http://{closed}/hook")).await;
        let people = exercise(&app, &p, "Exercise", &["Karen Doyle"]).await;
        track(&app, "o", &people[0]).await;
        let d = Deliverer::new(app.state.clone());
        assert_eq!(deliver(&app, &d).await, 0);
        let page = app.get_text(&format!("/simulation/webhooks/{id}")).await;
        assert!(
            page.contains("Could not connect")
                && page
                    .contains("nothing is accepting connections on that port (connection refused)"),
            "{page}"
        );
        let (attempts, next): (i64, i64) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT attempts, next_attempt_at FROM webhooks WHERE id = $1").bind(id).fetch_one(pool).await).unwrap();
        assert_eq!(attempts, 1);
        assert!(next > app.clock.now() && next <= app.clock.now() + 60);
    }
);

storage_test!(
    another_practices_events_never_reach_this_practices_webhook,
    |app: TestApp| async move {
        let mut app = app;
        let a = app.practice("Practice A").await;
        let b = app.practice("Practice B").await;
        let (url_a, receiver_a) = Receiver::start(0).await;
        let (url_b, receiver_b) = Receiver::start(0).await;
        sign_in_manager(&mut app, &a).await;
        let (hook_a, _) = add_webhook(&app, "A dashboard", &url_a).await;
        sign_in_manager(&mut app, &b).await;
        add_webhook(&app, "B dashboard", &url_b).await;
        let people_a = exercise(&app, &a, "A exercise", &["Amelia Hughes"]).await;
        let people_b = exercise(
            &app,
            &b,
            "B exercise",
            &["Zebedee Secretperson", "Bob Other"],
        )
        .await;
        // Interleaved, so each practice's events sit between the other's.
        track(&app, "c", &people_b[0]).await;
        track(&app, "o", &people_a[0]).await;
        track(&app, "r", &people_b[1]).await;
        track(&app, "c", &people_a[0]).await;
        track(&app, "o", &people_b[0]).await;

        let d = Deliverer::new(app.state.clone());
        assert_eq!(deliver(&app, &d).await, 5);
        let got_a = receiver_a.accepted();
        assert_eq!(kinds(&got_a), ["open", "click"]);
        for body in &got_a {
            assert_eq!(body["campaign"], "A exercise");
            assert_eq!(body["recipient"]["email"], people_a[0].email.as_str());
        }
        let all_a: String = receiver_a
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).to_string())
            .collect();
        assert!(!all_a.contains("Zebedee") && !all_a.contains("B exercise"));
        assert_eq!(kinds(&receiver_b.accepted()), ["click", "report", "open"]);

        // B's manager cannot see, change or test A's webhook.
        assert_eq!(
            app.get(&format!("/simulation/webhooks/{hook_a}"))
                .await
                .status(),
            404
        );
        let r = app
            .post(
                &format!("/simulation/webhooks/{hook_a}"),
                &[
                    ("name", "Hijacked"),
                    ("url", url_b.as_str()),
                    ("active", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status(), 404);
        let r = app
            .post(&format!("/simulation/webhooks/{hook_a}/test"), &[])
            .await;
        assert_eq!(r.status(), 404);
        assert!(!app
            .get_text("/simulation/webhooks")
            .await
            .contains("A dashboard"));
        let (name, url): (String, String) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT name, url FROM webhooks WHERE id = $1").bind(hook_a).fetch_one(pool).await)
        .unwrap();
        assert_eq!(
            (name.as_str(), url.as_str()),
            ("A dashboard", url_a.as_str())
        );
        assert_eq!(
            receiver_a.requests(),
            2,
            "no test event was sent to A's receiver"
        );
    }
);

storage_test!(
    link_local_and_metadata_addresses_are_refused_with_a_clear_message,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        for (url, expect) in [
            ("http://169.254.169.254/latest/meta-data/", "Safety Net will not connect to 169.254.169.254: 169.254.169.254 is a cloud server's private settings service, where its passwords are kept."),
            ("http://[fe80::1]:8080/hook", "a link-local address"),
            ("http://[::ffff:169.254.169.254]/", "a cloud server's private settings service"),
            ("http://100.100.100.200/", "a cloud server's private settings service"),
            ("http://[64:ff9b::a9fe:a9fe]/", "a cloud server's private settings service"),
            ("http://10.0.0.7/hook", "a private address inside a local network"),
            ("ftp://example.org/hook", "The web address must start with https://"),
            ("dashboard.example.org/hook", "Enter the full web address, starting with https://"),
            ("https://user:pw@127.0.0.1/hook", "Take the user name and password out of the web address"),
        ] {
            let r = app
                .post("/simulation/webhooks/new", &[("name", "Metadata"), ("url", url), ("secret", "")])
                .await;
            assert_eq!(r.status(), 200, "{url} is not saved");
            let page = crate::helpers::unescape(&r.text().await.unwrap());
            assert!(page.contains(r#"id="url-error""#), "{url}: the error is beside the field");
            assert!(page.contains(expect), "{url}: {expect}");
        }
        let r = app
            .post(
                "/simulation/webhooks/new",
                &[
                    ("name", ""),
                    ("url", "http://127.0.0.1:9/"),
                    ("secret", "short"),
                ],
            )
            .await;
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(page.contains(r#"id="name-error""#) && page.contains(r#"id="secret-error""#));
        assert!(page.contains("Use at least 16 characters"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM webhooks WHERE practice_id = $1", p.id)
                .await,
            0
        );

        // One saved before its name led somewhere it must not: refused at delivery, nothing sent.
        let (id,): (i64,) = with_db!(&app.db, pool => sqlx::query_as(
            "INSERT INTO webhooks (practice_id, name, url, secret, created_at) VALUES ($1, 'Old', 'http://169.254.169.254/hook', 'sixteen-chars-secret', 0) RETURNING id")
            .bind(p.id).fetch_one(pool).await).unwrap();
        let people = exercise(&app, &p, "Exercise", &["Daniel Price"]).await;
        track(&app, "o", &people[0]).await;
        let d = Deliverer::new(app.state.clone());
        let started = std::time::Instant::now();
        assert_eq!(deliver(&app, &d).await, 0);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "refused without trying to connect"
        );
        let page = app.get_text(&format!("/simulation/webhooks/{id}")).await;
        assert!(page.contains("Safety Net will not connect to 169.254.169.254"));
        let r = app
            .post(&format!("/simulation/webhooks/{id}/test"), &[])
            .await;
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(
            page.contains(r#"id="test-result""#)
                && page.contains("will not connect to 169.254.169.254")
        );
    }
);

storage_test!(
    the_test_button_sends_a_signed_test_event_and_shows_the_answer,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let (url, receiver) = Receiver::start(0).await;
        let (id, secret) = add_webhook(&app, "Dashboard", &url).await;
        let r = app
            .post(&format!("/simulation/webhooks/{id}/test"), &[])
            .await;
        assert_eq!(r.status(), 200);
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(
            page.contains("The receiver answered 200 OK.") && !page.contains("thanks, got it"),
            "{page}"
        );
        receiver.assert_signed_with(&secret);
        let got = receiver.accepted();
        assert_eq!(kinds(&got), ["test"]);
        assert_eq!(got[0]["event_id"], 0);

        receiver.fail_next.store(1, Ordering::SeqCst);
        let r = app
            .post(&format!("/simulation/webhooks/{id}/test"), &[])
            .await;
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(
            page.contains("The server said no: the receiver answered 500 Internal Server Error.")
        );
        assert!(!page.contains("receiver is down for maintenance"));
        // A name rather than digits goes through the client's own checked lookup.
        let by_name = url.replace("127.0.0.1", "localhost");
        let (by_name_id, _) = add_webhook(&app, "By name", &by_name).await;
        let r = app
            .post(&format!("/simulation/webhooks/{by_name_id}/test"), &[])
            .await;
        let page = crate::helpers::unescape(&r.text().await.unwrap());
        assert!(page.contains("The receiver answered 200 OK"), "{page}");
        assert_eq!(receiver.requests(), 3);
        let (cursor, attempts): (i64, i64) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT cursor_event_id, attempts FROM webhooks WHERE id = $1").bind(id).fetch_one(pool).await).unwrap();
        assert_eq!((cursor, attempts), (0, 0), "a test changes nothing");
    }
);

storage_test!(
    a_webhook_starts_from_now_waits_while_switched_off_and_can_skip_what_waited,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        sign_in_manager(&mut app, &p).await;
        let people = exercise(&app, &p, "Exercise", &["Sian Williams"]).await;
        let sian = &people[0];
        track(&app, "o", sian).await; // before the webhook: not sent
        let (url, receiver) = Receiver::start(0).await;
        let (id, secret) = add_webhook(&app, "Dashboard", &url).await;
        let d = Deliverer::new(app.state.clone());
        track(&app, "c", sian).await;
        assert_eq!(deliver(&app, &d).await, 1);
        assert_eq!(kinds(&receiver.accepted()), ["click"]);

        let save = |active: &'static str, skip: &'static str| {
            let app = &app;
            let url = url.clone();
            async move {
                let r = app
                    .post(
                        &format!("/simulation/webhooks/{id}"),
                        &[
                            ("name", "Dashboard"),
                            ("url", url.as_str()),
                            ("secret", ""),
                            ("active", active),
                            ("skip_waiting", skip),
                        ],
                    )
                    .await;
                assert_eq!(r.status(), 303);
            }
        };
        // Switched off: events wait.
        save("", "").await;
        track(&app, "submit", sian).await;
        assert_eq!(deliver(&app, &d).await, 0);
        let list = app.get_text("/simulation/webhooks").await;
        assert!(list.contains("Switched off") && list.contains("1 event"));
        // Switched on again: what waited arrives.
        save("yes", "").await;
        assert_eq!(deliver(&app, &d).await, 1);
        assert_eq!(kinds(&receiver.accepted()), ["click", "submit"]);
        // Switched off, then on with the waiting events skipped.
        save("", "").await;
        track(&app, "r", sian).await;
        save("yes", "yes").await;
        assert_eq!(deliver(&app, &d).await, 0);
        track(&app, "o", sian).await;
        assert_eq!(deliver(&app, &d).await, 1);
        assert_eq!(kinds(&receiver.accepted()), ["click", "submit", "open"]);
        // The secret was kept throughout.
        receiver.assert_signed_with(&secret);
        let (kept,): (String,) =
            with_db!(&app.db, pool => sqlx::query_as("SELECT secret FROM webhooks WHERE id = $1")
            .bind(id).fetch_one(pool).await)
            .unwrap();
        assert_eq!(kept, secret);
        let (details,): (String,) = with_db!(&app.db, pool => sqlx::query_as(
            "SELECT detail FROM audit_log WHERE practice_id = $1 AND detail LIKE '%skipped%'")
            .bind(p.id).fetch_one(pool).await)
        .unwrap();
        assert!(
            details.contains("skipped 1 event waiting to send"),
            "{details}"
        );
        assert!(
            app.audit_actions(p.id)
                .await
                .iter()
                .filter(|a| a.as_str() == "simulation.webhook_changed")
                .count()
                >= 5
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_deliverer_sends_new_events_and_stops_when_told() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&mut app, &p).await;
    let (url, receiver) = Receiver::start(0).await;
    add_webhook(&app, "Dashboard", &url).await;
    let people = exercise(&app, &p, "Exercise", &["Emma Walsh"]).await;
    track(&app, "c", &people[0]).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(Deliverer::new(app.state.clone()).run_until_stopped(stop.clone()));
    for _ in 0..100 {
        if receiver.requests() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(kinds(&receiver.accepted()), ["click"]);
    stop.cancel();
    tokio::time::timeout(std::time::Duration::from_secs(5), task)
        .await
        .expect("stops promptly")
        .unwrap();
}
