//! What "trained" means, and the practice's figures built from it. No I/O.
//!
//! A person's training is up to date when every module their role's
//! curriculum names has been completed within the refresher interval (12
//! months unless the practice changed it). That is the DSPT's "staff trained
//! in the last year"; the compliance view, the weekly round-up, the home page
//! figure and the TNA's PDF all count it this way.

use std::collections::HashSet;

use crate::shared::StaffId;
use crate::training::content::module_title;
use crate::training::settings::TrainingSettings;
use crate::ukclock;

/// The moment from which a completion still counts: the end of the day one
/// refresher interval ago, UK time.
pub fn counts_from(now: i64, s: &TrainingSettings) -> i64 {
    ukclock::end_of_day(ukclock::add_months(
        ukclock::local_date(now),
        -s.refresher_months,
    ))
}

/// The modules of a curriculum not yet done: empty means up to date.
/// `done(module)` says whether the person completed it since [`counts_from`].
pub fn outstanding(curriculum: &[String], done: impl Fn(&str) -> bool) -> Vec<&str> {
    curriculum
        .iter()
        .map(String::as_str)
        .filter(|m| !done(m))
        .collect()
}

pub struct Overdue {
    pub staff_id: StaffId,
    pub name: String,
    pub module_title: String,
    /// The UK date it was due.
    pub due: String,
}

pub struct DepartmentLine {
    pub name: String,
    pub staff: usize,
    pub trained: usize,
}

impl DepartmentLine {
    pub fn percent(&self) -> usize {
        (self.trained * 100).checked_div(self.staff).unwrap_or(0)
    }
}

/// Someone whose training is not up to date, and what they still need.
pub struct PersonLine {
    pub staff_id: StaffId,
    pub name: String,
    pub department: String,
    /// Titles of the modules still to do.
    pub missing: Vec<String>,
}

/// Where a practice's training stands.
pub struct Summary {
    pub staff: usize,
    pub trained: usize,
    pub overdue: Vec<Overdue>,
    pub departments: Vec<DepartmentLine>,
    pub not_trained: Vec<PersonLine>,
}

impl Summary {
    pub fn percent(&self) -> usize {
        (self.trained * 100).checked_div(self.staff).unwrap_or(0)
    }

    /// Whether the share trained reaches the practice's DSPT target.
    pub fn meets(&self, s: &TrainingSettings) -> bool {
        self.staff > 0 && self.percent() as i64 >= s.compliance_target
    }
}

/// One current member of staff and their curriculum.
pub struct Person<'a> {
    pub staff_id: StaffId,
    pub name: String,
    pub department: Option<String>,
    pub curriculum: &'a [String],
}

/// The practice's figures. `people` in the order the page lists them; `done`
/// holds (person, module) completed since [`counts_from`]; `overdue` in the
/// order the page lists them.
pub fn summarise(
    people: Vec<Person<'_>>,
    done: &HashSet<(StaffId, String)>,
    overdue: Vec<Overdue>,
) -> Summary {
    let staff = people.len();
    let mut departments: Vec<DepartmentLine> = Vec::new();
    let mut not_trained = Vec::new();
    let mut trained = 0;
    for p in people {
        let missing = outstanding(p.curriculum, |m| {
            done.contains(&(p.staff_id, m.to_string()))
        });
        let ok = missing.is_empty();
        let dept_name = p.department.unwrap_or_else(|| "No department".into());
        match departments.iter_mut().find(|d| d.name == dept_name) {
            Some(d) => {
                d.staff += 1;
                d.trained += usize::from(ok);
            }
            None => departments.push(DepartmentLine {
                name: dept_name.clone(),
                staff: 1,
                trained: usize::from(ok),
            }),
        }
        if ok {
            trained += 1;
        } else {
            not_trained.push(PersonLine {
                staff_id: p.staff_id,
                name: p.name,
                department: dept_name,
                missing: missing
                    .into_iter()
                    .map(|m| module_title(m).to_string())
                    .collect(),
            });
        }
    }
    departments.sort_by(|a, b| a.name.cmp(&b.name));
    Summary {
        staff,
        trained,
        overdue,
        departments,
        not_trained,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trained_means_every_module_of_the_curriculum_done() {
        let curriculum = vec!["phishing".to_string(), "passwords".to_string()];
        let person = |id: i64, dept: Option<&str>| Person {
            staff_id: StaffId::new(id),
            name: format!("Person {id}"),
            department: dept.map(str::to_string),
            curriculum: &curriculum,
        };
        let done: HashSet<(StaffId, String)> = [
            (StaffId::new(1), "phishing".to_string()),
            (StaffId::new(1), "passwords".to_string()),
            (StaffId::new(2), "phishing".to_string()),
        ]
        .into_iter()
        .collect();
        let s = summarise(
            vec![
                person(1, Some("Reception")),
                person(2, Some("Reception")),
                person(3, None),
            ],
            &done,
            Vec::new(),
        );
        assert_eq!((s.staff, s.trained, s.percent()), (3, 1, 33));
        assert_eq!(s.not_trained.len(), 2);
        assert_eq!(s.not_trained[0].missing.len(), 1);
        assert_eq!(s.not_trained[1].department, "No department");
        let names: Vec<_> = s.departments.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["No department", "Reception"]);
        assert_eq!(s.departments[1].percent(), 50);
        // An empty curriculum has nothing outstanding.
        assert!(outstanding(&[], |_| false).is_empty());
        let target = TrainingSettings::default();
        assert!(!s.meets(&target));
        assert!(!summarise(Vec::new(), &done, Vec::new()).meets(&target));
    }
}
