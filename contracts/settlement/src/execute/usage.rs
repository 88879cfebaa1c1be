use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Storage, Uint128};
use ve_cw::CommonError;
use ve_types::{EscrowState, UsageRecordState};

use crate::error::ContractError;
use crate::events;
use crate::helpers::{
    check_allocation_of, ensure_transition, escrow_key, is_creator_contract, is_metered_by_creator,
    label, load_escrow, load_record, no_funds, parse_escrow_id, reason, record_ids, set_state,
};
use crate::msg::{NewUsage, MAX_RECORD_ID};
use crate::state::{
    insert_record, update_escrow, update_record, UsageRecord, UsageSummary, CONFIG, RECORD_SEQ,
    SUMMARIES,
};

/// Takes the next usage record ID, at most [`MAX_RECORD_ID`].
fn next_record_id(storage: &mut dyn Storage) -> Result<u64, ContractError> {
    let id = RECORD_SEQ
        .may_load(storage)?
        .unwrap_or_default()
        .checked_add(1)
        .filter(|id| *id <= MAX_RECORD_ID)
        .ok_or(ContractError::RecordIdsExhausted { max: MAX_RECORD_ID })?;
    RECORD_SEQ.save(storage, &id)?;
    Ok(id)
}

pub fn record(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    usage: NewUsage,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let (escrow_id, key, _) = parse_escrow_id(deps.api, &usage.escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    // A job escrow the hpc contract opened is metered by the hpc contract
    // alone: it records the job's usage when the job ends, and a record of
    // anybody else there could overlap or use up what that closing record
    // needs, so the job could never end. Any other escrow takes usage from
    // its provider, the callback contract for it, or its creating contract.
    // The configuration is read only for a caller that is not the provider.
    let metered_by_creator = is_metered_by_creator(&escrow_id, &escrow);
    let mut from_callback = false;
    let authorised = if metered_by_creator {
        let config = CONFIG.load(deps.storage)?;
        is_creator_contract(&config, &escrow, &info.sender)
    } else {
        info.sender == escrow.provider || {
            let config = CONFIG.load(deps.storage)?;
            from_callback = config.callback_contract.as_ref() == Some(&info.sender);
            from_callback || is_creator_contract(&config, &escrow, &info.sender)
        }
    };
    if !authorised {
        return Err(CommonError::Unauthorized {
            action: "record usage",
            allowed: if metered_by_creator {
                "the hpc contract that opened this job escrow (it records the job's usage when the job ends)"
            } else {
                "the escrow's provider, the contract that created it or the callback contract"
            },
        }.into());
    }
    ve_cw::ensure_reported_for::<ContractError>(
        "escrow",
        &key,
        &escrow.provider,
        usage.provider.as_deref(),
        from_callback,
        "records",
    )?;
    if !matches!(escrow.state, EscrowState::Active | EscrowState::Disputed) {
        return Err(CommonError::WrongState {
            entity: "escrow",
            id: key,
            state: escrow.state.to_string(),
            expected: "an active escrow",
        }
        .into());
    }
    // Usage is recorded only while the escrow runs: from `expires_at` on
    // nothing is, so every period ends before it (`period_end` is never in
    // the future) and new records cannot hold off `expire_escrow`.
    if env.block.time >= escrow.expires_at {
        return Err(ContractError::UsageAfterExpiry {
            id: key,
            expires_at: escrow.expires_at.seconds(),
        });
    }
    label("allocation_id", &usage.allocation_id)?;
    check_allocation_of(&escrow_id, &key, &usage.allocation_id)?;
    let unit_price = escrow.rate(&usage.usage_type).ok_or_else(|| {
        ContractError::invalid(
            "usage_type",
            format!("{:?} has no rate in escrow {key}", usage.usage_type),
        )
    })?;
    if usage.units.is_zero() {
        return Err(ContractError::invalid("units", "must be greater than zero"));
    }
    if usage.period_start >= usage.period_end {
        return Err(ContractError::invalid(
            "period",
            "period_start must be before period_end",
        ));
    }
    if usage.period_end > env.block.time {
        return Err(ContractError::invalid(
            "period",
            "period_end is in the future",
        ));
    }
    // Nothing is billed past the end of the allocation (or the order's
    // cancellation) that the marketplace reported.
    if let Some(ended_at) = escrow.ended_at {
        if usage.period_end > ended_at {
            return Err(ContractError::UsageAfterEnd {
                id: key,
                ended_at: ended_at.seconds(),
            });
        }
    }
    // In whole seconds, as periods are reported; block times carry nanos.
    if usage.period_start.seconds() < escrow.created_at.seconds() {
        return Err(ContractError::invalid(
            "period",
            format!(
                "period_start {} is before escrow {key} was opened at {} (seconds)",
                usage.period_start.seconds(),
                escrow.created_at.seconds()
            ),
        ));
    }
    // The allocation is this escrow's (checked above), so its summary also
    // holds where the escrow's last period for it ended.
    let summary_key = (usage.allocation_id.as_str(), usage.usage_type.as_str());
    let summary = SUMMARIES.may_load(deps.storage, summary_key)?;
    if let Some(last_end) = summary.as_ref().map(|s| s.last_period_end) {
        if usage.period_start < last_end {
            return Err(ContractError::OverlappingPeriod {
                allocation_id: usage.allocation_id,
                usage_type: usage.usage_type,
                last_end: last_end.seconds(),
            });
        }
    }
    let cost = unit_price
        .checked_mul(usage.units)
        .map_err(|_| ContractError::invalid("units", "units x unit price overflows 128 bits"))?;
    let available = escrow.balance()?.checked_sub(escrow.reserved)?;
    if cost > available {
        return Err(ContractError::InsufficientEscrow {
            id: key,
            needed: cost,
            available,
        });
    }

    let id = next_record_id(deps.storage)?;
    let record = UsageRecord {
        allocation_id: usage.allocation_id,
        usage_type: usage.usage_type,
        units: usage.units,
        unit_price,
        cost,
        period_start: usage.period_start,
        period_end: usage.period_end,
        state: UsageRecordState::Pending,
        recorded_by: info.sender,
        recorded_at: env.block.time,
        dispute_reason: None,
        settlement: None,
    };
    insert_record(deps.storage, id, &record)?;
    let mut summary = summary.unwrap_or_else(|| UsageSummary {
        usage_type: record.usage_type.clone(),
        units: Uint128::zero(),
        cost: Uint128::zero(),
        settled_cost: Uint128::zero(),
        records: 0,
        last_period_end: record.period_end,
    });
    summary.units = summary.units.checked_add(record.units)?;
    summary.cost = summary.cost.checked_add(cost)?;
    summary.records += 1;
    summary.last_period_end = record.period_end;
    let summary_key = (record.allocation_id.as_str(), record.usage_type.as_str());
    SUMMARIES.save(deps.storage, summary_key, &summary)?;

    escrow.reserved = escrow.reserved.checked_add(cost)?;
    escrow.unsettled_records += 1;
    escrow.updated_at = env.block.time;
    let state = escrow.state;
    update_escrow(deps.storage, &key, &escrow, state)?;
    let response = Response::new()
        .add_attribute("action", "record_usage")
        .add_event(events::usage_recorded(id, &record))
        .set_data(cosmwasm_std::to_json_binary(&id)?);
    Ok(response)
}

pub fn acknowledge(
    deps: DepsMut,
    info: MessageInfo,
    ids: Vec<u64>,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    record_ids("record_ids", &ids, false)?;
    let mut response = Response::new().add_attribute("action", "acknowledge_usage");
    for id in ids {
        let mut record = load_record(deps.storage, id)?;
        let escrow = load_escrow(deps.storage, &record.escrow_id())?;
        if info.sender != escrow.customer {
            return Err(CommonError::Unauthorized {
                action: "acknowledge usage",
                allowed: "the escrow's customer",
            }
            .into());
        }
        ensure_transition(
            "usage record",
            id,
            record.state,
            UsageRecordState::Acknowledged,
        )?;
        let from = record.state;
        record.state = UsageRecordState::Acknowledged;
        update_record(deps.storage, id, &record, from)?;
        response = response.add_event(events::usage_changed("usage_acknowledged", id, &record));
    }
    Ok(response)
}

pub fn dispute(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    why: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    reason(&why)?;
    let mut record = load_record(deps.storage, id)?;
    let key = record.escrow_id();
    let mut escrow = load_escrow(deps.storage, &key)?;
    if info.sender != escrow.customer {
        return Err(CommonError::Unauthorized {
            action: "dispute usage",
            allowed: "the escrow's customer",
        }
        .into());
    }
    ensure_transition("usage record", id, record.state, UsageRecordState::Disputed)?;
    let from = record.state;
    record.state = UsageRecordState::Disputed;
    record.dispute_reason = Some(why);
    update_record(deps.storage, id, &record, from)?;
    escrow.disputed_records += 1;
    let mut response = Response::new()
        .add_attribute("action", "dispute_usage")
        .add_event(events::usage_changed("usage_disputed", id, &record));
    if escrow.state == EscrowState::Disputed {
        escrow.updated_at = env.block.time;
        update_escrow(deps.storage, &key, &escrow, EscrowState::Disputed)?;
    } else {
        let event = set_state(&mut deps, &env, &key, &mut escrow, EscrowState::Disputed)?;
        response = response.add_event(event);
    }
    Ok(response)
}

pub fn resolve(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
    upheld: Vec<u64>,
    rejected: Vec<u64>,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.arbiter {
        return Err(CommonError::Unauthorized {
            action: "resolve a dispute",
            allowed: "the arbiter",
        }
        .into());
    }
    let all: Vec<u64> = upheld.iter().chain(&rejected).copied().collect();
    record_ids("upheld/rejected", &all, false)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    let mut response = Response::new().add_attribute("action", "resolve_dispute");
    for (ids, to, name) in [
        (&upheld, UsageRecordState::Acknowledged, "usage_upheld"),
        (&rejected, UsageRecordState::Rejected, "usage_rejected"),
    ] {
        for id in ids {
            let mut record = load_record(deps.storage, *id)?;
            if record.escrow_id() != key {
                return Err(ContractError::invalid(
                    "upheld/rejected",
                    format!("record {id} belongs to escrow {}", record.escrow_id()),
                ));
            }
            if record.state != UsageRecordState::Disputed {
                return Err(CommonError::WrongState {
                    entity: "usage record",
                    id: id.to_string(),
                    state: record.state.to_string(),
                    expected: "a disputed record",
                }
                .into());
            }
            // Checked above: the record was disputed.
            record.state = to;
            update_record(deps.storage, *id, &record, UsageRecordState::Disputed)?;
            if to == UsageRecordState::Rejected {
                // A rejected record is never paid: release its reservation.
                escrow.reserved = escrow.reserved.checked_sub(record.cost)?;
                escrow.unsettled_records -= 1;
                let summary_key = (record.allocation_id.as_str(), record.usage_type.as_str());
                let mut summary = SUMMARIES.load(deps.storage, summary_key)?;
                summary.units = summary.units.checked_sub(record.units)?;
                summary.cost = summary.cost.checked_sub(record.cost)?;
                summary.records -= 1;
                SUMMARIES.save(deps.storage, summary_key, &summary)?;
            }
            escrow.disputed_records -= 1;
            response = response.add_event(events::usage_changed(name, *id, &record));
        }
    }
    if escrow.disputed_records == 0 && escrow.state == EscrowState::Disputed {
        let event = set_state(&mut deps, &env, &key, &mut escrow, EscrowState::Active)?;
        response = response.add_event(event);
    } else {
        escrow.updated_at = env.block.time;
        let state = escrow.state;
        update_escrow(deps.storage, &key, &escrow, state)?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;

    use super::*;

    #[test]
    fn record_ids_count_from_one_and_stop_at_the_json_safe_maximum() {
        let mut storage = MockStorage::new();
        assert_eq!(next_record_id(&mut storage).unwrap(), 1);
        assert_eq!(next_record_id(&mut storage).unwrap(), 2);

        RECORD_SEQ.save(&mut storage, &(MAX_RECORD_ID - 1)).unwrap();
        assert_eq!(next_record_id(&mut storage).unwrap(), MAX_RECORD_ID);
        let err = next_record_id(&mut storage).unwrap_err();
        assert_eq!(
            err.to_string(),
            "usage record IDs are used up: the next would pass 9007199254740991, the largest a JSON number carries exactly"
        );
        // Refused: the sequence stays where it was.
        assert_eq!(RECORD_SEQ.load(&storage).unwrap(), MAX_RECORD_ID);
    }
}
