//! A practice's email templates as the rest of the simulation sees them
//! ([`SimTemplate`]), the training modules a clicker can be given, and the
//! template form: what a manager typed, checked before it is saved (a
//! sender that reads as an address, a body that renders for a real
//! recipient, red flags found where they say they are).

use serde::Deserialize;

use super::attachments::{self, AttachmentMeta};
use crate::shared::EmailAddress;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{self, Difficulty, FlagPlace, Landing, PremiseAlignment, RedFlag};
use crate::simulation::render::{self, Content, Vars};
use crate::simulation::sanitise;
use crate::web::FieldErrors;

/// Training modules a clicker can be given (the training capability fills them in).
pub const MODULES: [(&str, &str); 13] = [
    ("phishing", "Spotting phishing emails"),
    ("passwords", "Passwords and 2-step verification"),
    ("phone-scams", "Phone and in-person scams at reception"),
    ("ransomware", "Ransomware and what to do"),
    ("backups-updates", "Backups and updates"),
    ("patient-data", "Protecting patient information"),
    ("devices", "Devices, remote working and removable media"),
    ("social-media", "Social media and oversharing"),
    ("reporting", "Reporting incidents and near misses"),
    ("voice-cloning", "Cloned voices and deepfake calls"),
    (
        "service-desk-scams",
        "Fake IT calls, password resets and sign-in prompts",
    ),
    ("remote-access-scams", "Remote access scams"),
    ("ai-tools", "Using AI tools safely with patient information"),
];

pub fn module_title(key: &str) -> &'static str {
    MODULES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
        .unwrap_or("Spotting phishing emails")
}

#[derive(Debug, Clone)]
pub struct SimTemplate {
    pub id: TemplateId,
    pub name: String,
    pub library_id: Option<String>,
    pub content: Content,
    pub landing: Landing,
    pub training_module: String,
    pub cues: u8,
    pub premise: PremiseAlignment,
    pub red_flags: Vec<RedFlag>,
    /// The attached file, if any (its contents are loaded only to send or download it).
    pub attachment: Option<AttachmentMeta>,
}

impl SimTemplate {
    pub fn difficulty(&self) -> Difficulty {
        library::nist_difficulty(self.cues, self.premise)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TemplateForm {
    pub name: String,
    pub from_name: String,
    pub from_address: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub landing: String,
    pub training_module: String,
    pub cues: String,
    pub premise: String,
    /// One red flag per line: `where | marker | explanation` (the GoPhish
    /// import and older forms); the form itself sends rows instead.
    pub red_flags: String,
    /// "yes" from "Add more red flag rows": show the form again, saving nothing.
    pub more_flags: String,
    /// The red flag rows: `flag_where_N`, `flag_words_N`, `flag_why_N`.
    #[serde(flatten)]
    pub rows: std::collections::BTreeMap<String, String>,
}

/// One red flag as the form shows it: where, the words, why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagRow {
    pub place: String,
    pub words: String,
    pub why: String,
}

/// Blank rows offered under the red flags, and added by "Add more rows".
pub const BLANK_ROWS: usize = 2;
/// The most red flag rows a form may send.
pub const MAX_ROWS: usize = 30;

fn flags_to_text(flags: &[RedFlag]) -> String {
    flags
        .iter()
        .map(|f| format!("{} | {} | {}", f.r#where.as_str(), f.marker, f.explanation))
        .collect::<Vec<_>>()
        .join("\n")
}

impl TemplateForm {
    /// The red flags as rows: those the form sent, else the text's lines.
    fn sent_rows(&self) -> Vec<FlagRow> {
        let sent = (0..MAX_ROWS)
            .map(|i| {
                let get = |k: &str| {
                    self.rows
                        .get(&format!("{k}_{i}"))
                        .map(|v| v.trim().to_string())
                };
                (get("flag_where"), get("flag_words"), get("flag_why"))
            })
            .take_while(|(p, w, y)| p.is_some() || w.is_some() || y.is_some())
            .map(|(p, w, y)| FlagRow {
                place: p.unwrap_or_default(),
                words: w.unwrap_or_default(),
                why: y.unwrap_or_default(),
            })
            .collect::<Vec<_>>();
        if !sent.is_empty() {
            return sent;
        }
        self.red_flags
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let p: Vec<&str> = l.splitn(3, '|').map(str::trim).collect();
                FlagRow {
                    place: p.first().copied().unwrap_or("").to_string(),
                    words: p.get(1).copied().unwrap_or("").to_string(),
                    why: p.get(2).copied().unwrap_or("").to_string(),
                }
            })
            .collect()
    }

    /// The rows to show: every filled one, then blank ones to add more.
    pub fn flag_rows(&self) -> Vec<FlagRow> {
        let mut rows: Vec<FlagRow> = self
            .sent_rows()
            .into_iter()
            .filter(|r| !(r.words.is_empty() && r.why.is_empty()))
            .collect();
        let blanks = if self.more_flags == "yes" {
            BLANK_ROWS + 3
        } else {
            BLANK_ROWS
        };
        let total = (rows.len() + blanks).min(MAX_ROWS);
        rows.resize(total, FlagRow::default());
        rows
    }

    pub fn from_template(t: &SimTemplate) -> Self {
        Self {
            name: t.name.clone(),
            from_name: t.content.from_name.clone(),
            from_address: t.content.from_address.clone(),
            subject: t.content.subject.clone(),
            html: t.content.html.clone(),
            text: t.content.text.clone(),
            landing: t.landing.as_str().into(),
            training_module: t.training_module.clone(),
            cues: t.cues.to_string(),
            premise: t.premise.as_str().into(),
            red_flags: flags_to_text(&t.red_flags),
            ..Default::default()
        }
    }

    /// `attachment` is the name of the file already attached, which red flags
    /// about the attachment must be found in.
    pub fn parse(
        &self,
        practice_name: &str,
        attachment: Option<&AttachmentMeta>,
    ) -> Result<SimTemplate, FieldErrors> {
        let mut e = FieldErrors::default();
        let need = |e: &mut FieldErrors, field: &str, v: &str, msg: &str| {
            if v.trim().is_empty() {
                e.add(field, msg);
            }
        };
        need(
            &mut e,
            "name",
            &self.name,
            "Give the template a name the practice will recognise",
        );
        need(
            &mut e,
            "from_name",
            &self.from_name,
            "Enter the sender's name as the email will show it",
        );
        need(&mut e, "subject", &self.subject, "Enter a subject line");
        need(&mut e, "html", &self.html, "Enter the email's body");
        if EmailAddress::parse(&self.from_address).is_err() {
            e.add("from_address", "Enter the sender's address as the email will show it, like support@nhs-mail.example");
        }
        let cues = match self.cues.trim().parse::<u8>() {
            Ok(c) => c,
            Err(_) => {
                e.add(
                    "cues",
                    "Enter how many warning signs (cues) the email has, as a number",
                );
                0
            }
        };
        let mut red_flags = Vec::new();
        let from_rows = self.rows.keys().any(|k| k.starts_with("flag_"));
        for (i, row) in self.sent_rows().iter().enumerate() {
            let n = i + 1;
            if row.words.is_empty() && row.why.is_empty() {
                continue;
            }
            let place = FlagPlace::from_key(&row.place);
            let (place_key, words_key, why_key) = if from_rows {
                (
                    format!("flag_where_{i}"),
                    format!("flag_words_{i}"),
                    format!("flag_why_{i}"),
                )
            } else {
                ("red_flags".into(), "red_flags".into(), "red_flags".into())
            };
            if place.is_none() {
                e.add(
                    &place_key,
                    format!(
                        "Red flag {n}: choose where it is (sender, subject, body or attachment)"
                    ),
                );
            }
            if row.words.is_empty() {
                e.add(
                    &words_key,
                    format!("Red flag {n}: enter the exact words to highlight"),
                );
            }
            if row.why.is_empty() {
                e.add(
                    &why_key,
                    format!("Red flag {n}: say kindly why it is a red flag"),
                );
            }
            if let (Some(place), false, false) = (place, row.words.is_empty(), row.why.is_empty()) {
                red_flags.push(RedFlag {
                    r#where: place,
                    marker: row.words.clone(),
                    explanation: row.why.clone(),
                });
            }
        }
        // Saved without anything live in it, whoever wrote or pasted it.
        let html = match sanitise::template_source(&self.html) {
            Ok(h) => h,
            Err(why) => {
                e.add("html", why);
                String::new()
            }
        };
        let t = SimTemplate {
            id: TemplateId::new(0),
            name: self.name.trim().into(),
            library_id: None,
            content: Content {
                from_name: self.from_name.trim().into(),
                from_address: self.from_address.trim().into(),
                subject: self.subject.trim().into(),
                html,
                text: self.text.clone(),
            },
            landing: Landing::from_key(&self.landing).unwrap_or(Landing::Credentials),
            training_module: MODULES
                .iter()
                .find(|(k, _)| *k == self.training_module)
                .map(|(k, _)| *k)
                .unwrap_or("phishing")
                .into(),
            cues,
            premise: PremiseAlignment::from_key_or_medium(&self.premise),
            red_flags,
            attachment: attachment.cloned(),
        };
        if e.is_empty() {
            // The template must render for a real recipient, and its red flags must be findable.
            match render::render(&t.content, &Vars::sample(practice_name)) {
                Err(err) => e.add(err.field, err.message),
                Ok(r) => {
                    for f in &t.red_flags {
                        let found = match f.r#where {
                            FlagPlace::From => {
                                format!("{} <{}>", r.from_name, t.content.from_address)
                                    .contains(&f.marker)
                            }
                            FlagPlace::Subject => r.subject.contains(&f.marker),
                            FlagPlace::Body => {
                                r.html.contains(&render::html_escape(&f.marker))
                                    || r.html.contains(&f.marker)
                            }
                            FlagPlace::Attachment => continue,
                        };
                        if !found {
                            e.add("red_flags", format!("The red flag \"{}\" does not appear in the email as written. Copy the words exactly.", f.marker));
                        }
                    }
                    let name = attachment.map(|a| a.file_name.as_str());
                    for marker in attachments::flags_missing_from(&t.red_flags, name) {
                        e.add("red_flags", match name {
                            Some(n) => format!("The red flag \"{marker}\" is not in the attachment's name, {n:?}. Copy the words exactly."),
                            None => format!("The red flag \"{marker}\" is about an attachment, and this template has none yet. Save the template without it, add the attachment below, then add the red flag."),
                        });
                    }
                }
            }
        }
        if e.is_empty() {
            Ok(t)
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_with_an_attachment_saves_as_written() {
        let (t, a) = attachments::example();
        let saved = TemplateForm::from_template(&t)
            .parse("Riverside Surgery", Some(&a.meta))
            .expect("the example's red flags are all found");
        assert_eq!(saved.red_flags.len(), 3);
        let e = TemplateForm::from_template(&t)
            .parse("Riverside Surgery", None)
            .unwrap_err();
        assert!(
            e.get("red_flags").unwrap().contains("has none yet"),
            "{e:?}"
        );
    }

    #[test]
    fn red_flag_lines_name_their_place() {
        let mut f = TemplateForm::from_template(&attachments::example().0);
        f.red_flags = "nowhere | x | y".into();
        let e = f.parse("Riverside Surgery", None).unwrap_err();
        assert!(e.get("red_flags").unwrap().contains("Red flag 1"), "{e:?}");
    }
}
