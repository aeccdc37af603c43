//! Sending profiles: the mail server simulated emails go through.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::AsyncTransport;
use serde::Deserialize;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::{ManagerScope, PracticeScope};
use crate::config::{SmtpSecurity, SmtpSettings};
use crate::db::Db;
use crate::net::outbound::{FailureKind, Policy};
use crate::shared::{AppState, EmailAddress};
use crate::web::{render, AppError, ClientIp, FieldErrors, Page, Path, ValidForm};
use crate::with_db;

/// The header that marks every simulated email, so mail administrators can
/// allow-list or filter them. Its name can be changed per profile.
pub const DEFAULT_HEADER: &str = "X-Safety-Net-Simulation";

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: String,
    pub envelope_from: String,
    pub header_name: String,
}

impl Profile {
    pub fn smtp(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.host.clone(),
            port: self.port,
            security: self.security,
            username: self.username.clone(),
            password: self.password.clone(),
            from: self.envelope_from.clone(),
            ca_file: None,
        }
    }
    pub fn security_label(&self) -> &'static str {
        match self.security {
            SmtpSecurity::None => "No encryption",
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS",
        }
    }
}

type Row = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
);
const COLUMNS: &str =
    "id, name, host, port, security, username, password, envelope_from, header_name";

fn profile(r: Row) -> Profile {
    Profile {
        id: r.0,
        name: r.1,
        host: r.2,
        port: u16::try_from(r.3).unwrap_or(25),
        security: match r.4.as_str() {
            "none" => SmtpSecurity::None,
            "tls" => SmtpSecurity::Tls,
            _ => SmtpSecurity::Starttls,
        },
        username: r.5,
        password: r.6,
        envelope_from: r.7,
        header_name: r.8,
    }
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<Profile>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM sending_profiles WHERE practice_id = $1 ORDER BY name");
    let rows: Vec<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(profile).collect())
}

pub async fn find(db: &Db, scope: &PracticeScope, id: i64) -> Result<Option<Profile>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sending_profiles WHERE id = $1 AND practice_id = $2");
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)?;
    Ok(row.map(profile))
}

/// Loads a profile by id without a scope: only for the sender, which reads ids from a campaign row it already scoped.
pub async fn find_for_sending(db: &Db, id: i64) -> Result<Option<Profile>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sending_profiles WHERE id = $1");
    let row: Option<Row> =
        with_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
    Ok(row.map(profile))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: String,
    pub envelope_from: String,
    pub header_name: String,
}

impl ProfileForm {
    fn from_profile(p: &Profile) -> Self {
        Self {
            name: p.name.clone(),
            host: p.host.clone(),
            port: p.port.to_string(),
            security: match p.security {
                SmtpSecurity::None => "none",
                SmtpSecurity::Starttls => "starttls",
                SmtpSecurity::Tls => "tls",
            }
            .into(),
            username: p.username.clone(),
            password: String::new(),
            envelope_from: p.envelope_from.clone(),
            header_name: p.header_name.clone(),
        }
    }

    /// `existing_password` keeps the saved password when the box is left empty.
    fn parse(
        &self,
        policy: &Policy,
        existing_password: Option<&str>,
    ) -> Result<Profile, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add(
                "name",
                "Give the profile a name, like \"Practice mail relay\"",
            );
        }
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            e.add(
                "host",
                "Enter the mail server's name, like smtp.example.org",
            );
        } else if let Err(why) = policy.check_host(host) {
            e.add("host", why);
        }
        let port = match self.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                e.add(
                    "port",
                    "Enter the port number, usually 587 (STARTTLS), 465 (TLS) or 25",
                );
                0
            }
        };
        let security = match self.security.as_str() {
            "none" => SmtpSecurity::None,
            "tls" => SmtpSecurity::Tls,
            _ => SmtpSecurity::Starttls,
        };
        let from = match EmailAddress::parse(&self.envelope_from) {
            Ok(a) => a.as_str().to_string(),
            Err(_) => {
                e.add("envelope_from", "Enter the address the mail server sends from, like simulations@riversidesurgery.nhs.uk");
                String::new()
            }
        };
        let header = self.header_name.trim();
        let header = if header.is_empty() {
            DEFAULT_HEADER
        } else {
            header
        };
        if !header.starts_with("X-")
            || !header
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            e.add(
                "header_name",
                "The header name must start with X- and use only letters, numbers and hyphens",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        let password = if self.password.is_empty() {
            existing_password.unwrap_or("").to_string()
        } else {
            self.password.clone()
        };
        Ok(Profile {
            id: 0,
            name: name.into(),
            host: host.into(),
            port,
            security,
            username: self.username.trim().into(),
            password,
            envelope_from: from,
            header_name: header.into(),
        })
    }
}

#[derive(Template)]
#[template(path = "simulation/profiles.html")]
struct ListPage {
    page: Page,
    profiles: Vec<Profile>,
}

pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
) -> Result<Html<String>, AppError> {
    render(ListPage {
        page: Page::for_user("Sending profiles", scope.user()),
        profiles: all(&state.db, &scope).await?,
    })
}

#[derive(Template)]
#[template(path = "simulation/profile_form.html")]
struct FormPage {
    page: Page,
    action: String,
    form: ProfileForm,
    errors: FieldErrors,
    existing: Option<i64>,
    test_result: Option<(bool, String)>,
    test_to: String,
}

fn form_page(
    scope: &ManagerScope,
    existing: Option<i64>,
    form: ProfileForm,
    errors: FieldErrors,
) -> FormPage {
    FormPage {
        page: Page::for_user(
            if existing.is_some() {
                "Edit sending profile"
            } else {
                "Add a sending profile"
            },
            scope.user(),
        ),
        action: existing
            .map(|id| format!("/simulation/profiles/{id}"))
            .unwrap_or_else(|| "/simulation/profiles/new".into()),
        form,
        errors,
        existing,
        test_result: None,
        test_to: scope.user().email.clone(),
    }
}

pub async fn new_page(scope: ManagerScope) -> Result<Html<String>, AppError> {
    let form = ProfileForm {
        port: "587".into(),
        security: "starttls".into(),
        header_name: DEFAULT_HEADER.into(),
        ..Default::default()
    };
    render(form_page(&scope, None, form, FieldErrors::default()))
}

pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<ProfileForm>,
) -> Result<Response, AppError> {
    let p = match form.parse(&Policy::from_settings(&state.settings), None) {
        Ok(p) => p,
        Err(errors) => return Ok(render(form_page(&scope, None, form, errors))?.into_response()),
    };
    let (id,): (i64,) = with_db!(&state.db, pool => sqlx::query_as(
        "INSERT INTO sending_profiles (practice_id, name, host, port, security, username, password, envelope_from, header_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(scope.practice_id()).bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(form_security(&p)).bind(&p.username)
        .bind(&p.password).bind(&p.envelope_from).bind(&p.header_name).bind(state.clock.now()).fetch_one(pool).await)?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::SendingProfileChanged,
        &format!("added {} ({}:{})", p.name, p.host, p.port),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/profiles/{id}")).into_response())
}

fn form_security(p: &Profile) -> &'static str {
    match p.security {
        SmtpSecurity::None => "none",
        SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let p = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    render(form_page(
        &scope,
        Some(id),
        ProfileForm::from_profile(&p),
        FieldErrors::default(),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<ProfileForm>,
) -> Result<Response, AppError> {
    let old = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let p = match form.parse(&Policy::from_settings(&state.settings), Some(&old.password)) {
        Ok(p) => p,
        Err(errors) => {
            return Ok(render(form_page(&scope, Some(id), form, errors))?.into_response())
        }
    };
    with_db!(&state.db, pool => sqlx::query(
        "UPDATE sending_profiles SET name = $1, host = $2, port = $3, security = $4, username = $5, password = $6, envelope_from = $7, header_name = $8 \
         WHERE id = $9 AND practice_id = $10")
        .bind(&p.name).bind(&p.host).bind(i64::from(p.port)).bind(form_security(&p)).bind(&p.username).bind(&p.password)
        .bind(&p.envelope_from).bind(&p.header_name).bind(id).bind(scope.practice_id()).execute(pool).await.map(|_| ()))?;
    audit::record_alone(
        &state.db,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::SendingProfileChanged,
        &format!("changed {} ({}:{})", p.name, p.host, p.port),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/simulation/profiles/{id}")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    to: String,
}

/// Sends one plain test message now and shows what the mail server said.
pub async fn send_test(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<i64>,
    ValidForm(form): ValidForm<TestForm>,
) -> Result<Html<String>, AppError> {
    let p = find(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = form_page(
        &scope,
        Some(id),
        ProfileForm::from_profile(&p),
        FieldErrors::default(),
    );
    page.test_to = form.to.clone();
    let domains = super::domains::verified(&state.db, &scope).await?;
    let result = match EmailAddress::parse(&form.to) {
        Err(e) => (false, e.message),
        Ok(to) if !super::domains::allowed(to.as_str(), &domains) && to.as_str() != scope.user().email => (
            false,
            format!("{to} is not in one of the practice's verified email domains. Send the test to yourself or to a verified domain."),
        ),
        Ok(to) => match send_test_message(&Policy::from_settings(&state.settings), &p, to.as_str()).await {
            Ok(()) => (true, format!("The mail server accepted a test message to {to}.")),
            Err((kind, why)) => (false, format!("{}. The test message was not sent: {why}.", kind.label())),
        },
    };
    page.test_result = Some(result);
    render(page)
}

/// Sends the test message; on failure, which kind it was and why in plain words.
async fn send_test_message(
    policy: &Policy,
    p: &Profile,
    to: &str,
) -> Result<(), (FailureKind, String)> {
    let unusable = |what: &str| (FailureKind::ServerSaidNo, format!("{what} cannot be used"));
    let msg = lettre::Message::builder()
        .from(p.envelope_from.parse::<Mailbox>().map_err(|_| unusable("the envelope sender"))?)
        .to(to.parse::<Mailbox>().map_err(|_| unusable("the address"))?)
        .subject("Test message from your phishing-exercise sending profile")
        .raw_header(
            super::sender::simulation_header(&p.header_name, "test")
                .map_err(|_| unusable("the header name"))?,
        )
        .header(ContentType::TEXT_PLAIN)
        .body("This is a test of a sending profile. If you can read it, simulated emails can be delivered.\n".to_string())
        .map_err(|_| unusable("the message"))?;
    let transport = crate::mail::smtp::practice_transport(policy, &p.smtp())
        .await
        .map_err(|e| (e.kind(), e.to_string().trim_end_matches('.').to_string()))?;
    // lettre bounds only the connection itself; the whole test send is bounded here.
    // (Per-command limits for the sender belong with its rework, issue 12 item 5.)
    match tokio::time::timeout(policy.timeout() * 2, transport.send(msg)).await {
        Ok(sent) => sent.map(|_| ()).map_err(|e| crate::mail::smtp::failure(&e)),
        Err(_) => Err((
            FailureKind::TimedOut,
            "the mail server did not answer in time".into(),
        )),
    }
}
