//! What the running relayer knows about itself, shared between its loop
//! (which writes) and the HTTP servers (which read): the counters of the
//! engine's steps, the offering sync's metrics, outbox and checkpoint
//! figures, Waldur errors, and when the last step succeeded (for
//! `/healthz`). The HTTP side never touches the database: the loop copies
//! the figures here after every step, and the health monitor
//! (`service::monitor`) every few seconds, also during a long pass: its
//! probes of Waldur and the chain and the backlog.

mod error_window;
mod prometheus;

pub use error_window::{ErrorWindow, ERROR_WINDOW_CALLS};
pub use prometheus::{WALDUR_METRIC_NAMES, WALDUR_SPEC_NAMES};

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::flows::engine::StepReport;
use crate::waldur_side::offering_ingest::IngestStats;
use crate::waldur_side::offering_sync::{DurationHistogram, SyncMetrics};

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
    pub waldur_failures_not_on_chain: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxFigures {
    pub pending: u64,
    pub done: u64,
    pub dead_letters: u64,
    pub chain_checkpoint: Option<u64>,
    pub offering_sync_checkpoint: Option<u64>,
    /// Chain events waiting for their Waldur work (see `crate::flows::intents`).
    pub intents_waiting: u64,
    /// Chain events whose Waldur work was given up on.
    pub intents_dead_letters: u64,
    /// Chain time (unix seconds) the oldest waiting intent was recorded at.
    pub oldest_intent_recorded_at: Option<u64>,
    /// Chain time (unix seconds) the oldest pending callback was queued at.
    pub oldest_callback_queued_at: Option<u64>,
}

/// What the monitor's backlog read finds (the cheap part of
/// [`OutboxFigures`]: no scan of the done callbacks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub callbacks_pending: u64,
    pub intents_waiting: u64,
    pub intents_dead_letters: u64,
    pub oldest_intent_recorded_at: Option<u64>,
    pub oldest_callback_queued_at: Option<u64>,
}

/// The outcome of one probe of a dependency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub ok: bool,
    /// What is wrong, worded for an operator (`None` when ok).
    pub problem: Option<String>,
    #[serde(skip)]
    pub at: SystemTime,
}

/// The fee account's balance in the fee denom (`chain = "rpc"` only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeBalance {
    pub address: String,
    pub denom: String,
    pub amount: u128,
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
    /// The monitor's last Waldur probe (`None` before the first).
    pub waldur_probe: Option<Probe>,
    /// The monitor's last chain probe; `None` before the first, and for
    /// the in-process embedded chain, which cannot be unreachable.
    pub chain_probe: Option<Probe>,
    pub chain_height: Option<u64>,
    pub fee_balance: Option<FeeBalance>,
    /// A chain time (unix seconds) and when it was seen, to estimate the
    /// chain's clock for the backlog's age (its timestamps are chain time).
    pub chain_time: Option<(u64, SystemTime)>,
    /// When the pass in progress started (`None` between passes).
    pub pass_started: Option<SystemTime>,
}

/// `/healthz`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub healthy: bool,
    /// Everything that is wrong, `; `-separated, or what is right.
    pub reason: String,
    pub last_success_age_seconds: Option<f64>,
    pub last_error: Option<String>,
    pub pass_running_seconds: Option<f64>,
    pub waldur: Option<Probe>,
    pub chain: Option<Probe>,
    pub chain_height: Option<u64>,
    pub fee_balance: Option<FeeBalance>,
    pub backlog: BacklogReport,
}

/// The backlog as `/healthz` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BacklogReport {
    pub callbacks_pending: u64,
    pub callbacks_dead_letters: u64,
    pub intents_waiting: u64,
    pub intents_dead_letters: u64,
    /// Age of the oldest waiting intent or pending callback, on the
    /// chain's clock (`None`: nothing waits).
    pub oldest_pending_age_seconds: Option<f64>,
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
        t.waldur_failures_not_on_chain += report.waldur_failures_not_on_chain;
    }

    pub fn add_ingested(&self, queued: u64) {
        self.state().totals.offerings_ingested += queued;
    }

    /// A whole pass (engine step and offering sync) ended at `at`; a
    /// failure is kept as the text operators read.
    pub fn step_finished(
        &self,
        outcome: Result<(), &dyn std::fmt::Display>,
        took: Duration,
        at: SystemTime,
    ) {
        let mut s = self.state();
        s.pass_started = None;
        s.step_duration.observe(took);
        match outcome {
            Ok(()) => {
                s.totals.steps_succeeded += 1;
                s.last_success = Some(at);
                s.last_error = None;
            }
            Err(error) => {
                s.totals.steps_failed += 1;
                s.last_error = Some(error.to_string());
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

    /// The monitor's backlog read; the loop's full figures keep the rest.
    pub fn set_backlog(&self, backlog: Backlog) {
        let o = &mut self.state().outbox;
        o.pending = backlog.callbacks_pending;
        o.intents_waiting = backlog.intents_waiting;
        o.intents_dead_letters = backlog.intents_dead_letters;
        o.oldest_intent_recorded_at = backlog.oldest_intent_recorded_at;
        o.oldest_callback_queued_at = backlog.oldest_callback_queued_at;
    }

    pub fn set_waldur_probe(&self, probe: Probe) {
        self.state().waldur_probe = Some(probe);
    }

    /// A chain probe; `height` and `block_time` only when it succeeded.
    pub fn set_chain_probe(&self, probe: Probe, height: Option<u64>, block_time: Option<u64>) {
        let mut s = self.state();
        if let Some(height) = height {
            s.chain_height = Some(height);
        }
        if let Some(time) = block_time {
            s.chain_time = Some((time, probe.at));
        }
        s.chain_probe = Some(probe);
    }

    pub fn set_fee_balance(&self, balance: FeeBalance) {
        self.state().fee_balance = Some(balance);
    }

    /// The loop's view of the chain clock (block time, unix seconds).
    pub fn set_chain_time(&self, chain_now: u64, at: SystemTime) {
        self.state().chain_time = Some((chain_now, at));
    }

    pub fn pass_started(&self, at: SystemTime) {
        self.state().pass_started = Some(at);
    }

    pub fn set_offering_sync(&self, metrics: SyncMetrics) {
        self.state().offering_sync = Some(metrics);
    }

    /// Unhealthy, with every reason named, when: the last Waldur probe
    /// failed (unreachable, or the token refused); the last chain probe
    /// failed; or no pass succeeded within `health_intervals` poll
    /// intervals. A pass still running after a successful one keeps it
    /// healthy: a long pass is work, and its Waldur and chain calls have
    /// timeouts, so it cannot hang unseen (the probes tell a dead
    /// dependency). Dead letters and the backlog's age are shown, not
    /// judged: a restart cannot fix them; alert on their gauges.
    pub fn health(&self, now: SystemTime) -> Health {
        let s = self.state();
        let allowed = self.poll_interval * self.health_intervals;
        let since = |at: SystemTime| now.duration_since(at).unwrap_or_default();
        let age = s.last_success.map(since);
        let running = s.pass_started.map(since);
        let mut problems = Vec::new();
        for probe in [&s.waldur_probe, &s.chain_probe].into_iter().flatten() {
            if let Some(problem) = &probe.problem {
                problems.push(problem.clone());
            }
        }
        // A pass in progress after a good one has not failed (yet).
        let stale_age = match (age, running) {
            (Some(_), Some(_)) if s.last_error.is_none() => Some(Duration::ZERO),
            _ => age,
        };
        let pass_note = match stale_age {
            None => {
                problems.push("no relay pass has succeeded yet".to_string());
                None
            }
            Some(stale) if stale > allowed => {
                problems.push(format!(
                    "last successful pass {:.1}s ago, more than {} poll intervals ({:.1}s)",
                    age.unwrap_or(stale).as_secs_f64(),
                    self.health_intervals,
                    allowed.as_secs_f64()
                ));
                None
            }
            Some(_) => Some(match (age, running) {
                (_, Some(running)) => format!("pass running for {:.1}s", running.as_secs_f64()),
                (Some(age), None) => format!("last successful pass {:.1}s ago", age.as_secs_f64()),
                (None, None) => String::new(),
            }),
        };
        let healthy = problems.is_empty();
        let reason = if healthy {
            pass_note.unwrap_or_default()
        } else {
            problems.join("; ")
        };
        Health {
            healthy,
            reason,
            last_success_age_seconds: age.map(|a| a.as_secs_f64()),
            last_error: s.last_error.clone(),
            pass_running_seconds: running.map(|r| r.as_secs_f64()),
            waldur: s.waldur_probe.clone(),
            chain: s.chain_probe.clone(),
            chain_height: s.chain_height,
            fee_balance: s.fee_balance.clone(),
            backlog: BacklogReport {
                callbacks_pending: s.outbox.pending,
                callbacks_dead_letters: s.outbox.dead_letters,
                intents_waiting: s.outbox.intents_waiting,
                intents_dead_letters: s.outbox.intents_dead_letters,
                oldest_pending_age_seconds: oldest_pending_age(&s, now),
            },
        }
    }
}

/// Seconds the oldest waiting intent or pending callback has waited, on
/// the chain's clock estimated from the last chain time seen.
pub fn oldest_pending_age(s: &Snapshot, now: SystemTime) -> Option<f64> {
    let oldest = [
        s.outbox.oldest_intent_recorded_at,
        s.outbox.oldest_callback_queued_at,
    ]
    .into_iter()
    .flatten()
    .min()?;
    let (chain_time, seen_at) = s.chain_time?;
    let chain_now = chain_time as f64
        + now
            .duration_since(seen_at)
            .unwrap_or_default()
            .as_secs_f64();
    Some((chain_now - oldest as f64).max(0.0))
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
            Err(&"Waldur unavailable"),
            Duration::from_millis(5),
            t0 + Duration::from_secs(10),
        );
        let h = t.health(t0 + Duration::from_secs(20));
        assert!(h.healthy);
        assert_eq!(h.last_error.as_deref(), Some("Waldur unavailable"));
    }

    #[test]
    fn failed_probes_are_named_and_a_pass_in_progress_is_not_stale() {
        let t = Telemetry::new(Duration::from_secs(10), 3);
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        t.step_finished(Ok(()), Duration::from_millis(5), t0);
        // A pass started right after the good one, still running at +100 s.
        t.pass_started(t0);
        assert!(t.health(t0 + Duration::from_secs(100)).healthy);
        let failed = |problem: &str| Probe {
            ok: false,
            problem: Some(problem.into()),
            at: t0,
        };
        t.set_waldur_probe(failed("Waldur unreachable: connection refused"));
        t.set_chain_probe(failed("chain unreachable: timeout"), None, None);
        let h = t.health(t0 + Duration::from_secs(1));
        assert!(!h.healthy);
        assert_eq!(
            h.reason,
            "Waldur unreachable: connection refused; chain unreachable: timeout"
        );
        // The pass ends badly: now its staleness counts too.
        t.step_finished(Err(&"x"), Duration::from_secs(1), t0);
        let ok = Probe {
            ok: true,
            problem: None,
            at: t0,
        };
        t.set_waldur_probe(ok.clone());
        t.set_chain_probe(ok, Some(7), Some(500));
        let h = t.health(t0 + Duration::from_secs(31));
        assert!(h.reason.contains("poll intervals"), "{h:?}");
        assert_eq!(h.chain_height, Some(7));
    }

    #[test]
    fn the_oldest_pending_age_is_on_the_chain_clock() {
        let t = Telemetry::new(Duration::from_secs(10), 3);
        let wall = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        t.set_backlog(Backlog {
            callbacks_pending: 1,
            intents_waiting: 1,
            oldest_intent_recorded_at: Some(400),
            oldest_callback_queued_at: Some(450),
            ..Backlog::default()
        });
        assert_eq!(
            oldest_pending_age(&t.snapshot(), wall),
            None,
            "no clock yet"
        );
        t.set_chain_time(500, wall);
        let later = wall + Duration::from_secs(20);
        assert_eq!(oldest_pending_age(&t.snapshot(), later), Some(120.0));
    }
}
