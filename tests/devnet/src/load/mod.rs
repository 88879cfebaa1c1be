//! `ve-devnet-relayer-load`: `ve-relayer run` alone against a real node,
//! relaying many allocations. A devnet of its own (port offset 400), the
//! relayer as its own process; its memory, throughput and lag are sampled
//! while it works, and what it did wrong is read from its audit log, its
//! database and the blocks.
//!
//! - [`node`]: a blocking CometBFT JSON-RPC client (height, abci_query,
//!   broadcast, block results, smart queries).
//! - [`signer`]: multi-message transactions signed with cosmrs from the
//!   devnet's test accounts (fifty executes in one transaction).
//! - [`sampler`]: `/proc/<pid>` and `/metrics` every 250 ms.
//! - [`audit`]: the relayer's audit log of a phase.
//! - [`scenario`]: the backlog and steady-arrival phases.
//! - [`report`]: the figures, printed and written as bench/devnet-relayer.md.

pub mod audit;
pub mod node;
pub mod report;
pub mod sampler;
pub mod scenario;
pub mod signer;
