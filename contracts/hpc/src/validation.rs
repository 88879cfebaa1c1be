//! Input limits and checks. Every bound here keeps a stored record small and
//! the gas of handling it predictable.

use std::collections::BTreeMap;

use cosmwasm_std::Uint128;
use ve_types::catalog::is_valid_denom;

use crate::error::ContractError;
use crate::state::QueueOption;

pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_MAP_ENTRIES: usize = 64;
pub const MAX_VALUE_CHARS: usize = 256;
pub const MAX_REASON_CHARS: usize = 256;
pub const MAX_REF_CHARS: usize = 512;
pub const MAX_IDENTITY_SCORE: u8 = 100;
pub const MAX_QUEUES: usize = 16;
/// Upper bound of node counts (clusters and queues).
pub const MAX_NODES: u32 = 1_000_000;
/// Shortest runtime an offering, a queue or a job may have.
pub const MIN_RUNTIME_SECONDS: u64 = 60;
/// Longest runtime an offering or a queue may allow: 365 days.
pub const MAX_RUNTIME_SECONDS: u64 = 365 * 86_400;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Free text: bounded, no control characters except newlines and tabs.
pub fn text(
    field: &'static str,
    s: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), ContractError> {
    let len = s.chars().count();
    if !allow_empty && s.trim().is_empty() {
        return Err(ContractError::invalid(field, "must not be empty"));
    }
    if len > max {
        return Err(ContractError::invalid(
            field,
            format!("{len} characters, at most {max}"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ContractError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A name: 1-255 characters, no control characters at all.
pub fn name(s: &str) -> Result<(), ContractError> {
    text("name", s, MAX_NAME_CHARS, false)?;
    if has_control(s) {
        return Err(ContractError::invalid(
            "name",
            "contains control characters",
        ));
    }
    Ok(())
}

/// A machine label: 1-64 of `a-z 0-9 _ . -`.
pub fn label(field: &'static str, s: &str) -> Result<(), ContractError> {
    let ok = (1..=MAX_LABEL_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ContractError::invalid(
            field,
            format!("{s:?} must be 1-{MAX_LABEL_CHARS} characters of a-z, 0-9, _ . -"),
        ))
    }
}

/// Key/value attributes.
pub fn attributes(
    field: &'static str,
    map: &BTreeMap<String, String>,
) -> Result<(), ContractError> {
    if map.len() > MAX_MAP_ENTRIES {
        return Err(ContractError::invalid(
            field,
            format!("{} entries, at most {MAX_MAP_ENTRIES}", map.len()),
        ));
    }
    for (k, v) in map {
        label(field, k)?;
        text(field, v, MAX_VALUE_CHARS, true)?;
    }
    Ok(())
}

/// Cluster node counts: `1 <= total <= MAX_NODES`, `available <= total`.
pub fn node_counts(total: u32, available: u32) -> Result<(), ContractError> {
    if total == 0 || total > MAX_NODES {
        return Err(ContractError::invalid(
            "total_nodes",
            format!("{total} must be 1-{MAX_NODES}"),
        ));
    }
    if available > total {
        return Err(ContractError::invalid(
            "available_nodes",
            format!("{available} is above total_nodes {total}"),
        ));
    }
    Ok(())
}

pub fn identity_score(score: u8) -> Result<(), ContractError> {
    if score > MAX_IDENTITY_SCORE {
        return Err(ContractError::invalid(
            "min_identity_score",
            format!("{score} is above {MAX_IDENTITY_SCORE}"),
        ));
    }
    Ok(())
}

/// An offering or queue runtime limit: 60 s to 365 days.
pub fn runtime_limit(field: &'static str, seconds: u64) -> Result<(), ContractError> {
    if !(MIN_RUNTIME_SECONDS..=MAX_RUNTIME_SECONDS).contains(&seconds) {
        return Err(ContractError::invalid(
            field,
            format!("{seconds} s must be {MIN_RUNTIME_SECONDS}-{MAX_RUNTIME_SECONDS}"),
        ));
    }
    Ok(())
}

/// 1-16 queues with distinct label names, 1-1,000,000 nodes and a valid
/// runtime limit each.
pub fn queues(queues: &[QueueOption]) -> Result<(), ContractError> {
    if queues.is_empty() || queues.len() > MAX_QUEUES {
        return Err(ContractError::invalid(
            "queues",
            format!("{} queues, must be 1-{MAX_QUEUES}", queues.len()),
        ));
    }
    for (i, q) in queues.iter().enumerate() {
        label("queues.name", &q.name)?;
        if queues[..i].iter().any(|earlier| earlier.name == q.name) {
            return Err(ContractError::invalid(
                "queues.name",
                format!("duplicate queue {:?}", q.name),
            ));
        }
        if q.max_nodes == 0 || q.max_nodes > MAX_NODES {
            return Err(ContractError::invalid(
                "queues.max_nodes",
                format!(
                    "{} of queue {:?} must be 1-{MAX_NODES}",
                    q.max_nodes, q.name
                ),
            ));
        }
        runtime_limit("queues.max_runtime_seconds", q.max_runtime_seconds)?;
    }
    Ok(())
}

/// A denom as the bank module accepts it (`ve_types::catalog::is_valid_denom`).
pub fn denom(d: &str) -> Result<(), ContractError> {
    if !is_valid_denom(d) {
        return Err(ContractError::invalid(
            "denom",
            format!("{d:?} must match [a-zA-Z][a-zA-Z0-9/:._-]{{2,127}}"),
        ));
    }
    Ok(())
}

/// Jobs pay whole node-hours up front, so the price must be positive.
pub fn price(p: Uint128) -> Result<(), ContractError> {
    if p.is_zero() {
        return Err(ContractError::invalid(
            "price_per_node_hour",
            "must be above zero",
        ));
    }
    Ok(())
}

pub fn reason(r: &Option<String>) -> Result<(), ContractError> {
    match r {
        Some(r) => text("reason", r, MAX_REASON_CHARS, false),
        None => Ok(()),
    }
}

pub fn script_ref(r: &Option<String>) -> Result<(), ContractError> {
    match r {
        Some(r) => {
            let ok =
                (1..=MAX_REF_CHARS).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                return Err(ContractError::invalid(
                    "script_ref",
                    format!("must be 1-{MAX_REF_CHARS} visible ASCII characters"),
                ));
            }
            Ok(())
        }
        None => Ok(()),
    }
}

pub use ve_cw::address;
