//! Building an evidence pack: work out every item, gather each provider's
//! files and the documents that count, write the summary PDF and the zip
//! (with an index), recording progress after each step.

use std::io::{Cursor, Write};

use anyhow::Context;
use zip::write::SimpleFileOptions;

use super::repo::{self, Built};
use crate::auth::system_scope_for;
use crate::dspt::assess::{assess, save_readiness, Assessment};
use crate::dspt::evidence::{Ctx, PackFile, PROVIDERS};
use crate::dspt::ids::PackId;
use crate::dspt::status::short_date;
use crate::pdf::Document;
use crate::shared::{AppState, PracticeId};
use crate::ukclock;

/// How long a builder holds a pack between steps before another node may take it over.
pub const LEASE_SECS: i64 = 120;

/// The steps a build records: working items out, each provider, the
/// documents, the PDF and the zip.
pub fn steps() -> i64 {
    PROVIDERS.len() as i64 + 4
}

/// Builds pack `id` of `practice_id` to the end (or records why it failed).
pub async fn run(state: &AppState, id: PackId, practice_id: PracticeId) {
    if let Err(e) = build(state, id, practice_id).await {
        tracing::error!(error = ?e, pack = %id, "evidence pack failed");
        let _ = repo::fail(
            &state.db,
            id,
            "Something went wrong while building the pack. Try again; if it keeps happening, tell IT support.",
            state.clock.now(),
        )
        .await;
    }
}

async fn build(state: &AppState, id: PackId, practice_id: PracticeId) -> anyhow::Result<()> {
    let db = &state.db;
    let scope = system_scope_for(practice_id, "building an evidence pack");
    let now = state.clock.now();
    let mut step = 0;
    let mut tick = |doing: String| {
        step += 1;
        let (db, state) = (db.clone(), state.clone());
        async move { repo::progress(&db, id, step, &doing, state.clock.now() + LEASE_SECS).await }
    };
    tick("Working out each item's status".into()).await?;
    let a = assess(db, &scope, now).await?;
    save_readiness(db, &scope, &a, now).await?;
    let ctx = Ctx {
        db,
        scope: &scope,
        now,
        today: a.today,
    };
    let mut files: Vec<PackFile> = Vec::new();
    for p in PROVIDERS {
        tick(format!("Adding {}", p.source().label().to_lowercase())).await?;
        files.extend(p.files(&ctx).await?);
    }
    tick("Adding uploaded documents".into()).await?;
    for d in a.documents.iter().filter(|d| d.is_current(a.today)) {
        let Some(f) = crate::dspt::documents::repo::file_for_practice(db, &scope, d.id).await?
        else {
            continue;
        };
        files.push(PackFile {
            path: format!("documents/{}-{}", d.id, f.file_name),
            what: format!(
                "{}{} ({}; covers {})",
                if d.from_operator {
                    "From the ICB: "
                } else {
                    ""
                },
                d.title,
                d.validity(a.today),
                d.items.join(", ")
            ),
            bytes: f.data,
        });
    }
    tick("Writing the summary".into()).await?;
    let (name, ods) = repo::practice(db, &scope).await?;
    let pdf = summary_pdf(&a, &name, ods.as_deref(), now);
    tick("Packing the files".into()).await?;
    let zip = zip_files(&a, &name, &pdf, &files, now)?;
    let mut tx = db.begin().await?;
    repo::finish(
        &mut tx,
        id,
        &Built {
            pdf: &pdf,
            zip: &zip,
            toolkit: &a.toolkit.name(),
            summary: &a.counts.sentence(),
        },
        state.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The summary: item by item, status, evidence, dates and who is responsible.
pub fn summary_pdf(a: &Assessment, practice: &str, ods: Option<&str>, now: i64) -> Vec<u8> {
    let mut doc = Document::new(
        "DSPT evidence pack",
        &format!(
            "{practice} · {} · evidence pack generated {}",
            a.toolkit.name(),
            ukclock::format(now)
        ),
    );
    doc.title("DSPT evidence pack");
    doc.field("Practice", practice);
    doc.field("ODS code", ods.unwrap_or("not recorded"));
    doc.field("Toolkit", &a.toolkit.name());
    doc.field("Submit by", &short_date(a.toolkit.deadline));
    doc.field("Generated", &ukclock::format(now));
    doc.paragraph(&format!(
        "Of {} items: {}.",
        a.items.len(),
        a.counts.sentence()
    ));
    if a.counts.mandatory_not_ready.is_empty() {
        doc.paragraph("Every mandatory item has its evidence.");
    } else {
        doc.paragraph(&format!(
            "Mandatory items without evidence ready: {}.",
            a.counts.mandatory_not_ready.join(", ")
        ));
    }
    doc.paragraph(
        "The files behind this summary are in the zip that goes with it; its index.txt lists them.",
    );
    for s in &a.toolkit.standards {
        let items: Vec<_> = a
            .items
            .iter()
            .filter(|i| i.item.standard == s.number)
            .collect();
        if items.is_empty() {
            continue;
        }
        doc.heading(&format!("{}. {}", s.number, s.title));
        for i in items {
            doc.subheading(&format!(
                "{} {}{}",
                i.item.id,
                i.item.title,
                if i.item.mandatory { " (mandatory)" } else { "" }
            ));
            let explain = i.status.explain();
            doc.field(
                "Status",
                &if explain.is_empty() {
                    i.status.tag().to_string()
                } else {
                    format!("{}: {explain}", i.status.tag())
                },
            );
            doc.field("Responsible", i.responsible_or_default());
            for l in &i.lines {
                doc.bullet(&format!("{}: {}", l.label, l.summary));
            }
            for d in &i.documents {
                doc.bullet(&format!(
                    "Document{}: {} ({}). {}.",
                    if d.doc.from_operator {
                        " from the ICB"
                    } else {
                        ""
                    },
                    d.doc.title,
                    d.doc.file_name,
                    d.validity
                ));
            }
            let todo = i.what_to_do();
            if !todo.is_empty() {
                doc.bullet(&format!("To do: {todo}"));
            }
        }
    }
    doc.finish()
}

/// The zip: the summary, every file, and `index.txt` saying what each is.
fn zip_files(
    a: &Assessment,
    practice: &str,
    pdf: &[u8],
    files: &[PackFile],
    now: i64,
) -> anyhow::Result<Vec<u8>> {
    let t = ukclock::local(now);
    let when = zip::DateTime::from_date_and_time(
        t.year().clamp(1980, 2107) as u16,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(when);
    let mut index = format!(
        "DSPT evidence pack for {practice}\r\n{} - generated {}\r\n{}\r\n\r\n",
        a.toolkit.name(),
        ukclock::format(now),
        a.counts.sentence()
    );
    index.push_str("summary.pdf\r\n    The summary: every item with its status, evidence, dates and who is responsible\r\n");
    for f in files {
        index.push_str(&format!("{}\r\n    {}\r\n", f.path, f.what));
    }
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("index.txt", options)?;
    z.write_all(index.as_bytes())?;
    z.start_file("summary.pdf", options)?;
    z.write_all(pdf)?;
    let mut seen = std::collections::HashSet::new();
    for f in files {
        if !seen.insert(f.path.clone()) {
            continue;
        }
        z.start_file(f.path.as_str(), options)
            .with_context(|| format!("adding {}", f.path))?;
        z.write_all(&f.bytes)?;
    }
    Ok(z.finish()?.into_inner())
}
