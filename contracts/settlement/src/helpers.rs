//! Checks shared by the execute handlers: IDs, callers, funds, limits;
//! and the escrow state change they all make.

use cosmwasm_std::{Addr, Api, DepsMut, Env, Event, MessageInfo, Storage, Uint128};
use ve_types::{AllocationId, EscrowId, EscrowState};

use ve_cw::CommonError;
pub use ve_cw::{address, bank_send as send, ensure_transition, no_funds};

use crate::error::ContractError;
use crate::events;
use crate::state::{escrows, records, update_escrow, Config, Escrow, UsageRecord};

/// Most records one message may name or settle.
pub const MAX_RECORDS_PER_MESSAGE: usize = 100;
pub const MAX_LABEL_CHARS: usize = 128;
pub const MAX_REASON_CHARS: usize = 256;

/// Parses `order:{order id}` / `job:{job id}` and validates the customer
/// address in it; returns the canonical string used as key.
pub fn escrow_key(api: &dyn Api, id: &str) -> Result<(String, Addr), ContractError> {
    let (_, key, customer) = parse_escrow_id(api, id)?;
    Ok((key, customer))
}

/// [`escrow_key`] with the parsed ID.
pub fn parse_escrow_id(api: &dyn Api, id: &str) -> Result<(EscrowId, String, Addr), ContractError> {
    let parsed: EscrowId = id.parse()?;
    let customer = address(api, "escrow_id", parsed.customer())?;
    let key = parsed.text();
    Ok((parsed, key, customer))
}

/// Usage of an allocation belongs to its order's escrow (`order:c/1` takes
/// `c/1/1`, `c/1/2`, ...), a job's to the job's escrow (`job:c/7` takes
/// `c/7`), so no escrow can bill, summarise or block the periods of an
/// allocation that is not its own.
pub fn check_allocation_of(
    escrow: &EscrowId,
    key: &str,
    allocation_id: &str,
) -> Result<(), ContractError> {
    let belongs = match escrow {
        EscrowId::Order(order) => allocation_id
            .parse::<AllocationId>()
            .is_ok_and(|a| a.customer == order.customer && a.order_sequence == order.sequence),
        EscrowId::Job(job) => job.text() == allocation_id,
    };
    if belongs {
        Ok(())
    } else {
        Err(ContractError::invalid(
            "allocation_id",
            format!("{allocation_id:?} is not an allocation of escrow {key}"),
        ))
    }
}

pub fn load_escrow(storage: &dyn Storage, key: &str) -> Result<Escrow, ContractError> {
    escrows()
        .may_load(storage, key.to_string())?
        .ok_or_else(|| {
            CommonError::NotFound {
                entity: "escrow",
                id: key.to_string(),
            }
            .into()
        })
}

pub fn load_record(storage: &dyn Storage, id: u64) -> Result<UsageRecord, ContractError> {
    records().may_load(storage, id)?.ok_or_else(|| {
        CommonError::NotFound {
            entity: "usage record",
            id: id.to_string(),
        }
        .into()
    })
}

/// The contract (marketplace or hpc) that created the escrow.
pub fn is_creator_contract(config: &Config, escrow: &Escrow, sender: &Addr) -> bool {
    escrow.created_by == *sender
        && (config.marketplace.as_ref() == Some(sender) || config.hpc.as_ref() == Some(sender))
}

/// Whether only the escrow's creating contract records its usage: a job
/// escrow opened by a contract (only the hpc contract opens job escrows;
/// a customer's own has `created_by` = the customer), whose usage that
/// contract records itself when the job ends.
pub fn is_metered_by_creator(id: &EscrowId, escrow: &Escrow) -> bool {
    matches!(id, EscrowId::Job(_)) && escrow.created_by != escrow.customer
}

/// Whether `sender` is the marketplace or hpc contract.
pub fn is_trusted_contract(config: &Config, sender: &Addr) -> bool {
    config.marketplace.as_ref() == Some(sender) || config.hpc.as_ref() == Some(sender)
}

/// Exactly one non-zero coin (of `denom` when given); returns it.
pub fn one_coin(
    info: &MessageInfo,
    denom: Option<&str>,
) -> Result<(String, Uint128), ContractError> {
    let expected = match denom {
        Some(d) => format!("one coin of {d}"),
        None => "one coin".to_string(),
    };
    let wrong = || ContractError::wrong_funds(expected.clone(), &info.funds);
    let coin = cw_utils::one_coin(info).map_err(|_| wrong())?;
    if denom.is_some_and(|d| coin.denom != d) {
        return Err(wrong());
    }
    let amount = Uint128::try_from(coin.amount).map_err(|_| wrong())?;
    Ok((coin.denom, amount))
}

/// A label such as a usage type or allocation ID: 1-128 visible ASCII.
pub fn label(field: &'static str, s: &str) -> Result<(), ContractError> {
    if s.is_empty() || s.len() > MAX_LABEL_CHARS || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ContractError::invalid(
            field,
            format!("must be 1-{MAX_LABEL_CHARS} visible ASCII characters"),
        ));
    }
    Ok(())
}

pub fn reason(s: &str) -> Result<(), ContractError> {
    if s.trim().is_empty()
        || s.chars().count() > MAX_REASON_CHARS
        || s.chars().any(char::is_control)
    {
        return Err(ContractError::invalid(
            "reason",
            format!("must be 1-{MAX_REASON_CHARS} characters without control characters"),
        ));
    }
    Ok(())
}

/// A non-empty list of at most 100 distinct record IDs.
pub fn record_ids(
    field: &'static str,
    ids: &[u64],
    allow_empty: bool,
) -> Result<(), ContractError> {
    if (!allow_empty && ids.is_empty()) || ids.len() > MAX_RECORDS_PER_MESSAGE {
        return Err(ContractError::invalid(
            field,
            format!("{} ids, must be 1-{MAX_RECORDS_PER_MESSAGE}", ids.len()),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(ContractError::invalid(
                field,
                format!("record {id} listed twice"),
            ));
        }
    }
    Ok(())
}

/// Applies a state change and saves the escrow; returns its event.
pub fn set_state(
    deps: &mut DepsMut,
    env: &Env,
    key: &str,
    escrow: &mut Escrow,
    to: EscrowState,
) -> Result<Event, ContractError> {
    let from = escrow.state;
    ensure_transition("escrow", key, from, to)?;
    escrow.state = to;
    escrow.updated_at = env.block.time;
    update_escrow(deps.storage, key, escrow, from)?;
    Ok(events::escrow_state_changed(key, escrow, from)?)
}
