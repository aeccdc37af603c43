//! Storage for what only the GoPhish API has: groups of staff
//! (`sim_groups`, `sim_group_members`) and landing pages (`landing_pages`),
//! and results and events in GoPhish's shape. (API keys are `auth`'s:
//! `auth::api_keys`.)

use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::shared::{CampaignId, StaffId};
use crate::simulation::ids::{GroupId, PageId, RecipientId};
use crate::simulation::library::Landing;
use crate::simulation::sending::Target;
use crate::simulation::states::{Kind, SendStatus};
use crate::{with_db, with_tx};

// ---------- groups ----------

pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub modified_at: i64,
    pub members: i64,
}
named_row!(Group {
    id,
    name,
    modified_at,
    members
});

const GROUP: &str = "SELECT g.id, g.name, g.modified_at, \
     (SELECT COUNT(*) FROM sim_group_members m WHERE m.group_id = g.id) AS members FROM sim_groups g";

pub async fn group(
    db: &Db,
    scope: &PracticeScope,
    id: GroupId,
) -> Result<Option<Group>, sqlx::Error> {
    let sql = format!("{GROUP} WHERE g.id = $1 AND g.practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

pub async fn groups(db: &Db, scope: &PracticeScope) -> Result<Vec<Group>, sqlx::Error> {
    let sql = format!("{GROUP} WHERE g.practice_id = $1 ORDER BY g.id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

/// A group's members as GoPhish lists them, by name.
pub struct Member {
    pub id: StaffId,
    pub email: String,
    pub full_name: String,
    pub job_role: String,
}
named_row!(Member {
    id,
    email,
    full_name,
    job_role
});

pub async fn members(
    db: &Db,
    scope: &PracticeScope,
    id: GroupId,
) -> Result<Vec<Member>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.email, s.full_name, s.job_role FROM sim_group_members m JOIN staff s ON s.id = m.staff_id \
         WHERE m.group_id = $1 AND s.practice_id = $2 ORDER BY s.full_name, s.id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)
}

/// The current staff in a group, as an exercise would be sent to them.
pub async fn group_targets(
    db: &Db,
    scope: &PracticeScope,
    id: GroupId,
) -> Result<Vec<Target>, sqlx::Error> {
    struct Row {
        id: StaffId,
        department_id: Option<i64>,
        email: String,
        full_name: String,
        job_role: String,
    }
    named_row!(Row {
        id,
        department_id,
        email,
        full_name,
        job_role
    });
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(
        "SELECT s.id, s.department_id, s.email, s.full_name, s.job_role FROM sim_group_members m JOIN staff s ON s.id = m.staff_id \
         WHERE m.group_id = $1 AND s.practice_id = $2 AND s.active ORDER BY s.id")
        .bind(id).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Target {
            staff_id: r.id,
            department_id: r.department_id,
            email: r.email,
            full_name: r.full_name,
            job_role: r.job_role,
        })
        .collect())
}

/// A member of staff's address, to match a group's targets against.
pub struct StaffEmail {
    pub id: StaffId,
    pub email: String,
}
named_row!(StaffEmail { id, email });

/// The practice's current staff (`people` owns them).
pub async fn staff_emails(db: &Db, scope: &PracticeScope) -> Result<Vec<StaffEmail>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, email FROM staff WHERE practice_id = $1 AND active").bind(scope.practice_id()).fetch_all(p).await)
}

/// Whether another of the practice's groups (not `except`) has this name.
pub async fn group_name_taken(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
    except: Option<GroupId>,
) -> Result<bool, sqlx::Error> {
    let except = except.map_or(0, GroupId::get);
    let n: i64 = with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sim_groups WHERE practice_id = $1 AND name = $2 AND id <> $3")
        .bind(scope.practice_id()).bind(name).bind(except).fetch_one(p).await)?;
    Ok(n > 0)
}

pub async fn group_id_by_name(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
) -> Result<Option<GroupId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM sim_groups WHERE practice_id = $1 AND name = $2 ORDER BY id LIMIT 1")
        .bind(scope.practice_id()).bind(name).fetch_optional(p).await)
}

/// Stores a group and its members (a new one when `id` is None, else
/// replacing the named one's members); returns its id.
pub async fn save_group(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: Option<GroupId>,
    name: &str,
    members: &[StaffId],
    now: i64,
) -> Result<GroupId, sqlx::Error> {
    let practice_id = scope.practice_id();
    with_tx!(tx, c => {
        let id = match id {
            Some(id) => {
                sqlx::query("UPDATE sim_groups SET name = $1, modified_at = $2 WHERE id = $3 AND practice_id = $4")
                    .bind(name).bind(now).bind(id).bind(practice_id).execute(&mut *c).await?;
                sqlx::query("DELETE FROM sim_group_members WHERE group_id = $1").bind(id).execute(&mut *c).await?;
                id
            }
            None => {
                sqlx::query_scalar("INSERT INTO sim_groups (practice_id, name, modified_at) VALUES ($1, $2, $3) RETURNING id")
                    .bind(practice_id).bind(name).bind(now).fetch_one(&mut *c).await?
            }
        };
        // Many rows a statement: a group can be a whole federation's staff.
        for chunk in members.chunks(400) {
            let values = (0..chunk.len()).map(|i| format!("($1, ${})", i + 2)).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO sim_group_members (group_id, staff_id) VALUES {values}");
            let mut q = sqlx::query(&sql).bind(id);
            for staff_id in chunk {
                q = q.bind(*staff_id);
            }
            q.execute(&mut *c).await?;
        }
        Ok(id)
    })
}

pub async fn delete_group(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: GroupId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM sim_group_members WHERE group_id = $1").bind(id).execute(&mut *c).await?;
        sqlx::query("DELETE FROM sim_groups WHERE id = $1 AND practice_id = $2").bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ())
    })
}

// ---------- landing pages ----------

/// A GoPhish landing page: the landing kind it chose, and its HTML, kept
/// only to be shown back (never served).
pub struct Page {
    pub id: PageId,
    pub name: String,
    pub landing: Landing,
    pub html: String,
    pub redirect_url: String,
    pub modified_at: i64,
}
named_row!(Page {
    id,
    name,
    landing,
    html,
    redirect_url,
    modified_at
});

const PAGE: &str = "SELECT id, name, landing, html, redirect_url, modified_at FROM landing_pages";

pub async fn page(db: &Db, scope: &PracticeScope, id: PageId) -> Result<Option<Page>, sqlx::Error> {
    let sql = format!("{PAGE} WHERE id = $1 AND practice_id = $2");
    with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(scope.practice_id()).fetch_optional(p).await)
}

pub async fn pages(db: &Db, scope: &PracticeScope) -> Result<Vec<Page>, sqlx::Error> {
    let sql = format!("{PAGE} WHERE practice_id = $1 ORDER BY id");
    with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)
}

pub async fn page_id_by_name(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
) -> Result<Option<PageId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM landing_pages WHERE practice_id = $1 AND name = $2 ORDER BY id LIMIT 1")
        .bind(scope.practice_id()).bind(name).fetch_optional(p).await)
}

/// Whether another of the practice's pages (not `except`) has this name.
pub async fn page_name_taken(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
    except: Option<PageId>,
) -> Result<bool, sqlx::Error> {
    let except = except.map_or(0, PageId::get);
    let n: i64 = with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM landing_pages WHERE practice_id = $1 AND name = $2 AND id <> $3")
        .bind(scope.practice_id()).bind(name).bind(except).fetch_one(p).await)?;
    Ok(n > 0)
}

/// What a saved page holds.
pub struct NewPage<'a> {
    pub name: &'a str,
    pub landing: Landing,
    pub html: &'a str,
    pub redirect_url: &'a str,
}

/// Stores a page (a new one when `id` is None); returns its id.
pub async fn save_page(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: Option<PageId>,
    pg: &NewPage<'_>,
    now: i64,
) -> Result<PageId, sqlx::Error> {
    with_tx!(tx, c => match id {
        Some(id) => sqlx::query("UPDATE landing_pages SET name = $1, landing = $2, html = $3, redirect_url = $4, modified_at = $5 WHERE id = $6 AND practice_id = $7")
            .bind(pg.name).bind(pg.landing).bind(pg.html).bind(pg.redirect_url).bind(now).bind(id).bind(scope.practice_id())
            .execute(&mut *c).await.map(|_| id),
        None => sqlx::query_scalar(
            "INSERT INTO landing_pages (practice_id, name, landing, html, redirect_url, modified_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(scope.practice_id()).bind(pg.name).bind(pg.landing).bind(pg.html).bind(pg.redirect_url).bind(now).fetch_one(&mut *c).await,
    })
}

pub async fn delete_page(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: PageId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM landing_pages WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

// ---------- results and events ----------

/// One recipient as GoPhish's results list them.
pub struct PersonResult {
    pub id: RecipientId,
    pub email: String,
    pub full_name: String,
    pub job_role: String,
    pub send_status: SendStatus,
    pub sent_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub clicked_at: Option<i64>,
    pub submitted_at: Option<i64>,
    pub reported_at: Option<i64>,
}
named_row!(PersonResult {
    id,
    email,
    full_name,
    job_role,
    send_status,
    sent_at,
    opened_at,
    clicked_at,
    submitted_at,
    reported_at
});

pub async fn results(db: &Db, campaign_id: CampaignId) -> Result<Vec<PersonResult>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT id, email, full_name, job_role, send_status, sent_at, opened_at, clicked_at, submitted_at, reported_at \
         FROM campaign_recipients WHERE campaign_id = $1 ORDER BY id")
        .bind(campaign_id).fetch_all(p).await)
}

/// A person's event (scanners' are left out), for GoPhish's timeline.
pub struct CountedEvent {
    pub kind: Kind,
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    pub email: String,
}
named_row!(CountedEvent {
    kind,
    at,
    ip,
    user_agent,
    email
});

pub async fn counted_events(
    db: &Db,
    campaign_id: CampaignId,
) -> Result<Vec<CountedEvent>, sqlx::Error> {
    with_db!(db, p => sqlx::query_as(
        "SELECT e.kind, e.at, e.ip, e.user_agent, r.email FROM sim_events e JOIN campaign_recipients r ON r.id = e.recipient_id \
         WHERE e.campaign_id = $1 AND e.counted ORDER BY e.at, e.id")
        .bind(campaign_id).fetch_all(p).await)
}
