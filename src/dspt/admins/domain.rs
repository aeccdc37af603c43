//! The register of administrator access and its agreements, with no I/O:
//! the kinds of access, an entry as stored, when its access ended (the
//! manager's date, or the day a staff member left), where its agreement
//! stands (renewed yearly, and again when the wording changes), the add form,
//! and the emails.

use serde::Deserialize;
use time::Date;

use crate::dspt::ids::AccessId;
use crate::dspt::status::short_date;
use crate::resilience::dates::parse_iso;
use crate::resilience::sql::{from_row, text_enum};
use crate::shared::{EmailAddress, PersonName, StaffId};
use crate::ukclock::{add_months, local_date};
use crate::web::FieldErrors;

/// An emailed link works for this long, once.
pub const LINK_SECS: i64 = 7 * 24 * 3600;
/// An agreement counts for this many months, then is renewed.
pub const RENEW_MONTHS: i64 = 12;
/// The renewal reminder goes this many days before an agreement lapses.
pub const REMIND_DAYS: i64 = 30;

text_enum! {
    /// What the administrator can administer.
    pub enum AccessKind {
        Network = "network", "Computers and network (for example a domain administrator)";
        ClinicalSystem = "clinical_system", "A clinical or business system";
        Cloud = "cloud", "Email and cloud services (for example Microsoft 365)";
        RemoteSupport = "remote_support", "Remote support";
        Other = "other", "Other administrator access";
    }
}

text_enum! {
    /// How an agreement was accepted.
    pub enum Via {
        Account = "account", "Signed in to Safety Net";
        Link = "link", "Emailed link";
    }
}

/// Someone on the register, with their newest acceptance.
#[derive(Debug, Clone)]
pub struct Access {
    pub id: AccessId,
    pub staff_id: Option<StaffId>,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub systems: String,
    pub access_kind: AccessKind,
    pub ended_on: Option<String>,
    /// For a staff member: whether they are still on the staff list, and when they left.
    pub staff_active: Option<bool>,
    pub staff_left_on: Option<String>,
    pub agreed_at: Option<i64>,
    pub agreed_version: Option<i64>,
}

from_row!(Access, r => Ok(Access {
    id: r.try_get("id")?,
    staff_id: r.try_get("staff_id")?,
    full_name: r.try_get("full_name")?,
    email: r.try_get("email")?,
    organisation: r.try_get("organisation")?,
    systems: r.try_get("systems")?,
    access_kind: r.try_get("access_kind")?,
    ended_on: r.try_get("ended_on")?,
    staff_active: r.try_get("staff_active")?,
    staff_left_on: r.try_get("staff_left_on")?,
    agreed_at: r.try_get("agreed_at")?,
    agreed_version: r.try_get("agreed_version")?,
}));

/// Where someone's agreement stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Accepted; counts until the day given.
    Agreed { until: Date },
    /// Accepted more than a year ago; lapsed that day.
    Lapsed { on: Date },
    /// Accepted an earlier wording.
    OldWording,
    /// Not accepted yet.
    Waiting,
    /// Their access ended (and the agreement with it).
    Ended { on: String },
}

impl Standing {
    pub fn tag(&self) -> &'static str {
        match self {
            Standing::Agreed { .. } => "Agreed",
            Standing::Lapsed { .. } => "Renewal due",
            Standing::OldWording => "New wording to accept",
            Standing::Waiting => "Waiting",
            Standing::Ended { .. } => "Access ended",
        }
    }

    pub fn tag_class(&self) -> &'static str {
        match self {
            Standing::Agreed { .. } => "nhsuk-tag--green",
            Standing::Lapsed { .. } | Standing::OldWording => "nhsuk-tag--orange",
            Standing::Waiting => "nhsuk-tag--blue",
            Standing::Ended { .. } => "nhsuk-tag--grey",
        }
    }

    pub fn explain(&self) -> String {
        match self {
            Standing::Agreed { until } => format!("Until {}", short_date(*until)),
            Standing::Lapsed { on } => format!("Lapsed on {}", short_date(*on)),
            Standing::OldWording => "They accepted an earlier wording".into(),
            Standing::Waiting => "Not accepted yet".into(),
            Standing::Ended { on } => parse_iso(on)
                .map(|d| format!("On {}", short_date(d)))
                .unwrap_or_default(),
        }
    }

    pub fn is_ended(&self) -> bool {
        matches!(self, Standing::Ended { .. })
    }

    pub fn needs_acceptance(&self) -> bool {
        !matches!(self, Standing::Agreed { .. } | Standing::Ended { .. })
    }
}

impl Access {
    /// The day access ended: the manager's date, or the day a staff member left.
    pub fn ended(&self) -> Option<String> {
        if let Some(on) = &self.ended_on {
            return Some(on.clone());
        }
        (self.staff_active == Some(false)).then(|| self.staff_left_on.clone().unwrap_or_default())
    }

    /// Where the agreement stands on `today` with the agreement now at `version`.
    pub fn standing(&self, today: Date, version: i64) -> Standing {
        if let Some(on) = self.ended() {
            return Standing::Ended { on };
        }
        match (self.agreed_at, self.agreed_version) {
            (Some(at), Some(v)) if v >= version => {
                let until = add_months(local_date(at), RENEW_MONTHS);
                if today >= until {
                    Standing::Lapsed { on: until }
                } else {
                    Standing::Agreed { until }
                }
            }
            (Some(_), _) => Standing::OldWording,
            _ => Standing::Waiting,
        }
    }

    pub fn kind(&self) -> &'static str {
        self.access_kind.label()
    }
}

/// An acceptance, as the register's page and the pack show it.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: i64,
    pub version: i64,
    pub digest: String,
    pub text: String,
    pub signed_name: String,
    pub via: Via,
    pub ip: String,
    pub agreed_at: i64,
}

from_row!(Accepted, r => Ok(Accepted {
    id: r.try_get("id")?,
    version: r.try_get("version")?,
    digest: r.try_get("digest")?,
    text: r.try_get("text")?,
    signed_name: r.try_get("signed_name")?,
    via: r.try_get("via")?,
    ip: r.try_get("ip")?,
    agreed_at: r.try_get("agreed_at")?,
}));

/// The add form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccessForm {
    /// A staff member's id, or empty for someone not on the staff list.
    pub staff_id: String,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub systems: String,
    pub access_kind: String,
}

/// A checked entry to add.
#[derive(Debug, Clone)]
pub struct NewAccess {
    pub staff_id: Option<StaffId>,
    pub full_name: PersonName,
    pub email: EmailAddress,
    pub organisation: String,
    pub systems: String,
    pub access_kind: AccessKind,
}

fn short_text(errors: &mut FieldErrors, field: &str, raw: &str, empty: &str, max: usize) -> String {
    let t = raw.trim();
    if t.is_empty() {
        errors.add(field, empty);
    } else if t.chars().count() > max {
        errors.add(field, format!("Keep this to {max} characters or fewer"));
    }
    t.to_string()
}

impl AccessForm {
    /// The entry, or what to fix. `staff` is the chosen staff member's id if
    /// they are on this practice's current staff list.
    pub fn check(&self, staff: Option<StaffId>) -> Result<NewAccess, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !self.staff_id.trim().is_empty() && staff.is_none() {
            errors.add(
                "staff_id",
                "Choose someone on the staff list, or \"Not on our staff list\"",
            );
        }
        let full_name = errors.take(PersonName::parse(&self.full_name));
        let email = errors.take(EmailAddress::parse(&self.email));
        let organisation = short_text(
            &mut errors,
            "organisation",
            &self.organisation,
            "Enter who they work for, like the practice, the ICB's GP IT service or the supplier",
            120,
        );
        let systems = short_text(
            &mut errors,
            "systems",
            &self.systems,
            "Enter the systems they can administer, like EMIS Web, the practice network",
            300,
        );
        let access_kind = AccessKind::from_key(&self.access_kind);
        if access_kind.is_none() {
            errors.add("access_kind", "Choose the kind of access they have");
        }
        match (full_name, email, access_kind) {
            (Some(full_name), Some(email), Some(access_kind)) if errors.is_empty() => {
                Ok(NewAccess {
                    staff_id: staff,
                    full_name,
                    email,
                    organisation,
                    systems,
                    access_kind,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The name typed when accepting through a link: the person's own, as they give it.
pub fn signed_name(raw: &str) -> Result<String, String> {
    PersonName::parse(raw)
        .map(|n| n.as_str().to_string())
        .map_err(|_| "Type your full name, as you would sign it".to_string())
}

/// The email asking an administrator to accept, with a single-use link.
pub fn link_email(a: &Access, practice: &str, link: &str) -> (String, String) {
    (
        format!("{practice}: please read and accept the IT administrator agreement"),
        format!(
            "Hello {name},\n\n\
             {practice} lists you as someone with administrator access to its IT systems ({systems}). \
             Everyone with that access is asked to read and accept a short agreement: what administrators may and may not do, \
             keeping information confidential, logging, and reporting problems at once. It is part of the practice's \
             Data Security and Protection Toolkit (item 4.3.1) and is renewed each year.\n\n\
             Read and accept it here. You do not need an account; the link works once and stops working in 7 days:\n{link}\n\n\
             If you no longer have this access, or think this email reached you by mistake, tell the practice manager.\n\n\
             Safety Net, for {practice}\n",
            name = a.full_name,
            systems = a.systems,
        ),
    )
}

/// The email asking a staff member with an account to accept in Safety Net.
pub fn account_email(a: &Access, practice: &str, page: &str) -> (String, String) {
    (
        format!("{practice}: please read and accept the IT administrator agreement"),
        format!(
            "Hello {name},\n\n\
             You have administrator access to {practice}'s IT systems ({systems}). Everyone with that access is asked to read \
             and accept a short agreement each year; it is part of the practice's Data Security and Protection Toolkit (item 4.3.1).\n\n\
             Sign in to Safety Net and open Your agreements to read and accept it:\n{page}\n\n\
             Safety Net, for {practice}\n",
            name = a.full_name,
            systems = a.systems,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn entry() -> Access {
        Access {
            id: AccessId::new(1),
            staff_id: None,
            full_name: "Dev Patel".into(),
            email: "dev@gpit.example".into(),
            organisation: "ICB GP IT".into(),
            systems: "Practice network".into(),
            access_kind: AccessKind::Network,
            ended_on: None,
            staff_active: None,
            staff_left_on: None,
            agreed_at: None,
            agreed_version: None,
        }
    }

    #[test]
    fn an_agreement_counts_for_a_year_and_for_the_current_wording() {
        let mut a = entry();
        assert_eq!(a.standing(date!(2026 - 06 - 01), 1), Standing::Waiting);
        // 10:00 UK time on 4 Dec 2025.
        a.agreed_at = Some(1_764_842_400);
        a.agreed_version = Some(1);
        assert_eq!(
            a.standing(date!(2026 - 12 - 03), 1),
            Standing::Agreed {
                until: date!(2026 - 12 - 04)
            }
        );
        assert_eq!(
            a.standing(date!(2026 - 12 - 04), 1),
            Standing::Lapsed {
                on: date!(2026 - 12 - 04)
            }
        );
        assert_eq!(a.standing(date!(2026 - 01 - 04), 2), Standing::OldWording);
    }

    #[test]
    fn access_ends_when_the_manager_says_or_the_staff_member_leaves() {
        let mut a = entry();
        a.staff_id = Some(StaffId::new(3));
        a.staff_active = Some(false);
        a.staff_left_on = Some("2026-03-31".into());
        assert_eq!(
            a.standing(date!(2026 - 06 - 01), 1),
            Standing::Ended {
                on: "2026-03-31".into()
            }
        );
        assert_eq!(
            a.standing(date!(2026 - 06 - 01), 1).explain(),
            "On 31 Mar 2026"
        );
        let mut b = entry();
        b.ended_on = Some("2026-05-01".into());
        assert!(!b.standing(date!(2026 - 06 - 01), 1).needs_acceptance());
    }

    #[test]
    fn the_form_says_what_to_fix() {
        let e = AccessForm {
            staff_id: "99".into(),
            email: "not an email".into(),
            access_kind: "root".into(),
            ..AccessForm::default()
        }
        .check(None)
        .unwrap_err();
        for field in [
            "staff_id",
            "full_name",
            "email",
            "organisation",
            "systems",
            "access_kind",
        ] {
            assert!(e.has(field), "{field}");
        }
        let ok = AccessForm {
            full_name: "Dev Patel".into(),
            email: "dev@gpit.example".into(),
            organisation: "ICB GP IT".into(),
            systems: "Practice network, EMIS Web".into(),
            access_kind: "network".into(),
            ..AccessForm::default()
        }
        .check(None)
        .unwrap();
        assert_eq!(ok.access_kind, AccessKind::Network);
        assert!(signed_name("  ").is_err());
        assert_eq!(signed_name(" Dev Patel ").unwrap(), "Dev Patel");
    }
}
