//! Planning a drill for a day: the manager or a champion puts it in the
//! diary, it shows on the drills page and in the manager's "this week", and
//! recording how it went marks the plan done. Plans are never shown to staff:
//! a phone drill or a USB stick only works as practice if it is not expected.
//!
//! By job: this file (the form's rules), `repo` (`drill_plans`), `routes`.

pub mod repo;
pub mod routes;

use time::Date;

use crate::web::FieldErrors;

/// How far ahead a drill may be planned.
pub const AHEAD_DAYS: i64 = 366;

/// How many days early a recorded drill still carries out its plan (run a
/// little ahead of the day planned, it still counts).
pub const EARLY_DAYS: i64 = 7;

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PlanForm {
    /// YYYY-MM-DD, from a date field.
    pub planned_on: String,
    /// The department (manager only; a champion plans for their own). Named
    /// apart from the outcome form's field on the same page.
    pub plan_department_id: String,
}

/// The day and department the form asks for, or what to fix.
pub fn check(f: &PlanForm, today: Date) -> Result<(Date, Option<i64>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let on = crate::resilience::dates::parse_iso(f.planned_on.trim());
    match on {
        None => errors.add("planned_on", "Enter the date you plan to run the drill"),
        Some(d) if d < today => errors.add("planned_on", "Choose today or a date after it"),
        Some(d) if d > today + time::Duration::days(AHEAD_DAYS) => {
            errors.add("planned_on", "Choose a date within the next year")
        }
        Some(_) => {}
    }
    let department = match f.plan_department_id.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("plan_department_id", "Choose a department from the list");
                None
            }
        },
    };
    match (on, errors.is_empty()) {
        (Some(on), true) => Ok((on, department)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form(on: &str) -> PlanForm {
        PlanForm {
            planned_on: on.into(),
            plan_department_id: String::new(),
        }
    }

    #[test]
    fn a_plan_is_for_today_or_a_day_within_the_year() {
        let today = date!(2026 - 12 - 04);
        assert_eq!(check(&form("2026-12-04"), today).unwrap(), (today, None));
        assert!(check(&form("2027-06-01"), today).is_ok());
        for bad in ["", "next week", "2026-12-03", "2028-01-01"] {
            let e = check(&form(bad), today).unwrap_err();
            assert!(e.has("planned_on"), "{bad}");
        }
        let mut f = form("2026-12-10");
        f.plan_department_id = "x".into();
        assert!(check(&f, today).unwrap_err().has("plan_department_id"));
    }
}
