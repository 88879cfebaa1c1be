//! VirtEngine settlement contract: one escrow per order or HPC job, usage
//! records, fee splits with exact integer math, disputes, refunds, expiry.
//!
//! Money is conserved per escrow: `deposited = paid_provider + paid_fees +
//! refunded + balance`, and the contract's bank balance is the sum of the
//! escrows' balances.

pub mod contract;
pub mod error;
pub mod events;
pub mod execute;
pub mod helpers;
pub mod msg;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
