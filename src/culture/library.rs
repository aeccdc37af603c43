//! The drill, tip and threat libraries: `content/drills/`, `content/tips/` and
//! `content/threats/` (formats in each folder's README.md), embedded in the
//! binary, parsed once and checked by the tests below.
//!
//! Drills are practice runs that need no email (phone calls, text-message
//! cards, a USB stick, walk-rounds, a QR poster), each with how to run it
//! safely and kindly, what a good response looks like as a checklist, and a
//! kind debrief per outcome. Tips rotate through the "cyber minute" at
//! practice meetings, and threats are short briefings a manager can pick for
//! one.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use time::Date;

pub use crate::training::content::Source;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/drills/"]
struct DrillFiles;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/tips/"]
struct TipFiles;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/threats/"]
struct ThreatFiles;

/// The text in a USB drill's file that Safety Net replaces with the tracked link.
pub const LINK_PLACEHOLDER: &str = "{{ link }}";
/// The line in a QR poster's text where the QR code is drawn.
pub const QR_PLACEHOLDER: &str = "{{ qr }}";

/// The phone checklist every phone drill follows, from the practice's
/// identity-check procedure.
pub const PHONE_CHECKS: [&str; 4] = [
    "verified-identity",
    "refused-to-disclose",
    "called-back",
    "reported",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillKind {
    /// A practice phone call (blagging) following a script.
    Phone,
    /// A text message shown on a card or screen; the person says what they would do.
    SmsCard,
    /// A labelled USB stick left in a staff area.
    UsbDrop,
    /// A clear desk, screen lock and tailgating checklist for one area.
    WalkRound,
    /// A poster whose QR code leads to a tracked page, counted per location.
    QrPoster,
}

impl DrillKind {
    pub const ALL: [DrillKind; 5] = [
        DrillKind::Phone,
        DrillKind::SmsCard,
        DrillKind::UsbDrop,
        DrillKind::WalkRound,
        DrillKind::QrPoster,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DrillKind::Phone => "phone",
            DrillKind::SmsCard => "sms_card",
            DrillKind::UsbDrop => "usb_drop",
            DrillKind::WalkRound => "walk_round",
            DrillKind::QrPoster => "qr_poster",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DrillKind::Phone => "Phone call",
            DrillKind::SmsCard => "Text message card",
            DrillKind::UsbDrop => "USB stick",
            DrillKind::WalkRound => "Walk-round",
            DrillKind::QrPoster => "QR code poster",
        }
    }

    /// Whether each person taking part gets an outcome. QR posters are
    /// counted per location only, anonymously.
    pub fn has_personal_outcomes(self) -> bool {
        self != DrillKind::QrPoster
    }
}

/// The area a walk-round covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Reception,
    ConsultingRooms,
    BackOffice,
    Dispensary,
}

impl Area {
    pub const ALL: [Area; 4] = [
        Area::Reception,
        Area::ConsultingRooms,
        Area::BackOffice,
        Area::Dispensary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Reception => "reception",
            Area::ConsultingRooms => "consulting_rooms",
            Area::BackOffice => "back_office",
            Area::Dispensary => "dispensary",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Area::Reception => "Reception",
            Area::ConsultingRooms => "Consulting and treatment rooms",
            Area::BackOffice => "Back office",
            Area::Dispensary => "Dispensary",
        }
    }
}

/// A person's (or, for a walk-round, an area's) result in a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKey {
    GoodCatch,
    Partly,
    /// Assigns the drill's training module through the usual assignments.
    NeedsPractice,
}

impl OutcomeKey {
    pub const ALL: [OutcomeKey; 3] = [
        OutcomeKey::GoodCatch,
        OutcomeKey::Partly,
        OutcomeKey::NeedsPractice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKey::GoodCatch => "good-catch",
            OutcomeKey::Partly => "partly",
            OutcomeKey::NeedsPractice => "needs-practice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How to run a drill safely and kindly, on top of [`Library::rules`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Running {
    pub before: Vec<String>,
    #[serde(default)]
    pub during: Vec<String>,
    /// What to say as soon as the drill ends.
    pub at_the_end: String,
}

/// A phone drill's script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneScript {
    /// Who the caller pretends to be.
    pub caller: String,
    /// The invented details the caller uses; never real patient data.
    pub invented_details: String,
    /// What the caller says, in order: the opening line, then the pushes.
    pub lines: Vec<String>,
}

/// A text-message card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// The sender as a phone would show it.
    pub sender: String,
    /// The message; any link in it is under `.example`.
    pub text: String,
    /// The card's answer: what a good response is, scored against the checklist.
    pub answer: String,
    pub red_flags: Vec<String>,
}

/// A USB drop: the stick's label, where it may be left, and the one harmless
/// file on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsbStick {
    pub label: String,
    pub places: Vec<String>,
    pub file_name: String,
    /// A plain HTML page with no script and one link, to [`LINK_PLACEHOLDER`].
    pub html: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    pub area: Area,
}

/// A QR poster: its text has [`QR_PLACEHOLDER`] on the line where the code goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poster {
    pub headline: String,
    pub places: Vec<String>,
    pub text: String,
}

impl Poster {
    /// The text before and after the QR code, each trimmed.
    pub fn around_qr(&self) -> (&str, &str) {
        match self.text.split_once(QR_PLACEHOLDER) {
            Some((before, after)) => (before.trim(), after.trim()),
            None => (self.text.trim(), ""),
        }
    }
}

/// The page shown on the simulation site after a tracked link (USB file or
/// QR code) is opened.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebriefPage {
    pub title: String,
    /// Markdown.
    pub body: String,
}

impl DebriefPage {
    /// The body rendered from our own Markdown (raw HTML is shown as text).
    pub fn body_html(&self) -> String {
        crate::training::content::markdown_to_html(&self.body)
    }
}

/// One observable step of a good response.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub key: OutcomeKey,
    pub label: String,
    /// What the person is told, kindly.
    pub debrief: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    /// Same as the file name without `.toml`.
    pub id: String,
    pub kind: DrillKind,
    pub title: String,
    pub summary: String,
    /// Role keys from `content/training/curricula.toml` this drill suits.
    pub suits: Vec<String>,
    pub minutes: u32,
    pub purpose: String,
    /// The module a "needs more practice" outcome assigns.
    pub training_module: String,
    pub running: Running,
    #[serde(default)]
    pub script: Option<PhoneScript>,
    #[serde(default)]
    pub card: Option<Card>,
    #[serde(default)]
    pub usb: Option<UsbStick>,
    #[serde(default)]
    pub walk: Option<Walk>,
    #[serde(default)]
    pub poster: Option<Poster>,
    #[serde(default)]
    pub debrief_page: Option<DebriefPage>,
    pub checklist: Vec<Check>,
    /// Good catch, partly, needs more practice, in that order; none for QR posters.
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    pub sources: Vec<Source>,
}

impl Drill {
    pub fn outcome(&self, key: OutcomeKey) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.key == key)
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checklist.iter().find(|c| c.id == id)
    }

    pub fn suits_role(&self, role_key: &str) -> bool {
        self.suits.iter().any(|s| s == role_key)
    }

    /// The file to put on a USB drill's stick, with `link` (the tracked
    /// address on the simulation site) in place. `None` for other drills.
    pub fn usb_file_html(&self, link: &str) -> Option<String> {
        let usb = self.usb.as_ref()?;
        Some(usb.html.replace(
            LINK_PLACEHOLDER,
            &crate::simulation::render::html_escape(link),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TipTopic {
    Passwords,
    TwoStep,
    Phishing,
    Reporting,
    PhoneScams,
    Smartcards,
    Devices,
    Backups,
    RemovableMedia,
    AiTools,
    Incidents,
    Physical,
}

impl TipTopic {
    pub const ALL: [TipTopic; 12] = [
        TipTopic::Passwords,
        TipTopic::TwoStep,
        TipTopic::Phishing,
        TipTopic::Reporting,
        TipTopic::PhoneScams,
        TipTopic::Smartcards,
        TipTopic::Devices,
        TipTopic::Backups,
        TipTopic::RemovableMedia,
        TipTopic::AiTools,
        TipTopic::Incidents,
        TipTopic::Physical,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TipTopic::Passwords => "Passwords",
            TipTopic::TwoStep => "Two-step verification",
            TipTopic::Phishing => "Phishing",
            TipTopic::Reporting => "Reporting",
            TipTopic::PhoneScams => "Phone scams",
            TipTopic::Smartcards => "Smartcards",
            TipTopic::Devices => "Devices and updates",
            TipTopic::Backups => "Backups",
            TipTopic::RemovableMedia => "USB sticks and removable media",
            TipTopic::AiTools => "AI tools",
            TipTopic::Incidents => "Incidents and near misses",
            TipTopic::Physical => "Physical security",
        }
    }
}

/// One tip for the cyber minute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tip {
    pub id: String,
    pub topic: TipTopic,
    /// One sentence to say aloud.
    pub say: String,
    /// Two or three sentences of why and how.
    pub why: String,
    pub source: Source,
}

/// A "current threat" a manager can pick for the cyber minute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    pub id: String,
    pub title: String,
    /// Two lines.
    pub summary: String,
    pub what_to_do: Vec<String>,
    #[serde(default)]
    pub training_module: Option<String>,
    pub sources: Vec<Source>,
}

impl Threat {
    pub fn summary_lines(&self) -> impl Iterator<Item = &str> {
        self.summary
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TipsFile {
    tips: Vec<Tip>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThreatsFile {
    updated: toml::value::Datetime,
    threats: Vec<Threat>,
}

pub struct Library {
    /// Safety rules shown before every drill.
    pub rules: Vec<String>,
    /// Sorted by kind, then title.
    pub drills: Vec<Drill>,
    /// In file order, which is the rotation order.
    pub tips: Vec<Tip>,
    pub threats: Vec<Threat>,
    /// When the threat entries were last reviewed.
    pub threats_updated: Date,
}

impl Library {
    pub fn drill(&self, id: &str) -> Option<&Drill> {
        self.drills.iter().find(|d| d.id == id)
    }

    pub fn drills_of(&self, kind: DrillKind) -> impl Iterator<Item = &Drill> {
        self.drills.iter().filter(move |d| d.kind == kind)
    }

    pub fn tip(&self, id: &str) -> Option<&Tip> {
        self.tips.iter().find(|t| t.id == id)
    }

    /// The tip for the `n`th meeting of a rotation (0-based): every tip is
    /// used once before any repeats. New tips are added at the end of the
    /// file so the rotation of past meetings does not shift.
    pub fn tip_for(&self, n: u64) -> &Tip {
        &self.tips[(n % self.tips.len() as u64) as usize]
    }

    pub fn threat(&self, id: &str) -> Option<&Threat> {
        self.threats.iter().find(|t| t.id == id)
    }
}

/// The built-in library. It is compiled in and checked by the tests below,
/// so a failure here is a build mistake, not a user's.
pub fn library() -> &'static Library {
    static LIBRARY: LazyLock<Library> =
        LazyLock::new(|| load().unwrap_or_else(|e| panic!("built-in culture content: {e}")));
    &LIBRARY
}

pub fn drills() -> &'static [Drill] {
    &library().drills
}

pub fn drill(id: &str) -> Option<&'static Drill> {
    library().drill(id)
}

pub fn tips() -> &'static [Tip] {
    &library().tips
}

pub fn tip(id: &str) -> Option<&'static Tip> {
    library().tip(id)
}

pub fn threats() -> &'static [Threat] {
    &library().threats
}

pub fn threat(id: &str) -> Option<&'static Threat> {
    library().threat(id)
}

fn text<E: rust_embed::RustEmbed>(path: &str) -> Result<String, String> {
    let f = E::get(path).ok_or_else(|| format!("{path} is missing"))?;
    String::from_utf8(f.data.into_owned()).map_err(|_| format!("{path} is not UTF-8"))
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| format!("{name}: {e}"))
}

/// The drill files, sorted, as (file name without `.toml`, text).
fn drill_files() -> Result<Vec<(String, String)>, String> {
    let mut names: Vec<String> = DrillFiles::iter()
        .filter(|n| n.ends_with(".toml") && *n != "rules.toml")
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let body = text::<DrillFiles>(&n)?;
            Ok((n.trim_end_matches(".toml").to_string(), body))
        })
        .collect()
}

fn load() -> Result<Library, String> {
    let rules: RulesFile = parse("drills/rules.toml", &text::<DrillFiles>("rules.toml")?)?;
    let mut drills = Vec::new();
    for (file, body) in drill_files()? {
        let drill: Drill = parse(&format!("drills/{file}.toml"), &body)?;
        if drill.id != file {
            return Err(format!("drills/{file}.toml: id is {}", drill.id));
        }
        drills.push(drill);
    }
    drills.sort_by(|a, b| {
        let kind = |d: &Drill| DrillKind::ALL.iter().position(|k| *k == d.kind);
        kind(a).cmp(&kind(b)).then_with(|| a.title.cmp(&b.title))
    });
    let tips: TipsFile = parse("tips/tips.toml", &text::<TipFiles>("tips.toml")?)?;
    let threats: ThreatsFile = parse(
        "threats/threats.toml",
        &text::<ThreatFiles>("threats.toml")?,
    )?;
    let threats_updated = crate::resilience::dates::parse_iso(&threats.updated.to_string())
        .ok_or("threats/threats.toml: updated must be a date like 2026-12-04")?;
    if tips.tips.is_empty() || threats.threats.is_empty() {
        return Err("the tip and threat libraries must not be empty".into());
    }
    Ok(Library {
        rules: rules.rules,
        drills,
        tips: tips.tips,
        threats: threats.threats,
        threats_updated,
    })
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Whether a training module exists in the training catalogue.
pub fn module_known(id: &str) -> bool {
    crate::training::content::catalogue().module(id).is_some()
}

/// Everything wrong with a source, in words a content writer can act on.
fn source_problems(place: &str, s: &Source) -> Vec<String> {
    let mut p = Vec::new();
    if s.publisher.trim().is_empty() || s.title.trim().is_empty() {
        p.push(format!("{place}: a source needs a publisher and a title"));
    }
    match url::Url::parse(&s.url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')) => {}
        _ => p.push(format!(
            "{place}: source {:?} is not a full https address",
            s.url
        )),
    }
    p
}

/// Phone numbers in the text that are neither in Ofcom's ranges kept for
/// drama nor a real service we tell people to use (the NHS cyber security
/// operations centre, 0300 303 5222).
fn stray_phone_numbers(text: &str) -> Vec<String> {
    const ALLOWED_PREFIXES: [&str; 3] = ["07700900", "01632960", "03003035222"];
    let re = regex_lite::Regex::new(r"\b0\d{2,4}(?: ?\d{3,4}){2}\b").expect("valid pattern");
    re.find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|n| {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            !ALLOWED_PREFIXES.iter().any(|p| digits.starts_with(p))
        })
        .collect()
}

/// Web addresses in drill text (not sources) that are not under the
/// reserved `.example` domain.
fn real_web_addresses(text: &str) -> Vec<String> {
    let re = regex_lite::Regex::new(r#"https?://[^\s"<>]+"#).expect("valid pattern");
    re.find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|u| {
            !url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(|h| h.ends_with(".example")))
                .unwrap_or(false)
        })
        .collect()
}

/// Everything in the USB file that could run code or fetch anything other
/// than the one tracked link. Empty means the file is harmless.
pub fn usb_html_problems(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut p = Vec::new();
    for banned in [
        "<script",
        "<iframe",
        "<frame",
        "<object",
        "<embed",
        "<img",
        "<link",
        "<form",
        "<svg",
        "<video",
        "<audio",
        "<source",
        "<base",
        "<style",
        "<applet",
        "<meta http-equiv",
        "javascript:",
        "data:",
        "url(",
        "@import",
        "expression(",
    ] {
        if lower.contains(banned) {
            p.push(format!("contains {banned}"));
        }
    }
    let handler = regex_lite::Regex::new(r"(?i)[\s/]on[a-z]+\s*=").expect("valid pattern");
    if let Some(m) = handler.find(html) {
        p.push(format!("has an event handler ({})", m.as_str().trim()));
    }
    let attr = regex_lite::Regex::new(
        r#"(?i)\b(href|src|srcset|action|formaction|data|poster|background|xlink:href|ping|cite|manifest)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#,
    )
    .expect("valid pattern");
    let addresses: Vec<(String, String)> = attr
        .captures_iter(html)
        .map(|c| {
            let value = c[2].trim_matches(|ch| ch == '"' || ch == '\'').to_string();
            (c[1].to_ascii_lowercase(), value)
        })
        .collect();
    let links: Vec<&(String, String)> = addresses.iter().filter(|(n, _)| n == "href").collect();
    if addresses.len() != 1 || links.len() != 1 || links[0].1 != LINK_PLACEHOLDER {
        p.push(format!(
            "must have exactly one address, href=\"{LINK_PLACEHOLDER}\"; found {addresses:?}"
        ));
    }
    if html.matches(LINK_PLACEHOLDER).count() != 1
        || html.replace(LINK_PLACEHOLDER, "").contains("{{")
    {
        p.push(format!(
            "must use {LINK_PLACEHOLDER} exactly once and no other placeholder"
        ));
    }
    p
}

/// The texts a person reads in a drill, for the checks that apply to all of them.
fn drill_texts(d: &Drill) -> Vec<&str> {
    let mut t: Vec<&str> = vec![&d.title, &d.summary, &d.purpose, &d.running.at_the_end];
    t.extend(d.running.before.iter().map(String::as_str));
    t.extend(d.running.during.iter().map(String::as_str));
    t.extend(d.checklist.iter().map(|c| c.text.as_str()));
    t.extend(
        d.outcomes
            .iter()
            .flat_map(|o| [o.label.as_str(), o.debrief.as_str()]),
    );
    if let Some(s) = &d.script {
        t.push(&s.caller);
        t.push(&s.invented_details);
        t.extend(s.lines.iter().map(String::as_str));
    }
    if let Some(c) = &d.card {
        t.extend([c.sender.as_str(), c.text.as_str(), c.answer.as_str()]);
        t.extend(c.red_flags.iter().map(String::as_str));
    }
    if let Some(u) = &d.usb {
        t.push(&u.label);
        t.push(&u.file_name);
        t.extend(u.places.iter().map(String::as_str));
    }
    if let Some(p) = &d.poster {
        t.push(&p.headline);
        t.extend(p.places.iter().map(String::as_str));
    }
    if let Some(page) = &d.debrief_page {
        t.push(&page.title);
        t.push(&page.body);
    }
    t
}

/// Everything wrong with a drill, in words a content writer can act on.
pub fn drill_problems(d: &Drill, role_keys: &[&str]) -> Vec<String> {
    let mut p = Vec::new();
    let id = &d.id;
    if !is_kebab(id) {
        p.push(format!("{id}: id must be kebab-case"));
    }
    for s in &d.suits {
        if !role_keys.contains(&s.as_str()) {
            p.push(format!(
                "{id}: suits names {s:?}, which is not a role key in curricula.toml"
            ));
        }
    }
    if d.suits.is_empty() {
        p.push(format!("{id}: suits must name at least one role"));
    }
    if !(1..=60).contains(&d.minutes) {
        p.push(format!("{id}: minutes must be 1 to 60"));
    }
    if !module_known(&d.training_module) {
        p.push(format!(
            "{id}: training module {} does not exist",
            d.training_module
        ));
    }
    if d.running.before.is_empty() || d.running.at_the_end.trim().is_empty() {
        p.push(format!(
            "{id}: running needs at least one step before, and what to say at the end"
        ));
    }
    if d.checklist.len() < 2 {
        p.push(format!(
            "{id}: the checklist needs at least two observable steps"
        ));
    }
    let mut seen = HashSet::new();
    for c in &d.checklist {
        if !is_kebab(&c.id) || !seen.insert(c.id.as_str()) {
            p.push(format!(
                "{id}: checklist id {:?} must be kebab-case and unique",
                c.id
            ));
        }
    }
    if d.sources.is_empty() {
        p.push(format!("{id}: needs at least one source"));
    }
    for s in &d.sources {
        p.extend(source_problems(id, s));
    }
    let keys: Vec<OutcomeKey> = d.outcomes.iter().map(|o| o.key).collect();
    if d.kind.has_personal_outcomes() {
        if keys != OutcomeKey::ALL {
            p.push(format!(
                "{id}: outcomes must be good-catch, partly and needs-practice, in that order"
            ));
        }
    } else if !keys.is_empty() {
        p.push(format!(
            "{id}: a QR poster is counted anonymously, so it has no outcomes"
        ));
    }
    for t in drill_texts(d) {
        if t.trim().is_empty() {
            p.push(format!("{id}: a text is empty"));
        }
        for n in stray_phone_numbers(t) {
            p.push(format!("{id}: phone number {n} is not from Ofcom's drama ranges (07700 900xxx, 01632 960xxx)"));
        }
        for u in real_web_addresses(t) {
            p.push(format!("{id}: web address {u} must be under .example"));
        }
        if t.contains("{{") && !t.contains(QR_PLACEHOLDER) {
            p.push(format!("{id}: unexpected placeholder in {t:?}"));
        }
    }
    let has = |present: bool, table: &str| -> Option<String> {
        (!present).then(|| format!("{id}: a {} drill needs [{table}]", d.kind.as_str()))
    };
    let extra = |present: bool, table: &str| -> Option<String> {
        present.then(|| format!("{id}: a {} drill has no [{table}]", d.kind.as_str()))
    };
    let tables = [
        ("script", d.script.is_some(), d.kind == DrillKind::Phone),
        ("card", d.card.is_some(), d.kind == DrillKind::SmsCard),
        ("usb", d.usb.is_some(), d.kind == DrillKind::UsbDrop),
        ("walk", d.walk.is_some(), d.kind == DrillKind::WalkRound),
        ("poster", d.poster.is_some(), d.kind == DrillKind::QrPoster),
        (
            "debrief_page",
            d.debrief_page.is_some(),
            matches!(d.kind, DrillKind::UsbDrop | DrillKind::QrPoster),
        ),
    ];
    for (table, present, wanted) in tables {
        p.extend(if wanted {
            has(present, table)
        } else {
            extra(present, table)
        });
    }
    match d.kind {
        DrillKind::Phone => {
            for check in PHONE_CHECKS {
                if d.check(check).is_none() {
                    p.push(format!(
                        "{id}: a phone drill's checklist must include {check}"
                    ));
                }
            }
            if d.script.as_ref().is_some_and(|s| s.lines.len() < 2) {
                p.push(format!(
                    "{id}: the script needs an opening line and at least one push"
                ));
            }
        }
        DrillKind::SmsCard => {
            if d.card
                .as_ref()
                .is_some_and(|c| !(2..=5).contains(&c.red_flags.len()))
            {
                p.push(format!("{id}: a card needs 2 to 5 red flags"));
            }
        }
        DrillKind::UsbDrop => {
            if let Some(u) = &d.usb {
                for problem in usb_html_problems(&u.html) {
                    p.push(format!("{id}: the USB file {problem}"));
                }
                if u.places.is_empty() || !u.file_name.ends_with(".html") {
                    p.push(format!(
                        "{id}: a USB drill needs places and an .html file name"
                    ));
                }
            }
        }
        DrillKind::WalkRound => {
            if d.checklist.len() < 5 {
                p.push(format!(
                    "{id}: a walk-round checklist needs at least five checks"
                ));
            }
            let running = [d.running.before.join(" "), d.running.during.join(" ")].join(" ");
            if !running.to_lowercase().contains("photograph") {
                p.push(format!(
                    "{id}: a walk-round must say never to take photographs"
                ));
            }
        }
        DrillKind::QrPoster => {
            if let Some(poster) = &d.poster {
                if poster.text.matches(QR_PLACEHOLDER).count() != 1
                    || poster.text.replace(QR_PLACEHOLDER, "").contains("{{")
                {
                    p.push(format!("{id}: the poster text must have {QR_PLACEHOLDER} exactly once and no other placeholder"));
                }
                if poster.places.is_empty() {
                    p.push(format!("{id}: a poster needs at least one place"));
                }
            }
        }
    }
    if let Some(page) = &d.debrief_page {
        let html = page.body_html();
        if html.contains("&lt;") && html.contains("&gt;") {
            p.push(format!("{id}: the debrief page contains raw HTML"));
        }
    }
    p
}

/// Everything wrong with the library as a whole.
pub fn problems(lib: &Library) -> Vec<String> {
    let catalogue = crate::training::content::catalogue();
    let role_keys: Vec<&str> = catalogue.roles.iter().map(|r| r.key.as_str()).collect();
    let mut p = Vec::new();
    let rules = lib.rules.join(" ").to_lowercase();
    for needed in ["practice manager", "real patient", "photograph"] {
        if !rules.contains(needed) {
            p.push(format!("drills/rules.toml must mention {needed:?}"));
        }
    }
    let mut ids = HashSet::new();
    for d in &lib.drills {
        if !ids.insert(d.id.as_str()) {
            p.push(format!("drill id {} is used twice", d.id));
        }
        p.extend(drill_problems(d, &role_keys));
    }
    let count = |k: DrillKind| lib.drills_of(k).count();
    if count(DrillKind::Phone) < 9 {
        p.push("the library needs at least 9 phone drills".into());
    }
    if count(DrillKind::SmsCard) < 6 {
        p.push("the library needs at least 6 text-message cards".into());
    }
    if count(DrillKind::UsbDrop) < 1 || count(DrillKind::QrPoster) < 1 {
        p.push("the library needs a USB drop and a QR poster drill".into());
    }
    for area in Area::ALL {
        if !lib
            .drills
            .iter()
            .any(|d| d.walk.as_ref().is_some_and(|w| w.area == area))
        {
            p.push(format!("no walk-round for {}", area.label()));
        }
    }

    let mut tip_ids = HashSet::new();
    for t in &lib.tips {
        let id = &t.id;
        if !is_kebab(id) || !tip_ids.insert(id.as_str()) {
            p.push(format!("tip id {id:?} must be kebab-case and unique"));
        }
        let say = t.say.trim().trim_end_matches(['"', '\'', '”', '’']);
        if !say.ends_with(['.', '!', '?']) || say[..say.len() - 1].contains(". ") {
            p.push(format!("tip {id}: say must be one sentence"));
        }
        let sentences = t.why.matches(". ").count() + 1;
        if !(2..=3).contains(&sentences) || t.why.len() > 400 {
            p.push(format!(
                "tip {id}: why must be two or three short sentences"
            ));
        }
        p.extend(source_problems(&format!("tip {id}"), &t.source));
        for n in stray_phone_numbers(&format!("{} {}", t.say, t.why)) {
            p.push(format!("tip {id}: phone number {n} is not allowed"));
        }
    }
    if lib.tips.len() < 24 {
        p.push(format!(
            "{} tips; the cyber minute needs at least 24",
            lib.tips.len()
        ));
    }
    for topic in TipTopic::ALL {
        if lib.tips.iter().filter(|t| t.topic == topic).count() < 2 {
            p.push(format!("fewer than two tips about {}", topic.label()));
        }
    }

    let mut threat_ids = HashSet::new();
    for t in &lib.threats {
        let id = &t.id;
        if !is_kebab(id) || !threat_ids.insert(id.as_str()) {
            p.push(format!("threat id {id:?} must be kebab-case and unique"));
        }
        if t.summary_lines().count() != 2 {
            p.push(format!("threat {id}: the summary must be two lines"));
        }
        if !(2..=4).contains(&t.what_to_do.len()) {
            p.push(format!("threat {id}: what_to_do needs 2 to 4 actions"));
        }
        if let Some(m) = &t.training_module {
            if !module_known(m) {
                p.push(format!("threat {id}: training module {m} does not exist"));
            }
        }
        if t.sources.is_empty() {
            p.push(format!("threat {id}: needs at least one source"));
        }
        for s in &t.sources {
            p.extend(source_problems(&format!("threat {id}"), s));
        }
        for text in t.what_to_do.iter().chain([&t.summary, &t.title]) {
            for n in stray_phone_numbers(text) {
                p.push(format!("threat {id}: phone number {n} is not allowed"));
            }
        }
    }
    if !(8..=12).contains(&lib.threats.len()) {
        p.push(format!("{} threats; keep 8 to 12", lib.threats.len()));
    }
    p
}

#[cfg(test)]
mod tests {
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
        assert!(
            stray_phone_numbers("call 07700 900123 or 01632 960418 or 0300 303 5222").is_empty()
        );
    }
}
