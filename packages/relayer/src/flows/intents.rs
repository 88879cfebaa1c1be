//! Durable intents: each chain event the relayer must act on (create a
//! Waldur order, terminate a resource, submit a SLURM job, ...) is stored
//! as an intent in the relayer database, in the same commit that moves the
//! chain checkpoint past its block, before any Waldur call is made. It
//! leaves the database only in the commit that stores the callbacks its
//! Waldur call produced. A failed call keeps the intent, with its failure
//! class, error and next attempt time; one that cannot succeed by waiting
//! ends as a dead letter that `status`, `dead-letter list` and the admin API
//! show and `dead-letter reprocess` puts back. Nothing is skipped.
//!
//! An allocation's (or a job's) intents are done in chain order: while one
//! waits, the later ones of the same allocation wait behind it; other
//! allocations go on.

use serde::{Deserialize, Serialize};

use crate::chain::{ChainEvent, ContractEvent};
use crate::waldur_side::port::{FailureClass, WaldurError};

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IntentState {
    /// To do: due at `next_attempt_at`.
    Waiting,
    /// Given up on; an operator reprocesses it.
    DeadLetter,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The event's place on chain (`height:index`, zero-padded so the
    /// database keeps intents in chain order).
    pub key: String,
    pub height: u64,
    /// The event's position in its block.
    pub index: u32,
    pub event: ChainEvent,
    pub state: IntentState,
    /// Failed attempts so far.
    pub attempts: u32,
    pub failure: Option<FailureClass>,
    pub last_error: Option<String>,
    /// Chain time (seconds) when the intent was recorded.
    pub recorded_at: u64,
    pub next_attempt_at: u64,
    pub updated_at: u64,
}

/// The database key of the event at `height`, position `index`.
pub fn intent_key(height: u64, index: u32) -> String {
    format!("{height:020}:{index:010}")
}

impl Intent {
    /// The intent of a raw chain event, if it is one of this provider's
    /// that needs Waldur work.
    pub fn of(raw: &ContractEvent, provider: &str, now: u64) -> Option<Intent> {
        let event = ChainEvent::decode(raw)?;
        if event.provider() != provider || !event.needs_action() {
            return None;
        }
        Some(Intent {
            key: intent_key(raw.height, raw.index),
            height: raw.height,
            index: raw.index,
            event,
            state: IntentState::Waiting,
            attempts: 0,
            failure: None,
            last_error: None,
            recorded_at: now,
            next_attempt_at: now,
            updated_at: now,
        })
    }

    /// How operators name it (`dead-letter reprocess event:7:3`).
    pub fn id(&self) -> String {
        format!("event:{}:{}", self.height, self.index)
    }

    /// What the intent is about: its allocation's or job's intents are done
    /// one after another, in chain order.
    pub fn subject(&self) -> String {
        self.event.subject()
    }

    /// Whether it may be tried at `now`.
    pub fn is_due(&self, now: u64) -> bool {
        self.state == IntentState::Waiting && self.next_attempt_at <= now
    }
}

/// When a failed intent is tried again, and when it is given up on.
///
/// Backoff as the mapping specification's retry policy: `base x 2^(n-1)`
/// after the n-th failure, at most `max` (30 s, 60 s, 120 s, ... 1 h), or
/// the server's `Retry-After` when it sent one. Failures that waiting
/// cures (Waldur unreachable or failing, rate limited, a 409 state that
/// will clear) are retried until the intent is `give_up_after` seconds
/// old; those that need an operator (401/403, a refused request) after
/// `max_attempts` failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub base_seconds: u64,
    pub max_seconds: u64,
    pub max_attempts: u32,
    pub give_up_after_seconds: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_seconds: 30,
            max_seconds: 3_600,
            max_attempts: 5,
            give_up_after_seconds: 86_400,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th failure (1-based).
    pub fn delay(&self, failures: u32, retry_after: Option<u64>) -> u64 {
        if let Some(asked) = retry_after {
            return asked.min(self.max_seconds);
        }
        let doubling = 1u64
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u64::MAX);
        self.base_seconds
            .saturating_mul(doubling)
            .min(self.max_seconds)
    }

    /// Records a failed attempt at `now` on `intent`: its next attempt, or
    /// the dead letters.
    pub fn failed(&self, intent: &mut Intent, error: &WaldurError, now: u64) {
        let class = error.class();
        intent.attempts = intent.attempts.saturating_add(1);
        intent.failure = Some(class);
        intent.last_error = Some(error.to_string());
        intent.updated_at = now;
        let give_up = match class {
            FailureClass::Unavailable | FailureClass::RateLimited | FailureClass::Conflict => {
                now.saturating_sub(intent.recorded_at) >= self.give_up_after_seconds
            }
            FailureClass::Auth | FailureClass::Refused => intent.attempts >= self.max_attempts,
        };
        if give_up {
            intent.state = IntentState::DeadLetter;
        } else {
            intent.next_attempt_at =
                now.saturating_add(self.delay(intent.attempts, error.retry_after()));
        }
    }

    /// An operator's retry: due at once, attempts and age counted afresh.
    pub fn reprocess(intent: &mut Intent, now: u64) {
        intent.state = IntentState::Waiting;
        intent.attempts = 0;
        intent.recorded_at = now;
        intent.next_attempt_at = now;
        intent.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn created(height: u64, index: u32, provider: &str) -> ContractEvent {
        ContractEvent {
            height,
            index,
            contract: "market".into(),
            kind: "allocation_created".into(),
            attributes: BTreeMap::from([
                ("allocation_id".to_string(), "a-1".to_string()),
                ("offering_id".to_string(), "o-1".to_string()),
                ("provider".to_string(), provider.to_string()),
                ("quantity".to_string(), "2".to_string()),
            ]),
        }
    }

    fn intent() -> Intent {
        Intent::of(&created(7, 3, "p"), "p", 1_000).expect("an intent")
    }

    #[test]
    fn keys_sort_in_chain_order() {
        assert!(intent_key(9, 12) < intent_key(10, 0));
        assert!(intent_key(10, 2) < intent_key(10, 11));
    }

    #[test]
    fn only_this_providers_events_that_need_work_become_intents() {
        assert!(Intent::of(&created(7, 3, "other"), "p", 1).is_none());
        let mut changed = created(7, 3, "p");
        changed.kind = "job_state_changed".into();
        changed.attributes.insert("job_id".into(), "j-1".into());
        changed.attributes.insert("state".into(), "running".into());
        assert!(
            Intent::of(&changed, "p", 1).is_none(),
            "not final: nothing to do"
        );
        changed
            .attributes
            .insert("state".into(), "cancelled".into());
        let closed = Intent::of(&changed, "p", 1).expect("a job closed on chain");
        assert_eq!(closed.subject(), "job:j-1");
        assert_eq!(intent().subject(), "allocation:a-1");
        assert_eq!(intent().id(), "event:7:3");
    }

    #[test]
    fn backoff_doubles_to_the_ceiling_and_honours_retry_after() {
        let policy = RetryPolicy::default();
        let waits: Vec<u64> = (1..=9).map(|n| policy.delay(n, None)).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.delay(1, Some(7)), 7);
        assert_eq!(policy.delay(1, Some(99_999)), 3_600);
        assert_eq!(policy.delay(u32::MAX, None), 3_600);
    }

    #[test]
    fn refusals_end_as_dead_letters_after_max_attempts() {
        let policy = RetryPolicy::default();
        let mut i = intent();
        let refused = WaldurError::Api("400 bad limits".into());
        for n in 1..5 {
            policy.failed(&mut i, &refused, 1_000);
            assert_eq!(i.state, IntentState::Waiting, "after {n}");
        }
        assert_eq!(i.next_attempt_at, 1_000 + 240);
        policy.failed(&mut i, &WaldurError::Auth("401".into()), 1_000);
        assert_eq!(i.state, IntentState::DeadLetter);
        assert_eq!(i.failure, Some(FailureClass::Auth));
        assert!(i.last_error.as_deref().unwrap_or("").contains("401"));
    }

    #[test]
    fn outages_and_conflicts_wait_until_the_intent_is_too_old() {
        let policy = RetryPolicy::default();
        let mut i = intent();
        for n in 0..50 {
            policy.failed(&mut i, &WaldurError::Transient("503".into()), 1_000 + n);
        }
        assert_eq!(i.state, IntentState::Waiting, "an outage is waited out");
        let conflict = WaldurError::Conflict("pending order".into());
        policy.failed(&mut i, &conflict, 1_000 + 86_399);
        assert_eq!(i.state, IntentState::Waiting);
        policy.failed(&mut i, &conflict, 1_000 + 86_400);
        assert_eq!(i.state, IntentState::DeadLetter);
        RetryPolicy::reprocess(&mut i, 90_000);
        assert!(i.is_due(90_000));
        assert_eq!(i.attempts, 0);
    }
}
