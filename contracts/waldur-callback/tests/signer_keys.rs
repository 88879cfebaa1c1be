//! register_signer and rotate_signer take only usable ed25519 public keys:
//! 32 bytes encoding a curve point canonically, not of small order (audit
//! of 0.2.0, issue 16).

mod common;

use common::*;
use cosmwasm_std::Binary;
use curve25519_dalek::edwards::CompressedEdwardsY;
use waldur_callback::msg::{ExecuteMsg, QueryMsg, SignersResponse};

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
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
            },
            ExecuteMsg::RotateSigner {
                old_key_id: "k1".into(),
                new_key_id: "k2".into(),
                public_key: public_key.clone(),
            },
        ] {
            let state = s.all_state();
            let err = s.exec(&provider, &msg).unwrap_err().to_string();
            assert!(
                err.contains("invalid public_key") && err.contains(reason),
                "{}: {err}",
                hex::encode(bytes)
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
    s.exec(
        &provider,
        &ExecuteMsg::RegisterSigner {
            key_id: "k2".into(),
            public_key: public(&key(42)),
        },
    )
    .unwrap();
    s.exec(
        &provider,
        &ExecuteMsg::RotateSigner {
            old_key_id: "k2".into(),
            new_key_id: "k3".into(),
            public_key: public(&key(43)),
        },
    )
    .unwrap();
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
