//! Every namespace of the four contracts, taken from the contracts' own
//! `Item`, `Map` and index declarations (their names and their key and
//! value types), so a changed declaration changes the decoder with it.

use std::any::type_name;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use ve_cw::store::{Item, Map, MultiIndex};

use crate::keys::{map_key, KeyLayout, KeyReader};
use crate::Contract;

/// How a namespace's records are keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One record under the raw name.
    Item,
    /// Records under the length-prefixed name and a key.
    Map,
    /// A `MultiIndex` entry: index key, then the record's primary key.
    Index,
}

/// A record's key and value, decoded.
pub struct Parts {
    pub key: Vec<Value>,
    /// The primary key an index entry points at.
    pub primary_key: Option<Vec<Value>>,
    pub value: Value,
}

type Decoder = fn(key: &[u8], value: &[u8]) -> Result<Parts, String>;

/// One namespace: its name, kind, value type and decoder.
pub struct Namespace {
    pub name: &'static str,
    pub kind: Kind,
    pub value_type: &'static str,
    pub decode: Decoder,
}

/// A packed value (ve_cw::store), as JSON. The bytes must be exactly what
/// the contract's store writes for the decoded value, so trailing bytes or
/// a value of another type that happens to parse are refused.
fn packed<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<Value, String> {
    let value: T = ve_cw::store::decode(bytes).map_err(|e| e.to_string())?;
    let again = ve_cw::store::encode(&value).map_err(|e| e.to_string())?;
    if again != bytes {
        return Err(format!(
            "{} bytes do not re-pack to themselves as {} ({} bytes): trailing or non-canonical bytes",
            bytes.len(),
            value_type::<T>(),
            again.len()
        ));
    }
    serde_json::to_value(&value).map_err(|e| format!("{} as JSON: {e}", value_type::<T>()))
}

fn decode_item<T: Serialize + DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<Parts, String> {
    if !key.is_empty() {
        return Err("an item has no key after its name".into());
    }
    Ok(Parts {
        key: Vec::new(),
        primary_key: None,
        value: packed::<T>(value)?,
    })
}

fn decode_map<K: KeyLayout, T: Serialize + DeserializeOwned>(
    key: &[u8],
    value: &[u8],
) -> Result<Parts, String> {
    Ok(Parts {
        key: map_key::<K>(key)?,
        primary_key: None,
        value: packed::<T>(value)?,
    })
}

/// An index entry: the value is the primary key's length (four bytes,
/// big-endian), which must be the length of what follows the index key.
fn decode_index<IK: KeyLayout, PK: KeyLayout>(key: &[u8], value: &[u8]) -> Result<Parts, String> {
    let mut reader = KeyReader::new(key);
    let mut index_key = Vec::new();
    IK::read(&mut reader, false, &mut index_key)?;
    let pk = reader.rest();
    let pk_length = <[u8; 4]>::try_from(value)
        .map(u32::from_be_bytes)
        .map_err(|_| format!("{} value bytes, not a four-byte length", value.len()))?;
    if usize::try_from(pk_length).ok() != Some(pk.len()) {
        return Err(format!(
            "the entry names a {pk_length}-byte primary key, {} bytes follow the index key",
            pk.len()
        ));
    }
    Ok(Parts {
        key: index_key,
        primary_key: Some(map_key::<PK>(pk)?),
        value: Value::from(pk_length),
    })
}

/// cw2's `contract_info`: JSON (cw-storage-plus), not packed.
fn decode_cw2(key: &[u8], value: &[u8]) -> Result<Parts, String> {
    if !key.is_empty() {
        return Err("an item has no key after its name".into());
    }
    let info: cw2::ContractVersion =
        serde_json::from_slice(value).map_err(|e| format!("not a cw2 ContractVersion: {e}"))?;
    Ok(Parts {
        key: Vec::new(),
        primary_key: None,
        value: serde_json::to_value(info).map_err(|e| e.to_string())?,
    })
}

/// The key cw2 keeps the contract's name and version under.
pub const CW2_KEY: &str = "contract_info";

fn cw2() -> Namespace {
    Namespace {
        name: CW2_KEY,
        kind: Kind::Item,
        value_type: type_name::<cw2::ContractVersion>(),
        decode: decode_cw2,
    }
}

/// `ve_cw::admin`'s pending admin transfer: JSON (cw-storage-plus), not
/// packed, present while a transfer waits to be accepted.
fn decode_pending_admin(key: &[u8], value: &[u8]) -> Result<Parts, String> {
    if !key.is_empty() {
        return Err("an item has no key after its name".into());
    }
    let pending: ve_cw::admin::PendingAdmin =
        serde_json::from_slice(value).map_err(|e| format!("not a PendingAdmin: {e}"))?;
    Ok(Parts {
        key: Vec::new(),
        primary_key: None,
        value: serde_json::to_value(pending).map_err(|e| e.to_string())?,
    })
}

fn pending_admin() -> Namespace {
    Namespace {
        name: ve_cw::admin::PENDING_ADMIN_KEY,
        kind: Kind::Item,
        // Declared in ve-interface, named by the module that stores it.
        value_type: "ve_cw::admin::PendingAdmin",
        decode: decode_pending_admin,
    }
}

/// The name a record's type is printed with. The records are declared in
/// ve-interface and re-exported by each contract's `state` module; they
/// are named by the contract (`marketplace::state::Offering`), as readers
/// of the decoder's output have always seen them.
fn value_type<T>() -> &'static str {
    let name = type_name::<T>();
    name.strip_prefix("ve_interface::").unwrap_or(name)
}

fn item<T: Serialize + DeserializeOwned>(item: &Item<T>) -> Namespace {
    Namespace {
        name: item.storage_key(),
        kind: Kind::Item,
        value_type: value_type::<T>(),
        decode: decode_item::<T>,
    }
}

fn map<K: KeyLayout, T: Serialize + DeserializeOwned>(map: &Map<K, T>) -> Namespace {
    Namespace {
        name: map.namespace(),
        kind: Kind::Map,
        value_type: value_type::<T>(),
        decode: decode_map::<K, T>,
    }
}

fn index<IK: KeyLayout, T, PK: KeyLayout>(index: &MultiIndex<'_, IK, T, PK>) -> Namespace {
    Namespace {
        name: index.namespace(),
        kind: Kind::Index,
        value_type: "u32 (primary key length)",
        decode: decode_index::<IK, PK>,
    }
}

fn marketplace() -> Vec<Namespace> {
    use marketplace::state::*;
    let offerings = offerings();
    let orders = orders();
    let allocations = allocations();
    vec![
        cw2(),
        pending_admin(),
        item(&CONFIG),
        map(&OFFERING_SEQ),
        map(&ORDER_SEQ),
        map(&WALDUR_OFFERINGS),
        map(&OFFERING_SECRETS),
        map(offerings.primary()),
        index(&offerings.idx.provider_state),
        index(&offerings.idx.category),
        index(&offerings.idx.category_state),
        index(&offerings.idx.state),
        map(orders.primary()),
        index(&orders.idx.offering),
        map(&BIDS),
        map(allocations.primary()),
        index(&allocations.idx.provider),
    ]
}

fn settlement() -> Vec<Namespace> {
    use settlement::state::*;
    let escrows = escrows();
    let records = records();
    vec![
        cw2(),
        pending_admin(),
        item(&CONFIG),
        item(&RECORD_SEQ),
        map(escrows.primary()),
        index(&escrows.idx.customer),
        index(&escrows.idx.provider),
        index(&escrows.idx.state),
        map(records.primary()),
        index(&records.idx.escrow_state),
        index(&records.idx.escrow),
        index(&records.idx.allocation),
        map(&SUMMARIES),
        map(&FEE_TALLIES),
        map(&SETTLEMENTS),
    ]
}

fn hpc() -> Vec<Namespace> {
    use hpc::state::*;
    let offerings = offerings();
    let jobs = jobs();
    vec![
        cw2(),
        pending_admin(),
        item(&CONFIG),
        map(&CLUSTER_SEQ),
        map(&OFFERING_SEQ),
        map(&JOB_SEQ),
        map(&CLUSTERS),
        map(offerings.primary()),
        index(&offerings.idx.cluster),
        map(jobs.primary()),
        index(&jobs.idx.provider),
        index(&jobs.idx.offering),
        index(&jobs.idx.state),
    ]
}

fn waldur_callback() -> Vec<Namespace> {
    use waldur_callback::state::*;
    vec![
        cw2(),
        pending_admin(),
        item(&CONFIG),
        map(&SIGNERS),
        map(&ACTIVE_KEYS),
        map(&PUBLIC_KEYS),
        map(&NONCES),
        map(&CALLBACKS),
        map(&EXPIRY_QUEUE),
        item(&EXPIRY_SEQ),
        item(&NONCE_COUNT),
    ]
}

/// The namespaces of `contract`.
pub fn of(contract: Contract) -> Vec<Namespace> {
    match contract {
        Contract::Marketplace => marketplace(),
        Contract::Settlement => settlement(),
        Contract::Hpc => hpc(),
        Contract::WaldurCallback => waldur_callback(),
    }
}
