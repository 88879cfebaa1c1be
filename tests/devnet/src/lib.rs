//! The local wasmd devnet from Rust.
//!
//! - [`Devnet`]: a chain started and stopped through `scripts/devnet.sh`
//!   (a test's own chain in its own home and ports, or the developer's).
//! - [`Wasmd`]: the `wasmd` CLI as a client: signed transactions from the
//!   devnet's test accounts (simulated gas, waited for in a block), smart
//!   and raw queries, balances. What a chain operator types, typed.
//! - [`deploy`]: stores, instantiates and wires the four contracts and
//!   writes the deployment file the relayer's config and the tests read.

pub mod bench;
pub mod cli;
pub mod deploy;
pub mod devnet;
pub mod load;
pub mod processes;
pub mod story;

pub use cli::{TxResult, Wasmd};
pub use deploy::{deploy, Deployment};
pub use devnet::Devnet;

/// The repository's root (this crate is `tests/devnet`).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}
