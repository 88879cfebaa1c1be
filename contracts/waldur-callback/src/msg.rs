//! The contract's messages and answers: the interface's
//! (`ve_interface::waldur_callback::msg`).

pub use ve_interface::waldur_callback::msg::*;
