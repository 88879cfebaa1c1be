//! The waldur-callback contract's interface.

pub mod msg;
pub mod state;
