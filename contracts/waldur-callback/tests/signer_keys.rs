//! register_signer and rotate_signer take only usable ed25519 public keys:
//! 32 bytes encoding a curve point canonically, not of small order, and
//! only with a proof of possession: the new key's signature over
//! `ve_types::callback::key_proof_bytes` of this chain, this contract, the
//! sender and the key id (audit of 0.2.0, issue 16).

mod common;

use common::*;
use cosmwasm_std::{Addr, Binary};
use curve25519_dalek::edwards::CompressedEdwardsY;
use cw_multi_test::Executor;
use waldur_callback::msg::{ExecuteMsg, QueryMsg, SignersResponse};

fn hex32(s: &str) -> [u8; 32] {
    cosmwasm_std::HexBinary::from_hex(s)
        .unwrap()
        .to_array()
        .unwrap()
}

/// The 8 points of small order, canonically encoded: the identity, the
/// point of order 2, two of order 4 and four of order 8.
const SMALL_ORDER: [&str; 8] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
];

/// y + p for a small y, with the x sign bit given: a non-canonical
/// encoding of the point with that y.
fn y_plus_p(y: u8, sign: bool) -> [u8; 32] {
    // p = 2^255 - 19: ed ff .. ff 7f, little-endian.
    let mut b = [0xff; 32];
    b[0] = 0xed + y;
    b[31] = if sign { 0xff } else { 0x7f };
    b
}

fn signers(s: &Suite) -> SignersResponse {
    s.query(&QueryMsg::Signers {
        provider: s.provider.to_string(),
        start_after: None,
        limit: None,
    })
    .unwrap()
}

/// Every bad key, with the reason it must be refused for.
fn bad_keys() -> Vec<([u8; 32], &'static str)> {
    let mut bad: Vec<([u8; 32], &'static str)> = SMALL_ORDER
        .iter()
        .map(|h| (hex32(h), "weak ed25519 key"))
        .collect();
    let non_canonical = "non-canonical encoding of an ed25519 point";
    // The small-order points again, non-canonically: y = 0 and y = 1 as
    // y + p (either sign), and x = 0 with the sign bit set.
    for y in [0, 1] {
        for sign in [false, true] {
            bad.push((y_plus_p(y, sign), non_canonical));
        }
    }
    let mut identity_signed = hex32(SMALL_ORDER[0]);
    identity_signed[31] |= 0x80;
    bad.push((identity_signed, non_canonical));
    let mut minus_one_signed = hex32(SMALL_ORDER[1]);
    minus_one_signed[31] |= 0x80;
    bad.push((minus_one_signed, non_canonical));
    // A non-canonical encoding of an ordinary (large-order) point.
    let ordinary = (2..19)
        .map(|y| y_plus_p(y, false))
        .find(|b| {
            CompressedEdwardsY(*b)
                .decompress()
                .is_some_and(|p| !p.is_small_order())
        })
        .expect("some y + p below 2^255 is an ordinary point");
    bad.push((ordinary, non_canonical));
    // Bytes that encode no point at all.
    let off_curve = (2..=255u8)
        .map(|n| {
            let mut b = [0u8; 32];
            b[0] = n;
            b
        })
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .expect("some small y is off the curve");
    bad.push((off_curve, "the bytes encode no point of the curve"));
    bad
}

#[test]
fn weak_and_non_canonical_keys_are_refused() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let before = signers(&s);
    for (bytes, reason) in bad_keys() {
        let public_key = Binary::from(bytes.to_vec());
        for msg in [
            ExecuteMsg::RegisterSigner {
                key_id: "k2".into(),
                public_key: public_key.clone(),
                proof: Binary::from(vec![0; 64]),
            },
            ExecuteMsg::RotateSigner {
                old_key_id: "k1".into(),
                new_key_id: "k2".into(),
                public_key: public_key.clone(),
                proof: Binary::from(vec![0; 64]),
            },
        ] {
            let state = s.all_state();
            let err = s.exec(&provider, &msg).unwrap_err().to_string();
            assert!(
                err.contains("invalid public_key") && err.contains(reason),
                "{}: {err}",
                cosmwasm_std::HexBinary::from(bytes.as_slice())
            );
            assert_eq!(s.all_state(), state, "a refused key changed state");
            assert_eq!(signers(&s), before);
        }
    }
    // Wrong lengths are refused as before.
    let err = s
        .exec(
            &provider,
            &ExecuteMsg::RegisterSigner {
                key_id: "k2".into(),
                public_key: Binary::from(vec![7; 33]),
                proof: Binary::from(vec![0; 64]),
            },
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("an ed25519 public key is 32 bytes, got 33"),
        "{err}"
    );
}

#[test]
fn ordinary_keys_still_register_and_rotate() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let register = s.register_msg(&key(42), &provider, "k2");
    s.exec(&provider, &register).unwrap();
    let rotate = s.rotate_msg(&key(43), &provider, "k2", "k3");
    s.exec(&provider, &rotate).unwrap();
    let ids: Vec<(String, bool)> = signers(&s)
        .signers
        .into_iter()
        .map(|r| (r.key_id, r.signer.active))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("k1".to_string(), true),
            ("k2".to_string(), false),
            ("k3".to_string(), true)
        ]
    );
    // Every key the test suite derives from a seed is ordinary.
    for seed in 0..=255u8 {
        waldur_callback::execute::signers::check_public_key(&public(&key(seed)))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

/// The refusal of `msg` from `sender`: it changes no state and no
/// provider's keys; returns the error text.
fn refused(s: &mut Suite, sender: &Addr, msg: &ExecuteMsg) -> String {
    let state = s.all_state();
    let keys = signers(s);
    let err = s.exec(sender, msg).unwrap_err().to_string();
    assert_eq!(s.all_state(), state, "a refused registration changed state");
    assert_eq!(signers(s), keys);
    err
}

fn register(key_id: &str, public_key: Binary, proof: Binary) -> ExecuteMsg {
    ExecuteMsg::RegisterSigner {
        key_id: key_id.into(),
        public_key,
        proof,
    }
}

fn rotate(new_key_id: &str, public_key: Binary, proof: Binary) -> ExecuteMsg {
    ExecuteMsg::RotateSigner {
        old_key_id: "k1".into(),
        new_key_id: new_key_id.into(),
        public_key,
        proof,
    }
}

/// Proofs that do not verify, each with what is wrong with it: by another
/// key, for another provider, key id, contract or chain, a callback
/// signature, garbage. `new` is the key being registered as `k2` by `by`.
fn bad_proofs(s: &mut Suite, by: &Addr, new: u8) -> Vec<(Binary, &'static str)> {
    let k = key(new);
    let unsigned = s.state_callback(
        ve_types::ActionType::Provision,
        "c/1/1",
        ve_types::AllocationState::Accepted,
    );
    let callback = s.sign(unsigned, &k);
    let chain = s.chain_id();
    let other = Addr::unchecked("cosmwasm1othercallbackcontract");
    let stranger = s.stranger.clone();
    let victim = if *by == s.provider {
        &stranger
    } else {
        &s.provider
    };
    vec![
        (
            key_proof(&key(99), &chain, &s.callback, by, "k2"),
            "another key",
        ),
        (
            key_proof(&k, &chain, &s.callback, victim, "k2"),
            "another provider",
        ),
        (
            key_proof(&k, &chain, &s.callback, by, "k3"),
            "another key id",
        ),
        (key_proof(&k, &chain, &other, by, "k2"), "another contract"),
        (
            key_proof(&k, "other-chain-1", &s.callback, by, "k2"),
            "another chain",
        ),
        (callback.signature, "a callback signature by the key"),
        (Binary::from(vec![0; 64]), "zeros"),
    ]
}

#[test]
fn registration_needs_a_proof_by_the_key() {
    let mut s = Suite::new();
    let (provider, stranger) = (s.provider.clone(), s.stranger.clone());
    let new = public(&key(42));

    for (proof, what) in bad_proofs(&mut s, &provider, 42) {
        for msg in [
            register("k2", new.clone(), proof.clone()),
            rotate("k2", new.clone(), proof.clone()),
        ] {
            let err = refused(&mut s, &provider, &msg);
            assert!(
                err.contains("invalid proof of possession for key k2")
                    && err.contains(&format!("provider {provider} (the sender)"))
                    && err.contains(&format!("contract {}", s.callback))
                    && err.contains(&format!("chain id {}", s.chain_id())),
                "{what}: {err}"
            );
        }
    }

    // Not 64 bytes, empty included.
    for len in [0, 63, 65] {
        for msg in [
            register("k2", new.clone(), Binary::from(vec![1; len])),
            rotate("k2", new.clone(), Binary::from(vec![1; len])),
        ] {
            let err = refused(&mut s, &provider, &msg);
            assert!(
                err.contains("invalid proof")
                    && err.contains(&format!(
                        "64-byte ed25519 signature by the new key, got {len} bytes"
                    )),
                "{len}: {err}"
            );
        }
    }

    // No proof at all: the message does not parse.
    for msg in [
        serde_json::json!({"register_signer": {"key_id": "k2", "public_key": new}}),
        serde_json::json!({"rotate_signer": {"old_key_id": "k1", "new_key_id": "k2", "public_key": new}}),
    ] {
        let state = s.all_state();
        let err = s
            .app
            .execute_contract(provider.clone(), s.callback.clone(), &msg, &[])
            .unwrap_err();
        let err = format!("{err:?}");
        assert!(err.contains("missing field `proof`"), "{err}");
        assert_eq!(s.all_state(), state);
    }

    // The proof made by the key itself registers and rotates.
    let ok = s.register_msg(&key(42), &provider, "k2");
    s.exec(&provider, &ok).unwrap();
    let ok = s.rotate_msg(&key(43), &provider, "k1", "k3");
    s.exec(&provider, &ok).unwrap();
    let keys: Vec<(String, bool)> = signers(&s)
        .signers
        .into_iter()
        .map(|r| (r.key_id, r.signer.active))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("k1".to_string(), false),
            ("k2".to_string(), true),
            ("k3".to_string(), true)
        ]
    );
    // A proof is no use to anyone else once seen: the stranger replaying
    // the provider's proof (say, from its pending transaction) is refused.
    let seen = s.register_msg(&key(44), &provider, "k4");
    let err = refused(&mut s, &stranger, &seen);
    assert!(
        err.contains("invalid proof of possession for key k4")
            && err.contains(&format!("provider {stranger} (the sender)")),
        "{err}"
    );
}

/// The squat of issue 16: a stranger who only knows a provider's public key
/// (it is public: the relayer prints it, the provider's registration shows
/// it) registered it first, and the one-key-one-owner rule then refused the
/// provider's own registration. Without the private key no proof verifies,
/// so the squat is refused and the provider's registration goes through.
#[test]
fn nobody_can_register_a_key_they_do_not_hold() {
    let mut s = Suite::new();
    let (provider, stranger) = (s.provider.clone(), s.stranger.clone());
    let new = public(&key(42));
    for (proof, what) in bad_proofs(&mut s, &stranger, 42) {
        let err = refused(&mut s, &stranger, &register("k2", new.clone(), proof));
        assert!(
            err.contains("invalid proof of possession for key k2"),
            "{what}: {err}"
        );
    }
    let stranger_keys = s
        .query::<SignersResponse>(&QueryMsg::Signers {
            provider: stranger.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert!(stranger_keys.signers.is_empty());
    let ok = s.register_msg(&key(42), &provider, "k2");
    s.exec(&provider, &ok).unwrap();
    let registered = s
        .query::<waldur_callback::msg::SignerResponse>(&QueryMsg::Signer {
            provider: provider.to_string(),
            key_id: "k2".into(),
        })
        .unwrap();
    assert_eq!(registered.signer.public_key, new);
    assert!(registered.signer.active);
}
