use cosmwasm_std::{Addr, Api, DepsMut, MessageInfo, Response};
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::helpers::{address, no_funds};
use crate::msg::ConfigUpdate;
use crate::msg::FeeShareInput;
use crate::state::{Config, FeeShare, CONFIG};

pub const DEFAULT_ACK_WINDOW_SECONDS: u64 = 86_400;
pub const MAX_ACK_WINDOW_SECONDS: u64 = 90 * 86_400;
pub const MAX_FEE_SHARES: usize = 8;
pub const MAX_TOTAL_FEE_BPS: u32 = 10_000;

pub fn fee_shares(
    api: &dyn Api,
    input: Vec<FeeShareInput>,
) -> Result<Vec<FeeShare>, ContractError> {
    if input.len() > MAX_FEE_SHARES {
        return Err(ContractError::invalid(
            "fee_shares",
            format!("{} shares, at most {MAX_FEE_SHARES}", input.len()),
        ));
    }
    let total: u32 = input.iter().map(|s| u32::from(s.bps)).sum();
    if total > MAX_TOTAL_FEE_BPS {
        return Err(ContractError::invalid(
            "fee_shares",
            format!("{total} bps in total, at most {MAX_TOTAL_FEE_BPS}"),
        ));
    }
    input
        .into_iter()
        .map(|s| {
            if s.name.is_empty()
                || s.name.len() > 32
                || !s.name.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(ContractError::invalid(
                    "fee_shares.name",
                    "1-32 visible ASCII characters",
                ));
            }
            if s.bps == 0 {
                return Err(ContractError::invalid(
                    "fee_shares.bps",
                    format!("{} has 0 bps", s.name),
                ));
            }
            Ok(FeeShare {
                recipient: address(api, "fee_shares.recipient", &s.recipient)?,
                name: s.name,
                bps: s.bps,
            })
        })
        .collect()
}

pub fn validate_config(c: &Config) -> Result<(), ContractError> {
    if c.ack_window_seconds > MAX_ACK_WINDOW_SECONDS {
        return Err(ContractError::invalid(
            "ack_window_seconds",
            format!("at most {MAX_ACK_WINDOW_SECONDS}"),
        ));
    }
    Ok(())
}

pub fn update_config(
    deps: DepsMut,
    info: MessageInfo,
    u: ConfigUpdate,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let mut config = CONFIG.load(deps.storage)?;
    if info.sender != config.admin {
        return Err(CommonError::Unauthorized {
            action: "update the config",
            allowed: "the admin",
        }
        .into());
    }
    let api = deps.api;
    let mut changed = false;
    let mut set = |field: &'static str,
                   value: Option<String>,
                   slot: &mut Addr|
     -> Result<(), ContractError> {
        if let Some(v) = value {
            *slot = address(api, field, &v)?;
            changed = true;
        }
        Ok(())
    };
    set("admin", u.admin, &mut config.admin)?;
    set("arbiter", u.arbiter, &mut config.arbiter)?;
    for (field, value, slot) in [
        ("marketplace", u.marketplace, &mut config.marketplace),
        ("hpc", u.hpc, &mut config.hpc),
        (
            "callback_contract",
            u.callback_contract,
            &mut config.callback_contract,
        ),
    ] {
        if let Some(v) = value {
            *slot = Some(address(api, field, &v)?);
            changed = true;
        }
    }
    if let Some(shares) = u.fee_shares {
        config.fee_shares = fee_shares(api, shares)?;
        changed = true;
    }
    if let Some(w) = u.ack_window_seconds {
        config.ack_window_seconds = w;
        changed = true;
    }
    if !changed {
        return Err(CommonError::NothingToUpdate.into());
    }
    validate_config(&config)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new().add_attribute("action", "update_config"))
}
