//! Execute handlers, one module per capability.

pub mod admin;
pub mod escrow;
pub mod settle;
pub mod usage;
