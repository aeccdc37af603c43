//! The drill, tip and threat libraries: `content/drills/`, `content/tips/` and
//! `content/threats/` (formats in each folder's README.md), embedded in the
//! binary, parsed once and checked (`checks`: every rule a content writer must
//! keep, run by the tests and at start-up).
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

mod checks;
pub use checks::{drill_problems, module_known, problems, usb_html_problems};

#[cfg(test)]
mod tests;
