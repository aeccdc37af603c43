//! A year of the DSPT as data: `content/dspt/<year>.toml` (format in
//! `content/dspt/README.md`) read into a checked [`Toolkit`].
//!
//! The files shipped in the binary are read by [`builtin`]; an operator can
//! load a newer year's file (`safetynet dspt load FILE`, or an upload) with
//! [`load`], which explains every problem in plain English. Whichever toolkit
//! was published most recently applies ([`newest`]).
//!
//! Each item lists the [`EvidenceSource`]s in Safety Net that can show it and
//! a [`Freshness`] rule saying how long that evidence counts. The DSPT page
//! and evidence pack decide each item's status from those two.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::Date;

pub use crate::training::content::Source;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/dspt/"]
struct DsptFiles;

/// A toolkit file larger than this is not a toolkit file.
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// Where an item's evidence can come from in Safety Net.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceSource {
    /// New starters who completed their induction training.
    InductionCompletions,
    /// The practice's training needs analysis and when it was last reviewed.
    TrainingNeedsAnalysis,
    /// The share of staff with training completed in the last 12 months.
    StaffTrained12m,
    /// The staff list with roles, starters and leavers.
    StaffRegister,
    /// Signed accountability agreements of everyone with administrator access.
    AdminAgreements,
    /// Safety Net's own audit log of administrator actions.
    AuditLog,
    /// Incidents and near misses, with reviews and actions.
    Incidents,
    /// Suspicious emails and near misses reported per month.
    ReportsPerMonth,
    /// Clear desk, screen lock and smartcard walk-rounds (spot checks).
    WalkRounds,
    /// The asset register and its last review.
    AssetRegisterReview,
    /// Continuity and incident plans tested in a tabletop exercise.
    PlanTested,
    /// Plans approved, and their contact sheets printed.
    PlansApproved,
    /// Backups and restore tests.
    BackupsAndRestoreTests,
    /// Unsupported systems and the risk decisions about them.
    UnsupportedSystems,
    /// The 14-day clock for critical and high-risk updates.
    PatchClock,
    /// NHS cyber alerts and the practice's responses.
    CyberAlerts,
    /// Meetings with security as a standing item (the cyber minute).
    MeetingsStandingItem,
    /// Phishing exercises: sent from here or run elsewhere (NHS England's service).
    PhishingExercises,
    /// A document uploaded by the practice or the ICB. Any item can be
    /// covered by an upload; items listing only this come from outside.
    UploadedDocument,
}

impl EvidenceSource {
    pub const ALL: [EvidenceSource; 19] = [
        EvidenceSource::InductionCompletions,
        EvidenceSource::TrainingNeedsAnalysis,
        EvidenceSource::StaffTrained12m,
        EvidenceSource::StaffRegister,
        EvidenceSource::AdminAgreements,
        EvidenceSource::AuditLog,
        EvidenceSource::Incidents,
        EvidenceSource::ReportsPerMonth,
        EvidenceSource::WalkRounds,
        EvidenceSource::AssetRegisterReview,
        EvidenceSource::PlanTested,
        EvidenceSource::PlansApproved,
        EvidenceSource::BackupsAndRestoreTests,
        EvidenceSource::UnsupportedSystems,
        EvidenceSource::PatchClock,
        EvidenceSource::CyberAlerts,
        EvidenceSource::MeetingsStandingItem,
        EvidenceSource::PhishingExercises,
        EvidenceSource::UploadedDocument,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceSource::InductionCompletions => "induction_completions",
            EvidenceSource::TrainingNeedsAnalysis => "training_needs_analysis",
            EvidenceSource::StaffTrained12m => "staff_trained_12m",
            EvidenceSource::StaffRegister => "staff_register",
            EvidenceSource::AdminAgreements => "admin_agreements",
            EvidenceSource::AuditLog => "audit_log",
            EvidenceSource::Incidents => "incidents",
            EvidenceSource::ReportsPerMonth => "reports_per_month",
            EvidenceSource::WalkRounds => "walk_rounds",
            EvidenceSource::AssetRegisterReview => "asset_register_review",
            EvidenceSource::PlanTested => "plan_tested",
            EvidenceSource::PlansApproved => "plans_approved",
            EvidenceSource::BackupsAndRestoreTests => "backups_and_restore_tests",
            EvidenceSource::UnsupportedSystems => "unsupported_systems",
            EvidenceSource::PatchClock => "patch_clock",
            EvidenceSource::CyberAlerts => "cyber_alerts",
            EvidenceSource::MeetingsStandingItem => "meetings_standing_item",
            EvidenceSource::PhishingExercises => "phishing_exercises",
            EvidenceSource::UploadedDocument => "uploaded_document",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            EvidenceSource::InductionCompletions => "Induction training of new starters",
            EvidenceSource::TrainingNeedsAnalysis => "Training needs analysis",
            EvidenceSource::StaffTrained12m => "Staff trained in the last 12 months",
            EvidenceSource::StaffRegister => "Staff list and roles",
            EvidenceSource::AdminAgreements => "IT administrator agreements",
            EvidenceSource::AuditLog => "Audit log",
            EvidenceSource::Incidents => "Incidents and near misses",
            EvidenceSource::ReportsPerMonth => "Reports of suspicious emails per month",
            EvidenceSource::WalkRounds => "Walk-round spot checks",
            EvidenceSource::AssetRegisterReview => "Asset register review",
            EvidenceSource::PlanTested => "Plans tested in an exercise",
            EvidenceSource::PlansApproved => "Plans approved and contact sheets printed",
            EvidenceSource::BackupsAndRestoreTests => "Backups and restore tests",
            EvidenceSource::UnsupportedSystems => "Unsupported systems",
            EvidenceSource::PatchClock => "14-day update clock",
            EvidenceSource::CyberAlerts => "NHS cyber alerts",
            EvidenceSource::MeetingsStandingItem => "Security at practice meetings",
            EvidenceSource::PhishingExercises => "Phishing exercises and their results",
            EvidenceSource::UploadedDocument => "Uploaded document",
        }
    }
}

/// How long evidence for an item counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Evidence dated within this many months ("within 12 months", "within 3 years").
    WithinMonths(u32),
    /// No fixed period: the evidence must describe how things are now.
    KeptUpToDate,
    /// Only applies when something happened (a breach, say); otherwise the
    /// item is answered "not applicable".
    IfItHappened,
}

impl Freshness {
    /// Reads the `freshness` phrase of a toolkit file.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase();
        match s.as_str() {
            "kept up to date" => return Some(Freshness::KeptUpToDate),
            "if it happened" => return Some(Freshness::IfItHappened),
            _ => {}
        }
        let rest = s.strip_prefix("within ")?;
        let (n, unit) = rest.split_once(' ')?;
        let n: u32 = n.parse().ok().filter(|n| (1..=120).contains(n))?;
        match unit {
            "month" | "months" => Some(Freshness::WithinMonths(n)),
            "year" | "years" => Some(Freshness::WithinMonths(n * 12)),
            _ => None,
        }
    }

    /// The day evidence dated `evidence_on` stops counting, for a fixed period.
    pub fn lapses_on(self, evidence_on: Date) -> Option<Date> {
        match self {
            Freshness::WithinMonths(m) => {
                Some(crate::ukclock::add_months(evidence_on, i64::from(m)))
            }
            _ => None,
        }
    }

    /// Whether evidence dated `evidence_on` still counts on `today`.
    pub fn is_fresh(self, evidence_on: Date, today: Date) -> bool {
        self.lapses_on(evidence_on)
            .is_none_or(|lapses| today < lapses)
    }

    /// In words, for the DSPT page: "Within 12 months".
    pub fn describe(self) -> String {
        match self {
            Freshness::WithinMonths(m) if m % 12 == 0 && m > 12 => {
                format!("Within {} years", m / 12)
            }
            Freshness::WithinMonths(1) => "Within 1 month".into(),
            Freshness::WithinMonths(m) => format!("Within {m} months"),
            Freshness::KeptUpToDate => "Kept up to date".into(),
            Freshness::IfItHappened => "Only if it happened".into(),
        }
    }
}

/// Whether an item needs every listed kind of evidence, or any one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any one listed source with fresh evidence shows the item (the default).
    Any,
    /// Every listed source must have fresh evidence (3.2.1 needs both the
    /// training figures and the training needs analysis).
    All,
}

/// The CAF contributing outcomes an item may map to: NCSC CAF objectives
/// A to D, and the CAF-aligned DSPT's information governance objective E
/// (only the outcomes confirmed in its published guidance are listed).
pub const CAF_OUTCOMES: [(&str, &str); 44] = [
    ("A1.a", "Board direction"),
    ("A1.b", "Roles and responsibilities"),
    ("A1.c", "Decision-making"),
    ("A2.a", "Risk management process"),
    ("A2.b", "Assurance"),
    ("A3.a", "Asset management"),
    ("A4.a", "Supply chain"),
    ("B1.a", "Policy and process development"),
    ("B1.b", "Policy and process implementation"),
    (
        "B2.a",
        "Identity verification, authentication and authorisation",
    ),
    ("B2.b", "Device management"),
    ("B2.c", "Privileged user management"),
    ("B2.d", "Identity and access management"),
    ("B3.a", "Understanding data"),
    ("B3.b", "Data in transit"),
    ("B3.c", "Stored data"),
    ("B3.d", "Mobile data"),
    ("B3.e", "Media and equipment sanitisation"),
    ("B4.a", "Secure by design"),
    ("B4.b", "Secure configuration"),
    ("B4.c", "Secure management"),
    ("B4.d", "Vulnerability management"),
    ("B5.a", "Resilience preparation"),
    ("B5.b", "Design for resilience"),
    ("B5.c", "Backups"),
    ("B6.a", "Cyber security culture"),
    ("B6.b", "Cyber security training"),
    ("C1.a", "Monitoring coverage"),
    ("C1.b", "Securing logs"),
    ("C1.c", "Generating alerts"),
    ("C1.d", "Identifying security incidents"),
    ("C1.e", "Monitoring tools and skills"),
    ("C2.a", "System abnormalities for attack detection"),
    ("C2.b", "Proactive attack discovery"),
    ("D1.a", "Response plan"),
    ("D1.b", "Response and recovery capability"),
    ("D1.c", "Testing and exercising"),
    ("D2.a", "Incident root cause analysis"),
    ("D2.b", "Using incidents to drive improvements"),
    ("E1.a", "Privacy and transparency information"),
    ("E2.a", "Managing data subject rights"),
    ("E2.b", "Consent"),
    ("E2.c", "National data opt-out"),
    ("E3.a", "Using and sharing information for direct care"),
];

pub fn caf_title(id: &str) -> Option<&'static str> {
    CAF_OUTCOMES.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standard {
    pub number: u8,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// "4.3.1".
    pub id: String,
    /// The National Data Guardian standard, the first part of the id.
    pub standard: u8,
    pub title: String,
    /// In our own words.
    pub description: String,
    /// Needed for "Standards Met".
    pub mandatory: bool,
    /// Needed for "Approaching Standards".
    pub approaching: bool,
    pub evidence: Vec<EvidenceSource>,
    /// Whether all of `evidence` is needed, or any one.
    pub needs: Needs,
    pub freshness: Freshness,
    /// For items measured as a share of staff (3.2.1): the default target.
    pub threshold_percent: Option<u8>,
    pub caf: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toolkit {
    pub toolkit: String,
    /// "2025-26".
    pub year: String,
    pub version: String,
    pub audience: String,
    pub published: Date,
    /// Submission deadline.
    pub deadline: Date,
    pub note: String,
    pub sources: Vec<Source>,
    pub standards: Vec<Standard>,
    pub items: Vec<Item>,
    /// SHA-256 of the file: which toolkit a status or pack was worked out with.
    pub fingerprint: String,
}

impl Toolkit {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn standard(&self, number: u8) -> Option<&Standard> {
        self.standards.iter().find(|s| s.number == number)
    }

    pub fn mandatory_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.mandatory)
    }

    /// The items a kind of evidence can show.
    pub fn items_for(&self, source: EvidenceSource) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(move |i| i.evidence.contains(&source))
    }

    /// "DSPT 2025-26 (version 8)".
    pub fn name(&self) -> String {
        format!("DSPT {} (version {})", self.year, self.version)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToolkit {
    toolkit: Option<String>,
    year: Option<String>,
    version: Option<toml::Value>,
    audience: Option<String>,
    published: Option<toml::Value>,
    deadline: Option<toml::Value>,
    item_count: Option<usize>,
    note: Option<String>,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    standards: Vec<RawStandard>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    number: u8,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    mandatory: Option<bool>,
    #[serde(default)]
    approaching: bool,
    #[serde(default)]
    evidence: Vec<String>,
    needs: Option<String>,
    freshness: Option<String>,
    threshold_percent: Option<u8>,
    #[serde(default)]
    caf: Vec<String>,
    note: Option<String>,
}

fn toml_date(v: &toml::Value) -> Option<Date> {
    match v {
        toml::Value::String(s) => crate::resilience::dates::parse_iso(s),
        toml::Value::Datetime(d) => crate::resilience::dates::parse_iso(&d.to_string()),
        _ => None,
    }
}

fn filled(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// "2025-26": two years in a row.
fn year_ok(year: &str) -> bool {
    let Some((a, b)) = year.split_once('-') else {
        return false;
    };
    let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
        return false;
    };
    year.len() == 7 && (a + 1) % 100 == b
}

fn item_id_ok(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 2
                && p.chars().all(|c| c.is_ascii_digit())
                && !p.starts_with('0')
        })
}

/// Reads a toolkit file, or explains everything wrong with it in plain
/// English, one problem per line, for the operator who loaded it.
pub fn load(bytes: &[u8]) -> Result<Toolkit, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "The file is {} KB; a toolkit file is a small text file of at most {} KB. Check you chose the right file.",
            bytes.len() / 1024,
            MAX_FILE_BYTES / 1024
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "The file is not plain text (UTF-8). Save it as a .toml text file and try again."
            .to_string()
    })?;
    let raw: RawToolkit = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("The file is not a valid toolkit file: line {line}: {msg}")
            }
            None => format!("The file is not a valid toolkit file: {msg}"),
        }
    })?;

    let mut problems: Vec<String> = Vec::new();
    let toolkit = filled(raw.toolkit).unwrap_or_else(|| {
        problems.push(
            "Say which toolkit this is, like: toolkit = \"Data Security and Protection Toolkit\""
                .into(),
        );
        String::new()
    });
    let year = filled(raw.year).unwrap_or_default();
    if !year_ok(&year) {
        problems.push(format!(
            "The year must be written like year = \"2025-26\" (two years in a row); it is {year:?}."
        ));
    }
    let version = match raw.version {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(toml::Value::Integer(n)) if n > 0 => n.to_string(),
        _ => {
            problems.push("Give the toolkit's version, like: version = \"8\"".into());
            String::new()
        }
    };
    let audience = filled(raw.audience).unwrap_or_else(|| "GP practices".into());
    let published = raw.published.as_ref().and_then(toml_date);
    if published.is_none() {
        problems.push(
            "Give the date NHS England published this version, like: published = 2025-09-01".into(),
        );
    }
    let deadline = raw.deadline.as_ref().and_then(toml_date);
    if deadline.is_none() {
        problems.push("Give the submission deadline, like: deadline = 2026-06-30".into());
    }
    if let (Some(p), Some(d)) = (published, deadline) {
        if d <= p {
            problems.push("The deadline must come after the publication date.".into());
        }
    }
    let note = filled(raw.note).unwrap_or_default();
    if raw.sources.is_empty() {
        problems.push("List at least one source, like: sources = [{ publisher = \"NHS England\", title = \"…\", url = \"https://…\" }]".into());
    }
    for s in &raw.sources {
        if !url::Url::parse(&s.url).is_ok_and(|u| u.scheme() == "https") {
            problems.push(format!(
                "The source {:?} must be a full web address starting with https://.",
                s.url
            ));
        }
    }

    let mut standards = Vec::new();
    for s in raw.standards {
        if standards.iter().any(|x: &Standard| x.number == s.number) {
            problems.push(format!("Standard {} is listed twice.", s.number));
        }
        standards.push(Standard {
            number: s.number,
            title: s.title.trim().to_string(),
        });
    }
    if standards.is_empty() {
        problems.push("List the standards, each like: [[standards]] number = 1, title = \"Personal confidential data\"".into());
    }

    if raw.items.is_empty() {
        problems.push("The file has no evidence items: add them as [[items]].".into());
    }
    if let Some(expected) = raw.item_count {
        if expected != raw.items.len() {
            problems.push(format!(
                "The file says it has {expected} items (item_count) but lists {}. Check for a missing or repeated item.",
                raw.items.len()
            ));
        }
    }
    let known_sources: Vec<&str> = EvidenceSource::ALL.iter().map(|e| e.as_str()).collect();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for (n, it) in raw.items.into_iter().enumerate() {
        let id = filled(it.id).unwrap_or_default();
        let which = if id.is_empty() {
            format!("Item {} in the file", n + 1)
        } else {
            format!("Item {id}")
        };
        if !item_id_ok(&id) {
            problems.push(format!(
                "{which}: the id must be three numbers with dots, like id = \"4.3.1\"."
            ));
        } else if !seen.insert(id.clone()) {
            problems.push(format!("{which} is listed twice."));
        }
        let standard = id
            .split('.')
            .next()
            .and_then(|s| s.parse::<u8>().ok())
            .unwrap_or(0);
        if item_id_ok(&id) && !standards.iter().any(|s| s.number == standard) {
            problems.push(format!(
                "{which}: there is no [[standards]] entry with number = {standard}."
            ));
        }
        let title = filled(it.title).unwrap_or_else(|| {
            problems.push(format!("{which} has no title."));
            String::new()
        });
        let description = filled(it.description).unwrap_or_else(|| {
            problems.push(format!("{which} has no description."));
            String::new()
        });
        let mandatory = it.mandatory.unwrap_or_else(|| {
            problems.push(format!(
                "{which}: say whether it is mandatory, with mandatory = true or mandatory = false."
            ));
            false
        });
        let mut evidence = Vec::new();
        for e in &it.evidence {
            match EvidenceSource::parse(e) {
                Some(src) if !evidence.contains(&src) => evidence.push(src),
                Some(_) => problems.push(format!("{which}: evidence lists {e:?} twice.")),
                None => problems.push(format!(
                    "{which}: {e:?} is not a kind of evidence Safety Net knows. Use one of: {}.",
                    known_sources.join(", ")
                )),
            }
        }
        if it.evidence.is_empty() {
            problems.push(format!(
                "{which}: say where its evidence comes from, like evidence = [\"uploaded_document\"]."
            ));
        }
        let needs = match it.needs.as_deref().map(str::trim) {
            None | Some("any") => Needs::Any,
            Some("all") => Needs::All,
            Some(other) => {
                problems.push(format!(
                    "{which}: needs {other:?} is not understood. Write needs = \"all\" when every kind of evidence listed is required, or leave it out."
                ));
                Needs::Any
            }
        };
        if needs == Needs::All && evidence.len() < 2 {
            problems.push(format!(
                "{which}: needs = \"all\" only makes sense with more than one kind of evidence."
            ));
        }
        let freshness = match it.freshness.as_deref().map(Freshness::parse) {
            Some(Some(f)) => f,
            other => {
                let written = it.freshness.clone().unwrap_or_default();
                problems.push(if other.is_none() {
                    format!("{which}: say how fresh its evidence must be, like freshness = \"within 12 months\".")
                } else {
                    format!(
                        "{which}: freshness {written:?} is not understood. Write \"within N months\", \"within N years\", \"kept up to date\" or \"if it happened\"."
                    )
                });
                Freshness::KeptUpToDate
            }
        };
        if let Some(t) = it.threshold_percent {
            if !(1..=100).contains(&t) {
                problems.push(format!(
                    "{which}: threshold_percent must be between 1 and 100."
                ));
            }
        }
        for c in &it.caf {
            if caf_title(c).is_none() {
                problems.push(format!(
                    "{which}: {c:?} is not a CAF outcome Safety Net knows. Use ids like \"B6.b\" (objective letter, principle number, outcome letter)."
                ));
            }
        }
        items.push(Item {
            id,
            standard,
            title,
            description,
            mandatory,
            approaching: it.approaching,
            evidence,
            needs,
            freshness,
            threshold_percent: it.threshold_percent,
            caf: it.caf,
            note: filled(it.note),
        });
    }
    if !items.is_empty() && !items.iter().any(|i| i.mandatory) {
        problems
            .push("No item is mandatory. Mark the mandatory items with mandatory = true.".into());
    }

    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(Toolkit {
        toolkit,
        year,
        version,
        audience,
        published: published.expect("checked above"),
        deadline: deadline.expect("checked above"),
        note,
        sources: raw.sources,
        standards,
        items,
        fingerprint: hex::encode(Sha256::digest(bytes)),
    })
}

/// Orders item numbers as the toolkit does: 1.3.2 before 1.3.13.
pub fn item_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| -> Vec<u32> {
        s.split('.')
            .map(|p| p.parse().unwrap_or(u32::MAX))
            .collect()
    };
    key(a).cmp(&key(b))
}

/// The toolkit that applies among several: the one published most recently
/// (then the later year, then the later version).
pub fn newest<'a>(toolkits: impl IntoIterator<Item = &'a Toolkit>) -> Option<&'a Toolkit> {
    toolkits
        .into_iter()
        .max_by(|a, b| (a.published, &a.year, &a.version).cmp(&(b.published, &b.year, &b.version)))
}

/// The toolkits shipped in the binary, oldest first. They are checked by the
/// tests below, so a failure here is a build mistake.
pub fn builtin() -> &'static [Toolkit] {
    static ALL: LazyLock<Vec<Toolkit>> = LazyLock::new(|| {
        let mut names: Vec<String> = DsptFiles::iter()
            .filter(|n| n.ends_with(".toml"))
            .map(|n| n.to_string())
            .collect();
        names.sort();
        let mut all: Vec<Toolkit> = names
            .iter()
            .map(|n| {
                let f = DsptFiles::get(n).expect("listed file");
                load(&f.data).unwrap_or_else(|e| panic!("content/dspt/{n}:\n{e}"))
            })
            .collect();
        all.sort_by_key(|t| t.published);
        all
    });
    &ALL
}

/// The newest toolkit shipped in the binary.
pub fn current() -> &'static Toolkit {
    newest(builtin()).expect("at least one toolkit ships with Safety Net")
}

#[cfg(test)]
mod tests;
