//! Input limits and checks. Every bound here keeps a stored record small and
//! the gas of handling it predictable.

use cosmwasm_std::Uint128;
use ve_types::catalog::is_valid_denom;

pub use ve_cw::validate::{
    attributes, identity_score, label, text, MAX_DESCRIPTION_CHARS, MAX_IDENTITY_SCORE,
    MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_REF_CHARS, MAX_VALUE_CHARS,
};

use crate::error::ContractError;
use crate::state::QueueOption;

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
        Some(r) => Ok(text("reason", r, MAX_REASON_CHARS, false)?),
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
