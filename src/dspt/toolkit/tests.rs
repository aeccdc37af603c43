//! Checks of the DSPT toolkit file as it ships: every entry loads and keeps its rules.

use super::*;
use time::macros::date;

const SHIPPED: &str = include_str!("../../../content/dspt/2025-26.toml");

fn shipped() -> Toolkit {
    load(SHIPPED.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_shipped_file_loads() {
    assert!(!builtin().is_empty());
    assert_eq!(current().year, "2025-26");
}

#[test]
fn the_2025_26_gp_toolkit_has_45_items_29_mandatory() {
    let t = shipped();
    assert_eq!(t.version, "8");
    assert_eq!(t.published, date!(2025 - 09 - 01));
    assert_eq!(t.deadline, date!(2026 - 06 - 30));
    assert_eq!(t.items.len(), 45);
    assert_eq!(t.mandatory_items().count(), 29);
    for id in [
        "4.3.1", "7.1.1", "2.1.1", "3.2.1", "6.1.1", "7.3.4", "8.3.1",
    ] {
        assert!(t.item(id).is_some_and(|i| i.mandatory), "{id} is mandatory");
    }
    assert_eq!(t.item("3.2.1").unwrap().threshold_percent, Some(95));
    assert_eq!(t.standards.len(), 10);
    assert_eq!(t.standard(4).unwrap().title, "Managing data access");
}

#[test]
fn the_items_the_issue_names_are_evidenced_by_safety_nets_records() {
    let t = shipped();
    let has = |id: &str, src: EvidenceSource| {
        assert!(
            t.item(id).unwrap().evidence.contains(&src),
            "{id} ← {src:?}"
        );
    };
    has("2.1.1", EvidenceSource::InductionCompletions);
    has("3.2.1", EvidenceSource::TrainingNeedsAnalysis);
    has("3.2.1", EvidenceSource::StaffTrained12m);
    has("4.3.1", EvidenceSource::AdminAgreements);
    has("4.4.1", EvidenceSource::AuditLog);
    has("6.1.1", EvidenceSource::Incidents);
    has("6.1.1", EvidenceSource::ReportsPerMonth);
    has("7.1.1", EvidenceSource::AssetRegisterReview);
    has("7.1.2", EvidenceSource::PlanTested);
    has("7.1.2", EvidenceSource::PlansApproved);
    has("7.3.2", EvidenceSource::PlansApproved);
    has("7.3.4", EvidenceSource::BackupsAndRestoreTests);
    has("8.1.4", EvidenceSource::UnsupportedSystems);
    has("8.3.1", EvidenceSource::PatchClock);
    has("1.1.5", EvidenceSource::MeetingsStandingItem);
    // Every kind of evidence Safety Net holds is used by some item.
    for src in EvidenceSource::ALL {
        assert!(
            t.items_for(src).next().is_some(),
            "{src:?} evidences nothing"
        );
    }
    assert_eq!(
        t.item("7.1.1").unwrap().freshness,
        Freshness::WithinMonths(12)
    );
}

#[test]
fn mappings_use_only_known_evidence_and_caf_outcome_ids() {
    let t = shipped();
    let pattern = regex_lite::Regex::new(r"^[A-E][0-9]\.[a-z]$").unwrap();
    for (id, _) in CAF_OUTCOMES {
        assert!(pattern.is_match(id), "{id}");
    }
    for item in &t.items {
        assert!(!item.evidence.is_empty(), "{}", item.id);
        for c in &item.caf {
            assert!(
                pattern.is_match(c) && caf_title(c).is_some(),
                "{}: {c}",
                item.id
            );
        }
        assert!(
            !item.caf.is_empty() || item.note.is_some(),
            "{}: no CAF outcome and no note why",
            item.id
        );
        assert_eq!(
            item.standard.to_string(),
            item.id.split('.').next().unwrap()
        );
    }
    assert!(t.item("3.2.1").unwrap().caf.contains(&"B6.b".to_string()));
    assert!(t.item("6.1.1").unwrap().caf.contains(&"B6.a".to_string()));
    for s in &t.sources {
        assert_eq!(url::Url::parse(&s.url).unwrap().scheme(), "https");
    }
}

#[test]
fn freshness_phrases_and_lapse_dates() {
    assert_eq!(
        Freshness::parse("within 12 months"),
        Some(Freshness::WithinMonths(12))
    );
    assert_eq!(
        Freshness::parse("Within 3 years"),
        Some(Freshness::WithinMonths(36))
    );
    assert_eq!(
        Freshness::parse("kept up to date"),
        Some(Freshness::KeptUpToDate)
    );
    assert_eq!(
        Freshness::parse("if it happened"),
        Some(Freshness::IfItHappened)
    );
    for bad in [
        "yearly",
        "within twelve months",
        "within 0 months",
        "within 12 weeks",
        "",
    ] {
        assert_eq!(Freshness::parse(bad), None, "{bad}");
    }
    let f = Freshness::WithinMonths(12);
    assert_eq!(
        f.lapses_on(date!(2025 - 02 - 28)),
        Some(date!(2026 - 02 - 28))
    );
    assert!(f.is_fresh(date!(2025 - 07 - 01), date!(2026 - 06 - 30)));
    assert!(!f.is_fresh(date!(2025 - 07 - 01), date!(2026 - 07 - 01)));
    assert!(Freshness::KeptUpToDate.is_fresh(date!(2001 - 01 - 01), date!(2026 - 07 - 01)));
    assert_eq!(Freshness::WithinMonths(36).describe(), "Within 3 years");
    assert_eq!(f.describe(), "Within 12 months");
}

#[test]
fn the_newest_published_toolkit_applies() {
    let this_year = shipped();
    let mut next_year = shipped();
    next_year.year = "2026-27".into();
    next_year.version = "9".into();
    next_year.published = date!(2026 - 09 - 01);
    let both = [next_year.clone(), this_year.clone()];
    assert_eq!(newest(&both).unwrap().year, "2026-27");
    assert_eq!(newest([&this_year]).unwrap().year, "2025-26");
    assert!(newest(std::iter::empty::<&Toolkit>()).is_none());
}

/// The shipped file with one line replaced, for the error tests.
fn broken(from: &str, to: &str) -> String {
    assert!(SHIPPED.contains(from), "{from}");
    load(SHIPPED.replacen(from, to, 1).as_bytes()).unwrap_err()
}

#[test]
fn broken_files_are_explained_in_plain_english() {
    let e = load(b"this is not toml = = =").unwrap_err();
    assert!(
        e.starts_with("The file is not a valid toolkit file: line 1"),
        "{e}"
    );

    let e = load(&[0xff, 0xfe, 0x00]).unwrap_err();
    assert!(e.contains("not plain text"), "{e}");

    let e = broken(
        "evidence = [\"admin_agreements\"]",
        "evidence = [\"admin_agreement\"]",
    );
    assert!(e.contains("Item 4.3.1: \"admin_agreement\" is not a kind of evidence Safety Net knows. Use one of: induction_completions"), "{e}");

    let e = broken("caf = [\"B2.c\"]", "caf = [\"B2.z\", \"b6b\"]");
    assert!(
        e.contains("Item 4.3.1: \"B2.z\" is not a CAF outcome"),
        "{e}"
    );
    assert!(e.contains("\"b6b\""), "{e}");

    let e = broken(
        "freshness = \"within 12 months\"\ncaf = [\"A3.a\"]",
        "freshness = \"every year\"\ncaf = [\"A3.a\"]",
    );
    assert!(
        e.contains("freshness \"every year\" is not understood"),
        "{e}"
    );

    let e = broken("id = \"4.4.1\"", "id = \"4.3.1\"");
    assert!(e.contains("Item 4.3.1 is listed twice."), "{e}");

    let e = broken("id = \"4.4.1\"", "id = \"4.4\"");
    assert!(e.contains("the id must be three numbers with dots"), "{e}");

    let e = broken("needs = \"all\"", "needs = \"both\"");
    assert!(
        e.contains("Item 1.1.5: needs \"both\" is not understood"),
        "{e}"
    );

    let e = broken("item_count = 45", "item_count = 46");
    assert!(
        e.contains("says it has 46 items (item_count) but lists 45"),
        "{e}"
    );

    let e = broken("year = \"2025-26\"", "year = \"2025\"");
    assert!(
        e.contains("The year must be written like year = \"2025-26\""),
        "{e}"
    );

    let e = broken("deadline = 2026-06-30", "deadline = 2024-06-30");
    assert!(
        e.contains("The deadline must come after the publication date."),
        "{e}"
    );

    let e = broken(
        "audience = \"GP practices\"",
        "audience = \"GP practices\"\ncolour = \"blue\"",
    );
    assert!(e.contains("unknown field `colour`"), "{e}");

    // Several problems at once are all listed, one per line.
    let e = load(
        SHIPPED
            .replacen("evidence = [\"admin_agreements\"]", "evidence = []", 1)
            .replacen("id = \"1.1.1\"", "id = \"11.1.1\"", 1)
            .as_bytes(),
    )
    .unwrap_err();
    assert!(e.lines().count() >= 2, "{e}");
    assert!(
        e.contains("Item 4.3.1: say where its evidence comes from"),
        "{e}"
    );
    assert!(
        e.contains("Item 11.1.1: there is no [[standards]] entry with number = 11."),
        "{e}"
    );

    let huge = vec![b'#'; MAX_FILE_BYTES + 1];
    assert!(load(&huge)
        .unwrap_err()
        .contains("Check you chose the right file"));
}

#[test]
fn the_fingerprint_identifies_the_file() {
    let a = shipped();
    let b = load(format!("{SHIPPED}\n# a comment\n").as_bytes()).unwrap();
    assert_eq!(a.items, b.items);
    assert_ne!(a.fingerprint, b.fingerprint);
    assert_eq!(a.fingerprint.len(), 64);
}
