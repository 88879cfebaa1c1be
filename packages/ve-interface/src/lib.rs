//! The interface of the four VirtEngine contracts: what each one accepts
//! (instantiate, execute, query and migrate messages), what its queries
//! answer, and the records those answers carry. Clients (the relayer) and
//! the contracts that call each other depend on this crate instead of on
//! the contracts. The contracts keep their storage (maps, indexes) and
//! re-export these types from their `msg` and `state` modules.

pub mod admin;
pub mod hpc;
pub mod marketplace;
pub mod settlement;
pub mod waldur_callback;
