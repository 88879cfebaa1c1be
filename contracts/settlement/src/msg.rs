//! The contract's messages and answers: the interface's
//! (`ve_interface::settlement::msg`).

pub use ve_interface::settlement::msg::*;
