use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Timestamp};
use ve_cw::store::{Item, Map};
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

/// What to delete when a callback's validity has passed.
#[cw_serde]
pub struct PruneEntry {
    pub provider: Addr,
    pub signer_key_id: String,
    pub nonce: String,
    pub callback_id: String,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// (provider, key id) -> key. Key ids are never reused by a provider.
pub const SIGNERS: Map<(&Addr, &str), Signer> = Map::new("signers");
/// Active keys per provider.
pub const ACTIVE_KEYS: Map<&Addr, u32> = Map::new("active_keys");
/// public key -> (provider, key id): one key, one registration.
pub const PUBLIC_KEYS: Map<&[u8], (Addr, String)> = Map::new("public_keys");
/// (provider, key id, nonce) -> expires_at.
pub const NONCES: Map<(&Addr, &str, &str), u64> = Map::new("nonces");
/// (provider, callback id) -> record.
pub const CALLBACKS: Map<(&Addr, &str), CallbackRecord> = Map::new("callbacks");
/// (expires_at, sequence) -> entry: oldest first, for pruning.
pub const EXPIRY_QUEUE: Map<(u64, u64), PruneEntry> = Map::new("expiry_queue");
pub const EXPIRY_SEQ: Item<u64> = Item::new("expiry_seq");
/// Number of nonces stored.
pub const NONCE_COUNT: Item<u64> = Item::new("nonce_count");

impl ve_cw::admin::AdminConfig for Config {
    fn admin(&self) -> &Addr {
        &self.admin
    }
    fn set_admin(&mut self, admin: Addr) {
        self.admin = admin;
    }
}
