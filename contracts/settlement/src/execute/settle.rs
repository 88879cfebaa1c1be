//! Paying out: usage records to the provider (fees split off with exact
//! integer math), and closing an escrow with the rest back to the customer.

use cosmwasm_std::{BankMsg, DepsMut, Env, Event, MessageInfo, Order, Response, Uint128};
use ve_cw::CommonError;
use ve_types::{EscrowState, UsageRecordState};

use crate::error::ContractError;
use crate::events;
use crate::helpers::{
    ensure_transition, escrow_key, is_creator_contract, load_escrow, load_record, no_funds,
    record_ids, send, set_state, MAX_RECORDS_PER_MESSAGE,
};
use crate::state::{
    records, update_escrow, update_record, Config, Escrow, FeePayout, FeeShare, FeeTally,
    Settlement, UsageRecord, CONFIG, FEE_TALLIES, SETTLEMENTS, SUMMARIES,
};

pub const BPS_DENOMINATOR: u128 = 10_000;

pub enum SettleRequest {
    Listed(Vec<u64>),
    AllSettleable,
}

/// Bank messages and events of a payout.
#[derive(Default)]
pub struct Payout {
    pub messages: Vec<BankMsg>,
    pub events: Vec<Event>,
}

impl Payout {
    pub fn into_response(self) -> Response {
        Response::new()
            .add_messages(self.messages)
            .add_events(self.events)
    }
}

/// Splits the `gross` of one settlement into fees and the provider's part
/// on the escrow's cumulative gross, so splitting settlements never changes
/// the fees: with `tally.gross` the gross settled so far (this settlement
/// included), each share is due `floor(tally.gross x bps / 10,000)` less
/// what it has charged. The provider takes what is left, rounding dust
/// included, so the parts add up to `gross` exactly.
///
/// A share's due can exceed what is left of a small settlement when several
/// shares cross a whole unit at once (shares of 2,500 and 2,500 bps owe 1
/// each on a settlement of 1 after one of 3): it is then paid what is left
/// and the rest stays due, charged by the next settlement.
pub fn split_fees(
    gross: Uint128,
    shares: &[FeeShare],
    tally: &mut FeeTally,
) -> Result<(Vec<FeePayout>, Uint128), ContractError> {
    let schedule_changed =
        tally.bps.len() != shares.len() || tally.bps.iter().zip(shares).any(|(b, s)| *b != s.bps);
    if schedule_changed {
        *tally = FeeTally {
            bps: shares.iter().map(|s| s.bps).collect(),
            gross: Uint128::zero(),
            charged: vec![0; shares.len()],
        };
    }
    tally.gross = tally.gross.checked_add(gross)?;
    let mut left = gross;
    let mut fees = Vec::with_capacity(shares.len());
    for (share, charged) in shares.iter().zip(tally.charged.iter_mut()) {
        let owed = tally
            .gross
            .checked_multiply_ratio(share.bps, BPS_DENOMINATOR)
            .map_err(|e| ContractError::invalid("fee_shares", e.to_string()))?;
        // `charged` never passes `owed`, which only grows with the gross.
        let amount = owed.checked_sub(Uint128::new(*charged))?.min(left);
        left = left.checked_sub(amount)?;
        *charged = Uint128::new(*charged).checked_add(amount)?.u128();
        fees.push(FeePayout {
            name: share.name.clone(),
            recipient: share.recipient.clone(),
            amount,
        });
    }
    Ok((fees, left))
}

/// [`split_fees`] on the escrow's stored tally, saved again when the
/// settlement has a gross (a settlement of nothing charges nothing).
fn charge_fees(
    deps: &mut DepsMut,
    key: &str,
    gross: Uint128,
    shares: &[FeeShare],
) -> Result<(Vec<FeePayout>, Uint128), ContractError> {
    if gross.is_zero() {
        let fees = shares
            .iter()
            .map(|s| FeePayout {
                name: s.name.clone(),
                recipient: s.recipient.clone(),
                amount: Uint128::zero(),
            })
            .collect();
        return Ok((fees, gross));
    }
    let mut tally = FEE_TALLIES
        .may_load(deps.storage, key)?
        .unwrap_or_else(|| FeeTally {
            bps: vec![],
            gross: Uint128::zero(),
            charged: vec![],
        });
    let split = split_fees(gross, shares, &mut tally)?;
    FEE_TALLIES.save(deps.storage, key, &tally)?;
    Ok(split)
}

/// Whether a record may be paid now: acknowledged, or pending and past the
/// customer's acknowledgement window.
fn settleable(record: &UsageRecord, env: &Env, ack_window: u64) -> bool {
    match record.state {
        UsageRecordState::Acknowledged => true,
        UsageRecordState::Pending => env.block.time >= record.recorded_at.plus_seconds(ack_window),
        _ => false,
    }
}

fn chosen_records(
    deps: &DepsMut,
    env: &Env,
    key: &str,
    request: SettleRequest,
    ack_window: u64,
) -> Result<Vec<(u64, UsageRecord)>, ContractError> {
    match request {
        SettleRequest::Listed(ids) => {
            record_ids("record_ids", &ids, true)?;
            ids.into_iter()
                .map(|id| {
                    let record = load_record(deps.storage, id)?;
                    if record.escrow_id() != key {
                        return Err(ContractError::invalid(
                            "record_ids",
                            format!("record {id} belongs to escrow {}", record.escrow_id()),
                        ));
                    }
                    if !settleable(&record, env, ack_window) {
                        return Err(ContractError::invalid(
                            "record_ids",
                            format!("record {id} is {} and cannot be settled yet", record.state),
                        ));
                    }
                    Ok((id, record))
                })
                .collect()
        }
        SettleRequest::AllSettleable => {
            let idx = &records().idx.escrow_state;
            let mut out = Vec::new();
            for state in [UsageRecordState::Acknowledged, UsageRecordState::Pending] {
                // Pending records are in recording order, so the first one
                // still inside its window ends the scan.
                let iter = idx
                    .prefix((key.to_string(), state.code()))
                    .range(deps.storage, None, None, Order::Ascending)
                    .take(MAX_RECORDS_PER_MESSAGE - out.len());
                for item in iter {
                    let (id, record) = item?;
                    if !settleable(&record, env, ack_window) {
                        break;
                    }
                    out.push((id, record));
                }
            }
            Ok(out)
        }
    }
}

/// Pays the chosen records and, with `close`, returns the remaining balance
/// to the customer and moves the escrow to `close` (which needs every record
/// settled). Returns `None` when there was nothing to do.
pub(crate) fn settle_records(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    key: &str,
    escrow: &mut Escrow,
    request: SettleRequest,
    close: Option<EscrowState>,
) -> Result<Option<Payout>, ContractError> {
    let chosen = chosen_records(deps, env, key, request, config.ack_window_seconds)?;
    if chosen.is_empty() && close.is_none() {
        return Ok(None);
    }
    let gross = chosen
        .iter()
        .try_fold(Uint128::zero(), |acc, (_, r)| acc.checked_add(r.cost))?;
    let (fees, provider_amount) = charge_fees(deps, key, gross, &config.fee_shares)?;
    let fee_total = gross.checked_sub(provider_amount)?;

    let sequence = escrow.settlement_count + 1;
    let record_ids: Vec<u64> = chosen.iter().map(|(id, _)| *id).collect();
    for (id, mut record) in chosen {
        let from = record.state;
        record.state = UsageRecordState::Settled;
        record.settlement = Some(sequence);
        update_record(deps.storage, id, &record, from)?;
        let summary_key = (record.allocation_id.as_str(), record.usage_type.as_str());
        let mut summary = SUMMARIES.load(deps.storage, summary_key)?;
        summary.settled_cost = summary.settled_cost.checked_add(record.cost)?;
        SUMMARIES.save(deps.storage, summary_key, &summary)?;
    }
    escrow.reserved = escrow.reserved.checked_sub(gross)?;
    escrow.paid_provider = escrow.paid_provider.checked_add(provider_amount)?;
    escrow.paid_fees = escrow.paid_fees.checked_add(fee_total)?;
    escrow.unsettled_records = u32::try_from(record_ids.len())
        .ok()
        .and_then(|n| escrow.unsettled_records.checked_sub(n))
        .ok_or_else(|| {
            ContractError::invalid("record_ids", "more records than the escrow holds")
        })?;
    escrow.settlement_count = sequence;
    escrow.updated_at = env.block.time;

    let mut payout = Payout::default();
    payout
        .messages
        .extend(send(&escrow.provider, provider_amount, &escrow.denom));
    for fee in &fees {
        payout
            .messages
            .extend(send(&fee.recipient, fee.amount, &escrow.denom));
    }

    let mut refund = Uint128::zero();
    if let Some(to) = close {
        if escrow.unsettled_records > 0 {
            return Err(ContractError::UnsettledUsage {
                id: key.to_string(),
                count: escrow.unsettled_records,
                hint:
                    "they must be acknowledged (or past the acknowledgement window) and undisputed",
            });
        }
        refund = escrow.balance()?;
        escrow.refunded = escrow.refunded.checked_add(refund)?;
        payout
            .messages
            .extend(send(&escrow.customer, refund, &escrow.denom));
        payout.events.push(set_state(deps, env, key, escrow, to)?);
    } else {
        let state = escrow.state;
        update_escrow(deps.storage, key, escrow, state)?;
    }

    let settlement = Settlement {
        escrow_id: key.to_string(),
        sequence,
        record_ids,
        gross,
        fees,
        provider_amount,
        refund,
        finalize: close.is_some(),
        settled_at: env.block.time,
    };
    SETTLEMENTS.save(deps.storage, (key, sequence), &settlement)?;
    payout.events.insert(0, events::settled(&settlement));
    Ok(Some(payout))
}

/// Returns `amount` (at most what no record holds) to the customer of an
/// escrow that stays open, stored as a settlement of no records.
pub(crate) fn refund_unreserved(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    key: &str,
    escrow: &mut Escrow,
    amount: Uint128,
) -> Result<Payout, ContractError> {
    let unreserved = escrow.balance()?.checked_sub(escrow.reserved)?;
    if amount > unreserved {
        return Err(ContractError::InsufficientEscrow {
            id: key.to_string(),
            needed: amount,
            available: unreserved,
        });
    }
    let (fees, provider_amount) = charge_fees(deps, key, Uint128::zero(), &config.fee_shares)?;
    let sequence = escrow.settlement_count + 1;
    escrow.refunded = escrow.refunded.checked_add(amount)?;
    escrow.settlement_count = sequence;
    escrow.updated_at = env.block.time;
    let state = escrow.state;
    update_escrow(deps.storage, key, escrow, state)?;
    let settlement = Settlement {
        escrow_id: key.to_string(),
        sequence,
        record_ids: vec![],
        gross: Uint128::zero(),
        fees,
        provider_amount,
        refund: amount,
        finalize: false,
        settled_at: env.block.time,
    };
    SETTLEMENTS.save(deps.storage, (key, sequence), &settlement)?;
    let mut payout = Payout::default();
    payout
        .messages
        .extend(send(&escrow.customer, amount, &escrow.denom));
    payout.events.push(events::settled(&settlement));
    payout
        .events
        .push(events::escrow_reclaimed(key, escrow, amount)?);
    Ok(payout)
}

pub fn settle(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
    record_ids: Option<Vec<u64>>,
    finalize: bool,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    let is_provider_side =
        info.sender == escrow.provider || is_creator_contract(&config, &escrow, &info.sender);
    if finalize && !is_provider_side {
        return Err(CommonError::Unauthorized {
            action: "finalize an escrow",
            allowed: "its provider or the contract that created it",
        }
        .into());
    }
    if !is_provider_side && info.sender != escrow.customer {
        return Err(CommonError::Unauthorized {
            action: "settle an escrow",
            allowed: "its customer, its provider or the contract that created it",
        }
        .into());
    }
    match escrow.state {
        EscrowState::Active => {}
        EscrowState::Disputed => return Err(ContractError::PayoutsHeld(key)),
        other => {
            return Err(CommonError::WrongState {
                entity: "escrow",
                id: key,
                state: other.to_string(),
                expected: "an active escrow",
            }
            .into())
        }
    }
    if finalize {
        ensure_transition("escrow", &key, escrow.state, EscrowState::Released)?;
    }
    let request = match record_ids {
        Some(ids) => SettleRequest::Listed(ids),
        None => SettleRequest::AllSettleable,
    };
    let close = finalize.then_some(EscrowState::Released);
    let payout = settle_records(&mut deps, &env, &config, &key, &mut escrow, request, close)?
        .ok_or_else(|| ContractError::NothingToSettle(key.clone()))?;
    Ok(payout.into_response().add_attribute("action", "settle"))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{Addr, Uint128};

    use super::split_fees;
    use crate::state::{FeeShare, FeeTally};

    fn shares(bps: &[u16]) -> Vec<FeeShare> {
        bps.iter()
            .enumerate()
            .map(|(i, b)| FeeShare {
                name: format!("f{i}"),
                recipient: Addr::unchecked(format!("r{i}")),
                bps: *b,
            })
            .collect()
    }

    fn empty() -> FeeTally {
        FeeTally {
            bps: vec![],
            gross: Uint128::zero(),
            charged: vec![],
        }
    }

    /// Pays each gross in turn; returns (fees per share, provider) summed.
    fn pay(grosses: &[u128], shares: &[FeeShare], tally: &mut FeeTally) -> (Vec<u128>, u128) {
        let mut fees = vec![0; shares.len()];
        let mut provider = 0;
        for g in grosses {
            let (f, p) = split_fees(Uint128::new(*g), shares, tally).unwrap();
            let parts: u128 = f.iter().map(|x| x.amount.u128()).sum::<u128>() + p.u128();
            assert_eq!(parts, *g, "the parts of one settlement add up to its gross");
            for (acc, x) in fees.iter_mut().zip(&f) {
                *acc += x.amount.u128();
            }
            provider += p.u128();
        }
        (fees, provider)
    }

    #[test]
    fn fees_do_not_depend_on_how_the_gross_is_split() {
        let s = shares(&[250, 75]);
        let together = pay(&[1_500], &s, &mut empty());
        let one_by_one = pay(&[30; 50], &s, &mut empty());
        assert_eq!(together, (vec![37, 11], 1_452));
        assert_eq!(one_by_one, together);
        let uneven = pay(&[1, 2, 997, 3, 497], &s, &mut empty());
        assert_eq!(uneven, together);
    }

    /// Two shares can each owe a unit on a settlement of one unit: what is
    /// left is paid, the rest charged by the next settlement.
    #[test]
    fn a_due_larger_than_a_small_settlement_is_carried() {
        let s = shares(&[2_500, 2_500]);
        let mut tally = empty();
        assert_eq!(pay(&[3], &s, &mut tally), (vec![0, 0], 3));
        // Gross 4: each share is owed 1, the settlement holds 1.
        assert_eq!(pay(&[1], &s, &mut tally), (vec![1, 0], 0));
        assert_eq!(tally.charged, vec![1, 0]);
        // Gross 8: owed 2 each; share 2 catches up.
        assert_eq!(pay(&[4], &s, &mut tally), (vec![1, 2], 1));
        assert_eq!(tally.charged, vec![2, 2]);
        assert_eq!(tally.gross, Uint128::new(8));
    }

    #[test]
    fn a_new_fee_schedule_starts_a_new_tally() {
        let mut tally = empty();
        pay(&[39], &shares(&[250]), &mut tally);
        assert_eq!(
            (tally.bps.clone(), tally.charged.clone()),
            (vec![250], vec![0])
        );
        // The same rates: the tally goes on.
        assert_eq!(pay(&[1], &shares(&[250]), &mut tally), (vec![1], 0));
        // Other rates: only gross settled under them counts.
        assert_eq!(
            pay(&[40], &shares(&[250, 75]), &mut tally),
            (vec![1, 0], 39)
        );
        assert_eq!(tally.gross, Uint128::new(40));
        assert_eq!(pay(&[], &shares(&[]), &mut tally), (vec![], 0));
        assert_eq!(pay(&[10], &shares(&[]), &mut tally), (vec![], 10));
    }
}
