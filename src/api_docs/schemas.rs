//! The shapes of the JSON answers. The handlers build their answers with
//! `serde_json::json!`, so these name the fields scripts rely on; the
//! schemathesis test (tests/api/openapi.rs) checks every answer against them.
//! Fields not named here may also appear, as in GoPhish.

#![allow(dead_code)] // read only by the OpenAPI derive

use utoipa::ToSchema;

/// GoPhish's answer for a message or a refusal: `{"message", "success", "data": null}`.
#[derive(ToSchema)]
pub struct ApiMessage {
    pub message: String,
    pub success: bool,
}

/// A campaign's counts.
#[derive(ToSchema)]
pub struct CampaignStats {
    pub total: i64,
    pub sent: i64,
    pub opened: i64,
    pub clicked: i64,
    pub submitted_data: i64,
    pub email_reported: i64,
    pub error: i64,
}

/// One person's furthest step in a campaign. What they typed is never kept.
#[derive(ToSchema)]
pub struct CampaignResult {
    pub id: i64,
    pub campaign_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// "Scheduled", "Email Sent", "Email Opened", "Clicked Link", "Submitted Data", "Error" or "Unsent".
    pub status: String,
    pub send_date: Option<String>,
    pub reported: bool,
    pub modified_date: String,
}

/// One line of a campaign's timeline; `details` is a JSON string, as in GoPhish.
#[derive(ToSchema)]
pub struct TimelineEvent {
    pub campaign_id: i64,
    pub email: String,
    pub time: String,
    pub message: String,
    pub details: String,
}

/// A campaign with its template, landing page, sending profile, results and timeline.
#[derive(ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub created_date: String,
    pub launch_date: String,
    pub send_by_date: String,
    pub completed_date: Option<String>,
    /// "Queued", "In progress" or "Completed".
    pub status: String,
    #[schema(value_type = Object)]
    pub template: (),
    #[schema(value_type = Object)]
    pub page: (),
    #[schema(value_type = Object)]
    pub smtp: (),
    pub results: Vec<CampaignResult>,
    pub timeline: Vec<TimelineEvent>,
    pub url: String,
}

#[derive(ToSchema)]
pub struct CampaignSummary {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub created_date: String,
    pub launch_date: String,
    pub send_by_date: String,
    pub completed_date: Option<String>,
    pub stats: CampaignStats,
}

#[derive(ToSchema)]
pub struct CampaignSummaries {
    pub total: i64,
    pub campaigns: Vec<CampaignSummary>,
}

#[derive(ToSchema)]
pub struct CampaignResults {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub results: Vec<CampaignResult>,
    pub timeline: Vec<TimelineEvent>,
}

#[derive(ToSchema)]
pub struct Target {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub position: String,
}

#[derive(ToSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub modified_date: String,
    pub targets: Vec<Target>,
}

#[derive(ToSchema)]
pub struct GroupSummary {
    pub id: i64,
    pub name: String,
    pub modified_date: String,
    pub num_targets: i64,
}

#[derive(ToSchema)]
pub struct GroupSummaries {
    pub total: i64,
    pub groups: Vec<GroupSummary>,
}

#[derive(ToSchema)]
pub struct Attachment {
    pub name: String,
    #[schema(rename = "type")]
    pub kind: String,
    /// The file, base64-encoded.
    pub content: String,
}

#[derive(ToSchema)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub modified_date: String,
    pub attachments: Vec<Attachment>,
}

/// A landing page. Its HTML is shown back but never served: the page is one of
/// Safety Net's own landing kinds.
#[derive(ToSchema)]
pub struct Page {
    pub id: i64,
    pub name: String,
    pub html: String,
    pub capture_credentials: bool,
    /// Always false: what people type is never kept.
    pub capture_passwords: bool,
    pub modified_date: String,
}

/// A sending profile. Its password is never shown back.
#[derive(ToSchema)]
pub struct SendingProfile {
    pub id: i64,
    pub name: String,
    pub interface_type: String,
    pub host: String,
    pub from_address: String,
    pub modified_date: String,
}

/// A device check-in's answer; `error` repeats the message when refused.
#[derive(ToSchema)]
pub struct CheckInAnswer {
    pub message: String,
    pub error: Option<String>,
    /// "updated" or "created", when accepted.
    pub result: Option<String>,
    pub asset_id: Option<i64>,
}
