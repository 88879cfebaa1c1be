//! Queries. Every list is a bounded, paginated range over a key prefix or an
//! index, so a page costs the same however many records are stored.

use cosmwasm_std::{Addr, Deps, Env, Order as IterOrder, StdResult, Storage, Uint128};
use cw_storage_plus::Bound;
use ve_types::{Category, OfferingState};

use ve_cw::cursor_of_owner;
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::execute::{load_allocation, load_offering, load_order};
use crate::keys;
use crate::msg::{
    AllocationResponse, AllocationsResponse, BidResponse, BidsResponse, OfferingPriceResponse,
    OfferingResponse, OfferingsResponse, OrderResponse, OrdersResponse,
};
use crate::state::{
    allocations, offerings, orders, Allocation, Bid, Config, Offering, OfferingKey, Order, BIDS,
    CONFIG, OFFERING_SECRETS,
};
use crate::validation;

fn collect<K, T, R>(
    iter: impl Iterator<Item = StdResult<(K, T)>>,
    limit: Option<u32>,
    to_response: impl FnMut(T) -> R,
) -> Result<Vec<R>, ContractError> {
    Ok(ve_cw::page(iter, limit, to_response)?)
}

pub fn config(deps: Deps) -> Result<Config, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

fn offering_response(storage: &dyn Storage, offering: Offering) -> OfferingResponse {
    OfferingResponse {
        id: offering.offering_id().text(),
        has_encrypted_secrets: OFFERING_SECRETS.has(storage, offering.key()),
        offering,
    }
}

pub fn offering(deps: Deps, offering_id: String) -> Result<OfferingResponse, ContractError> {
    let key = keys::offering(deps.api, &offering_id)?;
    let offering = load_offering(deps.storage, &key)?;
    Ok(offering_response(deps.storage, offering))
}

fn offering_bound(
    deps: Deps,
    start_after: Option<String>,
) -> Result<Option<Bound<'static, OfferingKey>>, ContractError> {
    start_after
        .map(|id| keys::offering(deps.api, &id).map(Bound::exclusive))
        .transpose()
}

pub fn offerings_all(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OfferingsResponse, ContractError> {
    let min = offering_bound(deps, start_after)?;
    let iter = offerings().range(deps.storage, min, None, IterOrder::Ascending);
    Ok(OfferingsResponse {
        offerings: collect(iter, limit, |o| offering_response(deps.storage, o))?,
    })
}

pub fn offerings_by_provider(
    deps: Deps,
    provider: String,
    state: Option<OfferingState>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OfferingsResponse, ContractError> {
    let provider = validation::address(deps.api, "provider", &provider)?;
    let start_key = start_after
        .map(|id| {
            let key = keys::offering(deps.api, &id)?;
            cursor_of_owner(&key.0, &provider, &id, "an offering")?;
            Ok::<_, ContractError>(key)
        })
        .transpose()?;
    let map = offerings();
    let offerings = match state {
        Some(state) => {
            let iter = map
                .idx
                .provider_state
                .prefix((provider, state.code()))
                .range(
                    deps.storage,
                    start_key.map(Bound::exclusive),
                    None,
                    IterOrder::Ascending,
                );
            collect(iter, limit, |o| offering_response(deps.storage, o))?
        }
        None => {
            // The provider is the first part of the key: a plain prefix.
            let min = start_key.map(|(_, seq)| Bound::exclusive(seq));
            let iter = map
                .prefix(provider)
                .range(deps.storage, min, None, IterOrder::Ascending);
            collect(iter, limit, |o| offering_response(deps.storage, o))?
        }
    };
    Ok(OfferingsResponse { offerings })
}

pub fn offerings_by_category(
    deps: Deps,
    category: Category,
    state: Option<OfferingState>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OfferingsResponse, ContractError> {
    let min = offering_bound(deps, start_after)?;
    let map = offerings();
    let category = category.as_str().to_string();
    let iter: Box<dyn Iterator<Item = StdResult<(OfferingKey, Offering)>>> = match state {
        Some(state) => map
            .idx
            .category_state
            .prefix((category, state.code()))
            .range(deps.storage, min, None, IterOrder::Ascending),
        None => {
            map.idx
                .category
                .prefix(category)
                .range(deps.storage, min, None, IterOrder::Ascending)
        }
    };
    Ok(OfferingsResponse {
        offerings: collect(iter, limit, |o| offering_response(deps.storage, o))?,
    })
}

pub fn offerings_by_state(
    deps: Deps,
    state: OfferingState,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OfferingsResponse, ContractError> {
    let min = offering_bound(deps, start_after)?;
    let iter = offerings().idx.state.prefix(state.code()).range(
        deps.storage,
        min,
        None,
        IterOrder::Ascending,
    );
    Ok(OfferingsResponse {
        offerings: collect(iter, limit, |o| offering_response(deps.storage, o))?,
    })
}

pub fn offering_price(
    deps: Deps,
    offering_id: String,
    quantity: Option<u32>,
) -> Result<OfferingPriceResponse, ContractError> {
    let key = keys::offering(deps.api, &offering_id)?;
    let offering = load_offering(deps.storage, &key)?;
    let quantity = quantity.unwrap_or(1);
    validation::quantity(quantity)?;
    let total = offering
        .pricing
        .base_price
        .checked_mul(Uint128::from(quantity))?;
    Ok(OfferingPriceResponse {
        offering_id: offering.offering_id().text(),
        pricing: offering.pricing,
        quantity,
        total,
    })
}

fn order_response(order: Order) -> OrderResponse {
    OrderResponse {
        id: order.order_id().text(),
        offering_id: order.offering_id().text(),
        order,
    }
}

pub fn order(deps: Deps, order_id: String) -> Result<OrderResponse, ContractError> {
    let key = keys::order(deps.api, &order_id)?;
    Ok(order_response(load_order(deps.storage, &key)?))
}

pub fn orders_by_customer(
    deps: Deps,
    customer: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OrdersResponse, ContractError> {
    let customer = validation::address(deps.api, "customer", &customer)?;
    let min = start_after
        .map(|id| own_sequence(deps, &id, &customer))
        .transpose()?
        .map(Bound::exclusive);
    let iter = orders()
        .prefix(customer)
        .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(OrdersResponse {
        orders: collect(iter, limit, order_response)?,
    })
}

/// The sequence of an order ID that must belong to `customer`.
fn own_sequence(deps: Deps, order_id: &str, customer: &Addr) -> Result<u64, ContractError> {
    let (owner, seq) = keys::order(deps.api, order_id)?;
    cursor_of_owner(&owner, customer, order_id, "an order")?;
    Ok(seq)
}

pub fn orders_by_offering(
    deps: Deps,
    offering_id: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<OrdersResponse, ContractError> {
    let offering_key = keys::offering(deps.api, &offering_id)?;
    let min = start_after
        .map(|id| keys::order(deps.api, &id).map(Bound::exclusive))
        .transpose()?;
    let iter = orders().idx.offering.prefix(offering_key).range(
        deps.storage,
        min,
        None,
        IterOrder::Ascending,
    );
    Ok(OrdersResponse {
        orders: collect(iter, limit, order_response)?,
    })
}

fn bid_response(env: &Env, bid: Bid) -> BidResponse {
    BidResponse {
        id: bid.bid_id().text(),
        order_id: bid.bid_id().order_id().text(),
        effective_state: bid.effective_state(env.block.time),
        bid,
    }
}

pub fn bid(deps: Deps, env: Env, bid_id: String) -> Result<BidResponse, ContractError> {
    let (key, provider) = keys::bid(deps.api, &bid_id)?;
    let bid = BIDS
        .may_load(deps.storage, key)?
        .filter(|b| b.provider == provider)
        .ok_or(CommonError::NotFound {
            entity: "bid",
            id: bid_id,
        })?;
    Ok(bid_response(&env, bid))
}

pub fn bids_by_order(
    deps: Deps,
    env: Env,
    order_id: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<BidsResponse, ContractError> {
    let (customer, order_seq) = keys::order(deps.api, &order_id)?;
    let min = match start_after {
        Some(id) => {
            let ((c, o, seq), _) = keys::bid(deps.api, &id)?;
            if c != customer || o != order_seq {
                return Err(ContractError::invalid(
                    "start_after",
                    format!("{id} is not a bid of order {order_id}"),
                ));
            }
            Some(Bound::exclusive(seq))
        }
        None => None,
    };
    let iter =
        BIDS.prefix((customer, order_seq))
            .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(BidsResponse {
        bids: collect(iter, limit, |b| bid_response(&env, b))?,
    })
}

fn allocation_response(allocation: Allocation) -> AllocationResponse {
    AllocationResponse {
        id: allocation.allocation_id().text(),
        order_id: allocation.allocation_id().order_id().text(),
        offering_id: allocation.offering_id().text(),
        allocation,
    }
}

pub fn allocation(deps: Deps, allocation_id: String) -> Result<AllocationResponse, ContractError> {
    let key = keys::allocation(deps.api, &allocation_id)?;
    Ok(allocation_response(load_allocation(deps.storage, &key)?))
}

pub fn allocations_by_customer(
    deps: Deps,
    customer: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<AllocationsResponse, ContractError> {
    let customer = validation::address(deps.api, "customer", &customer)?;
    let min = match start_after {
        Some(id) => {
            let (c, order_seq, seq) = keys::allocation(deps.api, &id)?;
            cursor_of_owner(&c, &customer, &id, "an allocation")?;
            Some(Bound::exclusive((order_seq, seq)))
        }
        None => None,
    };
    let iter =
        allocations()
            .sub_prefix(customer)
            .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(AllocationsResponse {
        allocations: collect(iter, limit, allocation_response)?,
    })
}

pub fn allocations_by_provider(
    deps: Deps,
    provider: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<AllocationsResponse, ContractError> {
    let provider = validation::address(deps.api, "provider", &provider)?;
    let min = start_after
        .map(|id| keys::allocation(deps.api, &id).map(Bound::exclusive))
        .transpose()?;
    let iter = allocations().idx.provider.prefix(provider).range(
        deps.storage,
        min,
        None,
        IterOrder::Ascending,
    );
    Ok(AllocationsResponse {
        allocations: collect(iter, limit, allocation_response)?,
    })
}
