//! The attack matrix: every way a callback can be wrong is refused with a
//! named error, and leaves every contract's state as it was.

mod common;

use common::*;
use cosmwasm_std::Binary;
use ve_types::callback::AllocationStatePayload;
use ve_types::{ActionType, AllocationState, EntityType};
use waldur_callback::msg::ExecuteMsg;

fn accepted(s: &mut Suite) -> (String, waldur_callback::msg::SignedCallback) {
    let allocation = s.allocation_of(&s.provider.clone());
    let cb = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    (allocation, cb)
}

#[test]
fn a_good_callback_applies() {
    let mut s = Suite::new();
    let (allocation, cb) = accepted(&mut s);
    let res = s.submit(&cb).unwrap();
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.callback_processed"));
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.allocation_state_changed"));
    assert_eq!(s.allocation_state(&allocation), AllocationState::Accepted);
    let outcomes: Vec<waldur_callback::msg::CallbackOutcome> =
        cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    assert_eq!(
        outcomes,
        vec![waldur_callback::msg::CallbackOutcome::Processed]
    );
}

#[test]
fn wrong_key() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let forged = s.sign(cb, &key(9));
    let err = s.submit_fails(&forged);
    assert!(
        err.contains(&format!(
            "invalid signature on callback {} of {}",
            forged.callback_id, s.provider
        )),
        "{err}"
    );
}

#[test]
fn key_of_another_provider() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    // Signed with provider2's registered key, claiming to be provider.
    let key2 = s.key2;
    let err = s.submit_fails(&s.sign(cb.clone(), &key2));
    assert!(err.contains("invalid signature"), "{err}");
    // A key id the provider does not have.
    let mut other = cb;
    other.signer_key_id = "k2".into();
    let key = s.key;
    let err = s.submit_fails(&s.sign(other, &key));
    assert!(
        err.contains(&format!("unknown signer: {} has no key k2", s.provider)),
        "{err}"
    );
}

#[test]
fn entity_of_another_provider() {
    let mut s = Suite::new();
    let (allocation, _) = accepted(&mut s);
    // provider2 signs correctly with its own key for provider's allocation.
    let p2 = s.provider2.clone();
    let draft = s.draft(
        &p2,
        ActionType::Provision,
        &allocation,
        &AllocationStatePayload {
            state: AllocationState::Accepted,
            backend_id: None,
            reason: None,
        },
    );
    let key2 = s.key2;
    let err = s.submit_fails(&s.sign(draft, &key2));
    assert!(
        err.contains(&format!(
            "allocation {allocation} belongs to {}, not to {p2}",
            s.provider
        )),
        "{err}"
    );
}

#[test]
fn usage_of_another_providers_allocation() {
    let mut s = Suite::new();
    let (allocation, usage) = s.hour_of_usage();
    let p2 = s.provider2.clone();
    // provider2 signs with its own key usage of provider's allocation.
    let draft = s.draft(&p2, ActionType::UsageReport, &allocation, &usage);
    let key2 = s.key2;
    let before = s.all_state();
    let err = s.submit_fails(&s.sign(draft, &key2));
    let order = allocation.rsplit_once('/').map_or("", |(o, _)| o);
    assert!(
        err.contains(&format!(
            "escrow order:{order} belongs to {}, not to {p2}",
            s.provider
        )),
        "{err}"
    );
    assert_eq!(before, s.all_state());
}

#[test]
fn revoked_key() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let p = s.provider.clone();
    s.exec(
        &p,
        &ExecuteMsg::RevokeSigner {
            provider: None,
            key_id: "k1".into(),
        },
    )
    .unwrap();
    let err = s.submit_fails(&cb);
    assert!(
        err.contains(&format!("revoked signer: key k1 of {p} was revoked")),
        "{err}"
    );
}

#[test]
fn tampered_payload() {
    let mut s = Suite::new();
    let (_, mut cb) = accepted(&mut s);
    cb.payload = Binary::from(br#"{"state":"active","backend_id":null,"reason":null}"#.to_vec());
    let err = s.submit_fails(&cb);
    assert!(err.contains("invalid signature"), "{err}");
}

#[test]
fn tampered_signed_fields() {
    let mut s = Suite::new();
    let (allocation, cb) = accepted(&mut s);
    let other_allocation = s.allocation_of(&s.provider.clone());
    type Tamper = Box<dyn Fn(&mut waldur_callback::msg::SignedCallback)>;
    let tampers: Vec<(&str, Tamper)> = vec![
        ("callback_id", Box::new(|c| c.callback_id.push('x'))),
        (
            "action_type",
            Box::new(|c| c.action_type = ActionType::StatusUpdate),
        ),
        ("waldur_id", Box::new(|c| c.waldur_id.push('x'))),
        (
            "entity_id",
            Box::new(move |c| c.entity_id = other_allocation.clone()),
        ),
        ("nonce", Box::new(|c| c.nonce.push('x'))),
        ("timestamp", Box::new(|c| c.timestamp -= 1)),
        ("expires_at", Box::new(|c| c.expires_at += 1)),
        (
            "signature",
            Box::new(|c| {
                let mut sig = c.signature.to_vec();
                sig[0] ^= 1;
                c.signature = Binary::from(sig);
            }),
        ),
    ];
    for (field, tamper) in tampers {
        let mut t = cb.clone();
        tamper(&mut t);
        let err = s.submit_fails(&t);
        assert!(err.contains("invalid signature"), "{field}: {err}");
    }
    // Entity type is checked against the action before the signature.
    let mut t = cb.clone();
    t.entity_type = EntityType::Job;
    let err = s.submit_fails(&t);
    assert!(
        err.contains("provision callbacks are about allocations, not jobs"),
        "{err}"
    );
    // The untouched callback still applies.
    s.submit(&cb).unwrap();
    assert_eq!(s.allocation_state(&allocation), AllocationState::Accepted);
}

#[test]
fn replayed_nonce() {
    let mut s = Suite::new();
    let (allocation, first) = accepted(&mut s);
    s.submit(&first).unwrap();
    // A different callback (new id), validly signed, reusing the nonce.
    let mut second = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Provisioning,
    );
    second.nonce = first.nonce.clone();
    let second = s.sign(second, &s.key);
    let err = s.submit_fails(&second);
    assert!(
        err.contains(&format!(
            "replayed nonce {} of key k1 of {}",
            first.nonce, s.provider
        )),
        "{err}"
    );
}

#[test]
fn redelivery_is_already_processed_not_an_attack() {
    let mut s = Suite::new();
    let (allocation, cb) = accepted(&mut s);
    s.submit(&cb).unwrap();
    let before = s.all_state();
    let res = s.submit(&cb).unwrap();
    let outcomes: Vec<waldur_callback::msg::CallbackOutcome> =
        cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    assert_eq!(
        outcomes,
        vec![waldur_callback::msg::CallbackOutcome::AlreadyProcessed]
    );
    assert!(!res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.allocation_state_changed"));
    assert_eq!(before, s.all_state());
    assert_eq!(s.allocation_state(&allocation), AllocationState::Accepted);

    // The same callback id with other content is refused.
    let mut other = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Provisioning,
    );
    other.callback_id = cb.callback_id.clone();
    let other = s.sign(other, &s.key);
    let err = s.submit_fails(&other);
    assert!(
        err.contains(&format!(
            "callback id {} of {} was already used for a different callback",
            cb.callback_id, s.provider
        )),
        "{err}"
    );
}

#[test]
fn expired_and_future_dated() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let key = s.key;
    s.advance(601);
    let err = s.submit_fails(&cb);
    assert!(
        err.contains(&format!(
            "callback {} expired at {}",
            cb.callback_id, cb.expires_at
        )),
        "{err}"
    );

    let now = s.now();
    let mut future = cb.clone();
    future.callback_id = "cb-future".into();
    future.timestamp = now + 61;
    future.expires_at = now + 600;
    let err = s.submit_fails(&s.sign(future.clone(), &key));
    assert!(err.contains("beyond the allowed clock skew"), "{err}");
    // Within the skew is fine.
    future.timestamp = now + 60;
    s.submit(&s.sign(future, &key)).unwrap();

    let mut too_long = cb.clone();
    too_long.callback_id = "cb-long".into();
    too_long.nonce = "nonce-long-validity".into();
    too_long.timestamp = now;
    too_long.expires_at = now + WINDOW + 1;
    let err = s.submit_fails(&s.sign(too_long.clone(), &key));
    assert!(
        err.contains(&format!("at most {WINDOW} s after it")),
        "{err}"
    );
    too_long.expires_at = now;
    let err = s.submit_fails(&s.sign(too_long, &key));
    assert!(err.contains("expired at"), "{err}");
}

#[test]
fn other_chain_or_deployment() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let key = s.key;
    let other_chain = sign_for(
        cb.clone(),
        &key,
        "virtengine-testnet-9",
        s.callback.as_str(),
    );
    let err = s.submit_fails(&other_chain);
    assert!(err.contains("invalid signature"), "{err}");
    let other_contract = sign_for(cb, &key, &s.chain_id(), s.marketplace.as_str());
    let err = s.submit_fails(&other_contract);
    assert!(err.contains("invalid signature"), "{err}");
}

#[test]
fn disallowed_transitions_are_refused_by_the_owner() {
    let mut s = Suite::new();
    let (_, _) = accepted(&mut s);
    let allocation = s.allocation_of(&s.provider.clone());
    // pending -> active skips the table.
    let cb = s.state_callback(ActionType::Provision, &allocation, AllocationState::Active);
    let err = s.submit_fails(&cb);
    assert!(
        err.contains(&format!(
            "allocation {allocation} cannot go from pending to active"
        )),
        "{err}"
    );
    // An action may only report its own states.
    let cb = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Terminated,
    );
    let err = s.submit_fails(&cb);
    assert!(
        err.contains("a provision callback cannot report terminated"),
        "{err}"
    );
}

#[test]
fn unknown_action_is_rejected() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let mut raw = serde_json::to_value(ExecuteMsg::SubmitCallback { callback: cb }).unwrap();
    raw["submit_callback"]["callback"]["action_type"] = "reboot".into();
    let before = s.all_state();
    let stranger = s.stranger.clone();
    let callback = s.callback.clone();
    let err = cw_multi_test::Executor::execute_contract(&mut s.app, stranger, callback, &raw, &[])
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `reboot`"),
        "{err}"
    );
    assert_eq!(before, s.all_state());
}

#[test]
fn oversized_and_malformed_fields() {
    let mut s = Suite::new();
    let (_, cb) = accepted(&mut s);
    let key = s.key;
    let mut big = cb.clone();
    big.payload = Binary::from(vec![b' '; 4_097]);
    let err = s.submit_fails(&s.sign(big, &key));
    assert!(
        err.contains("invalid payload: 4097 bytes, at most 4096"),
        "{err}"
    );
    let mut short_nonce = cb.clone();
    short_nonce.nonce = "1234567".into();
    let err = s.submit_fails(&s.sign(short_nonce, &key));
    assert!(err.contains("invalid nonce: must be 8-128"), "{err}");
    let mut bad_sig = cb.clone();
    bad_sig.signature = Binary::from(vec![0; 63]);
    let err = s.submit_fails(&bad_sig);
    assert!(
        err.contains("an ed25519 signature is 64 bytes, got 63"),
        "{err}"
    );
    let mut garbage = cb.clone();
    garbage.payload = Binary::from(b"not json".to_vec());
    let err = s.submit_fails(&s.sign(garbage, &key));
    assert!(
        err.contains("invalid payload: not a valid provision payload"),
        "{err}"
    );
    let mut bad_provider = cb;
    bad_provider.provider = "not-an-address".into();
    let err = s.submit_fails(&bad_provider);
    assert!(err.contains("invalid provider"), "{err}");
}
