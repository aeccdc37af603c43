//! How each toolkit item's status is decided, with no I/O: from what each
//! kind of evidence shows ([`Finding`], found by `evidence`), the documents
//! uploaded for the item, and whether the manager said it does not apply.
//!
//! An item is **ready**, **out of date** (with the day it lapsed),
//! **missing**, or **not applicable** (with the reason). Dated evidence counts
//! for the item's freshness ("within 12 months"); a document counts until
//! the day it expires. An item needing any one kind of evidence takes the
//! best of them, one needing all of them the worst; any item can also be
//! covered by an uploaded document.

use time::Date;

use super::toolkit::{EvidenceSource, Freshness, Item, Needs};

/// What one kind of evidence shows for the practice, with a sentence saying
/// what Safety Net holds (and, when it falls short, what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Evidence dated `on` (the newest that counts: a review, a test).
    Dated { on: Date, summary: String },
    /// Evidence of how things stand now, with no date to lapse.
    Current { summary: String },
    /// Something is recorded but it falls short of what the item asks.
    Short { summary: String },
    /// Nothing is recorded in Safety Net.
    Missing { summary: String },
    /// What the item asks about did not happen (no incidents this year).
    NothingHappened { summary: String },
}

impl Finding {
    pub fn summary(&self) -> &str {
        match self {
            Finding::Dated { summary, .. }
            | Finding::Current { summary }
            | Finding::Short { summary }
            | Finding::Missing { summary }
            | Finding::NothingHappened { summary } => summary,
        }
    }

    /// The status this evidence gives an item with `freshness` on `today`.
    pub fn status(&self, freshness: Freshness, today: Date) -> Status {
        match self {
            Finding::Dated { on, .. } => match freshness.lapses_on(*on) {
                Some(lapsed) if today >= lapsed => Status::OutOfDate { lapsed },
                until => Status::Ready { until },
            },
            Finding::Current { .. } => Status::Ready { until: None },
            Finding::Short { .. } | Finding::Missing { .. } => Status::Missing,
            Finding::NothingHappened { summary } if freshness == Freshness::IfItHappened => {
                Status::NotApplicable {
                    reason: summary.clone(),
                }
            }
            Finding::NothingHappened { .. } => Status::Missing,
        }
    }
}

/// Where an item (or one kind of its evidence) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Counts; `until` is the day it stops counting, if it lapses.
    Ready {
        until: Option<Date>,
    },
    OutOfDate {
        lapsed: Date,
    },
    Missing,
    NotApplicable {
        reason: String,
    },
}

impl Status {
    fn rank(&self) -> u8 {
        match self {
            Status::Missing => 0,
            Status::OutOfDate { .. } => 1,
            Status::NotApplicable { .. } => 2,
            Status::Ready { .. } => 3,
        }
    }

    /// For ties: the later a ready item lapses, or the later it lapsed, the better.
    fn tie(&self) -> Option<Date> {
        match self {
            Status::Ready { until: None } => Some(Date::MAX),
            Status::Ready { until } => *until,
            Status::OutOfDate { lapsed } => Some(*lapsed),
            _ => None,
        }
    }

    fn better(a: Status, b: Status) -> Status {
        if (b.rank(), b.tie()) > (a.rank(), a.tie()) {
            b
        } else {
            a
        }
    }

    fn worse(a: Status, b: Status) -> Status {
        if (b.rank(), b.tie()) < (a.rank(), a.tie()) {
            b
        } else {
            a
        }
    }

    /// The key the readiness figures and tests use.
    pub fn key(&self) -> &'static str {
        match self {
            Status::Ready { .. } => "ready",
            Status::OutOfDate { .. } => "out_of_date",
            Status::Missing => "missing",
            Status::NotApplicable { .. } => "not_applicable",
        }
    }

    /// The tag's words.
    pub fn tag(&self) -> &'static str {
        match self {
            Status::Ready { .. } => "Evidence ready",
            Status::OutOfDate { .. } => "Evidence out of date",
            Status::Missing => "Evidence missing",
            Status::NotApplicable { .. } => "Not applicable",
        }
    }

    /// The NHS.UK tag colour.
    pub fn tag_class(&self) -> &'static str {
        match self {
            Status::Ready { .. } => "nhsuk-tag--green",
            Status::OutOfDate { .. } => "nhsuk-tag--orange",
            Status::Missing => "nhsuk-tag--red",
            Status::NotApplicable { .. } => "nhsuk-tag--grey",
        }
    }

    /// The line under the tag: when it lapses or lapsed, or why it does not apply.
    pub fn explain(&self) -> String {
        match self {
            Status::Ready { until: Some(d) } => format!("Counts until {}", short_date(*d)),
            Status::Ready { until: None } => String::new(),
            Status::OutOfDate { lapsed } => format!("Lapsed on {}", short_date(*lapsed)),
            Status::Missing => String::new(),
            Status::NotApplicable { reason } => reason.clone(),
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self, Status::Ready { .. })
    }
}

/// "4 Dec 2026".
pub fn short_date(d: Date) -> String {
    let fmt = time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    d.format(fmt).unwrap_or_default()
}

/// An uploaded document that covers an item, as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cover {
    /// The first day it no longer counts.
    pub expires_on: Date,
}

impl Cover {
    fn status(&self, today: Date) -> Status {
        if today >= self.expires_on {
            Status::OutOfDate {
                lapsed: self.expires_on,
            }
        } else {
            Status::Ready {
                until: Some(self.expires_on),
            }
        }
    }
}

/// The item's status on `today`: `found` gives the finding for each kind of
/// evidence the item lists (a kind with none counts as missing), `covers`
/// the documents uploaded for it, and `not_applicable` the manager's reason
/// when they said it does not apply (which decides).
pub fn decide<'a>(
    item: &Item,
    found: impl Fn(EvidenceSource) -> Option<&'a Finding>,
    covers: &[Cover],
    not_applicable: Option<&str>,
    today: Date,
) -> Status {
    if let Some(reason) = not_applicable {
        return Status::NotApplicable {
            reason: reason.to_string(),
        };
    }
    let documents = covers
        .iter()
        .map(|c| c.status(today))
        .fold(Status::Missing, Status::better);
    let mut listed = item.evidence.iter().map(|&source| match source {
        EvidenceSource::UploadedDocument => documents.clone(),
        other => found(other).map_or(Status::Missing, |f| f.status(item.freshness, today)),
    });
    let first = listed.next().unwrap_or(Status::Missing);
    let combined = match item.needs {
        Needs::Any => listed.fold(first, Status::better),
        Needs::All => listed.fold(first, Status::worse),
    };
    if item.evidence.contains(&EvidenceSource::UploadedDocument) {
        combined
    } else {
        // An uploaded document can stand for any item.
        Status::better(combined, documents)
    }
}

/// How many items stand where: the page's summary, the pack's and the
/// operator's readiness figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub ready: i64,
    pub out_of_date: i64,
    pub missing: i64,
    pub not_applicable: i64,
    /// Mandatory items neither ready nor not applicable, by number.
    pub mandatory_not_ready: Vec<String>,
}

impl Counts {
    pub fn add(&mut self, item: &Item, status: &Status) {
        match status {
            Status::Ready { .. } => self.ready += 1,
            Status::OutOfDate { .. } => self.out_of_date += 1,
            Status::Missing => self.missing += 1,
            Status::NotApplicable { .. } => self.not_applicable += 1,
        }
        if item.mandatory && matches!(status, Status::Missing | Status::OutOfDate { .. }) {
            self.mandatory_not_ready.push(item.id.clone());
        }
    }

    /// "30 ready, 5 out of date, 8 missing, 2 not applicable".
    pub fn sentence(&self) -> String {
        format!(
            "{} ready, {} out of date, {} missing, {} not applicable",
            self.ready, self.out_of_date, self.missing, self.not_applicable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dspt::toolkit::current;
    use time::macros::date;

    fn item(id: &str) -> Item {
        current().item(id).unwrap().clone()
    }

    fn dated(on: Date) -> Finding {
        Finding::Dated {
            on,
            summary: "x".into(),
        }
    }

    #[test]
    fn evidence_lapses_twelve_months_after_its_date() {
        let review = item("7.1.1");
        let f = dated(date!(2025 - 12 - 04));
        let found = |_| Some(&f);
        assert_eq!(
            decide(&review, found, &[], None, date!(2026 - 12 - 03)),
            Status::Ready {
                until: Some(date!(2026 - 12 - 04))
            }
        );
        let lapsed = decide(&review, found, &[], None, date!(2026 - 12 - 04));
        assert_eq!(
            lapsed,
            Status::OutOfDate {
                lapsed: date!(2026 - 12 - 04)
            }
        );
        assert_eq!(lapsed.explain(), "Lapsed on 4 Dec 2026");
        assert_eq!(
            decide(&review, |_| None, &[], None, date!(2026 - 12 - 04)),
            Status::Missing
        );
    }

    #[test]
    fn items_needing_all_evidence_take_the_worst_and_any_the_best() {
        // 3.2.1 needs the training figures and the training needs analysis.
        let trained = item("3.2.1");
        let ok = Finding::Current {
            summary: "96%".into(),
        };
        let old_tna = dated(date!(2025 - 01 - 10));
        let both = |s| match s {
            EvidenceSource::StaffTrained12m => Some(&ok),
            _ => Some(&old_tna),
        };
        assert_eq!(
            decide(&trained, both, &[], None, date!(2026 - 03 - 01)),
            Status::OutOfDate {
                lapsed: date!(2026 - 01 - 10)
            }
        );
        // 6.1.1 is shown by incidents or by reports: one is enough.
        let reporting = item("6.1.1");
        let none = Finding::Missing {
            summary: "none".into(),
        };
        let recent = dated(date!(2026 - 02 - 01));
        let either = |s| match s {
            EvidenceSource::Incidents => Some(&recent),
            _ => Some(&none),
        };
        assert!(decide(&reporting, either, &[], None, date!(2026 - 03 - 01)).is_ready());
    }

    #[test]
    fn a_document_covers_any_item_until_it_expires() {
        let mfa = item("4.5.3");
        let cover = [Cover {
            expires_on: date!(2026 - 07 - 01),
        }];
        assert!(decide(&mfa, |_| None, &cover, None, date!(2026 - 06 - 30)).is_ready());
        assert_eq!(
            decide(&mfa, |_| None, &cover, None, date!(2026 - 07 - 01)),
            Status::OutOfDate {
                lapsed: date!(2026 - 07 - 01)
            }
        );
        // An item evidenced in Safety Net can still be covered by a document.
        let review = item("7.1.1");
        assert!(decide(&review, |_| None, &cover, None, date!(2026 - 06 - 01)).is_ready());
        // The newest of several documents counts.
        let two = [
            Cover {
                expires_on: date!(2026 - 01 - 01),
            },
            Cover {
                expires_on: date!(2027 - 01 - 01),
            },
        ];
        assert_eq!(
            decide(&mfa, |_| None, &two, None, date!(2026 - 06 - 01)),
            Status::Ready {
                until: Some(date!(2027 - 01 - 01))
            }
        );
    }

    #[test]
    fn nothing_happened_means_not_applicable_only_where_the_item_says_so() {
        let quiet = Finding::NothingHappened {
            summary: "No incidents recorded in the last 12 months.".into(),
        };
        let breach_told = item("6.1.3");
        assert_eq!(
            decide(
                &breach_told,
                |_| Some(&quiet),
                &[],
                None,
                date!(2026 - 03 - 01)
            ),
            Status::NotApplicable {
                reason: "No incidents recorded in the last 12 months.".into()
            }
        );
        let reporting = item("6.1.1");
        assert_eq!(
            decide(
                &reporting,
                |_| Some(&quiet),
                &[],
                None,
                date!(2026 - 03 - 01)
            ),
            Status::Missing
        );
        // The manager's own reason decides.
        assert_eq!(
            decide(
                &reporting,
                |_| None,
                &[],
                Some("We have no website"),
                date!(2026 - 03 - 01)
            )
            .explain(),
            "We have no website"
        );
    }

    #[test]
    fn counts_name_the_mandatory_items_not_ready() {
        let mut c = Counts::default();
        c.add(&item("4.3.1"), &Status::Missing);
        c.add(
            &item("7.1.1"),
            &Status::OutOfDate {
                lapsed: date!(2026 - 01 - 01),
            },
        );
        c.add(&item("8.3.8"), &Status::Missing);
        c.add(&item("1.1.1"), &Status::Ready { until: None });
        assert_eq!(c.mandatory_not_ready, ["4.3.1", "7.1.1"]);
        assert_eq!(
            c.sentence(),
            "1 ready, 1 out of date, 2 missing, 0 not applicable"
        );
        assert_eq!(short_date(date!(2026 - 12 - 04)), "4 Dec 2026");
    }
}
