//! The `wasm-ve.*` events of one block's `block_results`, as
//! [`ContractEvent`]s.
//!
//! Index: the event's position among all the block's events, counted over
//! `begin_block_events` (0.34/0.37), each transaction's events in order,
//! `end_block_events` (0.34/0.37), then `finalize_block_events` (0.38).
//! It does not depend on which contracts are watched, so it is stable
//! across configurations and restarts. Events of failed transactions are
//! counted but never returned (their state changes were reverted).
//! Attributes are text: tendermint-rpc's 0.34 dialect decodes the base64
//! of CometBFT 0.34; an event with an attribute that is not UTF-8 is not
//! one of ours.

use std::collections::{BTreeMap, BTreeSet};

use cosmrs::tendermint::abci::Event;

use super::error::AnswerError;
use super::node::BlockResults;
use crate::chain::ContractEvent;

const PREFIX: &str = "wasm-ve.";
const CONTRACT_ADDRESS: &str = "_contract_address";
/// Added by SDK 0.50 to every message event; not the contract's.
const MSG_INDEX: &str = "msg_index";

pub fn contract_events(
    results: &BlockResults,
    watched: &BTreeSet<String>,
) -> Result<Vec<ContractEvent>, AnswerError> {
    let height = results.height.value();
    // (event, applied): events outside transactions always apply.
    let mut all: Vec<(&Event, bool)> = Vec::new();
    all.extend(
        results
            .begin_block_events
            .iter()
            .flatten()
            .map(|e| (e, true)),
    );
    for tx in results.txs_results.iter().flatten() {
        all.extend(tx.events.iter().map(|e| (e, tx.code.is_ok())));
    }
    all.extend(results.end_block_events.iter().flatten().map(|e| (e, true)));
    all.extend(results.finalize_block_events.iter().map(|e| (e, true)));

    let mut out = Vec::new();
    for (position, (event, applied)) in all.into_iter().enumerate() {
        let Some(kind) = event.kind.strip_prefix(PREFIX) else {
            continue;
        };
        if !applied {
            continue;
        }
        let Some(mut attributes) = text_attributes(event) else {
            continue;
        };
        let Some(contract) = attributes.remove(CONTRACT_ADDRESS) else {
            continue;
        };
        if !watched.contains(&contract) {
            continue;
        }
        attributes.remove(MSG_INDEX);
        let index = u32::try_from(position).map_err(|_| AnswerError::TooManyEvents(height))?;
        out.push(ContractEvent {
            height,
            index,
            contract,
            kind: kind.to_string(),
            attributes,
        });
    }
    Ok(out)
}

fn text_attributes(event: &Event) -> Option<BTreeMap<String, String>> {
    event
        .attributes
        .iter()
        .map(|a| {
            Some((
                a.key_str().ok()?.to_string(),
                a.value_str().ok()?.to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use cosmrs::tendermint::abci::{v0_34, EventAttribute};
    use serde_json::json;

    use super::*;

    #[test]
    fn filters_orders_and_reads_text() {
        let mut block: BlockResults = serde_json::from_value(json!({
            "height": "9",
            "txs_results": [
                { "code": 0, "events": [
                    { "type": "message", "attributes": [ { "key": "action", "value": "x", "index": true } ] },
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "market", "index": true },
                        { "key": "offering_id", "value": "p/1", "index": true },
                        { "key": "msg_index", "value": "0", "index": true } ] },
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "stranger", "index": true } ] }
                ] },
                { "code": 5, "codespace": "wasm", "events": [
                    { "type": "wasm-ve.offering_created", "attributes": [
                        { "key": "_contract_address", "value": "market", "index": true } ] }
                ] },
                { "code": 0, "events": [] }
            ],
            "finalize_block_events": [
                { "type": "wasm-ve.escrow_expired", "attributes": [
                    { "key": "_contract_address", "value": "settle", "index": true } ] }
            ],
            "validator_updates": null,
            "consensus_param_updates": null,
            "app_hash": ""
        }))
        .unwrap();
        // As the 0.34 dialect gives them: bytes (decoded from base64).
        let bytes = |key: &str, value: &[u8]| -> EventAttribute {
            EventAttribute::V034(v0_34::EventAttribute {
                key: key.as_bytes().to_vec(),
                value: value.to_vec(),
                index: true,
            })
        };
        let txs = block.txs_results.as_mut().unwrap();
        txs[2].events = vec![
            Event::new(
                "wasm-ve.allocation_created",
                [
                    bytes("_contract_address", b"market"),
                    bytes("quantity", b"2"),
                ],
            ),
            Event::new(
                "wasm-ve.allocation_created",
                [bytes("_contract_address", b"market"), bytes("bad", &[0xff])],
            ),
        ];
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
                (9, 6, "settle", "escrow_expired"),
            ]
        );
        assert_eq!(
            events[0].attributes,
            BTreeMap::from([("offering_id".to_string(), "p/1".to_string())])
        );
        assert_eq!(events[1].attributes["quantity"], "2");
    }
}
