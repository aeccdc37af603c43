//! The cyber minute's briefing as a PDF (read back with pdftotext), the
//! .ics file for a recurring meeting series (read by Python's icalendar),
//! and champion coverage on the departments page.

use std::process::{Command, Stdio};

use crate::helpers::{python, TestApp};
use crate::storage_test;
use crate::training::pdf_text;
use safetynet::auth::Role;

/// pdftotext's lines joined on single spaces, so wrapped sentences match.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn pdf_words(app: &TestApp, path: &str) -> Option<String> {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    pdf_text(&r.bytes().await.unwrap()).map(|t| words(&t))
}

storage_test!(
    a_briefing_pdf_is_made_from_the_practice_data_praise_first,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let amelia = app
            .staff(
                &p,
                "Amelia Hughes",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.sign_in(&amelia.email, &amelia.password, None).await;
        for _ in 0..2 {
            app.post("/culture/reports", &[("how", "spamreports")])
                .await;
        }
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let today = safetynet::ukclock::local_date(app.clock.now()).to_string();
        let threat = &safetynet::culture::library::threats()[0];
        let r = app
            .post(
                "/culture/meetings",
                &[
                    ("held_on", &today),
                    ("kind", "clinical"),
                    ("attendees", "9"),
                    ("threat_id", threat.id.as_str()),
                    ("action_what", "Put the backup check on the rota"),
                    ("action_owner", "Sian"),
                    ("action_due", "2030-01-31"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let first = crate::helpers::location(&r);
        let page = app.get_text(&first).await;
        assert!(page.contains(&format!(r#"href="{first}/pdf""#)), "{page}");
        assert!(page.contains("No backups recorded yet"), "backup status");

        let Some(text) = pdf_words(&app, &format!("{first}/pdf")).await else {
            return;
        };
        assert!(text.contains("Riverside Surgery"), "{text}");
        assert!(text.contains("Clinical meeting"));
        let thanks = text.find("Thank you first").expect("praise");
        let attention = text.find("What needs attention").expect("status");
        assert!(thanks < attention, "praise comes first: {text}");
        assert!(text.contains("2 suspicious emails reported"), "{text}");
        assert!(text.contains("No backups recorded yet"), "{text}");
        assert!(text.contains("Put the backup check on the rota (Sian, due 31 Jan 2030)"));
        let tip = safetynet::culture::library::library().tip_for(0);
        assert!(text.contains(&words(&tip.say)), "the rotating tip: {text}");
        assert!(text.contains(&format!("Source: {}", tip.source.publisher)));
        assert!(text.contains(&words(&format!("Current threat: {}", threat.title))));

        // The next meeting's PDF carries the open action forward, and counts
        // only what happened since the last meeting. This time the manager
        // writes the threat in her own words (too long first: named, nothing saved).
        let own = "Callers saying they are from our clinical system supplier want a support tool installed. Put the phone down and ring the supplier on the number in the contract.";
        let meeting = [
            ("held_on", today.as_str()),
            ("kind", "practice"),
            ("attendees", "12"),
            ("threat_own", own),
        ];
        let long = "x".repeat(1001);
        let mut too_long = meeting;
        too_long[3] = ("threat_own", long.as_str());
        let before = app
            .count("SELECT COUNT(*) FROM meetings WHERE practice_id = $1", p.id)
            .await;
        let r = app.post("/culture/meetings", &too_long).await;
        assert_eq!(r.status(), 200);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Keep it to 1000 characters or fewer"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM meetings WHERE practice_id = $1", p.id)
                .await,
            before
        );
        let r = app.post("/culture/meetings", &meeting).await;
        let second = crate::helpers::location(&r);
        let page = crate::helpers::unescape(&app.get_text(&second).await);
        assert!(page.contains("A threat we have seen"), "{page}");
        assert!(page.contains(own));
        let text = pdf_words(&app, &format!("{second}/pdf")).await.unwrap();
        assert!(text.contains("Put the backup check on the rota"), "{text}");
        assert!(text.contains("0 suspicious emails reported"), "{text}");
        assert!(text.contains(&words(own)), "{text}");

        // Another practice's meeting is not found.
        let q = app.practice("Hillside Practice").await;
        app.sign_in(&q.manager_email, &q.password, Some(&q.totp))
            .await;
        assert_eq!(app.get(&format!("{first}/pdf")).await.status(), 404);
    }
);

/// The calendar as Python's icalendar reads it: one line per fact.
fn read_ics(ics: &str) -> String {
    let py = python();
    let has = Command::new(py)
        .args(["-c", "import icalendar"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        // Outside `.ci/run`: install the pinned library into the test venv once.
        let ok = Command::new(py)
            .args(["-m", "pip", "install", "-q", "icalendar==7.3.2"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "the calendar test needs icalendar: run `bash .ci/run`");
    }
    let script = r#"
import sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
for ev in cal.walk("VEVENT"):
    print("summary", str(ev["SUMMARY"]))
    print("rrule", ev["RRULE"].to_ical().decode())
    print("tzid", ev["DTSTART"].params["TZID"])
    print("start", ev.decoded("DTSTART").isoformat())
    print("duration", ev.decoded("DURATION"))
    print("uid", str(ev["UID"]))
for tz in cal.walk("VTIMEZONE"):
    print("timezone", str(tz["TZID"]))
"#;
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the file: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

storage_test!(
    a_meeting_series_downloads_as_a_calendar_file,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery, Ysbyty'r Dref").await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let list = app.get_text("/culture/meetings").await;
        assert!(list.contains(r#"action="/culture/meetings/calendar.ics""#));

        // Bad input: each problem beside its field, no file.
        let r = app
            .get("/culture/meetings/calendar.ics?series_kind=reception_huddle&starts=2026-12-08&at=25:99&minutes=0&every=month")
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let body = r.text().await.unwrap();
        assert!(body.contains(r#"id="at-error""#) && body.contains(r#"id="minutes-error""#));
        assert!(!body.contains(r#"id="starts-error""#));

        let r = app
            .get("/culture/meetings/calendar.ics?series_kind=reception_huddle&starts=2026-12-08&at=12:30&minutes=15&every=month")
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        let ics = r.text().await.unwrap();
        assert!(ics.contains("\r\n") && !ics.replace("\r\n", "").contains('\n'));
        let read = read_ics(&ics);
        assert!(
            read.contains("summary Reception huddle, Riverside Surgery, Ysbyty'r Dref"),
            "{read}"
        );
        assert!(
            read.contains("rrule FREQ=MONTHLY;BYDAY=2TU"),
            "the second Tuesday: {read}"
        );
        assert!(read.contains("tzid Europe/London"));
        assert!(read.contains("timezone Europe/London"));
        assert!(read.contains("start 2026-12-08T12:30:00+00:00"), "{read}");
        assert!(read.contains("duration 0:15:00"), "{read}");
        assert!(read.contains(&format!(
            "uid cyber-minute-{}-reception_huddle-2026-12-08@",
            p.id
        )));
    }
);

storage_test!(
    departments_without_a_champion_stand_out,
    |app: TestApp| async move {
        let mut app = app;
        let p = app.practice("Riverside Surgery").await;
        let fatima = app
            .staff(
                &p,
                "Fatima Begum",
                "Reception & care navigation",
                Some(Role::Staff),
            )
            .await;
        app.staff(&p, "Dr Owen Price", "Clinical", None).await;
        app.sign_in(&p.manager_email, &p.password, Some(&p.totp))
            .await;
        let r = app
            .post(
                &format!("/staff/{}/champion", fatima.staff_id),
                &[("champion", "yes")],
            )
            .await;
        assert_eq!(r.status(), 303);

        let page = app.get_text("/departments").await;
        assert!(page.contains("Departments without a champion"), "{page}");
        assert!(page.contains("No champion yet"));
        // The callout names the uncovered departments, and only those with staff.
        let callout = page
            .split("Departments without a champion")
            .nth(1)
            .unwrap()
            .split("</div>")
            .next()
            .unwrap();
        assert!(callout.contains("Clinical"), "{callout}");
        assert!(!callout.contains("Reception"), "Reception has its champion");
        assert!(
            !callout.contains("Dispensary"),
            "a department with nobody in it needs no champion"
        );
    }
);
