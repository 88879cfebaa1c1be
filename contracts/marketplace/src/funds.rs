//! Checks on attached funds and refunds (shared with the other contracts).

pub use ve_cw::{bank_send as send, exact_funds as exact, no_funds as none};
