//! Entry points and dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cw2::set_contract_version;
use ve_cw::admin::TransferStep;

use crate::error::ContractError;
use crate::execute::admin;
use crate::execute::escrow;
use crate::execute::settle;
use crate::execute::usage;
use crate::helpers::address;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};

pub const CONTRACT_NAME: &str = "crates.io:ve-settlement";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let api = deps.api;
    let optional =
        |field, value: Option<String>| value.map(|v| address(api, field, &v)).transpose();
    let config = Config {
        admin: match msg.admin {
            Some(a) => address(api, "admin", &a)?,
            None => info.sender,
        },
        arbiter: address(api, "arbiter", &msg.arbiter)?,
        marketplace: optional("marketplace", msg.marketplace)?,
        hpc: optional("hpc", msg.hpc)?,
        callback_contract: optional("callback_contract", msg.callback_contract)?,
        fee_shares: admin::fee_shares(api, msg.fee_shares)?,
        ack_window_seconds: msg
            .ack_window_seconds
            .unwrap_or(admin::DEFAULT_ACK_WINDOW_SECONDS),
    };
    admin::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
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
        ExecuteMsg::CreateEscrow(new) => escrow::create(deps, env, info, new),
        ExecuteMsg::Deposit { escrow_id } => escrow::deposit(deps, env, info, escrow_id),
        ExecuteMsg::ActivateEscrow { escrow_id } => escrow::activate(deps, env, info, escrow_id),
        ExecuteMsg::RecordUsage(new) => usage::record(deps, env, info, new),
        ExecuteMsg::AcknowledgeUsage { record_ids } => usage::acknowledge(deps, info, record_ids),
        ExecuteMsg::DisputeUsage { record_id, reason } => {
            usage::dispute(deps, env, info, record_id, reason)
        }
        ExecuteMsg::ResolveDispute {
            escrow_id,
            upheld,
            rejected,
        } => usage::resolve(deps, env, info, escrow_id, upheld, rejected),
        ExecuteMsg::Settle {
            escrow_id,
            record_ids,
            finalize,
        } => settle::settle(deps, env, info, escrow_id, record_ids, finalize),
        ExecuteMsg::RefundEscrow { escrow_id } => escrow::refund(deps, env, info, escrow_id),
        ExecuteMsg::ExpireEscrow { escrow_id } => escrow::expire(deps, env, info, escrow_id),
        ExecuteMsg::EndOrderEscrow { escrow_id } => escrow::end(deps, env, info, escrow_id),
        ExecuteMsg::ReclaimUnreserved { escrow_id } => escrow::reclaim(deps, env, info, escrow_id),
        ExecuteMsg::ProposeAdmin { new_admin, expiry } => {
            transfer_admin(deps, env, info, TransferStep::Propose { new_admin, expiry })
        }
        ExecuteMsg::AcceptAdmin {} => transfer_admin(deps, env, info, TransferStep::Accept),
        ExecuteMsg::CancelAdminTransfer {} => transfer_admin(deps, env, info, TransferStep::Cancel),
        ExecuteMsg::UpdateConfig(update) => admin::update_config(deps, info, update),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let binary = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::PendingAdmin {} => to_json_binary(&ve_cw::admin::pending(deps.storage)?),
        QueryMsg::Escrow { escrow_id } => to_json_binary(&query::escrow(deps, escrow_id)?),
        QueryMsg::EscrowsByParty {
            party,
            role,
            start_after,
            limit,
        } => to_json_binary(&query::escrows_by_party(
            deps,
            party,
            role,
            start_after,
            limit,
        )?),
        QueryMsg::EscrowsByState {
            state,
            start_after,
            limit,
        } => to_json_binary(&query::escrows_by_state(deps, state, start_after, limit)?),
        QueryMsg::UsageRecord { record_id } => {
            to_json_binary(&query::usage_record(deps, record_id)?)
        }
        QueryMsg::UsageRecordsByEscrow {
            escrow_id,
            state,
            start_after,
            limit,
        } => to_json_binary(&query::usage_records_by_escrow(
            deps,
            escrow_id,
            state,
            start_after,
            limit,
        )?),
        QueryMsg::UsageRecordsByAllocation {
            allocation_id,
            start_after,
            limit,
        } => to_json_binary(&query::usage_records_by_allocation(
            deps,
            allocation_id,
            start_after,
            limit,
        )?),
        QueryMsg::UsageSummary { allocation_id } => {
            to_json_binary(&query::usage_summary(deps, allocation_id)?)
        }
        QueryMsg::Settlements {
            escrow_id,
            start_after,
            limit,
        } => to_json_binary(&query::settlements(deps, escrow_id, start_after, limit)?),
    };
    Ok(binary?)
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
