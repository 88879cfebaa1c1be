//! The devnet gas bench (`ve-devnet-bench`, run by `scripts/bench.sh`):
//! the `gas_used` of real transactions on a chain of its own, against
//! cw20-base's transfer on the same chain.
//!
//! - [`chain`]: block time, node version, multi-message setup transactions.
//! - [`scenario`]: what is sent and measured, in order.
//! - [`report`]: the figures, the printed tables and bench/devnet-gas.md.

pub mod chain;
pub mod report;
pub mod scenario;
