//! The job's escrow in the settlement contract: the messages this contract
//! sends it and the billing rules that decide them.
//!
//! Billing rules (hpc side; the settlement contract enforces its own):
//! - A job pays up front for `nodes x ceil(max_runtime_seconds / 3600)`
//!   node-hours at the offering's price: that is the escrow.
//! - When a job reaches a final state after it ran (it has `started_at`)
//!   and its usage is known and non-zero, the contract records
//!   `ceil(node_seconds / 3600)` node-hours, capped at what was paid for,
//!   over the period `started_at .. now`, then settles and closes the
//!   escrow (the settlement contract pays the provider and refunds the
//!   rest to the customer).
//! - Otherwise (it never ran, no usage is known, or it ended in the same
//!   block it started, which makes an empty period the settlement contract
//!   refuses), the whole escrow is refunded.
//!
//! `CreateEscrow` and `RecordUsage` must succeed or the whole transaction
//! fails. `Settle` and `RefundEscrow` are sent as sub-messages whose failure
//! is tolerated (`reply_on_error`): the job still ends and its
//! `escrow_outcome` says what happened. Money is never lost by that: the
//! escrow stays open in the settlement contract, where the provider settles
//! it or anyone expires it. This is needed because the settlement contract
//! only finalises records the customer acknowledged or whose acknowledgement
//! window has passed, which a record made in the same transaction is not
//! unless that window is zero.

use cosmwasm_std::{
    to_json_binary, Addr, Coin, CosmosMsg, StdResult, SubMsg, Timestamp, Uint128, WasmMsg,
};
use ve_interface::settlement::msg::{ExecuteMsg as SettlementMsg, NewEscrow, NewUsage, UsageRate};

use crate::error::ContractError;
use crate::state::{EscrowOutcome, Job};

/// Reply IDs of the tolerated sub-messages (their payload is the job ID).
pub const REPLY_SETTLE: u64 = 1;
pub const REPLY_REFUND: u64 = 2;

/// The usage type of every job escrow: one node for one hour.
pub const USAGE_TYPE: &str = "node_hour";
pub const SECONDS_PER_HOUR: u64 = 3600;

/// Started hours: `ceil(seconds / 3600)`.
pub fn billable_hours(seconds: u64) -> u64 {
    seconds.div_ceil(SECONDS_PER_HOUR)
}

/// `price_per_node_hour x nodes x ceil(max_runtime_seconds / 3600)`.
pub fn job_cost(
    price_per_node_hour: Uint128,
    nodes: u32,
    max_runtime_seconds: u64,
) -> Result<Uint128, ContractError> {
    let hours = billable_hours(max_runtime_seconds);
    price_per_node_hour
        .checked_mul(Uint128::from(nodes))
        .and_then(|v| v.checked_mul(Uint128::from(hours)))
        .map_err(|_| ContractError::CostOverflow {
            price: price_per_node_hour,
            nodes,
            hours,
        })
}

/// The node-hours a job paid for: `nodes x ceil(max_runtime_seconds / 3600)`.
pub fn paid_node_hours(job: &Job) -> Result<Uint128, ContractError> {
    Ok(Uint128::from(job.nodes)
        .checked_mul(Uint128::from(billable_hours(job.max_runtime_seconds)))?)
}

/// How much of a finished job is billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Node-seconds reported or derived; zero means nothing to bill.
    NodeSeconds(u64),
    /// Everything paid for (a timeout).
    Full,
    /// Not reported: nothing is billed.
    Unknown,
}

fn wasm(contract: &Addr, msg: &SettlementMsg, funds: Vec<Coin>) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds,
    }
    .into())
}

/// Opens the escrow `job:{job id}` with the job's funds. It expires
/// `max_runtime_seconds + grace_seconds` after submission.
/// Returns the message and the expiry.
pub fn create(
    job: &Job,
    grace_seconds: u64,
    now: Timestamp,
) -> Result<(CosmosMsg, Timestamp), ContractError> {
    let lifetime = job
        .max_runtime_seconds
        .checked_add(grace_seconds)
        .ok_or_else(|| ContractError::invalid("max_runtime_seconds", "escrow expiry overflows"))?;
    let expires_at = now
        .seconds()
        .checked_add(lifetime)
        .filter(|s| *s <= u64::MAX / 1_000_000_000)
        .map(Timestamp::from_seconds)
        .ok_or_else(|| ContractError::invalid("max_runtime_seconds", "escrow expiry overflows"))?;
    let msg = SettlementMsg::CreateEscrow(NewEscrow {
        escrow_id: job.escrow_id().text(),
        customer: Some(job.customer.to_string()),
        provider: job.provider.to_string(),
        rates: vec![UsageRate {
            usage_type: USAGE_TYPE.to_string(),
            unit_price: job.price_per_node_hour,
        }],
        expires_at,
    });
    let funds = vec![Coin::new(job.escrow_amount, &job.denom)];
    Ok((wasm(&job.settlement_contract, &msg, funds)?, expires_at))
}

/// The messages that close a finished job's escrow under the rules above,
/// and what they do when the settlement contract accepts them all.
pub fn close(
    job: &Job,
    now: Timestamp,
    usage: Usage,
) -> Result<(Vec<SubMsg>, EscrowOutcome), ContractError> {
    let payload = cosmwasm_std::to_json_binary(&job.job_id().text())?;
    let escrow_id = job.escrow_id().text();
    let paid = paid_node_hours(job)?;
    let node_hours = match usage {
        Usage::NodeSeconds(0) | Usage::Unknown => None,
        Usage::NodeSeconds(s) => Some(Uint128::from(billable_hours(s)).min(paid)),
        Usage::Full => Some(paid),
    };
    let billed = match (job.started_at, node_hours) {
        (Some(start), Some(units)) if start < now && !units.is_zero() => Some((start, units)),
        _ => None,
    };
    let Some((period_start, units)) = billed else {
        let refund = wasm(
            &job.settlement_contract,
            &SettlementMsg::RefundEscrow { escrow_id },
            vec![],
        )?;
        let refund = SubMsg::reply_on_error(refund, REPLY_REFUND).with_payload(payload);
        return Ok((vec![refund], EscrowOutcome::Refunded));
    };
    let record = SettlementMsg::RecordUsage(NewUsage {
        escrow_id: escrow_id.clone(),
        allocation_id: job.job_id().text(),
        provider: None,
        usage_type: USAGE_TYPE.to_string(),
        units,
        period_start,
        period_end: now,
    });
    let settle = SettlementMsg::Settle {
        escrow_id,
        record_ids: None,
        finalize: true,
    };
    Ok((
        vec![
            SubMsg::new(wasm(&job.settlement_contract, &record, vec![])?),
            SubMsg::reply_on_error(
                wasm(&job.settlement_contract, &settle, vec![])?,
                REPLY_SETTLE,
            )
            .with_payload(payload),
        ],
        EscrowOutcome::Settled { node_hours: units },
    ))
}
