//! VirtEngine marketplace contract: offerings, orders with escrowed funds,
//! bids and allocations. See the README for the message and event reference.

pub mod contract;
pub mod error;
pub mod escrow;
pub mod events;
pub mod execute;
mod funds;
pub mod keys;
pub mod msg;
pub mod query;
pub mod state;
pub mod validation;

pub use crate::error::ContractError;
