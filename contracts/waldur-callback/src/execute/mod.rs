//! Execute handlers, one module per capability.

pub mod admin;
pub mod callbacks;
pub mod dispatch;
pub mod prune;
pub mod signers;

use cosmwasm_std::{Addr, Api};

use crate::error::ContractError;

/// `addr_validate` with an error that names the field.
pub(crate) fn address(
    api: &dyn Api,
    field: &'static str,
    addr: &str,
) -> Result<Addr, ContractError> {
    api.addr_validate(addr)
        .map_err(|e| ContractError::invalid(field, format!("{addr:?} is not a valid address: {e}")))
}

/// 1-`max` visible ASCII characters.
pub(crate) fn token(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<(), ContractError> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ContractError::invalid(
            field,
            format!("must be {min}-{max} visible ASCII characters"),
        ));
    }
    Ok(())
}
