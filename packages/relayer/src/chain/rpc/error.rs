//! What the RPC client's own parts refuse: a configuration it cannot run
//! with, a transaction it cannot build, a node's answer it cannot read.
//! The chain client turns the last two into [`crate::chain::ChainError`]s
//! with the same text.

use cosmwasm_std::{Decimal, Uint128};
use thiserror::Error;

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum RpcConfigError {
    #[error("chain_id is empty")]
    EmptyChainId,
    #[error("account_prefix is empty")]
    EmptyAccountPrefix,
    #[error("max_callbacks_per_execute must be at least 1")]
    NoCallbacksPerExecute,
    #[error("max_callbacks_per_tx must be at least 1")]
    NoCallbacksPerTx,
    #[error("max_blocks_per_read must be at least 1")]
    NoBlocksPerRead,
    #[error("gas_adjustment below 1 would under-fund every transaction")]
    GasAdjustmentBelowOne,
    #[error("timeouts must be positive")]
    ZeroTimeout,
    #[error("gas price {text:?} has no denom (e.g. 0.025uvirt)")]
    GasPriceWithoutDenom { text: String },
    #[error("gas price {text:?}: amount {amount:?}: {error}")]
    GasPriceAmount {
        text: String,
        amount: String,
        error: String,
    },
    #[error("gas price {text:?}: bad denom {denom:?}")]
    GasPriceDenom { text: String, denom: String },
    #[error("rpc url {url:?}: {error}")]
    RpcUrl { url: String, error: String },
    #[error("http client: {0}")]
    HttpClient(String),
    #[error("fee account address: {0}")]
    FeeAccountAddress(String),
}

/// A transaction that cannot be built, priced or signed.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum TxBuildError {
    /// `what`: `submit_callbacks`, `tx body`, `tx auth info`.
    #[error("encoding {what}: {error}")]
    Encoding { what: &'static str, error: String },
    #[error("fee denom {denom}: {error}")]
    FeeDenom { denom: String, error: String },
    #[error("signing tx: {0}")]
    Signing(String),
    #[error("gas {simulated} x {adjustment}: {error}")]
    GasOverflow {
        simulated: u64,
        adjustment: Decimal,
        error: String,
    },
    #[error("gas limit {0} does not fit in u64")]
    GasLimitTooLarge(Uint128),
    #[error("fee for gas {gas_limit} at {price}: {error}")]
    FeeOverflow {
        gas_limit: u64,
        price: Decimal,
        error: String,
    },
}

/// A node's answer that does not say what the client needs.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// Bytes that do not decode as `what` (`account answer`, `balance
    /// answer`, `tx result data`, `execute response`, ...).
    #[error("{what}: {error}")]
    Undecodable { what: &'static str, error: String },
    #[error("account answer holds no account")]
    NoAccount,
    #[error("vesting account without a base account")]
    VestingWithoutBase,
    #[error("fee account is a {0}; use a plain account")]
    NotPlainAccount(String),
    #[error("balance of {address} cannot be read: {log}")]
    BalanceRefused { address: String, log: String },
    #[error("balance amount {amount:?}: {error}")]
    BalanceAmount { amount: String, error: String },
    #[error("unexpected message response {0}")]
    UnexpectedResponse(String),
    #[error("submit_callbacks answered no outcomes: {0}")]
    NoOutcomes(String),
    #[error("block {0} has too many events")]
    TooManyEvents(u64),
    #[error("node sent block time {0}")]
    BlockTime(String),
}

impl AnswerError {
    pub(super) fn undecodable(what: &'static str, error: impl std::fmt::Display) -> Self {
        AnswerError::Undecodable {
            what,
            error: error.to_string(),
        }
    }
}
