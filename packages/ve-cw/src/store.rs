//! Contract storage with compact values.
//!
//! The same key layout as cw-storage-plus (length-prefixed namespaces,
//! `PrimaryKey` encodings, `Bound`s, prefixes, multi-index entries), but
//! every stored value is postcard (fields in order, integers as varints,
//! no field names) instead of JSON. In the VM a record read is JSON parsing and a write is
//! JSON printing, paid per wasm instruction: the packed form is about half
//! the bytes and skips field-name matching and number parsing, so records
//! cost far less gas to load and save (bench/gas.md). Messages, query
//! answers and events stay JSON: only what the contract keeps for itself
//! changed.
//!
//! `Uint128` and `Timestamp` fields of stored types carry
//! `ve_types::packed` attributes: cosmwasm-std would write them as decimal
//! strings even here, and formatting and parsing them was most of a
//! record's cost.
//!
//! Stored values are private to the contract; raw-state readers see packed
//! bytes. A field added to a stored type changes the layout, so stored
//! types change only with a migration.

mod indexed;

use std::any::type_name;
use std::marker::PhantomData;

use cosmwasm_std::storage_keys::namespace_with_key;
use cosmwasm_std::{Order, Record, StdError, StdResult, Storage};
use cw_storage_plus::{Bound, IndexPrefix, KeyDeserialize, Prefixer, PrimaryKey};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use indexed::{IndexedMap, MultiIndex};

/// The packed bytes of a stored value.
#[cfg(not(feature = "json-store"))]
pub fn encode<T: Serialize + ?Sized>(value: &T) -> StdResult<Vec<u8>> {
    postcard::to_allocvec(value)
        .map_err(|e| StdError::msg(format!("cannot pack {}: {e}", type_name::<T>())))
}

/// A stored value from its packed bytes.
#[cfg(not(feature = "json-store"))]
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StdResult<T> {
    postcard::from_bytes(bytes)
        .map_err(|e| StdError::msg(format!("cannot unpack {}: {e}", type_name::<T>())))
}

/// Bench only (`json-store`): stored values as cosmwasm-std's JSON, to
/// measure what packing saves on a real chain (bench/devnet-store.md).
#[cfg(feature = "json-store")]
pub fn encode<T: Serialize + ?Sized>(value: &T) -> StdResult<Vec<u8>> {
    cosmwasm_std::to_json_vec(value)
}

/// Bench only (`json-store`): the JSON counterpart of [`encode`].
#[cfg(feature = "json-store")]
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StdResult<T> {
    cosmwasm_std::from_json(bytes)
}

fn not_found<T>(key: &[u8]) -> StdError {
    StdError::msg(format!(
        "type: {}; key: {key:02X?} not found",
        type_name::<T>()
    ))
}

fn load_at<T: DeserializeOwned>(store: &dyn Storage, key: &[u8]) -> StdResult<T> {
    match store.get(key) {
        Some(bytes) => decode(&bytes),
        None => Err(not_found::<T>(key)),
    }
}

fn may_load_at<T: DeserializeOwned>(store: &dyn Storage, key: &[u8]) -> StdResult<Option<T>> {
    store.get(key).map(|bytes| decode(&bytes)).transpose()
}

/// Decodes one (key, value) pair of a range under a prefix.
fn decode_kv<K: KeyDeserialize, T: DeserializeOwned>(
    _: &dyn Storage,
    _: &[u8],
    (key, value): Record,
) -> StdResult<(K::Output, T)> {
    Ok((K::from_vec(key)?, decode(&value)?))
}

fn decode_v<T: DeserializeOwned>(
    _: &dyn Storage,
    _: &[u8],
    (key, value): Record,
) -> StdResult<Record<T>> {
    Ok((key, decode(&value)?))
}

/// Values under `namespace` and `sub_names`, decoded as they are read.
fn packed_prefix<K, T, B>(
    namespace: &str,
    sub_names: &[cw_storage_plus::Key],
) -> IndexPrefix<K, T, B>
where
    K: KeyDeserialize,
    T: Serialize + DeserializeOwned,
{
    IndexPrefix::with_deserialization_functions(
        namespace.as_bytes(),
        sub_names,
        &[],
        decode_kv::<K, T>,
        decode_v::<T>,
    )
}

/// One packed value under a fixed key.
pub struct Item<T> {
    key: &'static str,
    value: PhantomData<T>,
}

impl<T> Item<T> {
    /// The raw storage key (no length prefix, as cw-storage-plus): for
    /// raw-state readers (ve-state).
    pub const fn storage_key(&self) -> &'static str {
        self.key
    }
}

impl<T: Serialize + DeserializeOwned> Item<T> {
    pub const fn new(key: &'static str) -> Self {
        Item {
            key,
            value: PhantomData,
        }
    }

    pub fn save(&self, store: &mut dyn Storage, value: &T) -> StdResult<()> {
        store.set(self.key.as_bytes(), &encode(value)?);
        Ok(())
    }

    pub fn load(&self, store: &dyn Storage) -> StdResult<T> {
        load_at(store, self.key.as_bytes())
    }

    pub fn may_load(&self, store: &dyn Storage) -> StdResult<Option<T>> {
        may_load_at(store, self.key.as_bytes())
    }
}

/// Packed values under a namespace, keyed like a cw-storage-plus `Map`.
pub struct Map<K, T> {
    namespace: &'static str,
    types: PhantomData<(K, T)>,
}

impl<K, T> Map<K, T> {
    /// The namespace its keys start with (length-prefixed): for raw-state
    /// readers (ve-state).
    pub const fn namespace(&self) -> &'static str {
        self.namespace
    }
}

impl<'a, K, T> Map<K, T>
where
    K: PrimaryKey<'a>,
    T: Serialize + DeserializeOwned,
{
    pub const fn new(namespace: &'static str) -> Self {
        Map {
            namespace,
            types: PhantomData,
        }
    }

    /// The full storage key of `key`.
    pub fn key(&self, key: K) -> Vec<u8> {
        namespace_with_key(&[self.namespace.as_bytes()], &key.joined_key())
    }

    pub fn save(&self, store: &mut dyn Storage, key: K, value: &T) -> StdResult<()> {
        store.set(&self.key(key), &encode(value)?);
        Ok(())
    }

    pub fn remove(&self, store: &mut dyn Storage, key: K) {
        store.remove(&self.key(key));
    }

    pub fn load(&self, store: &dyn Storage, key: K) -> StdResult<T> {
        load_at(store, &self.key(key))
    }

    pub fn may_load(&self, store: &dyn Storage, key: K) -> StdResult<Option<T>> {
        may_load_at(store, &self.key(key))
    }

    pub fn has(&self, store: &dyn Storage, key: K) -> bool {
        store.get(&self.key(key)).is_some()
    }

    /// Records whose key starts with `prefix` (the first key elements).
    pub fn prefix(&self, prefix: K::Prefix) -> IndexPrefix<K::Suffix, T, K::Suffix>
    where
        K::Prefix: Prefixer<'a>,
        K::Suffix: KeyDeserialize + PrimaryKey<'a>,
    {
        packed_prefix(self.namespace, &prefix.prefix())
    }

    /// Records whose key starts with `prefix` (the first key element of a
    /// three-element key).
    pub fn sub_prefix(&self, prefix: K::SubPrefix) -> IndexPrefix<K::SuperSuffix, T, K::SuperSuffix>
    where
        K::SubPrefix: Prefixer<'a>,
        K::SuperSuffix: KeyDeserialize + PrimaryKey<'a>,
    {
        packed_prefix(self.namespace, &prefix.prefix())
    }

    /// Every record between the bounds, decoded as the range goes.
    pub fn range<'c>(
        &self,
        store: &'c dyn Storage,
        min: Option<Bound<'a, K>>,
        max: Option<Bound<'a, K>>,
        order: Order,
    ) -> Box<dyn Iterator<Item = StdResult<(K::Output, T)>> + 'c>
    where
        K: KeyDeserialize,
        K::Output: 'static,
        T: 'c,
    {
        packed_prefix::<K, T, K>(self.namespace, &[]).range(store, min, max, order)
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Addr, Timestamp, Uint128};
    use serde::Deserialize;

    use super::*;

    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    enum Colour {
        Red,
        Blue { shade: u8 },
    }

    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Record1 {
        owner: Addr,
        amount: Uint128,
        at: Timestamp,
        colour: Colour,
        note: Option<String>,
        tags: Vec<String>,
    }

    fn record(n: u64) -> Record1 {
        Record1 {
            owner: Addr::unchecked(format!("owner{n}")),
            amount: Uint128::new(u128::MAX - u128::from(n)),
            at: Timestamp::from_nanos(n),
            colour: if n.is_multiple_of(2) {
                Colour::Red
            } else {
                Colour::Blue { shade: n as u8 }
            },
            note: n.is_multiple_of(3).then(|| format!("note {n}")),
            tags: vec!["a".into(); (n % 4) as usize],
        }
    }

    #[test]
    fn values_round_trip_and_are_smaller_than_json() {
        for n in 0..8 {
            let r = record(n);
            let packed = encode(&r).unwrap();
            assert_eq!(decode::<Record1>(&packed).unwrap(), r);
            assert!(packed.len() < cosmwasm_std::to_json_vec(&r).unwrap().len());
        }
    }

    #[test]
    fn garbage_is_an_error_naming_the_type() {
        let err = decode::<Record1>(b"\xc1not packed")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot unpack") && err.contains("Record1"),
            "{err}"
        );
        // A value of another shape is refused, not misread.
        let err = decode::<Record1>(&encode(&(1u8, 2u8)).unwrap()).unwrap_err();
        assert!(err.to_string().contains("Record1"), "{err}");
    }

    #[test]
    fn keys_are_those_of_cw_storage_plus() {
        const OURS: Map<(&Addr, u64), Record1> = Map::new("things");
        let plus: cw_storage_plus::Map<(&Addr, u64), Record1> = cw_storage_plus::Map::new("things");
        let owner = Addr::unchecked("owner");
        assert_eq!(OURS.key((&owner, 7)), plus.key((&owner, 7)).to_vec());
    }

    #[test]
    fn map_load_save_remove_and_missing() {
        const MAP: Map<u64, Record1> = Map::new("records");
        let mut store = MockStorage::new();
        assert_eq!(MAP.may_load(&store, 1).unwrap(), None);
        let err = MAP.load(&store, 1).unwrap_err().to_string();
        assert!(
            err.contains("not found") && err.contains("Record1"),
            "{err}"
        );
        MAP.save(&mut store, 1, &record(1)).unwrap();
        assert!(MAP.has(&store, 1));
        assert_eq!(MAP.load(&store, 1).unwrap(), record(1));
        MAP.remove(&mut store, 1);
        assert!(!MAP.has(&store, 1));
    }

    #[test]
    fn item_round_trips() {
        const ITEM: Item<u64> = Item::new("counter");
        let mut store = MockStorage::new();
        assert_eq!(ITEM.may_load(&store).unwrap(), None);
        assert!(ITEM.load(&store).is_err());
        ITEM.save(&mut store, &u64::MAX).unwrap();
        assert_eq!(ITEM.load(&store).unwrap(), u64::MAX);
    }

    #[test]
    fn ranges_prefixes_and_bounds() {
        const MAP: Map<(&str, u64, u64), u64> = Map::new("triples");
        let mut store = MockStorage::new();
        for (owner, a, b) in [
            ("x", 1, 1),
            ("x", 1, 2),
            ("x", 2, 1),
            ("y", 1, 1),
            ("xx", 1, 1),
        ] {
            MAP.save(&mut store, (owner, a, b), &(a * 10 + b)).unwrap();
        }
        let all: Vec<_> = MAP
            .range(&store, None, None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(all.len(), 5);
        // A prefix never leaks into a longer owner ("x" vs "xx").
        let x: Vec<_> = MAP
            .sub_prefix("x")
            .range(&store, None, None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(x, vec![((1, 1), 11), ((1, 2), 12), ((2, 1), 21)]);
        let after: Vec<_> = MAP
            .prefix(("x", 1))
            .range(&store, Some(Bound::exclusive(1u64)), None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(after, vec![(2, 12)]);
        let desc: Vec<_> = MAP
            .sub_prefix("x")
            .range(&store, None, None, Order::Descending)
            .map(|r| r.map(|(_, v)| v))
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(desc, vec![21, 12, 11]);
    }
}
