//! Jobs that run on one app node at a time. Several `safetynet serve`
//! nodes on one PostgreSQL each run the same background loops; a job that
//! must not run twice at once (the training rules, a mailbox poll) first
//! takes its lease here. The holder renews it every pass; if the holder
//! stops, another node takes the job over once the lease has run out.

use super::Db;
use crate::with_db;

/// Whether this node (`db`'s [`Db::node`]) holds `job` until `now + seconds`:
/// true if the lease was free, had run out, or was already this node's.
pub async fn hold(db: &Db, job: &str, now: i64, seconds: i64) -> Result<bool, sqlx::Error> {
    let held: Option<String> = with_db!(db, p => sqlx::query_scalar(
        "INSERT INTO job_leases (job, holder, until) VALUES ($1, $2, $3) \
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until \
         WHERE job_leases.holder = excluded.holder OR job_leases.until < $4 \
         RETURNING holder")
        .bind(job).bind(db.node()).bind(now + seconds).bind(now)
        .fetch_optional(p).await)?;
    Ok(held.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_node_holds_a_job_until_its_lease_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let a = Db::connect(&url).await.unwrap();
        let b = Db::connect(&url).await.unwrap();
        assert!(hold(&a, "rules", 1000, 60).await.unwrap());
        assert!(!hold(&b, "rules", 1010, 60).await.unwrap(), "taken");
        assert!(hold(&b, "poll", 1010, 60).await.unwrap(), "another job");
        assert!(
            hold(&a, "rules", 1050, 60).await.unwrap(),
            "renewed by its holder"
        );
        assert!(
            !hold(&b, "rules", 1100, 60).await.unwrap(),
            "renewed lease still runs"
        );
        assert!(
            hold(&b, "rules", 1111, 60).await.unwrap(),
            "run out: taken over"
        );
        assert!(!hold(&a, "rules", 1112, 60).await.unwrap());
    }
}
