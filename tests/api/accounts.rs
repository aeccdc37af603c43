//! Signing in, two-step verification, passwords, invitations.

use crate::helpers::{location, Backend, Options, TestApp};
use crate::storage_test;
use safetynet::auth::{mfa, Role};

storage_test!(
    a_manager_signs_in_with_password_and_authenticator_code,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let r = app
            .post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
        assert_eq!(location(&r), "/sign-in/mfa", "a second step is asked for");
        // Until the code is given, practice pages stay closed.
        assert_eq!(location(&app.get("/staff").await), "/sign-in");
        let wrong = app
            .post("/sign-in/mfa", &[("code", "000000")])
            .await
            .text()
            .await
            .unwrap();
        assert!(
            wrong.contains("That code is not right"),
            "the error is shown beside the field"
        );
        let code = mfa::code_at(&p.totp, app.clock.now()).unwrap();
        let r = app.post("/sign-in/mfa", &[("code", &code)]).await;
        assert_eq!(location(&r), "/");
        let home = app.get_text("/").await;
        assert!(home.contains("Riverside Surgery"));
        // The same code cannot be used twice (replay).
        app.client = crate::helpers::new_client();
        app.post(
            "/sign-in",
            &[("email", &p.manager_email), ("password", &p.password)],
        )
        .await;
        let again = app.post("/sign-in/mfa", &[("code", &code)]).await;
        assert_eq!(again.status(), 200, "a replayed code is refused");
        let actions = app.audit_actions(p.id).await;
        assert!(actions.contains(&"sign_in.succeeded".to_string()));
        assert!(actions.contains(&"mfa.failed".to_string()));
    }
);

storage_test!(
    wrong_password_is_refused_kindly_and_logged,
    |app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let r = app
            .post(
                "/sign-in",
                &[
                    ("email", &p.manager_email),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        assert!(page.contains("The email address or password is not right"));
        assert!(page.contains(&p.manager_email), "what they typed is kept");
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"sign_in.failed".to_string()));
    }
);

storage_test!(
    a_manager_without_mfa_must_enrol_then_can_use_a_recovery_code_once,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        crate::helpers::set_password_and_mfa(&app.db, p.manager_user_id, &p.password, None).await;
        app.sign_in(&p.manager_email, &p.password, None).await;
        // Every practice page sends them to set up two-step verification first.
        assert_eq!(location(&app.get("/staff").await), "/account/mfa");
        let page = app.get_text("/account/mfa").await;
        assert!(page.contains("<svg"), "a QR code is shown");
        let secret: String =
            regex_lite::Regex::new(r#"<code class="sn-secret">([A-Z2-7 ]+)</code>"#)
                .unwrap()
                .captures(&page)
                .expect("the key is shown for typing in")[1]
                .replace(' ', "");
        let code = mfa::code_at(&secret, app.clock.now()).unwrap();
        let codes_page = app
            .post("/account/mfa", &[("code", &code)])
            .await
            .text()
            .await
            .unwrap();
        let codes: Vec<String> = regex_lite::Regex::new(r"<code>([a-z0-9]{4}-[a-z0-9]{4})</code>")
            .unwrap()
            .captures_iter(&codes_page)
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
        assert_eq!(
            app.get("/staff").await.status(),
            200,
            "now the manager can work"
        );
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"mfa.enabled".to_string()));

        // Lost phone: a recovery code works once.
        for (attempt, expect_ok) in [(1, true), (2, false)] {
            app.client = crate::helpers::new_client();
            app.post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
            let r = app
                .post("/sign-in/mfa", &[("code", &codes[0].to_uppercase())])
                .await;
            assert_eq!(
                r.status() == 303,
                expect_ok,
                "recovery code attempt {attempt}"
            );
        }
    }
);

storage_test!(
    sign_in_is_rate_limited_to_ten_guesses_in_five_minutes,
    |app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        for _ in 0..10 {
            let r = app
                .post(
                    "/sign-in",
                    &[("email", &p.manager_email), ("password", "guess")],
                )
                .await;
            assert_eq!(r.status(), 200);
        }
        // The 11th attempt is not even checked, right password or not.
        let r = app
            .post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
        assert_eq!(r.status(), 429);
        assert!(r.text().await.unwrap().contains("wait 5 minutes"));
        assert!(app
            .audit_actions(p.id)
            .await
            .contains(&"sign_in.blocked".to_string()));
        app.clock.advance(5 * 60 + 1);
        let r = app
            .post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
        assert_eq!(
            r.status(),
            303,
            "after five minutes the right password works"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_uses_the_link_from_the_email_actually_received() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    let page = app
        .post("/forgot-password", &[("email", &p.manager_email)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Check your email"));
    // An unknown address gets the same answer and no email.
    let page2 = app
        .post(
            "/forgot-password",
            &[("email", "nobody@riversidesurgery.example")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page2.contains("Check your email"));
    app.deliver_outbox().await;
    let smtp = app.smtp.as_ref().unwrap();
    assert_eq!(
        smtp.messages().len(),
        1,
        "only the real account gets an email"
    );
    let link = smtp.link_sent_to(&p.manager_email, "/reset-password/");
    let path = link.trim_start_matches(&app.base).to_string();
    assert!(app.get_text(&path).await.contains("Choose a new password"));
    let weak = app
        .post(
            &path,
            &[("password", "password1"), ("confirm", "password1")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        weak.contains("one of the most common passwords"),
        "a deny-listed password is refused with a reason"
    );
    let r = app
        .post(
            &path,
            &[
                ("password", "walnut glacier piano"),
                ("confirm", "walnut glacier piano"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/sign-in?reset=1");
    // The link works once only.
    assert_eq!(app.get(&path).await.status(), 400);
    app.sign_in(&p.manager_email, "walnut glacier piano", Some(&p.totp))
        .await;
    assert_eq!(app.get("/staff").await.status(), 200);
    let old = app
        .post(
            "/sign-in",
            &[("email", &p.manager_email), ("password", &p.password)],
        )
        .await;
    assert_eq!(old.status(), 200, "the old password no longer works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_expires_after_an_hour() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    app.post("/forgot-password", &[("email", &p.manager_email)])
        .await;
    app.deliver_outbox().await;
    let link = app
        .smtp
        .as_ref()
        .unwrap()
        .link_sent_to(&p.manager_email, "/reset-password/");
    app.clock.advance(3601);
    let r = app.client.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_invites_a_receptionist_who_chooses_a_password_and_is_signed_in() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            smtp: true,
            smtp_reply_code: None,
        },
    )
    .await;
    let p = app.practice("Riverside Surgery").await;
    let amelia = app
        .staff(&p, "Amelia Hughes", "Reception & care navigation", None)
        .await;
    app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
        .await;
    let r = app
        .post(&format!("/staff/{}/invite", amelia.staff_id), &[])
        .await;
    assert_eq!(r.status(), 303);
    app.deliver_outbox().await;
    let smtp = app.smtp.as_ref().unwrap();
    let msg = smtp.messages().pop().unwrap();
    assert!(
        msg.contains("Subject: You're invited to Safety Net at Riverside Surgery"),
        "{msg}"
    );
    let link = smtp.link_sent_to(&amelia.email, "/invitation/");
    app.client = crate::helpers::new_client();
    let path = link.trim_start_matches(&app.base).to_string();
    assert!(app.get_text(&path).await.contains("Welcome, Amelia Hughes"));
    let short = app
        .post(&path, &[("password", "kettle"), ("confirm", "kettle")])
        .await
        .text()
        .await
        .unwrap();
    assert!(short.contains("Use at least 8 characters"));
    let r = app
        .post(
            &path,
            &[
                ("password", "harbour copper thistle"),
                ("confirm", "harbour copper thistle"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");
    let home = app.get_text("/").await;
    assert!(home.contains("Hello Amelia"));
    // Staff may use two-step verification but are not forced to; they cannot see the staff list.
    assert_eq!(app.get("/staff").await.status(), 403);
    let actions = app.audit_actions(p.id).await;
    assert!(
        actions.contains(&"invitation.sent".to_string())
            && actions.contains(&"invitation.accepted".to_string())
    );
    // Signing in later works with the chosen password.
    app.sign_in(&amelia.email, "harbour copper thistle", None)
        .await;
    assert!(app.get_text("/account").await.contains("Staff"));
}

storage_test!(
    changing_a_password_checks_the_current_one_and_signs_out_other_sessions,
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
        let other = app.client.clone();
        app.sign_in(&tom.email, &tom.password, None).await;
        let bad = app
            .post(
                "/account/password",
                &[
                    ("current", "wrong"),
                    ("password", "velvet oyster canyon"),
                    ("confirm", "velvet oyster canyon"),
                ],
            )
            .await;
        assert!(bad
            .text()
            .await
            .unwrap()
            .contains("Your current password is not right"));
        let r = app
            .post(
                "/account/password",
                &[
                    ("current", &tom.password),
                    ("password", "velvet oyster canyon"),
                    ("confirm", "velvet oyster canyon"),
                ],
            )
            .await;
        assert_eq!(location(&r), "/account");
        assert_eq!(
            app.get("/account").await.status(),
            200,
            "this session carries on"
        );
        let r = other.get(app.url("/account")).send().await.unwrap();
        assert_eq!(location(&r), "/sign-in", "the other session was signed out");
    }
);

storage_test!(
    sessions_time_out_when_idle_and_sign_out_ends_them,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        app.clock.advance(29 * 60);
        assert_eq!(app.get("/staff").await.status(), 200);
        app.clock.advance(31 * 60);
        assert_eq!(
            location(&app.get("/staff").await),
            "/sign-in",
            "31 idle minutes end the session"
        );
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app.post("/sign-out", &[]).await;
        assert_eq!(location(&r), "/sign-in?signed_out=1");
        assert_eq!(location(&app.get("/staff").await), "/sign-in");
    }
);

storage_test!(
    a_session_cookie_planted_before_sign_in_is_not_reused,
    |app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        let r = app
            .post(
                "/sign-in",
                &[("email", &p.manager_email), ("password", &p.password)],
            )
            .await;
        let first = cookie_value(&r);
        let code = mfa::code_at(&p.totp, app.clock.now()).unwrap();
        let r = app.post("/sign-in/mfa", &[("code", &code)]).await;
        let second = cookie_value(&r);
        assert!(
            !first.is_empty() && !second.is_empty() && first != second,
            "the session id changes at each step of signing in"
        );
        let cookie = r
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(
            cookie.contains("httponly") && cookie.contains("samesite=lax"),
            "{cookie}"
        );
    }
);

fn cookie_value(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix("sn_session=")
                .map(|v| v.split(';').next().unwrap().to_string())
        })
        .unwrap_or_default()
}
