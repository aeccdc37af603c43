//! The register of administrator access and its accountability agreements
//! (DSPT item 4.3.1): everyone who can administer the practice's systems,
//! including the ICB's GP IT staff and suppliers, each accepting our
//! agreement (`dspt::agreement`) — a staff member signed in to Safety Net,
//! anyone else through an emailed single-use link that works for 7 days and
//! needs no account. Each acceptance keeps the name, time, network address
//! and the exact text accepted. Agreements are renewed yearly (a reminder
//! goes 30 days before) and end with the person's access, or when a staff
//! member leaves.
//!
//! `domain` (rules, forms, emails), `repo` (its tables), `routes` (pages).

pub mod domain;
pub mod repo;
pub mod routes;

use domain::{Access, Via, LINK_SECS, REMIND_DAYS, RENEW_MONTHS};
use repo::Acceptance;

use crate::auth::audit::{self, Action, Actor};
use crate::auth::tokens;
use crate::db::{Db, Tx};
use crate::dspt::agreement::it_administrator;
use crate::dspt::ids::AccessId;
use crate::mail::outbox;
use crate::shared::{AppState, PracticeId};

/// The page where a staff member accepts in Safety Net.
pub const MY_AGREEMENTS: &str = "/agreements";
/// Where an emailed link leads: `/agreement/{token}`.
pub const LINK_PATH: &str = "/agreement";

/// Queues the email asking `a` to accept, in the caller's transaction: for a
/// staff member with an account, a pointer to Your agreements; for anyone
/// else a new single-use link (which stops any earlier one).
pub async fn send(
    tx: &mut Tx,
    state: &AppState,
    practice_id: PracticeId,
    practice: &str,
    a: &Access,
    has_account: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    let base = state.public_url().trim_end_matches('/');
    let (subject, body) = if has_account {
        domain::account_email(a, practice, &format!("{base}{MY_AGREEMENTS}"))
    } else {
        let secret = tokens::new_secret();
        repo::add_link(
            tx,
            practice_id,
            a.id,
            &tokens::digest(&secret),
            now,
            now + LINK_SECS,
        )
        .await?;
        domain::link_email(a, practice, &format!("{base}{LINK_PATH}/{secret}"))
    };
    outbox::enqueue(
        tx,
        Some(practice_id),
        "dspt_agreement",
        &a.email,
        &subject,
        &body,
        now,
    )
    .await?;
    Ok(())
}

/// Who accepted, and how.
pub struct Signer<'a> {
    /// The name they gave (or their account's).
    pub name: &'a str,
    pub via: Via,
    /// For the audit entry: their account if signed in, and where from.
    pub actor: Actor,
}

/// Records that the person accepted today's wording for `practice`, with
/// its audit entry, in the caller's transaction.
pub async fn accept(
    tx: &mut Tx,
    practice_id: PracticeId,
    practice: &str,
    id: AccessId,
    signer: &Signer<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let agreement = it_administrator();
    let text = agreement.text_for(practice);
    let ip = signer.actor.ip.clone().unwrap_or_default();
    let (signed_name, via) = (signer.name, signer.via);
    repo::accept(
        tx,
        practice_id,
        id,
        &Acceptance {
            agreement: &agreement.id,
            version: i64::from(agreement.version),
            digest: &agreement.digest(practice),
            text: &text,
            signed_name,
            via,
            ip: &ip,
        },
        now,
    )
    .await?;
    audit::record(
        tx,
        Some(practice_id),
        &signer.actor,
        Action::AgreementAccepted,
        &format!(
            "{signed_name} accepted the IT administrator agreement (version {}, {})",
            agreement.version,
            via.label().to_lowercase()
        ),
        now,
    )
    .await
}

/// Sends each renewal reminder that is due (30 days before an agreement
/// lapses), once: the claim on the acceptance row and the email commit
/// together, so two nodes never both send it. Returns how many went.
pub async fn remind(state: &AppState, now: i64) -> anyhow::Result<u32> {
    let db: &Db = &state.db;
    let lapses_soon = crate::ukclock::add_months(crate::ukclock::local_date(now), -RENEW_MONTHS)
        + time::Duration::days(REMIND_DAYS);
    let before = crate::resilience::dates::uk_end_of_day(lapses_soon);
    let mut sent = 0;
    for due in repo::due_reminders(db, before, 200).await? {
        let scope =
            crate::auth::system_scope_for(due.practice_id, "administrator agreement renewal");
        let Some(a) = repo::find(db, &scope, due.access_id).await? else {
            continue;
        };
        let has_account = has_account(db, &scope, &a).await?;
        let practice = crate::people::accounts::practice_name(db, due.practice_id).await?;
        let mut tx = db.begin().await?;
        if !repo::claim_reminder(&mut tx, due.agreement_id, now).await? {
            continue;
        }
        // A leaver's claim is kept without an email, so they are not asked again.
        if a.ended().is_none() {
            send(
                &mut tx,
                state,
                due.practice_id,
                &practice,
                &a,
                has_account,
                now,
            )
            .await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// Whether the entry is a current staff member with an account in use.
pub async fn has_account(
    db: &Db,
    scope: &crate::auth::PracticeScope,
    a: &Access,
) -> Result<bool, sqlx::Error> {
    let Some(staff_id) = a.staff_id else {
        return Ok(false);
    };
    Ok(crate::people::staff::find(db, scope, staff_id)
        .await?
        .is_some_and(|s| {
            s.active
                && matches!(
                    s.account,
                    crate::people::domain::AccountStatus::Active { .. }
                )
        }))
}
