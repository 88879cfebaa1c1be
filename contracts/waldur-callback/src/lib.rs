//! VirtEngine waldur-callback contract: the only door for Waldur actions.
//! Keeps each provider's ed25519 signer keys, verifies signed callbacks
//! (host `ed25519_verify` / `ed25519_batch_verify`), rejects expired,
//! future-dated, replayed and foreign ones, prunes nonces so state stays
//! bounded, and dispatches to the marketplace, settlement and hpc contracts.

pub mod contract;
pub mod error;
pub mod execute;
pub mod msg;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
