//! The records waldur-callback stores and its queries return. The storage
//! stays in the contract.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Timestamp};
use ve_types::{ActionType, EntityType};

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub marketplace: Option<Addr>,
    pub settlement: Option<Addr>,
    pub hpc: Option<Addr>,
    pub max_validity_seconds: u64,
    pub max_clock_skew_seconds: u64,
    pub max_payload_bytes: u32,
    pub prune_batch: u32,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Signer {
    /// 32-byte ed25519 public key.
    pub public_key: Binary,
    pub active: bool,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub registered_at: Timestamp,
    #[serde(default, with = "ve_types::packed::opt_timestamp")]
    #[schemars(with = "Option<Timestamp>")]
    pub revoked_at: Option<Timestamp>,
}

/// An applied callback, kept until it expires so a re-delivery is told
/// apart from an attack.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct CallbackRecord {
    pub signer_key_id: String,
    pub action_type: ActionType,
    pub entity_type: EntityType,
    pub entity_id: String,
    pub nonce: String,
    /// sha256 of the signing bytes.
    pub signing_hash: Binary,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub processed_at: Timestamp,
    pub expires_at: u64,
}
