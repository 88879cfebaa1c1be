//! String IDs from messages -> validated storage keys.

use cosmwasm_std::{Addr, Api};
use ve_types::{AllocationId, BidId, OfferingId, OrderId};

use crate::error::ContractError;
use crate::state::{AllocationKey, BidKey, OfferingKey, OrderKey};
use crate::validation::address;

pub fn offering(api: &dyn Api, id: &str) -> Result<OfferingKey, ContractError> {
    let id: OfferingId = id.parse()?;
    Ok((address(api, "offering_id", &id.provider)?, id.sequence))
}

pub fn order(api: &dyn Api, id: &str) -> Result<OrderKey, ContractError> {
    let id: OrderId = id.parse()?;
    Ok((address(api, "order_id", &id.customer)?, id.sequence))
}

/// The key, and the provider the ID names (checked against the stored bid).
pub fn bid(api: &dyn Api, id: &str) -> Result<(BidKey, Addr), ContractError> {
    let id: BidId = id.parse()?;
    Ok((
        (
            address(api, "bid_id", &id.customer)?,
            id.order_sequence,
            id.sequence,
        ),
        address(api, "bid_id", &id.provider)?,
    ))
}

pub fn allocation(api: &dyn Api, id: &str) -> Result<AllocationKey, ContractError> {
    let id: AllocationId = id.parse()?;
    Ok((
        address(api, "allocation_id", &id.customer)?,
        id.order_sequence,
        id.sequence,
    ))
}
