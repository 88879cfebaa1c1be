//! The contract's messages and answers: the interface's
//! (`ve_interface::hpc::msg`).

pub use ve_interface::hpc::msg::*;
