use std::collections::BTreeMap;

use cosmwasm_std::{
    Coin, DepsMut, Env, Event, MessageInfo, Order as IterOrder, Response, Storage, Uint128,
};
use ve_cw::CommonError;
use ve_types::{BidState, OfferingState, OrderState};

use super::{ensure_transition, load_offering, load_order};
use crate::error::ContractError;
use crate::escrow;
use crate::events;
use crate::funds;
use crate::keys;
use crate::state::{insert_order, update_offering, update_order, Order, BIDS, CONFIG, ORDER_SEQ};
use crate::validation;

pub struct NewOrder {
    pub offering_id: String,
    pub quantity: u32,
    pub max_bid_price: Uint128,
    pub region: Option<String>,
    pub public_metadata: BTreeMap<String, String>,
    pub encrypted_config_ref: Option<String>,
}

pub fn create(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new: NewOrder,
) -> Result<Response, ContractError> {
    let offering_key = keys::offering(deps.api, &new.offering_id)?;
    let mut offering = load_offering(deps.storage, &offering_key)?;
    if offering.state != OfferingState::Active {
        return Err(ContractError::OfferingNotAcceptingOrders {
            id: new.offering_id,
            state: offering.state.to_string(),
        });
    }
    if info.sender == offering.provider {
        return Err(ContractError::SelfDealing(new.offering_id));
    }
    validation::quantity(new.quantity)?;
    if new.max_bid_price.is_zero() {
        return Err(ContractError::invalid(
            "max_bid_price",
            "must be greater than zero",
        ));
    }
    if let Some(region) = &new.region {
        validation::label("region", region)?;
        if !offering.regions.is_empty() && !offering.regions.contains(region) {
            return Err(ContractError::invalid(
                "region",
                format!(
                    "{region:?} is not offered; offered: {}",
                    offering.regions.join(", ")
                ),
            ));
        }
    }
    validation::attributes("public_metadata", &new.public_metadata)?;
    validation::encrypted_ref(&new.encrypted_config_ref)?;

    let escrow = new
        .max_bid_price
        .checked_mul(Uint128::from(new.quantity))
        .map_err(|_| {
            ContractError::invalid(
                "max_bid_price",
                "max_bid_price x quantity overflows 128 bits",
            )
        })?;
    let denom = offering.pricing.denom.clone();
    funds::exact(&info, Coin::new(escrow, &denom))?;

    let customer = info.sender;
    let sequence = ORDER_SEQ
        .may_load(deps.storage, &customer)?
        .unwrap_or_default()
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("order sequence", "exhausted"))?;
    ORDER_SEQ.save(deps.storage, &customer, &sequence)?;

    // Payment is attached to the message, so an order opens directly:
    // pending_payment is never stored.
    let order = Order {
        customer,
        sequence,
        offering_provider: offering.provider.clone(),
        offering_sequence: offering.sequence,
        state: OrderState::Open,
        quantity: new.quantity,
        max_bid_price: new.max_bid_price,
        denom,
        escrow,
        settlement_escrow: None,
        region: new.region,
        public_metadata: new.public_metadata,
        encrypted_config_ref: new.encrypted_config_ref,
        accepted_price: None,
        allocated_provider: None,
        bid_count: 0,
        allocation_count: 0,
        created_at: env.block.time,
        updated_at: env.block.time,
        matched_at: None,
    };
    insert_order(deps.storage, &order)?;
    offering.total_order_count += 1;
    let (state, category) = (offering.state, offering.category);
    update_offering(deps.storage, &offering, state, category)?;

    let id = order.order_id().text();
    Ok(Response::new()
        .add_attribute("action", "create_order")
        .add_attribute("order_id", &id)
        .add_event(events::order_created(&order))
        .set_data(cosmwasm_std::to_json_binary(&id)?))
}

pub fn cancel(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    order_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::order(deps.api, &order_id)?;
    let mut order = load_order(deps.storage, &key)?;
    if info.sender != order.customer {
        return Err(CommonError::Unauthorized {
            action: "cancel an order",
            allowed: "its customer",
        }
        .into());
    }
    let from = order.state;
    ensure_transition("order", &order_id, from, OrderState::Cancelled)?;

    let mut response = Response::new()
        .add_attribute("action", "cancel_order")
        .add_attribute("order_id", &order_id);
    for event in reject_open_bids(deps.storage, &env, &order, None)? {
        response = response.add_event(event);
    }
    let config = CONFIG.load(deps.storage)?;
    // The escrow's end first: the refund that follows closes it.
    if let Some((end, event)) = escrow::end(&config, &order)? {
        response = response.add_submessage(end).add_event(event);
    }
    let (refunds, refund_events) = escrow::refund_all(&config, &mut order)?;
    order.state = OrderState::Cancelled;
    order.updated_at = env.block.time;
    update_order(deps.storage, &order)?;

    response = response
        .add_event(events::order_state_changed(&order, from))
        .add_submessages(refunds)
        .add_events(refund_events);
    Ok(response)
}

/// Marks every open bid of the order rejected, except `keep`. Bounded by
/// the order's bid cap.
pub(crate) fn reject_open_bids(
    storage: &mut dyn Storage,
    env: &Env,
    order: &Order,
    keep: Option<u64>,
) -> Result<Vec<Event>, ContractError> {
    let open: Vec<_> = BIDS
        .prefix((order.customer.clone(), order.sequence))
        .range(storage, None, None, IterOrder::Ascending)
        .filter(|item| match item {
            Ok((seq, bid)) => Some(*seq) != keep && bid.state == BidState::Open,
            Err(_) => true,
        })
        .collect::<Result<_, _>>()?;
    let mut events = Vec::with_capacity(open.len());
    for (_, mut bid) in open {
        bid.state = BidState::Rejected;
        bid.updated_at = env.block.time;
        BIDS.save(storage, bid.key(), &bid)?;
        events.push(events::bid_closed("bid_rejected", &bid));
    }
    Ok(events)
}
