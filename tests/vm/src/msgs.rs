//! Marketplace messages as JSON, the way a cosmjs portal sends them.

use serde_json::{json, Value};

pub fn instantiate(callback_contract: &str) -> Value {
    json!({ "callback_contract": callback_contract })
}

pub fn create_offering(name: &str, base_price: u128) -> Value {
    json!({ "create_offering": { "offering": {
        "name": name, "category": "compute",
        "pricing": { "model": "hourly", "denom": "uvirt", "base_price": base_price.to_string() },
        "regions": ["us-east-1"], "min_identity_score": 30
    }}})
}

pub fn create_order(offering_id: &str, quantity: u32, max_bid_price: u128) -> Value {
    json!({ "create_order": {
        "offering_id": offering_id, "quantity": quantity, "max_bid_price": max_bid_price.to_string()
    }})
}

pub fn place_bid(order_id: &str, price: u128) -> Value {
    json!({ "place_bid": { "order_id": order_id, "price": price.to_string() }})
}

pub fn accept_bid(bid_id: &str) -> Value {
    json!({ "accept_bid": { "bid_id": bid_id }})
}

/// As the callback contract sends it, for the provider that signed.
pub fn report_state(allocation_id: &str, provider: &str, state: &str) -> Value {
    json!({ "report_allocation_state": { "allocation_id": allocation_id, "provider": provider, "state": state }})
}

pub fn terminate(allocation_id: &str) -> Value {
    json!({ "terminate_allocation": { "allocation_id": allocation_id }})
}
