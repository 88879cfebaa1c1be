use cosmwasm_std::{Coin, OverflowError, StdError, Uint128};
use thiserror::Error;
use ve_types::IdError;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    InvalidId(#[from] IdError),

    #[error("unauthorized: {action} may only be done by {allowed}")]
    Unauthorized {
        action: &'static str,
        allowed: &'static str,
    },

    #[error("invalid {field}: {reason}")]
    InvalidField { field: &'static str, reason: String },

    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    #[error("{entity} {id} cannot go from {from} to {to}")]
    InvalidTransition {
        entity: &'static str,
        id: String,
        from: String,
        to: String,
    },

    #[error("{entity} {id} is {state}; this needs {expected}")]
    WrongState {
        entity: &'static str,
        id: String,
        state: String,
        expected: &'static str,
    },

    #[error("escrow {0} already exists")]
    EscrowExists(String),

    #[error("wrong funds: expected {expected}, got [{got}]")]
    WrongFunds { expected: String, got: String },

    #[error("this message takes no funds, got [{0}]")]
    UnexpectedFunds(String),

    #[error("escrow {id} holds {available} unreserved, usage costs {needed}")]
    InsufficientEscrow {
        id: String,
        needed: Uint128,
        available: Uint128,
    },

    #[error("usage period of {allocation_id}/{usage_type} must start at or after {last_end} (seconds): periods may not overlap")]
    OverlappingPeriod {
        allocation_id: String,
        usage_type: String,
        last_end: u64,
    },

    #[error("escrow {0} is disputed: payouts are held until the arbiter resolves it")]
    PayoutsHeld(String),

    #[error("escrow {id} has {count} unsettled usage records: {hint}")]
    UnsettledUsage {
        id: String,
        count: u32,
        hint: &'static str,
    },

    #[error("escrow {id} expires at {expires_at} (seconds), not yet")]
    NotExpired { id: String, expires_at: u64 },

    #[error("nothing to settle in escrow {0}")]
    NothingToSettle(String),

    #[error("nothing to update")]
    NothingToUpdate,

    #[error("cannot migrate from {from_contract} {from_version} to {to_contract} {to_version}")]
    CannotMigrate {
        from_contract: String,
        from_version: String,
        to_contract: String,
        to_version: String,
    },
}

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ContractError::InvalidField {
            field,
            reason: reason.into(),
        }
    }

    pub fn wrong_funds(expected: impl Into<String>, got: &[Coin]) -> Self {
        ContractError::WrongFunds {
            expected: expected.into(),
            got: got
                .iter()
                .map(Coin::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}
