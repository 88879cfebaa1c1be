use cosmwasm_std::{DepsMut, MessageInfo, Response};
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::funds;
use crate::msg::ConfigUpdate;
use crate::state::{Config, CONFIG};
use crate::validation;

pub const DEFAULT_ESCROW_GRACE_SECONDS: u64 = 7 * 86_400;
pub const MIN_ESCROW_GRACE_SECONDS: u64 = 3_600;
pub const MAX_ESCROW_GRACE_SECONDS: u64 = 365 * 86_400;

/// Checks the bounds every stored config must satisfy.
pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    if !(MIN_ESCROW_GRACE_SECONDS..=MAX_ESCROW_GRACE_SECONDS).contains(&c.escrow_grace_seconds) {
        return Err(ContractError::invalid(
            "escrow_grace_seconds",
            format!(
                "{} must be {MIN_ESCROW_GRACE_SECONDS}-{MAX_ESCROW_GRACE_SECONDS}",
                c.escrow_grace_seconds
            ),
        ));
    }
    Ok(())
}

/// Admin only. A new settlement contract applies to jobs submitted from
/// then on; every job keeps the settlement contract that holds its escrow.
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(CommonError::Unauthorized {
            action: "update the config",
            allowed: "the admin",
        }
        .into());
    }
    let ConfigUpdate {
        admin,
        settlement_contract,
        callback_contract,
        escrow_grace_seconds,
    } = update;
    if admin.is_none()
        && settlement_contract.is_none()
        && callback_contract.is_none()
        && escrow_grace_seconds.is_none()
    {
        return Err(CommonError::NothingToUpdate.into());
    }
    if let Some(a) = admin {
        config.admin = validation::address(deps.api, "admin", &a)?;
    }
    if let Some(s) = settlement_contract {
        config.settlement_contract = validation::address(deps.api, "settlement_contract", &s)?;
    }
    if let Some(c) = callback_contract {
        config.callback_contract = Some(validation::address(deps.api, "callback_contract", &c)?);
    }
    config.escrow_grace_seconds = escrow_grace_seconds.unwrap_or(config.escrow_grace_seconds);
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
