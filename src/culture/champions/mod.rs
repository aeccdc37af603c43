//! Cyber-security champions, one or more per department (issue 14 §3):
//! coverage (the departments page and the manager's dashboard show
//! departments without a champion), and the champion's own page for their
//! department: this month's figures (at the minimum group size), drills
//! planned and suggested, their start date and agreed responsibilities, and
//! the log of colleagues' questions and near misses, each of which can
//! become an incident report or a training module in one step.
//!
//! By job: this file (coverage), `domain` (the log form's rules), `repo`
//! (`champion_log`, and the champion columns on `staff`), `routes`, `views`.

pub mod domain;
pub mod repo;
pub mod routes;
mod views;

/// The responsibilities a new champion is asked to agree, until changed.
pub const DEFAULT_DUTIES: [&str; 5] = [
    "Be the person colleagues in my department can ask \"is this phishing?\", and always thank them for asking",
    "Pass near misses and anything that may be an incident to the practice manager the same day",
    "Run a short drill in my department each month, kindly",
    "Share the cyber minute's tip with colleagues who missed the meeting",
    "Keep my own security training up to date",
];

use crate::auth::PracticeScope;
use crate::db::Db;
use crate::people::departments::{self, Department};

/// The practice's departments split by whether anyone champions them.
pub struct Coverage {
    /// Departments with at least one current champion (names in `champions`).
    pub with_champion: Vec<Department>,
    /// Departments with current staff but no champion: these need one.
    pub without_champion: Vec<Department>,
}

/// Champion coverage for the scope's practice. A department with nobody in
/// it needs no champion, so it is in neither list.
pub async fn coverage(db: &Db, scope: &PracticeScope) -> Result<Coverage, sqlx::Error> {
    Ok(split(departments::all(db, scope).await?))
}

fn split(all: Vec<Department>) -> Coverage {
    let (with_champion, rest): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|d| !d.champions.is_empty());
    Coverage {
        with_champion,
        without_champion: rest.into_iter().filter(|d| d.active_staff > 0).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(name: &str, active_staff: i64, champions: &[&str]) -> Department {
        Department {
            id: 1,
            name: name.into(),
            active_staff,
            champions: champions.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn an_empty_department_needs_no_champion() {
        let c = split(vec![
            dept("Reception", 6, &["Amelia Hughes"]),
            dept("Clinical", 4, &[]),
            dept("Dispensary", 0, &[]),
        ]);
        assert_eq!(c.with_champion.len(), 1);
        let names: Vec<_> = c.without_champion.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Clinical"]);
    }
}
