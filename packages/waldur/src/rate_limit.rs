//! A token bucket that paces requests without busy waiting.
//!
//! Each call reserves a token at once, even if the bucket is empty (the
//! count goes negative), and then sleeps until that token would have been
//! refilled. Callers therefore leave in the order they arrived and nobody
//! polls the clock in a loop.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct TokenBucket {
    /// Tokens added per second; `None` disables the limit.
    rate: Option<f64>,
    capacity: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate_per_second`.
    /// A rate of 0 or less, or not finite, means no limit.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let rate =
            (rate_per_second.is_finite() && rate_per_second > 0.0).then_some(rate_per_second);
        let capacity = f64::from(burst.max(1));
        Self {
            rate,
            capacity,
            state: Mutex::new(BucketState {
                tokens: capacity,
                updated: Instant::now(),
            }),
        }
    }

    /// Waits until the caller may send one request.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes one token at `now` and returns how long the caller must wait
    /// for it to exist.
    pub fn reserve(&self, now: Instant) -> Duration {
        let Some(rate) = self.rate else {
            return Duration::ZERO;
        };
        // A poisoned lock only means another caller panicked mid-update of
        // two plain numbers; the numbers are still usable.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let elapsed = now.saturating_duration_since(state.updated).as_secs_f64();
        state.tokens = (state.tokens + elapsed * rate).min(self.capacity);
        state.updated = now.max(state.updated);
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_passes_then_requests_are_paced() {
        let bucket = TokenBucket::new(10.0, 10);
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(bucket.reserve(start), Duration::ZERO);
        }
        // The 11th waits one refill interval, the 12th two.
        assert_eq!(bucket.reserve(start), Duration::from_millis(100));
        assert_eq!(bucket.reserve(start), Duration::from_millis(200));
    }

    #[test]
    fn refill_is_capped_at_the_burst() {
        let bucket = TokenBucket::new(10.0, 2);
        let start = Instant::now();
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert!(bucket.reserve(later) > Duration::ZERO);
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let bucket = TokenBucket::new(0.0, 1);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(bucket.reserve(now), Duration::ZERO);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_sleeps_on_the_tokio_clock() {
        let bucket = TokenBucket::new(5.0, 1);
        let start = Instant::now();
        for _ in 0..6 {
            bucket.acquire().await;
        }
        // One free token, then five more at 200 ms each.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
