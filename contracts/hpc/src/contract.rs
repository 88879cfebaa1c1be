//! Entry points and dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
use cw2::set_contract_version;
use ve_cw::admin::TransferStep;

use crate::error::ContractError;
use crate::execute::admin;
use crate::execute::cluster::{self, ClusterChange};
use crate::execute::job::{self, NewJob, StatusReport};
use crate::execute::offering;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};
use crate::validation;

pub const CONTRACT_NAME: &str = "crates.io:ve-hpc";
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
    let settlement_contract =
        validation::address(deps.api, "settlement_contract", &msg.settlement_contract)?;
    let callback_contract = msg
        .callback_contract
        .map(|c| validation::address(deps.api, "callback_contract", &c))
        .transpose()?;
    let config = Config {
        admin,
        settlement_contract,
        callback_contract,
        escrow_grace_seconds: msg
            .escrow_grace_seconds
            .unwrap_or(admin::DEFAULT_ESCROW_GRACE_SECONDS),
    };
    admin::validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin)
        .add_attribute("settlement_contract", config.settlement_contract))
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
        ExecuteMsg::RegisterCluster { cluster } => cluster::register(deps, env, info, cluster),
        ExecuteMsg::UpdateCluster(update) => cluster::update(deps, env, info, update),
        ExecuteMsg::DrainCluster { cluster_id, reason } => {
            cluster::change_state(deps, env, info, cluster_id, ClusterChange::Drain, reason)
        }
        ExecuteMsg::SetClusterOffline { cluster_id, reason } => cluster::change_state(
            deps,
            env,
            info,
            cluster_id,
            ClusterChange::SetOffline,
            reason,
        ),
        ExecuteMsg::ReactivateCluster { cluster_id } => {
            cluster::change_state(deps, env, info, cluster_id, ClusterChange::Reactivate, None)
        }
        ExecuteMsg::DeregisterCluster { cluster_id, reason } => cluster::change_state(
            deps,
            env,
            info,
            cluster_id,
            ClusterChange::Deregister,
            reason,
        ),
        ExecuteMsg::CreateHpcOffering {
            cluster_id,
            offering,
        } => offering::create(deps, env, info, cluster_id, offering),
        ExecuteMsg::UpdateHpcOffering(update) => offering::update(deps, env, info, update),
        ExecuteMsg::SubmitJob {
            hpc_offering_id,
            queue,
            nodes,
            max_runtime_seconds,
            script_ref,
        } => job::submit(
            deps,
            env,
            info,
            NewJob {
                offering_id: hpc_offering_id,
                queue,
                nodes,
                max_runtime_seconds,
                script_ref,
            },
        ),
        ExecuteMsg::CancelJob { job_id, reason } => job::cancel(deps, env, info, job_id, reason),
        ExecuteMsg::ReportJobStatus {
            job_id,
            provider,
            state,
            exit_code,
            node_seconds_used,
            reason,
        } => job::report_status(
            deps,
            env,
            info,
            job_id,
            StatusReport {
                provider,
                state,
                exit_code,
                node_seconds_used,
                reason,
            },
        ),
        ExecuteMsg::TimeoutJob { job_id } => job::timeout(deps, env, info, job_id),
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
        QueryMsg::Cluster { cluster_id } => to_json_binary(&query::cluster(deps, cluster_id)?),
        QueryMsg::Clusters { start_after, limit } => {
            to_json_binary(&query::clusters(deps, start_after, limit)?)
        }
        QueryMsg::ClustersByProvider {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::clusters_by_provider(
            deps,
            provider,
            start_after,
            limit,
        )?),
        QueryMsg::HpcOffering { hpc_offering_id } => {
            to_json_binary(&query::offering(deps, hpc_offering_id)?)
        }
        QueryMsg::HpcOfferings { start_after, limit } => {
            to_json_binary(&query::offerings_all(deps, start_after, limit)?)
        }
        QueryMsg::HpcOfferingsByCluster {
            cluster_id,
            start_after,
            limit,
        } => to_json_binary(&query::offerings_by_cluster(
            deps,
            cluster_id,
            start_after,
            limit,
        )?),
        QueryMsg::HpcOfferingsByProvider {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::offerings_by_provider(
            deps,
            provider,
            start_after,
            limit,
        )?),
        QueryMsg::JobCost {
            hpc_offering_id,
            nodes,
            max_runtime_seconds,
        } => to_json_binary(&query::job_cost(
            deps,
            hpc_offering_id,
            nodes,
            max_runtime_seconds,
        )?),
        QueryMsg::Job { job_id } => to_json_binary(&query::job(deps, job_id)?),
        QueryMsg::Jobs { start_after, limit } => {
            to_json_binary(&query::jobs_all(deps, start_after, limit)?)
        }
        QueryMsg::JobsByCustomer {
            customer,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by_customer(
            deps,
            customer,
            start_after,
            limit,
        )?),
        QueryMsg::JobsByProvider {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by_provider(
            deps,
            provider,
            start_after,
            limit,
        )?),
        QueryMsg::JobsByOffering {
            hpc_offering_id,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by_offering(
            deps,
            hpc_offering_id,
            start_after,
            limit,
        )?),
        QueryMsg::JobsByState {
            state,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by_state(deps, state, start_after, limit)?),
    };
    Ok(binary?)
}

/// Replies of the tolerated settlement sub-messages (`Settle`,
/// `RefundEscrow`), on error only.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
    job::escrow_refused(deps, env, msg)
}

/// Refuses another contract's state and downgrades.
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
