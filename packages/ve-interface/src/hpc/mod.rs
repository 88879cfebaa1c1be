//! The hpc contract's interface.

pub mod msg;
pub mod state;
