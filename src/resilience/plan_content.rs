//! The plan templates and tabletop scenarios we ship, from
//! `content/resilience/plans/` and `content/resilience/exercises/` (format in
//! `content/resilience/README.md`), checked by the tests below.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::training::content::Source;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/resilience/"]
struct ResilienceFiles;

/// The roles a plan can name, with the words people use for them.
pub const ROLES: [(&str, &str); 9] = [
    ("incident-lead", "Incident lead"),
    ("it-contact", "IT contact in the practice"),
    ("icb-service-desk", "ICB GP IT service desk"),
    ("clinical-supplier", "Clinical system supplier"),
    ("dpo", "Data protection officer (DPO)"),
    ("caldicott", "Caldicott Guardian"),
    ("siro", "Senior information risk owner (SIRO)"),
    ("communications", "Communications lead"),
    ("everyone", "Everyone"),
];

pub fn role_title(key: &str) -> &'static str {
    ROLES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
        .unwrap_or("Everyone")
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TemplateRole {
    pub key: String,
    pub responsibilities: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub role: String,
    pub text: String,
}

impl Step {
    pub fn who(&self) -> &'static str {
        role_title(&self.role)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepList {
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Statements {
    pub patients: String,
    pub press: String,
}

/// A national organisation to call in an incident, from `contacts.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalContact {
    pub key: String,
    pub organisation: String,
    /// Empty when the organisation is reached another way (the ICO, through the DSPT).
    pub phone: String,
    /// When to call, in a sentence or two.
    pub when: String,
    pub url: String,
}

impl NationalContact {
    /// The phone number for a `tel:` link.
    pub fn tel(&self) -> String {
        self.phone.chars().filter(|c| !c.is_whitespace()).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactsFile {
    contacts: Vec<NationalContact>,
}

/// The national contacts, in the file's order.
pub fn national_contacts() -> &'static [NationalContact] {
    static C: LazyLock<Vec<NationalContact>> = LazyLock::new(|| {
        let f = ResilienceFiles::get("contacts.toml").expect("contacts.toml is embedded");
        let text = std::str::from_utf8(&f.data).expect("contacts.toml is UTF-8");
        toml::from_str::<ContactsFile>(text)
            .unwrap_or_else(|e| panic!("contacts.toml: {e}"))
            .contacts
    });
    &C
}

pub fn national_contact(key: &str) -> Option<&'static NationalContact> {
    national_contacts().iter().find(|c| c.key == key)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTemplate {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub personal_data: bool,
    pub sources: Vec<Source>,
    /// Keys from `contacts.toml` the plan's contact list starts with.
    #[serde(default)]
    pub national_contacts: Vec<String>,
    pub roles: Vec<TemplateRole>,
    pub phases: Vec<Phase>,
    pub continuity: StepList,
    pub recovery: StepList,
    pub statements: Statements,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    pub at_minute: u32,
    pub title: String,
    pub text: String,
    pub questions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Debrief {
    pub questions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub minutes: u32,
    pub plan: String,
    pub objectives: Vec<String>,
    pub sources: Vec<Source>,
    pub injects: Vec<Inject>,
    pub debrief: Debrief,
}

fn load_dir<T: for<'de> Deserialize<'de>>(prefix: &str) -> Result<Vec<(String, T)>, String> {
    let mut names: Vec<String> = ResilienceFiles::iter()
        .filter(|n| n.starts_with(prefix) && n.ends_with(".toml"))
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let f = ResilienceFiles::get(&name).ok_or_else(|| format!("{name} vanished"))?;
            let text = std::str::from_utf8(&f.data).map_err(|_| format!("{name} is not UTF-8"))?;
            let slug = name
                .trim_start_matches(prefix)
                .trim_end_matches(".toml")
                .to_string();
            toml::from_str(text)
                .map(|t| (slug, t))
                .map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// The order the plan list shows templates in: ransomware first.
const PLAN_ORDER: [&str; 11] = [
    "ransomware",
    "compromised-email",
    "lost-device",
    "clinical-system-outage",
    "pathology-outage",
    "telephony-outage",
    "supplier-breach",
    "personal-data-breach",
    "cyber-alert",
    "leaver-access",
    "cloud-two-step",
];

pub fn templates() -> &'static [PlanTemplate] {
    static T: LazyLock<Vec<PlanTemplate>> = LazyLock::new(|| {
        let mut v: Vec<PlanTemplate> = load_dir::<PlanTemplate>("plans/")
            .unwrap_or_else(|e| panic!("built-in plan templates: {e}"))
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        v.sort_by_key(|t| PLAN_ORDER.iter().position(|s| *s == t.slug).unwrap_or(99));
        v
    });
    &T
}

pub fn template(slug: &str) -> Option<&'static PlanTemplate> {
    templates().iter().find(|t| t.slug == slug)
}

pub fn scenarios() -> &'static [Scenario] {
    static S: LazyLock<Vec<Scenario>> = LazyLock::new(|| {
        load_dir::<Scenario>("exercises/")
            .unwrap_or_else(|e| panic!("built-in tabletop scenarios: {e}"))
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    });
    &S
}

pub fn scenario(slug: &str) -> Option<&'static Scenario> {
    scenarios().iter().find(|s| s.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_contacts_are_complete_and_plans_name_only_known_ones() {
        let keys: Vec<&str> = national_contacts().iter().map(|c| c.key.as_str()).collect();
        for key in ["nhs-csoc", "report-fraud", "ico-via-dspt"] {
            assert!(keys.contains(&key), "contacts.toml has {key}");
        }
        let csoc = national_contact("nhs-csoc").unwrap();
        assert_eq!(csoc.phone, "0300 303 5222");
        for c in national_contacts() {
            assert!(
                c.url.starts_with("https://") && !c.when.trim().is_empty(),
                "{}",
                c.key
            );
        }
        for (file, p) in load_dir::<PlanTemplate>("plans/").unwrap() {
            for key in &p.national_contacts {
                assert!(
                    national_contact(key).is_some(),
                    "{file}: unknown contact {key}"
                );
            }
        }
        // The cyber plans start with NHS England's 24/7 centre in their contacts.
        for slug in [
            "ransomware",
            "compromised-email",
            "supplier-breach",
            "cyber-alert",
        ] {
            let t = template(slug).unwrap();
            assert!(
                t.national_contacts.iter().any(|k| k == "nhs-csoc"),
                "{slug} lists the CSOC"
            );
            let steps: String = t.phases[0]
                .steps
                .iter()
                .chain(&t.phases[1].steps)
                .map(|s| s.text.as_str())
                .collect();
            assert!(
                steps.contains("0300 303 5222"),
                "{slug}: calling the CSOC is in the first steps"
            );
        }
    }

    #[test]
    fn every_plan_template_is_complete_and_names_only_known_roles() {
        let plans = load_dir::<PlanTemplate>("plans/").expect("plan templates load");
        assert!(plans.len() >= 11);
        for slug in PLAN_ORDER {
            assert!(plans.iter().any(|(s, _)| s == slug), "{slug} template");
        }
        for (file, p) in &plans {
            assert_eq!(&p.slug, file);
            assert!((4..=6).contains(&p.phases.len()), "{file}: 4–6 phases");
            for r in &p.roles {
                assert!(
                    ROLES.iter().any(|(k, _)| *k == r.key),
                    "{file}: role {}",
                    r.key
                );
            }
            for step in p.phases.iter().flat_map(|ph| &ph.steps) {
                assert!(
                    step.role == "everyone" || p.roles.iter().any(|r| r.key == step.role),
                    "{file}: step role {} is not one of the plan's roles",
                    step.role
                );
            }
            assert!(!p.continuity.steps.is_empty() && !p.recovery.steps.is_empty());
            for s in [&p.statements.patients, &p.statements.press] {
                let without = s.replace("{{ practice_name }}", "");
                assert!(
                    !without.contains("{{"),
                    "{file}: only {{{{ practice_name }}}} in statements"
                );
            }
        }
        let ransomware = template("ransomware").unwrap();
        let text: String = ransomware
            .phases
            .iter()
            .flat_map(|p| &p.steps)
            .map(|s| s.text.to_lowercase())
            .collect();
        assert!(
            text.contains("network cable") && text.contains("do not switch"),
            "how to disconnect an infected device"
        );
    }

    #[test]
    fn every_scenario_runs_in_time_order_and_tests_a_real_plan() {
        let scenarios = load_dir::<Scenario>("exercises/").expect("scenarios load");
        for slug in [
            "phishing-to-ransomware",
            "clinical-system-down-monday",
            "lost-laptop",
            "email-account-takeover",
            "pathology-outage",
            "high-severity-cyber-alert",
            "leaver-still-signed-in",
        ] {
            assert!(scenarios.iter().any(|(s, _)| s == slug), "{slug}");
        }
        for (file, s) in &scenarios {
            assert_eq!(&s.slug, file);
            assert!(
                template(&s.plan).is_some(),
                "{file}: plan {} exists",
                s.plan
            );
            assert!(s
                .injects
                .windows(2)
                .all(|w| w[0].at_minute <= w[1].at_minute));
            assert!(s
                .injects
                .iter()
                .all(|i| i.at_minute <= s.minutes && !i.questions.is_empty()));
            assert!(!s.debrief.questions.is_empty());
        }
    }
}
