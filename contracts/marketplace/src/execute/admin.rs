use cosmwasm_std::{DepsMut, MessageInfo, Response};
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::funds;
use crate::msg::ConfigUpdate;
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

/// Marks `value` as given (`changed`) and passes it on.
fn given<T>(changed: &mut bool, value: Option<T>) -> Option<T> {
    *changed |= value.is_some();
    value
}

/// Admin only. Every given field is applied, validated as at instantiate,
/// or the whole update is refused: the new config is built field by field
/// from the update (each update field is consumed exactly once, and the
/// struct literal names every config field), so no field can be ignored
/// without the build failing on an unused variable.
pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let old = CONFIG.load(deps.storage)?;
    if info.sender != old.admin {
        return Err(CommonError::Unauthorized {
            action: "update the config",
            allowed: "the admin",
        }
        .into());
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
    let api = deps.api;
    let mut changed = false;
    let config = Config {
        admin: match given(&mut changed, admin) {
            Some(a) => validation::address(api, "admin", &a)?,
            None => old.admin.clone(),
        },
        callback_contract: match given(&mut changed, callback_contract) {
            Some(c) => Some(validation::address(api, "callback_contract", &c)?),
            None => old.callback_contract.clone(),
        },
        settlement_contract: match given(&mut changed, settlement_contract) {
            Some(c) => {
                let new = validation::address(api, "settlement_contract", &c)?;
                // Orders record their settlement escrow's ID, not the
                // contract holding it: later top-ups and refunds go to the
                // configured one, so it is set once and never replaced.
                match &old.settlement_contract {
                    Some(current) if *current != new => {
                        return Err(ContractError::invalid(
                            "settlement_contract",
                            format!(
                                "already {current}; it holds the escrows of matched orders and cannot be replaced"
                            ),
                        ))
                    }
                    _ => Some(new),
                }
            }
            None => old.settlement_contract.clone(),
        },
        escrow_expiry_seconds: given(&mut changed, escrow_expiry_seconds)
            .unwrap_or(old.escrow_expiry_seconds),
        default_bid_ttl_seconds: given(&mut changed, default_bid_ttl_seconds)
            .unwrap_or(old.default_bid_ttl_seconds),
        max_bid_ttl_seconds: given(&mut changed, max_bid_ttl_seconds)
            .unwrap_or(old.max_bid_ttl_seconds),
        max_bids_per_order: given(&mut changed, max_bids_per_order)
            .unwrap_or(old.max_bids_per_order),
    };
    if !changed {
        return Err(CommonError::NothingToUpdate.into());
    }
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
