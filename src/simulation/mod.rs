//! Phishing simulations: verified domains, sending profiles, email templates
//! with their red flags, campaigns, the sender, and the simulation site that
//! tracks opens, clicks, submissions and reports. The simulation site is its
//! own listener: no app cookies, no CSRF, nothing that names Safety Net.

pub mod attachments;
pub mod campaigns;
pub mod domains;
pub mod events;
#[cfg(test)]
pub(crate) mod fuzz;
pub mod gophish;
pub mod history;
pub mod hits;
pub mod library;
pub mod mailbox;
pub mod overrides;
pub mod profiles;
pub mod render;
pub mod report_mailbox;
pub mod sanitise;
pub mod sender;
pub mod site;
pub mod templates;
pub mod token;
pub mod tracking;
pub mod webhooks;

use crate::web::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    use Access::*;
    r.get("/simulation", PracticeManager, campaigns::list)
        .get(
            "/simulation/campaigns/new",
            PracticeManager,
            campaigns::new_page,
        )
        .post(
            "/simulation/campaigns/new",
            PracticeManager,
            campaigns::create,
        )
        .get(
            "/simulation/campaigns/{campaign_id}",
            PracticeManager,
            campaigns::show,
        )
        .post(
            "/simulation/campaigns/{campaign_id}/status",
            PracticeManager,
            campaigns::change_status,
        )
        .get(
            "/simulation/campaigns/{campaign_id}/results.csv",
            PracticeManager,
            campaigns::export_csv,
        )
        .get("/simulation/templates", PracticeManager, templates::list)
        .get(
            "/simulation/templates/new",
            PracticeManager,
            templates::new_page,
        )
        .post_upload(
            "/simulation/templates/new",
            PracticeManager,
            templates::FORM_LIMIT,
            templates::create,
        )
        .get(
            "/simulation/templates/{template_id}",
            PracticeManager,
            templates::edit_page,
        )
        .post_upload(
            "/simulation/templates/{template_id}",
            PracticeManager,
            templates::FORM_LIMIT,
            templates::update,
        )
        .post_upload(
            "/simulation/templates/{template_id}/attachment",
            PracticeManager,
            attachments::MAX_BYTES + 64 * 1024,
            attachments::upload,
        )
        .post(
            "/simulation/templates/{template_id}/attachment/remove",
            PracticeManager,
            attachments::remove,
        )
        .get(
            "/simulation/templates/{template_id}/attachment",
            PracticeManager,
            attachments::download,
        )
        .get(
            "/simulation/templates/{template_id}/preview",
            PracticeManager,
            templates::preview,
        )
        .post(
            "/simulation/library/{lure_id}/use",
            PracticeManager,
            templates::use_lure,
        )
        .post(
            "/simulation/library/names",
            PracticeManager,
            templates::save_names,
        )
        .get("/simulation/profiles", PracticeManager, profiles::list)
        .get(
            "/simulation/profiles/new",
            PracticeManager,
            profiles::new_page,
        )
        .post(
            "/simulation/profiles/new",
            PracticeManager,
            profiles::create,
        )
        .get(
            "/simulation/profiles/{profile_id}",
            PracticeManager,
            profiles::edit_page,
        )
        .post(
            "/simulation/profiles/{profile_id}",
            PracticeManager,
            profiles::update,
        )
        .post(
            "/simulation/profiles/{profile_id}/test",
            PracticeManager,
            profiles::send_test,
        )
        .get("/simulation/domains", PracticeManager, domains::page)
        .post("/simulation/domains", PracticeManager, domains::request)
        .get("/my/exercises", PracticeMember, history::mine)
        .get(
            "/simulation/templates/import",
            PracticeManager,
            templates::import_page,
        )
        .post_upload(
            "/simulation/templates/import",
            PracticeManager,
            templates::FORM_LIMIT,
            templates::import,
        )
        .post(
            "/simulation/campaigns/{campaign_id}/events/{event_id}/override",
            PracticeManager,
            overrides::set,
        )
        .get("/simulation/mailbox", PracticeManager, mailbox::page)
        .post("/simulation/mailbox", PracticeManager, mailbox::save)
        .post(
            "/operator/practices/{practice_id}/domains/{domain_id}/verify",
            Operator,
            domains::verify,
        )
}
