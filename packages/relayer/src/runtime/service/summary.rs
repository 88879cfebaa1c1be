//! JSON forms of what the operator asks for: a reconcile pass, the dead
//! letters, a reprocess.

use serde::{Deserialize, Serialize};

use crate::flows::intents::Intent;
use crate::runtime::outbox::OutboxEntry;
use crate::waldur_side::offering_sync::{
    ClaimedOffering, ReconcileReport, SyncOutcome, SyncRecord,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub waldur_uuid: String,
    pub name: String,
    pub ve_offering_id: String,
}

impl From<&ClaimedOffering> for Claimed {
    fn from(c: &ClaimedOffering) -> Self {
        Claimed {
            waldur_uuid: c.waldur_uuid.clone(),
            name: c.name.clone(),
            ve_offering_id: c.ve_offering_id.clone(),
        }
    }
}

/// One offering's sync attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {
    pub offering_id: String,
    /// `created`, `updated`, `unchanged`, `not_needed`, `failed`,
    /// `dead_lettered`.
    pub action: String,
    pub success: bool,
    pub waldur_uuid: Option<String>,
    pub error: Option<String>,
}

impl Resync {
    pub fn new(offering_id: &str, outcome: &SyncOutcome) -> Self {
        let (action, uuid, error) = match outcome {
            SyncOutcome::Created { waldur_uuid } => ("created", Some(waldur_uuid), None),
            SyncOutcome::Updated { waldur_uuid } => ("updated", Some(waldur_uuid), None),
            SyncOutcome::Unchanged { waldur_uuid } => ("unchanged", Some(waldur_uuid), None),
            SyncOutcome::NotNeeded => ("not_needed", None, None),
            SyncOutcome::Failed { error, .. } => ("failed", None, Some(error)),
            SyncOutcome::DeadLettered { error } => ("dead_lettered", None, Some(error)),
        };
        Resync {
            offering_id: offering_id.to_string(),
            action: action.to_string(),
            success: error.is_none(),
            waldur_uuid: uuid.cloned(),
            error: error.cloned(),
        }
    }
}

/// A reconcile pass, as `ve-relayer reconcile` prints it and
/// `POST /admin/offering-sync/reconcile` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileSummary {
    /// Drift, missing offerings, orphans or duplicates were found (the
    /// CLI then exits with 2). Unknown offerings queued for a first sync
    /// are not drift.
    pub drift_found: bool,
    pub queued: Vec<String>,
    pub drifted: Vec<String>,
    pub missing_in_waldur: Vec<String>,
    pub orphans: Vec<Claimed>,
    pub duplicates: Vec<Claimed>,
    pub resynced: Vec<Resync>,
}

impl From<&ReconcileReport> for ReconcileSummary {
    fn from(r: &ReconcileReport) -> Self {
        ReconcileSummary {
            drift_found: !(r.drifted.is_empty()
                && r.missing_in_waldur.is_empty()
                && r.orphans.is_empty()
                && r.duplicates.is_empty()),
            queued: r.queued.clone(),
            drifted: r.drifted.clone(),
            missing_in_waldur: r.missing_in_waldur.clone(),
            orphans: r.orphans.iter().map(Claimed::from).collect(),
            duplicates: r.duplicates.iter().map(Claimed::from).collect(),
            resynced: r
                .tick
                .outcomes
                .iter()
                .map(|(id, outcome)| Resync::new(id, outcome))
                .collect(),
        }
    }
}

impl ReconcileSummary {
    /// A table for a terminal: one line per finding.
    pub fn table(&self) -> String {
        let mut rows = vec![format!("{:<14} {:<45} {}", "FINDING", "OFFERING", "DETAIL")];
        for id in &self.queued {
            rows.push(format!("{:<14} {id:<45} first sync queued", "queued"));
        }
        for id in &self.drifted {
            rows.push(format!(
                "{:<14} {id:<45} Waldur differs from the chain",
                "drift"
            ));
        }
        for id in &self.missing_in_waldur {
            rows.push(format!("{:<14} {id:<45} gone from Waldur", "missing"));
        }
        for c in &self.orphans {
            rows.push(format!(
                "{:<14} {:<45} Waldur offering {} ({:?}) claims it; not on chain",
                "orphan", c.ve_offering_id, c.waldur_uuid, c.name
            ));
        }
        for c in &self.duplicates {
            rows.push(format!(
                "{:<14} {:<45} second Waldur offering {} ({:?})",
                "duplicate", c.ve_offering_id, c.waldur_uuid, c.name
            ));
        }
        for r in &self.resynced {
            let detail = r
                .error
                .clone()
                .or_else(|| {
                    r.waldur_uuid
                        .clone()
                        .map(|u| format!("Waldur offering {u}"))
                })
                .unwrap_or_default();
            rows.push(format!(
                "{:<14} {:<45} {detail}",
                format!("sync:{}", r.action),
                r.offering_id
            ));
        }
        rows.push(if self.drift_found {
            "drift found".to_string()
        } else {
            "no drift".to_string()
        });
        rows.join("\n")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadCallback {
    pub callback_id: String,
    pub action_type: String,
    pub entity_id: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub updated_at: u64,
}

impl From<&OutboxEntry> for DeadCallback {
    fn from(e: &OutboxEntry) -> Self {
        DeadCallback {
            callback_id: e.callback.callback_id.clone(),
            action_type: e.callback.action_type.as_str().to_string(),
            entity_id: e.callback.entity_id.clone(),
            attempts: e.attempts,
            last_error: e.last_error.clone(),
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadOffering {
    pub offering_id: String,
    pub waldur_uuid: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub dead_lettered_at: Option<u64>,
}

impl From<&SyncRecord> for DeadOffering {
    fn from(r: &SyncRecord) -> Self {
        DeadOffering {
            offering_id: r.offering_id.clone(),
            waldur_uuid: r.waldur_uuid.clone(),
            attempts: r.failure_count,
            last_error: r.last_error.clone(),
            dead_lettered_at: r.dead_lettered_at,
        }
    }
}

/// A chain event whose Waldur work was given up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadEvent {
    /// `event:<height>:<index>`, what `reprocess` takes.
    pub event_id: String,
    /// The allocation or job it is about.
    pub subject: String,
    pub event: crate::chain::ChainEvent,
    pub attempts: u32,
    /// `unavailable`, `rate_limited`, `auth`, `conflict` or `refused`.
    pub failure: Option<crate::waldur_side::port::FailureClass>,
    pub last_error: Option<String>,
    pub updated_at: u64,
}

impl From<&Intent> for DeadEvent {
    fn from(i: &Intent) -> Self {
        DeadEvent {
            event_id: i.id(),
            subject: i.subject(),
            event: i.event.clone(),
            attempts: i.attempts,
            failure: i.failure,
            last_error: i.last_error.clone(),
            updated_at: i.updated_at,
        }
    }
}

/// The dead letter queues: chain events whose Waldur work failed for good,
/// callbacks the chain refused, offerings Waldur refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetters {
    #[serde(default)]
    pub events: Vec<DeadEvent>,
    pub callbacks: Vec<DeadCallback>,
    pub offerings: Vec<DeadOffering>,
}

/// What to put back in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReprocessTarget {
    One { id: String },
    All { all: bool },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reprocessed {
    #[serde(default)]
    pub events: Vec<String>,
    pub callbacks: Vec<String>,
    pub offerings: Vec<String>,
}
