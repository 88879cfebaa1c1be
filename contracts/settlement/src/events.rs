//! Events, emitted by wasmd as `wasm-ve.<name>`.

use cosmwasm_std::{Event, StdResult};
use ve_types::EscrowState;

use crate::state::{Escrow, Settlement, UsageRecord};

fn event(name: &str) -> Event {
    Event::new(format!("ve.{name}"))
}

/// `escrow_created`, `escrow_deposited`, `escrow_state_changed`.
pub fn escrow(name: &str, id: &str, e: &Escrow, from: Option<EscrowState>) -> StdResult<Event> {
    let mut ev = event(name)
        .add_attribute("escrow_id", id)
        .add_attribute("customer", e.customer.as_str())
        .add_attribute("provider", e.provider.as_str())
        .add_attribute("state", e.state.as_str())
        .add_attribute("state_code", e.state.code().to_string())
        .add_attribute("denom", &e.denom)
        .add_attribute("deposited", e.deposited)
        .add_attribute("balance", e.balance()?);
    if let Some(from) = from {
        ev = ev.add_attribute("from", from.as_str());
    }
    Ok(ev)
}

/// `usage_recorded`, `usage_acknowledged`, `usage_disputed`,
/// `usage_upheld`, `usage_rejected`.
pub fn record(name: &str, id: u64, r: &UsageRecord) -> Event {
    event(name)
        .add_attribute("record_id", id.to_string())
        .add_attribute("escrow_id", &r.escrow_id)
        .add_attribute("allocation_id", &r.allocation_id)
        .add_attribute("usage_type", &r.usage_type)
        .add_attribute("units", r.units)
        .add_attribute("cost", r.cost)
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
