//! The durable outbox, in an embedded database (redb, one file, every
//! commit fsynced). A callback is written here before it is broadcast and
//! marked done only once the chain answered `processed` or
//! `already_processed`, so a crash at any point loses nothing, and a re-send
//! after a crash is turned into `already_processed` by the contract's
//! replay protection.

use std::path::Path;

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use ve_interface::waldur_callback::msg::SignedCallback;

use crate::waldur_side::port::Watermark;

/// callback id -> JSON of [`OutboxEntry`].
const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
/// Pending callbacks in the order they were queued: sequence -> callback id.
/// The chain must see an allocation's reports in order (accepted before
/// provisioning, terminating before terminated).
const PENDING: TableDefinition<u64, &str> = TableDefinition::new("pending");
/// Named counters and cursors (the chain checkpoint).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Other durable relayer state (the Waldur side's watermarks), JSON.
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
/// Chain events waiting for Waldur work: `intent_key` -> JSON of
/// [`crate::flows::intents::Intent`] (see `intent_store`).
const INTENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("intents");

mod intent_store;
pub use intent_store::IntentFigures;

pub const CHECKPOINT: &str = "chain_checkpoint";
const SEQUENCE: &str = "outbox_sequence";

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Written, not yet confirmed by the chain.
    Pending,
    /// The chain has it.
    Done,
    /// Gave up after too many failures; an operator reprocesses it.
    DeadLetter,
    /// Dropped unsent because the chain made it moot (a status report for
    /// a job the chain has already closed, which the contract refuses).
    Superseded,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub callback: SignedCallback,
    pub state: EntryState,
    /// Queue position while pending.
    pub sequence: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
}

#[derive(Error, Debug)]
pub enum OutboxError {
    #[error("outbox database: {0}")]
    Db(String),
    #[error("outbox entry {0} is corrupt: {1}")]
    Corrupt(String, String),
    #[error("no outbox entry {0}")]
    Missing(String),
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for OutboxError {
            fn from(e: $t) -> Self {
                OutboxError::Db(e.to_string())
            }
        }
    )*};
}
db_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// redb's page cache for the outbox.
const OUTBOX_CACHE_BYTES: usize = 4 << 20;

pub struct Outbox {
    db: Database,
    /// Failures after which an entry goes to the dead letters.
    pub max_attempts: u32,
    /// How the intents' failed Waldur work is retried.
    pub intent_retry: crate::flows::intents::RetryPolicy,
}

impl Outbox {
    pub fn open(path: &Path, max_attempts: u32) -> Result<Self, OutboxError> {
        if !path.exists() {
            Self::create_whole(path)?;
        }
        // redb's default cache may grow to 1 GiB of the relayer's memory;
        // the outbox's working set (the pending index and recent entries)
        // is small.
        let db = Database::builder()
            .set_cache_size(OUTBOX_CACHE_BYTES)
            .create(path)?;
        Self::create_tables(&db)?;
        Ok(Outbox {
            db,
            max_attempts,
            intent_retry: crate::flows::intents::RetryPolicy {
                max_attempts,
                ..Default::default()
            },
        })
    }

    /// A new database is made under a staging name and renamed into place
    /// once complete: a relayer killed while creating it must not leave a
    /// half-written file that no later start can open.
    fn create_whole(path: &Path) -> Result<(), OutboxError> {
        let mut staging = path.as_os_str().to_owned();
        staging.push(".creating");
        let staging = std::path::PathBuf::from(staging);
        // Left by a start that was killed mid-way: never used, start over.
        if staging.exists() {
            std::fs::remove_file(&staging).map_err(|e| OutboxError::Db(e.to_string()))?;
        }
        Self::create_tables(&Database::create(&staging)?)?;
        std::fs::rename(&staging, path).map_err(|e| OutboxError::Db(e.to_string()))
    }

    /// Creates the tables up front so read transactions always find them.
    fn create_tables(db: &Database) -> Result<(), OutboxError> {
        let tx = db.begin_write()?;
        tx.open_table(OUTBOX)?;
        tx.open_table(PENDING)?;
        tx.open_table(META)?;
        tx.open_table(STATE)?;
        tx.open_table(INTENTS)?;
        tx.commit()?;
        Ok(())
    }

    fn decode(id: &str, bytes: &[u8]) -> Result<OutboxEntry, OutboxError> {
        serde_json::from_slice(bytes)
            .map_err(|e| OutboxError::Corrupt(id.to_string(), e.to_string()))
    }

    fn encode(entry: &OutboxEntry) -> Vec<u8> {
        // Serialising our own plain struct cannot fail.
        serde_json::to_vec(entry).unwrap_or_default()
    }

    /// Stores a signed callback as pending. Idempotent: a callback id already
    /// in the outbox (in any state) is left as it is; returns whether it was new.
    pub fn enqueue(&self, callback: SignedCallback, now: u64) -> Result<bool, OutboxError> {
        Ok(self.enqueue_with(vec![callback], now, None)? == 1)
    }

    /// Stores the callbacks as pending and the watermark that produced
    /// them, all or nothing; returns how many callbacks were new.
    pub fn enqueue_with(
        &self,
        callbacks: Vec<SignedCallback>,
        now: u64,
        watermark: Option<&Watermark>,
    ) -> Result<u64, OutboxError> {
        let tx = self.db.begin_write()?;
        let mut new = 0;
        for callback in callbacks {
            if Self::insert_pending(&tx, callback, now)? {
                new += 1;
            }
        }
        if let Some(w) = watermark {
            tx.open_table(STATE)?
                .insert(w.key.as_str(), w.value.as_slice())?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// Saves a watermark that produced no callback.
    pub fn save_watermark(&self, watermark: &Watermark) -> Result<(), OutboxError> {
        self.enqueue_with(Vec::new(), 0, Some(watermark))
            .map(|_| ())
    }

    fn insert_pending(
        tx: &redb::WriteTransaction,
        callback: SignedCallback,
        now: u64,
    ) -> Result<bool, OutboxError> {
        let mut table = tx.open_table(OUTBOX)?;
        let id = callback.callback_id.clone();
        if table.get(id.as_str())?.is_some() {
            return Ok(false);
        }
        let sequence = Self::next_sequence(tx)?;
        let entry = OutboxEntry {
            callback,
            state: EntryState::Pending,
            sequence,
            attempts: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        table.insert(id.as_str(), Self::encode(&entry).as_slice())?;
        tx.open_table(PENDING)?.insert(sequence, id.as_str())?;
        Ok(true)
    }

    fn next_sequence(tx: &redb::WriteTransaction) -> Result<u64, OutboxError> {
        let mut meta = tx.open_table(META)?;
        let next = meta.get(SEQUENCE)?.map_or(1, |v| v.value() + 1);
        meta.insert(SEQUENCE, next)?;
        Ok(next)
    }

    pub fn get(&self, id: &str) -> Result<Option<OutboxEntry>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        match table.get(id)? {
            Some(v) => Ok(Some(Self::decode(id, v.value())?)),
            None => Ok(None),
        }
    }

    /// Entries in `state`, at most `limit`: pending ones in queue order
    /// (read from the pending index), the others in id order (a scan).
    pub fn in_state(
        &self,
        state: EntryState,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        let mut out = Vec::new();
        if state == EntryState::Pending {
            for item in tx.open_table(PENDING)?.iter()?.take(limit) {
                let (_, id) = item?;
                let id = id.value().to_string();
                if let Some(v) = table.get(id.as_str())? {
                    out.push(Self::decode(&id, v.value())?);
                }
            }
            return Ok(out);
        }
        for item in table.iter()? {
            let (k, v) = item?;
            let entry = Self::decode(k.value(), v.value())?;
            if entry.state == state {
                out.push(entry);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn update(
        &self,
        id: &str,
        f: impl FnOnce(&mut OutboxEntry),
    ) -> Result<OutboxEntry, OutboxError> {
        let mut f = Some(f);
        let mut entries = self.update_all(&[id], |e| {
            if let Some(f) = f.take() {
                f(e)
            }
        })?;
        entries
            .pop()
            .ok_or_else(|| OutboxError::Missing(id.to_string()))
    }

    /// Applies `f` to each entry in one database transaction (one commit,
    /// one fsync, for a whole confirmed batch).
    fn update_all(
        &self,
        ids: &[&str],
        mut f: impl FnMut(&mut OutboxEntry),
    ) -> Result<Vec<OutboxEntry>, OutboxError> {
        let tx = self.db.begin_write()?;
        let mut updated = Vec::with_capacity(ids.len());
        {
            let mut table = tx.open_table(OUTBOX)?;
            let mut pending = tx.open_table(PENDING)?;
            for &id in ids {
                let mut entry = match table.get(id)? {
                    Some(v) => Self::decode(id, v.value())?,
                    None => return Err(OutboxError::Missing(id.to_string())),
                };
                let was = (entry.state, entry.sequence);
                f(&mut entry);
                if entry.state == EntryState::Pending && was.0 != EntryState::Pending {
                    entry.sequence = Self::next_sequence(&tx)?;
                }
                if was.0 == EntryState::Pending
                    && (entry.state != EntryState::Pending || entry.sequence != was.1)
                {
                    pending.remove(was.1)?;
                }
                if entry.state == EntryState::Pending {
                    pending.insert(entry.sequence, id)?;
                }
                table.insert(id, Self::encode(&entry).as_slice())?;
                updated.push(entry);
            }
        }
        tx.commit()?;
        Ok(updated)
    }

    pub fn mark_done(&self, id: &str, now: u64) -> Result<(), OutboxError> {
        self.mark_all_done(&[id], now)
    }

    /// Marks the callbacks of one confirmed transaction done, together.
    pub fn mark_all_done(&self, ids: &[&str], now: u64) -> Result<(), OutboxError> {
        self.update_all(ids, |e| {
            e.state = EntryState::Done;
            e.last_error = None;
            e.updated_at = now;
        })
        .map(|_| ())
    }

    /// Replaces a pending callback's signature by a fresh one (same id,
    /// payload and place in the queue; new time, nonce and expiry).
    pub fn refresh_signature(&self, resigned: SignedCallback, now: u64) -> Result<(), OutboxError> {
        let id = resigned.callback_id.clone();
        self.update(&id, |e| {
            e.callback = resigned;
            e.updated_at = now;
        })
        .map(|_| ())
    }

    /// Records a failed attempt; moves the entry to the dead letters after
    /// `max_attempts`. Returns the new state.
    pub fn mark_failed(&self, id: &str, error: &str, now: u64) -> Result<EntryState, OutboxError> {
        let max = self.max_attempts;
        self.update(id, |e| {
            e.attempts += 1;
            e.last_error = Some(error.to_string());
            e.updated_at = now;
            if e.attempts >= max {
                e.state = EntryState::DeadLetter;
            }
        })
        .map(|e| e.state)
    }

    /// Drops the pending callbacks `moot` picks (see
    /// [`EntryState::Superseded`]); returns how many.
    pub fn supersede_pending(
        &self,
        moot: impl Fn(&SignedCallback) -> bool,
        reason: &str,
        now: u64,
    ) -> Result<usize, OutboxError> {
        let ids: Vec<String> = self
            .in_state(EntryState::Pending, usize::MAX)?
            .into_iter()
            .filter(|e| moot(&e.callback))
            .map(|e| e.callback.callback_id.clone())
            .collect();
        for id in &ids {
            self.update(id, |e| {
                e.state = EntryState::Superseded;
                e.last_error = Some(reason.to_string());
                e.updated_at = now;
            })?;
        }
        Ok(ids.len())
    }

    /// An operator's retry: back to pending with a fresh signature (the old
    /// one may have expired) and no attempts.
    pub fn reprocess(
        &self,
        id: &str,
        resigned: SignedCallback,
        now: u64,
    ) -> Result<(), OutboxError> {
        self.update(id, |e| {
            e.callback = resigned;
            e.state = EntryState::Pending;
            e.attempts = 0;
            e.updated_at = now;
        })
        .map(|_| ())
    }

    /// How many callbacks wait to be sent (the pending index's length,
    /// without reading the entries).
    pub fn pending_len(&self) -> Result<u64, OutboxError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(PENDING)?.len()?)
    }

    pub fn counts(&self) -> Result<(u64, u64, u64), OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(OUTBOX)?;
        let (mut pending, mut done, mut dead) = (0, 0, 0);
        for item in table.iter()? {
            let (k, v) = item?;
            match Self::decode(k.value(), v.value())?.state {
                EntryState::Pending => pending += 1,
                EntryState::Done => done += 1,
                EntryState::DeadLetter => dead += 1,
                // Settled without the chain: counted with the done ones.
                EntryState::Superseded => done += 1,
            }
        }
        Ok((pending, done, dead))
    }

    pub fn meta(&self, key: &str) -> Result<Option<u64>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(META)?;
        Ok(table.get(key)?.map(|v| v.value()))
    }

    pub fn set_meta(&self, key: &str, value: u64) -> Result<(), OutboxError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(key, value)?;
        tx.commit()?;
        Ok(())
    }
}

impl Outbox {
    /// Stores a value of the relayer's own state under `key`, in its own
    /// committed transaction.
    pub fn save_state<T: Serialize>(&self, key: &str, value: &T) -> Result<(), OutboxError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| OutboxError::Corrupt(key.to_string(), e.to_string()))?;
        let tx = self.db.begin_write()?;
        tx.open_table(STATE)?.insert(key, bytes.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// The state value stored under exactly `key`, if any.
    pub fn state<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(STATE)?;
        let Some(value) = table.get(key)? else {
            return Ok(None);
        };
        serde_json::from_slice(value.value())
            .map(Some)
            .map_err(|e| OutboxError::Corrupt(key.to_string(), e.to_string()))
    }

    /// Every state value whose key starts with `prefix`, in key order.
    pub fn states_with_prefix<T: for<'de> Deserialize<'de>>(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(STATE)?;
        let mut out = Vec::new();
        for item in table.range(prefix..)? {
            let (k, v) = item?;
            let key = k.value().to_string();
            if !key.starts_with(prefix) {
                break;
            }
            let value = serde_json::from_slice(v.value())
                .map_err(|e| OutboxError::Corrupt(key.clone(), e.to_string()))?;
            out.push((key, value));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Binary;
    use ve_types::{ActionType, EntityType};

    #[test]
    fn a_creation_killed_mid_way_leaves_nothing_that_blocks_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relayer.redb");
        // What a start killed while creating the database leaves behind.
        std::fs::write(dir.path().join("relayer.redb.creating"), b"half a header").unwrap();
        let outbox = Outbox::open(&path, 3).unwrap();
        assert!(outbox.enqueue(cb("a"), 1).unwrap());
        drop(outbox);
        assert!(!dir.path().join("relayer.redb.creating").exists());
        // Reopened as it is.
        assert_eq!(Outbox::open(&path, 3).unwrap().counts().unwrap(), (1, 0, 0));
    }

    fn cb(id: &str) -> SignedCallback {
        SignedCallback {
            provider: "p".into(),
            signer_key_id: "k".into(),
            callback_id: id.into(),
            action_type: ActionType::Provision,
            waldur_id: "w".into(),
            entity_type: EntityType::Allocation,
            entity_id: "c/1/1".into(),
            nonce: "nonce-0001".into(),
            timestamp: 1,
            expires_at: 2,
            payload: Binary::default(),
            signature: Binary::from(vec![0; 64]),
        }
    }

    #[test]
    fn survives_reopening_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.redb");
        {
            let outbox = Outbox::open(&path, 3).unwrap();
            assert!(outbox.enqueue(cb("a"), 10).unwrap());
            assert!(!outbox.enqueue(cb("a"), 11).unwrap());
            outbox.enqueue(cb("b"), 12).unwrap();
            outbox.mark_done("b", 13).unwrap();
            outbox.set_meta(CHECKPOINT, 42).unwrap();
        }
        // As after a crash: everything committed is there.
        let outbox = Outbox::open(&path, 3).unwrap();
        let pending = outbox.in_state(EntryState::Pending, 10).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].callback.callback_id, "a");
        assert_eq!(pending[0].created_at, 10);
        assert_eq!(outbox.counts().unwrap(), (1, 1, 0));
        assert_eq!(outbox.pending_len().unwrap(), 1);
        assert_eq!(outbox.meta(CHECKPOINT).unwrap(), Some(42));
    }

    #[test]
    fn failures_end_in_the_dead_letters_and_can_be_reprocessed() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&dir.path().join("o.redb"), 2).unwrap();
        outbox.enqueue(cb("a"), 1).unwrap();
        assert_eq!(
            outbox.mark_failed("a", "timeout", 2).unwrap(),
            EntryState::Pending
        );
        assert_eq!(
            outbox.mark_failed("a", "timeout", 3).unwrap(),
            EntryState::DeadLetter
        );
        let dead = outbox.in_state(EntryState::DeadLetter, 10).unwrap();
        assert_eq!(dead[0].last_error.as_deref(), Some("timeout"));
        assert_eq!(dead[0].attempts, 2);
        let mut fresh = cb("a");
        fresh.nonce = "nonce-0002".into();
        outbox.reprocess("a", fresh, 4).unwrap();
        let e = outbox.get("a").unwrap().unwrap();
        assert_eq!(
            (e.state, e.attempts, e.callback.nonce.as_str()),
            (EntryState::Pending, 0, "nonce-0002")
        );
        assert!(matches!(
            outbox.mark_done("zzz", 5),
            Err(OutboxError::Missing(_))
        ));
    }

    #[test]
    fn pending_entries_come_in_queue_order() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&dir.path().join("o.redb"), 1).unwrap();
        // Ids that sort the other way round from the queue.
        for id in [
            "terminate:a:terminating",
            "terminate:a:terminated",
            "b",
            "a",
        ] {
            outbox.enqueue(cb(id), 1).unwrap();
        }
        let order = |o: &Outbox| -> Vec<String> {
            o.in_state(EntryState::Pending, 10)
                .unwrap()
                .into_iter()
                .map(|e| e.callback.callback_id)
                .collect()
        };
        assert_eq!(
            order(&outbox),
            [
                "terminate:a:terminating",
                "terminate:a:terminated",
                "b",
                "a"
            ]
        );
        outbox.mark_done("terminate:a:terminating", 2).unwrap();
        // One attempt allowed: a failure is a dead letter.
        assert_eq!(
            outbox.mark_failed("b", "x", 2).unwrap(),
            EntryState::DeadLetter
        );
        assert_eq!(order(&outbox), ["terminate:a:terminated", "a"]);
        assert_eq!(outbox.in_state(EntryState::Pending, 1).unwrap().len(), 1);
        // Reprocessed, it goes to the back of the queue.
        outbox.reprocess("b", cb("b"), 3).unwrap();
        assert_eq!(order(&outbox), ["terminate:a:terminated", "a", "b"]);
        assert_eq!(outbox.counts().unwrap(), (3, 1, 0));
        assert_eq!(outbox.pending_len().unwrap(), 3);
    }

    #[test]
    fn state_values_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(&dir.path().join("o.redb"), 2).unwrap();
        outbox.save_state("track:b", &2u64).unwrap();
        outbox.save_state("track:a", &1u64).unwrap();
        outbox.save_state("usage:x", &9u64).unwrap();
        outbox.save_state("track:a", &3u64).unwrap();
        let tracked: Vec<(String, u64)> = outbox.states_with_prefix("track:").unwrap();
        assert_eq!(
            tracked,
            vec![("track:a".to_string(), 3), ("track:b".to_string(), 2)]
        );
        // One key exactly: a longer key it prefixes is another value.
        outbox.save_state("track:ab", &7u64).unwrap();
        assert_eq!(outbox.state::<u64>("track:a").unwrap(), Some(3));
        assert_eq!(outbox.state::<u64>("track:").unwrap(), None);
    }
}
