use cosmwasm_std::{Addr, Api, Binary, DepsMut, Env, Event, MessageInfo, Response, Storage};
use curve25519_dalek::edwards::CompressedEdwardsY;
use ve_cw::CommonError;

use super::{address, token};
use crate::error::ContractError;
use crate::state::{Signer, ACTIVE_KEYS, CONFIG, PUBLIC_KEYS, SIGNERS};
use ve_cw::no_funds;
use ve_types::callback::{key_proof_bytes, KeyProofFields};

pub const MAX_ACTIVE_KEYS: u32 = 8;
pub const MAX_KEY_ID_BYTES: usize = 64;

fn event(name: &str, provider: &Addr, key_id: &str) -> Event {
    Event::new(format!("ve.{name}"))
        .add_attribute("provider", provider.as_str())
        .add_attribute("key_id", key_id)
}

/// A usable ed25519 public key: 32 bytes that decode to a curve point, in
/// the one canonical encoding of that point (y below the field prime, no
/// sign bit on x = 0), and not of small order. A small-order key (the
/// identity and the other 7 torsion points) is weak: signatures "by" it
/// can be forged without any secret under cofactored verification, and it
/// proves nothing about who signed. A non-canonical encoding names a point
/// that a canonical key may name too, so it would dodge the one-owner rule
/// of the key registry.
pub fn check_public_key(public_key: &[u8]) -> Result<[u8; 32], ContractError> {
    let bytes: [u8; 32] = public_key.try_into().map_err(|_| {
        ContractError::invalid(
            "public_key",
            format!(
                "an ed25519 public key is 32 bytes, got {}",
                public_key.len()
            ),
        )
    })?;
    let compressed = CompressedEdwardsY(bytes);
    let point = compressed.decompress().ok_or_else(|| {
        ContractError::invalid(
            "public_key",
            "not an ed25519 public key: the bytes encode no point of the curve",
        )
    })?;
    if point.compress() != compressed {
        return Err(ContractError::invalid(
            "public_key",
            "non-canonical encoding of an ed25519 point; send the canonical 32 bytes",
        ));
    }
    if point.is_small_order() {
        return Err(ContractError::invalid(
            "public_key",
            "weak ed25519 key: a point of small order (the identity or another torsion point), which any signature can match",
        ));
    }
    Ok(bytes)
}

/// A new key is usable and its registration is signed by it: `proof` is
/// the ed25519 signature by `public_key` over [`key_proof_bytes`] of this
/// chain, this contract, the registering provider and `key_id`. Only the
/// holder of the private key can make it, so nobody can register (and so
/// block) a key that is not theirs; the proof names the provider and the
/// deployment, so a proof seen in another registration (another provider,
/// contract or chain) cannot be sent again.
fn prove_new_key(
    api: &dyn Api,
    env: &Env,
    provider: &Addr,
    key_id: &str,
    public_key: &[u8],
    proof: &[u8],
) -> Result<(), ContractError> {
    token("key_id", key_id, 1, MAX_KEY_ID_BYTES)?;
    let key = check_public_key(public_key)?;
    if proof.len() != 64 {
        return Err(ContractError::invalid(
            "proof",
            format!(
                "the proof of possession is a 64-byte ed25519 signature by the new key, got {} bytes",
                proof.len()
            ),
        ));
    }
    let bytes = key_proof_bytes(&KeyProofFields {
        chain_id: &env.block.chain_id,
        contract: env.contract.address.as_str(),
        provider: provider.as_str(),
        key_id,
        public_key: &key,
    })?;
    if api.ed25519_verify(&bytes, proof, &key)? {
        Ok(())
    } else {
        Err(ContractError::InvalidKeyProof {
            provider: provider.to_string(),
            key_id: key_id.to_string(),
            chain_id: env.block.chain_id.clone(),
            contract: env.contract.address.to_string(),
        })
    }
}

/// Stores a key that [`prove_new_key`] accepted.
fn add_key(
    storage: &mut dyn Storage,
    env: &Env,
    provider: &Addr,
    key_id: &str,
    public_key: Binary,
) -> Result<Event, ContractError> {
    if SIGNERS.has(storage, (provider, key_id)) {
        return Err(ContractError::KeyIdTaken {
            provider: provider.to_string(),
            key_id: key_id.to_string(),
        });
    }
    if let Some((owner, owner_key)) = PUBLIC_KEYS.may_load(storage, public_key.as_slice())? {
        return Err(ContractError::PublicKeyTaken {
            provider: owner.to_string(),
            key_id: owner_key,
        });
    }
    let active = ACTIVE_KEYS.may_load(storage, provider)?.unwrap_or_default();
    if active >= MAX_ACTIVE_KEYS {
        return Err(ContractError::TooManyKeys {
            provider: provider.to_string(),
            max: MAX_ACTIVE_KEYS,
        });
    }
    ACTIVE_KEYS.save(storage, provider, &(active + 1))?;
    PUBLIC_KEYS.save(
        storage,
        public_key.as_slice(),
        &(provider.clone(), key_id.to_string()),
    )?;
    SIGNERS.save(
        storage,
        (provider, key_id),
        &Signer {
            public_key,
            active: true,
            registered_at: env.block.time,
            revoked_at: None,
        },
    )?;
    Ok(event("signer_registered", provider, key_id))
}

fn revoke_key(
    storage: &mut dyn Storage,
    env: &Env,
    provider: &Addr,
    key_id: &str,
) -> Result<Event, ContractError> {
    let mut signer = SIGNERS
        .may_load(storage, (provider, key_id))?
        .ok_or_else(|| ContractError::UnknownSigner {
            provider: provider.to_string(),
            key_id: key_id.to_string(),
        })?;
    if !signer.active {
        return Err(ContractError::RevokedSigner {
            provider: provider.to_string(),
            key_id: key_id.to_string(),
        });
    }
    signer.active = false;
    signer.revoked_at = Some(env.block.time);
    SIGNERS.save(storage, (provider, key_id), &signer)?;
    let active = ACTIVE_KEYS.may_load(storage, provider)?.unwrap_or_default();
    ACTIVE_KEYS.save(storage, provider, &active.saturating_sub(1))?;
    Ok(event("signer_revoked", provider, key_id))
}

pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    key_id: String,
    public_key: Binary,
    proof: Binary,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    prove_new_key(deps.api, &env, &info.sender, &key_id, &public_key, &proof)?;
    let event = add_key(deps.storage, &env, &info.sender, &key_id, public_key)?;
    Ok(Response::new()
        .add_attribute("action", "register_signer")
        .add_event(event))
}

pub fn rotate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    old_key_id: String,
    new_key_id: String,
    public_key: Binary,
    proof: Binary,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    prove_new_key(
        deps.api,
        &env,
        &info.sender,
        &new_key_id,
        &public_key,
        &proof,
    )?;
    let revoked = revoke_key(deps.storage, &env, &info.sender, &old_key_id)?;
    let added = add_key(deps.storage, &env, &info.sender, &new_key_id, public_key)?;
    Ok(Response::new()
        .add_attribute("action", "rotate_signer")
        .add_event(revoked)
        .add_event(added))
}

pub fn revoke(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    provider: Option<String>,
    key_id: String,
) -> Result<Response, ContractError> {
    no_funds(&info)?;
    let provider = match provider {
        Some(p) => address(deps.api, "provider", &p)?,
        None => info.sender.clone(),
    };
    if provider != info.sender && info.sender != CONFIG.load(deps.storage)?.admin {
        return Err(CommonError::Unauthorized {
            action: "revoke another provider's key",
            allowed: "the admin",
        }
        .into());
    }
    let event = revoke_key(deps.storage, &env, &provider, &key_id)?;
    Ok(Response::new()
        .add_attribute("action", "revoke_signer")
        .add_event(event))
}
