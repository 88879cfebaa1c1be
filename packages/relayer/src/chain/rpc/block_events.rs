//! The `wasm-ve.*` events of one block's `block_results`, as
//! [`ContractEvent`]s.
//!
//! Index: the event's position among all the block's events, counted over
//! `begin_block_events` (0.34/0.37), each transaction's events in order,
//! `end_block_events` (0.34/0.37), then `finalize_block_events` (0.38).
//! It does not depend on which contracts are watched, so it is stable
//! across configurations and restarts. Events of failed transactions are
//! counted but never returned (their state changes were reverted).

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::node::{AbciEvent, BlockResults};
use crate::chain::ContractEvent;

const PREFIX: &str = "wasm-ve.";
const CONTRACT_ADDRESS: &str = "_contract_address";
/// Added by SDK 0.50 to every message event; not the contract's.
const MSG_INDEX: &str = "msg_index";

pub fn contract_events(
    results: &BlockResults,
    watched: &BTreeSet<String>,
) -> Result<Vec<ContractEvent>, String> {
    // (event, applied): events outside transactions always apply.
    let mut all: Vec<(&AbciEvent, bool)> = Vec::new();
    all.extend(results.begin_block_events.iter().map(|e| (e, true)));
    for tx in &results.txs_results {
        all.extend(tx.events.iter().map(|e| (e, tx.code == 0)));
    }
    all.extend(results.end_block_events.iter().map(|e| (e, true)));
    all.extend(results.finalize_block_events.iter().map(|e| (e, true)));

    let mut out = Vec::new();
    for (position, (event, applied)) in all.into_iter().enumerate() {
        let Some(kind) = event.kind.strip_prefix(PREFIX) else {
            continue;
        };
        if !applied {
            continue;
        }
        let Some(mut attributes) = plain_attributes(event) else {
            continue;
        };
        let Some(contract) = attributes.remove(CONTRACT_ADDRESS) else {
            continue;
        };
        if !watched.contains(&contract) {
            continue;
        }
        attributes.remove(MSG_INDEX);
        let index = u32::try_from(position)
            .map_err(|_| format!("block {} has too many events", results.height))?;
        out.push(ContractEvent {
            height: results.height,
            index,
            contract,
            kind: kind.to_string(),
            attributes,
        });
    }
    Ok(out)
}

/// Attributes as text. CometBFT 0.34 sends them base64-encoded: told apart
/// by the contract address key, which every wasm event has.
fn plain_attributes(event: &AbciEvent) -> Option<BTreeMap<String, String>> {
    let plain = event.attributes.iter().any(|a| a.key == CONTRACT_ADDRESS);
    let encoded_key = BASE64.encode(CONTRACT_ADDRESS);
    if plain || !event.attributes.iter().any(|a| a.key == encoded_key) {
        return Some(
            event
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect(),
        );
    }
    let decode = |text: &str| -> Option<String> {
        String::from_utf8(BASE64.decode(text.as_bytes()).ok()?).ok()
    };
    // An attribute that does not decode makes the event unreadable: it is
    // not one of ours.
    event
        .attributes
        .iter()
        .map(|a| Some((decode(&a.key)?, decode(&a.value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_orders_and_decodes() {
        let block: BlockResults = serde_json::from_value(json!({
            "height": "9",
            "txs_results": [
                { "code": 0, "events": [
                    { "type": "message", "attributes": [ { "key": "action", "value": "x" } ] },
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "market" },
                        { "key": "offering_id", "value": "p/1" },
                        { "key": "msg_index", "value": "0" } ] },
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "stranger" } ] }
                ] },
                { "code": 5, "codespace": "wasm", "events": [
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "market" } ] }
                ] },
                { "code": 0, "events": [
                    { "type": "wasm-ve.allocation_created", "attributes": [
                        { "key": BASE64.encode("_contract_address"), "value": BASE64.encode("market") },
                        { "key": BASE64.encode("quantity"), "value": BASE64.encode("2") } ] }
                ] }
            ],
            "finalize_block_events": [
                { "type": "wasm-ve.escrow_expired", "attributes": [
                    { "key": "_contract_address", "value": "settle" } ] }
            ]
        }))
        .unwrap();
        let watched: BTreeSet<String> = ["market", "settle"].map(String::from).into();
        let events = contract_events(&block, &watched).unwrap();
        let seen: Vec<(u64, u32, &str, &str)> = events
            .iter()
            .map(|e| (e.height, e.index, e.contract.as_str(), e.kind.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (9, 1, "market", "offering_created"),
                (9, 4, "market", "allocation_created"),
                (9, 5, "settle", "escrow_expired"),
            ]
        );
        assert_eq!(
            events[0].attributes,
            BTreeMap::from([("offering_id".to_string(), "p/1".to_string())])
        );
        assert_eq!(events[1].attributes["quantity"], "2");
    }
}
