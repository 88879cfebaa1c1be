//! waldur-callback's storage. The records its queries return are the
//! interface's (`ve_interface::waldur_callback::state`), re-exported here.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use ve_cw::store::{Item, Map};

pub use ve_interface::waldur_callback::state::*;

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
