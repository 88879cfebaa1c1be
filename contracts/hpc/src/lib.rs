//! VirtEngine HPC contract: clusters, HPC offerings and jobs whose funds are
//! escrowed in the settlement contract. See `msg.rs` for the message
//! reference and `events.rs` for the events.

pub mod contract;
pub mod error;
mod escrow;
pub mod events;
pub mod execute;
mod funds;
pub mod keys;
pub mod msg;
pub mod query;
pub mod state;
pub mod validation;

pub use crate::error::ContractError;
