//! What the running relayer knows about itself, shared between its loop
//! (which writes) and the HTTP servers (which read): the counters of the
//! engine's steps, the offering sync's metrics, outbox and checkpoint
//! figures, Waldur errors, and when the last step succeeded (for
//! `/healthz`). The HTTP side never touches the database: the loop copies
//! the figures here after every step.

mod error_window;
mod prometheus;

pub use error_window::{ErrorWindow, ERROR_WINDOW_CALLS};
pub use prometheus::WALDUR_METRIC_NAMES;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::engine::StepReport;
use crate::offering_ingest::IngestStats;
use crate::offering_sync::{DurationHistogram, SyncMetrics};

/// Totals over the engine's steps (each a sum of `StepReport` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepTotals {
    pub steps_succeeded: u64,
    pub steps_failed: u64,
    pub blocks_read: u64,
    pub events_handled: u64,
    pub events_recorded: u64,
    pub event_retries: u64,
    pub events_failed: u64,
    pub callbacks_queued: u64,
    pub callbacks_confirmed: u64,
    pub callbacks_already_processed: u64,
    pub callback_failures: u64,
    pub offerings_ingested: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxFigures {
    pub pending: u64,
    pub done: u64,
    pub dead_letters: u64,
    pub chain_checkpoint: Option<u64>,
    pub offering_sync_checkpoint: Option<u64>,
    /// Chain events waiting for their Waldur work (see `crate::intents`).
    pub intents_waiting: u64,
    /// Chain events whose Waldur work was given up on.
    pub intents_dead_letters: u64,
    /// Chain time (unix seconds) the oldest waiting intent was recorded at.
    pub oldest_intent_recorded_at: Option<u64>,
}

/// A copy of everything, taken under the lock.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub totals: StepTotals,
    pub outbox: OutboxFigures,
    /// Waldur calls that failed after the client's retries, by the part of
    /// the relayer that made them (`engine`, `offering_sync`, `offering_ingest`).
    pub waldur_errors: BTreeMap<&'static str, u64>,
    pub step_duration: DurationHistogram,
    pub last_success: Option<SystemTime>,
    pub last_error: Option<String>,
    /// `None` while the offering sync is off.
    pub offering_sync: Option<SyncMetrics>,
    /// Outcomes of the last Waldur calls (see [`Telemetry::waldur_error`]
    /// and [`Telemetry::waldur_call_succeeded`]) for the error rate.
    pub waldur_calls: ErrorWindow,
    /// 429 answers the Waldur client has had, retried ones included.
    pub waldur_rate_limit_hits: u64,
    /// Zero while the offering ingest is off.
    pub ingest: IngestStats,
}

/// `/healthz`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub healthy: bool,
    pub reason: String,
    pub last_success_age_seconds: Option<f64>,
    pub last_error: Option<String>,
}

pub struct Telemetry {
    poll_interval: Duration,
    health_intervals: u32,
    state: Mutex<Snapshot>,
}

/// Unix seconds of `at`, as Prometheus timestamps are written.
pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Telemetry {
    pub fn new(poll_interval: Duration, health_intervals: u32) -> Self {
        Telemetry {
            poll_interval,
            health_intervals,
            state: Mutex::new(Snapshot::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, Snapshot> {
        // A panic elsewhere while holding the lock leaves plain numbers
        // behind: still good to read.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().clone()
    }

    /// Adds one engine step's report.
    pub fn add_report(&self, report: &StepReport) {
        let mut s = self.state();
        let t = &mut s.totals;
        t.blocks_read += report.blocks_read;
        t.events_handled += report.events_handled;
        t.events_failed += report.events_failed;
        t.events_recorded += report.events_recorded;
        t.event_retries += report.events_retrying;
        t.callbacks_queued += report.callbacks_queued;
        t.callbacks_confirmed += report.callbacks_confirmed;
        t.callbacks_already_processed += report.already_processed;
        t.callback_failures += report.failed;
    }

    pub fn add_ingested(&self, queued: u64) {
        self.state().totals.offerings_ingested += queued;
    }

    /// A whole pass (engine step and offering sync) ended at `at`.
    pub fn step_finished(&self, outcome: Result<(), String>, took: Duration, at: SystemTime) {
        let mut s = self.state();
        s.step_duration.observe(took);
        match outcome {
            Ok(()) => {
                s.totals.steps_succeeded += 1;
                s.last_success = Some(at);
                s.last_error = None;
            }
            Err(error) => {
                s.totals.steps_failed += 1;
                s.last_error = Some(error);
            }
        }
    }

    /// A Waldur call failed after the client's retries. A "Waldur call"
    /// is one relayer operation on Waldur: an engine `WaldurPort` call, an
    /// offering sync attempt or reconcile listing, an ingest poll.
    pub fn waldur_error(&self, source: &'static str) {
        let mut s = self.state();
        *s.waldur_errors.entry(source).or_default() += 1;
        s.waldur_calls.record(true);
    }

    /// A Waldur call (as for [`Telemetry::waldur_error`]) succeeded.
    pub fn waldur_call_succeeded(&self) {
        self.state().waldur_calls.record(false);
    }

    pub fn set_rate_limit_hits(&self, hits: u64) {
        self.state().waldur_rate_limit_hits = hits;
    }

    pub fn set_ingest(&self, stats: IngestStats) {
        self.state().ingest = stats;
    }

    pub fn set_outbox(&self, figures: OutboxFigures) {
        self.state().outbox = figures;
    }

    pub fn set_offering_sync(&self, metrics: SyncMetrics) {
        self.state().offering_sync = Some(metrics);
    }

    /// Healthy while the last successful pass is at most
    /// `health_intervals` poll intervals old.
    pub fn health(&self, now: SystemTime) -> Health {
        let s = self.state();
        let allowed = self.poll_interval * self.health_intervals;
        let age = s
            .last_success
            .map(|at| now.duration_since(at).unwrap_or_default());
        let (healthy, reason) = match age {
            None => (false, "no relay step has succeeded yet".to_string()),
            Some(age) if age > allowed => (
                false,
                format!(
                    "last successful step {:.1}s ago, more than {} poll intervals ({:.1}s)",
                    age.as_secs_f64(),
                    self.health_intervals,
                    allowed.as_secs_f64()
                ),
            ),
            Some(age) => (
                true,
                format!("last successful step {:.1}s ago", age.as_secs_f64()),
            ),
        };
        Health {
            healthy,
            reason,
            last_success_age_seconds: age.map(|a| a.as_secs_f64()),
            last_error: s.last_error.clone(),
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render_prometheus(&self) -> String {
        prometheus::render(&self.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_the_last_success() {
        let t = Telemetry::new(Duration::from_secs(10), 3);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(!t.health(t0).healthy);
        t.step_finished(Ok(()), Duration::from_millis(5), t0);
        assert!(t.health(t0 + Duration::from_secs(30)).healthy);
        let late = t.health(t0 + Duration::from_secs(31));
        assert!(!late.healthy, "{late:?}");
        t.step_finished(
            Err("Waldur unavailable".into()),
            Duration::from_millis(5),
            t0 + Duration::from_secs(10),
        );
        let h = t.health(t0 + Duration::from_secs(20));
        assert!(h.healthy);
        assert_eq!(h.last_error.as_deref(), Some("Waldur unavailable"));
    }
}
