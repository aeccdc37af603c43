//! The USB drill's file and the QR poster (issue 14 §2): made for a place,
//! downloaded, and followed on the simulation site, where each visit is
//! counted for its file or poster and never who made it.

use std::io::Write as _;
use std::process::Command;

use crate::helpers::{unescape, TestApp};
use crate::storage_test;
use crate::training::pdf_text;
use safetynet::auth::Role;

const POSTER: &str = "/culture/drills/files/qr-poster-car-park";
const USB: &str = "/culture/drills/files/usb-drop-meeting-slides";

/// What a phone's camera would read from the poster: the PDF drawn as a
/// picture (pdftoppm) and its QR code decoded (zbarimg). None, with a notice,
/// outside CI where the tools are missing.
fn scan_qr(pdf: &[u8]) -> Option<String> {
    let tools = ["/usr/bin/pdftoppm", "/usr/bin/zbarimg"];
    if let Some(missing) = tools.iter().find(|t| !std::path::Path::new(t).exists()) {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI must scan the poster's QR code: {missing} is missing (bash .ci/run installs poppler-utils and zbar-tools)");
        }
        let _ = writeln!(
            std::io::stderr(),
            "\n*** QR scan SKIPPED: {missing} is not installed. ***\n"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("poster.pdf");
    std::fs::write(&pdf_path, pdf).unwrap();
    let prefix = dir.path().join("page");
    let drawn = Command::new(tools[0])
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&pdf_path)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(drawn.success(), "pdftoppm drew the poster");
    let out = Command::new(tools[1])
        .args(["--raw", "-q"])
        .arg(dir.path().join("page.png"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zbarimg found a QR code on the poster"
    );
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// The token at the end of a `/d/<token>` address the app printed.
fn token_in(addr: &str) -> String {
    addr.rsplit("/d/").next().unwrap().to_string()
}

async fn stored_token(app: &TestApp, place: &str) -> String {
    let rows: Vec<(String,)> = safetynet::with_db!(&app.db, p => sqlx::query_as(
        "SELECT token FROM drill_links WHERE place = $1").bind(place).fetch_all(p).await)
    .unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].0.clone()
}

storage_test!(
    a_qr_poster_is_made_for_a_place_and_its_scans_are_counted_for_that_place_only,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;

        // The drills page offers the poster drill; its page explains what is counted.
        let drills = app.get_text("/culture/drills").await;
        assert!(drills.contains(&format!("href=\"{POSTER}\"")), "{drills}");
        let page = unescape(&app.get_text(POSTER).await);
        assert!(page.contains("never records who scanned"), "{page}");
        assert!(page.contains("None yet."));

        // Nothing chosen, or "somewhere else" left empty: named beside the field, nothing saved.
        for form in [vec![], vec![("place", "other"), ("other_place", "  ")]] {
            let r = app.post(POSTER, &form).await;
            assert_eq!(r.status(), 200);
            let body = unescape(&r.text().await.unwrap());
            assert!(
                body.contains("Choose where it will go") || body.contains("Say where it will go"),
                "{body}"
            );
        }
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM drill_links WHERE practice_id = $1",
                p.id
            )
            .await,
            0
        );

        // Two posters, for two places.
        let r = app.post(POSTER, &[("place", "staff kitchen")]).await;
        assert_eq!(r.status(), 303);
        let r = app
            .post(
                POSTER,
                &[
                    ("place", "other"),
                    ("other_place", "Door of the back office"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let kitchen = stored_token(&app, "staff kitchen").await;
        let page = app.get_text(POSTER).await;
        assert!(page.contains("Door of the back office"));
        assert_eq!(page.matches("Not yet").count(), 2);

        // The kitchen poster: one A4 page with the notice, its place, and a QR code a
        // phone can read that leads to the simulation site.
        let (id,): (i64,) = safetynet::with_db!(&app.db, p => sqlx::query_as(
            "SELECT id FROM drill_links WHERE token = $1").bind(&kitchen).fetch_one(p).await)
        .unwrap();
        let r = app.get(&format!("{POSTER}/{id}")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let pdf = r.bytes().await.unwrap().to_vec();
        if let Some(text) = pdf_text(&pdf) {
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(words.contains("New staff parking permits"), "{words}");
            assert!(words.contains("staff kitchen"));
            assert!(!words.contains("{{"));
            assert!(!words.contains("Page 1"), "a poster has no page number");
        }
        let scanned = scan_qr(&pdf).unwrap_or_else(|| format!("{}/d/{kitchen}", app.sim_base));
        assert_eq!(scanned, format!("{}/d/{kitchen}", app.sim_base));

        // Scanned by three phones at once, and once by a link checker (HEAD, not counted).
        let phones = reqwest::Client::new();
        let scans = (0..3).map(|_| phones.get(&scanned).send());
        for r in futures_util::future::join_all(scans).await {
            let r = r.unwrap();
            assert_eq!(r.status(), 200);
            let body = unescape(&r.text().await.unwrap());
            assert!(body.contains("This was a practice drill"), "{body}");
            assert!(body.contains("Riverside Surgery"));
            assert!(body.contains("Nothing about you has been recorded"));
            assert!(!body.contains("Safety Net"), "the site never names us");
        }
        assert_eq!(phones.head(&scanned).send().await.unwrap().status(), 200);
        let page = unescape(&app.get_text(POSTER).await);
        assert!(page.contains("Scanned 3 times"), "{page}");
        assert_eq!(
            page.matches("Not yet").count(),
            1,
            "the other place's poster was not scanned"
        );

        // Nothing about the phones is stored: the row holds counts and times only.
        let (visits,): (i64,) = safetynet::with_db!(&app.db, p => sqlx::query_as(
            "SELECT visits FROM drill_links WHERE token = $1").bind(&kitchen).fetch_one(p).await)
        .unwrap();
        assert_eq!(visits, 3);

        // 200 scans at the same instant: every one counted, none lost.
        let burst = (0..200).map(|_| phones.get(&scanned).send());
        for r in futures_util::future::join_all(burst).await {
            assert_eq!(r.unwrap().status(), 200);
        }
        let (visits,): (i64,) = safetynet::with_db!(&app.db, p => sqlx::query_as(
            "SELECT visits FROM drill_links WHERE token = $1").bind(&kitchen).fetch_one(p).await)
        .unwrap();
        assert_eq!(visits, 203);

        // An address we never made is a bare 404 that names nothing.
        let r = phones
            .get(format!("{}/d/abcdefghjkmnpqrstuvw", app.sim_base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.text().await.unwrap(), "Not Found");

        // Another practice's manager cannot download it or see it.
        let other = app.practice("Hillside Surgery").await;
        app.sign_in(&other.manager_email, &other.password, Some(&other.totp))
            .await;
        assert_eq!(app.get(&format!("{POSTER}/{id}")).await.status(), 404);
        let theirs = app.get_text(POSTER).await;
        assert!(theirs.contains("None yet."), "{theirs}");
        assert!(!theirs.contains("Door of the back office"));
    }
);

storage_test!(
    a_usb_file_holds_one_link_and_opening_it_is_counted,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let champion = app
            .staff(
                &p,
                "Cara Lewis",
                "Reception & care navigation",
                Some(Role::Champion),
            )
            .await;
        let plain = app
            .staff(
                &p,
                "Dan Price",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;

        // Plain staff cannot make drill files.
        app.sign_in(&plain.email, &plain.password, None).await;
        assert_eq!(app.get(USB).await.status(), 403);

        // A champion makes the file from the drill's page.
        app.sign_in(&champion.email, &champion.password, None).await;
        let drill = app
            .get_text("/culture/drills/library/usb-drop-meeting-slides")
            .await;
        assert!(drill.contains(&format!("href=\"{USB}\"")), "{drill}");
        let r = app
            .post(USB, &[("place", "on a table in the staff room")])
            .await;
        assert_eq!(r.status(), 303);
        let token = stored_token(&app, "on a table in the staff room").await;
        let (id,): (i64,) = safetynet::with_db!(&app.db, p => sqlx::query_as(
            "SELECT id FROM drill_links WHERE token = $1").bind(&token).fetch_one(p).await)
        .unwrap();

        let r = app.get(&format!("{USB}/{id}")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"Practice meeting slides.html\""
        );
        let html = r.text().await.unwrap();
        // One link, to its own address; nothing that runs or loads by itself.
        let link = format!("{}/d/{token}", app.sim_base);
        assert_eq!(html.matches("href=").count(), 1, "{html}");
        assert!(html.contains(&format!("href=\"{link}\"")));
        for active in ["<script", "src=", "http-equiv", "onload", "<iframe", "<img"] {
            assert!(!html.to_lowercase().contains(active), "{active} in {html}");
        }
        assert_eq!(token_in(&link), token);

        // Whoever opened the file followed its link: counted, and told kindly.
        let r = reqwest::get(&link).await.unwrap();
        assert_eq!(r.status(), 200);
        let body = unescape(&r.text().await.unwrap());
        assert!(
            body.contains("nothing has happened to your computer"),
            "{body}"
        );
        let page = unescape(&app.get_text(USB).await);
        assert!(page.contains("Opened once"), "{page}");

        // The file and the audit entry were made together.
        let actions = app.audit_actions(p.id).await;
        assert!(
            actions.iter().any(|a| a == "culture.changed"),
            "{actions:?}"
        );
    }
);

/// axe-core finds nothing on the poster drill's page (empty, with an error,
/// with a poster made) nor on the page a scan leads to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poster_pages_are_accessible() {
    use crate::browser::{
        assert_accessible, sign_in_manager, start_browser, submit, wait_for_text,
    };
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    let p = app.practice("Riverside Surgery").await;
    sign_in_manager(&c, &app, &p).await;
    c.goto(&app.url(POSTER)).await.unwrap();
    wait_for_text(&c, "Make a poster").await;
    assert_accessible(&c, "QR poster drill").await;
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "There is a problem").await;
    assert_accessible(&c, "QR poster drill with an error").await;
    c.find(fantoccini::Locator::Id("place-1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(&c, "main form button[type=submit]").await;
    wait_for_text(&c, "Not yet").await;
    assert_accessible(&c, "QR poster drill with a poster made").await;
    let token: (String,) = safetynet::with_db!(&app.db, p => sqlx::query_as(
        "SELECT token FROM drill_links").fetch_one(p).await)
    .unwrap();
    c.goto(&format!("{}/d/{}", app.sim_base, token.0))
        .await
        .unwrap();
    wait_for_text(&c, "This was a practice drill").await;
    assert_accessible(&c, "the page a poster's QR code leads to").await;
    c.close().await.unwrap();
}
