//! Why the demo story stopped.

use thiserror::Error;

use crate::chain::ChainError;
use crate::flows::engine::EngineError;
use crate::runtime::outbox::OutboxError;
use crate::waldur_side::port::WaldurError;
use ve_types::callback::SigningError;

#[derive(Error, Debug)]
pub enum DemoError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A contract query, or an answer that does not read.
    #[error(transparent)]
    Query(#[from] cosmwasm_std::StdError),
    #[error(transparent)]
    Amount(#[from] cosmwasm_std::ConversionOverflowError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Store(#[from] OutboxError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Waldur(#[from] WaldurError),
    #[error(transparent)]
    WaldurClient(#[from] waldur::Error),
    /// The emulator could not start.
    #[error(transparent)]
    Emulator(#[from] std::io::Error),
    /// The emulator refused a backend action (its error document).
    #[error("{0}")]
    EmulatorRefused(serde_json::Value),
    /// Something the story expected is not there.
    #[error("{0}")]
    Missing(&'static str),
    #[error("a chain event was given up on: {0}")]
    GaveUp(String),
    #[error("the relayer kept failing: {0}")]
    KeptFailing(String),
}
