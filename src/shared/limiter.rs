//! A keyed rate limiter (a token bucket per key) that names no capability:
//! each caller brings its own [`Rule`] (a name, a burst and a steady rate) and
//! its own keys, e.g. the device check-in API limits each enrolment token.
//!
//! It lives in this process's memory, so each app node counts on its own;
//! issue 15 moves it into the database. Keep callers to [`Limits::check`].

use std::collections::HashMap;
use std::sync::Mutex;

/// How many requests a key may make: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Keeps one rule's keys apart from another's.
    pub name: &'static str,
    pub burst: f64,
    pub per_minute: f64,
}

/// Tokens left, when last counted, and how long the bucket takes to fill.
type Bucket = (f64, i64, i64);

/// Buckets for every rule, keyed by (rule name, key).
#[derive(Default)]
pub struct Limits {
    buckets: Mutex<HashMap<(&'static str, String), Bucket>>,
}

/// Beyond this many buckets, those that have filled up again are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl Limits {
    /// `Err(seconds to wait)` when `key` has used up what `rule` allows at `now`.
    pub fn check(&self, rule: Rule, key: &str, now: i64) -> Result<(), i64> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_BUCKETS {
            map.retain(|_, (_, at, fills_in)| now - *at < *fills_in);
        }
        let fills_in = (rule.burst / rule.per_minute * 60.0) as i64;
        let (tokens, at, _) = map
            .entry((rule.name, key.to_string()))
            .or_insert((rule.burst, now, fills_in));
        let refill = (now - *at).max(0) as f64 * rule.per_minute / 60.0;
        *tokens = (*tokens + refill).min(rule.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * 60.0 / rule.per_minute).ceil().max(1.0) as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        name: "test",
        burst: 3.0,
        per_minute: 60.0,
    };

    #[test]
    fn a_key_gets_its_burst_then_the_steady_rate() {
        let l = Limits::default();
        for _ in 0..3 {
            assert!(l.check(RULE, "a", 1000).is_ok());
        }
        assert_eq!(l.check(RULE, "a", 1000), Err(1));
        assert!(
            l.check(RULE, "b", 1000).is_ok(),
            "another key is not affected"
        );
        assert!(
            l.check(
                Rule {
                    name: "other",
                    ..RULE
                },
                "a",
                1000
            )
            .is_ok(),
            "another rule is not affected"
        );
        assert!(l.check(RULE, "a", 1001).is_ok());
        assert!(l.check(RULE, "a", 1001).is_err());
    }
}
