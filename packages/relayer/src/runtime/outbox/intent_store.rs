//! The intents' table (see [`crate::flows::intents`]): written with the chain
//! checkpoint when a block is read, removed with the callbacks its Waldur
//! work produced, each in one commit.

use redb::{ReadableTable, ReadableTableMetadata};
use ve_interface::waldur_callback::msg::SignedCallback;

use super::{EntryState, Outbox, OutboxEntry, OutboxError, CHECKPOINT, INTENTS, META, OUTBOX};
use crate::flows::intents::{Intent, IntentState, RetryPolicy};
use crate::waldur_side::port::FailureClass;

/// What the intents' table holds, for `status` and the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntentFigures {
    pub waiting: u64,
    pub dead_letters: u64,
    /// Chain time the oldest waiting intent was recorded at.
    pub oldest_waiting_since: Option<u64>,
    /// Chain time the first waiting intent is due at.
    pub next_attempt_at: Option<u64>,
}

fn decode(key: &str, bytes: &[u8]) -> Result<Intent, OutboxError> {
    serde_json::from_slice(bytes).map_err(|e| OutboxError::Corrupt(key.to_string(), e.to_string()))
}

fn encode(intent: &Intent) -> Vec<u8> {
    // Serialising our own plain struct cannot fail.
    serde_json::to_vec(intent).unwrap_or_default()
}

impl Outbox {
    /// Stores a block's intents and moves the checkpoint to the block, in
    /// one commit: a crash before it reads the block again, after it finds
    /// the intents. An intent already stored (the block read twice) is
    /// left as it is. Returns how many were new.
    pub fn record_block(&self, intents: &[Intent], height: u64) -> Result<u64, OutboxError> {
        let tx = self.db.begin_write()?;
        let mut new = 0;
        {
            let mut table = tx.open_table(INTENTS)?;
            for intent in intents {
                if table.get(intent.key.as_str())?.is_none() {
                    table.insert(intent.key.as_str(), encode(intent).as_slice())?;
                    new += 1;
                }
            }
            tx.open_table(META)?.insert(CHECKPOINT, height)?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// The first `limit` intents in chain order, waiting and dead.
    pub fn intents(&self, limit: usize) -> Result<Vec<Intent>, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(INTENTS)?;
        let mut out = Vec::new();
        for item in table.iter()?.take(limit) {
            let (k, v) = item?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Removes a done intent and stores what its Waldur work produced, in
    /// one commit: `send` as pending callbacks, `settled` as done ones
    /// (states the chain already has, kept so that a later report of the
    /// same id is not sent for nothing). Returns how many callbacks are new
    /// in the queue.
    pub fn complete_intent(
        &self,
        key: &str,
        send: Vec<SignedCallback>,
        settled: Vec<SignedCallback>,
        now: u64,
    ) -> Result<u64, OutboxError> {
        let tx = self.db.begin_write()?;
        let mut new = 0;
        for callback in send {
            if Self::insert_pending(&tx, callback, now)? {
                new += 1;
            }
        }
        {
            let mut outbox = tx.open_table(OUTBOX)?;
            for callback in settled {
                let id = callback.callback_id.clone();
                if outbox.get(id.as_str())?.is_some() {
                    continue;
                }
                let entry = OutboxEntry {
                    callback,
                    state: EntryState::Done,
                    sequence: 0,
                    attempts: 0,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                };
                outbox.insert(id.as_str(), Self::encode(&entry).as_slice())?;
            }
            tx.open_table(INTENTS)?.remove(key)?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// Saves an intent after a failed attempt.
    pub fn save_intent(&self, intent: &Intent) -> Result<(), OutboxError> {
        let tx = self.db.begin_write()?;
        tx.open_table(INTENTS)?
            .insert(intent.key.as_str(), encode(intent).as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// How many intents there are, whether that is any at all read from the
    /// table's length (the common case at the chain head costs no scan).
    pub fn intent_figures(&self) -> Result<IntentFigures, OutboxError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(INTENTS)?;
        let mut figures = IntentFigures::default();
        if table.len()? == 0 {
            return Ok(figures);
        }
        for item in table.iter()? {
            let (k, v) = item?;
            let intent = decode(k.value(), v.value())?;
            match intent.state {
                IntentState::Waiting => {
                    figures.waiting += 1;
                    figures.oldest_waiting_since = Some(
                        figures
                            .oldest_waiting_since
                            .map_or(intent.recorded_at, |t| t.min(intent.recorded_at)),
                    );
                    figures.next_attempt_at = Some(
                        figures
                            .next_attempt_at
                            .map_or(intent.next_attempt_at, |t| t.min(intent.next_attempt_at)),
                    );
                }
                IntentState::DeadLetter => figures.dead_letters += 1,
            }
        }
        Ok(figures)
    }

    /// Intents given up on, in chain order.
    pub fn dead_intents(&self) -> Result<Vec<Intent>, OutboxError> {
        Ok(self
            .intents(usize::MAX)?
            .into_iter()
            .filter(|i| i.state == IntentState::DeadLetter)
            .collect())
    }

    /// Puts the dead intents `wanted` picks (by [`Intent::id`]) back, due at
    /// `now`; returns their ids.
    pub fn reprocess_intents(
        &self,
        wanted: impl Fn(&str) -> bool,
        now: u64,
    ) -> Result<Vec<String>, OutboxError> {
        self.rewrite_intents(|intent| {
            if intent.state == IntentState::DeadLetter && wanted(&intent.id()) {
                RetryPolicy::reprocess(intent, now);
                true
            } else {
                false
            }
        })
    }

    /// Makes every waiting intent due at once (a restart is the
    /// operator's sign that something was fixed: a token, a mapping);
    /// returns their ids.
    pub fn make_intents_due(&self) -> Result<Vec<String>, OutboxError> {
        self.make_due_where(|_| true)
    }

    /// Makes the waiting intents that failed only because Waldur was out
    /// of reach (unavailable or rate limited) due at once: Waldur answered
    /// again, so their backoff (up to an hour after a long outage) would
    /// only delay them. Returns their ids.
    pub fn wake_intents_waiting_for_waldur(&self) -> Result<Vec<String>, OutboxError> {
        self.make_due_where(|intent| {
            matches!(
                intent.failure,
                Some(FailureClass::Unavailable | FailureClass::RateLimited)
            )
        })
    }

    fn make_due_where(&self, wanted: impl Fn(&Intent) -> bool) -> Result<Vec<String>, OutboxError> {
        self.rewrite_intents(|intent| {
            if intent.state == IntentState::Waiting && intent.next_attempt_at > 0 && wanted(intent)
            {
                intent.next_attempt_at = 0;
                true
            } else {
                false
            }
        })
    }

    /// Applies `change` to every intent, saving those it reports changed,
    /// in one commit; returns their ids.
    fn rewrite_intents(
        &self,
        mut change: impl FnMut(&mut Intent) -> bool,
    ) -> Result<Vec<String>, OutboxError> {
        let mut changed = Vec::new();
        for mut intent in self.intents(usize::MAX)? {
            if change(&mut intent) {
                changed.push(intent);
            }
        }
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.db.begin_write()?;
        {
            let mut table = tx.open_table(INTENTS)?;
            for intent in &changed {
                table.insert(intent.key.as_str(), encode(intent).as_slice())?;
            }
        }
        tx.commit()?;
        Ok(changed.iter().map(Intent::id).collect())
    }
}
