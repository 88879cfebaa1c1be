use cosmwasm_std::VerificationError;
use thiserror::Error;
use ve_cw::CommonError;
use ve_types::callback::SigningError;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error(transparent)]
    Common(#[from] CommonError),

    #[error("{0}")]
    Signing(#[from] SigningError),

    #[error("signature verification failed to run: {0}")]
    Verification(#[from] VerificationError),

    #[error("key {key_id} of {provider} is already registered")]
    KeyIdTaken { provider: String, key_id: String },

    #[error("this public key is already registered (to {provider}, key {key_id})")]
    PublicKeyTaken { provider: String, key_id: String },

    #[error(
        "invalid proof of possession for key {key_id}: `proof` must be the ed25519 signature, by the key being registered, of ve_types::callback::key_proof_bytes over chain id {chain_id}, contract {contract}, provider {provider} (the sender), key id {key_id} and the public key; a proof made by another key, or for another provider, key id, contract or chain, does not verify"
    )]
    InvalidKeyProof {
        provider: String,
        key_id: String,
        chain_id: String,
        contract: String,
    },

    #[error("{provider} already has the maximum of {max} active keys")]
    TooManyKeys { provider: String, max: u32 },

    #[error("unknown signer: {provider} has no key {key_id}")]
    UnknownSigner { provider: String, key_id: String },

    #[error("revoked signer: key {key_id} of {provider} was revoked")]
    RevokedSigner { provider: String, key_id: String },

    #[error("invalid signature on callback {callback_id} of {provider}")]
    InvalidSignature {
        provider: String,
        callback_id: String,
    },

    #[error(
        "callback {callback_id} is dated {timestamp}, beyond the allowed clock skew (now {now})"
    )]
    FutureTimestamp {
        callback_id: String,
        timestamp: u64,
        now: u64,
    },

    #[error("callback {callback_id} expired at {expires_at} (now {now})")]
    Expired {
        callback_id: String,
        expires_at: u64,
        now: u64,
    },

    #[error(
        "callback {callback_id}: expires_at must be after timestamp and at most {max} s after it"
    )]
    ValidityWindow { callback_id: String, max: u64 },

    #[error("replayed nonce {nonce} of key {key_id} of {provider}")]
    ReplayedNonce {
        provider: String,
        key_id: String,
        nonce: String,
    },

    #[error("callback id {callback_id} of {provider} was already used for a different callback")]
    CallbackIdReused {
        provider: String,
        callback_id: String,
    },

    #[error("no {0} contract is configured")]
    TargetNotConfigured(&'static str),
}

ve_cw::common_error_conversions!(ContractError);

impl ContractError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        CommonError::Field(ve_cw::FieldError::new(field, reason)).into()
    }
}
