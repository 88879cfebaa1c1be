//! Signs Waldur actions for the waldur-callback contract with the
//! provider's ed25519 key, over the canonical bytes of `ve_types::callback`
//! (the same function the contract verifies with); and proves possession
//! of the key when the provider registers it (`key_proof_bytes`).

use cosmwasm_std::Binary;
use ed25519_zebra::{SigningKey, VerificationKey};
use sha2::{Digest, Sha256};
use ve_interface::waldur_callback::msg::{ExecuteMsg, SignedCallback};
use ve_types::callback::{key_proof_bytes, KeyProofFields, SigningError};
use ve_types::ActionType;

/// What the relayer wants to tell the chain, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackDraft {
    /// Derived from the chain event that caused it, so a re-delivered event
    /// produces the same id and the contract answers `already_processed`.
    pub callback_id: String,
    pub action: ActionType,
    pub waldur_id: String,
    pub entity_id: String,
    pub payload: Vec<u8>,
}

impl CallbackDraft {
    /// What a signed callback says, to be signed again.
    pub fn of(signed: &SignedCallback) -> Self {
        CallbackDraft {
            callback_id: signed.callback_id.clone(),
            action: signed.action_type,
            waldur_id: signed.waldur_id.clone(),
            entity_id: signed.entity_id.clone(),
            payload: signed.payload.to_vec(),
        }
    }
}

/// A provider's signing identity on one deployment.
pub struct Signer {
    key: SigningKey,
    pub key_id: String,
    pub provider: String,
    pub chain_id: String,
    pub contract: String,
    /// Seconds a signed callback stays valid (at most the contract's
    /// `max_validity_seconds`).
    pub validity_seconds: u64,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .field("provider", &self.provider)
            .field("public_key", &hex::encode(self.public_key()))
            .finish()
    }
}

impl Signer {
    pub fn new(
        seed: [u8; 32],
        key_id: impl Into<String>,
        provider: impl Into<String>,
        chain_id: impl Into<String>,
        contract: impl Into<String>,
    ) -> Self {
        Signer {
            key: SigningKey::from(seed),
            key_id: key_id.into(),
            provider: provider.into(),
            chain_id: chain_id.into(),
            contract: contract.into(),
            validity_seconds: 600,
        }
    }

    pub fn public_key(&self) -> [u8; 32] {
        VerificationKey::from(&self.key).into()
    }

    /// The key's proof of possession for its registration as `key_id` of
    /// `provider` on `contract` of `chain_id`: the signature the contract
    /// asks for as `proof` in `register_signer` and `rotate_signer`.
    pub fn key_proof(&self) -> Result<Binary, SigningError> {
        let public_key = self.public_key();
        let bytes = key_proof_bytes(&KeyProofFields {
            chain_id: &self.chain_id,
            contract: &self.contract,
            provider: &self.provider,
            key_id: &self.key_id,
            public_key: &public_key,
        })?;
        let proof: [u8; 64] = self.key.sign(&bytes).into();
        Ok(Binary::from(proof.to_vec()))
    }

    /// `register_signer` of this key, with its proof; the provider sends it
    /// to the waldur-callback contract.
    pub fn register_message(&self) -> Result<ExecuteMsg, SigningError> {
        Ok(ExecuteMsg::RegisterSigner {
            key_id: self.key_id.clone(),
            public_key: Binary::from(self.public_key().to_vec()),
            proof: self.key_proof()?,
        })
    }

    /// `rotate_signer` from the provider's key `old_key_id` to this key.
    pub fn rotate_message(&self, old_key_id: &str) -> Result<ExecuteMsg, SigningError> {
        Ok(ExecuteMsg::RotateSigner {
            old_key_id: old_key_id.to_string(),
            new_key_id: self.key_id.clone(),
            public_key: Binary::from(self.public_key().to_vec()),
            proof: self.key_proof()?,
        })
    }

    /// A nonce unique per (key, callback, signing time): the callback id is
    /// unique per provider and a re-signed callback gets a new time.
    fn nonce(&self, callback_id: &str, timestamp: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.key_id.as_bytes());
        h.update([0]);
        h.update(callback_id.as_bytes());
        h.update(timestamp.to_be_bytes());
        hex::encode(&h.finalize()[..16])
    }

    pub fn sign(&self, draft: &CallbackDraft, now: u64) -> Result<SignedCallback, SigningError> {
        let nonce = self.nonce(&draft.callback_id, now);
        let expires_at = now + self.validity_seconds;
        let entity_type = draft.action.entity_type();
        let mut callback = SignedCallback {
            provider: self.provider.clone(),
            signer_key_id: self.key_id.clone(),
            callback_id: draft.callback_id.clone(),
            action_type: draft.action,
            waldur_id: draft.waldur_id.clone(),
            entity_type,
            entity_id: draft.entity_id.clone(),
            nonce,
            timestamp: now,
            expires_at,
            payload: Binary::from(draft.payload.clone()),
            signature: Binary::default(),
        };
        let bytes = callback.signing_bytes(&self.chain_id, &self.contract)?;
        let signature: [u8; 64] = self.key.sign(&bytes).into();
        callback.signature = Binary::from(signature.to_vec());
        Ok(callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ve_types::callback::{signing_bytes, CallbackFields};

    fn draft() -> CallbackDraft {
        CallbackDraft {
            callback_id: "provision:c/1/1:active".into(),
            action: ActionType::Provision,
            waldur_id: "abc".into(),
            entity_id: "c/1/1".into(),
            payload: br#"{"state":"active"}"#.to_vec(),
        }
    }

    #[test]
    fn signatures_verify_over_the_shared_bytes() {
        let signer = Signer::new([3; 32], "k1", "ve1prov", "chain-1", "ve1cb");
        let cb = signer.sign(&draft(), 1_000).unwrap();
        let bytes = signing_bytes(&CallbackFields {
            chain_id: "chain-1",
            contract: "ve1cb",
            provider: "ve1prov",
            signer_key_id: "k1",
            callback_id: &cb.callback_id,
            action: cb.action_type,
            waldur_id: &cb.waldur_id,
            entity_type: cb.entity_type,
            entity_id: &cb.entity_id,
            nonce: &cb.nonce,
            timestamp: 1_000,
            expires_at: 1_600,
            payload: cb.payload.as_slice(),
        })
        .unwrap();
        let sig: [u8; 64] = cb.signature.as_slice().try_into().unwrap();
        VerificationKey::try_from(signer.public_key())
            .unwrap()
            .verify(&sig.into(), &bytes)
            .unwrap();
    }

    #[test]
    fn key_proofs_verify_over_the_shared_bytes() {
        let signer = Signer::new([3; 32], "k1", "ve1prov", "chain-1", "ve1cb");
        let ExecuteMsg::RegisterSigner {
            key_id,
            public_key,
            proof,
        } = signer.register_message().unwrap()
        else {
            panic!("not register_signer")
        };
        assert_eq!(key_id, "k1");
        assert_eq!(public_key.as_slice(), signer.public_key());
        let bytes = key_proof_bytes(&KeyProofFields {
            chain_id: "chain-1",
            contract: "ve1cb",
            provider: "ve1prov",
            key_id: "k1",
            public_key: &signer.public_key(),
        })
        .unwrap();
        let sig: [u8; 64] = proof.as_slice().try_into().unwrap();
        VerificationKey::try_from(signer.public_key())
            .unwrap()
            .verify(&sig.into(), &bytes)
            .unwrap();
        let ExecuteMsg::RotateSigner {
            old_key_id,
            new_key_id,
            proof: rotated,
            ..
        } = signer.rotate_message("k0").unwrap()
        else {
            panic!("not rotate_signer")
        };
        assert_eq!((old_key_id.as_str(), new_key_id.as_str()), ("k0", "k1"));
        assert_eq!(rotated, proof);
    }

    #[test]
    fn nonces_differ_per_callback_and_time() {
        let signer = Signer::new([3; 32], "k1", "p", "c", "x");
        let a = signer.sign(&draft(), 1).unwrap();
        let b = signer.sign(&draft(), 2).unwrap();
        let mut other = draft();
        other.callback_id.push('x');
        let c = signer.sign(&other, 1).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.nonce, c.nonce);
        assert!(a.nonce.len() >= 8);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let signer = Signer::new([3; 32], "k1", "p", "c", "x");
        let shown = format!("{signer:?}");
        assert!(!shown.contains(&hex::encode([3u8; 32])));
        assert!(shown.contains("public_key"));
    }
}
