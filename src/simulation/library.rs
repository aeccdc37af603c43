//! The built-in lure library: realistic, fictional phishing emails for a GP
//! practice's simulations, one TOML file each in `content/lures/`, embedded in
//! the binary.
//!
//! Each lure carries its own lesson: the red flags that the teachable moment
//! highlights, each with a marker (text that appears verbatim in the sender
//! line, the subject or the body) and a kind, plain-English explanation. The
//! bodies are minijinja templates: `html` is rendered with HTML auto-escaping,
//! `text` and `subject` without. The variables are `first_name`, `last_name`,
//! `email`, `job_role`, `practice_name`, `link` (the tracked link),
//! `report_link` (report the email as suspicious) and, in `html` only,
//! `tracker` (the open-tracking pixel, passed as a safe value). One lure
//! (`qr-code-parking-permit`) also shows `qr_code` if it is defined: safe HTML
//! drawing a QR code of `link`.
//!
//! Lures that pretend to come from the practice's own GP partner or primary
//! care network say `{{ partner_name }}` or `{{ pcn_name }}`; when a practice
//! adopts one, [`Lure::for_practice`] puts in the names the practice gave
//! (Email templates → Names in the ready-made emails) or a neutral phrase, so
//! no lure invents a partner or a PCN.
//!
//! Difficulty follows the NIST Phish Scale (see [`nist_difficulty`]), and the
//! tests at the end of this file check every file against the schema.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::training::content::Source;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/lures/"]
struct LureFiles;

/// The categories a lure may have, as written in its `category` key.
pub const CATEGORIES: &[&str] = &[
    "credentials",
    "attachment",
    "invoice",
    "payment",
    "delivery",
    "ceo-fraud",
    "qr-code",
    "document-share",
];

/// The training modules a lure may assign, as written in its `training_module` key.
pub const TRAINING_MODULES: &[&str] = &[
    "phishing",
    "passwords",
    "phone-scams",
    "ransomware",
    "backups-updates",
    "patient-data",
    "devices",
    "social-media",
    "reporting",
    "voice-cloning",
    "service-desk-scams",
    "remote-access-scams",
    "ai-tools",
];

/// What a lure says where a practice has not named its GP partner or PCN.
pub const PARTNER_FALLBACK: &str = "one of the GP partners";
pub const PCN_FALLBACK: &str = "the PCN";
/// The two names a lure may leave for the practice to fill in.
pub const PRACTICE_NAME_VARIABLES: [&str; 2] = ["{{ partner_name }}", "{{ pcn_name }}"];

/// One built-in lure from content/lures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lure {
    /// Same as the file name without `.toml`.
    pub id: String,
    /// Shown to the practice manager.
    pub name: String,
    /// One sentence for the practice manager choosing a lure.
    pub summary: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// What a click opens.
    pub landing: Landing,
    /// The module a member of staff who clicks is offered; one of [`TRAINING_MODULES`].
    pub training_module: String,
    /// NIST Phish Scale: the number of observable cues in the email.
    pub cues: u8,
    /// NIST Phish Scale: how well the premise fits a GP practice's day.
    pub premise_alignment: PremiseAlignment,
    /// NIST Phish Scale: always `nist_difficulty(cues, premise_alignment)`.
    pub difficulty: Difficulty,
    pub from_name: String,
    /// Always a fictional address under the reserved `.example` top-level domain.
    pub from_address: String,
    /// minijinja template, no auto-escaping.
    pub subject: String,
    /// Plain-text body: minijinja template, no auto-escaping.
    pub text: String,
    /// HTML body: minijinja template, rendered with HTML auto-escaping.
    pub html: String,
    /// The guidance the lesson is based on, each with its address.
    pub sources: Vec<Source>,
    /// What the teachable moment highlights, 3 to 6 of them.
    pub red_flags: Vec<RedFlag>,
}

impl Lure {
    /// The sender line as shown to staff, `from_name <from_address>`: the text
    /// that red flags placed in [`FlagPlace::From`] are found in.
    pub fn from_line(&self) -> String {
        format!("{} <{}>", self.from_name, self.from_address)
    }

    /// This lure as a practice adopts it: `{{ partner_name }}` and
    /// `{{ pcn_name }}` become the names the practice gave, or a neutral
    /// phrase, so the practice's template uses only the usual variables.
    pub fn for_practice(&self, names: &PracticeNames) -> Lure {
        let partner = names.partner().unwrap_or(PARTNER_FALLBACK);
        let pcn = names.pcn().unwrap_or(PCN_FALLBACK);
        let fill = |s: &str, escape: bool| {
            let value = |v: &str| {
                if escape {
                    super::render::html_escape(v)
                } else {
                    v.to_string()
                }
            };
            s.replace(PRACTICE_NAME_VARIABLES[0], &value(partner))
                .replace(PRACTICE_NAME_VARIABLES[1], &value(pcn))
        };
        Lure {
            from_name: fill(&self.from_name, false),
            subject: fill(&self.subject, false),
            text: fill(&self.text, false),
            html: fill(&self.html, true),
            ..self.clone()
        }
    }
}

/// The practice's own names that some lures use, as the practice manager
/// typed them (checked by [`PracticeNames::parse`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PracticeNames {
    pub partner: String,
    pub pcn: String,
}

impl PracticeNames {
    pub fn partner(&self) -> Option<&str> {
        Some(self.partner.trim()).filter(|s| !s.is_empty())
    }

    pub fn pcn(&self) -> Option<&str> {
        Some(self.pcn.trim()).filter(|s| !s.is_empty())
    }

    /// Checks a name typed on the form: what is wrong, in words for the
    /// practice manager, or the tidied name. Braces and angle brackets are
    /// refused because the name goes into an email template.
    pub fn check(field: &str, raw: &str) -> Result<String, String> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.chars().count() > 80 {
            return Err(format!("Keep the {field} to 80 characters or fewer."));
        }
        if name.contains(['{', '}', '<', '>']) || name.chars().any(char::is_control) {
            return Err(format!(
                "The {field} can't contain {{ }} < or >. Use letters, spaces and ordinary punctuation."
            ));
        }
        Ok(name)
    }
}

/// Which landing page a click opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Landing {
    /// A fake sign-in form.
    Credentials,
    /// A fake document preview asking to sign in or enable content.
    Document,
    /// Straight to the teachable moment.
    Teachable,
}

impl Landing {
    pub fn as_str(self) -> &'static str {
        match self {
            Landing::Credentials => "credentials",
            Landing::Document => "document",
            Landing::Teachable => "teachable",
        }
    }
}

/// NIST Phish Scale premise alignment: how well the story fits the
/// recipient's work (the paper's "strong", "medium" and "weak").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PremiseAlignment {
    Low,
    Medium,
    High,
}

impl PremiseAlignment {
    pub fn as_str(self) -> &'static str {
        match self {
            PremiseAlignment::Low => "low",
            PremiseAlignment::Medium => "medium",
            PremiseAlignment::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PremiseAlignment::Low => "Low",
            PremiseAlignment::Medium => "Medium",
            PremiseAlignment::High => "High",
        }
    }
}

/// NIST Phish Scale detection difficulty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    LeastDifficult,
    ModeratelyDifficult,
    VeryDifficult,
}

impl Difficulty {
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::LeastDifficult => "least-difficult",
            Difficulty::ModeratelyDifficult => "moderately-difficult",
            Difficulty::VeryDifficult => "very-difficult",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Difficulty::LeastDifficult => "Least difficult",
            Difficulty::ModeratelyDifficult => "Moderately difficult",
            Difficulty::VeryDifficult => "Very difficult",
        }
    }
}

/// One thing the teachable moment highlights.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    /// Which part of the email the marker is in.
    pub r#where: FlagPlace,
    /// Text that appears verbatim in that part (for the body: in both the
    /// rendered HTML and the rendered text).
    pub marker: String,
    /// Kind, specific, plain English: one or two sentences.
    pub explanation: String,
}

/// Where in the email a red flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagPlace {
    /// The sender line, `from_name <from_address>`.
    From,
    Subject,
    Body,
    /// The attached file's name (templates only: lures have no attachment).
    Attachment,
}

impl FlagPlace {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagPlace::From => "from",
            FlagPlace::Subject => "subject",
            FlagPlace::Body => "body",
            FlagPlace::Attachment => "attachment",
        }
    }
}

static LURES: LazyLock<Vec<Lure>> = LazyLock::new(|| {
    let mut lures: Vec<Lure> = LureFiles::iter()
        .filter(|name| name.ends_with(".toml"))
        .map(|name| {
            let file = LureFiles::get(&name).unwrap_or_else(|| panic!("lure file {name} vanished"));
            let source = std::str::from_utf8(&file.data)
                .unwrap_or_else(|e| panic!("lure file {name} is not UTF-8: {e}"));
            toml::from_str::<Lure>(source)
                .unwrap_or_else(|e| panic!("lure file {name} is malformed: {e}"))
        })
        .collect();
    lures.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    lures
});

/// Every built-in lure, sorted by name. Parsed once; panics naming the file if
/// a built-in file is malformed (the tests below make sure none is).
pub fn all() -> &'static [Lure] {
    &LURES
}

/// The built-in lure with this id.
pub fn get(id: &str) -> Option<&'static Lure> {
    all().iter().find(|lure| lure.id == id)
}

/// NIST Phish Scale table: difficulty from cue count and premise alignment.
///
/// From Steves, Greene and Theofanos, "Categorizing human phishing difficulty:
/// a Phish Scale", Journal of Cybersecurity 6(1), 2020, and Dawkins and Jacobs,
/// "NIST Phish Scale User Guide", NIST TN 2276, 2023. Cues are counted and
/// grouped as few (1–8), some (9–14) or many (15 or more); premise alignment
/// is strong (here `High`), medium or weak (`Low`):
///
/// | cues | high | medium | low |
/// |---|---|---|---|
/// | few (1–8) | very difficult | very difficult | moderately difficult |
/// | some (9–14) | very difficult | moderately difficult | moderately to least difficult |
/// | many (15+) | moderately difficult | moderately difficult | least difficult |
///
/// The table's one split cell, some cues with low alignment ("moderately to
/// least difficult"), is rated moderately difficult here: when unsure, we
/// rate a lure as harder rather than read staff's clicks as worse than they
/// are. Zero cues counts as few.
pub fn nist_difficulty(cues: u8, alignment: PremiseAlignment) -> Difficulty {
    use Difficulty::*;
    use PremiseAlignment::*;
    match (cues, alignment) {
        (0..=8, High | Medium) => VeryDifficult,
        (0..=8, Low) => ModeratelyDifficult,
        (9..=14, High) => VeryDifficult,
        (9..=14, Medium | Low) => ModeratelyDifficult,
        (15.., High | Medium) => ModeratelyDifficult,
        (15.., Low) => LeastDifficult,
    }
}

/// Safe HTML for the `qr_code` template variable: a QR code of `url` drawn as
/// a table of black and white cells, because email clients strip SVG and the
/// simulations send no images. `None` if the URL is too long for a QR code.
///
/// Pass it to the `html` template as a safe value, e.g.
/// `minijinja::Value::from_safe_string(qr_code_html(&link).unwrap_or_default())`.
pub fn qr_code_html(url: &str) -> Option<String> {
    const QUIET: usize = 4; // light modules around the code, as the standard asks
    const CELL: usize = 4; // pixels per module
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let width = code.width();
    let colours = code.to_colors();
    let size = width + 2 * QUIET;
    let dark = |x: usize, y: usize| {
        (QUIET..QUIET + width).contains(&x)
            && (QUIET..QUIET + width).contains(&y)
            && colours[(y - QUIET) * width + (x - QUIET)] == qrcode::Color::Dark
    };
    let px = size * CELL;
    let mut html = format!(
        r#"<table role="img" aria-label="QR code" width="{px}" cellpadding="0" cellspacing="0" border="0" style="width:{px}px;table-layout:fixed;border-collapse:collapse;background:#ffffff;">"#
    );
    for y in 0..size {
        html.push_str("<tr>");
        let mut x = 0;
        while x < size {
            let is_dark = dark(x, y);
            let run = (x..size).take_while(|&x2| dark(x2, y) == is_dark).count();
            let colour = if is_dark { "#000000" } else { "#ffffff" };
            html.push_str(&format!(
                r#"<td colspan="{run}" height="{CELL}" bgcolor="{colour}" style="height:{CELL}px;padding:0;line-height:0;font-size:0;background:{colour};"></td>"#
            ));
            x += run;
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
    use std::collections::HashSet;

    const LINK: &str = "https://sim.example/c/Ab3dEf?x=1&y=2";
    const REPORT_LINK: &str = "https://sim.example/r/Ab3dEf";
    const TRACKER: &str =
        r#"<img src="https://sim.example/o/Ab3dEf.gif" width="1" height="1" alt="">"#;

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
                    !s.title.to_lowercase().contains("action fraud")
                        && !s.url.contains("actionfraud"),
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
}
