//! Per-unit rate limiting (token bucket): a unit may send `per_minute` reports a minute
//! on average, in bursts of up to `per_minute`. Protects the gateway and Kafka from a
//! misbehaving client; honest units send a few reports per campaign.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Buckets of every unit that sent something recently.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter of `per_minute` reports per unit; 0 disables it.
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one report from `unit`'s bucket; `Err(wait)` when it is empty.
    pub fn check(&self, unit: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() > 100_000 {
            // Forget units whose bucket has refilled: they are indistinguishable from new.
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(unit.to_string()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_limit_then_refills_over_time() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("380", start).is_ok());
        }
        let wait = limiter
            .check("380", start)
            .expect_err("fourth in the same instant");
        assert!((19.0..=20.1).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(
            limiter.check("381", start).is_ok(),
            "other units are not affected"
        );
        assert!(
            limiter
                .check("380", start + Duration::from_secs(20))
                .is_ok(),
            "one report refilled"
        );
        assert!(RateLimiter::new(0).check("380", start).is_ok());
    }
}
