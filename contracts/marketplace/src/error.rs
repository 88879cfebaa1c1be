use cosmwasm_std::{Coin, OverflowError, StdError, Uint128};
use thiserror::Error;
use ve_types::{IdError, PricingError};

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    InvalidId(#[from] IdError),

    #[error("invalid pricing: {0}")]
    InvalidPricing(#[from] PricingError),

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

    #[error("offering {id} is {state} and takes no new orders")]
    OfferingNotAcceptingOrders { id: String, state: String },

    #[error("a provider cannot order its own offering {0}")]
    SelfDealing(String),

    #[error("wrong funds: expected exactly {expected}, got [{got}]")]
    WrongFunds { expected: Coin, got: String },

    #[error("this message takes no funds, got [{0}]")]
    UnexpectedFunds(String),

    #[error("order {id} is {state}; bids need an open order")]
    OrderNotOpen { id: String, state: String },

    #[error("bid price {price} is above the order's max bid price {max}")]
    BidAboveMax { price: Uint128, max: Uint128 },

    #[error("{entity} {id} is {state}; this needs {expected}")]
    WrongState {
        entity: &'static str,
        id: String,
        state: String,
        expected: &'static str,
    },

    #[error("order {id} already has the maximum of {max} bids")]
    TooManyBids { id: String, max: u32 },

    #[error("bid {id} is {state}, not open")]
    BidNotOpen { id: String, state: String },

    #[error("bid {id} expired at {expired_at} (seconds)")]
    BidExpired { id: String, expired_at: u64 },

    #[error("nothing to update")]
    NothingToUpdate,

    #[error("cannot migrate from {from_contract} {from_version} to {to_contract} {to_version}")]
    CannotMigrate {
        from_contract: String,
        from_version: String,
        to_contract: String,
        to_version: String,
    },

    #[error("no callback contract is configured; allocation state reports are disabled")]
    NoCallbackContract,
}

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ContractError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}
