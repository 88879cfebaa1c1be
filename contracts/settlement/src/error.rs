use cosmwasm_std::{Coin, Uint128};
use thiserror::Error;
use ve_cw::CommonError;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("escrow {0} already exists")]
    EscrowExists(String),

    #[error("wrong funds: expected {expected}, got [{got}]")]
    WrongFunds { expected: String, got: String },

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

    #[error(
        "escrow {id} expired at {expires_at} (seconds): no usage is recorded from its expiry on"
    )]
    UsageAfterExpiry { id: String, expires_at: u64 },

    #[error("escrow {id} ended at {ended_at} (seconds): no usage period may end after it")]
    UsageAfterEnd { id: String, ended_at: u64 },

    #[error("escrow {0} has not ended: its customer reclaims funds once the marketplace reports its allocation final or its order cancelled")]
    NotEnded(String),

    #[error("escrow {id} ended at {ended_at} (seconds); its customer may reclaim from {reclaimable_at} on, once the acknowledgement window has passed")]
    ReclaimTooEarly {
        id: String,
        ended_at: u64,
        reclaimable_at: u64,
    },

    #[error("nothing to reclaim in escrow {id}: its balance of {balance} is reserved for {count} unsettled usage records")]
    NothingToReclaim {
        id: String,
        balance: Uint128,
        count: u32,
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

    #[error("usage record IDs are used up: the next would pass {max}, the largest a JSON number carries exactly")]
    RecordIdsExhausted { max: u64 },
}

ve_cw::common_error_conversions!(ContractError);

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        CommonError::Field(ve_cw::FieldError::new(field, reason)).into()
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
