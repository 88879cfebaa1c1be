//! Checks on attached funds (shared with the other contracts).

pub use ve_cw::{exact_funds as exact, no_funds as none};
