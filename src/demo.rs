//! The demo practice, "Riverside Surgery", so a newcomer can sign in and try
//! everything. Seeding is idempotent: running the demo again adds nothing.
//! It fills in every capability, so it sits above them all; a year of
//! culture records is in `culture`.

use crate::auth::accounts::NewAccount;
use crate::auth::{mfa, password, system_scope_for, Role};
use crate::db::Db;
use crate::people::domain::{EmploymentType, JobRole, NewStaff, StartDate};
use crate::people::{departments, practices, staff};
use crate::shared::{EmailAddress, PersonName, PracticeId, StaffId};
use crate::web::AppError;
use crate::with_db;

mod culture;

pub const PRACTICE: &str = "Riverside Surgery";
pub const DOMAIN: &str = "riverside-surgery.example";
pub const MANAGER_EMAIL: &str = "priya.shah@riverside-surgery.example";
const DEMO_KEY_NAME: &str = "Demo (printed by safetynet demo)";

/// (name, job role, department, employment type, start date, champion)
const STAFF: [(&str, &str, &str, &str, &str, bool); 25] = [
    (
        "Priya Shah",
        "Practice manager",
        "Management",
        "permanent",
        "2015-04-01",
        false,
    ),
    (
        "Helen Moss",
        "Assistant practice manager",
        "Management",
        "permanent",
        "2019-09-02",
        false,
    ),
    (
        "Amelia Hughes",
        "Receptionist and care navigator",
        "Reception & care navigation",
        "permanent",
        "2021-01-11",
        false,
    ),
    (
        "Tom Bennett",
        "Receptionist and care navigator",
        "Reception & care navigation",
        "permanent",
        "2023-06-05",
        false,
    ),
    (
        "Fatima Begum",
        "Receptionist and care navigator",
        "Reception & care navigation",
        "permanent",
        "2018-03-19",
        true,
    ),
    (
        "Grace O'Connor",
        "Reception team leader",
        "Reception & care navigation",
        "permanent",
        "2016-10-03",
        false,
    ),
    (
        "Daniel Price",
        "Receptionist",
        "Reception & care navigation",
        "bank",
        "2024-02-12",
        false,
    ),
    (
        "Siân Williams",
        "Receptionist",
        "Reception & care navigation",
        "permanent",
        "2025-08-04",
        false,
    ),
    (
        "Dr Rachel Morgan",
        "GP partner",
        "Clinical",
        "permanent",
        "2009-08-03",
        false,
    ),
    (
        "Dr Imran Qureshi",
        "GP partner",
        "Clinical",
        "permanent",
        "2012-02-01",
        false,
    ),
    (
        "Dr Hannah Clarke",
        "Salaried GP",
        "Clinical",
        "permanent",
        "2020-08-05",
        false,
    ),
    (
        "Dr Oliver Grant",
        "Locum GP",
        "Clinical",
        "locum",
        "2026-09-01",
        false,
    ),
    (
        "Emma Walsh",
        "Practice nurse",
        "Clinical",
        "permanent",
        "2017-05-15",
        true,
    ),
    (
        "Joseph Adeyemi",
        "Advanced nurse practitioner",
        "Clinical",
        "permanent",
        "2019-11-04",
        false,
    ),
    (
        "Chloe Turner",
        "Healthcare assistant",
        "Clinical",
        "permanent",
        "2022-04-25",
        false,
    ),
    (
        "Priyanka Patel",
        "Clinical pharmacist",
        "Clinical",
        "permanent",
        "2021-07-01",
        false,
    ),
    (
        "Liam Foster",
        "Paramedic practitioner",
        "Clinical",
        "permanent",
        "2023-01-09",
        false,
    ),
    (
        "Dr Sophie Reid",
        "GP registrar",
        "Clinical",
        "trainee",
        "2026-08-05",
        false,
    ),
    (
        "Karen Doyle",
        "Medical secretary",
        "Administration & secretaries",
        "permanent",
        "2011-06-13",
        true,
    ),
    (
        "Michael Evans",
        "Medical secretary",
        "Administration & secretaries",
        "permanent",
        "2020-02-17",
        false,
    ),
    (
        "Aisha Rahman",
        "Administrator and notes summariser",
        "Administration & secretaries",
        "permanent",
        "2022-09-12",
        false,
    ),
    (
        "Ruth Jenkins",
        "Prescriptions clerk",
        "Administration & secretaries",
        "permanent",
        "2014-03-03",
        false,
    ),
    (
        "Gareth Lloyd",
        "Dispensary manager",
        "Dispensary",
        "permanent",
        "2013-07-22",
        true,
    ),
    (
        "Nia Roberts",
        "Dispenser",
        "Dispensary",
        "permanent",
        "2021-10-18",
        false,
    ),
    (
        "Ben Carter",
        "Dispenser",
        "Dispensary",
        "fixed_term",
        "2026-05-11",
        false,
    ),
];

pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub totp_secret: String,
    pub recovery_codes: Vec<String>,
    /// A fresh key for the GoPhish-compatible API (the last run's is revoked).
    pub api_key: String,
    pub created: bool,
}

fn email_for(name: &str) -> String {
    let plain: String = name
        .trim_start_matches("Dr ")
        .chars()
        .map(|c| match c {
            'â' => 'a',
            ' ' => '.',
            c => c.to_ascii_lowercase(),
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    format!("{plain}@{DOMAIN}")
}

/// Creates the demo practice if needed, then gives the practice manager a
/// fresh password and recovery codes to print.
pub async fn seed(db: &Db, now: i64) -> Result<DemoLogin, AppError> {
    let existing = practices::find_by_name(db, PRACTICE).await?;
    let created = existing.is_none();
    let practice_id = match existing {
        Some(id) => id,
        None => practices::create_practice(db, PRACTICE, Some("Y99999"), now).await?,
    };
    if created {
        let scope = system_scope_for(practice_id, "seeding the demo practice");
        let depts = departments::known(db, &scope).await?;
        let mut tx = db.begin().await?;
        for (name, role, dept, kind, start, champion) in STAFF {
            let department_id = depts
                .iter()
                .find(|d| d.name == dept)
                .map(|d| d.id)
                .expect("default department");
            let s = NewStaff {
                full_name: PersonName::parse(name).expect("demo name"),
                email: EmailAddress::parse(&email_for(name)).expect("demo email"),
                job_role: JobRole::parse(role).expect("demo role"),
                department_id,
                start_date: Some(StartDate::parse(start).expect("demo date")),
                employment_type: EmploymentType::parse(kind).expect("demo kind"),
            };
            let id = staff::insert(&mut tx, practice_id, &s, now)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{} is on the demo staff list twice", s.email))?;
            if champion {
                let since = crate::ukclock::local_date(now).to_string();
                staff::set_champion(&mut tx, &scope, id, true, &since).await?;
            }
            if s.email.as_str() == MANAGER_EMAIL {
                let manager = NewAccount {
                    email: MANAGER_EMAIL,
                    full_name: name,
                    role: Role::Manager,
                    practice_id: Some(practice_id),
                    staff_id: Some(id),
                };
                crate::people::accounts::open(&mut tx, &manager, now)
                    .await?
                    .map_err(|e| anyhow::anyhow!(e))?;
            }
        }
        tx.commit().await?;
    }
    if created {
        seed_simulation(db, practice_id, now).await?;
        seed_training(db, practice_id, now).await?;
    }
    // A fresh password on every run: it is printed, never stored in plain text.
    let password = format!("{}-{}-{}-{}", word(), word(), word(), word());
    debug_assert!(password::check(&password, &[]).is_ok());
    let hash = password::hash(password.clone()).await?;
    let manager = crate::auth::accounts::find_by_email(db, MANAGER_EMAIL)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo practice has no manager's account"))?;
    let practice_id = manager
        .practice_id
        .ok_or_else(|| anyhow::anyhow!("the demo manager belongs to no practice"))?;
    // A year of culture records, for a dashboard with something on it
    // (also for a demo database seeded before there were any).
    if culture::missing(db, practice_id).await? {
        culture::seed(db, practice_id, manager.id, now).await?;
    }
    let secret = manager.totp_secret.unwrap_or_else(mfa::new_secret);
    // The new sign-in, its recovery codes and the API key (the last run's revoked) commit together.
    let mut tx = db.begin().await?;
    crate::auth::accounts::set_sign_in(&mut tx, manager.id, &hash, &secret).await?;
    let recovery_codes = mfa::replace_recovery_codes(&mut tx, manager.id).await?;
    crate::auth::api_keys::revoke_named(&mut tx, manager.id, DEMO_KEY_NAME, now).await?;
    let api_key =
        crate::auth::api_keys::issue_key(&mut tx, practice_id, manager.id, DEMO_KEY_NAME, now)
            .await?;
    tx.commit().await?;
    Ok(DemoLogin {
        api_key,
        email: MANAGER_EMAIL.into(),
        password,
        totp_secret: secret,
        recovery_codes,
        created,
    })
}

fn word() -> &'static str {
    use rand::seq::SliceRandom;
    const WORDS: [&str; 32] = [
        "kettle", "orbit", "meadow", "lantern", "pebble", "violin", "harbour", "copper", "thistle",
        "saddle", "glacier", "walnut", "quarry", "biscuit", "falcon", "marble", "tundra", "anchor",
        "pepper", "juniper", "canyon", "velvet", "oyster", "piano", "rocket", "hazel", "magnet",
        "willow", "ember", "parsnip", "compass", "badger",
    ];
    WORDS.choose(&mut rand::thread_rng()).expect("non-empty")
}

/// A verified domain, a sending profile for a mail server on this computer,
/// and a few ready-made emails, so a phishing exercise can be tried at once.
async fn seed_simulation(db: &Db, practice_id: PracticeId, now: i64) -> Result<(), AppError> {
    use crate::simulation::{authoring, domains, sending};
    domains::add_alone(db, practice_id, DOMAIN, Some("demo"), now)
        .await?
        .map_err(|e| anyhow::anyhow!(e))?;
    let profile = sending::Profile {
        id: crate::simulation::ids::ProfileId::new(0),
        name: "Test mail server on this computer (127.0.0.1:2525)".into(),
        host: "127.0.0.1".into(),
        port: 2525,
        security: crate::config::SmtpSecurity::None,
        username: String::new(),
        password: String::new(),
        envelope_from: format!("exercises@{DOMAIN}"),
        header_name: sending::DEFAULT_HEADER.into(),
    };
    let mut tx = db.begin().await?;
    sending::repo::insert_profile(&mut tx, practice_id, &profile, "", now).await?;
    tx.commit().await?;
    for lure in [
        "nhsmail-password-expiry",
        "shared-document-consultant",
        "urgent-request-from-partner",
    ] {
        authoring::adopt_alone(db, practice_id, lure, now).await?;
    }
    authoring::add_example(db, practice_id, now).await?;
    Ok(())
}

/// Some training history: about half the team finished their modules a few
/// months ago; everyone else has their role's modules to do within a month.
async fn seed_training(db: &Db, practice_id: PracticeId, now: i64) -> Result<(), AppError> {
    use crate::training::{self, AssignmentKind, NewAssignment};
    let staff: Vec<(StaffId, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 ORDER BY id")
        .bind(practice_id).fetch_all(p).await)?;
    let due =
        crate::ukclock::end_of_day(crate::ukclock::local_date(now) + time::Duration::days(30));
    let curricula = training::curricula::load(db, practice_id).await?;
    let mut tx = db.begin().await?;
    for (i, (staff_id, job_role, employment)) in staff.iter().enumerate() {
        let trained = i % 2 == 0;
        for (k, module) in curricula.for_staff(job_role, employment).iter().enumerate() {
            if trained {
                let at = now - (60 + 7 * (i as i64 + k as i64)) * 86_400;
                let seconds = 540 + 60 * (k as i64 % 4);
                training::record_completed(&mut tx, practice_id, *staff_id, module, at, seconds)
                    .await?;
            } else {
                let new = NewAssignment {
                    staff_id: *staff_id,
                    module,
                    kind: AssignmentKind::Manager,
                    reason: "Assigned by the practice manager",
                    campaign_id: None,
                    assigned_at: now,
                    due_at: Some(due),
                };
                training::assign(&mut tx, practice_id, &new).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
