//! The contract's messages and answers: the interface's
//! (`ve_interface::marketplace::msg`).

pub use ve_interface::marketplace::msg::*;
