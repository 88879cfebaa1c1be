use cosmwasm_std::{DepsMut, Env, MessageInfo, Response, Timestamp, Uint128};
use ve_cw::CommonError;
use ve_types::{EscrowId, EscrowState};

use super::settle::{self, SettleRequest};
use crate::error::ContractError;
use crate::events;
use crate::helpers::{
    address, ensure_transition, escrow_key, is_creator_contract, is_trusted_contract, label,
    load_escrow, no_funds, one_coin, set_state,
};
use crate::msg::{NewEscrow, UsageRate};
use crate::state::{escrows, insert_escrow, update_escrow, Escrow, CONFIG};

/// Shared with the marketplace, which builds rate cards of up to
/// `MAX_PRICE_COMPONENTS + 1` rates (ve-types).
pub use ve_types::MAX_RATES;

fn validate_rates(rates: &[UsageRate]) -> Result<(), ContractError> {
    if rates.len() > MAX_RATES {
        return Err(ContractError::invalid(
            "rates",
            format!("{} rates, at most {MAX_RATES}", rates.len()),
        ));
    }
    for (i, r) in rates.iter().enumerate() {
        label("rates.usage_type", &r.usage_type)?;
        if r.unit_price.is_zero() {
            return Err(ContractError::invalid(
                "rates.unit_price",
                format!("{} has a zero price", r.usage_type),
            ));
        }
        if rates[..i].iter().any(|e| e.usage_type == r.usage_type) {
            return Err(ContractError::invalid(
                "rates",
                format!("duplicate usage type {:?}", r.usage_type),
            ));
        }
    }
    Ok(())
}

pub fn create(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new: NewEscrow,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (key, id_customer) = escrow_key(deps.api, &new.escrow_id)?;
    let from_contract = is_trusted_contract(&config, &info.sender);
    // Each contract opens escrows for its own kind of entity only.
    let wrong_kind = match new.escrow_id.parse::<EscrowId>()? {
        EscrowId::Order(_) => config.hpc.as_ref() == Some(&info.sender),
        EscrowId::Job(_) => config.marketplace.as_ref() == Some(&info.sender),
    };
    if wrong_kind {
        return Err(ContractError::invalid(
            "escrow_id",
            "the marketplace opens order escrows and the hpc contract job escrows",
        ));
    }
    let customer = match (&new.customer, from_contract) {
        (Some(c), true) => address(deps.api, "customer", c)?,
        (None, true) => {
            return Err(ContractError::invalid(
                "customer",
                "the marketplace/hpc contract must name the customer",
            ))
        }
        // A direct deposit pays for one's own order or job only, so nobody
        // can squat the escrow ID of somebody else's order.
        (_, false) => info.sender.clone(),
    };
    if customer != id_customer {
        return Err(ContractError::invalid(
            "escrow_id",
            format!("{key} belongs to {id_customer}, not {customer}"),
        ));
    }
    if let Some(c) = &new.customer {
        if !from_contract && *c != customer.as_str() {
            return Err(ContractError::invalid(
                "customer",
                "a direct deposit is made by the customer itself",
            ));
        }
    }
    let provider = address(deps.api, "provider", &new.provider)?;
    if provider == customer {
        return Err(ContractError::invalid(
            "provider",
            "the provider cannot be the customer",
        ));
    }
    validate_rates(&new.rates)?;
    if new.expires_at <= env.block.time {
        return Err(ContractError::invalid(
            "expires_at",
            "must be in the future",
        ));
    }
    if escrows().has(deps.storage, key.clone()) {
        return Err(ContractError::EscrowExists(key));
    }
    let (denom, amount) = one_coin(&info, None)?;

    let escrow = Escrow {
        customer,
        provider,
        denom,
        deposited: amount,
        paid_provider: Uint128::zero(),
        paid_fees: Uint128::zero(),
        refunded: Uint128::zero(),
        reserved: Uint128::zero(),
        rates: new.rates,
        // The contracts create escrows for matched orders and submitted
        // jobs: already agreed, so active at once.
        state: if from_contract {
            EscrowState::Active
        } else {
            EscrowState::Pending
        },
        expires_at: new.expires_at,
        ended_at: None,
        created_by: info.sender,
        unsettled_records: 0,
        disputed_records: 0,
        settlement_count: 0,
        created_at: env.block.time,
        updated_at: env.block.time,
    };
    insert_escrow(deps.storage, &key, &escrow)?;
    Ok(Response::new()
        .add_attribute("action", "create_escrow")
        .add_event(events::escrow_created(&key, &escrow)?))
}

pub fn deposit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    if info.sender != escrow.customer && !is_creator_contract(&config, &escrow, &info.sender) {
        return Err(CommonError::Unauthorized {
            action: "deposit into an escrow",
            allowed: "its customer or the contract that created it",
        }
        .into());
    }
    if !matches!(escrow.state, EscrowState::Pending | EscrowState::Active) {
        return Err(CommonError::WrongState {
            entity: "escrow",
            id: key,
            state: escrow.state.to_string(),
            expected: "a pending or active escrow",
        }
        .into());
    }
    let (_, amount) = one_coin(&info, Some(&escrow.denom))?;
    escrow.deposited = escrow.deposited.checked_add(amount)?;
    escrow.updated_at = env.block.time;
    let state = escrow.state;
    update_escrow(deps.storage, &key, &escrow, state)?;
    Ok(Response::new()
        .add_attribute("action", "deposit")
        .add_event(events::escrow_deposited(&key, &escrow, amount)?))
}

pub fn activate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    if info.sender != escrow.provider && !is_creator_contract(&config, &escrow, &info.sender) {
        return Err(CommonError::Unauthorized {
            action: "activate an escrow",
            allowed: "its provider or the contract that created it",
        }
        .into());
    }
    let event = set_state(&mut deps, &env, &key, &mut escrow, EscrowState::Active)?;
    Ok(Response::new()
        .add_attribute("action", "activate_escrow")
        .add_event(event))
}

pub fn refund(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    // The customer cannot pull funds back unilaterally (the reference let
    // the depositor refund itself); the provider can release them.
    if info.sender != escrow.provider && !is_creator_contract(&config, &escrow, &info.sender) {
        return Err(CommonError::Unauthorized {
            action: "refund an escrow",
            allowed: "its provider or the contract that created it",
        }
        .into());
    }
    ensure_transition("escrow", &key, escrow.state, EscrowState::Refunded)?;
    if escrow.unsettled_records > 0 {
        return Err(ContractError::UnsettledUsage {
            id: key,
            count: escrow.unsettled_records,
            hint: "settle them before refunding",
        });
    }
    let payout = settle::settle_records(
        &mut deps,
        &env,
        &config,
        &key,
        &mut escrow,
        SettleRequest::Listed(vec![]),
        Some(EscrowState::Refunded),
    )?
    .unwrap_or_default();
    Ok(payout
        .into_response()
        .add_attribute("action", "refund_escrow")
        .add_attribute("escrow_id", key))
}

pub fn expire(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    // The state first, so a closed or disputed escrow says so.
    ensure_transition("escrow", &key, escrow.state, EscrowState::Expired)?;
    if env.block.time < escrow.expires_at {
        return Err(ContractError::NotExpired {
            id: key,
            expires_at: escrow.expires_at.seconds(),
        });
    }
    // The provider is paid what it is owed before the rest goes back.
    let payout = settle::settle_records(
        &mut deps,
        &env,
        &config,
        &key,
        &mut escrow,
        SettleRequest::AllSettleable,
        Some(EscrowState::Expired),
    )?
    .unwrap_or_default();
    Ok(payout
        .into_response()
        .add_attribute("action", "expire_escrow")
        .add_attribute("escrow_id", key))
}

/// The marketplace reports that the allocation an order escrow pays for
/// reached a final state, or that the order was cancelled: the escrow
/// records when (`ended_at`, this block's time). The first report counts;
/// a later one changes nothing.
pub fn end(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    // Only the marketplace opens order escrows for a customer, and only it
    // knows when their allocations end. A job escrow (the hpc contract's)
    // or a customer's own has another creator and is refused here.
    let is_marketplace = config.marketplace.as_ref() == Some(&info.sender);
    if !is_marketplace || escrow.created_by != info.sender {
        return Err(CommonError::Unauthorized {
            action: "end an order escrow",
            allowed: "the marketplace contract that opened it",
        }
        .into());
    }
    if !matches!(
        escrow.state,
        EscrowState::Pending | EscrowState::Active | EscrowState::Disputed
    ) {
        return Err(CommonError::WrongState {
            entity: "escrow",
            id: key,
            state: escrow.state.to_string(),
            expected: "an open escrow (pending, active or disputed)",
        }
        .into());
    }
    let response = Response::new()
        .add_attribute("action", "end_order_escrow")
        .add_attribute("escrow_id", &key);
    if let Some(ended_at) = escrow.ended_at {
        return Ok(response
            .add_attribute("result", "unchanged")
            .add_attribute("ended_at", ended_at.seconds().to_string()));
    }
    // In whole seconds, as usage periods are reported.
    let ended_at = env.block.time.seconds();
    escrow.ended_at = Some(Timestamp::from_seconds(ended_at));
    escrow.updated_at = env.block.time;
    let state = escrow.state;
    update_escrow(deps.storage, &key, &escrow, state)?;
    Ok(response
        .add_attribute("result", "changed")
        .add_event(events::escrow_ended(&key, &escrow, ended_at)))
}

/// The customer takes back what no usage record holds, once the escrow has
/// ended and the acknowledgement window has passed since: the provider had
/// that long to record the last periods (which end by `ended_at`). Records
/// still unsettled keep their reservation and settle or are rejected as
/// usual; with none left the escrow closes (-> refunded).
pub fn reclaim(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    escrow_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let (key, _) = escrow_key(deps.api, &escrow_id)?;
    let mut escrow = load_escrow(deps.storage, &key)?;
    if info.sender != escrow.customer {
        return Err(CommonError::Unauthorized {
            action: "reclaim an escrow's unreserved funds",
            allowed: "its customer",
        }
        .into());
    }
    // A dispute holds only the disputed records' reserved cost, never the
    // unreserved rest: the customer need not wait for the arbiter.
    if !matches!(escrow.state, EscrowState::Active | EscrowState::Disputed) {
        return Err(CommonError::WrongState {
            entity: "escrow",
            id: key,
            state: escrow.state.to_string(),
            expected: "an active or disputed escrow",
        }
        .into());
    }
    let ended_at = escrow
        .ended_at
        .ok_or_else(|| ContractError::NotEnded(key.clone()))?;
    let reclaimable_at = ended_at.plus_seconds(config.ack_window_seconds);
    if env.block.time < reclaimable_at {
        return Err(ContractError::ReclaimTooEarly {
            id: key,
            ended_at: ended_at.seconds(),
            reclaimable_at: reclaimable_at.seconds(),
        });
    }
    let payout = if escrow.unsettled_records == 0 {
        // Nothing owed any more: the whole rest goes back and the escrow
        // closes, as a refund would.
        settle::settle_records(
            &mut deps,
            &env,
            &config,
            &key,
            &mut escrow,
            SettleRequest::Listed(vec![]),
            Some(EscrowState::Refunded),
        )?
        .unwrap_or_default()
    } else {
        let amount = escrow.balance()?.checked_sub(escrow.reserved)?;
        if amount.is_zero() {
            return Err(ContractError::NothingToReclaim {
                id: key,
                balance: escrow.balance()?,
                count: escrow.unsettled_records,
            });
        }
        settle::refund_unreserved(&mut deps, &env, &config, &key, &mut escrow, amount)?
    };
    Ok(payout
        .into_response()
        .add_attribute("action", "reclaim_unreserved")
        .add_attribute("escrow_id", key))
}
