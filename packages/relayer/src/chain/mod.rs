//! The relayer's view of the chain: contract events in order, and a way to
//! submit signed callbacks. `embedded` runs the four contracts in process
//! (the default for the demo and the tests); `rpc` talks to a wasmd node
//! over CometBFT RPC.

#[cfg(feature = "demo")]
pub mod embedded;
pub mod events;
pub mod keys;
pub mod probe;
pub mod rpc;
pub mod signer;

use thiserror::Error;
use ve_interface::settlement;
use ve_interface::waldur_callback::msg::{CallbackOutcome, SignedCallback};

pub use events::{ChainEvent, ContractEvent};
pub use ve_interface::waldur_callback::msg::MAX_BATCH;

#[derive(Error, Debug, Clone, PartialEq)]
pub enum ChainError {
    /// The chain refused the transaction (a contract error): not retried
    /// as is.
    #[error("transaction refused: {0}")]
    Refused(String),
    /// The node could not be reached or timed out: retried.
    #[error("chain unavailable: {0}")]
    Unavailable(String),
}

/// One usage type of an allocation as the settlement contract holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledUsage {
    pub usage_type: String,
    /// Units recorded, rejected records excluded.
    pub units: u128,
    /// End of the last recorded period (rejected ones included): a new
    /// period must not start before it.
    pub last_period_end: u64,
}

impl BilledUsage {
    /// The contract's answer in the relayer's terms.
    pub fn from_summary(summary: &settlement::state::UsageSummary) -> Self {
        BilledUsage {
            usage_type: summary.usage_type.clone(),
            units: summary.units.u128(),
            last_period_end: summary.last_period_end.seconds(),
        }
    }
}

/// Reads are async because the RPC implementation waits on a node; the
/// embedded chain answers at once. Futures are not required to be `Send`:
/// the relayer drives one engine on one task.
#[allow(async_fn_in_trait)]
pub trait ChainClient {
    fn chain_id(&self) -> String;
    /// The waldur-callback contract the signatures are bound to.
    fn callback_contract(&self) -> String;
    async fn latest_height(&self) -> Result<u64, ChainError>;
    /// Contract events of the blocks `from..=to`, in chain order.
    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError>;
    /// The first block worth reading (the contracts' deployment): a
    /// relayer without a checkpoint starts there. No default, like the
    /// next one: a wrapper must pass them through.
    fn first_height(&self) -> u64;
    /// Most callbacks [`Self::submit_callbacks`] takes at once: the
    /// contract's [`MAX_BATCH`] per execute, more when a transaction
    /// carries several executes.
    fn max_callbacks_per_tx(&self) -> usize;
    /// Submits callbacks in one transaction (one execute of
    /// `submit_callbacks`, or several when more than the contract takes
    /// at once); returns each one's outcome.
    async fn submit_callbacks(
        &mut self,
        callbacks: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError>;
    /// Block time, unix seconds.
    fn now(&self) -> u64;
    /// What the settlement contract has recorded of the allocation's usage
    /// (its `UsageSummary` query), per usage type. No default: a wrapper
    /// must pass it through, the usage ledgers start from it.
    async fn usage_summary(&self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError>;
    /// A probe the health monitor can use beside the loop (`None`: the
    /// chain is in process). A wrapper must pass it through.
    fn probe(&self) -> Option<probe::SharedProbe> {
        None
    }
}
