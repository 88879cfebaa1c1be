//! What the relay loop needs from the provider's Waldur, as a trait: the
//! real implementation drives the Waldur REST client; tests may use a
//! scripted one. The other jobs' smaller ports are in [`offerings`] (the
//! offering sync and ingest) and [`runtime`] (the service loop and its
//! health monitor).

pub mod offerings;
pub mod runtime;

use crate::chain::{BilledUsage, ChainError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedOrder {
    pub order_uuid: String,
    pub resource_uuid: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStatus {
    /// Provisioned (first seen OK): the allocation becomes active.
    Ok,
    /// Its Create order erred (or the resource erred before it was ever
    /// OK): the allocation failed.
    Erred,
    Terminated,
    /// Its Terminate order erred: Waldur put the resource back to OK
    /// (waldur-mastermind `marketplace/callbacks.py`,
    /// `resource_deletion_failed`), the chain's terminating allocation
    /// failed (mapping spec: PendingTermination -> Terminated | Failed).
    TerminateFailed,
    /// Waldur failed an allocation the chain holds active (the resource
    /// erred on the backend, or an Update order erred, which also sets it
    /// Erred: `resource_update_failed`). The chain allows no Active ->
    /// Failed, so nothing is sent: operators are told.
    ErredWhileActive,
}

/// A Waldur resource of an allocation that reached a state the chain must
/// hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUpdate {
    pub allocation_id: String,
    pub resource_uuid: String,
    pub state: ResourceStatus,
    /// Why, when Waldur says (an erred order's `error_message`).
    pub reason: Option<String>,
    /// Saved with the update's callbacks (see [`Watermark`]).
    pub watermark: Option<Watermark>,
}

/// Usage of one component over one period, already turned from Waldur's
/// month-to-date totals into a delta, so nothing is counted twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageUpdate {
    pub allocation_id: String,
    pub resource_uuid: String,
    pub usage_type: String,
    pub units: u128,
    pub period_start: u64,
    pub period_end: u64,
    /// Saved with the usage report (see [`Watermark`]).
    pub watermark: Option<Watermark>,
}

/// The Waldur SLURM job of a chain job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedJob {
    pub job_uuid: String,
    /// False when a previous attempt had already created it.
    pub created: bool,
}

/// A piece of the Waldur side's durable state (what was last seen or
/// reported) that produced callbacks. It is saved in the same transaction
/// as those callbacks: saved before, a crash in between would lose them;
/// saved after, it would send them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub key: String,
    /// JSON, as the outbox's `save_state` writes it.
    pub value: Vec<u8>,
}

impl Watermark {
    pub fn new<T: Serialize>(key: String, value: &T) -> Result<Self, serde_json::Error> {
        let value = serde_json::to_vec(value)?;
        Ok(Watermark { key, value })
    }
}

/// What the relayer asks Waldur to run for a chain job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSubmission {
    pub job_id: String,
    pub hpc_offering_id: String,
    pub cluster_id: String,
    pub queue: String,
    pub nodes: u32,
    pub max_runtime_seconds: u64,
}

/// A Waldur SLURM job whose state changed since the last look.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUpdate {
    pub job_id: String,
    pub job_uuid: String,
    /// Nodes the chain job asked for: usage is nodes x elapsed time.
    pub nodes: u32,
    /// SLURM's state as Waldur shows it (`RUNNING`, `COMPLETED`, ...).
    pub runtime_state: String,
    /// The job's report ("job output"), untyped in Waldur.
    pub report: Option<serde_json::Value>,
    /// Set when Waldur itself failed the job (state ERRED) or no longer
    /// has it; the chain then hears `failed` with this reason.
    pub waldur_failure: Option<String>,
    /// Saved with the job's callbacks (see [`Watermark`]).
    pub watermark: Option<Watermark>,
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum WaldurError {
    /// Waldur is unreachable, failing (5xx) or timing out: another attempt
    /// later may succeed.
    #[error("Waldur unavailable: {0}")]
    Transient(String),
    /// 429 on every attempt the client made; `retry_after` is the server's
    /// last `Retry-After`, in seconds.
    #[error("Waldur rate limited the relayer: {message}")]
    RateLimited {
        message: String,
        retry_after: Option<u64>,
    },
    /// 401 or 403: the token is wrong, expired or lacks a permission. An
    /// operator must act; the work waits for them.
    #[error("Waldur refused the relayer's credentials: {0}")]
    Auth(String),
    /// 409: the object is in a state that forbids the call for now (a
    /// pending order, an order not yet pending-provider): a state to wait
    /// on, not an error of the request.
    #[error("Waldur state conflict (waiting for it to clear): {0}")]
    Conflict(String),
    /// Waldur refused the request or answered nonsense: retrying the same
    /// request will not help unless something changes.
    #[error("Waldur API: {0}")]
    Api(String),
    #[error("no Waldur offering is mapped to chain offering {0}")]
    UnmappedOffering(String),
    /// The offering has terms of service and the operator has not
    /// accepted them: the relayer refuses the order itself.
    #[error("Waldur offering {offering} has terms of service and the relayer is not configured to accept them (set `{key}`)")]
    TermsNotAccepted { offering: String, key: &'static str },
    #[error("allocation {0} has no Waldur resource yet")]
    UnknownAllocation(String),
}

/// How a failed Waldur call is retried (see `intents`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Network error, timeout or 5xx.
    Unavailable,
    /// 429.
    RateLimited,
    /// 401 or 403.
    Auth,
    /// 409.
    Conflict,
    /// 400, 404, other 4xx, an unreadable answer, or the relayer's own
    /// refusal (an unmapped offering).
    Refused,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Unavailable => "unavailable",
            FailureClass::RateLimited => "rate_limited",
            FailureClass::Auth => "auth",
            FailureClass::Conflict => "conflict",
            FailureClass::Refused => "refused",
        }
    }
}

impl WaldurError {
    /// Whether Waldur itself is out of reach (or refusing everyone): the
    /// other work waiting for it would fail the same way now.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            WaldurError::Transient(_) | WaldurError::RateLimited { .. }
        )
    }

    pub fn class(&self) -> FailureClass {
        match self {
            WaldurError::Transient(_) => FailureClass::Unavailable,
            WaldurError::RateLimited { .. } => FailureClass::RateLimited,
            WaldurError::Auth(_) => FailureClass::Auth,
            WaldurError::Conflict(_) => FailureClass::Conflict,
            WaldurError::Api(_)
            | WaldurError::UnmappedOffering(_)
            | WaldurError::TermsNotAccepted { .. }
            | WaldurError::UnknownAllocation(_) => FailureClass::Refused,
        }
    }

    /// The wait the server asked for, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            WaldurError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Maps a Waldur client error to its class.
    pub fn from_client(e: waldur::Error) -> Self {
        let message = e.to_string();
        match e {
            waldur::Error::RateLimited { retry_after, .. } => WaldurError::RateLimited {
                message,
                retry_after: retry_after.map(|d| d.as_secs().max(1)),
            },
            waldur::Error::Unauthorized { .. } | waldur::Error::Forbidden { .. } => {
                WaldurError::Auth(message)
            }
            waldur::Error::Conflict { .. } => WaldurError::Conflict(message),
            e if e.is_transient() => WaldurError::Transient(message),
            _ => WaldurError::Api(message),
        }
    }
}

/// The chain's side of a usage pass, as the port sees it (the engine
/// gives it the chain; the port needs no chain client of its own).
#[allow(async_fn_in_trait)]
pub trait ChainUsage {
    /// What the chain has recorded of the allocation's usage, per usage
    /// type; `Err` when the chain cannot be read now: the usage it would
    /// settle waits for a later pass, never billed blind.
    async fn billed_usage(&mut self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError>;
    /// Something operators must hear (usage that cannot be billed).
    fn tell_operators(&mut self, note: String);
}

/// A chain record held in memory: for tests and tools that drive a port
/// without a chain. Allocations it does not hold have nothing billed.
#[derive(Debug, Default, Clone)]
pub struct RecordedUsage {
    pub billed: std::collections::BTreeMap<String, Vec<BilledUsage>>,
    /// When set, every read fails with this reason (a chain out of
    /// reach).
    pub unreadable: Option<String>,
    /// What the port told operators.
    pub notes: Vec<String>,
}

impl ChainUsage for RecordedUsage {
    async fn billed_usage(&mut self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError> {
        if let Some(why) = &self.unreadable {
            return Err(ChainError::Unavailable(why.clone()));
        }
        Ok(self.billed.get(allocation_id).cloned().unwrap_or_default())
    }

    fn tell_operators(&mut self, note: String) {
        self.notes.push(note);
    }
}

/// The relay loop runs on a single-threaded runtime, so the futures need
/// not be `Send`.
#[allow(async_fn_in_trait)]
pub trait WaldurPort {
    /// Creates (or finds, when retried) the Waldur order of an allocation,
    /// approves it as the provider, and returns it with its resource.
    async fn provision(
        &mut self,
        allocation_id: &str,
        offering_id: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError>;
    /// Terminates the allocation's resource; returns its UUID.
    async fn terminate(&mut self, allocation_id: &str) -> Result<String, WaldurError>;
    /// Sets the resource's paused flag; `Ok(false)` when Waldur does not
    /// let the provider set it (the pause then holds on chain only).
    async fn set_paused(&mut self, allocation_id: &str, paused: bool) -> Result<bool, WaldurError>;
    /// Sets the resource's quantity limit.
    async fn resize(&mut self, allocation_id: &str, quantity: u32) -> Result<(), WaldurError>;
    /// Resource state changes since the last call; `now` is block time.
    async fn resource_updates(&mut self, now: u64) -> Result<Vec<ResourceUpdate>, WaldurError>;
    /// New usage since the last call, in periods ending at `now` (block
    /// time: settlement refuses periods that end in its future). `chain`
    /// tells what the chain has already billed, for usage the port holds
    /// no record of (a first report, or a lost database).
    async fn usage_updates(
        &mut self,
        now: u64,
        chain: &mut impl ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError>;

    // ---- HPC jobs (defaults: a port that runs no jobs) ----

    /// Creates the Waldur SLURM job of a chain job, or finds the one an
    /// earlier attempt created (retries must never make a second one).
    async fn submit_job(&mut self, job: &JobSubmission) -> Result<SubmittedJob, WaldurError> {
        Err(WaldurError::Api(format!(
            "this relayer runs no HPC jobs (job {})",
            job.job_id
        )))
    }
    /// Jobs whose `runtime_state` changed since the last call; a job stops
    /// being watched once it is final. `now` is block time.
    async fn job_updates(&mut self, _now: u64) -> Result<Vec<JobUpdate>, WaldurError> {
        Ok(Vec::new())
    }
    /// The chain closed the job itself (the customer cancelled, anyone
    /// timed it out): stop reporting it, since the contract refuses any
    /// change to a final job.
    async fn job_closed_on_chain(
        &mut self,
        _job_id: &str,
        _state: ve_types::JobState,
    ) -> Result<(), WaldurError> {
        Ok(())
    }
}
