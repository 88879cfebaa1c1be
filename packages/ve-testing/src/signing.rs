//! Providers' ed25519 signer keys and the callbacks they sign, byte for
//! byte as the relayer signs them (ed25519-zebra over ve-types' signing
//! bytes).

use cosmwasm_std::{to_json_vec, Addr, Binary, StdResult};
use cw_multi_test::App;
use ed25519_zebra::{SigningKey, VerificationKey};
use serde::Serialize;
use ve_types::callback::{key_proof_bytes, AllocationStatePayload, KeyProofFields};
use ve_types::{ActionType, AllocationState};
use waldur_callback::msg::{ExecuteMsg, SignedCallback};

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

/// Callbacks for the callback contract `contract` on an `App`'s chain:
/// drafted with fresh numbers (one deployment's callbacks never share an
/// id or nonce) and signed for that chain and contract.
#[derive(Clone, Debug)]
pub struct CallbackSigner {
    pub contract: Addr,
    drafted: u64,
}

impl CallbackSigner {
    pub fn new(contract: &Addr) -> Self {
        CallbackSigner {
            contract: contract.clone(),
            drafted: 0,
        }
    }

    /// `key`'s proof of possession for its registration as `provider`'s
    /// `key_id` here.
    pub fn proof(
        &self,
        app: &App,
        key: &SigningKey,
        provider: &Addr,
        key_id: &str,
    ) -> StdResult<Binary> {
        let chain_id = app.block_info().chain_id;
        key_proof(
            key,
            &chain_id,
            self.contract.as_str(),
            provider.as_str(),
            key_id,
        )
    }

    /// `register_signer` of `key` as `provider`'s `key_id`, with its proof.
    pub fn register_msg(
        &self,
        app: &App,
        key: &SigningKey,
        provider: &Addr,
        key_id: &str,
    ) -> StdResult<ExecuteMsg> {
        Ok(ExecuteMsg::RegisterSigner {
            key_id: key_id.into(),
            public_key: public(key),
            proof: self.proof(app, key, provider, key_id)?,
        })
    }

    /// The next unsigned callback of `provider`, dated at `app`'s block
    /// time (see [`draft_callback`]).
    pub fn draft<P: Serialize>(
        &mut self,
        app: &App,
        provider: &Addr,
        action: ActionType,
        entity_id: &str,
        payload: &P,
    ) -> StdResult<SignedCallback> {
        self.drafted += 1;
        let now = app.block_info().time.seconds();
        draft_callback(provider, action, entity_id, payload, self.drafted, now)
    }

    /// Signs `cb` with `key` for this chain and contract.
    pub fn sign(
        &self,
        app: &App,
        cb: SignedCallback,
        key: &SigningKey,
    ) -> StdResult<SignedCallback> {
        let chain_id = app.block_info().chain_id;
        sign_for(cb, key, &chain_id, self.contract.as_str())
    }

    /// `provider`'s allocation state report, drafted and signed with `key`.
    pub fn state_callback(
        &mut self,
        app: &App,
        key: &SigningKey,
        provider: &Addr,
        action: ActionType,
        allocation: &str,
        state: AllocationState,
    ) -> StdResult<SignedCallback> {
        let payload = AllocationStatePayload {
            state,
            backend_id: None,
            reason: None,
        };
        let draft = self.draft(app, provider, action, allocation, &payload)?;
        self.sign(app, draft, key)
    }
}
