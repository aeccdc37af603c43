//! Plans' content and rules, with no storage or pages: a plan's body (made
//! from one of our templates, stored as JSON), its steps, the edit form
//! turned back into a body, and what approving needs.

use serde::{Deserialize, Serialize};

use crate::resilience::dates;
use crate::resilience::ids::PlanId;
use crate::resilience::plan_content::{self, role_title, Phase, Statements, Step, ROLES};
use crate::resilience::sql::{from_row, json, text_enum};
use crate::training::content::Source;
use crate::ukclock;
use crate::web::FieldErrors;

text_enum! {
    /// Whether the plan's current version is approved.
    pub enum PlanStatus {
        Draft = "draft", "Draft";
        Approved = "approved", "Approved";
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct PlanRole {
    pub key: String,
    pub responsibilities: String,
    pub person: String,
    pub person_phone: String,
    pub deputy: String,
    pub deputy_phone: String,
}

impl PlanRole {
    pub fn title(&self) -> &'static str {
        role_title(&self.key)
    }

    /// The edit form's inputs: (field suffix, label, value).
    pub fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            ("person", "Named person", &self.person),
            ("person_phone", "Their phone", &self.person_phone),
            ("deputy", "Deputy", &self.deputy),
            ("deputy_phone", "Deputy's phone", &self.deputy_phone),
        ]
    }
}

impl Contact {
    pub fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            ("organisation", "Organisation", &self.organisation),
            ("name", "Name", &self.name),
            ("phone", "Phone", &self.phone),
            ("email", "Email", &self.email),
            ("notes", "Notes", &self.notes),
        ]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Contact {
    pub name: String,
    pub organisation: String,
    pub phone: String,
    pub email: String,
    pub notes: String,
}

/// A practice's plan, stored as JSON so a template's shape carries over whole.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanBody {
    pub title: String,
    pub summary: String,
    pub personal_data: bool,
    pub roles: Vec<PlanRole>,
    pub contacts: Vec<Contact>,
    pub phases: Vec<Phase>,
    pub continuity: Vec<String>,
    pub recovery: Vec<String>,
    pub statements: Statements,
    pub sources: Vec<Source>,
}

impl PlanBody {
    pub fn from_template(t: &plan_content::PlanTemplate, practice: &str) -> Self {
        let fill = |s: &str| s.replace("{{ practice_name }}", practice);
        let contact = |org: &str| Contact {
            organisation: org.to_string(),
            ..Default::default()
        };
        Self {
            title: t.title.clone(),
            summary: t.summary.clone(),
            personal_data: t.personal_data,
            roles: t
                .roles
                .iter()
                .map(|r| PlanRole {
                    key: r.key.clone(),
                    responsibilities: r.responsibilities.clone(),
                    ..Default::default()
                })
                .collect(),
            contacts: [
                "ICB GP IT service desk",
                "Clinical system supplier helpdesk",
                "NHSmail helpdesk",
                "Data protection officer",
                "Telephony supplier",
                "Building and alarm",
            ]
            .into_iter()
            .filter(|org| {
                // A national contact below replaces its empty line here.
                !t.national_contacts
                    .iter()
                    .filter_map(|k| plan_content::national_contact(k))
                    .any(|c| c.organisation.starts_with(org))
            })
            .map(contact)
            .chain(
                t.national_contacts
                    .iter()
                    .filter_map(|k| plan_content::national_contact(k))
                    .map(|c| Contact {
                        organisation: c.organisation.clone(),
                        phone: c.phone.clone(),
                        notes: c.when.clone(),
                        ..Default::default()
                    }),
            )
            .collect(),
            phases: t.phases.clone(),
            continuity: t.continuity.steps.clone(),
            recovery: t.recovery.steps.clone(),
            statements: Statements {
                patients: fill(&t.statements.patients),
                press: fill(&t.statements.press),
            },
            sources: t.sources.clone(),
        }
    }

    /// Every action in order, as an incident's checklist.
    pub fn checklist(&self) -> Vec<(String, Step)> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(move |s| (p.name.clone(), s.clone())))
            .collect()
    }

    /// A phase's steps as the edit form's text box shows them, one a line.
    pub fn phase_text(&self, i: usize) -> String {
        self.phases[i]
            .steps
            .iter()
            .map(|s| {
                if s.role == "everyone" {
                    s.text.clone()
                } else {
                    format!("[{}] {}", role_title(&s.role), s.text)
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// "[Incident lead] Call the ICB" → (incident-lead, "Call the ICB"); a line
/// without a known role in brackets is for everyone.
pub fn parse_step(line: &str) -> Step {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix('[') {
        if let Some((label, text)) = rest.split_once(']') {
            let label = label.trim();
            if let Some((key, _)) = ROLES
                .iter()
                .find(|(k, t)| t.eq_ignore_ascii_case(label) || k.eq_ignore_ascii_case(label))
            {
                return Step {
                    role: key.to_string(),
                    text: text.trim().to_string(),
                };
            }
        }
    }
    Step {
        role: "everyone".into(),
        text: line.to_string(),
    }
}

/// A plan as stored.
pub struct Plan {
    pub id: PlanId,
    pub template: String,
    pub body: PlanBody,
    pub version: i64,
    pub status: PlanStatus,
    pub approved_version: Option<i64>,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub review_on: Option<String>,
    pub last_printed_at: Option<i64>,
    pub last_printed_by: Option<String>,
    pub updated_at: i64,
}

from_row!(Plan, r => Ok(Plan {
    id: r.try_get("id")?,
    template: r.try_get("template")?,
    body: json("body", &r.try_get::<String, _>("body")?)?,
    version: r.try_get("version")?,
    status: r.try_get("status")?,
    approved_version: r.try_get("approved_version")?,
    approved_by: r.try_get("approved_by")?,
    approved_at: r.try_get("approved_at")?,
    review_on: r.try_get("review_on")?,
    last_printed_at: r.try_get("last_printed_at")?,
    last_printed_by: r.try_get("last_printed_by")?,
    updated_at: r.try_get("updated_at")?,
}));

impl Plan {
    pub fn approved_on(&self) -> String {
        self.approved_at
            .map(ukclock::format_date)
            .unwrap_or_default()
    }
    pub fn printed(&self) -> String {
        match (self.last_printed_at, &self.last_printed_by) {
            (Some(t), Some(by)) => format!("{} by {by}", ukclock::format(t)),
            _ => "never".into(),
        }
    }
    pub fn updated(&self) -> String {
        ukclock::format(self.updated_at)
    }
    pub fn review_due(&self, today: time::Date) -> bool {
        self.review_on
            .as_deref()
            .and_then(dates::parse_iso)
            .is_some_and(|d| d <= today)
    }

    /// The version an edit saves: changing an approved plan starts the next
    /// version as a draft.
    pub fn next_version(&self) -> i64 {
        match self.status {
            PlanStatus::Approved => self.version + 1,
            PlanStatus::Draft => self.version,
        }
    }

    /// Why the plan cannot be approved yet, if it cannot.
    pub fn cannot_approve(&self) -> Option<&'static str> {
        self.body
            .roles
            .iter()
            .any(|r| r.key == "incident-lead" && r.person.is_empty())
            .then_some("Name the incident lead before approving the plan: edit the plan and fill in \"Who does what\". Nothing has been changed.")
    }
}

/// A change to make to a plan, noted from an incident's review.
pub struct PlanNote {
    pub created_at: i64,
    pub text: String,
}

from_row!(PlanNote, r => Ok(PlanNote {
    created_at: r.try_get("created_at")?,
    text: r.try_get("text")?,
}));

/// The review date an approval sets: the one typed (within the next 12
/// months), or 12 months from today when the box is empty.
pub fn review_date(typed: &str, today: time::Date) -> Result<time::Date, &'static str> {
    match typed.trim() {
        "" => Ok(ukclock::add_months(today, 12)),
        s => dates::parse_iso(s)
            .filter(|d| *d > today && *d <= ukclock::add_months(today, 12))
            .ok_or("Enter a review date within the next 12 months, for example 2027-06-30. The plan has not been approved yet."),
    }
}

const MAX_FIELD: usize = 4000;
const MAX_LIST: usize = 80;

/// Rebuilds the plan from the form, keeping what the form does not carry
/// (title, summary, responsibilities, sources). Problems are collected, not fatal.
pub fn apply_form(old: &PlanBody, fields: &[(String, String)]) -> (PlanBody, FieldErrors) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.replace('\r', ""))
            .unwrap_or_default()
    };
    let mut errors = FieldErrors::default();
    let check = |errors: &mut FieldErrors, field: &str, value: &str, what: &str| {
        if value.chars().count() > MAX_FIELD {
            errors.add(
                field,
                format!("{what} is too long: keep it under {MAX_FIELD} characters"),
            );
        }
    };
    let phone_ok = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_digit() || " +()-ext.".contains(c))
    };
    let mut body = old.clone();
    for r in body.roles.iter_mut() {
        for (suffix, slot) in [
            ("person", &mut r.person),
            ("person_phone", &mut r.person_phone),
            ("deputy", &mut r.deputy),
            ("deputy_phone", &mut r.deputy_phone),
        ] {
            *slot = get(&format!("role-{}-{suffix}", r.key)).trim().to_string();
        }
        let title = role_title(&r.key);
        for (suffix, value) in [
            ("person_phone", &r.person_phone),
            ("deputy_phone", &r.deputy_phone),
        ] {
            if !phone_ok(value) {
                errors.add(&format!("role-{}-{suffix}", r.key), format!("Enter the phone number for the {title} with digits and spaces only, like 01632 960123"));
            }
        }
        for (suffix, value) in [("person", &r.person), ("deputy", &r.deputy)] {
            if value.chars().count() > 200 {
                errors.add(
                    &format!("role-{}-{suffix}", r.key),
                    "Keep names under 200 characters",
                );
            }
        }
    }
    let mut contacts = Vec::new();
    let mut i = 0;
    while fields
        .iter()
        .any(|(n, _)| n.starts_with(&format!("contact-{i}-")))
    {
        let c = Contact {
            name: get(&format!("contact-{i}-name")).trim().to_string(),
            organisation: get(&format!("contact-{i}-organisation")).trim().to_string(),
            phone: get(&format!("contact-{i}-phone")).trim().to_string(),
            email: get(&format!("contact-{i}-email")).trim().to_string(),
            notes: get(&format!("contact-{i}-notes")).trim().to_string(),
        };
        if !phone_ok(&c.phone) {
            errors.add(
                &format!("contact-{i}-phone"),
                format!(
                    "Enter the phone number for contact {} with digits and spaces only",
                    i + 1
                ),
            );
        }
        if [&c.name, &c.organisation, &c.phone, &c.email, &c.notes]
            .iter()
            .any(|s| !s.is_empty())
        {
            contacts.push(c);
        }
        i += 1;
        if i > MAX_LIST {
            break;
        }
    }
    body.contacts = contacts;
    for (i, phase) in body.phases.iter_mut().enumerate() {
        let field = format!("phase-{i}");
        let text = get(&field);
        check(&mut errors, &field, &text, &phase.name);
        phase.steps = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(parse_step)
            .collect();
        if phase.steps.is_empty() {
            errors.add(
                &field,
                format!("Write at least one action for \"{}\"", phase.name),
            );
        }
    }
    for (field, list, what) in [
        (
            "continuity",
            &mut body.continuity,
            "Working while systems are restored",
        ),
        ("recovery", &mut body.recovery, "Getting data back"),
    ] {
        let text = get(field);
        check(&mut errors, field, &text, what);
        *list = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
    }
    body.statements.patients = get("patients").trim().to_string();
    body.statements.press = get("press").trim().to_string();
    check(
        &mut errors,
        "patients",
        &body.statements.patients,
        "The statement for patients",
    );
    check(
        &mut errors,
        "press",
        &body.statements.press,
        "The statement for the press",
    );
    (body, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_line_names_its_role_in_brackets_or_is_for_everyone() {
        assert_eq!(
            parse_step("[Incident lead] Call the ICB"),
            Step {
                role: "incident-lead".into(),
                text: "Call the ICB".into()
            }
        );
        assert_eq!(parse_step("[dpo] Assess the breach").role, "dpo");
        assert_eq!(parse_step("[Someone] Do it").role, "everyone");
        assert_eq!(parse_step("Pull the cable out").text, "Pull the cable out");
    }

    #[test]
    fn the_edit_form_round_trips_a_template_unchanged() {
        let t = plan_content::template("ransomware").unwrap();
        let body = PlanBody::from_template(t, "Riverside Surgery");
        assert!(body.statements.patients.contains("Riverside Surgery"));
        let mut fields: Vec<(String, String)> = Vec::new();
        for r in &body.roles {
            for s in ["person", "person_phone", "deputy", "deputy_phone"] {
                fields.push((format!("role-{}-{s}", r.key), String::new()));
            }
        }
        for (i, c) in body.contacts.iter().enumerate() {
            for (suffix, _, value) in c.fields() {
                fields.push((format!("contact-{i}-{suffix}"), value.to_string()));
            }
        }
        assert!(
            body.contacts.iter().any(|c| c.phone == "0300 303 5222"),
            "the ransomware plan starts with NHS England's 24/7 number"
        );
        for i in 0..body.phases.len() {
            fields.push((format!("phase-{i}"), body.phase_text(i)));
        }
        fields.push(("continuity".into(), body.continuity.join("\n")));
        fields.push(("recovery".into(), body.recovery.join("\n")));
        fields.push(("patients".into(), body.statements.patients.clone()));
        fields.push(("press".into(), body.statements.press.clone()));
        let (again, errors) = apply_form(&body, &fields);
        assert!(errors.is_empty());
        assert_eq!(again, body);
    }

    #[test]
    fn a_review_date_is_within_a_year() {
        use time::macros::date;
        let today = date!(2026 - 11 - 23);
        assert_eq!(review_date("", today), Ok(date!(2027 - 11 - 23)));
        assert_eq!(review_date("2027-06-30", today), Ok(date!(2027 - 06 - 30)));
        assert!(review_date("2028-01-01", today).is_err());
        assert!(review_date("2026-11-23", today).is_err());
        assert!(review_date("soon", today).is_err());
    }
}
