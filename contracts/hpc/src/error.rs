use cosmwasm_std::{OverflowError, StdError, Uint128};
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

    #[error(transparent)]
    Field(#[from] ve_cw::FieldError),

    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    #[error(transparent)]
    Transition(#[from] ve_cw::TransitionError),

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

    #[error(transparent)]
    Funds(#[from] ve_cw::FundsError),

    #[error(transparent)]
    Foreign(#[from] ve_cw::ForeignEntity),

    #[error("job {id} may time out only after {deadline} (seconds); now {now}")]
    NotTimedOut { id: String, deadline: u64, now: u64 },

    #[error("nothing to update")]
    NothingToUpdate,

    #[error(transparent)]
    Migrate(#[from] ve_cw::MigrateError),
}

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ContractError::Field(ve_cw::FieldError::new(field, reason))
    }
}
