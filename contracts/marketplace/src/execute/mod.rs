//! Execute handlers, one module per capability.

pub mod admin;
pub mod allocation;
pub mod bid;
pub mod offering;
pub mod order;

use std::fmt::Display;

use cosmwasm_std::Storage;
use ve_types::StateMachine;

use crate::error::ContractError;
use crate::state::{
    allocations, offerings, orders, Allocation, AllocationKey, Offering, OfferingKey, Order,
    OrderKey,
};

/// Fails with a message naming the entity and both states when the
/// transition table does not allow `from -> to`.
pub(crate) fn ensure_transition<S: StateMachine + Display>(
    entity: &'static str,
    id: impl Display,
    from: S,
    to: S,
) -> Result<(), ContractError> {
    if from.can_transition_to(to) {
        Ok(())
    } else {
        Err(ContractError::InvalidTransition {
            entity,
            id: id.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        })
    }
}

fn not_found(entity: &'static str, id: String) -> ContractError {
    ContractError::NotFound { entity, id }
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
