//! Incidents' pages: the list with the form that declares one, and the
//! incident itself (checklist, log, the ICO clock, assessment, review).

use askama::Template;

use super::domain::{
    can_lead, ico_deadline, time_left, Check, Incident, Lesson, LogEntry, Summary, LIKELIHOOD,
    SEVERITY,
};
use crate::auth::PracticeScope;
use crate::resilience::ids::{IncidentId, PlanId};
use crate::resilience::plan_content::{self, role_title, NationalContact};
use crate::ukclock;
use crate::web::{FieldErrors, Page};

/// An incident in the list.
pub struct Listed {
    pub id: IncidentId,
    pub title: String,
    pub declared: String,
    pub status: &'static str,
}

impl Listed {
    pub fn new(s: Summary) -> Self {
        Self {
            id: s.id,
            title: s.title,
            declared: ukclock::format(s.declared_at),
            status: s.status.as_str(),
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DeclareForm {
    pub plan_id: String,
    pub title: String,
    pub what: String,
    pub aware_at: String,
}

#[derive(Template)]
#[template(path = "resilience/incidents.html")]
pub struct ListPage {
    pub page: Page,
    pub incidents: Vec<Listed>,
    /// The plans an incident can follow: (id, title).
    pub plans: Vec<(PlanId, String)>,
    pub can_declare: bool,
    pub form: DeclareForm,
    pub errors: FieldErrors,
    /// Staff's reports of incidents and near misses, for whoever may lead
    /// (empty for everyone else, who see their own on the report page).
    pub reports: Vec<super::reports::Report>,
}

/// An action of the incident's checklist, under its phase.
pub struct CheckItem {
    pub index: usize,
    pub phase: String,
    pub new_phase: bool,
    pub who: &'static str,
    pub text: String,
    pub done: Option<String>,
}

/// A line of the log as the page shows it.
pub struct LogLine {
    pub at: String,
    pub author: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "resilience/incident.html")]
pub struct IncidentPage {
    page: Page,
    i: Incident,
    items: Vec<CheckItem>,
    done: usize,
    log: Vec<LogLine>,
    lessons: Vec<Lesson>,
    left: String,
    overdue: bool,
    can_lead: bool,
    likelihood: Vec<(i64, &'static str, bool)>,
    severity: Vec<(i64, &'static str, bool)>,
    modules: Vec<(&'static str, String)>,
    /// Who to call, whatever the plan says: NHS England's 24/7 centre first.
    contacts: &'static [NationalContact],
}

/// A scale's choices as (grade, label, chosen).
fn grades(labels: &[&'static str; 5], chosen: Option<i64>) -> Vec<(i64, &'static str, bool)> {
    (1..=5)
        .map(|n| (n, labels[n as usize - 1], chosen == Some(n)))
        .collect()
}

impl IncidentPage {
    pub fn new(
        scope: &PracticeScope,
        i: Incident,
        checks: Vec<Check>,
        log: Vec<LogEntry>,
        lessons: Vec<Lesson>,
        now: i64,
    ) -> Self {
        let mut last_phase = String::new();
        let items: Vec<CheckItem> = i
            .checklist
            .iter()
            .enumerate()
            .map(|(index, (phase, step))| {
                let new_phase = *phase != last_phase;
                last_phase = phase.clone();
                CheckItem {
                    index,
                    phase: phase.clone(),
                    new_phase,
                    who: role_title(&step.role),
                    text: step.text.clone(),
                    done: checks
                        .iter()
                        .find(|c| c.item as usize == index)
                        .map(|c| format!("{} by {}", ukclock::format(c.done_at), c.done_by)),
                }
            })
            .collect();
        let deadline = ico_deadline(i.aware_at);
        Self {
            page: Page::for_user(format!("Incident: {}", i.title), scope.user()),
            done: items.iter().filter(|c| c.done.is_some()).count(),
            items,
            log: log
                .into_iter()
                .map(|e| LogLine {
                    at: ukclock::format(e.at),
                    author: e.author,
                    text: e.text,
                })
                .collect(),
            lessons,
            left: time_left(deadline, now),
            overdue: now > deadline && i.ico_reported_at.is_none(),
            can_lead: can_lead(scope).is_ok(),
            likelihood: grades(&LIKELIHOOD, i.likelihood),
            severity: grades(&SEVERITY, i.severity),
            modules: crate::training::content::catalogue()
                .modules
                .iter()
                .map(|m| (m.slug, m.title.clone()))
                .collect(),
            contacts: plan_content::national_contacts(),
            i,
        }
    }
}
