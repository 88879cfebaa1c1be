//! Providers' ed25519 signer keys and the callbacks they sign, byte for
//! byte as the relayer signs them (ed25519-zebra over ve-types' signing
//! bytes).

use cosmwasm_std::{to_json_vec, Addr, Binary, StdResult};
use ed25519_zebra::{SigningKey, VerificationKey};
use serde::Serialize;
use ve_types::callback::{key_proof_bytes, KeyProofFields};
use ve_types::ActionType;
use waldur_callback::msg::SignedCallback;

/// How long a drafted callback stays valid.
pub const DRAFT_VALIDITY_SECONDS: u64 = 600;

/// A deterministic ed25519 key from a one-byte seed.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from([seed; 32])
}

/// `key`'s 32-byte public key.
pub fn public(key: &SigningKey) -> Binary {
    let vk: VerificationKey = key.into();
    Binary::from(<[u8; 32]>::from(vk).to_vec())
}

/// `key`'s proof of possession for its registration as `provider`'s
/// `key_id` on the callback contract `contract` of chain `chain_id`.
pub fn key_proof(
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
    provider: &str,
    key_id: &str,
) -> StdResult<Binary> {
    let vk: VerificationKey = key.into();
    let bytes = key_proof_bytes(&KeyProofFields {
        chain_id,
        contract,
        provider,
        key_id,
        public_key: &vk.into(),
    })?;
    Ok(Binary::from(<[u8; 64]>::from(key.sign(&bytes)).to_vec()))
}

/// Signs `cb` with `key` for the callback contract `contract` on `chain_id`.
pub fn sign_for(
    mut cb: SignedCallback,
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
) -> StdResult<SignedCallback> {
    let bytes = cb.signing_bytes(chain_id, contract)?;
    cb.signature = Binary::from(<[u8; 64]>::from(key.sign(&bytes)).to_vec());
    Ok(cb)
}

/// The `number`th unsigned callback of `provider` (key `k1`): callback id
/// `cb-{number}`, nonce `nonce-{number:08}`, dated `now` and valid
/// [`DRAFT_VALIDITY_SECONDS`]. Sign it with [`sign_for`].
pub fn draft_callback<P: Serialize>(
    provider: &Addr,
    action: ActionType,
    entity_id: &str,
    payload: &P,
    number: u64,
    now: u64,
) -> StdResult<SignedCallback> {
    Ok(SignedCallback {
        provider: provider.to_string(),
        signer_key_id: "k1".into(),
        callback_id: format!("cb-{number}"),
        action_type: action,
        waldur_id: "550e8400-e29b-41d4-a716-446655440003".into(),
        entity_type: action.entity_type(),
        entity_id: entity_id.into(),
        nonce: format!("nonce-{number:08}"),
        timestamp: now,
        expires_at: now + DRAFT_VALIDITY_SECONDS,
        payload: Binary::from(to_json_vec(payload)?),
        signature: Binary::default(),
    })
}
