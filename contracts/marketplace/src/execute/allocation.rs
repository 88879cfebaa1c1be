use cosmwasm_std::{Addr, Coin, DepsMut, Env, MessageInfo, Response, Uint128};
use ve_cw::CommonError;
use ve_types::states::order_state_for_allocation;
use ve_types::{AllocationState, OrderState, StateMachine};

use super::{ensure_transition, load_allocation, load_order};
use crate::error::ContractError;
use crate::escrow;
use crate::events;
use crate::funds;
use crate::keys;
use crate::state::{update_allocation, update_order, Allocation, CONFIG};
use crate::validation;

/// Moves an allocation to `to` and its order along with it (the order
/// state is derived from the allocation's, within the order table).
/// Refunds the escrow when the order ends without the service ever having
/// run (cancelled, or failed before it was active). Saves both records.
fn transition(
    deps: &mut DepsMut,
    env: &Env,
    allocation: &mut Allocation,
    to: AllocationState,
    event_name: &str,
) -> Result<Response, ContractError> {
    let from = allocation.state;
    ensure_transition("allocation", allocation.allocation_id(), from, to)?;
    allocation.state = to;
    allocation.version += 1;
    allocation.updated_at = env.block.time;
    if from == AllocationState::Suspended {
        allocation.suspended_by = None;
    }
    update_allocation(deps.storage, allocation)?;
    let mut response = Response::new().add_event(events::allocation_changed(
        event_name,
        allocation,
        Some(from),
    ));

    // Pending and accepted allocations never move their order: the order
    // is not even read then.
    if matches!(to, AllocationState::Pending | AllocationState::Accepted) {
        return Ok(response);
    }
    let order_key = allocation.order_key();
    let mut order = load_order(deps.storage, &order_key)?;
    if let Some(order_to) = order_state_for_allocation(order.state, to) {
        let order_from = order.state;
        ensure_transition("order", order.order_id(), order_from, order_to)?;
        order.state = order_to;
        order.updated_at = env.block.time;
        // Money goes back when the order ends without the service ever
        // having run; a service that ran is paid through settlement.
        let never_ran = matches!(order_from, OrderState::Matched | OrderState::Provisioning);
        let refund =
            order_to == OrderState::Cancelled || (order_to == OrderState::Failed && never_ran);
        // An order ends (terminated, failed, cancelled) exactly when its
        // allocation reaches a final state or is stopped before it started:
        // its settlement escrow learns the end first, then any refund
        // closes it.
        let ends = order_to.is_terminal();
        let config = if ends || refund {
            Some(CONFIG.load(deps.storage)?)
        } else {
            None
        };
        let end = match (&config, ends) {
            (Some(config), true) => escrow::end(config, &order)?,
            _ => None,
        };
        let (refunds, refund_events) = match (&config, refund) {
            (Some(config), true) => escrow::refund_all(config, &mut order)?,
            _ => (vec![], vec![]),
        };
        update_order(deps.storage, &order)?;
        response = response.add_event(events::order_state_changed(&order, order_from));
        if let Some((end, event)) = end {
            response = response.add_submessage(end).add_event(event);
        }
        response = response.add_submessages(refunds).add_events(refund_events);
    }
    Ok(response)
}

fn require_party(
    allocation: &Allocation,
    sender: &Addr,
    action: &'static str,
) -> Result<(), ContractError> {
    if *sender == allocation.customer || *sender == allocation.provider {
        Ok(())
    } else {
        Err(CommonError::Unauthorized {
            action,
            allowed: "the allocation's customer or provider",
        }
        .into())
    }
}

pub fn terminate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    allocation_id: String,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    validation::reason(&reason)?;
    let key = keys::allocation(deps.api, &allocation_id)?;
    let mut allocation = load_allocation(deps.storage, &key)?;
    require_party(&allocation, &info.sender, "terminate an allocation")?;
    allocation.reason = reason;
    let response = transition(
        &mut deps,
        &env,
        &mut allocation,
        AllocationState::Terminating,
        "allocation_terminate_requested",
    )?;
    Ok(response
        .add_attribute("action", "terminate_allocation")
        .add_attribute("requested_by", info.sender))
}

pub fn pause(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    allocation_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::allocation(deps.api, &allocation_id)?;
    let mut allocation = load_allocation(deps.storage, &key)?;
    require_party(&allocation, &info.sender, "pause an allocation")?;
    allocation.suspended_by = Some(info.sender.clone());
    let response = transition(
        &mut deps,
        &env,
        &mut allocation,
        AllocationState::Suspended,
        "allocation_paused",
    )?;
    Ok(response
        .add_attribute("action", "pause_allocation")
        .add_attribute("requested_by", info.sender))
}

pub fn resume(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    allocation_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::allocation(deps.api, &allocation_id)?;
    let mut allocation = load_allocation(deps.storage, &key)?;
    require_party(&allocation, &info.sender, "resume an allocation")?;
    // A provider that suspended for non-payment must not be overridden by
    // the customer, and the other way round. A suspension reported from
    // Waldur is lifted by a report from Waldur.
    if allocation.state == AllocationState::Suspended
        && allocation.suspended_by.as_ref() != Some(&info.sender)
    {
        return Err(CommonError::Unauthorized {
            action: "resume an allocation",
            allowed: "the party that paused it",
        }
        .into());
    }
    let response = transition(
        &mut deps,
        &env,
        &mut allocation,
        AllocationState::Active,
        "allocation_resumed",
    )?;
    Ok(response
        .add_attribute("action", "resume_allocation")
        .add_attribute("requested_by", info.sender))
}

pub fn resize(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    allocation_id: String,
    quantity: u32,
) -> Result<Response, ContractError> {
    let key = keys::allocation(deps.api, &allocation_id)?;
    let mut allocation = load_allocation(deps.storage, &key)?;
    if info.sender != allocation.customer {
        return Err(CommonError::Unauthorized {
            action: "resize an allocation",
            allowed: "the allocation's customer",
        }
        .into());
    }
    if !matches!(
        allocation.state,
        AllocationState::Active | AllocationState::Suspended
    ) {
        return Err(CommonError::WrongState {
            entity: "allocation",
            id: allocation_id,
            state: allocation.state.to_string(),
            expected: "an active or suspended allocation",
        }
        .into());
    }
    validation::quantity(quantity)?;
    let old = allocation.quantity;
    if quantity == old {
        return Err(ContractError::invalid("quantity", format!("already {old}")));
    }
    // Growing tops the escrow up at the accepted price; shrinking keeps
    // the escrow (unused funds are returned at settlement).
    let top_up = if quantity > old {
        let top_up = allocation
            .price
            .checked_mul(Uint128::from(quantity - old))?;
        funds::exact(&info, Coin::new(top_up, &allocation.denom))?;
        top_up
    } else {
        funds::none(&info)?;
        Uint128::zero()
    };
    let order_key = allocation.order_key();
    let mut order = load_order(deps.storage, &order_key)?;
    let config = CONFIG.load(deps.storage)?;
    let to_settlement = if top_up.is_zero() {
        None
    } else {
        escrow::top_up(&config, &mut order, top_up)?
    };
    order.quantity = quantity;
    order.updated_at = env.block.time;
    update_order(deps.storage, &order)?;

    allocation.quantity = quantity;
    allocation.version += 1;
    allocation.updated_at = env.block.time;
    update_allocation(deps.storage, &allocation)?;
    Ok(Response::new()
        .add_messages(to_settlement)
        .add_attribute("action", "resize_allocation")
        .add_event(
            events::allocation_changed("allocation_resized", &allocation, None)
                .add_attribute("quantity", quantity.to_string())
                .add_attribute("from_quantity", old.to_string())
                .add_attribute("top_up", top_up),
        ))
}

/// What a provider's Waldur reported about an allocation.
pub struct StateReport {
    pub to: AllocationState,
    pub backend_id: Option<String>,
    pub reason: Option<String>,
}

pub fn report_state(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    allocation_id: String,
    provider: &str,
    report: StateReport,
) -> Result<Response, ContractError> {
    let StateReport {
        to,
        backend_id,
        reason,
    } = report;
    funds::none(&info)?;
    let callback = CONFIG
        .load(deps.storage)?
        .callback_contract
        .ok_or(ContractError::NoCallbackContract)?;
    if info.sender != callback {
        return Err(CommonError::Unauthorized {
            action: "report an allocation state",
            allowed: "the waldur-callback contract",
        }
        .into());
    }
    validation::reason(&reason)?;
    let key = keys::allocation(deps.api, &allocation_id)?;
    let mut allocation = load_allocation(deps.storage, &key)?;
    ve_cw::ensure_provider("allocation", &allocation_id, &allocation.provider, provider)?;
    // A report speaks for the provider: like resume_allocation, it lifts
    // only a suspension the provider made (its own pause, or one its
    // Waldur reported). The customer's pause is the customer's to lift.
    if allocation.state == AllocationState::Suspended && to == AllocationState::Active {
        if let Some(paused_by) = &allocation.suspended_by {
            if *paused_by != allocation.provider {
                return Err(ContractError::ReportCannotResume {
                    id: allocation_id,
                    paused_by: paused_by.to_string(),
                });
            }
        }
    }
    if let Some(id) = &backend_id {
        validation::backend_id(id)?;
        match &allocation.backend_id {
            Some(existing) if existing != id => {
                return Err(ContractError::invalid(
                    "backend_id",
                    format!("allocation {allocation_id} is already bound to {existing}"),
                ))
            }
            _ => allocation.backend_id = Some(id.clone()),
        }
    }
    if reason.is_some() {
        allocation.reason = reason;
    }

    // Waldur may report the state it is already in (a re-sent status):
    // record any new backend id, change nothing else.
    if to == allocation.state {
        allocation.updated_at = env.block.time;
        update_allocation(deps.storage, &allocation)?;
        return Ok(Response::new()
            .add_attribute("action", "report_allocation_state")
            .add_attribute("allocation_id", allocation_id)
            .add_attribute("result", "unchanged"));
    }
    let response = transition(
        &mut deps,
        &env,
        &mut allocation,
        to,
        "allocation_state_changed",
    )?;
    Ok(response
        .add_attribute("action", "report_allocation_state")
        .add_attribute("result", "changed"))
}
