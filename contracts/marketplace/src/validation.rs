//! Input limits and checks. Every bound here keeps a stored record small and
//! the gas of handling it predictable.

pub use ve_cw::validate::{
    attributes, identity_score, label, text, MAX_DESCRIPTION_CHARS, MAX_IDENTITY_SCORE,
    MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS, MAX_REF_CHARS, MAX_VALUE_CHARS,
};

use crate::error::ContractError;
use crate::msg::{EncryptedSecrets, OfferingFields};

pub const MAX_LIST_ITEMS: usize = 32;
pub const MAX_BACKEND_ID_CHARS: usize = 128;
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
pub const MAX_RECIPIENTS: usize = 16;
pub const MAX_QUANTITY: u32 = 1_000_000;

fn label_list(field: &'static str, items: &[String]) -> Result<(), ContractError> {
    if items.len() > MAX_LIST_ITEMS {
        return Err(ContractError::invalid(
            field,
            format!("{} items, at most {MAX_LIST_ITEMS}", items.len()),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        label(field, item)?;
        if items[..i].contains(item) {
            return Err(ContractError::invalid(field, format!("duplicate {item:?}")));
        }
    }
    Ok(())
}

pub fn regions(items: &[String]) -> Result<(), ContractError> {
    label_list("regions", items)
}

pub fn tags(items: &[String]) -> Result<(), ContractError> {
    label_list("tags", items)
}

pub fn secrets(s: &EncryptedSecrets) -> Result<(), ContractError> {
    if s.envelope.is_empty() || s.envelope.len() > MAX_SECRET_BYTES {
        return Err(ContractError::invalid(
            "encrypted_secrets.envelope",
            format!("{} bytes, must be 1-{MAX_SECRET_BYTES}", s.envelope.len()),
        ));
    }
    if s.recipient_key_ids.is_empty() || s.recipient_key_ids.len() > MAX_RECIPIENTS {
        return Err(ContractError::invalid(
            "encrypted_secrets.recipient_key_ids",
            format!(
                "{} ids, must be 1-{MAX_RECIPIENTS}",
                s.recipient_key_ids.len()
            ),
        ));
    }
    for id in &s.recipient_key_ids {
        text(
            "encrypted_secrets.recipient_key_ids",
            id,
            MAX_BACKEND_ID_CHARS,
            false,
        )?;
    }
    Ok(())
}

pub fn offering_fields(f: &OfferingFields) -> Result<(), ContractError> {
    text("name", &f.name, MAX_NAME_CHARS, false)?;
    text("description", &f.description, MAX_DESCRIPTION_CHARS, true)?;
    f.pricing.validate()?;
    regions(&f.regions)?;
    tags(&f.tags)?;
    attributes("specifications", &f.specifications)?;
    Ok(identity_score(f.min_identity_score)?)
}

pub fn reason(r: &Option<String>) -> Result<(), ContractError> {
    match r {
        Some(r) => Ok(text("reason", r, MAX_REASON_CHARS, false)?),
        None => Ok(()),
    }
}

pub fn quantity(q: u32) -> Result<(), ContractError> {
    if q == 0 || q > MAX_QUANTITY {
        return Err(ContractError::invalid(
            "quantity",
            format!("{q} must be 1-{MAX_QUANTITY}"),
        ));
    }
    Ok(())
}

pub fn encrypted_ref(r: &Option<String>) -> Result<(), ContractError> {
    match r {
        Some(r) => {
            text("encrypted_config_ref", r, MAX_REF_CHARS, false)?;
            if r.chars().any(char::is_whitespace) {
                return Err(ContractError::invalid(
                    "encrypted_config_ref",
                    "contains whitespace",
                ));
            }
            Ok(())
        }
        None => Ok(()),
    }
}

/// A Waldur UUID or other backend handle: 1-128 visible ASCII characters.
pub fn backend_id(id: &str) -> Result<(), ContractError> {
    if id.is_empty() || id.len() > MAX_BACKEND_ID_CHARS || !id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ContractError::invalid(
            "backend_id",
            format!("must be 1-{MAX_BACKEND_ID_CHARS} visible ASCII characters"),
        ));
    }
    Ok(())
}

pub use ve_cw::address;
