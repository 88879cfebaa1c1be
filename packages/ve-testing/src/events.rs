//! Reading a response: its wasm events (`wasm-<kind>`), their attributes
//! and the data an execute returned.

use std::collections::BTreeMap;

use cosmwasm_std::StdResult;
use cw_multi_test::AppResponse;
use serde::de::DeserializeOwned;

fn wasm_type(kind: &str) -> String {
    format!("wasm-{kind}")
}

/// Attributes of the first event of type `wasm-<kind>`; panics, listing the
/// response's events, when there is none.
pub fn event_attrs(res: &AppResponse, kind: &str) -> BTreeMap<String, String> {
    let ty = wasm_type(kind);
    res.events
        .iter()
        .find(|e| e.ty == ty)
        .unwrap_or_else(|| panic!("no {ty} event in {:?}", res.events))
        .attributes
        .iter()
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}

/// Asserts that the response has a `wasm-<kind>` event.
pub fn assert_event(res: &AppResponse, kind: &str) {
    let ty = wasm_type(kind);
    assert!(
        res.events.iter().any(|e| e.ty == ty),
        "no {ty} event in {:?}",
        res.events
    );
}

/// The value of `key` in the first `wasm-<kind>` event that has it.
pub fn wasm_attr<'a>(res: &'a AppResponse, kind: &str, key: &str) -> Option<&'a str> {
    let ty = wasm_type(kind);
    res.events
        .iter()
        .filter(|e| e.ty == ty)
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// How many `wasm-<kind>` events the response has.
pub fn count_events(res: &AppResponse, kind: &str) -> usize {
    let ty = wasm_type(kind);
    res.events.iter().filter(|e| e.ty == ty).count()
}

/// Whether any event carries `key=value`.
pub fn has_attr(res: &AppResponse, key: &str, value: &str) -> bool {
    res.events.iter().any(|e| {
        e.attributes
            .iter()
            .any(|a| a.key == key && a.value == value)
    })
}

/// The attribute names of an event, in the order of its attribute map: what
/// the tests compare to pin an event's exact shape.
pub fn attribute_keys(attrs: &BTreeMap<String, String>) -> Vec<&str> {
    attrs.keys().map(String::as_str).collect()
}

/// What an execute returned in its data field (the id it created).
pub fn returned_data<T: DeserializeOwned>(res: &AppResponse) -> StdResult<T> {
    let data = res
        .data
        .as_ref()
        .ok_or_else(|| cosmwasm_std::StdError::msg("the response has no data"))?;
    cosmwasm_std::from_json(data)
}
