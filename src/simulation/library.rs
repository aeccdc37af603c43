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

use crate::db::row::text_state;
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
    pub const ALL: [Landing; 3] = [Landing::Credentials, Landing::Document, Landing::Teachable];

    /// The key stored in the database and sent by forms.
    pub const fn as_str(self) -> &'static str {
        match self {
            Landing::Credentials => "credentials",
            Landing::Document => "document",
            Landing::Teachable => "teachable",
        }
    }

    /// The landing with this key, if there is one.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == key)
    }

    /// As stored: a word it does not know reads as the sign-in page, as it always has.
    pub fn from_sql(key: &str) -> Option<Self> {
        Some(Self::from_key(key).unwrap_or(Landing::Credentials))
    }
}
text_state!(Landing);

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
    pub const fn as_str(self) -> &'static str {
        match self {
            PremiseAlignment::Low => "low",
            PremiseAlignment::Medium => "medium",
            PremiseAlignment::High => "high",
        }
    }

    /// The alignment with this key; anything else (a form left empty) is medium.
    pub fn from_key_or_medium(key: &str) -> Self {
        match key {
            "low" => PremiseAlignment::Low,
            "high" => PremiseAlignment::High,
            _ => PremiseAlignment::Medium,
        }
    }

    /// As stored (see [`PremiseAlignment::from_key_or_medium`]).
    pub fn from_sql(key: &str) -> Option<Self> {
        Some(Self::from_key_or_medium(key))
    }

    pub fn label(self) -> &'static str {
        match self {
            PremiseAlignment::Low => "Low",
            PremiseAlignment::Medium => "Medium",
            PremiseAlignment::High => "High",
        }
    }
}
text_state!(PremiseAlignment);

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

    /// The place a red-flag line names, in any case.
    pub fn from_key(key: &str) -> Option<Self> {
        [
            FlagPlace::From,
            FlagPlace::Subject,
            FlagPlace::Body,
            FlagPlace::Attachment,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(key))
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
mod tests;
