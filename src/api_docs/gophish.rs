//! The GoPhish-compatible API's operations, one function per route (the
//! bodies are empty: the route table in `simulation::gophish` has the
//! handlers). A route registered there without an operation here fails the
//! test `every_gophish_route_is_described`.

#![allow(dead_code)] // read only by the OpenAPI derive

use super::schemas::*;
use crate::simulation::gophish::{campaigns, groups, pages, profiles, templates};

#[utoipa::path(get, path = "/api/campaigns", tag = "campaigns",
    summary = "Every campaign of the key's practice",
    responses((status = 200, body = Vec<Campaign>), (status = 401, body = ApiMessage)))]
fn list_campaigns() {}

#[utoipa::path(post, path = "/api/campaigns", tag = "campaigns",
    summary = "Schedule a campaign",
    description = "Template, page, sending profile and groups are named as in GoPhish. Targets must be staff of the practice.",
    request_body = campaigns::CampaignIn,
    responses((status = 201, body = Campaign), (status = 400, body = ApiMessage),
        (status = 401, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn create_campaign() {}

#[utoipa::path(get, path = "/api/campaigns/summary", tag = "campaigns",
    summary = "Every campaign's counts",
    responses((status = 200, body = CampaignSummaries), (status = 401, body = ApiMessage)))]
fn campaign_summaries() {}

#[utoipa::path(get, path = "/api/campaigns/{campaign_id}", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn campaign() {}

#[utoipa::path(get, path = "/api/campaigns/{campaign_id}/summary", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignSummary), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn campaign_summary() {}

#[utoipa::path(get, path = "/api/campaigns/{campaign_id}/results", tag = "campaigns",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = CampaignResults), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn campaign_results() {}

#[utoipa::path(get, path = "/api/campaigns/{campaign_id}/complete", tag = "campaigns",
    summary = "Stop sending and stop counting from now on",
    params(("campaign_id" = i64, Path)),
    responses((status = 200, body = ApiMessage), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn complete_campaign() {}

#[utoipa::path(get, path = "/api/groups", tag = "groups",
    responses((status = 200, body = Vec<Group>), (status = 401, body = ApiMessage)))]
fn list_groups() {}

#[utoipa::path(post, path = "/api/groups", tag = "groups",
    summary = "Make a group",
    description = "Every target must be staff of the practice with an address in a verified domain.",
    request_body = groups::GroupIn,
    responses((status = 201, body = Group), (status = 400, body = ApiMessage),
        (status = 401, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn create_group() {}

#[utoipa::path(get, path = "/api/groups/summary", tag = "groups",
    responses((status = 200, body = GroupSummaries), (status = 401, body = ApiMessage)))]
fn group_summaries() {}

#[utoipa::path(get, path = "/api/groups/{group_id}", tag = "groups",
    params(("group_id" = i64, Path)),
    responses((status = 200, body = Group), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn group() {}

#[utoipa::path(put, path = "/api/groups/{group_id}", tag = "groups",
    params(("group_id" = i64, Path)), request_body = groups::GroupIn,
    responses((status = 200, body = Group), (status = 400, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn update_group() {}

#[utoipa::path(delete, path = "/api/groups/{group_id}", tag = "groups",
    params(("group_id" = i64, Path)),
    responses((status = 200, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn delete_group() {}

#[utoipa::path(get, path = "/api/groups/{group_id}/summary", tag = "groups",
    params(("group_id" = i64, Path)),
    responses((status = 200, body = GroupSummary), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn group_summary() {}

#[utoipa::path(get, path = "/api/templates", tag = "templates",
    responses((status = 200, body = Vec<Template>), (status = 401, body = ApiMessage)))]
fn list_templates() {}

#[utoipa::path(post, path = "/api/templates", tag = "templates",
    summary = "Make an email template",
    description = "GoPhish's {{.FirstName}}-style markers are translated; at most one attachment.",
    request_body = templates::TemplateIn,
    responses((status = 201, body = Template), (status = 400, body = ApiMessage),
        (status = 401, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn create_template() {}

#[utoipa::path(get, path = "/api/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)),
    responses((status = 200, body = Template), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn template() {}

#[utoipa::path(put, path = "/api/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)), request_body = templates::TemplateIn,
    responses((status = 200, body = Template), (status = 400, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn update_template() {}

#[utoipa::path(delete, path = "/api/templates/{template_id}", tag = "templates",
    params(("template_id" = i64, Path)),
    responses((status = 200, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn delete_template() {}

#[utoipa::path(get, path = "/api/pages", tag = "pages",
    responses((status = 200, body = Vec<Page>), (status = 401, body = ApiMessage)))]
fn list_pages() {}

#[utoipa::path(post, path = "/api/pages", tag = "pages",
    summary = "Make a landing page",
    description = "The page becomes one of Safety Net's landing kinds (a fake sign-in page if its HTML has a form); the HTML is only shown back.",
    request_body = pages::PageIn,
    responses((status = 201, body = Page), (status = 400, body = ApiMessage),
        (status = 401, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn create_page() {}

#[utoipa::path(get, path = "/api/pages/{page_id}", tag = "pages",
    params(("page_id" = i64, Path)),
    responses((status = 200, body = Page), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn page() {}

#[utoipa::path(put, path = "/api/pages/{page_id}", tag = "pages",
    params(("page_id" = i64, Path)), request_body = pages::PageIn,
    responses((status = 200, body = Page), (status = 400, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn update_page() {}

#[utoipa::path(delete, path = "/api/pages/{page_id}", tag = "pages",
    params(("page_id" = i64, Path)),
    responses((status = 200, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn delete_page() {}

#[utoipa::path(get, path = "/api/smtp", tag = "sending profiles",
    responses((status = 200, body = Vec<SendingProfile>), (status = 401, body = ApiMessage)))]
fn list_profiles() {}

#[utoipa::path(post, path = "/api/smtp", tag = "sending profiles",
    summary = "Make a sending profile",
    description = "`host` is `name:port`; `from_address` must be in a verified domain.",
    request_body = profiles::SmtpIn,
    responses((status = 201, body = SendingProfile), (status = 400, body = ApiMessage),
        (status = 401, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn create_profile() {}

#[utoipa::path(get, path = "/api/smtp/{profile_id}", tag = "sending profiles",
    params(("profile_id" = i64, Path)),
    responses((status = 200, body = SendingProfile), (status = 401, body = ApiMessage), (status = 404, body = ApiMessage)))]
fn profile() {}

#[utoipa::path(put, path = "/api/smtp/{profile_id}", tag = "sending profiles",
    params(("profile_id" = i64, Path)), request_body = profiles::SmtpIn,
    responses((status = 200, body = SendingProfile), (status = 400, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn update_profile() {}

#[utoipa::path(delete, path = "/api/smtp/{profile_id}", tag = "sending profiles",
    params(("profile_id" = i64, Path)),
    responses((status = 200, body = ApiMessage), (status = 401, body = ApiMessage),
        (status = 404, body = ApiMessage), (status = 409, body = ApiMessage)))]
fn delete_profile() {}
