//! Where the practice stands on every item of the toolkit that applies, at
//! one moment: what each kind of evidence shows (read at once from the
//! providers), the documents covering each item, the manager's choices, and
//! each item's status. The DSPT page, the evidence pack, the operator's
//! readiness figures and the benchmark all use [`assess`].

use std::collections::HashMap;
use std::sync::Arc;

use time::Date;

use super::documents::{self, domain::Document};
use super::evidence::{self, Ctx, Finding};
use super::repo::{self, ItemChoice};
use super::status::{decide, Counts, Cover, Status};
use super::toolkit::{EvidenceSource, Item, Toolkit};
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::ukclock::local_date;

/// One kind of evidence for one item, as the page shows it.
#[derive(Debug, Clone)]
pub struct Line {
    pub label: &'static str,
    pub summary: String,
    pub link: &'static str,
    pub status: Status,
}

/// A document covering an item.
#[derive(Debug, Clone)]
pub struct Covering {
    pub doc: Document,
    pub validity: String,
    pub current: bool,
}

/// One item and where it stands.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub item: Item,
    pub status: Status,
    pub lines: Vec<Line>,
    pub documents: Vec<Covering>,
    /// Who the manager named, or "".
    pub responsible: String,
    /// The manager's reason, when they said the item does not apply.
    pub not_applicable: Option<String>,
    /// Whether this item's evidence comes only from documents.
    pub documents_only: bool,
}

impl Assessed {
    /// Who is responsible, as the page and pack print it.
    pub fn responsible_or_default(&self) -> &str {
        if self.responsible.is_empty() {
            "Practice manager"
        } else {
            &self.responsible
        }
    }

    /// What to do about it, for an item not ready: the first thing short.
    pub fn what_to_do(&self) -> String {
        if self.status.is_ready() || matches!(self.status, Status::NotApplicable { .. }) {
            return String::new();
        }
        if self.documents_only {
            return "Upload a document that covers this item (for example your policy, or the ICB's statement), saying until when it counts.".into();
        }
        self.lines
            .iter()
            .find(|l| !l.status.is_ready())
            .map(|l| l.summary.clone())
            .unwrap_or_default()
    }
}

/// The whole toolkit for one practice at one moment.
pub struct Assessment {
    pub toolkit: Arc<Toolkit>,
    pub items: Vec<Assessed>,
    pub counts: Counts,
    pub today: Date,
    pub documents: Vec<Document>,
}

impl Assessment {
    pub fn item(&self, id: &str) -> Option<&Assessed> {
        self.items.iter().find(|a| a.item.id == id)
    }
}

/// Where the practice stands at `now`.
pub async fn assess(db: &Db, scope: &PracticeScope, now: i64) -> Result<Assessment, sqlx::Error> {
    let toolkit = super::in_use::toolkit(db).await?;
    let today = local_date(now);
    let ctx = Ctx {
        db,
        scope,
        now,
        today,
    };
    let mut sources: Vec<EvidenceSource> = Vec::new();
    for s in toolkit
        .items
        .iter()
        .flat_map(|i| i.evidence.iter().copied())
    {
        if s != EvidenceSource::UploadedDocument && !sources.contains(&s) {
            sources.push(s);
        }
    }
    let (found, docs, choices) = futures_util::try_join!(
        evidence::gather(&ctx, &sources),
        documents::repo::for_practice(db, scope),
        repo::choices(db, scope),
    )?;
    let found: HashMap<EvidenceSource, Finding> = found.into_iter().collect();
    let choices: HashMap<&str, &ItemChoice> =
        choices.iter().map(|c| (c.item_id.as_str(), c)).collect();
    let mut counts = Counts::default();
    let mut items = Vec::with_capacity(toolkit.items.len());
    for item in &toolkit.items {
        let covering: Vec<Covering> = docs
            .iter()
            .filter(|d| d.items.contains(&item.id))
            .map(|d| Covering {
                validity: d.validity(today),
                current: d.is_current(today),
                doc: d.clone(),
            })
            .collect();
        let covers: Vec<Cover> = covering
            .iter()
            .filter_map(|c| c.doc.expires().map(|expires_on| Cover { expires_on }))
            .collect();
        let choice = choices.get(item.id.as_str());
        let not_applicable = choice.and_then(|c| c.not_applicable.clone());
        let status = decide(
            item,
            |s| found.get(&s),
            &covers,
            not_applicable.as_deref(),
            today,
        );
        let lines = item
            .evidence
            .iter()
            .filter_map(|s| {
                let f = found.get(s)?;
                let p = evidence::provider(*s)?;
                Some(Line {
                    label: s.label(),
                    summary: f.summary().to_string(),
                    link: p.link(),
                    status: f.status(item.freshness, today),
                })
            })
            .collect();
        counts.add(item, &status);
        items.push(Assessed {
            documents_only: item.evidence == [EvidenceSource::UploadedDocument],
            item: item.clone(),
            status,
            lines,
            documents: covering,
            responsible: choice.map(|c| c.responsible.clone()).unwrap_or_default(),
            not_applicable,
        });
    }
    Ok(Assessment {
        toolkit,
        items,
        counts,
        today,
        documents: docs,
    })
}

/// Works the practice out and stores its readiness figures for operators.
pub async fn refresh_readiness(
    db: &Db,
    scope: &PracticeScope,
    now: i64,
) -> Result<Assessment, sqlx::Error> {
    let a = assess(db, scope, now).await?;
    save_readiness(db, scope, &a, now).await?;
    Ok(a)
}

pub async fn save_readiness(
    db: &Db,
    scope: &PracticeScope,
    a: &Assessment,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::save_readiness(db, scope.practice_id(), &a.toolkit.name(), &a.counts, now).await
}
