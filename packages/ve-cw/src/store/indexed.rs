//! A packed map with secondary indexes. Index entries are laid out as
//! cw-storage-plus lays out a `MultiIndex` (index key elements
//! length-prefixed, then the primary key); the value of an entry is the
//! primary key's length as four big-endian bytes, so a range over an index
//! finds the record without parsing anything.

use std::marker::PhantomData;

use cosmwasm_std::storage_keys::namespace_with_key;
use cosmwasm_std::{Order, Record, StdError, StdResult, Storage};
use cw_storage_plus::{Bound, Index, IndexList, IndexPrefix, KeyDeserialize, Prefixer, PrimaryKey};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{load_at, Map};

/// A `Map` whose records are also listed under the keys of its indexes.
pub struct IndexedMap<K, T, I> {
    primary: Map<K, T>,
    pub idx: I,
}

impl<'a, K, T, I> IndexedMap<K, T, I>
where
    K: PrimaryKey<'a>,
    T: Serialize + DeserializeOwned + Clone,
    I: IndexList<T>,
{
    pub const fn new(pk_namespace: &'static str, indexes: I) -> Self {
        IndexedMap {
            primary: Map::new(pk_namespace),
            idx: indexes,
        }
    }

    /// The primary map alone: writes through it leave the index entries
    /// as they are (for records whose indexed fields did not change).
    pub fn primary(&self) -> &Map<K, T> {
        &self.primary
    }

    /// Stores `data`, moving its index entries from the stored record's.
    pub fn save(&self, store: &mut dyn Storage, key: K, data: &T) -> StdResult<()> {
        let old = self.primary.may_load(store, key.clone())?;
        self.replace(store, key, Some(data), old.as_ref())
    }

    pub fn remove(&self, store: &mut dyn Storage, key: K) -> StdResult<()> {
        let old = self.primary.may_load(store, key.clone())?;
        self.replace(store, key, None, old.as_ref())
    }

    /// Writes `data` (or removes the record when `None`) when the caller
    /// knows the stored record: index entries of `old_data` are removed,
    /// those of `data` written.
    pub fn replace(
        &self,
        store: &mut dyn Storage,
        key: K,
        data: Option<&T>,
        old_data: Option<&T>,
    ) -> StdResult<()> {
        let pk = key.joined_key();
        if let Some(old) = old_data {
            for index in self.idx.get_indexes() {
                index.remove(store, &pk, old)?;
            }
        }
        match data {
            Some(updated) => {
                for index in self.idx.get_indexes() {
                    index.save(store, &pk, updated)?;
                }
                self.primary.save(store, key, updated)
            }
            None => {
                self.primary.remove(store, key);
                Ok(())
            }
        }
    }

    pub fn load(&self, store: &dyn Storage, key: K) -> StdResult<T> {
        self.primary.load(store, key)
    }

    pub fn may_load(&self, store: &dyn Storage, key: K) -> StdResult<Option<T>> {
        self.primary.may_load(store, key)
    }

    pub fn has(&self, store: &dyn Storage, key: K) -> bool {
        self.primary.has(store, key)
    }

    pub fn prefix(&self, prefix: K::Prefix) -> IndexPrefix<K::Suffix, T, K::Suffix>
    where
        K::Prefix: Prefixer<'a>,
        K::Suffix: KeyDeserialize + PrimaryKey<'a>,
    {
        self.primary.prefix(prefix)
    }

    pub fn sub_prefix(&self, prefix: K::SubPrefix) -> IndexPrefix<K::SuperSuffix, T, K::SuperSuffix>
    where
        K::SubPrefix: Prefixer<'a>,
        K::SuperSuffix: KeyDeserialize + PrimaryKey<'a>,
    {
        self.primary.sub_prefix(prefix)
    }

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
        self.primary.range(store, min, max, order)
    }
}

/// Lists records under a key computed from them (many records per key).
pub struct MultiIndex<'a, IK, T, PK> {
    index: fn(&[u8], &T) -> IK,
    pk_namespace: &'a str,
    idx_namespace: &'static str,
    primary_key: PhantomData<PK>,
}

impl<IK, T, PK> MultiIndex<'_, IK, T, PK> {
    /// The namespace of its entries: for raw-state readers (ve-state).
    pub const fn namespace(&self) -> &'static str {
        self.idx_namespace
    }
}

impl<'a, IK, T, PK> MultiIndex<'a, IK, T, PK>
where
    T: Serialize + DeserializeOwned + Clone,
{
    /// `index` computes the index key of a record (from its primary key
    /// bytes and value); `pk_namespace` is the indexed map's namespace.
    pub const fn new(
        index: fn(&[u8], &T) -> IK,
        pk_namespace: &'a str,
        idx_namespace: &'static str,
    ) -> Self {
        MultiIndex {
            index,
            pk_namespace,
            idx_namespace,
            primary_key: PhantomData,
        }
    }
}

impl<'a, IK, T, PK> MultiIndex<'a, IK, T, PK>
where
    T: Serialize + DeserializeOwned + Clone,
    IK: PrimaryKey<'a>,
{
    fn entry_key(&self, pk: &[u8], data: &T) -> Vec<u8> {
        self.entry_key_of((self.index)(pk, data), pk)
    }

    fn entry_key_of(&self, index_key: IK, pk: &[u8]) -> Vec<u8> {
        namespace_with_key(
            &[self.idx_namespace.as_bytes()],
            &index_key.joined_extra_key(pk),
        )
    }

    /// Moves the entry of the record at `pk` from index key `from` to `to`,
    /// when a field the index reads changed: the same as `remove` with the
    /// old record and `save` with the new one, without a copy of the old
    /// record to compute its key from.
    pub fn move_entry(
        &self,
        store: &mut dyn Storage,
        pk: &[u8],
        from: IK,
        to: IK,
    ) -> StdResult<()> {
        store.remove(&self.entry_key_of(from, pk));
        store.set(&self.entry_key_of(to, pk), &pk_length(pk)?);
        Ok(())
    }
}

/// The value of an index entry: the length of the primary key at the end
/// of the entry's key.
fn pk_length(pk: &[u8]) -> StdResult<[u8; 4]> {
    u32::try_from(pk.len())
        .map(u32::to_be_bytes)
        .map_err(|_| StdError::msg("primary key longer than 4 GiB"))
}

impl<'a, IK, T, PK> Index<T> for MultiIndex<'a, IK, T, PK>
where
    T: Serialize + DeserializeOwned + Clone,
    IK: PrimaryKey<'a>,
{
    fn save(&self, store: &mut dyn Storage, pk: &[u8], data: &T) -> StdResult<()> {
        store.set(&self.entry_key(pk, data), &pk_length(pk)?);
        Ok(())
    }

    fn remove(&self, store: &mut dyn Storage, pk: &[u8], old_data: &T) -> StdResult<()> {
        store.remove(&self.entry_key(pk, old_data));
        Ok(())
    }
}

/// The primary key at the end of an index entry's key.
fn primary_key_of(key: &[u8], pk_len: &[u8]) -> StdResult<usize> {
    let len = <[u8; 4]>::try_from(pk_len)
        .map(u32::from_be_bytes)
        .map_err(|_| StdError::msg("index entry without a primary key length"))?;
    let len = usize::try_from(len).map_err(|_| StdError::msg("primary key length overflow"))?;
    key.len()
        .checked_sub(len)
        .ok_or_else(|| StdError::msg("index entry shorter than its primary key"))
}

fn decode_indexed_kv<K: KeyDeserialize, T: DeserializeOwned>(
    store: &dyn Storage,
    pk_namespace: &[u8],
    (key, pk_len): Record,
) -> StdResult<(K::Output, T)> {
    let pk = &key[primary_key_of(&key, &pk_len)?..];
    let value = load_at(store, &namespace_with_key(&[pk_namespace], pk))?;
    Ok((K::from_slice(pk)?, value))
}

fn decode_indexed_v<T: DeserializeOwned>(
    store: &dyn Storage,
    pk_namespace: &[u8],
    (key, pk_len): Record,
) -> StdResult<Record<T>> {
    let pk = key[primary_key_of(&key, &pk_len)?..].to_vec();
    let value = load_at(store, &namespace_with_key(&[pk_namespace], &pk))?;
    Ok((pk, value))
}

impl<'a, IK, T, PK> MultiIndex<'a, IK, T, PK>
where
    PK: PrimaryKey<'a> + KeyDeserialize,
    T: Serialize + DeserializeOwned + Clone,
    IK: PrimaryKey<'a> + Prefixer<'a>,
{
    fn under<B>(&self, sub_names: &[cw_storage_plus::Key]) -> IndexPrefix<PK, T, B> {
        IndexPrefix::with_deserialization_functions(
            self.idx_namespace.as_bytes(),
            sub_names,
            self.pk_namespace.as_bytes(),
            decode_indexed_kv::<PK, T>,
            decode_indexed_v::<T>,
        )
    }

    /// Records whose index key is `key`, ranged by primary key.
    pub fn prefix(&self, key: IK) -> IndexPrefix<PK, T, PK> {
        self.under(&key.prefix())
    }

    /// Records whose index key starts with `prefix`.
    pub fn sub_prefix(&self, prefix: IK::Prefix) -> IndexPrefix<PK, T, (IK::Suffix, PK)>
    where
        IK::Prefix: Prefixer<'a>,
    {
        self.under(&prefix.prefix())
    }
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::MockStorage;
    use serde::Deserialize;

    use super::*;

    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    struct Job {
        owner: String,
        state: u8,
    }

    struct JobIndexes<'a> {
        owner_state: MultiIndex<'a, (String, u8), Job, (String, u64)>,
    }

    impl IndexList<Job> for JobIndexes<'_> {
        fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Job>> + '_> {
            Box::new(std::iter::once(&self.owner_state as &dyn Index<Job>))
        }
    }

    fn jobs<'a>() -> IndexedMap<(String, u64), Job, JobIndexes<'a>> {
        IndexedMap::new(
            "jobs",
            JobIndexes {
                owner_state: MultiIndex::new(
                    |_, j: &Job| (j.owner.clone(), j.state),
                    "jobs",
                    "jobs__owner_state",
                ),
            },
        )
    }

    fn job(owner: &str, state: u8) -> Job {
        Job {
            owner: owner.into(),
            state,
        }
    }

    fn listed(store: &dyn Storage, owner: &str, state: u8) -> Vec<u64> {
        jobs()
            .idx
            .owner_state
            .prefix((owner.to_string(), state))
            .range(store, None, None, Order::Ascending)
            .map(|r| r.map(|((_, seq), _)| seq))
            .collect::<StdResult<_>>()
            .unwrap()
    }

    #[test]
    fn index_entries_follow_saves_replaces_and_removes() {
        let mut store = MockStorage::new();
        let map = jobs();
        for seq in 1..=3 {
            map.save(&mut store, ("a".into(), seq), &job("a", 1))
                .unwrap();
        }
        map.save(&mut store, ("ab".into(), 1), &job("ab", 1))
            .unwrap();
        assert_eq!(listed(&store, "a", 1), vec![1, 2, 3]);
        // A save moves the entry to the new index key.
        map.save(&mut store, ("a".into(), 2), &job("a", 2)).unwrap();
        assert_eq!(listed(&store, "a", 1), vec![1, 3]);
        assert_eq!(listed(&store, "a", 2), vec![2]);
        // replace with the known old record does the same without a load.
        map.replace(
            &mut store,
            ("a".into(), 3),
            Some(&job("a", 2)),
            Some(&job("a", 1)),
        )
        .unwrap();
        assert_eq!(listed(&store, "a", 2), vec![2, 3]);
        map.remove(&mut store, ("a".into(), 2)).unwrap();
        assert_eq!(listed(&store, "a", 2), vec![3]);
        assert!(!map.has(&store, ("a".into(), 2)));
        // Bounds are on the primary key; "ab" never shows under "a".
        let after: Vec<_> = map
            .idx
            .owner_state
            .prefix(("a".to_string(), 1))
            .range(
                &store,
                Some(Bound::exclusive(("a".to_string(), 0u64))),
                None,
                Order::Descending,
            )
            .map(|r| r.map(|(k, v)| (k, v.state)))
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(after, vec![(("a".to_string(), 1), 1)]);
        let all_of_a: Vec<_> = map
            .idx
            .owner_state
            .sub_prefix("a".to_string())
            .range(&store, None, None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap();
        assert_eq!(all_of_a.len(), 2);
    }

    #[test]
    fn move_entry_leaves_the_storage_a_save_would() {
        let (mut moved, mut saved) = (MockStorage::new(), MockStorage::new());
        let map = jobs();
        for store in [&mut moved, &mut saved] {
            for seq in 1..=2 {
                map.save(store, ("a".into(), seq), &job("a", 1)).unwrap();
            }
        }
        map.save(&mut saved, ("a".into(), 2), &job("a", 3)).unwrap();
        let pk = ("a".to_string(), 2u64).joined_key();
        map.idx
            .owner_state
            .move_entry(&mut moved, &pk, ("a".into(), 1), ("a".into(), 3))
            .unwrap();
        map.primary()
            .save(&mut moved, ("a".into(), 2), &job("a", 3))
            .unwrap();
        let everything = |store: &MockStorage| -> Vec<Record> {
            store.range(None, None, Order::Ascending).collect()
        };
        assert_eq!(everything(&moved), everything(&saved));
        assert_eq!(listed(&moved, "a", 1), vec![1]);
        assert_eq!(listed(&moved, "a", 3), vec![2]);
    }

    #[test]
    fn a_dangling_index_entry_is_an_error() {
        let mut store = MockStorage::new();
        let map = jobs();
        map.save(&mut store, ("a".into(), 1), &job("a", 1)).unwrap();
        map.primary().remove(&mut store, ("a".into(), 1));
        let err = map
            .idx
            .owner_state
            .prefix(("a".to_string(), 1))
            .range(&store, None, None, Order::Ascending)
            .next()
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("not found"), "{err}");
    }
}
