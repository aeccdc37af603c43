//! The people rules' unit tests (kept apart so the rules read on one screen).
use super::*;
use time::macros::date;

#[test]
fn small_practices_figures_are_not_shown() {
    let p = |active_staff, trained_staff, emails_12m| PracticeSummary {
        id: crate::shared::PracticeId::new(1),
        name: "Riverside".into(),
        ods_code: String::new(),
        active_staff,
        accounts: 4,
        mfa_accounts: 3,
        champions: 1,
        trained_staff,
        emails_12m,
        reported_12m: emails_12m / 2,
        clicked_12m: emails_12m / 10,
        min_group: 5,
    };
    assert_eq!(
        p(4, 0, 0).training_up_to_date(),
        "Not shown: fewer than 5 staff"
    );
    assert_eq!(p(10, 7, 0).training_up_to_date(), "70%");
    assert_eq!(p(10, 0, 0).phishing_12m(), "No exercises");
    assert_eq!(p(10, 0, 4).phishing_12m(), "Not shown: fewer than 5 emails");
    assert_eq!(
        p(10, 0, 20).phishing_12m(),
        "50% reported, 10% clicked (20 emails)"
    );
    // Four accounts are fewer than five: the share could point at someone.
    assert_eq!(p(10, 0, 0).mfa(), "Not shown: fewer than 5 accounts");
    let mut big = p(10, 0, 0);
    big.accounts = 8;
    big.mfa_accounts = 6;
    assert_eq!(big.mfa(), "75%");
}

#[test]
fn account_status_from_the_account_columns() {
    use AccountStatus as A;
    assert_eq!(A::from_columns(None, None, None, None), A::None);
    assert_eq!(
        A::from_columns(Some(false), Some(true), Some(true), Some(false)),
        A::Disabled
    );
    assert_eq!(
        A::from_columns(Some(true), Some(false), Some(false), Some(true)),
        A::Invited
    );
    let manager = A::from_columns(Some(true), Some(true), Some(true), Some(true));
    assert!(manager.is_manager() && manager.mfa());
    assert_eq!(manager.label(), "Practice manager");
    assert_eq!(
        A::from_columns(Some(false), Some(true), None, Some(true)).label(),
        "Active"
    );
}

#[test]
fn employment_types_read_back_and_old_spellings_still_read() {
    for t in EmploymentType::ALL {
        assert_eq!(EmploymentType::from_sql(t.as_str()), Some(t));
    }
    assert_eq!(
        EmploymentType::from_sql("Fixed term"),
        Some(EmploymentType::FixedTerm)
    );
    assert_eq!(Showing::from_query("left"), Showing::Left);
    assert_eq!(Showing::from_query("whatever"), Showing::Current);
}

#[test]
fn job_role_and_department_name() {
    assert_eq!(
        JobRole::parse(" Practice   nurse ").unwrap().as_str(),
        "Practice nurse"
    );
    let e = JobRole::parse("").unwrap_err();
    assert_eq!(e.field, "job_role");
    assert_eq!(
        e.message,
        "Enter a job role, like Receptionist or Practice nurse"
    );
    assert!(JobRole::parse(&"x".repeat(81)).is_err());
    assert!(JobRole::parse(&"x".repeat(80)).is_ok());
    assert!(JobRole::parse("Nurse\u{1b}").is_err());

    let d = DepartmentName::parse(" Reception & care navigation ").unwrap();
    assert_eq!(d.as_str(), "Reception & care navigation");
    assert_eq!(d.to_string(), "Reception & care navigation");
    assert_eq!(DepartmentName::parse(" ").unwrap_err().field, "name");
    assert!(DepartmentName::parse(&"x".repeat(81)).is_err());
}

#[test]
fn employment_type_keys_labels_and_aliases() {
    for t in EmploymentType::ALL {
        assert_eq!(EmploymentType::parse(t.as_str()), Ok(t));
        assert_eq!(EmploymentType::parse(t.label()), Ok(t));
        assert_eq!(EmploymentType::parse(&t.label().to_uppercase()), Ok(t));
    }
    let cases = [
        ("Salaried", EmploymentType::Permanent),
        ("employed", EmploymentType::Permanent),
        ("STAFF", EmploymentType::Permanent),
        ("temp", EmploymentType::FixedTerm),
        ("Temporary", EmploymentType::FixedTerm),
        ("fixed-term", EmploymentType::FixedTerm),
        (" Fixed_Term ", EmploymentType::FixedTerm),
        ("Sessional", EmploymentType::Locum),
        ("Locum GP", EmploymentType::Locum),
        ("agency", EmploymentType::Contractor),
        ("Student", EmploymentType::Trainee),
        ("GP Registrar", EmploymentType::Trainee),
        ("zero-hours", EmploymentType::Bank),
    ];
    for (raw, want) in cases {
        assert_eq!(EmploymentType::parse(raw), Ok(want), "{raw}");
    }
    assert_eq!(EmploymentType::Trainee.to_string(), "Trainee or student");
}

#[test]
fn employment_type_errors_and_default() {
    let e = EmploymentType::parse("Volunteer").unwrap_err();
    assert_eq!(e.field, "employment_type");
    assert_eq!(
        e.message,
        "\"Volunteer\" is not an employment type we recognise. Use one of: Permanent, \
         Fixed term, Locum, Bank, Contractor, Trainee or student"
    );
    assert!(EmploymentType::parse("").is_err());
    assert_eq!(
        EmploymentType::parse_or_default("  "),
        Ok(EmploymentType::Permanent)
    );
    assert_eq!(
        EmploymentType::parse_or_default("bank"),
        Ok(EmploymentType::Bank)
    );
    assert!(EmploymentType::parse_or_default("nope").is_err());
}

#[test]
fn start_date_formats() {
    let sept3 = date!(2024 - 09 - 03);
    for raw in [
        "2024-09-03",
        "03/09/2024",
        "3/9/2024",
        "03-09-2024",
        "03.09.2024",
        "03/09/24",
        " 03/09/2024 ",
        "03/09/2024 00:00",
        "03/09/2024 14:30:00",
        "3/9/2024 9:05 AM",
        "2024-09-03T09:00:00Z",
        "2024-09-03 00:00:00",
        "3 September 2024",
        "3 Sept 2024",
        "03-Sep-24",
        "3rd September 2024",
        "2024/09/03",
    ] {
        let d = StartDate::parse(raw).unwrap_or_else(|e| panic!("{raw}: {}", e.message));
        assert_eq!(d.date(), sept3, "{raw}");
    }
    let d = StartDate::parse("03/09/2024").unwrap();
    assert_eq!(d.as_iso(), "2024-09-03");
    assert_eq!(d.display(), "3 September 2024");
    assert_eq!(d.to_string(), "3 September 2024");
    assert_eq!(
        StartDate::parse("29/02/2024").unwrap().as_iso(),
        "2024-02-29"
    );
    assert_eq!(
        StartDate::parse("01/01/1950").unwrap().as_iso(),
        "1950-01-01"
    );
}

#[test]
fn start_date_rejections_name_what_was_typed() {
    let msg = |raw: &str| {
        let e = StartDate::parse(raw).expect_err(raw);
        assert_eq!(e.field, "start_date");
        e.message
    };
    assert_eq!(
        msg("31/02/2025"),
        "There is no 31 February in 2025. Enter the start date as day/month/year, \
         like 03/09/2024 (you entered \"31/02/2025\")"
    );
    assert_eq!(
        msg("next monday"),
        "Enter the start date as day/month/year, like 03/09/2024 \
         (you entered \"next monday\")"
    );
    assert_eq!(
        msg(""),
        "Enter the start date as day/month/year, like 03/09/2024"
    );
    assert!(msg("29/02/2025").starts_with("There is no 29 February in 2025"));
    assert!(msg("12/31/2024").contains("day/month/year"));
    assert!(msg("32/01/2024").contains("day/month/year"));
    assert!(msg("00/01/2024").contains("day/month/year"));
    assert!(msg("3/9/202").contains("day/month/year"));
    assert!(msg("03/09/2024 lunchtime").contains("day/month/year"));
    assert!(msg("45567").contains("day/month/year"));
    assert!(msg("2024-09").contains("day/month/year"));
    assert!(msg("01/01/1949").contains("between 1950 and 2100"));
    assert!(msg("01/01/2101").contains("between 1950 and 2100"));
    assert!(msg(&"9".repeat(100)).contains("…"));
}
