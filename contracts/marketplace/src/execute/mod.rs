//! Execute handlers, one module per capability.

pub mod admin;
pub mod allocation;
pub mod bid;
pub mod offering;
pub mod order;

use cosmwasm_std::Storage;

pub(crate) use ve_cw::ensure_transition;
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::state::{
    allocations, offerings, orders, Allocation, AllocationKey, Offering, OfferingKey, Order,
    OrderKey,
};

fn not_found(entity: &'static str, id: String) -> ContractError {
    CommonError::NotFound { entity, id }.into()
}

pub(crate) fn load_offering(
    storage: &dyn Storage,
    key: &OfferingKey,
) -> Result<Offering, ContractError> {
    offerings()
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("offering", format!("{}/{}", key.0, key.1)))
}

pub(crate) fn load_order(storage: &dyn Storage, key: &OrderKey) -> Result<Order, ContractError> {
    orders()
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("order", format!("{}/{}", key.0, key.1)))
}

pub(crate) fn load_allocation(
    storage: &dyn Storage,
    key: &AllocationKey,
) -> Result<Allocation, ContractError> {
    allocations()
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("allocation", format!("{}/{}/{}", key.0, key.1, key.2)))
}
