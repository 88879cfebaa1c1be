//! What the relay loop needs from the provider's Waldur, as a trait: the
//! real implementation drives the Waldur REST client; tests may use a
//! scripted one.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedOrder {
    pub order_uuid: String,
    pub resource_uuid: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStatus {
    Ok,
    Erred,
    Terminated,
}

/// A Waldur resource of an allocation that reached a state the chain must
/// hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUpdate {
    pub allocation_id: String,
    pub resource_uuid: String,
    pub state: ResourceStatus,
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
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum WaldurError {
    /// Waldur is unreachable, overloaded or timing out: try the whole pass
    /// again later.
    #[error("Waldur unavailable: {0}")]
    Transient(String),
    /// Waldur refused or answered nonsense: retrying the same event will not help.
    #[error("Waldur API: {0}")]
    Api(String),
    #[error("no Waldur offering is mapped to chain offering {0}")]
    UnmappedOffering(String),
    #[error("allocation {0} has no Waldur resource yet")]
    UnknownAllocation(String),
}

impl WaldurError {
    pub fn is_transient(&self) -> bool {
        matches!(self, WaldurError::Transient(_))
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
    /// time: settlement refuses periods that end in its future).
    async fn usage_updates(&mut self, now: u64) -> Result<Vec<UsageUpdate>, WaldurError>;
}
