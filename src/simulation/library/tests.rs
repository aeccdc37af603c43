//! Checks every built-in lure file: it parses, its id matches its name, its
//! difficulty follows the NIST table, its sender and links are fictional,
//! its sources are official addresses, and each red flag's marker appears
//! where it says.

use super::*;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use std::collections::HashSet;

const LINK: &str = "https://sim.example/c/Ab3dEf?x=1&y=2";
const REPORT_LINK: &str = "https://sim.example/r/Ab3dEf";
const TRACKER: &str = r#"<img src="https://sim.example/o/Ab3dEf.gif" width="1" height="1" alt="">"#;

const REQUIRED: &[&str] = &[
    "nhsmail-password-expiry",
    "shared-document-consultant",
    "medical-supplier-invoice",
    "cqc-inspection-notice",
    "smartcard-renewal",
    "patient-complaint-attachment",
    "parcel-delivery",
    "hmrc-tax-refund",
    "microsoft-365-mfa-reset",
    "pcn-rota-change",
    "pathology-results-portal",
    "payroll-pension-update",
    "dbs-check-renewal",
    "cpd-conference-certificate",
    "urgent-request-from-partner",
    "pcse-payment-statement",
    "secure-message-portal",
    "esignature-request",
    "teams-chat-invite",
    "callback-invoice",
    "ico-fee-notice",
    "gmc-revalidation",
    "clinical-system-update",
];

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    // Strict, so a misspelt variable fails the test instead of vanishing.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env
}

fn vars(with_qr: bool) -> Value {
    let base = context! {
        first_name => "Jo",
        last_name => "Okafor-Reid",
        email => "jo.okafor-reid@practice.example",
        job_role => "Care navigator",
        practice_name => "Riverside Surgery",
        link => LINK,
        report_link => REPORT_LINK,
        tracker => Value::from_safe_string(TRACKER.to_string()),
    };
    if with_qr {
        context! { qr_code => Value::from_safe_string("<table><tr><td>QR</td></tr></table>".into()), ..base }
    } else {
        base
    }
}

struct Rendered {
    subject: String,
    html: String,
    text: String,
}

/// Renders a lure as a practice without names would adopt it.
fn render(lure: &Lure, with_qr: bool) -> Rendered {
    let lure = &lure.for_practice(&PracticeNames::default());
    let env = env();
    let go = |name: &str, source: &str| {
        env.render_named_str(name, source, vars(with_qr))
            .unwrap_or_else(|e| panic!("{}: {name} does not render: {e:#}", lure.id))
    };
    Rendered {
        subject: go("subject.txt", &lure.subject),
        html: go("body.html", &lure.html),
        text: go("body.txt", &lure.text),
    }
}

/// How a value shows in the rendered HTML after auto-escaping.
fn escaped(value: &str) -> String {
    env()
        .render_named_str("v.html", "{{ v }}", context! { v => value })
        .unwrap()
}

fn files() -> Vec<(String, String)> {
    LureFiles::iter()
        .filter(|name| name.ends_with(".toml"))
        .map(|name| {
            let data = LureFiles::get(&name).unwrap().data;
            (
                name.to_string(),
                String::from_utf8(data.into_owned()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_file_parses() {
    for (name, source) in files() {
        if let Err(e) = toml::from_str::<Lure>(&source) {
            panic!("{name}: {e}");
        }
    }
    assert_eq!(all().len(), files().len());
}

#[test]
fn ids_are_unique_and_match_file_names() {
    let mut seen = HashSet::new();
    for (name, source) in files() {
        let lure: Lure = toml::from_str(&source).unwrap();
        assert_eq!(
            format!("{}.toml", lure.id),
            name,
            "id must equal the file name"
        );
        assert!(seen.insert(lure.id.clone()), "duplicate id {}", lure.id);
        assert!(
            lure.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}: ids are lowercase kebab-case",
            lure.id
        );
    }
}

#[test]
fn sorted_by_name_and_get_finds_each() {
    let names: Vec<&str> = all().iter().map(|l| l.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for lure in all() {
        assert_eq!(get(&lure.id).map(|l| &l.id), Some(&lure.id));
    }
    assert!(get("no-such-lure").is_none());
}

#[test]
fn library_is_big_enough_and_has_the_required_lures() {
    assert!(all().len() >= 28, "only {} lures", all().len());
    for id in REQUIRED {
        assert!(get(id).is_some(), "missing required lure {id}");
    }
}

#[test]
fn nist_table() {
    use Difficulty::*;
    use PremiseAlignment::*;
    let cases = [
        (1, High, VeryDifficult),
        (8, Medium, VeryDifficult),
        (8, Low, ModeratelyDifficult),
        (9, High, VeryDifficult),
        (14, Medium, ModeratelyDifficult),
        (14, Low, ModeratelyDifficult),
        (15, High, ModeratelyDifficult),
        (15, Medium, ModeratelyDifficult),
        (15, Low, LeastDifficult),
        (40, Low, LeastDifficult),
    ];
    for (cues, alignment, expected) in cases {
        assert_eq!(
            nist_difficulty(cues, alignment),
            expected,
            "{cues} cues, {alignment:?}"
        );
    }
}

#[test]
fn difficulty_follows_the_nist_table() {
    for lure in all() {
        assert!(lure.cues >= 1, "{}: count at least one cue", lure.id);
        assert_eq!(
            lure.difficulty,
            nist_difficulty(lure.cues, lure.premise_alignment),
            "{}: {} cues with {} alignment",
            lure.id,
            lure.cues,
            lure.premise_alignment.as_str()
        );
    }
}

#[test]
fn difficulties_are_mixed() {
    let count = |d: Difficulty| all().iter().filter(|l| l.difficulty == d).count();
    assert!(count(Difficulty::LeastDifficult) >= 4);
    assert!(count(Difficulty::ModeratelyDifficult) >= 6);
    assert!(count(Difficulty::VeryDifficult) >= 4);
}

#[test]
fn fields_are_filled_in_and_known() {
    for lure in all() {
        let id = &lure.id;
        assert!(
            CATEGORIES.contains(&lure.category.as_str()),
            "{id}: category {}",
            lure.category
        );
        assert!(
            TRAINING_MODULES.contains(&lure.training_module.as_str()),
            "{id}: training module {}",
            lure.training_module
        );
        for (what, value) in [
            ("name", &lure.name),
            ("summary", &lure.summary),
            ("from_name", &lure.from_name),
            ("subject", &lure.subject),
            ("text", &lure.text),
            ("html", &lure.html),
        ] {
            assert!(!value.trim().is_empty(), "{id}: {what} is empty");
        }
        assert!(!lure.sources.is_empty(), "{id}: no sources");
        assert!(
            (3..=6).contains(&lure.red_flags.len()),
            "{id}: {} red flags, want 3 to 6",
            lure.red_flags.len()
        );
        for flag in &lure.red_flags {
            assert!(!flag.marker.trim().is_empty(), "{id}: empty marker");
            assert!(
                !flag.marker.contains("{{") && !flag.marker.contains("{%"),
                "{id}: marker {:?}",
                flag.marker
            );
            assert!(
                !flag.marker.contains(['&', '<', '>']),
                "{id}: marker {:?} would not match escaped HTML",
                flag.marker
            );
            let explanation = flag.explanation.trim();
            assert!(
                explanation.ends_with('.'),
                "{id}: explanation {explanation:?}"
            );
            assert!(
                explanation.len() <= 320,
                "{id}: explanation too long: {explanation:?}"
            );
        }
    }
}

/// Domains kept for examples and tests by RFC 2606 and RFC 6761: no
/// lure can ever name a real sender.
fn reserved_domain(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    ["example", "test", "invalid", "localhost"]
        .iter()
        .any(|tld| d.ends_with(&format!(".{tld}")))
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|sld| d == *sld || d.ends_with(&format!(".{sld}")))
}

#[test]
fn reserved_domains_are_recognised() {
    assert!(reserved_domain("nhs-mail.example"));
    assert!(reserved_domain("mail.example.org"));
    assert!(reserved_domain("pcse-portal.test"));
    assert!(!reserved_domain("nhs.net"));
    assert!(!reserved_domain("example.co.uk"));
    assert!(!reserved_domain("notexample.com"));
}

#[test]
fn senders_are_fictional() {
    for lure in all() {
        let domain = lure.from_address.rsplit('@').next().unwrap_or_default();
        assert!(
            reserved_domain(domain),
            "{}: {} is not on a reserved example domain",
            lure.id,
            lure.from_address
        );
        assert_eq!(lure.from_address.matches('@').count(), 1, "{}", lure.id);
        assert!(
            !lure.from_name.contains(['<', '>', '@']),
            "{}: from_name",
            lure.id
        );
    }
}

#[test]
fn no_real_links_or_images_or_scripts() {
    for lure in all() {
        let name = &lure.id;
        // Everything staff could see; only `sources` may hold real addresses.
        let mut seen = vec![
            lure.from_name.clone(),
            lure.from_address.clone(),
            lure.subject.clone(),
            lure.text.clone(),
            lure.html.clone(),
        ];
        seen.extend(
            lure.red_flags
                .iter()
                .map(|f| format!("{} {}", f.marker, f.explanation)),
        );
        let lower = seen.join("\n").to_lowercase();
        for banned in [
            "http://",
            "https://",
            "www.",
            "<script",
            "<img",
            "src=",
            "<iframe",
            "<form",
            "javascript:",
        ] {
            assert!(!lower.contains(banned), "{name} contains {banned:?}");
        }
    }
}

#[test]
fn every_source_is_an_official_web_address() {
    for lure in all() {
        assert!(lure.sources.len() >= 2, "{}: at least 2 sources", lure.id);
        for s in &lure.sources {
            let url = url::Url::parse(&s.url)
                .unwrap_or_else(|e| panic!("{}: source {:?}: {e}", lure.id, s.url));
            assert_eq!(url.scheme(), "https", "{}: {}", lure.id, s.url);
            assert!(
                url.host_str().is_some_and(|h| h.contains('.')),
                "{}: {}",
                lure.id,
                s.url
            );
            assert!(
                !s.publisher.trim().is_empty() && !s.title.trim().is_empty(),
                "{}: every source has a publisher and a title",
                lure.id
            );
            assert!(
                !s.title.to_lowercase().contains("action fraud") && !s.url.contains("actionfraud"),
                "{}: Action Fraud became Report Fraud in December 2025",
                lure.id
            );
        }
    }
}

#[test]
fn partner_and_pcn_names_come_from_the_practice() {
    for lure in all() {
        for field in [&lure.from_name, &lure.subject, &lure.text, &lure.html] {
            let without = PRACTICE_NAME_VARIABLES
                .iter()
                .fold(field.to_string(), |f, v| f.replace(v, ""));
            assert!(
                !without.contains("partner_name") && !without.contains("pcn_name"),
                "{}: write the names exactly as {{{{ partner_name }}}} or {{{{ pcn_name }}}}",
                lure.id
            );
        }
    }
    let partner = get("urgent-request-from-partner").expect("partner lure");
    let pcn = get("pcn-rota-change").expect("PCN lure");
    assert!(
        partner.text.contains("{{ partner_name }}")
            && partner.from_name.contains("{{ partner_name }}")
    );
    assert!(pcn.text.contains("{{ pcn_name }}"));

    let named = PracticeNames {
        partner: "Dr Sam O'Neill & Co".into(),
        pcn: "Riverside North PCN".into(),
    };
    let adopted = partner.for_practice(&named);
    assert!(adopted.from_name.contains("Dr Sam O'Neill & Co"));
    assert!(adopted.text.contains("Dr Sam O'Neill & Co"));
    assert!(
        adopted.html.contains("Dr Sam O&#39;Neill &amp; Co"),
        "escaped in HTML"
    );
    let fallback = partner.for_practice(&PracticeNames::default());
    assert!(fallback.text.contains(PARTNER_FALLBACK) && !fallback.text.contains("Alistair"));
    assert!(pcn
        .for_practice(&named)
        .text
        .contains("Riverside North PCN"));
    assert!(pcn
        .for_practice(&PracticeNames::default())
        .text
        .contains(PCN_FALLBACK));
    for adopted in all().iter().map(|l| l.for_practice(&named)) {
        for field in [
            &adopted.from_name,
            &adopted.subject,
            &adopted.text,
            &adopted.html,
        ] {
            assert!(!field.contains("partner_name") && !field.contains("pcn_name"));
        }
    }
}

#[test]
fn practice_names_are_checked() {
    assert_eq!(
        PracticeNames::check("name", "  Dr  Priya   Shah ").unwrap(),
        "Dr Priya Shah"
    );
    assert!(PracticeNames::check("name", "Dr {{ x }}")
        .unwrap_err()
        .contains("can't contain"));
    assert!(PracticeNames::check("name", "<b>Dr</b>").is_err());
    assert!(PracticeNames::check("name", &"a".repeat(81))
        .unwrap_err()
        .contains("80"));
    assert_eq!(PracticeNames::check("name", "").unwrap(), "");
}

#[test]
fn every_red_flag_marker_appears_in_its_place() {
    for lure in all() {
        for with_qr in [false, true] {
            let r = render(lure, with_qr);
            let from = lure.for_practice(&PracticeNames::default()).from_line();
            for flag in &lure.red_flags {
                let m = flag.marker.as_str();
                match flag.r#where {
                    FlagPlace::From => {
                        assert!(from.contains(m), "{}: {m:?} not in {from:?}", lure.id)
                    }
                    FlagPlace::Subject => {
                        assert!(
                            r.subject.contains(m),
                            "{}: {m:?} not in subject {:?}",
                            lure.id,
                            r.subject
                        )
                    }
                    FlagPlace::Attachment => {
                        panic!("{}: lures have no attachment for {m:?}", lure.id)
                    }
                    FlagPlace::Body => {
                        assert!(
                            r.html.contains(m),
                            "{}: {m:?} not in the rendered html",
                            lure.id
                        );
                        assert!(
                            r.text.contains(m),
                            "{}: {m:?} not in the rendered text",
                            lure.id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bodies_carry_the_link_tracker_and_report_link() {
    let link = escaped(LINK);
    let report = escaped(REPORT_LINK);
    for lure in all() {
        let id = &lure.id;
        assert_eq!(
            lure.html.matches("{{ tracker }}").count(),
            1,
            "{id}: put {{{{ tracker }}}} once in html"
        );
        assert!(
            lure.html.contains(r#"href="{{ link }}""#),
            "{id}: html needs <a href=\"{{{{ link }}}}\">"
        );
        assert!(
            lure.html.contains(r#"href="{{ report_link }}""#),
            "{id}: html needs a report link"
        );
        assert!(
            !lure.text.contains("tracker"),
            "{id}: the tracker is for html only"
        );
        let r = render(lure, false);
        assert!(r.html.contains(&link), "{id}: rendered html lacks the link");
        assert!(
            r.html.contains(TRACKER),
            "{id}: rendered html lacks the tracker (is it escaped?)"
        );
        assert!(
            r.html.contains(&report),
            "{id}: rendered html lacks the report link"
        );
        // The report link belongs in the footer, after everything else but the tracker.
        assert!(
            r.html.rfind(&report) > r.html.rfind(&link),
            "{id}: the report link should be in the footer, after the lure's own links"
        );
        assert!(r.text.contains(LINK), "{id}: rendered text lacks the link");
        assert!(
            r.text.contains(REPORT_LINK),
            "{id}: rendered text lacks the report link"
        );
        assert!(!r.subject.contains('\n'), "{id}: subject is one line");
    }
}

#[test]
fn html_is_balanced_enough() {
    for lure in all() {
        for tag in ["table", "tr", "td", "p", "a", "div", "strong", "span"] {
            let opened = lure.html.matches(&format!("<{tag}>")).count()
                + lure.html.matches(&format!("<{tag} ")).count();
            let closed = lure.html.matches(&format!("</{tag}>")).count();
            assert_eq!(
                opened, closed,
                "{}: <{tag}> opened {opened} times, closed {closed}",
                lure.id
            );
        }
    }
}

#[test]
fn qr_code_is_a_table_of_whole_rows() {
    let html = qr_code_html(LINK).expect("a short link fits in a QR code");
    let rows: Vec<&str> = html.split("<tr>").skip(1).collect();
    assert!(rows.len() >= 21 + 8, "{} rows", rows.len());
    for row in &rows {
        let spans: usize = row
            .split(r#"colspan=""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(spans, rows.len(), "every row spans the full square");
    }
    assert!(html.contains("#000000"));
    assert!(!html.contains("<img") && !html.contains("<svg"));
    assert!(qr_code_html(&"x".repeat(5000)).is_none());
}
