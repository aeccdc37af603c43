//! What every page says, read as a person would: the demo practice's pages,
//! reached by following links from the home page as its manager and as a
//! member of staff, show UK dates ("4 Dec 2026", never "2026-12-04") and UK
//! spelling. Form fields may hold ISO dates (a date input needs them); what
//! is read may not.

use std::collections::{BTreeSet, VecDeque};

use crate::helpers::{unescape, TestApp};
use crate::storage_test;

/// US spellings a UK reader notices, with the UK form. Whole words only.
const US_SPELLINGS: &[(&str, &str)] = &[
    ("organization", "organisation"),
    ("organizations", "organisations"),
    ("organize", "organise"),
    ("color", "colour"),
    ("center", "centre"),
    ("behavior", "behaviour"),
    ("analyze", "analyse"),
    ("favorite", "favourite"),
    ("canceled", "cancelled"),
    ("canceling", "cancelling"),
    ("labeled", "labelled"),
    ("enrollment", "enrolment"),
    ("license", "licence (the noun)"),
    ("defense", "defence"),
    ("catalog", "catalogue"),
    ("practicing", "practising"),
    ("recognize", "recognise"),
    ("recognized", "recognised"),
    ("prioritize", "prioritise"),
    ("minimize", "minimise"),
    ("authorized", "authorised"),
    ("unauthorized", "unauthorised"),
    ("summarize", "summarise"),
    ("apologize", "apologise"),
    ("gray", "grey"),
];

/// The page's words: scripts, styles and tags (with their attributes) removed.
fn visible_text(html: &str) -> String {
    let blocks =
        regex_lite::Regex::new(r"(?is)<(script|style|textarea)\b.*?</(script|style|textarea)>")
            .unwrap();
    let tags = regex_lite::Regex::new(r"(?s)<[^>]*>").unwrap();
    unescape(&tags.replace_all(&blocks.replace_all(html, " "), " "))
}

/// Same-site links on the page, without their fragment.
fn links(html: &str) -> Vec<String> {
    let href = regex_lite::Regex::new(r##"href="(/[^"#]*)"##).unwrap();
    href.captures_iter(html).map(|c| unescape(&c[1])).collect()
}

/// Follows links from `/` (GET only, at most `limit` pages) and lists every
/// ISO date and US spelling a reader would see, with the page it is on.
async fn read_every_page(app: &TestApp, limit: usize) -> (usize, Vec<String>) {
    let iso = regex_lite::Regex::new(r"\b\d{4}-\d{2}-\d{2}\b").unwrap();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut problems = Vec::new();
    let mut read = 0;
    while let Some(path) = queue.pop_front() {
        if read >= limit || !seen.insert(path.clone()) {
            continue;
        }
        // Signing out ends the walk; downloads are files, not pages.
        if path.starts_with("/sign-out") || path.starts_with("/static/") {
            continue;
        }
        let r = app.get(&path).await;
        let html_page = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
        if !r.status().is_success() || !html_page {
            continue;
        }
        read += 1;
        let html = r.text().await.unwrap();
        let text = visible_text(&html);
        for m in iso.find_iter(&text) {
            problems.push(format!(
                "{path}: ISO date {:?} in {:?}",
                m.as_str(),
                around(&text, m.start())
            ));
        }
        let lower = text.to_lowercase();
        for (us, uk) in US_SPELLINGS {
            let word = regex_lite::Regex::new(&format!(r"\b{us}\b")).unwrap();
            if let Some(m) = word.find(&lower) {
                problems.push(format!(
                    "{path}: {us:?} (UK: {uk}) in {:?}",
                    around(&text, m.start())
                ));
            }
        }
        for l in links(&html) {
            if !seen.contains(&l) {
                queue.push_back(l);
            }
        }
    }
    (read, problems)
}

fn around(text: &str, at: usize) -> String {
    let start = text.floor_char_boundary(at.saturating_sub(60));
    let end = text.ceil_char_boundary((at + 60).min(text.len()));
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

storage_test!(
    every_page_of_the_demo_practice_shows_uk_dates_and_uk_spelling,
    |app: TestApp| async move {
        let mut app = app;
        let login = safetynet::demo::seed(&app.db, app.clock.now())
            .await
            .unwrap();
        app.sign_in(&login.email, &login.password, Some(&login.totp_secret))
            .await;
        // A tabletop exercise, so its pages are read too.
        let r = app
            .post(
                "/resilience/exercises",
                &[
                    ("scenario", "clinical-system-down-monday"),
                    ("run_on", "2026-12-10"),
                    ("facilitator", "Sian Williams"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (read, problems) = read_every_page(&app, 400).await;
        assert!(read > 60, "the manager's walk read only {read} pages");
        assert!(
            problems.is_empty(),
            "{} problems on {read} pages:\n{}",
            problems.len(),
            problems.join("\n")
        );

        // A receptionist's own pages, from her home page.
        let manager = safetynet::auth::accounts::find_by_email(&app.db, &login.email)
            .await
            .unwrap()
            .unwrap();
        let p = crate::helpers::Practice {
            id: manager.practice_id.unwrap(),
            domain: safetynet::demo::DOMAIN.into(),
            manager_email: login.email.clone(),
            password: login.password.clone(),
            totp: login.totp_secret.clone(),
            manager_user_id: manager.id,
        };
        let amelia = app
            .staff(
                &p,
                "Amelia Words",
                "Reception & care navigation",
                Some(safetynet::auth::Role::Staff),
            )
            .await;
        app.sign_in(&amelia.email, &amelia.password, None).await;
        let (read, problems) = read_every_page(&app, 100).await;
        assert!(read > 8, "the receptionist's walk read only {read} pages");
        assert!(
            problems.is_empty(),
            "{} problems on {read} pages:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
);
