//! Events, emitted by wasmd as `wasm-ve.<name>`.

use cosmwasm_std::{Event, StdResult, Uint128};
use ve_types::EscrowState;

use crate::state::{Escrow, Settlement, UsageRecord};

fn event(name: &str) -> Event {
    Event::new(format!("ve.{name}"))
}

/// `escrow_created`: everything fixed at creation.
pub fn escrow_created(id: &str, e: &Escrow) -> StdResult<Event> {
    Ok(event("escrow_created")
        .add_attribute("escrow_id", id)
        .add_attribute("customer", e.customer.as_str())
        .add_attribute("provider", e.provider.as_str())
        .add_attribute("state", e.state.as_str())
        .add_attribute("state_code", e.state.code().to_string())
        .add_attribute("denom", &e.denom)
        .add_attribute("deposited", e.deposited)
        .add_attribute("balance", e.balance()?))
}

/// `escrow_deposited`: what came in and the totals after it (the parties
/// and denom are on `escrow_created`).
pub fn escrow_deposited(id: &str, e: &Escrow, amount: Uint128) -> StdResult<Event> {
    Ok(event("escrow_deposited")
        .add_attribute("escrow_id", id)
        .add_attribute("amount", amount)
        .add_attribute("deposited", e.deposited)
        .add_attribute("balance", e.balance()?))
}

/// `escrow_state_changed`: the move, the balance left and the provider to
/// route it by.
pub fn escrow_state_changed(id: &str, e: &Escrow, from: EscrowState) -> StdResult<Event> {
    Ok(event("escrow_state_changed")
        .add_attribute("escrow_id", id)
        .add_attribute("provider", e.provider.as_str())
        .add_attribute("from", from.as_str())
        .add_attribute("state", e.state.as_str())
        .add_attribute("state_code", e.state.code().to_string())
        .add_attribute("balance", e.balance()?))
}

/// `usage_recorded`: the whole record.
pub fn usage_recorded(id: u64, r: &UsageRecord) -> Event {
    event("usage_recorded")
        .add_attribute("record_id", id.to_string())
        .add_attribute("escrow_id", r.escrow_id())
        .add_attribute("allocation_id", &r.allocation_id)
        .add_attribute("usage_type", &r.usage_type)
        .add_attribute("units", r.units)
        .add_attribute("cost", r.cost)
        .add_attribute("state", r.state.as_str())
}

/// `usage_acknowledged`, `usage_disputed`, `usage_upheld`,
/// `usage_rejected`: the record's new state (its fields are on
/// `usage_recorded`).
pub fn usage_changed(name: &str, id: u64, r: &UsageRecord) -> Event {
    event(name)
        .add_attribute("record_id", id.to_string())
        .add_attribute("escrow_id", r.escrow_id())
        .add_attribute("state", r.state.as_str())
}

pub fn settled(s: &Settlement) -> Event {
    let fees: u128 = s.fees.iter().map(|f| f.amount.u128()).sum();
    event("settled")
        .add_attribute("escrow_id", &s.escrow_id)
        .add_attribute("settlement", s.sequence.to_string())
        .add_attribute("records", s.record_ids.len().to_string())
        .add_attribute("gross", s.gross)
        .add_attribute("provider_amount", s.provider_amount)
        .add_attribute("fees", fees.to_string())
        .add_attribute("refund", s.refund)
        .add_attribute("final", s.finalize.to_string())
}

/// `escrow_ended`: the allocation the escrow pays for ended (or its order
/// was cancelled); no usage period ends after `ended_at` (seconds).
pub fn escrow_ended(id: &str, e: &Escrow, ended_at: u64) -> Event {
    event("escrow_ended")
        .add_attribute("escrow_id", id)
        .add_attribute("provider", e.provider.as_str())
        .add_attribute("ended_at", ended_at.to_string())
}

/// `escrow_reclaimed`: the customer took back what no usage record holds.
pub fn escrow_reclaimed(id: &str, e: &Escrow, amount: Uint128) -> StdResult<Event> {
    Ok(event("escrow_reclaimed")
        .add_attribute("escrow_id", id)
        .add_attribute("provider", e.provider.as_str())
        .add_attribute("amount", amount)
        .add_attribute("reserved", e.reserved)
        .add_attribute("balance", e.balance()?))
}
