//! Queries: bounded, paginated ranges over key prefixes and indexes.

use cosmwasm_std::{Deps, Order, StdResult};
use cw_storage_plus::Bound;
use ve_types::{EscrowState, UsageRecordState};

use ve_cw::page_size;

use crate::error::ContractError;
use crate::helpers::{address, escrow_key, label, load_escrow, load_record};
use crate::msg::{
    EscrowResponse, EscrowsResponse, PartyRole, SettlementsResponse, UsageRecordResponse,
    UsageRecordsResponse, UsageSummaryResponse,
};
use crate::state::{escrows, records, Config, Escrow, UsageRecord, CONFIG, SETTLEMENTS, SUMMARIES};

pub fn config(deps: Deps) -> Result<Config, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

fn escrow_response(id: String, escrow: Escrow) -> Result<EscrowResponse, ContractError> {
    Ok(EscrowResponse {
        id,
        balance: escrow.balance()?,
        reserved: escrow.reserved,
        escrow,
    })
}

pub fn escrow(deps: Deps, escrow_id: String) -> Result<EscrowResponse, ContractError> {
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let escrow = load_escrow(deps.storage, &key)?;
    escrow_response(key, escrow)
}

fn escrow_page(
    iter: impl Iterator<Item = StdResult<(String, Escrow)>>,
    limit: Option<u32>,
) -> Result<EscrowsResponse, ContractError> {
    let escrows = iter
        .take(page_size(limit))
        .map(|item| {
            let (id, escrow) = item?;
            escrow_response(id, escrow)
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(EscrowsResponse { escrows })
}

fn escrow_bound(
    deps: Deps,
    start_after: Option<String>,
) -> Result<Option<Bound<'static, String>>, ContractError> {
    start_after
        .map(|id| escrow_key(deps.api, &id).map(|(key, _)| Bound::exclusive(key)))
        .transpose()
}

pub fn escrows_by_party(
    deps: Deps,
    party: String,
    role: PartyRole,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<EscrowsResponse, ContractError> {
    let party = address(deps.api, "party", &party)?;
    let min = escrow_bound(deps, start_after)?;
    let map = escrows();
    let index = match role {
        PartyRole::Customer => &map.idx.customer,
        PartyRole::Provider => &map.idx.provider,
    };
    let iter = index
        .prefix(party)
        .range(deps.storage, min, None, Order::Ascending);
    escrow_page(iter, limit)
}

pub fn escrows_by_state(
    deps: Deps,
    state: EscrowState,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<EscrowsResponse, ContractError> {
    let min = escrow_bound(deps, start_after)?;
    let iter =
        escrows()
            .idx
            .state
            .prefix(state.code())
            .range(deps.storage, min, None, Order::Ascending);
    escrow_page(iter, limit)
}

pub fn usage_record(deps: Deps, record_id: u64) -> Result<UsageRecordResponse, ContractError> {
    Ok(record_response(
        record_id,
        load_record(deps.storage, record_id)?,
    ))
}

fn record_response(id: u64, record: UsageRecord) -> UsageRecordResponse {
    UsageRecordResponse {
        id,
        escrow_id: record.escrow_id(),
        record,
    }
}

fn record_page(
    iter: impl Iterator<Item = StdResult<(u64, UsageRecord)>>,
    limit: Option<u32>,
) -> Result<UsageRecordsResponse, ContractError> {
    let records = iter
        .take(page_size(limit))
        .map(|item| item.map(|(id, record)| record_response(id, record)))
        .collect::<StdResult<_>>()?;
    Ok(UsageRecordsResponse { records })
}

pub fn usage_records_by_escrow(
    deps: Deps,
    escrow_id: String,
    state: Option<UsageRecordState>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<UsageRecordsResponse, ContractError> {
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let min = start_after.map(Bound::exclusive);
    let map = records();
    match state {
        Some(state) => record_page(
            map.idx.escrow_state.prefix((key, state.code())).range(
                deps.storage,
                min,
                None,
                Order::Ascending,
            ),
            limit,
        ),
        None => record_page(
            map.idx
                .escrow
                .prefix(key)
                .range(deps.storage, min, None, Order::Ascending),
            limit,
        ),
    }
}

pub fn usage_records_by_allocation(
    deps: Deps,
    allocation_id: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<UsageRecordsResponse, ContractError> {
    label("allocation_id", &allocation_id)?;
    let iter = records().idx.allocation.prefix(allocation_id).range(
        deps.storage,
        start_after.map(Bound::exclusive),
        None,
        Order::Ascending,
    );
    record_page(iter, limit)
}

/// One entry per usage type; an allocation meters at most the rates of its
/// escrow (`MAX_RATES`), so this read is bounded.
pub fn usage_summary(
    deps: Deps,
    allocation_id: String,
) -> Result<UsageSummaryResponse, ContractError> {
    label("allocation_id", &allocation_id)?;
    let usage = SUMMARIES
        .prefix(&allocation_id)
        .range(deps.storage, None, None, Order::Ascending)
        .take(crate::execute::escrow::MAX_RATES * 2)
        .map(|item| item.map(|(_, s)| s))
        .collect::<StdResult<_>>()?;
    Ok(UsageSummaryResponse {
        allocation_id,
        usage,
    })
}

pub fn settlements(
    deps: Deps,
    escrow_id: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<SettlementsResponse, ContractError> {
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let settlements = SETTLEMENTS
        .prefix(&key)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_size(limit))
        .map(|item| item.map(|(_, s)| s))
        .collect::<StdResult<_>>()?;
    Ok(SettlementsResponse { settlements })
}
