use cosmwasm_std::{DepsMut, MessageInfo, Response};
use ve_cw::CommonError;

use super::address;
use crate::error::ContractError;
use crate::msg::ConfigUpdate;
use crate::state::{Config, CONFIG};

pub const DEFAULT_MAX_VALIDITY_SECONDS: u64 = 3_600;
pub const DEFAULT_MAX_CLOCK_SKEW_SECONDS: u64 = 60;
pub const DEFAULT_MAX_PAYLOAD_BYTES: u32 = 4_096;
pub const DEFAULT_PRUNE_BATCH: u32 = 20;
pub const MAX_PRUNE_LIMIT: u32 = 500;

pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    if !(60..=86_400).contains(&c.max_validity_seconds) {
        return Err(ContractError::invalid(
            "max_validity_seconds",
            "must be 60-86400",
        ));
    }
    if c.max_clock_skew_seconds > 600 {
        return Err(ContractError::invalid(
            "max_clock_skew_seconds",
            "must be 0-600",
        ));
    }
    if !(256..=65_536).contains(&c.max_payload_bytes) {
        return Err(ContractError::invalid(
            "max_payload_bytes",
            "must be 256-65536",
        ));
    }
    if !(1..=MAX_PRUNE_LIMIT).contains(&c.prune_batch) {
        return Err(ContractError::invalid(
            "prune_batch",
            format!("must be 1-{MAX_PRUNE_LIMIT}"),
        ));
    }
    Ok(())
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    u: ConfigUpdate,
) -> Result<Response, ContractError> {
    ve_cw::no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(CommonError::Unauthorized {
            action: "update the config",
            allowed: "the admin",
        }
        .into());
    }
    let mut changed = false;
    if let Some(a) = u.admin {
        config.admin = address(deps.api, "admin", &a)?;
        changed = true;
    }
    for (field, value, slot) in [
        ("marketplace", u.marketplace, &mut config.marketplace),
        ("settlement", u.settlement, &mut config.settlement),
        ("hpc", u.hpc, &mut config.hpc),
    ] {
        if let Some(v) = value {
            *slot = Some(address(deps.api, field, &v)?);
            changed = true;
        }
    }
    if let Some(v) = u.max_validity_seconds {
        config.max_validity_seconds = v;
        changed = true;
    }
    if let Some(v) = u.max_clock_skew_seconds {
        config.max_clock_skew_seconds = v;
        changed = true;
    }
    if let Some(v) = u.max_payload_bytes {
        config.max_payload_bytes = v;
        changed = true;
    }
    if let Some(v) = u.prune_batch {
        config.prune_batch = v;
        changed = true;
    }
    if !changed {
        return Err(CommonError::NothingToUpdate.into());
    }
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
