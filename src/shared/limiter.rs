//! A keyed rate limiter that names no capability: each caller brings its own
//! [`Rule`] (a name, a burst and a steady rate) and its own keys, e.g. the
//! device check-in API limits each enrolment token.
//!
//! Buckets live in the database (`rate_limits`), so every app node on one
//! PostgreSQL counts against the same budget, and a check is one conditional
//! upsert that concurrent requests cannot both pass on the last token. Each
//! row holds the moment its bucket will be full again (the "generic cell
//! rate algorithm"): a request adds one interval to it, and is refused when
//! that would put it more than a whole burst ahead of now. Give it only keys
//! you have verified, so made-up keys cannot grow the table.

use crate::db::Db;
use crate::with_db;

/// How many requests a key may make: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Keeps one rule's keys apart from another's.
    pub name: &'static str,
    pub burst: f64,
    pub per_minute: f64,
}

impl Rule {
    /// Seconds one request adds to the bucket's "full again" moment.
    fn interval(&self) -> f64 {
        60.0 / self.per_minute
    }
}

/// `Ok(Err(seconds to wait))` when `key` has used up what `rule` allows at `now`.
pub async fn check(
    db: &Db,
    rule: Rule,
    key: &str,
    now: i64,
) -> Result<Result<(), i64>, sqlx::Error> {
    let (now_f, step) = (now as f64, rule.interval());
    // A hair of slack so that float sums of exactly a burst still pass.
    let room = rule.burst * step + 1e-6;
    let taken: Option<f64> = with_db!(db, p => sqlx::query_scalar(
        "INSERT INTO rate_limits (rule, key, full_at) VALUES ($1, $2, $3 + $4) \
         ON CONFLICT (rule, key) DO UPDATE \
         SET full_at = (CASE WHEN rate_limits.full_at > $3 THEN rate_limits.full_at ELSE $3 END) + $4 \
         WHERE (CASE WHEN rate_limits.full_at > $3 THEN rate_limits.full_at ELSE $3 END) + $4 - $3 <= $5 \
         RETURNING full_at")
        .bind(rule.name).bind(key).bind(now_f).bind(step).bind(room)
        .fetch_optional(p).await)?;
    if taken.is_some() {
        return Ok(Ok(()));
    }
    let full_at: Option<f64> = with_db!(db, p => sqlx::query_scalar(
        "SELECT full_at FROM rate_limits WHERE rule = $1 AND key = $2")
        .bind(rule.name).bind(key).fetch_optional(p).await)?;
    let over = full_at.unwrap_or(now_f) + step - now_f - rule.burst * step;
    Ok(Err(over.ceil().max(1.0) as i64))
}

/// Forgets buckets that are full again (they hold nothing a fresh one would not).
pub async fn forget_full(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    with_db!(db, p => sqlx::query("DELETE FROM rate_limits WHERE full_at < $1")
        .bind(now as f64).execute(p).await.map(|r| r.rows_affected()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        name: "test",
        burst: 3.0,
        per_minute: 60.0,
    };

    #[tokio::test]
    async fn a_key_gets_its_burst_then_the_steady_rate() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        for _ in 0..3 {
            assert_eq!(check(&db, RULE, "a", 1000).await.unwrap(), Ok(()));
        }
        assert_eq!(check(&db, RULE, "a", 1000).await.unwrap(), Err(1));
        assert_eq!(
            check(&db, RULE, "b", 1000).await.unwrap(),
            Ok(()),
            "another key is not affected"
        );
        let other = Rule {
            name: "other",
            ..RULE
        };
        assert_eq!(
            check(&db, other, "a", 1000).await.unwrap(),
            Ok(()),
            "another rule is not affected"
        );
        assert_eq!(check(&db, RULE, "a", 1001).await.unwrap(), Ok(()));
        assert!(check(&db, RULE, "a", 1001).await.unwrap().is_err());
        // Full again after the burst's worth of time: forgotten, and a fresh burst.
        assert_eq!(forget_full(&db, 1010).await.unwrap(), 3);
        for _ in 0..3 {
            assert_eq!(check(&db, RULE, "a", 1010).await.unwrap(), Ok(()));
        }
    }
}
