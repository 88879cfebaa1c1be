use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use ve_cw::CommonError;
use ve_types::{AllocationState, BidState, OfferingState, OrderState};

use super::order::reject_open_bids;
use super::{ensure_transition, load_offering, load_order};
use crate::error::ContractError;
use crate::escrow;
use crate::events;
use crate::funds;
use crate::keys;
use crate::state::{insert_allocation, update_order, Allocation, Bid, Order, BIDS, CONFIG};

fn require_open_order(order: &Order) -> Result<(), ContractError> {
    if order.state == OrderState::Open {
        Ok(())
    } else {
        Err(ContractError::OrderNotOpen {
            id: order.order_id().text(),
            state: order.state.to_string(),
        })
    }
}

/// Loads a bid by its string ID; the provider in the ID must match.
fn load_bid(deps: &DepsMut, bid_id: &str) -> Result<Bid, ContractError> {
    let (key, provider) = keys::bid(deps.api, bid_id)?;
    BIDS.may_load(deps.storage, key)?
        .filter(|b| b.provider == provider)
        .ok_or_else(|| {
            CommonError::NotFound {
                entity: "bid",
                id: bid_id.to_string(),
            }
            .into()
        })
}

pub fn place(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    order_id: String,
    price: Uint128,
    ttl_seconds: Option<u64>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::order(deps.api, &order_id)?;
    let mut order = load_order(deps.storage, &key)?;
    if info.sender != order.offering_provider {
        return Err(CommonError::Unauthorized {
            action: "bid on an order",
            allowed: "the provider of the order's offering",
        }
        .into());
    }
    require_open_order(&order)?;
    let offering = load_offering(
        deps.storage,
        &(order.offering_provider.clone(), order.offering_sequence),
    )?;
    if offering.state != OfferingState::Active {
        return Err(ContractError::OfferingNotAcceptingOrders {
            id: offering.offering_id().text(),
            state: offering.state.to_string(),
        });
    }
    if price.is_zero() {
        return Err(ContractError::invalid("price", "must be greater than zero"));
    }
    if price > order.max_bid_price {
        return Err(ContractError::BidAboveMax {
            price,
            max: order.max_bid_price,
        });
    }
    let config = CONFIG.load(deps.storage)?;
    let ttl = ttl_seconds.unwrap_or(config.default_bid_ttl_seconds);
    if ttl == 0 || ttl > config.max_bid_ttl_seconds {
        return Err(ContractError::invalid(
            "ttl_seconds",
            format!("{ttl} must be 1-{}", config.max_bid_ttl_seconds),
        ));
    }
    if order.bid_count >= config.max_bids_per_order {
        return Err(ContractError::TooManyBids {
            id: order_id,
            max: config.max_bids_per_order,
        });
    }
    order.bid_count += 1;
    order.updated_at = env.block.time;
    let bid = Bid {
        customer: order.customer.clone(),
        order_sequence: order.sequence,
        sequence: u64::from(order.bid_count),
        provider: info.sender,
        price,
        state: BidState::Open,
        created_at: env.block.time,
        expires_at: env.block.time.plus_seconds(ttl),
        updated_at: env.block.time,
    };
    BIDS.save(deps.storage, bid.key(), &bid)?;
    update_order(deps.storage, &order)?;

    let id = bid.bid_id().text();
    Ok(Response::new()
        .add_attribute("action", "place_bid")
        .add_attribute("bid_id", &id)
        .add_event(events::bid_placed(&bid))
        .set_data(cosmwasm_std::to_json_binary(&id)?))
}

fn require_open_bid(bid: &Bid, env: &Env, bid_id: &str) -> Result<(), ContractError> {
    match bid.effective_state(env.block.time) {
        BidState::Open => Ok(()),
        BidState::Expired => Err(ContractError::BidExpired {
            id: bid_id.to_string(),
            expired_at: bid.expires_at.seconds(),
        }),
        other => Err(ContractError::BidNotOpen {
            id: bid_id.to_string(),
            state: other.to_string(),
        }),
    }
}

pub fn withdraw(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    bid_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let mut bid = load_bid(&deps, &bid_id)?;
    if info.sender != bid.provider {
        return Err(CommonError::Unauthorized {
            action: "withdraw a bid",
            allowed: "the provider that placed it",
        }
        .into());
    }
    require_open_bid(&bid, &env, &bid_id)?;
    bid.state = BidState::Withdrawn;
    bid.updated_at = env.block.time;
    BIDS.save(deps.storage, bid.key(), &bid)?;
    Ok(Response::new()
        .add_attribute("action", "withdraw_bid")
        .add_attribute("bid_id", bid_id)
        .add_event(events::bid_closed("bid_withdrawn", &bid)))
}

pub fn accept(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    bid_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let mut bid = load_bid(&deps, &bid_id)?;
    let order_key = (bid.customer.clone(), bid.order_sequence);
    let mut order = load_order(deps.storage, &order_key)?;
    if info.sender != order.customer {
        return Err(CommonError::Unauthorized {
            action: "accept a bid",
            allowed: "the order's customer",
        }
        .into());
    }
    require_open_order(&order)?;
    require_open_bid(&bid, &env, &bid_id)?;
    // Matching is trade on the offering: refused unless it is active, as
    // for new orders and bids (a suspended or paused offering sells
    // nothing). Offerings are never removed.
    let offering = load_offering(
        deps.storage,
        &(order.offering_provider.clone(), order.offering_sequence),
    )?;
    if offering.state != OfferingState::Active {
        return Err(ContractError::OfferingNotActive {
            id: offering.offering_id().text(),
            state: offering.state.to_string(),
            action: "accepting a bid",
        });
    }
    let order_id = order.order_id().text();
    ensure_transition("order", &order_id, order.state, OrderState::Matched)?;

    bid.state = BidState::Accepted;
    bid.updated_at = env.block.time;
    BIDS.save(deps.storage, bid.key(), &bid)?;
    let rejected = reject_open_bids(deps.storage, &env, &order, Some(bid.sequence))?;

    // The escrow now covers the accepted price; the rest goes back.
    let needed = bid.price.checked_mul(Uint128::from(order.quantity))?;
    let refund = order.escrow.checked_sub(needed)?;
    order.escrow = needed;
    let allocation = create_allocation(deps.storage, &env, &mut order, &bid)?;
    let config = CONFIG.load(deps.storage)?;
    // The settlement escrow's rate card comes from the offering.
    let to_settlement = escrow::open(&config, &env, &mut order, &offering, &bid, needed)?;
    let from = order.state;
    order.state = OrderState::Matched;
    order.accepted_price = Some(bid.price);
    order.allocated_provider = Some(bid.provider.clone());
    order.matched_at = Some(env.block.time);
    order.updated_at = env.block.time;
    update_order(deps.storage, &order)?;

    let allocation_id = allocation.allocation_id().text();
    let mut response = Response::new()
        .add_attribute("action", "accept_bid")
        .add_event(events::bid_closed("bid_accepted", &bid))
        .add_events(rejected)
        .add_event(events::order_state_changed(&order, from))
        .add_event(events::allocation_created(&allocation))
        .set_data(cosmwasm_std::to_json_binary(&allocation_id)?);
    if let Some(msg) = to_settlement {
        response = response.add_message(msg);
    }
    if let Some(msg) = funds::send(&order.customer, refund, &order.denom) {
        response = response
            .add_message(msg)
            .add_event(events::escrow_refunded(&order, refund));
    }
    Ok(response)
}

fn create_allocation(
    storage: &mut dyn Storage,
    env: &Env,
    order: &mut Order,
    bid: &Bid,
) -> Result<Allocation, ContractError> {
    order.allocation_count += 1;
    let allocation = Allocation {
        customer: order.customer.clone(),
        order_sequence: order.sequence,
        sequence: order.allocation_count,
        provider: bid.provider.clone(),
        offering_sequence: order.offering_sequence,
        state: AllocationState::Pending,
        quantity: order.quantity,
        price: bid.price,
        denom: order.denom.clone(),
        backend_id: None,
        reason: None,
        suspended_by: None,
        version: 1,
        created_at: env.block.time,
        updated_at: env.block.time,
    };
    insert_allocation(storage, &allocation)?;
    Ok(allocation)
}
