//! Evidence for item 4.3.1: everyone on the register of administrator
//! access has accepted the agreement within the year (the DSPT's own
//! register, `dspt::admins`). The pack gets the register and each current
//! acceptance with the exact text accepted.

use super::{count, day, Ctx, Files, Finding, Finds, PackFile, Provider};
use crate::dspt::admins::domain::{Access, Standing};
use crate::dspt::admins::repo;
use crate::dspt::agreement::it_administrator;
use crate::dspt::toolkit::EvidenceSource;
use crate::pdf::Document;
use crate::ukclock::local_date;
use crate::web::spreadsheet::Sheet;

pub struct AdminAgreements;

fn current(ctx: &Ctx<'_>, all: Vec<Access>) -> Vec<(Access, Standing)> {
    let version = i64::from(it_administrator().version);
    all.into_iter()
        .map(|a| {
            let s = a.standing(ctx.today, version);
            (a, s)
        })
        .filter(|(_, s)| !s.is_ended())
        .collect()
}

impl Provider for AdminAgreements {
    fn source(&self) -> EvidenceSource {
        EvidenceSource::AdminAgreements
    }
    fn link(&self) -> &'static str {
        "/dspt/administrators"
    }
    fn find<'a>(&'a self, ctx: &'a Ctx<'a>) -> Finds<'a> {
        Box::pin(async move {
            let people = current(ctx, repo::all(ctx.db, ctx.scope).await?);
            if people.is_empty() {
                return Ok(Finding::Missing {
                    summary: "No one is on the register of administrator access yet: list everyone who administers the practice's systems, including the ICB's GP IT staff and suppliers.".into(),
                });
            }
            let waiting: Vec<&str> = people
                .iter()
                .filter(|(_, s)| matches!(s, Standing::Waiting | Standing::OldWording))
                .map(|(a, _)| a.full_name.as_str())
                .collect();
            if !waiting.is_empty() {
                return Ok(Finding::Short {
                    summary: format!(
                        "{} of {} on the register have accepted the agreement. Waiting for: {}.",
                        people.len() - waiting.len(),
                        count(people.len() as i64, "person", "people"),
                        waiting.join(", ")
                    ),
                });
            }
            // Everyone accepted: the evidence lapses with the oldest acceptance.
            let oldest = people
                .iter()
                .filter_map(|(a, _)| a.agreed_at)
                .min()
                .unwrap_or(ctx.now);
            Ok(Finding::Dated {
                on: local_date(oldest),
                summary: format!(
                    "All {} on the register have accepted the agreement; the oldest acceptance is from {}.",
                    count(people.len() as i64, "person", "people"),
                    day(oldest)
                ),
            })
        })
    }
    fn files<'a>(&'a self, ctx: &'a Ctx<'a>) -> Files<'a> {
        Box::pin(async move {
            let all = repo::all(ctx.db, ctx.scope).await?;
            let version = i64::from(it_administrator().version);
            let mut sheet = Sheet::new(&[
                "Name",
                "Email",
                "Organisation",
                "Kind of access",
                "Systems",
                "Agreement",
                "Detail",
            ])?;
            let mut out = Vec::new();
            for a in &all {
                let s = a.standing(ctx.today, version);
                sheet.row([
                    a.full_name.as_str(),
                    a.email.as_str(),
                    a.organisation.as_str(),
                    a.kind(),
                    a.systems.as_str(),
                    s.tag(),
                    &s.explain(),
                ])?;
                if s.is_ended() {
                    continue;
                }
                let Some(g) = repo::accepted(ctx.db, ctx.scope, a.id)
                    .await?
                    .into_iter()
                    .next()
                else {
                    continue;
                };
                let mut doc = Document::new(
                    "IT administrator agreement",
                    &format!(
                        "{} · accepted {} · version {}",
                        a.full_name,
                        crate::ukclock::format(g.agreed_at),
                        g.version
                    ),
                );
                doc.title("IT administrator agreement: acceptance");
                doc.field("Name given", &g.signed_name);
                doc.field("Organisation", &a.organisation);
                doc.field("Access", &format!("{}: {}", a.kind(), a.systems));
                doc.field("Accepted", &crate::ukclock::format(g.agreed_at));
                doc.field("How", &format!("{}, from {}", g.via.label(), g.ip));
                doc.field(
                    "Wording",
                    &format!("Version {}, SHA-256 {}", g.version, g.digest),
                );
                doc.heading("The text accepted");
                markdown_into(&mut doc, &g.text);
                out.push(PackFile {
                    path: format!(
                        "agreements/{}-{}.pdf",
                        a.id,
                        crate::resilience::dates::iso(local_date(g.agreed_at))
                    ),
                    what: format!(
                        "{}'s acceptance of the agreement, with the text accepted",
                        a.full_name
                    ),
                    bytes: doc.finish(),
                });
            }
            out.insert(
                0,
                PackFile {
                    path: "agreements/register.csv".into(),
                    what: "The register of administrator access and where each agreement stands"
                        .into(),
                    bytes: sheet.into_bytes()?,
                },
            );
            Ok(out)
        })
    }
}

/// Our agreement's Markdown laid out plainly: headings, bullets, paragraphs.
fn markdown_into(doc: &mut Document, text: &str) {
    for para in text.split("\n\n") {
        let para = para.trim();
        if let Some(h) = para.strip_prefix("## ") {
            doc.subheading(h.trim());
        } else if let Some(h) = para.strip_prefix("# ") {
            doc.heading(h.trim());
        } else if para.lines().all(|l| l.trim_start().starts_with("- ")) && !para.is_empty() {
            for l in para.lines() {
                doc.bullet(l.trim_start().trim_start_matches("- ").trim());
            }
        } else if !para.is_empty() {
            doc.paragraph(&para.replace('\n', " ").replace("**", ""));
        }
    }
}
