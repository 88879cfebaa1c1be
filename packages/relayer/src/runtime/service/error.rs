//! Why a pass, a reconcile, an ingest poll or an admin request of the
//! service loop failed. The texts are what operators read (the audit log,
//! `/admin/status`'s `last_error`, the admin API's answers).

use thiserror::Error;

use crate::flows::dead_letters::DeadLetterError;
use crate::flows::engine::EngineError;
use crate::runtime::outbox::OutboxError;
use crate::waldur_side::offering_sync::SyncError;

#[derive(Error, Debug)]
pub enum ServiceError {
    /// The relayer's own database.
    #[error(transparent)]
    Store(#[from] OutboxError),
    /// The offering sync's share of a pass.
    #[error("offering sync: {0}")]
    OfferingSync(SyncError),
    /// A reconcile pass (asked for, or on its timer).
    #[error("reconcile: {0}")]
    Reconcile(SyncError),
    /// The offering sync's records, reprocessed by an operator.
    #[error(transparent)]
    SyncRecords(SyncError),
    #[error("the offering sync is disabled (waldur_offering_sync_enabled)")]
    SyncDisabled,
    #[error("relay step: {0}")]
    RelayStep(EngineError),
    /// The pass read and queued, but the outbox could not be sent (a node
    /// down, an unfunded fee account): the chain client's reason.
    #[error("outbox not sent: {0}")]
    OutboxNotSent(String),
    #[error("offering ingest: {0}")]
    Ingest(EngineError),
    #[error("the offering ingest is disabled")]
    IngestDisabled,
    #[error(transparent)]
    DeadLetter(#[from] DeadLetterError),
}

impl ServiceError {
    /// Whether a Waldur request failed (the telemetry counts those per
    /// source); mapping, chain and database failures say nothing about
    /// Waldur's health.
    pub fn is_waldur(&self) -> bool {
        match self {
            ServiceError::OfferingSync(e) | ServiceError::Reconcile(e) => {
                matches!(e, SyncError::Waldur(_))
            }
            ServiceError::Ingest(e) => matches!(e, EngineError::Waldur(_)),
            _ => false,
        }
    }
}
