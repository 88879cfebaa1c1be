//! The sync record of one offering (mapping spec, "Sync Record Schema"),
//! the retry schedule (guide, "Retry Behavior") and the chain events that
//! start a sync.

use serde::{Deserialize, Serialize};

use crate::chain::ContractEvent;

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// The chain has a version Waldur has not seen yet.
    Pending,
    /// Waldur shows what the chain says (as of `synced_version`).
    Synced,
    /// Reconciliation found Waldur changed behind the relayer's back.
    OutOfSync,
    /// The last attempt failed; the next one is due at `next_attempt_at`.
    Failed,
    /// Failed `max_retries` times; waits for an operator's reprocess.
    DeadLetter,
}

impl SyncState {
    /// States `tick` works on once their attempt is due.
    pub fn wants_sync(self) -> bool {
        matches!(self, Self::Pending | Self::OutOfSync | Self::Failed)
    }
}

/// Persisted as JSON under `offering_sync:<offering id>`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub offering_id: String,
    /// Known once the Waldur offering was created or found.
    pub waldur_uuid: Option<String>,
    pub state: SyncState,
    /// Newest chain version the relayer has heard of.
    pub chain_version: u64,
    /// Chain version Waldur last matched (0: never synced).
    pub synced_version: u64,
    /// `sha256:<hex>` of the exported document last written to Waldur.
    pub checksum: Option<String>,
    /// Consecutive failed attempts.
    pub failure_count: u32,
    pub last_error: Option<String>,
    /// Unix seconds; `None` while nothing is scheduled.
    pub next_attempt_at: Option<u64>,
    pub last_attempt_at: Option<u64>,
    pub last_synced_at: Option<u64>,
    pub dead_lettered_at: Option<u64>,
    /// The offering came from Waldur (ingested; its events carry
    /// `waldur_id`): Waldur owns it, and pushing it back would fight the
    /// ingest, so the sync leaves it alone.
    #[serde(default)]
    pub waldur_owned: bool,
    /// Unix seconds when the relayer first saw the change Waldur has not
    /// caught up with yet (an event, or drift found by reconcile); `None`
    /// while in sync. Kept through failures, so the sync latency includes
    /// backoffs and a dead letter's wait.
    #[serde(default)]
    pub pending_since: Option<u64>,
}

impl SyncRecord {
    /// A record for an offering the relayer has just heard of, due now.
    pub fn new(offering_id: &str, chain_version: u64, now: u64) -> Self {
        SyncRecord {
            offering_id: offering_id.to_string(),
            waldur_uuid: None,
            state: SyncState::Pending,
            chain_version,
            synced_version: 0,
            checksum: None,
            failure_count: 0,
            last_error: None,
            next_attempt_at: Some(now),
            last_attempt_at: None,
            last_synced_at: None,
            dead_lettered_at: None,
            waldur_owned: false,
            pending_since: Some(now),
        }
    }

    /// Whether `tick` should sync it at `now`.
    pub fn is_due(&self, now: u64) -> bool {
        !self.waldur_owned
            && self.state.wants_sync()
            && self.next_attempt_at.is_none_or(|at| at <= now)
    }

    /// A newer chain version arrived. A failing record keeps its backoff
    /// (an event storm must not bypass it) and a dead letter stays one
    /// until an operator reprocesses it; anything else is due at once.
    pub fn heard_version(&mut self, version: u64, now: u64) {
        self.chain_version = self.chain_version.max(version);
        match self.state {
            SyncState::Synced => {
                self.state = SyncState::Pending;
                self.next_attempt_at = Some(now);
                self.pending_since = Some(now);
            }
            SyncState::Pending | SyncState::OutOfSync => {
                self.next_attempt_at = Some(self.next_attempt_at.map_or(now, |at| at.min(now)));
            }
            SyncState::Failed | SyncState::DeadLetter => {}
        }
    }

    /// Waldur matches the chain at `version`.
    pub fn succeeded(&mut self, uuid: Option<String>, version: u64, checksum: String, now: u64) {
        if uuid.is_some() {
            self.waldur_uuid = uuid;
        }
        self.synced_version = version;
        self.chain_version = self.chain_version.max(version);
        self.checksum = Some(checksum);
        self.failure_count = 0;
        self.last_error = None;
        self.last_attempt_at = Some(now);
        self.last_synced_at = Some(now);
        self.dead_lettered_at = None;
        if self.chain_version > version {
            // An event for a newer version came in meanwhile: go again.
            self.state = SyncState::Pending;
            self.next_attempt_at = Some(now);
        } else {
            self.state = SyncState::Synced;
            self.next_attempt_at = None;
            self.pending_since = None;
        }
    }

    /// Records a failed attempt: the next one after the backoff, or the
    /// dead letters once `policy.max_retries` attempts have failed.
    pub fn failed(&mut self, error: String, now: u64, policy: &RetryPolicy) {
        self.failure_count = self.failure_count.saturating_add(1);
        self.last_error = Some(error);
        self.last_attempt_at = Some(now);
        if self.failure_count >= policy.max_retries {
            self.state = SyncState::DeadLetter;
            self.next_attempt_at = None;
            self.dead_lettered_at = Some(now);
        } else {
            self.state = SyncState::Failed;
            self.next_attempt_at = Some(now.saturating_add(policy.delay(self.failure_count)));
        }
    }

    /// Reconciliation found drift: resync at once.
    pub fn drifted(&mut self, now: u64) {
        self.state = SyncState::OutOfSync;
        self.next_attempt_at = Some(now);
        self.pending_since.get_or_insert(now);
    }

    /// An operator's retry of a dead letter: a fresh series of attempts.
    pub fn reprocess(&mut self, now: u64) {
        self.state = SyncState::Pending;
        self.failure_count = 0;
        self.next_attempt_at = Some(now);
        self.dead_lettered_at = None;
        // A record from before `pending_since` existed: count from here.
        self.pending_since.get_or_insert(now);
    }
}

/// Failed syncs are retried after `min(base * 2^(failures - 1), max)`
/// seconds; the `max_retries`-th failure sends the record to the dead
/// letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_seconds: u64,
    pub max_seconds: u64,
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    /// The guide's defaults: 30 s doubling, at most 1 h, 5 attempts.
    fn default() -> Self {
        RetryPolicy {
            base_seconds: 30,
            max_seconds: 3_600,
            max_retries: 5,
        }
    }
}

impl RetryPolicy {
    /// Wait after the `failures`-th consecutive failure (1-based).
    pub fn delay(&self, failures: u32) -> u64 {
        let doublings = failures.saturating_sub(1);
        let factor = 1u64.checked_shl(doublings).unwrap_or(u64::MAX);
        self.base_seconds
            .saturating_mul(factor)
            .min(self.max_seconds)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingEventKind {
    Created,
    Updated,
    StateChanged,
}

/// A marketplace offering event (`ve.offering_created`,
/// `ve.offering_updated`, `ve.offering_state_changed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferingEvent {
    pub kind: OfferingEventKind,
    pub offering_id: String,
    pub provider: String,
    pub version: u64,
    /// Set when the change came from Waldur (an offering ingest).
    pub waldur_id: Option<String>,
}

/// What a contract event is to the offering sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    Offering(OfferingEvent),
    /// An offering event without the attributes the sync needs.
    Malformed,
    /// Not an offering event.
    Other,
}

impl OfferingEvent {
    pub fn decode(e: &ContractEvent) -> Decoded {
        let kind = match e.kind.as_str() {
            "offering_created" => OfferingEventKind::Created,
            "offering_updated" => OfferingEventKind::Updated,
            "offering_state_changed" => OfferingEventKind::StateChanged,
            _ => return Decoded::Other,
        };
        let attr = |key: &str| e.attributes.get(key).cloned();
        let version = attr("version").and_then(|v| v.parse().ok());
        match (attr("offering_id"), attr("provider"), version) {
            (Some(offering_id), Some(provider), Some(version)) => {
                Decoded::Offering(OfferingEvent {
                    kind,
                    offering_id,
                    provider,
                    version,
                    waldur_id: attr("waldur_id"),
                })
            }
            _ => Decoded::Malformed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30s_and_stops_at_an_hour() {
        let p = RetryPolicy::default();
        let delays: Vec<u64> = (1..=9).map(|n| p.delay(n)).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.delay(200), 3600);
    }

    #[test]
    fn pending_since_spans_failures_until_in_sync() {
        let p = RetryPolicy::default();
        let mut r = SyncRecord::new("p/1", 1, 10);
        assert_eq!(r.pending_since, Some(10));
        r.failed("boom".into(), 20, &p);
        r.heard_version(2, 30);
        assert_eq!(r.pending_since, Some(10), "the first change still waits");
        // Synced at version 1 while version 2 is known: still behind.
        r.succeeded(Some("u".into()), 1, "sha256:a".into(), 40);
        assert_eq!((r.state, r.pending_since), (SyncState::Pending, Some(10)));
        r.succeeded(None, 2, "sha256:b".into(), 50);
        assert_eq!((r.state, r.pending_since), (SyncState::Synced, None));
        r.heard_version(3, 60);
        assert_eq!(r.pending_since, Some(60));
        r.succeeded(None, 3, "sha256:c".into(), 61);
        r.drifted(70);
        r.drifted(80);
        assert_eq!(r.pending_since, Some(70));
    }

    #[test]
    fn failures_end_in_the_dead_letters() {
        let p = RetryPolicy::default();
        let mut r = SyncRecord::new("p/1", 1, 0);
        for n in 1..5 {
            r.failed("boom".into(), 100, &p);
            assert_eq!(r.state, SyncState::Failed);
            assert_eq!(r.next_attempt_at, Some(100 + p.delay(n)));
        }
        r.failed("boom".into(), 100, &p);
        assert_eq!((r.state, r.next_attempt_at), (SyncState::DeadLetter, None));
        // A new version does not wake a dead letter; an operator does.
        r.heard_version(2, 200);
        assert_eq!(r.state, SyncState::DeadLetter);
        r.reprocess(300);
        assert!(r.is_due(300));
        assert_eq!(r.failure_count, 0);
    }

    #[test]
    fn decodes_offering_events() {
        let mut e = ContractEvent {
            height: 1,
            index: 0,
            contract: "m".into(),
            kind: "offering_updated".into(),
            attributes: [("offering_id", "p/1"), ("provider", "p"), ("version", "2")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert!(matches!(
            OfferingEvent::decode(&e),
            Decoded::Offering(OfferingEvent {
                version: 2,
                kind: OfferingEventKind::Updated,
                ..
            })
        ));
        e.attributes.insert("version".into(), "x".into());
        assert_eq!(OfferingEvent::decode(&e), Decoded::Malformed);
        e.kind = "order_created".into();
        assert_eq!(OfferingEvent::decode(&e), Decoded::Other);
    }
}
