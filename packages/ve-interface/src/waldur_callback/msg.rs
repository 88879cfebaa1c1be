use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Binary;
use ve_types::callback::{signing_bytes, CallbackFields, SigningError};
use ve_types::{ActionType, EntityType};

use super::state::Signer;

/// Most callbacks one `submit_callbacks` takes.
pub const MAX_BATCH: usize = 50;

#[cw_serde]
pub struct InstantiateMsg {
    /// Defaults to the sender.
    pub admin: Option<String>,
    pub marketplace: Option<String>,
    pub settlement: Option<String>,
    pub hpc: Option<String>,
    /// Longest allowed `expires_at - timestamp` (default 3,600 s).
    pub max_validity_seconds: Option<u64>,
    /// How far `timestamp` may be ahead of block time (default 60 s).
    pub max_clock_skew_seconds: Option<u64>,
    /// Largest payload accepted (default 4,096 bytes).
    pub max_payload_bytes: Option<u32>,
    /// Expired nonces removed per execute at least (default 20).
    pub prune_batch: Option<u32>,
}

/// A Waldur action signed by a provider's registered key. The signature is
/// ed25519 over `ve_types::callback::signing_bytes` (layout in the README).
#[cw_serde]
pub struct SignedCallback {
    pub provider: String,
    pub signer_key_id: String,
    /// Unique per provider; a re-delivery of the same callback answers
    /// `already_processed`.
    pub callback_id: String,
    pub action_type: ActionType,
    pub waldur_id: String,
    pub entity_type: EntityType,
    pub entity_id: String,
    /// Unique per signer key.
    pub nonce: String,
    /// Unix seconds.
    pub timestamp: u64,
    pub expires_at: u64,
    /// The JSON payload of the action, exactly the bytes that were hashed.
    pub payload: Binary,
    /// 64-byte ed25519 signature.
    pub signature: Binary,
}

impl SignedCallback {
    /// Everything the signature covers, for the callback contract
    /// `contract` on chain `chain_id`: the one assembly the contract, the
    /// relayer and the tests sign and verify with.
    pub fn signing_fields<'a>(
        &'a self,
        chain_id: &'a str,
        contract: &'a str,
    ) -> CallbackFields<'a> {
        CallbackFields {
            chain_id,
            contract,
            provider: &self.provider,
            signer_key_id: &self.signer_key_id,
            callback_id: &self.callback_id,
            action: self.action_type,
            waldur_id: &self.waldur_id,
            entity_type: self.entity_type,
            entity_id: &self.entity_id,
            nonce: &self.nonce,
            timestamp: self.timestamp,
            expires_at: self.expires_at,
            payload: self.payload.as_slice(),
        }
    }

    /// The bytes the signature is over (`ve_types::callback::signing_bytes`).
    pub fn signing_bytes(&self, chain_id: &str, contract: &str) -> Result<Vec<u8>, SigningError> {
        signing_bytes(&self.signing_fields(chain_id, contract))
    }
}

/// The fields of `update_config`: the fields to replace; `None` keeps
/// the stored value.
#[cw_serde]
pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub marketplace: Option<String>,
    pub settlement: Option<String>,
    pub hpc: Option<String>,
    pub max_validity_seconds: Option<u64>,
    pub max_clock_skew_seconds: Option<u64>,
    pub max_payload_bytes: Option<u32>,
    pub prune_batch: Option<u32>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// The sender (a provider) registers a 32-byte ed25519 public key.
    RegisterSigner {
        key_id: String,
        public_key: Binary,
        /// Proof of possession: the 64-byte ed25519 signature by this key
        /// over `ve_types::callback::key_proof_bytes` (this chain's id,
        /// this contract's address, the sender, `key_id`, `public_key`).
        proof: Binary,
    },
    /// Registers a new key and revokes an old one in one step.
    RotateSigner {
        old_key_id: String,
        new_key_id: String,
        public_key: Binary,
        /// The new key's proof of possession, as for `register_signer`
        /// (over `new_key_id`).
        proof: Binary,
    },
    /// A provider revokes its own key; the admin may revoke any provider's.
    RevokeSigner {
        provider: Option<String>,
        key_id: String,
    },
    SubmitCallback {
        callback: SignedCallback,
    },
    /// Up to 50 callbacks, verified together with `ed25519_batch_verify`.
    /// All apply or none; re-deliveries inside count as already processed.
    SubmitCallbacks {
        callbacks: Vec<SignedCallback>,
    },
    /// Anyone: removes up to `limit` (max 500) expired nonces.
    PruneNonces {
        limit: Option<u32>,
    },
    /// Admin: proposes `new_admin` as the next admin (replacing an earlier
    /// proposal), to be accepted before `expiry` when given. The admin
    /// changes only when the proposed account accepts (`accept_admin`).
    ProposeAdmin {
        new_admin: String,
        expiry: Option<crate::admin::Expiration>,
    },
    /// The proposed admin: becomes the admin; the proposal is cleared.
    AcceptAdmin {},
    /// Admin: withdraws the pending proposal.
    CancelAdminTransfer {},
    /// Admin. Its `admin` field replaces the admin in one step, unchecked
    /// by the new account; `propose_admin`/`accept_admin` is the safe path.
    UpdateConfig(ConfigUpdate),
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(super::state::Config)]
    Config {},
    /// The proposed next admin, or null.
    #[returns(Option<crate::admin::PendingAdmin>)]
    PendingAdmin {},
    #[returns(SignerResponse)]
    Signer { provider: String, key_id: String },
    /// `start_after` is a key id.
    #[returns(SignersResponse)]
    Signers {
        provider: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(NonceStatusResponse)]
    NonceStatus {
        provider: String,
        key_id: String,
        nonce: String,
    },
    #[returns(super::state::CallbackRecord)]
    Callback {
        provider: String,
        callback_id: String,
    },
    /// How many nonces are stored (bounded by the validity window).
    #[returns(NonceCountResponse)]
    NonceCount {},
}

#[cw_serde]
pub struct SignerResponse {
    pub provider: String,
    pub key_id: String,
    pub signer: Signer,
}

#[cw_serde]
pub struct SignersResponse {
    pub signers: Vec<SignerResponse>,
}

#[cw_serde]
pub struct NonceStatusResponse {
    pub used: bool,
    /// When the nonce may be pruned (unix seconds).
    pub expires_at: Option<u64>,
}

#[cw_serde]
pub struct NonceCountResponse {
    pub stored: u64,
}

/// What happened to each submitted callback, in order (the response data).
#[cw_serde]
pub enum CallbackOutcome {
    Processed,
    AlreadyProcessed,
}
