//! The Prometheus text exposition format 0.0.4, written by hand: a dozen
//! counters and gauges and two histograms do not need a metrics crate.
//!
//! The offering sync guide's metrics keep its prefix (`offering_sync_*`),
//! the specification's Waldur metrics theirs (`waldur_*`), the relayer's
//! own are `ve_relayer_*`; every name passes `promtool check metrics`
//! (counters end in `_total`, no `_count` on gauges, units in the name),
//! which `tests/metrics_lint.rs` checks on the text the relayer serves.

use std::fmt::Write;

use crate::waldur_side::offering_sync::{DurationHistogram, MetricKind, MetricValue, SyncMetrics};

use super::{oldest_pending_age, unix_seconds, Probe, Snapshot, Telemetry, ERROR_WINDOW_CALLS};

/// Sources of Waldur errors, always exported (0 until one happens) so the
/// series exist for alerts.
pub const WALDUR_ERROR_SOURCES: [&str; 3] = ["engine", "offering_sync", "offering_ingest"];

/// The specification's Waldur metrics: its "Key Metrics" table, then the
/// ingest's "Prometheus Metrics" table. All are always exported.
///
/// Named as Prometheus' linter (`promtool check metrics`) wants: the
/// specification's gauges `waldur_sync_pending_count` and
/// `waldur_sync_failed_count` lose the `_count` suffix (reserved for
/// histograms), its counters gain `_total`. The specification's names are
/// in [`WALDUR_SPEC_NAMES`], for the operator guide's alias table only.
pub const WALDUR_METRIC_NAMES: [&str; 14] = [
    "waldur_sync_pending",
    "waldur_sync_failed",
    "waldur_sync_latency_seconds",
    "waldur_callback_queue_size",
    "waldur_api_error_rate",
    "waldur_rate_limit_hits_total",
    "waldur_ingests_total",
    "waldur_ingests_successful_total",
    "waldur_ingests_failed_total",
    "waldur_ingests_dead_lettered_total",
    "waldur_offerings_created_total",
    "waldur_offerings_updated_total",
    "waldur_drift_detected_total",
    "waldur_ingest_duration_seconds",
];

/// The specification's names, in [`WALDUR_METRIC_NAMES`]' order; never
/// exported.
pub const WALDUR_SPEC_NAMES: [&str; 14] = [
    "waldur_sync_pending_count",
    "waldur_sync_failed_count",
    "waldur_sync_latency_seconds",
    "waldur_callback_queue_size",
    "waldur_api_error_rate",
    "waldur_rate_limit_hits",
    "waldur_ingests_total",
    "waldur_ingests_successful",
    "waldur_ingests_failed",
    "waldur_ingests_dead_lettered",
    "waldur_offerings_created",
    "waldur_offerings_updated",
    "waldur_drift_detected",
    "waldur_ingest_duration_seconds",
];

struct Exposition(String);

impl Exposition {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{name}{labels} {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
        self.header(name, kind, help);
        self.sample(name, "", value);
    }

    fn histogram(&mut self, name: &str, help: &str, h: &DurationHistogram) {
        self.header(name, "histogram", help);
        for (bound, count) in h.bounds.iter().zip(&h.cumulative) {
            self.sample(
                &format!("{name}_bucket"),
                &format!("{{le=\"{bound}\"}}"),
                count,
            );
        }
        self.sample(&format!("{name}_bucket"), "{le=\"+Inf\"}", h.count);
        self.sample(&format!("{name}_sum"), "", h.sum_seconds);
        self.sample(&format!("{name}_count"), "", h.count);
    }
}

impl Telemetry {
    /// The Prometheus text exposition (format 0.0.4).
    pub fn render_prometheus(&self) -> String {
        render(&self.snapshot())
    }
}

pub fn render(s: &Snapshot) -> String {
    let mut out = Exposition(String::new());
    let t = &s.totals;
    out.header(
        "ve_relayer_steps_total",
        "counter",
        "Relay passes, by result",
    );
    out.sample(
        "ve_relayer_steps_total",
        "{result=\"success\"}",
        t.steps_succeeded,
    );
    out.sample(
        "ve_relayer_steps_total",
        "{result=\"failure\"}",
        t.steps_failed,
    );
    for (name, help, value) in [
        (
            "ve_relayer_blocks_read_total",
            "Chain blocks read",
            t.blocks_read,
        ),
        (
            "ve_relayer_events_handled_total",
            "Chain events of this provider acted on",
            t.events_handled,
        ),
        (
            "ve_relayer_events_recorded_total",
            "Chain events of this provider stored as intents",
            t.events_recorded,
        ),
        (
            "ve_relayer_event_retries_total",
            "Failed attempts at a chain event's Waldur work that will be retried",
            t.event_retries,
        ),
        (
            "ve_relayer_events_failed_total",
            "Chain events whose Waldur work was given up on (dead letters)",
            t.events_failed,
        ),
        (
            "ve_relayer_callbacks_queued_total",
            "Signed callbacks written to the outbox",
            t.callbacks_queued,
        ),
        (
            "ve_relayer_callbacks_confirmed_total",
            "Callbacks the chain confirmed",
            t.callbacks_confirmed,
        ),
        (
            "ve_relayer_callbacks_already_processed_total",
            "Confirmed callbacks the chain had already processed (re-sends)",
            t.callbacks_already_processed,
        ),
        (
            "ve_relayer_callback_failures_total",
            "Callback submissions the chain refused (each is retried until the dead letters)",
            t.callback_failures,
        ),
        (
            "ve_relayer_waldur_failures_not_on_chain_total",
            "Waldur failures of active allocations the chain cannot record (operators must act)",
            t.waldur_failures_not_on_chain,
        ),
        (
            "ve_relayer_offerings_ingested_total",
            "Waldur offerings queued for the chain (offering ingest)",
            t.offerings_ingested,
        ),
    ] {
        out.single(name, "counter", help, value);
    }
    out.header(
        "ve_relayer_waldur_errors_total",
        "counter",
        "Waldur requests that failed after the client's retries, by relayer part",
    );
    for source in WALDUR_ERROR_SOURCES {
        let count = s.waldur_errors.get(source).copied().unwrap_or(0);
        out.sample(
            "ve_relayer_waldur_errors_total",
            &format!("{{source=\"{source}\"}}"),
            count,
        );
    }
    let o = &s.outbox;
    out.single(
        "ve_relayer_outbox_pending",
        "gauge",
        "Callbacks waiting for the chain",
        o.pending,
    );
    out.single(
        "ve_relayer_outbox_done",
        "gauge",
        "Callbacks the chain has",
        o.done,
    );
    out.single(
        "ve_relayer_outbox_dead_letters",
        "gauge",
        "Callbacks given up on, waiting for an operator",
        o.dead_letters,
    );
    out.single(
        "ve_relayer_intents_waiting",
        "gauge",
        "Chain events waiting for their Waldur work",
        o.intents_waiting,
    );
    out.single(
        "ve_relayer_intents_dead_letters",
        "gauge",
        "Chain events whose Waldur work was given up on, waiting for an operator",
        o.intents_dead_letters,
    );
    out.single(
        "ve_relayer_oldest_intent_recorded_timestamp_seconds",
        "gauge",
        "Chain time the oldest waiting chain event was recorded at (0: none waits)",
        o.oldest_intent_recorded_at.unwrap_or(0),
    );
    out.single(
        "ve_relayer_checkpoint_height",
        "gauge",
        "Last chain height the relay loop has read",
        o.chain_checkpoint.unwrap_or(0),
    );
    out.single(
        "ve_relayer_offering_sync_checkpoint_height",
        "gauge",
        "Last chain height the offering sync has read",
        o.offering_sync_checkpoint.unwrap_or(0),
    );
    out.single(
        "ve_relayer_last_success_timestamp_seconds",
        "gauge",
        "Unix time of the last successful relay pass (0: none yet)",
        s.last_success.map_or(0.0, unix_seconds),
    );
    live_figures(&mut out, s);
    out.histogram(
        "ve_relayer_step_duration_seconds",
        "Duration of a relay pass",
        &s.step_duration,
    );
    let sync = s.offering_sync.clone().unwrap_or_default();
    for metric in sync.samples() {
        match metric.value {
            MetricValue::Count(value) => {
                let kind = match metric.kind {
                    MetricKind::Gauge => "gauge",
                    _ => "counter",
                };
                out.single(metric.name, kind, metric.help, value);
            }
            MetricValue::Histogram(h) => out.histogram(metric.name, metric.help, h),
        }
    }
    waldur_metrics(&mut out, s, &sync);
    out.0
}

/// The monitor's figures (probes, backlog age, fee balance) and the build.
fn live_figures(out: &mut Exposition, s: &Snapshot) {
    out.single(
        "ve_relayer_oldest_callback_queued_timestamp_seconds",
        "gauge",
        "Chain time the oldest pending callback was queued at (0: none pending)",
        s.outbox.oldest_callback_queued_at.unwrap_or(0),
    );
    out.single(
        "ve_relayer_oldest_pending_age_seconds",
        "gauge",
        "Age on the chain's clock of the oldest waiting chain event or pending callback (0: none)",
        oldest_pending_age(s, std::time::SystemTime::now()).unwrap_or(0.0),
    );
    let up = |probe: &Option<Probe>| u8::from(probe.as_ref().is_some_and(|p| p.ok));
    out.single(
        "ve_relayer_waldur_up",
        "gauge",
        "1 when the last Waldur probe (GET users/me/ with the token) succeeded, 0 when it failed or none ran yet",
        up(&s.waldur_probe),
    );
    // The embedded chain runs in process: no probe, no series.
    if s.chain_probe.is_some() {
        out.single(
            "ve_relayer_chain_up",
            "gauge",
            "1 when the last chain probe (the node's latest height) succeeded",
            up(&s.chain_probe),
        );
    }
    if let Some(height) = s.chain_height {
        out.single(
            "ve_relayer_chain_height",
            "gauge",
            "Latest chain height the node reported to the health monitor",
            height,
        );
    }
    if let Some(balance) = &s.fee_balance {
        out.header(
            "ve_relayer_fee_account_balance",
            "gauge",
            "Balance of the account that pays the relayer's transaction fees, in base units of the fee denom",
        );
        out.sample(
            "ve_relayer_fee_account_balance",
            &format!("{{denom=\"{}\"}}", label_value(&balance.denom)),
            balance.amount,
        );
    }
    out.header(
        "ve_relayer_build_info",
        "gauge",
        "Always 1; the relayer's version in the label",
    );
    out.sample(
        "ve_relayer_build_info",
        &format!("{{version=\"{}\"}}", env!("CARGO_PKG_VERSION")),
        1,
    );
}

/// A label value with the exposition format's escapes.
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The names of [`WALDUR_METRIC_NAMES`], in its order.
fn waldur_metrics(out: &mut Exposition, s: &Snapshot, sync: &SyncMetrics) {
    let [pending, failed, latency, callbacks, error_rate, rate_limit, ingests, successful, ingest_failed, dead_lettered, created, updated, drift, ingest_duration] =
        WALDUR_METRIC_NAMES;
    out.single(
        pending,
        "gauge",
        "Offerings waiting for a chain -> Waldur sync (pending, out of sync, or failed and waiting to retry)",
        sync.queue_depth,
    );
    out.single(
        failed,
        "gauge",
        "Offering sync records whose last attempt failed (in backoff) plus dead letters",
        sync.backlog.failed_records,
    );
    out.histogram(
        latency,
        "Seconds from the relayer seeing a chain offering change (or reconcile finding drift) to Waldur matching it, whole-second clock, retries included",
        &sync.backlog.latency,
    );
    out.single(
        callbacks,
        "gauge",
        "Signed callbacks in the outbox waiting for the chain",
        s.outbox.pending,
    );
    out.single(
        error_rate,
        "gauge",
        &format!(
            "Failed share of the last {ERROR_WINDOW_CALLS} Waldur calls (failed after the client's retries; 0 before any call)"
        ),
        s.waldur_calls.rate(),
    );
    out.single(
        rate_limit,
        "counter",
        "429 answers from Waldur, including those the client retried",
        s.waldur_rate_limit_hits,
    );
    let i = &s.ingest;
    for (name, help, value) in [
        (
            ingests,
            "Waldur offering versions sent to the chain (offering_ingest callbacks queued)",
            i.total,
        ),
        (
            successful,
            "offering_ingest callbacks the chain confirmed",
            i.successful,
        ),
        (
            ingest_failed,
            "offering_ingest callback submissions the chain refused (each retried until the dead letters)",
            i.failed,
        ),
        (
            dead_lettered,
            "offering_ingest callbacks moved to the dead letters",
            i.dead_lettered,
        ),
        (
            created,
            "Confirmed first ingests of a Waldur offering (offering created on chain)",
            i.created,
        ),
        (
            updated,
            "Confirmed later ingests of a Waldur offering (offering updated on chain)",
            i.updated,
        ),
        (
            drift,
            "Waldur offerings found changed since they were last sent to the chain",
            i.drift_detected,
        ),
    ] {
        out.single(name, "counter", help, value);
    }
    out.histogram(
        ingest_duration,
        "Duration of an offering ingest poll (listing Waldur and preparing callbacks)",
        &i.duration,
    );
}
