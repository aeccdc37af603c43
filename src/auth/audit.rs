//! The audit log: who did what security-relevant thing, when, from where.
//! Only this module writes `audit_log`: the modules that act call [`record`]
//! inside the transaction that makes the change. The practice manager reads
//! and filters it on the page in `auth::routes::audit_log`.

use super::repo;
use super::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::{PracticeId, UserId};

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
    SignInRuleChanged,
    SendingProfileChanged,
    TemplateChanged,
    CampaignChanged,
    ExternalExerciseChanged,
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
    CultureChanged,
}

impl Action {
    pub const ALL: [Action; 51] = [
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
        Self::SignInRuleChanged,
        Self::SendingProfileChanged,
        Self::TemplateChanged,
        Self::CampaignChanged,
        Self::ExternalExerciseChanged,
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
        Self::CultureChanged,
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
            Self::SignInRuleChanged => "sign_in.rule_changed",
            Self::SendingProfileChanged => "simulation.profile_changed",
            Self::TemplateChanged => "simulation.template_changed",
            Self::CampaignChanged => "simulation.campaign_changed",
            Self::ExternalExerciseChanged => "simulation.external_changed",
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
            Self::CultureChanged => "culture.changed",
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
            Self::SignInRuleChanged => "How the practice signs in changed",
            Self::SendingProfileChanged => "Sending profile changed",
            Self::TemplateChanged => "Simulation template changed",
            Self::CampaignChanged => "Phishing exercise changed",
            Self::ExternalExerciseChanged => "Exercise run elsewhere recorded or changed",
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
            Self::CultureChanged => "Drill or culture record changed",
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
    let entry = repo::NewEntry {
        practice_id,
        at,
        actor_user_id: actor.user_id,
        actor_email: actor.email.as_deref(),
        action: action.key(),
        detail,
        ip: actor.ip.as_deref(),
    };
    repo::insert_entry(tx, &entry).await
}

/// [`record`] for what the signed-in member acting in `scope` did, from `ip`:
/// the usual entry for a change made on a practice's pages.
pub async fn record_by(
    tx: &mut Tx,
    scope: &PracticeScope,
    ip: &str,
    action: Action,
    detail: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    let actor = Actor::user(scope.user(), ip);
    record(tx, Some(scope.practice_id()), &actor, action, detail, at).await
}

/// Writes an entry in a transaction of its own: for something that changes
/// nothing else (a failed sign-in, a download), and for code not yet
/// converted to record in the change's transaction (where a crash between
/// the change and this entry loses the entry).
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

/// How much the practice's audit log recorded since `since`: (entries, the
/// newest's time). The DSPT reads it as evidence that administrator actions
/// are logged (item 4.4.1).
pub async fn activity_since(
    db: &Db,
    practice_id: PracticeId,
    since: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    repo::activity_since(db, practice_id, since).await
}
