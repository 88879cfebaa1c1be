//! Nonce pruning. A callback is rejected once past `expires_at`, so its
//! nonce and record are useless after that and are deleted, oldest first,
//! a bounded number per execute: state stays proportional to the callbacks
//! of one validity window, whatever the load.

use cosmwasm_std::{Order, StdResult, Storage};
use cw_storage_plus::Bound;

use crate::state::{CALLBACKS, EXPIRY_QUEUE, NONCES, NONCE_COUNT};

/// Deletes up to `limit` entries that expired at or before `now`; returns
/// how many.
pub fn prune_expired(storage: &mut dyn Storage, now: u64, limit: u32) -> StdResult<u64> {
    let expired: Vec<_> = EXPIRY_QUEUE
        .range(
            storage,
            None,
            Some(Bound::exclusive((now.saturating_add(1), 0))),
            Order::Ascending,
        )
        .take(limit as usize)
        .collect::<StdResult<_>>()?;
    let removed = expired.len() as u64;
    for (key, entry) in expired {
        NONCES.remove(
            storage,
            (&entry.provider, &entry.signer_key_id, &entry.nonce),
        );
        CALLBACKS.remove(storage, (&entry.provider, &entry.callback_id));
        EXPIRY_QUEUE.remove(storage, key);
    }
    if removed > 0 {
        let count = NONCE_COUNT.may_load(storage)?.unwrap_or_default();
        NONCE_COUNT.save(storage, &count.saturating_sub(removed))?;
    }
    Ok(removed)
}
