//! Checks of the content libraries as it ships: every entry loads and keeps its rules.

use super::checks::*;
use super::*;
use crate::training::patient_lessons::reading_grade;

fn lib() -> Library {
    load().expect("culture content loads")
}

#[test]
fn every_drill_tip_and_threat_file_parses_and_is_complete() {
    let lib = lib();
    let all = problems(&lib);
    assert!(all.is_empty(), "content problems:\n{}", all.join("\n"));
    // The built-in loader is the one the app uses.
    assert_eq!(library().drills.len(), lib.drills.len());
}

#[test]
fn every_drill_file_is_a_drill_with_its_file_name_as_id() {
    let files = drill_files().unwrap();
    assert_eq!(files.len(), lib().drills.len());
    for (file, body) in files {
        let d: Drill = toml::from_str(&body).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(d.id, file);
        assert!(drill(&file).is_some(), "{file} can be looked up");
    }
}

#[test]
fn the_library_has_the_drills_the_issue_asks_for() {
    let lib = lib();
    assert!(lib.drills_of(DrillKind::Phone).count() >= 9);
    assert!(lib.drills_of(DrillKind::SmsCard).count() >= 6);
    for id in [
        "phone-relative-results",
        "phone-police-address",
        "phone-it-support-password",
        "phone-it-support-remote-access",
        "phone-pharmacy-confirm-details",
        "phone-supplier-remote-access",
        "phone-nhs-england-staff-list",
        "phone-knows-a-lot-urgent",
        "phone-partner-voice",
    ] {
        assert_eq!(
            lib.drill(id).map(|d| d.kind),
            Some(DrillKind::Phone),
            "{id}"
        );
    }
    for d in lib.drills_of(DrillKind::Phone) {
        for check in PHONE_CHECKS {
            assert!(d.check(check).is_some(), "{}: {check}", d.id);
        }
    }
    for d in lib.drills_of(DrillKind::SmsCard) {
        assert!(
            !d.card.as_ref().unwrap().answer.is_empty(),
            "{}: the card's answer",
            d.id
        );
    }
}

#[test]
fn module_ids_exist_in_training() {
    let lib = lib();
    let named = lib.drills.iter().map(|d| d.training_module.as_str()).chain(
        lib.threats
            .iter()
            .filter_map(|t| t.training_module.as_deref()),
    );
    for m in named {
        assert!(
            crate::training::content::SLUGS.contains(&m),
            "{m} is not a training module"
        );
    }
    assert!(!module_known("made-up-module"));
}

#[test]
fn every_source_is_a_full_https_address() {
    let lib = lib();
    let sources = lib
        .drills
        .iter()
        .flat_map(|d| &d.sources)
        .chain(lib.tips.iter().map(|t| &t.source))
        .chain(lib.threats.iter().flat_map(|t| &t.sources));
    for s in sources {
        let u = url::Url::parse(&s.url).unwrap_or_else(|e| panic!("{}: {e}", s.url));
        assert_eq!(u.scheme(), "https", "{}", s.url);
        assert!(u.host_str().is_some(), "{}", s.url);
    }
    assert!(!source_problems(
        "x",
        &Source {
            publisher: "NCSC".into(),
            title: "t".into(),
            url: "http://www.ncsc.gov.uk/".into(),
        }
    )
    .is_empty());
}

#[test]
fn the_usb_file_is_harmless_and_carries_only_the_tracked_link() {
    let usb = lib().drills_of(DrillKind::UsbDrop).next().unwrap().clone();
    assert!(usb_html_problems(&usb.usb.as_ref().unwrap().html).is_empty());
    let html = usb
        .usb_file_html("https://sim.example/u/abc?x=1&y=\"2\"")
        .unwrap();
    assert!(
        html.contains(r#"href="https://sim.example/u/abc?x=1&amp;y=&quot;2&quot;""#),
        "{html}"
    );
    assert!(!html.contains("{{"));
    assert!(drill("phone-police-address")
        .unwrap()
        .usb_file_html("x")
        .is_none());
}

#[test]
fn the_usb_check_catches_scripts_handlers_frames_and_outside_resources() {
    let ok = r#"<p><a href="{{ link }}">Open</a></p>"#;
    assert!(usb_html_problems(ok).is_empty());
    for bad in [
        r#"<p><a href="{{ link }}">Open</a></p><script>fetch('x')</script>"#,
        r#"<body onload="go()"><a href="{{ link }}">Open</a></body>"#,
        r#"<a href="{{ link }}" onclick = "go()">Open</a>"#,
        r#"<a href="{{ link }}">Open</a><iframe src="https://x.example"></iframe>"#,
        r#"<a href="{{ link }}">Open</a><img src="https://x.example/p.gif">"#,
        r#"<a href="{{ link }}">Open</a><a href="https://x.example">Other</a>"#,
        r#"<a href="javascript:alert(1)">Open</a>"#,
        r#"<p style="background: url(https://x.example/t.gif)"><a href="{{ link }}">Open</a></p>"#,
        r#"<link rel="stylesheet" href="https://x.example/s.css"><a href="{{ link }}">Open</a>"#,
        r#"<a href='{{ link }}'>Open</a> {{ name }}"#,
        r#"<p>No link at all</p>"#,
    ] {
        assert!(
            !usb_html_problems(bad).is_empty(),
            "should be refused: {bad}"
        );
    }
}

#[test]
fn the_qr_poster_has_one_qr_placeholder_and_a_debrief_page() {
    let lib = lib();
    let poster = lib.drills_of(DrillKind::QrPoster).next().unwrap();
    let p = poster.poster.as_ref().unwrap();
    assert_eq!(p.text.matches(QR_PLACEHOLDER).count(), 1);
    let (before, after) = p.around_qr();
    assert!(!before.is_empty() && !after.is_empty());
    assert!(!before.contains("{{") && !after.contains("{{"));
    let page = poster.debrief_page.as_ref().unwrap();
    assert!(page.body_html().contains("<strong>"));
    assert!(poster.outcomes.is_empty(), "counted anonymously");
}

#[test]
fn walk_rounds_cover_every_area_and_say_never_to_photograph() {
    let lib = lib();
    for area in Area::ALL {
        let d = lib
            .drills
            .iter()
            .find(|d| d.walk.as_ref().is_some_and(|w| w.area == area))
            .unwrap_or_else(|| panic!("{area:?}"));
        assert!(d.checklist.len() >= 5);
    }
    assert!(lib
        .rules
        .iter()
        .any(|r| r.contains("Never photograph patient data")));
}

#[test]
fn there_are_enough_tips_on_every_topic_and_they_rotate() {
    let lib = lib();
    assert!(lib.tips.len() >= 24);
    for topic in TipTopic::ALL {
        assert!(
            lib.tips.iter().filter(|t| t.topic == topic).count() >= 2,
            "{topic:?}"
        );
    }
    let n = lib.tips.len() as u64;
    assert_eq!(lib.tip_for(0).id, lib.tips[0].id);
    assert_eq!(lib.tip_for(n).id, lib.tips[0].id);
    assert_eq!(lib.tip_for(n + 1).id, lib.tips[1].id);
    let first_round: HashSet<&str> = (0..n).map(|i| lib.tip_for(i).id.as_str()).collect();
    assert_eq!(
        first_round.len() as u64,
        n,
        "each tip once before any repeats"
    );
    assert!(tip("forward-to-spamreports")
        .unwrap()
        .say
        .contains("spamreports@nhs.net"));
}

#[test]
fn threats_are_short_and_actionable() {
    let lib = lib();
    assert!((8..=12).contains(&lib.threats.len()));
    for id in [
        "voice-cloning",
        "service-desk-reset",
        "qr-code-phishing",
        "supplier-invoice-fraud",
        "critical-supplier-outage",
        "remote-access-scams",
    ] {
        assert!(threat(id).is_some(), "{id}");
    }
    for t in &lib.threats {
        assert_eq!(t.summary_lines().count(), 2, "{}", t.id);
    }
    assert!(lib.threats_updated.year() >= 2026);
}

#[test]
fn staff_facing_words_are_plain() {
    // Flesch–Kincaid grade as content/learn/README.md defines it. Staff
    // content may use work words (verification, authentication) that
    // count as long, so the bar is a little above the patient lessons'.
    let lib = lib();
    let mut too_hard = Vec::new();
    let mut check = |what: String, text: &str, max: f64| {
        let g = reading_grade(text);
        if g > max {
            too_hard.push(format!("{what}: grade {g:.1} > {max}"));
        }
    };
    for t in &lib.tips {
        check(
            format!("tip {}", t.id),
            &format!("{} {}", t.say, t.why),
            10.0,
        );
    }
    for d in &lib.drills {
        for o in &d.outcomes {
            check(
                format!("{} {} debrief", d.id, o.key.as_str()),
                &o.debrief,
                10.0,
            );
        }
        if let Some(c) = &d.card {
            check(format!("{} answer", d.id), &c.answer, 10.0);
        }
    }
    for t in &lib.threats {
        check(
            format!("threat {}", t.id),
            &format!("{}\n{}", t.summary, t.what_to_do.join("\n")),
            12.0,
        );
    }
    assert!(too_hard.is_empty(), "{}", too_hard.join("\n"));
}

#[test]
fn content_checks_catch_common_mistakes() {
    let mut d = drill("phone-relative-results").unwrap().clone();
    let roles = ["reception", "secretary"];
    assert!(drill_problems(&d, &roles).is_empty());
    d.checklist.retain(|c| c.id != "called-back");
    d.outcomes.pop();
    d.suits.push("window-cleaner".into());
    d.training_module = "no-such-module".into();
    d.script
        .as_mut()
        .unwrap()
        .lines
        .push("Ring me on 020 7946 0123 or see https://real-bank.com".into());
    let p = drill_problems(&d, &roles).join("\n");
    for expected in [
        "called-back",
        "outcomes",
        "window-cleaner",
        "no-such-module",
        "020 7946 0123",
        "real-bank.com",
    ] {
        assert!(p.contains(expected), "{expected} missing from:\n{p}");
    }
    assert!(stray_phone_numbers("call 07700 900123 or 01632 960418 or 0300 303 5222").is_empty());
}
