//! One person's own record in phishing exercises: what they did in each and
//! the training that followed. Only they and their practice manager see it
//! ("Your phishing exercises", and the staff member's page); team views
//! never show individuals.

use super::repo;
use crate::auth::PracticeScope;
use crate::db::Db;
use crate::shared::StaffId;
use crate::simulation::authoring::module_title;
use crate::simulation::external;

pub struct Entry {
    pub when: String,
    /// When it arrived (or, run elsewhere, the day it started), for ordering.
    pub at: i64,
    /// The exercise's name when it was run elsewhere (NHS England's service, another tool).
    pub elsewhere: Option<String>,
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

/// The follow-up modules that belong to one exercise, each with whether it is done.
fn titles(
    training: &[repo::FollowUp],
    belongs: impl Fn(&repo::FollowUp) -> bool,
) -> Vec<(String, bool)> {
    training
        .iter()
        .filter(|t| belongs(t))
        .map(|t| {
            (
                module_title(&t.module).to_string(),
                t.completed_at.is_some(),
            )
        })
        .collect()
}

/// The exercises this staff member received, ours and those run elsewhere, newest first.
pub async fn for_staff(
    db: &Db,
    scope: &PracticeScope,
    staff_id: StaffId,
) -> Result<Vec<Entry>, sqlx::Error> {
    let received = repo::received(db, scope, staff_id).await?;
    let training = repo::follow_ups(db, scope, staff_id).await?;
    let elsewhere = external::repo::received(db, scope.practice_id(), staff_id).await?;
    let mut entries: Vec<Entry> = elsewhere
        .into_iter()
        .map(|r| {
            let reason = external::routes::follow_up_reason(&r.name);
            let date = crate::training::assignments::parse_date(&r.starts_on);
            Entry {
                when: date.map(crate::ukclock::day).unwrap_or_default(),
                at: date.map_or(0, crate::ukclock::end_of_day),
                reported: r.reported.then(|| match r.reported_at {
                    Some(at) => format!("on {}", crate::ukclock::format(at)),
                    None => "during the exercise".to_string(),
                }),
                clicked: r.clicked || r.submitted,
                submitted: r.submitted,
                training: titles(&training, |t| t.campaign_id.is_none() && t.reason == reason),
                elsewhere: Some(r.name),
            }
        })
        .collect();
    entries.extend(received.into_iter().map(|r| Entry {
        when: crate::ukclock::format(r.sent_at),
        at: r.sent_at,
        elsewhere: None,
        reported: r.reported_at.map(|at| reported_after(at - r.sent_at)),
        clicked: r.clicked_at.is_some(),
        submitted: r.submitted_at.is_some(),
        training: titles(&training, |t| t.campaign_id == Some(r.campaign_id)),
    }));
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporting_comes_first_and_a_click_is_never_shamed() {
        let entry = |reported: bool, clicked: bool| Entry {
            when: String::new(),
            at: 0,
            elsewhere: None,
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
