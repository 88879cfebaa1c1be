//! Execute handlers, one module per capability.

pub mod admin;
pub mod callbacks;
pub mod dispatch;
pub mod prune;
pub mod signers;

pub(crate) use ve_cw::address;

use crate::error::ContractError;

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
