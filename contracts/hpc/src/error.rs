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

    #[error("hpc offering {0} is inactive and takes no new jobs")]
    OfferingInactive(String),

    #[error("a provider cannot submit jobs to its own hpc offering {0}")]
    SelfDealing(String),

    #[error("hpc offering {offering} has no queue {queue:?}")]
    UnknownQueue { offering: String, queue: String },

    #[error("job cost overflows: {price} per node-hour x {nodes} nodes x {hours} hours")]
    CostOverflow {
        price: Uint128,
        nodes: u32,
        hours: u64,
    },

    #[error("wrong funds: expected exactly {expected}, got [{got}]")]
    WrongFunds { expected: Coin, got: String },

    #[error("this message takes no funds, got [{0}]")]
    UnexpectedFunds(String),

    #[error("job {id} may time out only after {deadline} (seconds); now {now}")]
    NotTimedOut { id: String, deadline: u64, now: u64 },

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
}
