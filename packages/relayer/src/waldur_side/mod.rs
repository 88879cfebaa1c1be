//! The provider's Waldur: the port the flows talk through, its adapter on
//! the Waldur client, and the offering sync (chain to Waldur) and ingest
//! (Waldur to chain).

pub mod adapter;
pub mod offering_ingest;
pub mod offering_sync;
pub mod port;
