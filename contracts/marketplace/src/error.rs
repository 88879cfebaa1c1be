use cosmwasm_std::Uint128;
use thiserror::Error;
use ve_cw::CommonError;
use ve_types::PricingError;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("invalid pricing: {0}")]
    InvalidPricing(#[from] PricingError),

    #[error("offering {id} is {state} and takes no new orders")]
    OfferingNotAcceptingOrders { id: String, state: String },

    #[error("a provider cannot order its own offering {0}")]
    SelfDealing(String),

    #[error("order {id} is {state}; bids need an open order")]
    OrderNotOpen { id: String, state: String },

    #[error("bid price {price} is above the order's max bid price {max}")]
    BidAboveMax { price: Uint128, max: Uint128 },

    #[error("order {id} already has the maximum of {max} bids")]
    TooManyBids { id: String, max: u32 },

    #[error("bid {id} is {state}, not open")]
    BidNotOpen { id: String, state: String },

    #[error("bid {id} expired at {expired_at} (seconds)")]
    BidExpired { id: String, expired_at: u64 },

    #[error("offering {id} is {from}: an ingest from the provider's Waldur cannot move it to {to}; only {allowed} may")]
    IngestStateUnauthorized {
        id: String,
        from: String,
        to: String,
        allowed: &'static str,
    },

    #[error("offering {id} is {state}; {action} needs an active offering")]
    OfferingNotActive {
        id: String,
        state: String,
        action: &'static str,
    },

    #[error("allocation {id} was paused by its customer {paused_by}: a state report from the provider cannot resume it; only the customer may (resume_allocation)")]
    ReportCannotResume { id: String, paused_by: String },

    #[error("no callback contract is configured; allocation state reports are disabled")]
    NoCallbackContract,
}

ve_cw::common_error_conversions!(ContractError);

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        CommonError::Field(ve_cw::FieldError::new(field, reason)).into()
    }
}
