//! The culture tiles: suspicious emails reported, our own phishing
//! exercises, drills and the cyber minute at meetings.

use super::domain::{big_enough, median, percent, plural, Table, Tile};
use super::repo;
use crate::auth::PracticeScope;
use crate::culture::chart;
use crate::culture::library::OutcomeKey;
use crate::culture::reports::domain as months;
use crate::people::departments::Department;
use crate::shared::AppState;
use crate::simulation::reporting::results::human_duration;
use crate::ukclock;
use crate::web::AppError;

/// What every tile is computed from.
pub struct Context<'a> {
    pub state: &'a AppState,
    pub scope: &'a PracticeScope,
    pub now: i64,
    pub min_group: i64,
    pub departments: &'a [Department],
}

impl Context<'_> {
    pub fn today(&self) -> time::Date {
        ukclock::local_date(self.now)
    }
    /// The first day of the month eleven months back: twelve months shown.
    fn year_from(&self) -> time::Date {
        ukclock::add_months(months::month_start(self.today()), -11)
    }
    fn practice(&self) -> crate::shared::PracticeId {
        self.scope.practice_id()
    }
}

/// How many exercises the click-rate chart shows, newest last.
const EXERCISES_SHOWN: i64 = 6;

pub async fn reports(c: &Context<'_>) -> Result<Tile, AppError> {
    let db = &c.state.db;
    let mut t = Tile::new(
        "Suspicious emails reported per month",
        "/culture/reports",
        "Reports per month",
    );
    let (from, today) = (c.year_from(), c.today());
    let per_month = crate::culture::reports::per_month(db, c.practice(), from, today).await?;
    let total: i64 = per_month.iter().map(|m| m.count).sum();
    if total == 0 {
        return Ok(t.unknown(
            "No reports recorded yet. Staff can press \"I reported a suspicious email\" on their home page each time they report one.",
        ));
    }
    t.headline = format!(
        "{} in the last 12 months. Thank you to everyone who reported.",
        plural(total, "report", "reports")
    );
    let bars: Vec<(String, i64)> = per_month.iter().map(|m| (m.label(), m.count)).collect();
    t.chart = Some(chart::bars(t.title, &bars));
    t.table = Some(Table {
        caption: "Reports per month".into(),
        head: vec!["Month", "Reports"],
        rows: per_month
            .iter()
            .map(|m| vec![m.label(), m.count.to_string()])
            .collect(),
    });
    // Departments only at or above the minimum group size.
    let counts = repo::reports_by_department(db, c.practice(), months::range(from, today)).await?;
    let mut hidden = 0;
    for d in c.departments.iter().filter(|d| d.active_staff > 0) {
        if big_enough(d.active_staff, c.min_group) {
            let n = counts
                .iter()
                .find(|(id, _)| *id == Some(d.id))
                .map_or(0, |x| x.1);
            t.notes
                .push(format!("{}: {}", d.name, plural(n, "report", "reports")));
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        t.notes.push(format!(
            "{} not shown: fewer than {} current staff.",
            plural(hidden, "department is", "departments are"),
            c.min_group
        ));
    }
    Ok(t)
}

pub async fn exercises(c: &Context<'_>) -> Result<Tile, AppError> {
    let db = &c.state.db;
    let mut t = Tile::new(
        "Click rate in our phishing exercises",
        "/simulation",
        "Phishing exercises",
    );
    let year_ago = months::start_of(c.year_from());
    let mut recent = repo::recent_exercises(db, c.practice(), i64::MIN, EXERCISES_SHOWN).await?;
    recent.retain(|e| big_enough(e.sent, c.min_group));
    if recent.is_empty() {
        return Ok(t.unknown(
            "No exercise results yet: run a phishing exercise to see how many people click and how quickly they report it.",
        ));
    }
    recent.reverse();
    // Time from sent to reported, across the last 12 months' exercises.
    let mut delays = Vec::new();
    for e in recent.iter().filter(|e| e.launch_at >= year_ago) {
        // Run elsewhere, only the counts are known, not when each report came.
        if let Some(id) = e.id {
            delays.extend(crate::simulation::reporting::repo::report_delays(db, id).await?);
        }
    }
    delays.sort_unstable();
    let latest = recent.last().expect("not empty");
    // Reporting first: it is what we want more of.
    t.headline = format!(
        "In the latest exercise, \"{}\", {}% reported the email and {}% clicked.",
        latest.name,
        percent(latest.reported, latest.sent).unwrap_or(0),
        percent(latest.clicked, latest.sent).unwrap_or(0)
    );
    t.notes.push(match median(&delays) {
        Some(d) => format!(
            "Median time from sending to a report in the last 12 months: {}.",
            human_duration(d.max(0))
        ),
        None => "No one has reported an exercise email in the last 12 months yet.".into(),
    });
    let bars: Vec<(String, i64)> = recent
        .iter()
        .map(|e| {
            (
                ukclock::format_date(e.launch_at),
                percent(e.clicked, e.sent).unwrap_or(0),
            )
        })
        .collect();
    t.chart = Some(chart::bars(t.title, &bars));
    t.table = Some(Table {
        caption: "Latest exercises (each with at least the minimum group size)".into(),
        head: vec!["Exercise", "Started", "Emails sent", "Clicked", "Reported"],
        rows: recent
            .iter()
            .rev()
            .map(|e| {
                vec![
                    e.name.clone(),
                    ukclock::format_date(e.launch_at),
                    e.sent.to_string(),
                    format!("{}%", percent(e.clicked, e.sent).unwrap_or(0)),
                    format!("{}%", percent(e.reported, e.sent).unwrap_or(0)),
                ]
            })
            .collect(),
    });
    Ok(t)
}

fn outcome_label(o: OutcomeKey) -> &'static str {
    match o {
        OutcomeKey::GoodCatch => "Good catch",
        OutcomeKey::Partly => "Partly",
        OutcomeKey::NeedsPractice => "Needs more practice",
    }
}

pub async fn drills(c: &Context<'_>) -> Result<Tile, AppError> {
    let mut t = Tile::new("Drill outcomes", "/culture/drills", "Drills");
    let range = months::range(c.year_from(), c.today());
    let counts =
        crate::culture::drills::repo::outcome_counts(&c.state.db, c.practice(), None, range)
            .await?;
    let total: i64 = counts.iter().sum();
    if total == 0 {
        return Ok(t.unknown(
            "No drills recorded yet: a champion or you can run one from the drill library (a phone call, a text message, a USB stick, a walk-round).",
        ));
    }
    if !big_enough(total, c.min_group) {
        t.headline = format!(
            "{} in the last 12 months. How they went is shown once there are at least {}, so no one is picked out.",
            plural(total, "drill", "drills"),
            c.min_group
        );
        return Ok(t);
    }
    t.headline = format!(
        "{} in the last 12 months, {} of them a good catch.",
        plural(total, "drill outcome", "drill outcomes"),
        counts[0]
    );
    let bars: Vec<(String, i64)> = OutcomeKey::ALL
        .iter()
        .zip(counts)
        .map(|(o, n)| (outcome_label(*o).to_string(), n))
        .collect();
    t.chart = Some(chart::bars(t.title, &bars));
    t.table = Some(Table {
        caption: "Drill outcomes in the last 12 months".into(),
        head: vec!["Outcome", "Drills"],
        rows: bars
            .iter()
            .map(|(l, n)| vec![l.clone(), n.to_string()])
            .collect(),
    });
    Ok(t)
}

pub async fn meetings(c: &Context<'_>) -> Result<Tile, AppError> {
    let db = &c.state.db;
    let mut t = Tile::new(
        "The cyber minute at meetings",
        "/culture/meetings",
        "Meetings",
    );
    let held =
        crate::culture::meetings::held_between(db, c.practice(), c.year_from(), c.today()).await?;
    if held.is_empty() {
        return Ok(t.unknown(
            "No meetings recorded yet: record the cyber minute at your next practice meeting.",
        ));
    }
    let open = crate::culture::meetings::repo::open_actions(db, c.practice()).await?;
    let today = c.today().to_string();
    let late = open.iter().filter(|a| a.due_on < today).count() as i64;
    t.headline = format!(
        "{} with a cyber minute in the last 12 months, the latest on {}.",
        plural(held.len() as i64, "meeting", "meetings"),
        crate::training::assignments::parse_date(&held[0].held_on)
            .map_or(held[0].held_on.clone(), ukclock::day)
    );
    t.notes.push(match (open.len() as i64, late) {
        (0, _) => "Every action from meetings is done.".into(),
        (n, 0) => format!("{} open.", plural(n, "action is", "actions are")),
        (n, l) => format!(
            "{} open, {l} past {} date.",
            plural(n, "action is", "actions are"),
            if l == 1 { "its" } else { "their" }
        ),
    });
    t.attention = late > 0;
    Ok(t)
}
