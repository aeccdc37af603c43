//! The pages of `auth`, one file per job: signing in and out (with the
//! security code step), the emailed links (forgotten password, reset,
//! invitation), your account (password), two-step verification set-up, and
//! the practice's audit log.

pub mod account;
pub mod audit_log;
pub mod links;
pub mod mfa_setup;
pub mod organisation;
pub mod sign_in;

use crate::web::routes::Routes;

pub fn routes(r: Routes) -> Routes {
    use crate::web::routes::Access::*;
    r.get("/sign-in", Public, sign_in::page)
        .post("/sign-in", Public, sign_in::submit)
        .get("/sign-in/mfa", Public, sign_in::code_page)
        .post("/sign-in/mfa", Public, sign_in::code_submit)
        .post("/sign-out", Public, sign_in::sign_out)
        .get("/sign-in/with/{provider}", Public, organisation::start)
        .get(
            "/sign-in/with/{provider}/callback",
            Public,
            organisation::callback,
        )
        .get("/forgot-password", Public, links::forgot_page)
        .post("/forgot-password", Public, links::forgot_submit)
        .get("/reset-password/{token}", Public, links::reset_page)
        .post("/reset-password/{token}", Public, links::reset_submit)
        .get("/invitation/{token}", Public, links::invitation_page)
        .post("/invitation/{token}", Public, links::invitation_submit)
        .get("/account", SignedInOnly, account::page)
        .get("/account/password", SignedInOnly, account::password_page)
        .post("/account/password", SignedInOnly, account::change_password)
        .get("/account/mfa", SignedInOnly, mfa_setup::enrol_page)
        .post("/account/mfa", SignedInOnly, mfa_setup::enrol_confirm)
        .post(
            "/account/mfa/recovery-codes",
            SignedInOnly,
            mfa_setup::regenerate_codes,
        )
        .post("/account/mfa/disable", SignedInOnly, mfa_setup::disable)
        .get("/audit", PracticeManager, audit_log::page)
}
