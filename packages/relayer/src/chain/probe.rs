//! What the health monitor asks of the chain, from its own task while the
//! relay loop owns the chain client: the latest height (is the node
//! reachable?) and the fee account's balance. Only a client that talks to a
//! node has a probe; the embedded chain runs in process.

use std::sync::Arc;

use futures_util::future::BoxFuture;

/// The node's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    pub height: u64,
    /// Block time of that height, unix seconds.
    pub block_time: u64,
}

/// A balance of one account in one denom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub address: String,
    pub denom: String,
    pub amount: u128,
}

/// Why a probe failed, as the probe's client says it: the monitor only
/// shows it, so any client's error will do.
pub type ProbeError = Box<dyn std::error::Error + Send + Sync>;

/// Boxed futures: the monitor holds any probe as `Arc<dyn ChainProbe>`
/// and runs on a spawned task, so they must be `Send`.
pub trait ChainProbe: Send + Sync {
    fn head(&self) -> BoxFuture<'_, Result<ChainHead, ProbeError>>;
    /// The fee account's balance in the fee denom.
    fn fee_balance(&self) -> BoxFuture<'_, Result<Balance, ProbeError>>;
}

pub type SharedProbe = Arc<dyn ChainProbe>;
