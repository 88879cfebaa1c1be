//! 10,000 callbacks over simulated time: stored nonces stay bounded by the
//! validity window, not by the number of callbacks ever seen.

mod common;

use common::*;
use ve_types::callback::AllocationStatePayload;
use ve_types::{ActionType, AllocationState};
use waldur_callback::msg::{NonceCountResponse, QueryMsg};

#[test]
fn ten_thousand_callbacks_keep_state_bounded() {
    let mut s = Suite::new();
    let allocation = s.allocation_of(&s.provider.clone());
    let provider = s.provider.clone();
    let key = s.key;
    // Status reports of the current state are accepted and change nothing
    // in the marketplace, so every callback exercises only this contract.
    let accepted = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    s.submit(&accepted).unwrap();
    let payload = AllocationStatePayload {
        state: AllocationState::Accepted,
        backend_id: None,
        reason: None,
    };
    // One callback every 6 s, each valid for 600 s: at most ~100 live at
    // once (plus the prune lag of one block).
    let mut peak = 0;
    for i in 0..10_000u32 {
        s.advance(6);
        let draft = s.draft(&provider, ActionType::Provision, &allocation, &payload);
        let cb = s.sign(draft, &key);
        s.submit(&cb)
            .unwrap_or_else(|e| panic!("callback {i}: {e}"));
        let stored: NonceCountResponse = s.query(&QueryMsg::NonceCount {}).unwrap();
        peak = peak.max(stored.stored);
    }
    let stored: NonceCountResponse = s.query(&QueryMsg::NonceCount {}).unwrap();
    println!(
        "10,000 callbacks: {} nonces stored at the end, peak {peak}",
        stored.stored
    );
    assert!(peak <= 600 / 6 + 2, "peak {peak} nonces stored");
    assert!(stored.stored <= 600 / 6 + 2);
    // The count matches what is really stored.
    let raw = s.app.dump_wasm_raw(&s.callback);
    let nonce_prefix = b"\x00\x06nonces";
    let really = raw
        .iter()
        .filter(|(k, _)| k.starts_with(nonce_prefix))
        .count() as u64;
    assert_eq!(really, stored.stored);
}
