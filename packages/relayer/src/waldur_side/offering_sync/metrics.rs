//! The sync worker's metrics, named as in the guide's "Metrics" table. A
//! plain struct: the caller renders it (Prometheus text, JSON, logs).

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// Sync durations in seconds, with cumulative (`le`) buckets as Prometheus
/// wants them.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationHistogram {
    /// Upper bounds of the buckets, seconds, ascending; `+Inf` is implied.
    pub bounds: Vec<f64>,
    /// `cumulative[i]`: observations <= `bounds[i]`.
    pub cumulative: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
}

impl Default for DurationHistogram {
    fn default() -> Self {
        let bounds = vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
        DurationHistogram {
            cumulative: vec![0; bounds.len()],
            bounds,
            sum_seconds: 0.0,
            count: 0,
        }
    }
}

impl DurationHistogram {
    /// Empty, with these bucket bounds (seconds, ascending).
    pub fn with_bounds(bounds: &[f64]) -> Self {
        DurationHistogram {
            bounds: bounds.to_vec(),
            cumulative: vec![0; bounds.len()],
            sum_seconds: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        for (bound, count) in self.bounds.iter().zip(self.cumulative.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.sum_seconds += seconds;
        self.count += 1;
    }
}

/// Bucket bounds of the sync latency: it is measured on the relayer's
/// whole-second clock and includes retry backoffs, so it spans an hour.
pub const LATENCY_BOUNDS: [f64; 10] = [
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// Figures beyond the guide's table, exported under the specification's
/// "Key Metrics" names (`waldur_sync_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncBacklog {
    /// `waldur_sync_failed_count`: records whose last attempt failed
    /// (waiting out a backoff) plus dead letters.
    pub failed_records: u64,
    /// `waldur_sync_latency_seconds`: for each sync that left a record in
    /// sync, the time since the relayer first saw the chain change (or
    /// reconcile found the drift) that made the record due.
    pub latency: DurationHistogram,
}

impl Default for SyncBacklog {
    fn default() -> Self {
        SyncBacklog {
            failed_records: 0,
            latency: DurationHistogram::with_bounds(&LATENCY_BOUNDS),
        }
    }
}

/// Counters only grow; gauges are recomputed from the records after every
/// change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncMetrics {
    /// `offering_sync_total`: sync attempts.
    pub total: u64,
    /// `offering_sync_successful`.
    pub successful: u64,
    /// `offering_sync_failed`: failed attempts (each one).
    pub failed: u64,
    /// `offering_sync_dead_lettered`: records moved to the dead letters.
    pub dead_lettered: u64,
    /// `offering_sync_drift_detected`.
    pub drift_detected: u64,
    /// `offering_sync_reconciliations`: reconcile runs.
    pub reconciliations: u64,
    /// `offering_sync_queue_depth`: records waiting for a sync (pending,
    /// out of sync, failed).
    pub queue_depth: u64,
    /// `offering_sync_active_syncs`: syncs running now (the worker runs one
    /// at a time, so 0 or 1).
    pub active_syncs: u64,
    /// `offering_sync_dead_letter_size`.
    pub dead_letter_size: u64,
    /// `offering_sync_duration_seconds`.
    pub duration: DurationHistogram,
    /// `offering_sync_events_received`: offering events of this provider.
    pub events_received: u64,
    /// `offering_sync_events_processed`: applied to a record (a repeat is
    /// processed as a no-op).
    pub events_processed: u64,
    /// `offering_sync_events_dropped`: the guide counts events dropped from
    /// a full queue. The queue here is the durable record table, which is
    /// never full, so the only events dropped are malformed ones.
    pub events_dropped: u64,
    /// Not in the guide's table (so not in `samples`).
    pub backlog: SyncBacklog,
}

/// One metric's value, for rendering.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue<'a> {
    Count(u64),
    Histogram(&'a DurationHistogram),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metric<'a> {
    pub name: &'static str,
    pub kind: MetricKind,
    pub help: &'static str,
    pub value: MetricValue<'a>,
}

/// The guide's metrics, in its table's order, named as Prometheus'
/// linter (`promtool check metrics`) wants: its counters end in `_total`
/// (the guide's `offering_sync_successful` is exported as
/// `offering_sync_successful_total`, and so on; see [`GUIDE_NAMES`]).
pub const METRIC_NAMES: [&str; 13] = [
    "offering_sync_total",
    "offering_sync_successful_total",
    "offering_sync_failed_total",
    "offering_sync_dead_lettered_total",
    "offering_sync_drift_detected_total",
    "offering_sync_reconciliations_total",
    "offering_sync_queue_depth",
    "offering_sync_active_syncs",
    "offering_sync_dead_letter_size",
    "offering_sync_duration_seconds",
    "offering_sync_events_received_total",
    "offering_sync_events_processed_total",
    "offering_sync_events_dropped_total",
];

/// The names the guide's table gives, in [`METRIC_NAMES`]' order: aliases
/// for documentation only, never exported (the counters among them fail
/// the linter).
pub const GUIDE_NAMES: [&str; 13] = [
    "offering_sync_total",
    "offering_sync_successful",
    "offering_sync_failed",
    "offering_sync_dead_lettered",
    "offering_sync_drift_detected",
    "offering_sync_reconciliations",
    "offering_sync_queue_depth",
    "offering_sync_active_syncs",
    "offering_sync_dead_letter_size",
    "offering_sync_duration_seconds",
    "offering_sync_events_received",
    "offering_sync_events_processed",
    "offering_sync_events_dropped",
];

impl SyncMetrics {
    /// Every metric with its guide name, kind and description.
    pub fn samples(&self) -> [Metric<'_>; 13] {
        use MetricKind::{Counter, Gauge};
        let n = |i: usize, kind, help, value: u64| Metric {
            name: METRIC_NAMES[i],
            kind,
            help,
            value: MetricValue::Count(value),
        };
        [
            n(0, Counter, "Total sync operations", self.total),
            n(1, Counter, "Successful syncs", self.successful),
            n(2, Counter, "Failed syncs", self.failed),
            n(3, Counter, "Dead-lettered items", self.dead_lettered),
            n(4, Counter, "Drift detections", self.drift_detected),
            n(5, Counter, "Reconciliation runs", self.reconciliations),
            n(6, Gauge, "Current queue depth", self.queue_depth),
            n(7, Gauge, "Active sync operations", self.active_syncs),
            n(8, Gauge, "Dead letter queue size", self.dead_letter_size),
            Metric {
                name: METRIC_NAMES[9],
                kind: MetricKind::Histogram,
                help: "Sync operation duration",
                value: MetricValue::Histogram(&self.duration),
            },
            n(
                10,
                Counter,
                "Events received from chain",
                self.events_received,
            ),
            n(
                11,
                Counter,
                "Events successfully processed",
                self.events_processed,
            ),
            n(12, Counter, "Events dropped", self.events_dropped),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_carry_the_guide_names_in_order() {
        let m = SyncMetrics::default();
        let names: Vec<&str> = m.samples().iter().map(|s| s.name).collect();
        assert_eq!(names, METRIC_NAMES);
        for (exported, guide) in METRIC_NAMES.iter().zip(GUIDE_NAMES) {
            assert!(exported.starts_with(guide), "{exported} for {guide}");
        }
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = DurationHistogram::default();
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(3));
        assert_eq!(h.count, 2);
        assert_eq!(h.cumulative[0], 0); // <= 0.01
        assert_eq!(h.cumulative[1], 1); // <= 0.05
        assert_eq!(*h.cumulative.last().unwrap(), 2);
    }
}
