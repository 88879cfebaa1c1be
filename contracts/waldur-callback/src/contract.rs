//! Entry points and dispatch only.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use cw2::set_contract_version;
use ve_cw::admin::TransferStep;

use crate::error::ContractError;
use crate::execute::admin;
use crate::execute::prune::prune_expired;
use crate::execute::{address, callbacks, signers};
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::query;
use crate::state::{Config, CONFIG};

pub const CONTRACT_NAME: &str = "crates.io:ve-waldur-callback";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let api = deps.api;
    let optional = |field, v: Option<String>| v.map(|v| address(api, field, &v)).transpose();
    let config = Config {
        admin: match msg.admin {
            Some(a) => address(api, "admin", &a)?,
            None => info.sender,
        },
        marketplace: optional("marketplace", msg.marketplace)?,
        settlement: optional("settlement", msg.settlement)?,
        hpc: optional("hpc", msg.hpc)?,
        max_validity_seconds: msg
            .max_validity_seconds
            .unwrap_or(admin::DEFAULT_MAX_VALIDITY_SECONDS),
        max_clock_skew_seconds: msg
            .max_clock_skew_seconds
            .unwrap_or(admin::DEFAULT_MAX_CLOCK_SKEW_SECONDS),
        max_payload_bytes: msg
            .max_payload_bytes
            .unwrap_or(admin::DEFAULT_MAX_PAYLOAD_BYTES),
        prune_batch: msg.prune_batch.unwrap_or(admin::DEFAULT_PRUNE_BATCH),
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
        ExecuteMsg::RegisterSigner {
            key_id,
            public_key,
            proof,
        } => signers::register(deps, env, info, key_id, public_key, proof),
        ExecuteMsg::RotateSigner {
            old_key_id,
            new_key_id,
            public_key,
            proof,
        } => signers::rotate(deps, env, info, old_key_id, new_key_id, public_key, proof),
        ExecuteMsg::RevokeSigner { provider, key_id } => {
            signers::revoke(deps, env, info, provider, key_id)
        }
        ExecuteMsg::SubmitCallback { callback } => {
            callbacks::submit(deps, env, info, vec![callback])
        }
        ExecuteMsg::SubmitCallbacks { callbacks: batch } => {
            callbacks::submit(deps, env, info, batch)
        }
        ExecuteMsg::PruneNonces { limit } => {
            let limit = limit
                .unwrap_or(admin::MAX_PRUNE_LIMIT)
                .min(admin::MAX_PRUNE_LIMIT);
            let pruned = prune_expired(deps.storage, env.block.time.seconds(), limit)?;
            Ok(Response::new()
                .add_attribute("action", "prune_nonces")
                .add_attribute("pruned", pruned.to_string()))
        }
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
        QueryMsg::Signer { provider, key_id } => {
            to_json_binary(&query::signer(deps, provider, key_id)?)
        }
        QueryMsg::Signers {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::signers(deps, provider, start_after, limit)?),
        QueryMsg::NonceStatus {
            provider,
            key_id,
            nonce,
        } => to_json_binary(&query::nonce_status(deps, provider, key_id, nonce)?),
        QueryMsg::Callback {
            provider,
            callback_id,
        } => to_json_binary(&query::callback(deps, provider, callback_id)?),
        QueryMsg::NonceCount {} => to_json_binary(&query::nonce_count(deps)?),
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
