//! Back-off for guesses: after a few failed logins for one username (or failed unlocks of the registry),
//! each further attempt must wait, twice as long each time, up to a quarter of an hour. A success clears it.
//! Kept in memory: a restart forgets it, and a restart is not something a remote guesser can cause.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use br_core::CoreError;

/// Failures allowed before waiting starts.
const FREE_FAILURES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most: a flood of usernames cannot grow this without bound.
const MAX_KEYS: usize = 10_000;

struct Failures {
    count: u32,
    last: Instant,
    wait_until: Instant,
}

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// Refuses an attempt while `key` must wait.
    pub fn check(&self, key: &str) -> Result<(), CoreError> {
        let failures = crate::lock(&self.failures);
        match failures.get(key) {
            Some(f) if f.wait_until > Instant::now() => {
                let left = f.wait_until - Instant::now();
                Err(CoreError::RateLimited { retry_after_s: left.as_secs() + 1 })
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, key: &str) {
        let mut failures = crate::lock(&self.failures);
        let now = Instant::now();
        if failures.len() >= MAX_KEYS {
            // Forget those that have had time to cool down; if none has, the oldest.
            failures.retain(|_, f| now.duration_since(f.last) < MAX_WAIT);
            if failures.len() >= MAX_KEYS {
                if let Some(oldest) = failures.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone()) {
                    failures.remove(&oldest);
                }
            }
        }
        let f = failures.entry(key.to_string()).or_insert(Failures { count: 0, last: now, wait_until: now });
        // A quarter of an hour without failures starts the count again.
        if now.duration_since(f.last) > MAX_WAIT {
            f.count = 0;
        }
        f.count += 1;
        f.last = now;
        if f.count >= FREE_FAILURES {
            let doublings = (f.count - FREE_FAILURES).min(10);
            f.wait_until = now + Duration::from_secs(1 << doublings).min(MAX_WAIT);
        }
    }

    pub fn succeeded(&self, key: &str) {
        crate::lock(&self.failures).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_wait_longer_after_five_failures_and_a_success_clears_them() {
        let t = Throttle::default();
        for _ in 0..FREE_FAILURES - 1 {
            t.check("login:amina").unwrap();
            t.failed("login:amina");
        }
        t.check("login:amina").unwrap();
        t.failed("login:amina");
        let Err(CoreError::RateLimited { retry_after_s }) = t.check("login:amina") else { panic!("not limited") };
        assert!((1..=2).contains(&retry_after_s));
        // Another username is not affected.
        t.check("login:omar").unwrap();
        t.failed("login:amina");
        let Err(CoreError::RateLimited { retry_after_s }) = t.check("login:amina") else { panic!("not limited") };
        assert!((2..=3).contains(&retry_after_s), "{retry_after_s}");
        t.succeeded("login:amina");
        t.check("login:amina").unwrap();
    }
}
