//! The demo practice, "Riverside Surgery", so a newcomer can sign in and try
//! everything. Seeding is idempotent: running the demo again adds nothing.
//! It fills in every capability, so it sits above them all.

use crate::auth::{mfa, password, system_scope_for, Role};
use crate::db::Db;
use crate::people::csv_import::NewStaff;
use crate::people::domain::{EmploymentType, JobRole, StartDate};
use crate::people::{departments, practices};
use crate::shared::{EmailAddress, PersonName, PracticeId, StaffId, UserId};
use crate::web::AppError;
use crate::with_db;

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
        departments::create_defaults(db, practice_id, now).await?;
        let depts: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as("SELECT id, name FROM departments WHERE practice_id = $1")
            .bind(practice_id).fetch_all(p).await)?;
        let scope = system_scope_for(practice_id, "seeding the demo practice");
        for (name, role, dept, kind, start, champion) in STAFF {
            let department_id = depts
                .iter()
                .find(|(_, n)| n == dept)
                .map(|(id, _)| *id)
                .expect("default department");
            let s = NewStaff {
                full_name: PersonName::parse(name).expect("demo name"),
                email: EmailAddress::parse(&email_for(name)).expect("demo email"),
                job_role: JobRole::parse(role).expect("demo role"),
                department_id,
                start_date: Some(StartDate::parse(start).expect("demo date")),
                employment_type: EmploymentType::parse(kind).expect("demo kind"),
            };
            let id = crate::people::staff::insert(db, &scope, &s, now)
                .await?
                .map_err(|e| anyhow::anyhow!("{:?}", e.0))?;
            if champion {
                with_db!(db, p => sqlx::query("UPDATE staff SET is_champion = TRUE WHERE id = $1").bind(id).execute(p).await.map(|r| r.rows_affected()))?;
            }
            if s.email.as_str() == MANAGER_EMAIL {
                crate::people::accounts::create_user(
                    db,
                    MANAGER_EMAIL,
                    name,
                    Role::Manager,
                    Some(practice_id),
                    Some(id),
                    now,
                )
                .await?
                .map_err(|e| anyhow::anyhow!(e))?;
            }
        }
    }
    if created {
        seed_simulation(db, practice_id, now).await?;
        seed_training(db, practice_id, now).await?;
    }
    // A fresh password on every run: it is printed, never stored in plain text.
    let password = format!("{}-{}-{}-{}", word(), word(), word(), word());
    debug_assert!(password::check(&password, &[]).is_ok());
    let hash = password::hash(password.clone()).await?;
    let (user_id, secret): (UserId, Option<String>) = with_db!(db, p => sqlx::query_as("SELECT id, totp_secret FROM users WHERE email = $1").bind(MANAGER_EMAIL).fetch_one(p).await)?;
    let secret = secret.unwrap_or_else(mfa::new_secret);
    with_db!(db, p => sqlx::query("UPDATE users SET password_hash = $1, totp_secret = $2, active = TRUE WHERE id = $3")
        .bind(&hash).bind(&secret).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
    let recovery_codes = mfa::regenerate_recovery_codes(db, user_id).await?;
    let (practice_id,): (PracticeId,) = with_db!(db, p => sqlx::query_as("SELECT practice_id FROM users WHERE id = $1").bind(user_id).fetch_one(p).await)?;
    with_db!(db, p => sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND name = $3 AND revoked_at IS NULL")
        .bind(now).bind(user_id).bind(DEMO_KEY_NAME).execute(p).await.map(|r| r.rows_affected()))?;
    let api_key =
        crate::simulation::gophish::keys::create_key(db, practice_id, user_id, DEMO_KEY_NAME, now)
            .await?;
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
    use crate::training::assignments::{self, Kind};
    let staff: Vec<(StaffId, String, String)> = with_db!(db, p => sqlx::query_as(
        "SELECT id, job_role, employment_type FROM staff WHERE practice_id = $1 ORDER BY id")
        .bind(practice_id).fetch_all(p).await)?;
    let due =
        crate::ukclock::end_of_day(crate::ukclock::local_date(now) + time::Duration::days(30));
    for (i, (staff_id, job_role, employment)) in staff.iter().enumerate() {
        let modules =
            assignments::curriculum_for_staff(db, practice_id, job_role, employment).await?;
        let trained = i % 2 == 0;
        for (k, module) in modules.iter().enumerate() {
            if trained {
                let at = now - (60 + 7 * (i as i64 + k as i64)) * 86_400;
                let (attempt,): (i64,) = with_db!(db, p => sqlx::query_as(
                    "INSERT INTO quiz_attempts (practice_id, staff_id, module, questions, started_at, submitted_at, answers, score, passed) \
                     VALUES ($1, $2, $3, '', $4, $5, '', 6, TRUE) RETURNING id")
                    .bind(practice_id).bind(staff_id).bind(module).bind(at - 300).bind(at).fetch_one(p).await)?;
                with_db!(db, p => sqlx::query(
                    "INSERT INTO training_completions (practice_id, staff_id, module, completed_at, seconds, score, total, attempt_id) \
                     VALUES ($1, $2, $3, $4, $5, 6, 6, $6)")
                    .bind(practice_id).bind(staff_id).bind(module).bind(at).bind(540 + 60 * (k as i64 % 4)).bind(attempt)
                    .execute(p).await.map(|r| r.rows_affected()))?;
            } else {
                assignments::assign(
                    db,
                    practice_id,
                    *staff_id,
                    module,
                    Kind::Manager,
                    "Assigned by the practice manager",
                    now,
                    Some(due),
                )
                .await?;
            }
        }
    }
    Ok(())
}
