//! The dead letter queues, read and reprocessed straight from the relayer
//! database: chain events whose Waldur work failed for good (intents),
//! callbacks the chain kept refusing (outbox) and offerings Waldur kept
//! refusing (offering sync records). The CLI uses
//! this on a stopped relayer's database; the running service uses it
//! through its admin API (redb lets one process open the file).

use crate::chain::signer::{CallbackDraft, Signer};
use crate::runtime::outbox::{EntryState, Outbox, OutboxError};
use crate::runtime::service::summary::{
    DeadCallback, DeadEvent, DeadLetters, DeadOffering, ReprocessTarget, Reprocessed,
};
use crate::waldur_side::offering_sync::{SyncRecord, SyncState, RECORD_PREFIX};

#[derive(thiserror::Error, Debug)]
pub enum DeadLetterError {
    #[error(transparent)]
    Store(#[from] OutboxError),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("no dead letter {0}")]
    NotFound(String),
    #[error("give a dead letter id or all")]
    NoTarget,
}

/// Offering sync records that are dead letters.
pub fn dead_offerings(store: &Outbox) -> Result<Vec<SyncRecord>, OutboxError> {
    Ok(store
        .states_with_prefix::<SyncRecord>(RECORD_PREFIX)?
        .into_iter()
        .map(|(_, record)| record)
        .filter(|r| r.state == SyncState::DeadLetter)
        .collect())
}

pub fn list(store: &Outbox) -> Result<DeadLetters, OutboxError> {
    Ok(DeadLetters {
        events: store.dead_intents()?.iter().map(DeadEvent::from).collect(),
        callbacks: store
            .in_state(EntryState::DeadLetter, usize::MAX)?
            .iter()
            .map(DeadCallback::from)
            .collect(),
        offerings: dead_offerings(store)?
            .iter()
            .map(DeadOffering::from)
            .collect(),
    })
}

fn wanted(target: &ReprocessTarget, id: &str) -> bool {
    match target {
        ReprocessTarget::One { id: wanted } => wanted == id,
        ReprocessTarget::All { all } => *all,
    }
}

/// Puts the dead events `target` names back in the queue, due at once
/// (attempts and age counted afresh).
pub fn reprocess_events(
    store: &Outbox,
    target: &ReprocessTarget,
    now: u64,
) -> Result<Vec<String>, OutboxError> {
    store.reprocess_intents(|id| wanted(target, id), now)
}

/// Re-signs (fresh nonce and validity: the old signature may have
/// expired) and queues again the dead callbacks `target` names.
pub fn reprocess_callbacks(
    store: &Outbox,
    signer: &Signer,
    target: &ReprocessTarget,
    now: u64,
) -> Result<Vec<String>, DeadLetterError> {
    let mut done = Vec::new();
    for entry in store.in_state(EntryState::DeadLetter, usize::MAX)? {
        let cb = &entry.callback;
        if !wanted(target, &cb.callback_id) {
            continue;
        }
        let resigned = signer
            .sign(&CallbackDraft::of(cb), now)
            .map_err(|e| DeadLetterError::Signing(e.to_string()))?;
        store.reprocess(&cb.callback_id, resigned, now)?;
        done.push(cb.callback_id.clone());
    }
    Ok(done)
}

/// Puts dead offering records back in the sync queue, due at `now`. Only
/// for a stopped relayer: a running one keeps the records in memory, so
/// it reprocesses through `OfferingSync::reprocess` instead.
pub fn reprocess_offerings_offline(
    store: &Outbox,
    target: &ReprocessTarget,
    now: u64,
) -> Result<Vec<String>, OutboxError> {
    let mut done = Vec::new();
    for mut record in dead_offerings(store)? {
        if !wanted(target, &record.offering_id) {
            continue;
        }
        record.reprocess(now);
        store.save_state(&format!("{RECORD_PREFIX}{}", record.offering_id), &record)?;
        done.push(record.offering_id);
    }
    Ok(done)
}

/// Checks that something was reprocessed when one id was asked for.
pub fn check_found(target: &ReprocessTarget, done: &Reprocessed) -> Result<(), DeadLetterError> {
    match target {
        ReprocessTarget::One { id }
            if done.events.is_empty() && done.callbacks.is_empty() && done.offerings.is_empty() =>
        {
            Err(DeadLetterError::NotFound(id.clone()))
        }
        ReprocessTarget::All { all: false } => Err(DeadLetterError::NoTarget),
        _ => Ok(()),
    }
}
