//! Entry points and dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, Event, MessageInfo, Reply, Response, SubMsgResult,
};
use cw2::set_contract_version;
use ve_cw::admin::TransferStep;

use crate::error::ContractError;
use crate::escrow;
use crate::execute::admin;
use crate::execute::allocation::{self, StateReport};
use crate::execute::bid;
use crate::execute::offering::{self, StateChange};
use crate::execute::order::{self, NewOrder};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};
use crate::validation;

pub const CONTRACT_NAME: &str = "crates.io:ve-marketplace";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let admin = match msg.admin {
        Some(a) => validation::address(deps.api, "admin", &a)?,
        None => info.sender,
    };
    let callback_contract = msg
        .callback_contract
        .map(|c| validation::address(deps.api, "callback_contract", &c))
        .transpose()?;
    let settlement_contract = msg
        .settlement_contract
        .map(|c| validation::address(deps.api, "settlement_contract", &c))
        .transpose()?;
    let config = Config {
        admin,
        callback_contract,
        settlement_contract,
        escrow_expiry_seconds: msg
            .escrow_expiry_seconds
            .unwrap_or(admin::DEFAULT_ESCROW_EXPIRY_SECONDS),
        default_bid_ttl_seconds: msg
            .default_bid_ttl_seconds
            .unwrap_or(admin::DEFAULT_BID_TTL_SECONDS),
        max_bid_ttl_seconds: msg
            .max_bid_ttl_seconds
            .unwrap_or(admin::DEFAULT_MAX_BID_TTL_SECONDS),
        max_bids_per_order: msg
            .max_bids_per_order
            .unwrap_or(admin::DEFAULT_MAX_BIDS_PER_ORDER),
    };
    admin::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin))
}

// Bench builds (`gas-profile`) export execute wrapped to report its gas
// (bench/profile.md); every other build exports it directly.
ve_cw::gas_profile_entry_point!(
    crate::contract::execute,
    crate::msg::ExecuteMsg,
    crate::ContractError
);
#[cfg_attr(not(any(feature = "library", feature = "gas-profile")), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::CreateOffering {
            offering,
            encrypted_secrets,
        } => offering::create(deps, env, info, offering, encrypted_secrets),
        ExecuteMsg::UpdateOffering(update) => offering::update(deps, env, info, update),
        ExecuteMsg::PauseOffering { offering_id } => {
            offering::change_state(deps, env, info, offering_id, StateChange::Pause, None)
        }
        ExecuteMsg::ResumeOffering { offering_id } => {
            offering::change_state(deps, env, info, offering_id, StateChange::Resume, None)
        }
        ExecuteMsg::DeprecateOffering { offering_id } => {
            offering::change_state(deps, env, info, offering_id, StateChange::Deprecate, None)
        }
        ExecuteMsg::TerminateOffering {
            offering_id,
            reason,
        } => offering::change_state(deps, env, info, offering_id, StateChange::Terminate, reason),
        ExecuteMsg::SuspendOffering {
            offering_id,
            reason,
        } => offering::change_state(
            deps,
            env,
            info,
            offering_id,
            StateChange::Suspend,
            Some(reason),
        ),
        ExecuteMsg::CreateOrder {
            offering_id,
            quantity,
            max_bid_price,
            region,
            public_metadata,
            encrypted_config_ref,
        } => order::create(
            deps,
            env,
            info,
            NewOrder {
                offering_id,
                quantity,
                max_bid_price,
                region,
                public_metadata,
                encrypted_config_ref,
            },
        ),
        ExecuteMsg::CancelOrder { order_id } => order::cancel(deps, env, info, order_id),
        ExecuteMsg::PlaceBid {
            order_id,
            price,
            ttl_seconds,
        } => bid::place(deps, env, info, order_id, price, ttl_seconds),
        ExecuteMsg::WithdrawBid { bid_id } => bid::withdraw(deps, env, info, bid_id),
        ExecuteMsg::AcceptBid { bid_id } => bid::accept(deps, env, info, bid_id),
        ExecuteMsg::TerminateAllocation {
            allocation_id,
            reason,
        } => allocation::terminate(deps, env, info, allocation_id, reason),
        ExecuteMsg::ResizeAllocation {
            allocation_id,
            quantity,
        } => allocation::resize(deps, env, info, allocation_id, quantity),
        ExecuteMsg::PauseAllocation { allocation_id } => {
            allocation::pause(deps, env, info, allocation_id)
        }
        ExecuteMsg::ResumeAllocation { allocation_id } => {
            allocation::resume(deps, env, info, allocation_id)
        }
        ExecuteMsg::ReportAllocationState {
            allocation_id,
            provider,
            state,
            backend_id,
            reason,
        } => allocation::report_state(
            deps,
            env,
            info,
            allocation_id,
            &provider,
            StateReport {
                to: state,
                backend_id,
                reason,
            },
        ),
        ExecuteMsg::IngestOffering {
            provider,
            waldur_id,
            offering: fields,
            state,
        } => offering::ingest(deps, env, info, provider, waldur_id, fields, state),
        ExecuteMsg::ProposeAdmin { new_admin, expiry } => {
            transfer_admin(deps, env, info, TransferStep::Propose { new_admin, expiry })
        }
        ExecuteMsg::AcceptAdmin {} => transfer_admin(deps, env, info, TransferStep::Accept),
        ExecuteMsg::CancelAdminTransfer {} => transfer_admin(deps, env, info, TransferStep::Cancel),
        ExecuteMsg::UpdateConfig(update) => admin::update_config(deps, info, update),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::PendingAdmin {} => to_json_binary(&ve_cw::admin::pending(deps.storage)?),
        QueryMsg::Offering { offering_id } => to_json_binary(&query::offering(deps, offering_id)?),
        QueryMsg::Offerings { start_after, limit } => {
            to_json_binary(&query::offerings_all(deps, start_after, limit)?)
        }
        QueryMsg::OfferingsByProvider {
            provider,
            state,
            start_after,
            limit,
        } => to_json_binary(&query::offerings_by_provider(
            deps,
            provider,
            state,
            start_after,
            limit,
        )?),
        QueryMsg::OfferingsByCategory {
            category,
            state,
            start_after,
            limit,
        } => to_json_binary(&query::offerings_by_category(
            deps,
            category,
            state,
            start_after,
            limit,
        )?),
        QueryMsg::OfferingsByState {
            state,
            start_after,
            limit,
        } => to_json_binary(&query::offerings_by_state(deps, state, start_after, limit)?),
        QueryMsg::OfferingPrice {
            offering_id,
            quantity,
        } => to_json_binary(&query::offering_price(deps, offering_id, quantity)?),
        QueryMsg::Order { order_id } => to_json_binary(&query::order(deps, order_id)?),
        QueryMsg::OrdersByCustomer {
            customer,
            start_after,
            limit,
        } => to_json_binary(&query::orders_by_customer(
            deps,
            customer,
            start_after,
            limit,
        )?),
        QueryMsg::OrdersByOffering {
            offering_id,
            start_after,
            limit,
        } => to_json_binary(&query::orders_by_offering(
            deps,
            offering_id,
            start_after,
            limit,
        )?),
        QueryMsg::Bid { bid_id } => to_json_binary(&query::bid(deps, env, bid_id)?),
        QueryMsg::BidsByOrder {
            order_id,
            start_after,
            limit,
        } => to_json_binary(&query::bids_by_order(
            deps,
            env,
            order_id,
            start_after,
            limit,
        )?),
        QueryMsg::Allocation { allocation_id } => {
            to_json_binary(&query::allocation(deps, allocation_id)?)
        }
        QueryMsg::AllocationsByCustomer {
            customer,
            start_after,
            limit,
        } => to_json_binary(&query::allocations_by_customer(
            deps,
            customer,
            start_after,
            limit,
        )?),
        QueryMsg::AllocationsByProvider {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::allocations_by_provider(
            deps,
            provider,
            start_after,
            limit,
        )?),
    };
    Ok(binary?)
}

/// A settlement refund that failed (say, usage is still unsettled) must not
/// undo the state change that asked for it: record the failure in an event
/// and go on. The escrow stays in settlement, where the provider can settle
/// and refund it, or it expires.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    match (msg.id, msg.result) {
        (escrow::REFUND_REPLY_ID, SubMsgResult::Err(error)) => Ok(Response::new()
            .add_event(Event::new("ve.settlement_refund_failed").add_attribute("error", error))),
        (escrow::END_REPLY_ID, SubMsgResult::Err(error)) => Ok(Response::new()
            .add_event(Event::new("ve.settlement_end_failed").add_attribute("error", error))),
        (id, _) => Err(ContractError::invalid(
            "reply",
            format!("unexpected reply {id}"),
        )),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    Ok(ve_cw::migrate_version(
        deps.storage,
        CONTRACT_NAME,
        CONTRACT_VERSION,
    )?)
}

/// The two-step admin transfer (`ve_cw::admin`): the admin stays in the
/// config; only the pending proposal is kept apart.
fn transfer_admin(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    step: TransferStep,
) -> Result<Response, ContractError> {
    Ok(ve_cw::admin::execute_transfer(
        deps, &env, &info, &CONFIG, step,
    )?)
}
