//! The email domains a practice may send simulations to. A practice manager
//! asks for a domain; an operator (who knows which domains the practice
//! really uses) verifies it. Simulations only ever go to staff whose address
//! is in a verified domain: the sender's targets, a test message and a
//! GoPhish group are all checked with [`allowed`].
//!
//! NHSmail (`nhs.net`) is one national Microsoft 365 tenant where only NHS
//! England's own simulated phishing service is allow-listed, so `nhs.net`
//! counts as verified only while an operator has recorded the reference of
//! an agreement that allows the practice's own exercises there
//! ([`nhsmail_agreement`]); without one, [`verified`] leaves it out and a
//! launch that includes nhs.net addresses is refused with [`nhsmail_refusal`].

mod repo;
pub mod routes;

pub use repo::{Domain, NhsmailAgreement};

use crate::auth::PracticeScope;
use crate::db::{Db, Tx};
use crate::shared::PracticeId;

/// The practice's domains, verified or not, by name.
pub async fn list_for(db: &Db, practice_id: PracticeId) -> Result<Vec<Domain>, sqlx::Error> {
    repo::list_for(db, practice_id).await
}

/// The domains exercises may go to, lower-case: the verified ones, and
/// `nhs.net` only while the practice has an NHSmail agreement.
pub async fn verified(db: &Db, scope: &PracticeScope) -> Result<Vec<String>, sqlx::Error> {
    let nhsmail_ok = nhsmail_agreement(db, scope.practice_id()).await?.is_some();
    Ok(list_for(db, scope.practice_id())
        .await?
        .into_iter()
        .filter(|d| d.verified && (nhsmail_ok || d.domain != NHSMAIL))
        .map(|d| d.domain)
        .collect())
}

/// NHSmail's domain.
pub const NHSMAIL: &str = "nhs.net";

/// True for an NHSmail address (`someone@nhs.net`, any case).
pub fn is_nhsmail(email: &str) -> bool {
    allowed(email, &[NHSMAIL.to_string()])
}

/// The agreement an operator recorded that lets the practice's own
/// exercises go to nhs.net addresses, if any.
pub async fn nhsmail_agreement(
    db: &Db,
    practice_id: PracticeId,
) -> Result<Option<NhsmailAgreement>, sqlx::Error> {
    repo::nhsmail_agreement(db, practice_id).await
}

/// Records (`Some(reference)`) or withdraws (`None`) the practice's NHSmail
/// agreement in the caller's transaction; the caller writes the audit entry.
pub async fn set_nhsmail_agreement(
    tx: &mut Tx,
    practice_id: PracticeId,
    reference: Option<&str>,
    by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    repo::set_nhsmail_agreement(tx, practice_id, reference, by, now).await
}

/// Why a launch (or a test message) to `count` NHSmail addresses is refused.
pub fn nhsmail_refusal(count: usize) -> String {
    let who = if count == 1 {
        "1 of the people chosen uses".to_string()
    } else {
        format!("{count} of the people chosen use")
    };
    format!(
        "{who} NHSmail (nhs.net). NHSmail is one national system where only NHS England's own \
         simulated phishing service is allowed, so Safety Net sends nothing to nhs.net addresses \
         unless your operator has recorded an agreement that allows it. Choose people who are not \
         on NHSmail, or run NHS England's service and record its results here."
    )
}

/// True if the address is in one of the domains (exactly, not a look-alike suffix).
pub fn allowed(email: &str, domains: &[String]) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, d)| domains.iter().any(|v| v.eq_ignore_ascii_case(d)))
}

/// A domain as typed (`@Riverside.nhs.uk`), lower-cased, or what to fix.
pub fn parse(raw: &str) -> Result<String, String> {
    let d = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(d)
    } else {
        Err("Enter a domain like riversidesurgery.nhs.uk or nhs.net (the part of your staff's email addresses after the @)".into())
    }
}

/// Adds a domain in the caller's transaction; `verified_by` set means it is
/// verified at once (operator or command line). `Ok(Err(why))` when the
/// domain cannot be added: the transaction is then spent, so drop it.
pub async fn add(
    tx: &mut Tx,
    practice_id: PracticeId,
    domain: &str,
    verified_by: Option<&str>,
    now: i64,
) -> Result<Result<(), String>, sqlx::Error> {
    let domain = match parse(domain) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    if repo::insert(tx, practice_id, &domain, verified_by, now).await? {
        Ok(Ok(()))
    } else {
        Ok(Err(format!("{domain} is already on the list.")))
    }
}

/// [`add`] in a transaction of its own, for seeding (the demo practice, the
/// benchmark, tests).
pub async fn add_alone(
    db: &Db,
    practice_id: PracticeId,
    domain: &str,
    verified_by: Option<&str>,
    now: i64,
) -> Result<Result<(), String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let added = add(&mut tx, practice_id, domain, verified_by, now).await?;
    if added.is_ok() {
        tx.commit().await?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_domains_are_allowed() {
        let d = vec!["riverside.nhs.uk".to_string()];
        assert!(allowed("a.b@Riverside.NHS.uk", &d));
        assert!(!allowed("a@evilriverside.nhs.uk", &d));
        assert!(!allowed("a@riverside.nhs.uk.evil.example", &d));
        assert!(!allowed("no-at-sign", &d));
    }

    #[test]
    fn nhsmail_addresses_are_known_exactly() {
        assert!(is_nhsmail("Amelia.Hughes@NHS.net"));
        assert!(!is_nhsmail("a@nhs.net.example"));
        assert!(!is_nhsmail("a@riverside.nhs.uk"));
        assert!(nhsmail_refusal(1).starts_with("1 of the people chosen uses NHSmail"));
        assert!(nhsmail_refusal(3).starts_with("3 of the people chosen use NHSmail"));
    }

    #[test]
    fn domains_are_tidied_or_refused() {
        assert_eq!(parse(" @Riverside.NHS.uk ").unwrap(), "riverside.nhs.uk");
        for bad in ["nhs", "-x.example", "a..b", "a b.example", "x@y.example"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
