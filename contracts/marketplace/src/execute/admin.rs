use cosmwasm_std::{DepsMut, MessageInfo, Response};

use crate::error::ContractError;
use crate::funds;
use crate::state::{Config, CONFIG};
use crate::validation;

pub const DEFAULT_BID_TTL_SECONDS: u64 = 86_400;
pub const DEFAULT_MAX_BID_TTL_SECONDS: u64 = 7 * 86_400;
pub const LONGEST_BID_TTL_SECONDS: u64 = 365 * 86_400;
pub const DEFAULT_MAX_BIDS_PER_ORDER: u32 = 20;
pub const MOST_BIDS_PER_ORDER: u32 = 100;
pub const DEFAULT_ESCROW_EXPIRY_SECONDS: u64 = 30 * 86_400;
pub const MIN_ESCROW_EXPIRY_SECONDS: u64 = 3_600;
pub const MAX_ESCROW_EXPIRY_SECONDS: u64 = 5 * 365 * 86_400;

/// Checks the bounds every stored config must satisfy.
pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    if c.max_bid_ttl_seconds == 0 || c.max_bid_ttl_seconds > LONGEST_BID_TTL_SECONDS {
        return Err(ContractError::invalid(
            "max_bid_ttl_seconds",
            format!("must be 1-{LONGEST_BID_TTL_SECONDS}"),
        ));
    }
    if c.default_bid_ttl_seconds == 0 || c.default_bid_ttl_seconds > c.max_bid_ttl_seconds {
        return Err(ContractError::invalid(
            "default_bid_ttl_seconds",
            format!("must be 1-{} (max_bid_ttl_seconds)", c.max_bid_ttl_seconds),
        ));
    }
    if c.max_bids_per_order == 0 || c.max_bids_per_order > MOST_BIDS_PER_ORDER {
        return Err(ContractError::invalid(
            "max_bids_per_order",
            format!("must be 1-{MOST_BIDS_PER_ORDER}"),
        ));
    }
    if !(MIN_ESCROW_EXPIRY_SECONDS..=MAX_ESCROW_EXPIRY_SECONDS).contains(&c.escrow_expiry_seconds) {
        return Err(ContractError::invalid(
            "escrow_expiry_seconds",
            format!("must be {MIN_ESCROW_EXPIRY_SECONDS}-{MAX_ESCROW_EXPIRY_SECONDS}"),
        ));
    }
    Ok(())
}

pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub callback_contract: Option<String>,
    pub default_bid_ttl_seconds: Option<u64>,
    pub max_bid_ttl_seconds: Option<u64>,
    pub max_bids_per_order: Option<u32>,
    pub settlement_contract: Option<String>,
    pub escrow_expiry_seconds: Option<u64>,
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(ContractError::Unauthorized {
            action: "update the config",
            allowed: "the admin",
        });
    }
    let ConfigUpdate {
        admin,
        callback_contract,
        default_bid_ttl_seconds,
        max_bid_ttl_seconds,
        max_bids_per_order,
        settlement_contract,
        escrow_expiry_seconds,
    } = update;
    if admin.is_none()
        && callback_contract.is_none()
        && default_bid_ttl_seconds.is_none()
        && max_bid_ttl_seconds.is_none()
        && max_bids_per_order.is_none()
        && settlement_contract.is_none()
        && escrow_expiry_seconds.is_none()
    {
        return Err(ContractError::NothingToUpdate);
    }
    if let Some(a) = admin {
        config.admin = validation::address(deps.api, "admin", &a)?;
    }
    if let Some(c) = callback_contract {
        config.callback_contract = Some(validation::address(deps.api, "callback_contract", &c)?);
    }
    config.default_bid_ttl_seconds =
        default_bid_ttl_seconds.unwrap_or(config.default_bid_ttl_seconds);
    config.max_bid_ttl_seconds = max_bid_ttl_seconds.unwrap_or(config.max_bid_ttl_seconds);
    config.max_bids_per_order = max_bids_per_order.unwrap_or(config.max_bids_per_order);
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
