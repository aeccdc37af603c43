//! The CPD documents laid out: a module's certificate and a period's summary
//! for an appraisal portfolio (PDF).

use super::domain::{certificate_number, long_date, minutes, minutes_text, Period};
use super::repo::{CertificateRow, Completion};
use crate::pdf::{Align, Document, Weight};
use crate::shared::PracticeId;
use crate::training::content::{catalogue, Module};
use crate::ukclock;

/// One module's certificate of completion.
pub fn certificate(practice: &str, number: &str, m: &Module, c: &CertificateRow) -> Vec<u8> {
    let mut doc = Document::new(
        &format!("Certificate: {}", m.title),
        &format!("{practice} · certificate {number}"),
    );
    let centred = |doc: &mut Document, text: &str, size: f32, weight: Weight| {
        doc.text_with(text, size, weight, Align::Centre, 0.0);
    };
    doc.gap(10.0);
    centred(&mut doc, "Certificate of completion", 26.0, Weight::Bold);
    doc.gap(8.0);
    centred(
        &mut doc,
        "Continuing professional development: cyber security and data protection",
        12.0,
        Weight::Regular,
    );
    doc.gap(18.0);
    centred(&mut doc, "This is to certify that", 12.0, Weight::Regular);
    doc.gap(6.0);
    centred(&mut doc, &c.full_name, 22.0, Weight::Bold);
    doc.gap(6.0);
    centred(&mut doc, "completed the module", 12.0, Weight::Regular);
    doc.gap(6.0);
    centred(&mut doc, &m.title, 18.0, Weight::Bold);
    doc.gap(12.0);
    doc.rule();
    doc.field("Practice", practice);
    doc.field(
        "Date completed",
        &long_date(ukclock::local_date(c.completed_at)),
    );
    doc.field("Time spent (CPD)", &minutes_text(minutes(c.seconds)));
    doc.field(
        "Quiz result",
        &format!("{} of {} correct", c.score, c.total),
    );
    doc.subheading("Learning outcomes: after this module they can");
    for o in &m.outcomes {
        doc.bullet(o);
    }
    doc.subheading("Based on guidance from");
    for s in &m.sources {
        doc.bullet(&format!("{}: {}", s.publisher, s.title));
    }
    doc.finish()
}

/// A person's CPD summary for a period: each module with its outcomes, the
/// total time, and room to reflect.
pub fn summary(
    practice_id: PracticeId,
    practice: &str,
    name: &str,
    period: Period,
    rows: &[Completion],
) -> Vec<u8> {
    let label = period.label();
    let mut doc = Document::new(
        &format!("CPD summary {label}: {name}"),
        &format!("{practice} · CPD summary {label} · {name}"),
    );
    doc.title(&format!("Cyber security CPD summary, {label}"));
    doc.field("Name", name);
    doc.field("Practice", practice);
    if let Period::Appraisal(y) = period {
        doc.field("Covers", &format!("1 April {y} to 31 March {}", y + 1));
    }
    let total: i64 = rows.iter().map(|r| minutes(r.seconds)).sum();
    doc.field(
        "Total",
        &format!(
            "{} {}, {} hours {} minutes",
            rows.len(),
            if rows.len() == 1 { "module" } else { "modules" },
            total / 60,
            total % 60
        ),
    );
    if rows.is_empty() {
        doc.paragraph("No modules were completed in this period.");
    }
    for r in rows {
        let Some(m) = catalogue().module(&r.module) else {
            continue;
        };
        doc.subheading(&format!(
            "{} · {}",
            ukclock::local_date(r.completed_at),
            m.title
        ));
        doc.paragraph(&format!(
            "{} minutes. Quiz {} of {}. Certificate {}.",
            minutes(r.seconds),
            r.score,
            r.total,
            certificate_number(practice_id, r.id)
        ));
        for o in &m.outcomes {
            doc.bullet(o);
        }
    }
    doc.gap(8.0);
    doc.paragraph(
        "Reflection (for your appraisal): what did you change in your work after this training?",
    );
    doc.rule();
    doc.rule();
    doc.finish()
}
