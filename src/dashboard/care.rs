//! The tiles for what the practice looks after: training against the DSPT
//! target, devices, backups, plans and exercises, and champion coverage.

use super::culture::Context;
use super::domain::{big_enough, percent, plural, Table, Tile};
use super::repo;
use crate::resilience::{assets, backups, support_dates};
use crate::ukclock;
use crate::web::AppError;

/// How far ahead a plan review counts as due (as "this week" says).
const PLAN_REVIEW_AHEAD_DAYS: i64 = 14;

pub async fn training(c: &Context<'_>) -> Result<Tile, AppError> {
    let db = &c.state.db;
    let mut t = Tile::new(
        "Training up to date",
        "/training/manage",
        "Training and compliance",
    );
    let s = crate::training::settings::load(db, c.scope.practice_id()).await?;
    let sum = crate::training::compliance::summary(db, c.scope.practice_id(), &s, c.now).await?;
    let Some(share) = percent(sum.trained as i64, sum.staff as i64) else {
        return Ok(
            t.unknown("No current staff recorded yet: add your staff list to see who is trained.")
        );
    };
    t.headline = format!(
        "{share}% of staff are trained this year ({} of {}); the DSPT target is {}%.",
        sum.trained, sum.staff, s.compliance_target
    );
    t.attention = share < s.compliance_target;
    let bars = vec![
        ("Trained".to_string(), share),
        ("Target".to_string(), s.compliance_target),
    ];
    t.chart = Some(crate::culture::chart::bars(t.title, &bars));
    let mut rows = vec![vec!["Whole practice".to_string(), format!("{share}%")]];
    let mut hidden = 0;
    for d in &sum.departments {
        if big_enough(d.staff as i64, c.min_group) {
            rows.push(vec![d.name.clone(), format!("{}%", d.percent())]);
        } else if d.staff > 0 {
            hidden += 1;
        }
    }
    t.table = Some(Table {
        caption: "Share of staff trained this year".into(),
        head: vec!["Who", "Trained"],
        rows,
    });
    if hidden > 0 {
        t.notes.push(format!(
            "{} not shown: fewer than {} current staff.",
            plural(hidden, "department is", "departments are"),
            c.min_group
        ));
    }
    Ok(t)
}

pub async fn devices(c: &Context<'_>) -> Result<Tile, AppError> {
    let mut t = Tile::new(
        "Devices overdue or unsupported",
        "/resilience/assets?show=attention",
        "Asset register",
    );
    support_dates::refresh(&c.state.db, c.scope).await?;
    let d = assets::repo::counts(&c.state.db, c.scope, c.now).await?;
    if d.total == 0 {
        return Ok(t.unknown(
            "No devices recorded yet: add them to the asset register to know which need updates.",
        ));
    }
    t.headline = format!(
        "{} out of support, {} with updates overdue, of {} recorded.",
        d.unsupported,
        d.overdue,
        plural(d.total, "device", "devices")
    );
    t.attention = d.unsupported > 0 || d.overdue > 0;
    if d.unknown_updates > 0 {
        t.notes.push(format!(
            "{} no date for their last updates.",
            plural(d.unknown_updates, "device has", "devices have")
        ));
    }
    let bars = vec![
        ("Unsupported".to_string(), d.unsupported),
        ("Overdue".to_string(), d.overdue),
        ("Ending soon".to_string(), d.ending_soon),
    ];
    t.chart = Some(crate::culture::chart::bars(t.title, &bars));
    t.table = Some(Table {
        caption: "Devices needing attention".into(),
        head: vec!["What", "Devices"],
        rows: bars
            .iter()
            .map(|(l, n)| vec![l.clone(), n.to_string()])
            .collect(),
    });
    Ok(t)
}

pub async fn backups(c: &Context<'_>) -> Result<Tile, AppError> {
    let mut t = Tile::new(
        "Backups and restore tests",
        "/resilience/backups",
        "Backups",
    );
    let b = backups::routes::counts(c.state, c.scope).await?;
    if b.listed == 0 {
        return Ok(
            t.unknown("No backups recorded yet: record what is backed up and who checks it.")
        );
    }
    t.headline = match (b.overdue, b.restores_due) {
        (0, 0) => format!(
            "All {} checked on time, with restore tests done.",
            plural(b.listed, "backup", "backups")
        ),
        (o, r) => format!(
            "{} overdue or never recorded; {} due, failed or never done (of {} listed).",
            plural(o, "backup", "backups"),
            plural(r, "restore test", "restore tests"),
            b.listed
        ),
    };
    t.attention = b.overdue > 0 || b.restores_due > 0;
    Ok(t)
}

pub async fn plans(c: &Context<'_>) -> Result<Tile, AppError> {
    let db = &c.state.db;
    let mut t = Tile::new(
        "Plans and exercises due",
        "/resilience/plans",
        "Plans and exercises",
    );
    let today = c.today();
    let review_by = (today + time::Duration::days(PLAN_REVIEW_AHEAD_DAYS)).to_string();
    let p = repo::plan_counts(db, c.scope.practice_id(), &review_by).await?;
    let (last_done, next) =
        repo::exercise_dates(db, c.scope.practice_id(), &today.to_string()).await?;
    if p.total == 0 && last_done.is_none() && next.is_none() {
        return Ok(t.unknown(
            "No plans or exercises recorded yet: start with the incident response plan.",
        ));
    }
    t.headline = if p.total == 0 {
        "No plans written yet.".to_string()
    } else {
        format!(
            "{} approved of {}; {} due for review.",
            p.approved,
            plural(p.total, "plan", "plans"),
            p.review_due
        )
    };
    let date =
        |s: &str| crate::training::assignments::parse_date(s).map_or(s.to_string(), ukclock::day);
    let due = crate::resilience::exercises::domain::due(last_done.as_deref(), today);
    t.notes.push(match (&last_done, &next) {
        (_, Some(n)) => format!("The next exercise is planned for {}.", date(n)),
        (Some(l), None) if due => format!("An exercise is due: the last was on {}.", date(l)),
        (Some(l), None) => format!("The last exercise was on {}.", date(l)),
        (None, None) => "An exercise is due: none recorded yet.".to_string(),
    });
    t.attention = p.review_due > 0 || (due && next.is_none());
    Ok(t)
}

pub fn champions(c: &Context<'_>) -> Tile {
    // Computed here from the department list; champions' own coverage page
    // may give it one day.
    let mut t = Tile::new("Champion coverage", "/departments", "Departments");
    let staffed: Vec<_> = c
        .departments
        .iter()
        .filter(|d| d.active_staff > 0)
        .collect();
    if staffed.is_empty() {
        return t.unknown("No staff in departments yet: add your staff list first.");
    }
    let without: Vec<&str> = staffed
        .iter()
        .filter(|d| d.champions.is_empty())
        .map(|d| d.name.as_str())
        .collect();
    t.headline = if without.is_empty() {
        format!(
            "Every department with staff has a cyber champion ({} departments).",
            staffed.len()
        )
    } else {
        format!(
            "{} of {} without a cyber champion: {}.",
            without.len(),
            plural(staffed.len() as i64, "department", "departments"),
            without.join(", ")
        )
    };
    t.attention = !without.is_empty();
    t
}
