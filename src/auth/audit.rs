//! The audit log: who did what security-relevant thing, when, from where.
//! Only this module writes `audit_log`: the modules that act call [`record`]
//! inside the transaction that makes the change. The practice manager reads
//! and filters it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::ManagerScope;
use crate::db::{Db, Tx};
use crate::shared::{AppState, PracticeId, UserId};
use crate::web::{render, AppError, Page};
use crate::{with_db, with_tx};

/// Every kind of entry, so filters and labels cannot drift from what is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignInSucceeded,
    SignInFailed,
    SignInBlocked,
    SignedOut,
    MfaEnabled,
    MfaDisabled,
    MfaFailed,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    InvitationSent,
    InvitationAccepted,
    RoleChanged,
    StaffAdded,
    StaffUpdated,
    StaffLeft,
    StaffReinstated,
    DepartmentChanged,
    StaffImported,
    StaffExported,
    PracticeCreated,
    DomainChanged,
    SendingProfileChanged,
    TemplateChanged,
    CampaignChanged,
    ClickReclassified,
    WebhookChanged,
    MailboxChanged,
    TrainingChanged,
    TrainingAssigned,
    PlanChanged,
    IncidentChanged,
    ExerciseChanged,
    AssetChanged,
    AssetsImported,
    AssetsExported,
    RegisterReviewed,
    CheckinTokenChanged,
    SupportDatesLoaded,
    CyberAlertChanged,
    BackupChanged,
    ApiKeyChanged,
    DsptChanged,
    AdminAccessChanged,
    AgreementAccepted,
    EvidencePackRequested,
}

impl Action {
    pub const ALL: [Action; 48] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::SignInBlocked,
        Self::SignedOut,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::MfaFailed,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodesRegenerated,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::InvitationSent,
        Self::InvitationAccepted,
        Self::RoleChanged,
        Self::StaffAdded,
        Self::StaffUpdated,
        Self::StaffLeft,
        Self::StaffReinstated,
        Self::DepartmentChanged,
        Self::StaffImported,
        Self::StaffExported,
        Self::PracticeCreated,
        Self::DomainChanged,
        Self::SendingProfileChanged,
        Self::TemplateChanged,
        Self::CampaignChanged,
        Self::ClickReclassified,
        Self::WebhookChanged,
        Self::MailboxChanged,
        Self::TrainingChanged,
        Self::TrainingAssigned,
        Self::PlanChanged,
        Self::IncidentChanged,
        Self::ExerciseChanged,
        Self::AssetChanged,
        Self::AssetsImported,
        Self::AssetsExported,
        Self::RegisterReviewed,
        Self::CheckinTokenChanged,
        Self::SupportDatesLoaded,
        Self::CyberAlertChanged,
        Self::BackupChanged,
        Self::ApiKeyChanged,
        Self::DsptChanged,
        Self::AdminAccessChanged,
        Self::AgreementAccepted,
        Self::EvidencePackRequested,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in.succeeded",
            Self::SignInFailed => "sign_in.failed",
            Self::SignInBlocked => "sign_in.blocked",
            Self::SignedOut => "sign_in.signed_out",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaDisabled => "mfa.disabled",
            Self::MfaFailed => "mfa.failed",
            Self::RecoveryCodeUsed => "mfa.recovery_code_used",
            Self::RecoveryCodesRegenerated => "mfa.recovery_codes_regenerated",
            Self::PasswordChanged => "password.changed",
            Self::PasswordResetRequested => "password.reset_requested",
            Self::PasswordReset => "password.reset",
            Self::InvitationSent => "invitation.sent",
            Self::InvitationAccepted => "invitation.accepted",
            Self::RoleChanged => "role.changed",
            Self::StaffAdded => "staff.added",
            Self::StaffUpdated => "staff.updated",
            Self::StaffLeft => "staff.left",
            Self::StaffReinstated => "staff.reinstated",
            Self::DepartmentChanged => "department.changed",
            Self::StaffImported => "staff.imported",
            Self::StaffExported => "staff.exported",
            Self::PracticeCreated => "practice.created",
            Self::DomainChanged => "simulation.domain_changed",
            Self::SendingProfileChanged => "simulation.profile_changed",
            Self::TemplateChanged => "simulation.template_changed",
            Self::CampaignChanged => "simulation.campaign_changed",
            Self::ClickReclassified => "simulation.click_reclassified",
            Self::WebhookChanged => "simulation.webhook_changed",
            Self::MailboxChanged => "simulation.mailbox_changed",
            Self::TrainingChanged => "training.changed",
            Self::TrainingAssigned => "training.assigned",
            Self::PlanChanged => "resilience.plan_changed",
            Self::IncidentChanged => "resilience.incident_changed",
            Self::ExerciseChanged => "resilience.exercise_changed",
            Self::AssetChanged => "resilience.asset_changed",
            Self::AssetsImported => "resilience.assets_imported",
            Self::AssetsExported => "resilience.assets_exported",
            Self::RegisterReviewed => "resilience.register_reviewed",
            Self::CheckinTokenChanged => "resilience.checkin_token_changed",
            Self::SupportDatesLoaded => "resilience.support_dates_loaded",
            Self::CyberAlertChanged => "resilience.cyber_alert_changed",
            Self::BackupChanged => "resilience.backup_changed",
            Self::ApiKeyChanged => "simulation.api_key_changed",
            Self::DsptChanged => "dspt.changed",
            Self::AdminAccessChanged => "dspt.admin_access_changed",
            Self::AgreementAccepted => "dspt.agreement_accepted",
            Self::EvidencePackRequested => "dspt.pack_requested",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "Signed in",
            Self::SignInFailed => "Sign-in failed",
            Self::SignInBlocked => "Sign-in blocked (too many attempts)",
            Self::SignedOut => "Signed out",
            Self::MfaEnabled => "Two-step verification turned on",
            Self::MfaDisabled => "Two-step verification turned off",
            Self::MfaFailed => "Wrong two-step verification code",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::RecoveryCodesRegenerated => "New recovery codes made",
            Self::PasswordChanged => "Password changed",
            Self::PasswordResetRequested => "Password reset requested",
            Self::PasswordReset => "Password reset",
            Self::InvitationSent => "Invitation sent",
            Self::InvitationAccepted => "Invitation accepted",
            Self::RoleChanged => "Role changed",
            Self::StaffAdded => "Staff member added",
            Self::StaffUpdated => "Staff details changed",
            Self::StaffLeft => "Staff member left",
            Self::StaffReinstated => "Staff member reinstated",
            Self::DepartmentChanged => "Department changed",
            Self::StaffImported => "Staff imported",
            Self::StaffExported => "Staff list exported",
            Self::PracticeCreated => "Practice created",
            Self::DomainChanged => "Simulation email domain changed",
            Self::SendingProfileChanged => "Sending profile changed",
            Self::TemplateChanged => "Simulation template changed",
            Self::CampaignChanged => "Phishing exercise changed",
            Self::ClickReclassified => "Click classification changed",
            Self::WebhookChanged => "Webhook changed",
            Self::MailboxChanged => "Reporting mailbox changed",
            Self::TrainingChanged => "Training rules changed",
            Self::TrainingAssigned => "Training assigned",
            Self::PlanChanged => "Plan changed",
            Self::IncidentChanged => "Incident updated",
            Self::ExerciseChanged => "Tabletop exercise updated",
            Self::AssetChanged => "Device or software changed",
            Self::AssetsImported => "Devices imported",
            Self::AssetsExported => "Asset register exported",
            Self::RegisterReviewed => "Register reviewed",
            Self::CheckinTokenChanged => "Check-in token changed",
            Self::SupportDatesLoaded => "Support-dates table loaded",
            Self::CyberAlertChanged => "Cyber alert changed",
            Self::BackupChanged => "Backup record changed",
            Self::ApiKeyChanged => "API key created or revoked",
            Self::DsptChanged => "DSPT evidence changed",
            Self::AdminAccessChanged => "Administrator register changed",
            Self::AgreementAccepted => "Administrator agreement accepted",
            Self::EvidencePackRequested => "DSPT evidence pack requested",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Who acted, if anyone is known.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(user: &super::SessionUser, ip: &str) -> Self {
        Self {
            user_id: Some(user.user_id),
            email: Some(user.email.clone()),
            ip: Some(ip.to_string()),
        }
    }
    pub fn system() -> Self {
        Self::default()
    }
}

/// Writes an entry as part of the change it records, so both commit or
/// neither does. The usual way: begin a `Tx`, make the change, record it,
/// commit.
pub async fn record(
    tx: &mut Tx,
    practice_id: Option<PracticeId>,
    actor: &Actor,
    action: Action,
    detail: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (practice_id, at, actor_user_id, actor_email, action, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(practice_id).bind(at).bind(actor.user_id).bind(actor.email.as_deref())
        .bind(action.key()).bind(detail).bind(actor.ip.as_deref()).execute(&mut *c).await.map(|_| ()))?;
    Ok(())
}

/// Writes an entry in a transaction of its own: for something that changes
/// nothing else (a failed sign-in, a download), and, until part 2 of issue 11
/// moves them, for changes not yet made in a `Tx` (where a crash between the
/// change and this entry loses the entry).
pub async fn record_alone(
    db: &Db,
    practice_id: Option<PracticeId>,
    actor: &Actor,
    action: Action,
    detail: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    record(&mut tx, practice_id, actor, action, detail, at).await?;
    tx.commit().await
}

/// How much the practice's audit log recorded since `since`: (entries, the newest's time).
pub async fn activity_since(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT COUNT(*), MAX(at) FROM audit_log WHERE practice_id = $1 AND at >= $2")
        .bind(practice_id).bind(since).fetch_one(p).await)
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AuditFilter {
    pub action: String,
    /// Matches the person's email or the detail text.
    pub q: String,
    /// ISO dates, inclusive.
    pub from: String,
    pub to: String,
    pub page: Option<u32>,
}

pub struct Entry {
    pub when: String,
    pub who: String,
    pub action: &'static str,
    pub detail: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Page,
    entries: Vec<Entry>,
    filter: AuditFilter,
    actions: Vec<(&'static str, &'static str)>,
    page_no: u32,
    more: bool,
    error: Option<String>,
}

const PER_PAGE: i64 = 50;

/// at, actor email, action key, detail, ip
type EntryRow = (i64, Option<String>, String, String, Option<String>);

fn parse_day(s: &str) -> Option<time::Date> {
    time::Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

pub async fn page(
    State(state): State<AppState>,
    scope: ManagerScope,
    Query(filter): Query<AuditFilter>,
) -> Result<Html<String>, AppError> {
    let mut error = None;
    let from = if filter.from.trim().is_empty() {
        i64::MIN
    } else {
        match parse_day(&filter.from) {
            Some(d) => d.midnight().assume_utc().unix_timestamp(),
            None => {
                error =
                    Some("Enter the 'from' date as year-month-day, like 2026-01-31.".to_string());
                i64::MIN
            }
        }
    };
    let to = if filter.to.trim().is_empty() {
        i64::MAX
    } else {
        match parse_day(&filter.to) {
            Some(d) => d.midnight().assume_utc().unix_timestamp() + 86_400,
            None => {
                error = Some("Enter the 'to' date as year-month-day, like 2026-01-31.".to_string());
                i64::MAX
            }
        }
    };
    let action = Action::from_key(&filter.action)
        .map(|a| a.key())
        .unwrap_or("");
    let q = format!("%{}%", filter.q.trim().to_lowercase());
    let page_no = filter.page.unwrap_or(1).max(1);
    let offset = (i64::from(page_no) - 1) * PER_PAGE;
    let rows: Vec<EntryRow> = with_db!(&state.db, p => sqlx::query_as(
        "SELECT at, actor_email, action, detail, ip FROM audit_log \
         WHERE practice_id = $1 AND at >= $2 AND at < $3 AND ($4 = '' OR action = $4) \
           AND (LOWER(COALESCE(actor_email, '')) LIKE $5 OR LOWER(detail) LIKE $5) \
         ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7")
        .bind(scope.practice_id()).bind(from).bind(to).bind(action).bind(&q).bind(PER_PAGE + 1).bind(offset)
        .fetch_all(p).await)?;
    let more = rows.len() as i64 > PER_PAGE;
    let entries = rows
        .into_iter()
        .take(PER_PAGE as usize)
        .map(|(at, email, action, detail, ip)| Entry {
            when: crate::ukclock::format(at),
            who: email.unwrap_or_else(|| "Safety Net".into()),
            action: Action::from_key(&action)
                .map(|a| a.label())
                .unwrap_or("Other"),
            detail,
            ip: ip.unwrap_or_default(),
        })
        .collect();
    render(AuditPage {
        page: Page::for_user("Audit log", scope.user()),
        entries,
        filter,
        actions: Action::ALL.iter().map(|a| (a.key(), a.label())).collect(),
        page_no,
        more,
        error,
    })
}
