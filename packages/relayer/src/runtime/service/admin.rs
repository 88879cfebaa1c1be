//! What the admin API asks the service loop to do.

use tokio::sync::oneshot;

use super::error::ServiceError;
use super::summary::{DeadLetters, ReconcileSummary, ReprocessTarget, Reprocessed};

/// The answer comes back on the oneshot.
pub enum AdminCommand {
    Reconcile(oneshot::Sender<Result<ReconcileSummary, ServiceError>>),
    DeadLetters(oneshot::Sender<Result<DeadLetters, ServiceError>>),
    Reprocess(
        ReprocessTarget,
        oneshot::Sender<Result<Reprocessed, ServiceError>>,
    ),
}
