//! One person's own record in phishing exercises: what they did in each and
//! the training that followed. Only they and their practice manager see it
//! ("Your phishing exercises", and the staff member's page); team views
//! never show individuals.

use super::repo;
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::StaffId;
use crate::simulation::authoring::module_title;

pub struct Entry {
    pub when: String,
    pub reported: Option<String>,
    pub clicked: bool,
    pub submitted: bool,
    /// The follow-up modules, each with whether it is done.
    pub training: Vec<(String, bool)>,
}

impl Entry {
    /// A kind one-line summary, reporting first.
    pub fn summary(&self) -> &'static str {
        match (self.reported.is_some(), self.clicked) {
            (true, false) => "Spotted and reported it. Brilliant.",
            (true, true) => "Clicked, then reported it. Reporting after a click is exactly right.",
            (false, true) => "Clicked the link. It happens to everyone: the short refresher helps.",
            (false, false) => "Did not click. Next time, reporting it helps everyone.",
        }
    }
}

/// "within a minute", "after 12 minutes".
fn reported_after(secs: i64) -> String {
    let mins = secs.max(0) / 60;
    if mins < 1 {
        "within a minute".to_string()
    } else {
        format!("after {mins} minutes")
    }
}

/// The exercises this staff member received, newest first.
pub async fn for_staff(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<Entry>, sqlx::Error> {
    let received = repo::received(db, scope, staff_id).await?;
    let training = repo::follow_ups(db, scope, staff_id).await?;
    Ok(received
        .into_iter()
        .map(|r| Entry {
            when: crate::ukclock::format(r.sent_at),
            reported: r.reported_at.map(|at| reported_after(at - r.sent_at)),
            clicked: r.clicked_at.is_some(),
            submitted: r.submitted_at.is_some(),
            training: training
                .iter()
                .filter(|t| t.campaign_id == Some(r.campaign_id))
                .map(|t| {
                    (
                        module_title(&t.module).to_string(),
                        t.completed_at.is_some(),
                    )
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporting_comes_first_and_a_click_is_never_shamed() {
        let entry = |reported: bool, clicked: bool| Entry {
            when: String::new(),
            reported: reported.then(|| reported_after(30)),
            clicked,
            submitted: false,
            training: Vec::new(),
        };
        assert!(entry(true, false).summary().contains("Brilliant"));
        assert!(entry(true, true).summary().contains("exactly right"));
        assert!(entry(false, true).summary().contains("happens to everyone"));
        assert_eq!(reported_after(30), "within a minute");
        assert_eq!(reported_after(600), "after 10 minutes");
    }
}
