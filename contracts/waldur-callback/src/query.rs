use cosmwasm_std::{Deps, Order, StdResult};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::execute::address;
use crate::msg::{NonceCountResponse, NonceStatusResponse, SignerResponse, SignersResponse};
use crate::state::{CallbackRecord, Config, CALLBACKS, CONFIG, NONCES, NONCE_COUNT, SIGNERS};

pub fn config(deps: Deps) -> Result<Config, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

pub fn signer(
    deps: Deps,
    provider: String,
    key_id: String,
) -> Result<SignerResponse, ContractError> {
    let addr = address(deps.api, "provider", &provider)?;
    let signer = SIGNERS
        .may_load(deps.storage, (&addr, &key_id))?
        .ok_or_else(|| ContractError::UnknownSigner {
            provider: addr.to_string(),
            key_id: key_id.clone(),
        })?;
    Ok(SignerResponse {
        provider: addr.to_string(),
        key_id,
        signer,
    })
}

pub fn signers(
    deps: Deps,
    provider: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<SignersResponse, ContractError> {
    let addr = address(deps.api, "provider", &provider)?;
    let signers = SIGNERS
        .prefix(&addr)
        .range(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(ve_cw::page_size(limit))
        .map(|item| {
            item.map(|(key_id, signer)| SignerResponse {
                provider: addr.to_string(),
                key_id,
                signer,
            })
        })
        .collect::<StdResult<_>>()?;
    Ok(SignersResponse { signers })
}

pub fn nonce_status(
    deps: Deps,
    provider: String,
    key_id: String,
    nonce: String,
) -> Result<NonceStatusResponse, ContractError> {
    let addr = address(deps.api, "provider", &provider)?;
    let expires_at = NONCES.may_load(deps.storage, (&addr, &key_id, &nonce))?;
    Ok(NonceStatusResponse {
        used: expires_at.is_some(),
        expires_at,
    })
}

pub fn callback(
    deps: Deps,
    provider: String,
    callback_id: String,
) -> Result<CallbackRecord, ContractError> {
    let addr = address(deps.api, "provider", &provider)?;
    CALLBACKS
        .may_load(deps.storage, (&addr, &callback_id))?
        .ok_or_else(|| {
            ContractError::invalid(
                "callback_id",
                format!("no callback {callback_id} of {addr} is stored (never applied, or pruned after expiry)"),
            )
        })
}

pub fn nonce_count(deps: Deps) -> Result<NonceCountResponse, ContractError> {
    Ok(NonceCountResponse {
        stored: NONCE_COUNT.may_load(deps.storage)?.unwrap_or_default(),
    })
}
