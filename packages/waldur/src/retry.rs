//! The retry policy, as pure functions so it can be tested without a clock.
//!
//! Transient answers (429, 5xx) and transport failures are retried with
//! exponential backoff and full jitter; every other 4xx is final, as in
//! the Waldur site agent and the seed error table. A create that Waldur
//! cannot deduplicate is resent only after a failure that proves the
//! server did no work ([`may_resend`]).

use std::time::Duration;

/// What to do with an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusVerdict {
    /// 2xx: hand the answer to the caller.
    Success,
    /// 429 or 5xx: try again after a backoff.
    Retry,
    /// Any other status: fail now.
    Fail,
}

pub fn classify_status(status: u16) -> StatusVerdict {
    match status {
        200..=299 => StatusVerdict::Success,
        429 | 500..=599 => StatusVerdict::Retry,
        _ => StatusVerdict::Fail,
    }
}

/// Which failed attempts a request may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResendPolicy {
    /// Reads, and writes that give the same result when repeated (setting
    /// a field to a value; an approval, which Waldur answers with 409 once
    /// done, read back by the caller): every transient failure is retried.
    AnyTransient,
    /// A create Waldur has no idempotency key for (an order, a terminate
    /// order, a SLURM job, an offering): a second send after the first
    /// took effect makes a second object, so only failures that prove the
    /// server did no work are retried. The caller looks up what an earlier
    /// attempt made before it creates again.
    OnlyIfUnprocessed,
}

/// A transient failure of one attempt, sorted by whether the server may
/// have acted on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransientFailure {
    /// No connection was made (refused, unreachable, connect timeout):
    /// nothing was sent.
    NotConnected,
    /// 429: DRF's throttle refuses before the view runs.
    Throttled,
    /// 503 with `Retry-After`: a deliberate "come back later" from the
    /// server or its proxy (maintenance, load shedding), given before the
    /// application runs.
    UnavailableRetryAfter,
    /// Any other 5xx (500, 502, 504, a bare 503): the application may have
    /// run, even committed, before the error (a failure after the commit,
    /// a proxy giving up on a slow view).
    ServerError,
    /// The connection broke after the request went out, or no answer came
    /// within the timeout: the server may have carried it out.
    LostAfterSending,
}

/// Whether a request under `policy` may be sent again after `failure`
/// (the retry budget aside).
pub fn may_resend(failure: TransientFailure, policy: ResendPolicy) -> bool {
    match policy {
        ResendPolicy::AnyTransient => true,
        ResendPolicy::OnlyIfUnprocessed => matches!(
            failure,
            TransientFailure::NotConnected
                | TransientFailure::Throttled
                | TransientFailure::UnavailableRetryAfter
        ),
    }
}

/// Exponential backoff bounded by `[wait_min, wait_max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub wait_min: Duration,
    pub wait_max: Duration,
}

impl Backoff {
    /// The upper bound of the wait before retry number `retry` (0-based):
    /// `wait_min * 2^(retry + 1)`, capped at `wait_max`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_add(1));
        self.wait_min
            .checked_mul(factor)
            .unwrap_or(self.wait_max)
            .min(self.wait_max)
            .max(self.wait_min)
    }

    /// The wait before retry number `retry`.
    ///
    /// `unit` is a uniform random number in `[0, 1)`; the wait is spread
    /// uniformly over `[wait_min, ceiling]` ("full jitter" with a floor, so
    /// that many relayers hit by the same outage do not retry in step and
    /// none retries sooner than `wait_min`). A `Retry-After` from the
    /// server replaces the computed wait, capped at `wait_max` so that a
    /// misbehaving server cannot park the caller for hours.
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        if let Some(requested) = retry_after {
            return requested.min(self.wait_max);
        }
        let floor = self.wait_min.min(self.wait_max);
        let ceiling = self.ceiling(retry);
        let spread = ceiling.saturating_sub(floor);
        floor + spread.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Reads a `Retry-After` header given in delta-seconds.
///
/// The HTTP-date form is rare on APIs and is ignored (the normal backoff
/// applies), which is safe: it only makes the client wait its own time.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        Some(Duration::from_secs_f64(seconds.min(86_400.0)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            wait_min: Duration::from_secs(1),
            wait_max: Duration::from_secs(30),
        }
    }

    #[test]
    fn statuses_are_classified_like_the_site_agent() {
        assert_eq!(classify_status(200), StatusVerdict::Success);
        assert_eq!(classify_status(201), StatusVerdict::Success);
        assert_eq!(classify_status(204), StatusVerdict::Success);
        assert_eq!(classify_status(429), StatusVerdict::Retry);
        assert_eq!(classify_status(500), StatusVerdict::Retry);
        assert_eq!(classify_status(503), StatusVerdict::Retry);
        for status in [400, 401, 403, 404, 405, 409, 413] {
            assert_eq!(classify_status(status), StatusVerdict::Fail, "{status}");
        }
    }

    #[test]
    fn creates_are_resent_only_when_the_server_did_no_work() {
        use TransientFailure::*;
        let unprocessed = [NotConnected, Throttled, UnavailableRetryAfter];
        let maybe_processed = [ServerError, LostAfterSending];
        for failure in unprocessed.into_iter().chain(maybe_processed) {
            assert!(
                may_resend(failure, ResendPolicy::AnyTransient),
                "{failure:?}"
            );
        }
        for failure in unprocessed {
            assert!(
                may_resend(failure, ResendPolicy::OnlyIfUnprocessed),
                "{failure:?}"
            );
        }
        for failure in maybe_processed {
            assert!(
                !may_resend(failure, ResendPolicy::OnlyIfUnprocessed),
                "{failure:?}"
            );
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let policy = backoff();
        let ceilings: Vec<u64> = (0..8)
            .map(|retry| policy.ceiling(retry).as_secs())
            .collect();
        assert_eq!(ceilings, vec![2, 4, 8, 16, 30, 30, 30, 30]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jitter_spans_floor_to_ceiling() {
        let policy = backoff();
        assert_eq!(policy.delay(0, 0.0, None), Duration::from_secs(1));
        assert_eq!(policy.delay(0, 1.0, None), Duration::from_secs(2));
        assert_eq!(policy.delay(2, 0.5, None), Duration::from_millis(4500));
        assert_eq!(policy.delay(10, 1.0, None), Duration::from_secs(30));
        // Out-of-range random input cannot escape the bounds.
        assert_eq!(policy.delay(10, 7.0, None), Duration::from_secs(30));
        assert_eq!(policy.delay(10, -1.0, None), Duration::from_secs(1));
        for step in 0..=100 {
            let wait = policy.delay(3, f64::from(step) / 100.0, None);
            assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(16));
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let policy = backoff();
        assert_eq!(
            policy.delay(0, 0.9, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            policy.delay(0, 0.9, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
        assert_eq!(policy.delay(0, 0.9, Some(Duration::ZERO)), Duration::ZERO);
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after(" 0.25 "),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }
}
