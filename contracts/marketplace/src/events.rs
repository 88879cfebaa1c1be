//! Events a relayer or explorer subscribes to. Each type is emitted as
//! `wasm-ve.<name>` by wasmd; the README lists every one with its attributes.

use cosmwasm_std::{Event, Uint128};
use ve_types::{AllocationState, OfferingState, OrderState};

use crate::state::{Allocation, Bid, Offering, Order};

fn event(name: &str) -> Event {
    Event::new(format!("ve.{name}"))
}

/// `offering_created`, `offering_updated`.
pub fn offering(name: &str, o: &Offering) -> Event {
    event(name)
        .add_attribute("offering_id", o.offering_id().text())
        .add_attribute("provider", o.provider.as_str())
        .add_attribute("category", o.category.as_str())
        .add_attribute("state", o.state.as_str())
        .add_attribute("state_code", o.state.code().to_string())
        .add_attribute("version", o.version.to_string())
}

pub fn offering_state_changed(o: &Offering, from: OfferingState) -> Event {
    let mut e = offering("offering_state_changed", o).add_attribute("from", from.as_str());
    if let Some(reason) = &o.state_reason {
        e = e.add_attribute("reason", reason);
    }
    e
}

pub fn order_created(o: &Order) -> Event {
    event("order_created")
        .add_attribute("order_id", o.order_id().text())
        .add_attribute("offering_id", o.offering_id().text())
        .add_attribute("customer", o.customer.as_str())
        .add_attribute("provider", o.offering_provider.as_str())
        .add_attribute("quantity", o.quantity.to_string())
        .add_attribute("max_bid_price", o.max_bid_price)
        .add_attribute("denom", &o.denom)
        .add_attribute("escrow", o.escrow)
}

/// The offering is fixed at `order_created`; not repeated here.
pub fn order_state_changed(o: &Order, from: OrderState) -> Event {
    event("order_state_changed")
        .add_attribute("order_id", o.order_id().text())
        .add_attribute("from", from.as_str())
        .add_attribute("state", o.state.as_str())
        .add_attribute("state_code", o.state.code().to_string())
}

/// `escrow_refunded`: funds returned to the customer.
pub fn escrow_refunded(o: &Order, amount: Uint128) -> Event {
    event("escrow_refunded")
        .add_attribute("order_id", o.order_id().text())
        .add_attribute("customer", o.customer.as_str())
        .add_attribute("amount", amount)
        .add_attribute("denom", &o.denom)
}

/// `bid_placed`: the bid in full.
pub fn bid_placed(b: &Bid) -> Event {
    event("bid_placed")
        .add_attribute("bid_id", b.bid_id().text())
        .add_attribute("order_id", b.bid_id().order_id().text())
        .add_attribute("provider", b.provider.as_str())
        .add_attribute("price", b.price)
        .add_attribute("expires_at", b.expires_at.seconds().to_string())
}

/// `bid_withdrawn`, `bid_accepted`, `bid_rejected`: which bid (its ID
/// names the order and the provider) and the provider to filter on; price
/// and expiry are fixed at `bid_placed`.
pub fn bid_closed(name: &str, b: &Bid) -> Event {
    event(name)
        .add_attribute("bid_id", b.bid_id().text())
        .add_attribute("provider", b.provider.as_str())
}

/// `allocation_created`: everything a relayer needs to provision, and an
/// explorer to show the deal.
pub fn allocation_created(a: &Allocation) -> Event {
    event("allocation_created")
        .add_attribute("allocation_id", a.allocation_id().text())
        .add_attribute("order_id", a.allocation_id().order_id().text())
        .add_attribute("offering_id", a.offering_id().text())
        .add_attribute("customer", a.customer.as_str())
        .add_attribute("provider", a.provider.as_str())
        .add_attribute("state", a.state.as_str())
        .add_attribute("state_code", a.state.code().to_string())
        .add_attribute("quantity", a.quantity.to_string())
        .add_attribute("price", a.price)
        .add_attribute("denom", &a.denom)
        .add_attribute("version", a.version.to_string())
}

/// `allocation_terminate_requested`, `allocation_paused`,
/// `allocation_resumed`, `allocation_resized`, `allocation_state_changed`:
/// what changed, and the provider whose relayer acts on it. The order,
/// offering, customer and price are fixed at `allocation_created` (the
/// customer and order are also the first parts of the allocation ID), so
/// they are not repeated: every byte of an event costs gas to build and
/// serialise. `from` is the state before, when it changed.
pub fn allocation_changed(name: &str, a: &Allocation, from: Option<AllocationState>) -> Event {
    let mut e = event(name)
        .add_attribute("allocation_id", a.allocation_id().text())
        .add_attribute("provider", a.provider.as_str())
        .add_attribute("state", a.state.as_str())
        .add_attribute("state_code", a.state.code().to_string())
        .add_attribute("version", a.version.to_string());
    if let Some(from) = from {
        e = e.add_attribute("from", from.as_str());
    }
    if let Some(backend_id) = &a.backend_id {
        e = e.add_attribute("backend_id", backend_id);
    }
    if let Some(reason) = &a.reason {
        e = e.add_attribute("reason", reason);
    }
    e
}
