//! The marketplace contract's interface.

pub mod msg;
pub mod state;
