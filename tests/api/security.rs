//! Protections every page has: headers, CSRF, size limits, clear errors.

use crate::helpers::TestApp;
use crate::storage_test;

storage_test!(
    pages_carry_the_security_headers,
    |app: TestApp| async move {
        let r = app.get("/sign-in").await;
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cache-control"], "no-store");
        assert!(
            h.get("strict-transport-security").is_none(),
            "HSTS only under HTTPS"
        );
        assert_eq!(app.get("/healthz").await.status(), 200);
        let sim = app
            .client
            .get(format!("{}/healthz", app.sim_base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            sim.status(),
            200,
            "the simulation site answers on its own port"
        );
        assert!(sim.headers().get("set-cookie").is_none());
    }
);

storage_test!(
    cross_site_form_posts_are_refused,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let forged = app
            .client
            .post(app.url("/departments"))
            .header("origin", "https://evil.example")
            .form(&[("name", "Forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        let forged = app
            .client
            .post(app.url("/departments"))
            .header("sec-fetch-site", "cross-site")
            .form(&[("name", "Forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        let same = app
            .client
            .post(app.url("/departments"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("name", "Genuine")])
            .send()
            .await
            .unwrap();
        assert_eq!(same.status(), 303);
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

storage_test!(
    bad_input_gets_clear_answers_and_never_breaks_the_server,
    |mut app: TestApp| async move {
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        assert_eq!(app.get("/staff/999999").await.status(), 404, "unknown id");
        // A malformed id is "not found" too, on the app's own page (not a bare 400).
        let r = app.get("/staff/not-a-number").await;
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("Page not found"));
        assert_eq!(app.get("/no/such/page").await.status(), 404);
        let huge = "x".repeat(200 * 1024);
        let r = app.post("/departments", &[("name", &huge)]).await;
        assert_eq!(r.status(), 413);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("larger than this form accepts"));
        let r = app
            .client
            .post(app.url("/departments"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=%FF%FE%ZZ&&&=")
            .send()
            .await
            .unwrap();
        assert!(
            r.status().as_u16() < 500,
            "a malformed form is answered, not crashed on: {}",
            r.status()
        );
        let r = app
            .client
            .post(app.url("/staff/import"))
            .header("content-type", "multipart/form-data; boundary=nope")
            .body("garbage")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Choose the file again"));
        // Nothing saved was lost along the way.
        assert_eq!(app.get("/staff").await.status(), 200);
    }
);

storage_test!(
    an_invisible_nul_character_is_refused_with_the_reason_and_nothing_saved,
    |mut app: TestApp| async move {
        // PostgreSQL cannot store NUL; a form or API body holding one is refused
        // plainly, never a 500, and nothing is saved.
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let before = app
            .count(
                "SELECT COUNT(*) FROM departments WHERE practice_id = $1",
                p.id,
            )
            .await;
        let r = app.post("/departments", &[("name", "Rec\0eption")]).await;
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap();
        assert!(page.contains("NUL character"), "{page}");
        assert!(page.contains("aria-label=\"Menu\""), "the menu stays");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM departments WHERE practice_id = $1",
                p.id
            )
            .await,
            before
        );
    }
);
