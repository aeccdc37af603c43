//! The staff spreadsheet's reading and checking, on files as Excel and HR
//! systems save them.

use std::collections::HashSet;

use super::*;
use crate::people::domain::EmploymentType;
use crate::web::import::csv as sheet;
use crate::web::import::{Outcome, MAX_FILE_BYTES};

fn departments() -> Vec<KnownDepartment> {
    [
        (1, "Reception & care navigation"),
        (2, "Clinical"),
        (3, "Admin"),
    ]
    .into_iter()
    .map(|(id, name)| KnownDepartment {
        id,
        name: name.to_owned(),
    })
    .collect()
}

fn check(rows: &[RowCells], existing: &[&str]) -> Vec<CheckedRow> {
    let existing: HashSet<String> = existing.iter().map(|e| e.to_string()).collect();
    check_rows(rows, &departments(), &existing)
}

fn read(text: &str) -> Vec<RowCells> {
    read_rows(text.as_bytes()).unwrap_or_else(|p| panic!("{p}"))
}

fn read_problem(bytes: &[u8]) -> String {
    read_rows(bytes).expect_err("should fail")
}

fn ready(row: &CheckedRow) -> &NewStaff {
    match &row.outcome {
        Outcome::Ready(staff) => staff,
        Outcome::Rejected(problems) => panic!("line {}: {problems:?}", row.cells.line),
    }
}

fn rejected(row: &CheckedRow) -> Vec<(&str, &str)> {
    match &row.outcome {
        Outcome::Ready(_) => panic!("line {} was accepted", row.cells.line),
        Outcome::Rejected(problems) => problems
            .iter()
            .map(|p| (p.field.as_str(), p.message.as_str()))
            .collect(),
    }
}

const GOOD: &str = "Name,Email,Job role,Department,Start date,Employment type\n\
    Jane Smith,Jane.Smith@NHS.net,Receptionist,Reception & care navigation,03/09/2024,\n\
    Dr Amir Khan,amir.khan@nhs.net,GP partner,clinical ,,Permanent\n\
    Sam Lee,sam.lee@nhs.net,Practice nurse,Clinical,2023-01-15,Locum\n";

#[test]
fn good_file_becomes_ready_rows() {
    let rows = read(GOOD);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        RowCells {
            line: 2,
            full_name: "Jane Smith".into(),
            email: "Jane.Smith@NHS.net".into(),
            job_role: "Receptionist".into(),
            department: "Reception & care navigation".into(),
            start_date: "03/09/2024".into(),
            employment_type: "".into(),
        }
    );
    assert_eq!(rows[1].department, "clinical", "cells are trimmed");
    assert_eq!(rows[2].line, 4);

    let checked = check(&rows, &[]);
    let jane = ready(&checked[0]);
    assert_eq!(jane.email.as_str(), "jane.smith@nhs.net");
    assert_eq!(jane.department_id, 1);
    assert_eq!(jane.start_date.unwrap().as_iso(), "2024-09-03");
    assert_eq!(jane.employment_type, EmploymentType::Permanent);
    let amir = ready(&checked[1]);
    assert_eq!(amir.department_id, 2);
    assert_eq!(amir.start_date, None);
    assert_eq!(ready(&checked[2]).employment_type, EmploymentType::Locum);
}

#[test]
fn excel_csv_utf8_with_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        "Name,Email,Job role,Department\nSiân Jones,sian@nhs.net,GP,Clinical\r\n".as_bytes(),
    );
    let rows = read_rows(&bytes).unwrap();
    assert_eq!(rows[0].full_name, "Siân Jones");
    assert!(matches!(check(&rows, &[])[0].outcome, Outcome::Ready(_)));
}

#[test]
fn excel_plain_csv_is_windows_1252() {
    // "Siân O’Brien", "Zoë" and "£" as Excel writes them on UK Windows.
    let bytes = b"Name,Email,Job role,Department\r\n\
        Si\xE2n O\x92Brien,sian@nhs.net,Practice manager (\xA3 budget),Admin\r\n\
        Zo\xEB Hart,zoe@nhs.net,Receptionist,Reception & care navigation\r\n";
    assert_eq!(
        sheet::decode(bytes).lines().nth(1).unwrap(),
        "Siân O’Brien,sian@nhs.net,Practice manager (£ budget),Admin"
    );
    let rows = read_rows(bytes).unwrap();
    assert_eq!(rows[0].full_name, "Siân O’Brien");
    assert_eq!(rows[1].full_name, "Zoë Hart");
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
    let checked = check(&rows, &[]);
    assert_eq!(ready(&checked[0]).full_name.as_str(), "Siân O’Brien");
    assert_eq!(ready(&checked[1]).full_name.as_str(), "Zoë Hart");
}

#[test]
fn excel_unicode_text_is_utf16_with_tabs() {
    let text = "Name\tEmail\tJob role\tDepartment\r\nZoë Hart\tzoe@nhs.net\tNurse\tClinical\r\n";
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [le, be] {
        let rows = read_rows(&bytes).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].full_name, "Zoë Hart");
        assert_eq!(rows[0].department, "Clinical");
        assert_eq!(rows[0].line, 2);
    }
}

#[test]
fn semicolon_and_tab_delimiters() {
    let rows = read("Name;Email;Job role;Department\nJane Smith;jane@nhs.net;GP;Clinical\n");
    assert_eq!(rows[0].email, "jane@nhs.net");
    assert_eq!(rows[0].department, "Clinical");
    let rows = read("Name\tEmail\tJob role\tDepartment\nJane Smith\tjane@nhs.net\tGP\tClinical\n");
    assert_eq!(rows[0].job_role, "GP");
    // A comma in the header means commas, even if a heading has a semicolon in it.
    let rows = read("Name,Email,Job role,Department,Notes; misc\nA B,a@nhs.net,GP,Clinical\n");
    assert_eq!(rows[0].full_name, "A B");
}

#[test]
fn first_and_last_name_columns_are_joined() {
    let rows = read(
        "Title,Forename,Surname,E-mail,Job Title,Dept.\n\
         Dr,Amir,Khan,amir@nhs.net,GP partner,Clinical\n\
         Ms,,Cher,cher@nhs.net,Receptionist,Admin\n",
    );
    assert_eq!(rows[0].full_name, "Amir Khan");
    assert_eq!(rows[0].job_role, "GP partner", "Job title beats Title");
    assert_eq!(rows[1].full_name, "Cher");
    let checked = check(&rows, &[]);
    assert_eq!(ready(&checked[0]).department_id, 2);
}

#[test]
fn header_matching_ignores_case_spacing_and_notes() {
    let rows = read(
        "STAFF_NAME, Email Address ,Role,Team,Notes,Start Date (DD/MM/YYYY),Contract type\n\
         Jane Smith,jane@nhs.net,GP,Clinical,likes tea,1/2/2020,Bank\n",
    );
    assert_eq!(
        rows[0],
        RowCells {
            line: 2,
            full_name: "Jane Smith".into(),
            email: "jane@nhs.net".into(),
            job_role: "GP".into(),
            department: "Clinical".into(),
            start_date: "1/2/2020".into(),
            employment_type: "Bank".into(),
        }
    );
}

#[test]
fn per_row_errors_with_line_numbers() {
    let rows = read(
        "Name,Email,Job role,Department\n\
         Jane Smith,jane@nhs.net,GP,Clinical\n\
         Bad Email,bad@@nhs.net,GP,Clinical\n\
         Typo Dept,typo@nhs.net,Receptionist,Recepton\n\
         Jane Again,JANE@nhs.net,GP,Clinical\n\
         Old Hand,old@nhs.net,Nurse,Clinical\n\
         ,noname@nhs.net,Nurse,Clinical\n",
    );
    let checked = check(&rows, &["old@nhs.net"]);
    let lines: Vec<usize> = checked.iter().map(|r| r.cells.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    ready(&checked[0]);
    assert_eq!(rejected(&checked[1])[0].0, "email");
    assert_eq!(
        rejected(&checked[2]),
        [(
            "department",
            "\"Recepton\" is not one of this practice's departments (Reception & care \
             navigation, Clinical, Admin). Add the department first or correct the spelling."
        )]
    );
    assert_eq!(
        rejected(&checked[3]),
        [("email", "This email address is also on line 2")]
    );
    assert_eq!(
        rejected(&checked[4]),
        [("email", "old@nhs.net is already on the staff list")]
    );
    assert_eq!(
        rejected(&checked[5]),
        [("full_name", "Enter the person's full name")]
    );
}

#[test]
fn every_later_duplicate_points_to_the_first() {
    let rows = read(
        "Name,Email,Job role,Department\n\
         A One,dup@nhs.net,GP,Clinical\n\
         B Two,dup@nhs.net,GP,Clinical\n\
         C Three,Dup@NHS.net,GP,Clinical\n\
         D Four,old@nhs.net,GP,Clinical\n\
         E Five,old@nhs.net,GP,Clinical\n",
    );
    let checked = check(&rows, &["old@nhs.net"]);
    ready(&checked[0]);
    for row in &checked[1..3] {
        assert_eq!(
            rejected(row),
            [("email", "This email address is also on line 2")]
        );
    }
    for row in &checked[3..] {
        assert_eq!(
            rejected(row),
            [("email", "old@nhs.net is already on the staff list")]
        );
    }
}

#[test]
fn a_row_with_several_problems_lists_them_all() {
    let rows = read(
        "Name,Email,Job role,Department,Start date,Employment type\n\
         123,jane@nhs,,Nowhere,31/02/2025,Volunteer\n",
    );
    let checked = check(&rows, &[]);
    let problems = rejected(&checked[0]);
    let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        fields,
        [
            "full_name",
            "email",
            "job_role",
            "department",
            "start_date",
            "employment_type"
        ]
    );
}

#[test]
fn department_matching_and_messages() {
    let row = |department: &str| RowCells {
        line: 2,
        full_name: "Jane Smith".into(),
        email: "jane@nhs.net".into(),
        job_role: "GP".into(),
        department: department.into(),
        start_date: String::new(),
        employment_type: String::new(),
    };
    let checked = check(&[row("  RECEPTION   &  care navigation ")], &[]);
    assert_eq!(ready(&checked[0]).department_id, 1);
    assert_eq!(
        rejected(&check(&[row("")], &[])[0]),
        [(
            "department",
            "Enter a department (Reception & care navigation, Clinical, Admin)"
        )]
    );

    let many: Vec<KnownDepartment> = (1..=12)
        .map(|id| KnownDepartment {
            id,
            name: format!("Team {id}"),
        })
        .collect();
    let checked = check_rows(&[row("Nope")], &many, &HashSet::new());
    assert!(rejected(&checked[0])[0].1.contains("Team 10, and 2 more)"));
    let checked = check_rows(&[row("Clinical")], &[], &HashSet::new());
    assert!(rejected(&checked[0])[0]
        .1
        .contains("(this practice has no departments yet)"));
}

#[test]
fn missing_columns_are_named() {
    assert_eq!(
        read_problem(b"Name,Job title,Notes\nJane,GP,x\n"),
        "The file has no column for: Email, Department. The first row must name the \
         columns, for example: Name,Email,Job role,Department,Start date,Employment type. \
         The first row of your file has: \"Name\", \"Job title\", \"Notes\"."
    );
    assert!(read_problem(b"Forename,Email,Role,Team\n")
        .starts_with("The file has no column for: Last name."));
    assert!(read_problem(b"Jane Smith,jane@nhs.net,GP,Clinical\n")
        .contains("looks like a person's details"));
}

#[test]
fn empty_and_header_only_files() {
    assert!(read_problem(b"").starts_with("The file is empty"));
    assert!(read_problem(b"\r\n  \n,,,\n").starts_with("The file is empty"));
    assert!(read_problem(b"\xEF\xBB\xBF").starts_with("The file is empty"));
    assert!(read_problem(b"Name,Email,Job role,Department\n,,,\n").contains("no staff in it"));
}

#[test]
fn oversized_file_is_refused() {
    let bytes = vec![b'a'; MAX_FILE_BYTES + 1];
    assert_eq!(
        read_problem(&bytes),
        "The file is larger than 5 MB. Split it into smaller files and import them one \
         at a time."
    );
}

#[test]
fn row_limit() {
    let mut text = String::from("Name,Email,Role,Dept\n");
    for i in 0..MAX_ROWS {
        text.push_str(&format!("P {i},p{i}@nhs.net,GP,Clinical\n"));
    }
    assert!(text.len() <= MAX_FILE_BYTES);
    let rows = read(&text);
    assert_eq!(rows.len(), MAX_ROWS);
    assert_eq!(rows[MAX_ROWS - 1].line, MAX_ROWS + 1);
    let checked = check(&rows, &["p7@nhs.net"]);
    let rejected_count = checked
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Rejected(_)))
        .count();
    assert_eq!(rejected_count, 1);

    text.push_str("One More,one.more@nhs.net,GP,Clinical\n");
    assert!(read_problem(text.as_bytes()).contains("more than 50,000"));
}

#[test]
fn quoted_cells_keep_commas_and_line_breaks() {
    let rows = read(
        "Name,Email,Job role,Department\n\
         \"Smith, Jane\",jane@nhs.net,\"GP, partner\",Clinical\n\
         \"Amir\nKhan\",amir@nhs.net,\"Nurse \"\"lead\"\"\",Clinical\n\
         Sam Lee,sam@nhs.net,Admin,Admin\n\
         \n\
         \r\n\
         Pat Doe,pat@nhs.net,Admin,Admin\n",
    );
    assert_eq!(rows[0].full_name, "Smith, Jane");
    assert_eq!(rows[0].job_role, "GP, partner");
    assert_eq!(rows[1].full_name, "Amir\nKhan");
    assert_eq!(rows[1].job_role, "Nurse \"lead\"");
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 5, 8]);
    let checked = check(&rows, &[]);
    assert_eq!(ready(&checked[1]).full_name.as_str(), "Amir Khan");
}

#[test]
fn unclosed_quote_names_the_line() {
    let problem = read_problem(
        b"Name,Email,Job role,Department\n\
          Jane Smith,jane@nhs.net,GP,Clinical\n\
          \"Amir Khan,amir@nhs.net,GP,Clinical\n\
          Sam Lee,sam@nhs.net,Admin,Admin\n",
    );
    assert!(
        problem.starts_with("Line 3 has a quotation mark"),
        "{problem}"
    );
    // A quote inside an unquoted cell is just a character.
    let rows = read("Name,Email,Job role,Department\nJ \"JJ\" Smith,j@nhs.net,GP,Clinical\n");
    assert_eq!(rows[0].full_name, "J \"JJ\" Smith");
}

#[test]
fn ragged_and_blank_rows() {
    let rows = read(
        "\n\nName,Email,Job role,Department,Start date\n\
         Jane Smith,jane@nhs.net,GP\n\
         ,,,,\n\
         Sam Lee,sam@nhs.net,Admin,Admin,01/01/2020,extra,cells\n\
         ,,,,,,only a note\n",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].line, rows[1].line), (4, 6));
    assert_eq!(rows[0].department, "");
    assert_eq!(rows[1].start_date, "01/01/2020");
    assert_eq!(
        rejected(&check(&rows, &[])[0]),
        [(
            "department",
            "Enter a department (Reception & care navigation, Clinical, Admin)"
        )]
    );
}

#[test]
fn european_excel_blank_rows_before_the_header() {
    let rows = read(";;;\nName;Email;Job role;Department\n;;;\nA B;a@nhs.net;GP;Clinical\n");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 4);
}

#[test]
fn old_mac_line_endings() {
    let rows = read(
        "Name,Email,Job role,Department\rA B,a@nhs.net,GP,Clinical\rC D,c@nhs.net,GP,Clinical\r",
    );
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn row_cells_round_trip_as_json() {
    let rows = read(GOOD);
    let json = serde_json::to_string(&rows).unwrap();
    let back: Vec<RowCells> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rows);
}
