//! A plan as a PDF to print and keep where everyone can find it without a
//! computer.

use super::domain::{Plan, PlanStatus};
use crate::pdf::{Align, Document, Weight};
use crate::resilience::plan_content::role_title;
use crate::ukclock;

pub fn plan_pdf(plan: &Plan, practice: &str, printed_by: &str, now: i64) -> Vec<u8> {
    let b = &plan.body;
    let status = match (plan.status, plan.approved_version) {
        (PlanStatus::Approved, _) => format!(
            "Version {}, approved {} by {}",
            plan.version,
            plan.approved_on(),
            plan.approved_by.clone().unwrap_or_default()
        ),
        (_, Some(v)) => format!(
            "Version {} (draft: changed since version {v} was approved)",
            plan.version
        ),
        _ => format!("Version {} (draft, not yet approved)", plan.version),
    };
    let mut doc = Document::new(
        &b.title,
        &format!(
            "{practice} · {} · {status} · printed {} by {printed_by}",
            b.title,
            ukclock::format(now)
        ),
    );
    doc.title(&format!("{}: {}", practice, b.title));
    doc.paragraph(&b.summary);
    doc.field("Status", &status);
    if let Some(r) = &plan.review_on {
        doc.field("Review by", r);
    }
    doc.paragraph("Keep this copy somewhere everyone can find it without a computer. Tick each action as it is done and write the time beside it.");
    doc.heading("Who does what");
    for r in &b.roles {
        doc.subheading(r.title());
        let person = if r.person.is_empty() {
            "(name to be filled in)".to_string()
        } else {
            format!("{} {}", r.person, r.person_phone)
        };
        doc.text_with(
            &format!("Named person: {person}"),
            11.0,
            Weight::Regular,
            Align::Left,
            0.0,
        );
        let deputy = if r.deputy.is_empty() {
            "(deputy to be filled in)".to_string()
        } else {
            format!("{} {}", r.deputy, r.deputy_phone)
        };
        doc.text_with(
            &format!("Deputy: {deputy}"),
            11.0,
            Weight::Regular,
            Align::Left,
            0.0,
        );
        doc.paragraph(&r.responsibilities);
    }
    doc.heading("Contact list");
    for c in &b.contacts {
        let line = [
            c.organisation.as_str(),
            c.name.as_str(),
            c.phone.as_str(),
            c.email.as_str(),
            c.notes.as_str(),
        ]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · ");
        let line = if c.phone.trim().is_empty() {
            format!("{line} · (number to be filled in)")
        } else {
            line
        };
        doc.bullet(&line);
    }
    for phase in &b.phases {
        doc.heading(&phase.name);
        for s in &phase.steps {
            let who = if s.role == "everyone" {
                String::new()
            } else {
                format!("{}: ", role_title(&s.role))
            };
            doc.bullet_with("[  ]", &format!("{who}{}", s.text));
        }
    }
    doc.heading("Working while systems are restored");
    for s in &b.continuity {
        doc.bullet(s);
    }
    doc.heading("Getting data back");
    for (i, s) in b.recovery.iter().enumerate() {
        doc.bullet_with(&format!("{}.", i + 1), s);
    }
    doc.heading("Draft statement for patients");
    doc.paragraph(&b.statements.patients);
    doc.heading("Draft statement for the press");
    doc.paragraph(&b.statements.press);
    doc.subheading("Based on guidance from");
    for s in &b.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    doc.finish()
}
