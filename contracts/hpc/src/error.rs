use cosmwasm_std::Uint128;
use thiserror::Error;
use ve_cw::CommonError;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error(transparent)]
    Common(#[from] CommonError),

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

    #[error("job {id} may time out only after {deadline} (seconds); now {now}")]
    NotTimedOut { id: String, deadline: u64, now: u64 },
}

ve_cw::common_error_conversions!(ContractError);

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        CommonError::Field(ve_cw::FieldError::new(field, reason)).into()
    }
}
