//! The published signing test vectors (tests/vectors/callback-signing-v1.json
//! and tests/vectors/signer-key-proof-v1.json at the workspace root) against
//! this implementation. Another relayer (Go, TypeScript) checks itself
//! against the same files.
//!
//! Regenerate after a deliberate layout change with
//! `VE_WRITE_VECTORS=1 cargo test -p ve-types --test signing_vectors`.

use ed25519_zebra::{SigningKey, VerificationKey};
use serde_json::{json, Value};
use ve_types::callback::{
    key_proof_bytes, payload_hash, signing_bytes, CallbackFields, KeyProofFields,
};
use ve_types::ActionType;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/callback-signing-v1.json"
);

struct Case {
    name: &'static str,
    seed: u8,
    action: ActionType,
    entity_id: &'static str,
    payload: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        name: "provision active",
        seed: 1,
        action: ActionType::Provision,
        entity_id: "virtengine1customer/101/1",
        payload: r#"{"state":"active","backend_id":"550e8400-e29b-41d4-a716-446655440003","reason":null}"#,
    },
    Case {
        name: "terminate terminated",
        seed: 2,
        action: ActionType::Terminate,
        entity_id: "virtengine1customer/101/1",
        payload: r#"{"state":"terminated","backend_id":null,"reason":"customer_request"}"#,
    },
    Case {
        name: "usage report",
        seed: 3,
        action: ActionType::UsageReport,
        entity_id: "virtengine1customer/101/1",
        payload: r#"{"usage_type":"cpu_hour","units":"123","period_start":1769731200,"period_end":1769734800}"#,
    },
    Case {
        name: "job status, empty payload",
        seed: 4,
        action: ActionType::JobStatus,
        entity_id: "virtengine1customer/7",
        payload: "",
    },
];

fn vector(c: &Case) -> Value {
    let key = SigningKey::from([c.seed; 32]);
    let public: [u8; 32] = VerificationKey::from(&key).into();
    let fields = CallbackFields {
        chain_id: "virtengine-1",
        contract: "virtengine1callbackcontract",
        provider: "virtengine1provider",
        signer_key_id: "waldur-bridge-signer-01",
        callback_id: "wcb_virtengine1customer/101/1_a1b2c3d4",
        action: c.action,
        waldur_id: "550e8400-e29b-41d4-a716-446655440003",
        entity_type: c.action.entity_type(),
        entity_id: c.entity_id,
        nonce: "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
        timestamp: 1_769_774_400,
        expires_at: 1_769_778_000,
        payload: c.payload.as_bytes(),
    };
    let bytes = signing_bytes(&fields).unwrap();
    let signature: [u8; 64] = key.sign(&bytes).into();
    json!({
        "name": c.name,
        "private_key_seed_hex": hex::encode([c.seed; 32]),
        "public_key_hex": hex::encode(public),
        "fields": {
            "chain_id": fields.chain_id,
            "contract": fields.contract,
            "provider": fields.provider,
            "signer_key_id": fields.signer_key_id,
            "callback_id": fields.callback_id,
            "action_type": fields.action.as_str(),
            "waldur_id": fields.waldur_id,
            "entity_type": fields.entity_type.as_str(),
            "entity_id": fields.entity_id,
            "nonce": fields.nonce,
            "timestamp": fields.timestamp,
            "expires_at": fields.expires_at,
            "payload_utf8": c.payload,
        },
        "payload_sha256_hex": hex::encode(payload_hash(c.payload.as_bytes())),
        "signing_bytes_hex": hex::encode(&bytes),
        "signature_hex": hex::encode(signature),
    })
}

fn all() -> Value {
    json!({
        "layout": "virtengine:waldur-callback signing bytes, version 1 (see contracts/waldur-callback/README.md)",
        "signature": "ed25519 (RFC 8032) over the signing bytes; the seed is the 32-byte private key",
        "vectors": CASES.iter().map(vector).collect::<Vec<_>>(),
    })
}

#[test]
fn published_vectors_match_the_implementation() {
    let expected = serde_json::to_string_pretty(&all()).unwrap() + "\n";
    if std::env::var_os("VE_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, &expected).unwrap();
    }
    let published = std::fs::read_to_string(PATH).expect("tests/vectors/callback-signing-v1.json");
    assert_eq!(published, expected, "signing bytes or signatures changed: regenerate the vectors only for a deliberate, versioned layout change");
}

#[test]
fn published_signatures_verify() {
    let published: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    for v in published["vectors"].as_array().unwrap() {
        let key: [u8; 32] = hex::decode(v["public_key_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(v["signature_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let bytes = hex::decode(v["signing_bytes_hex"].as_str().unwrap()).unwrap();
        VerificationKey::try_from(key)
            .unwrap()
            .verify(&sig.into(), &bytes)
            .unwrap();
    }
}

const PROOF_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/signer-key-proof-v1.json"
);

fn proof_vector(name: &str, seed: u8, key_id: &str) -> Value {
    let key = SigningKey::from([seed; 32]);
    let public: [u8; 32] = VerificationKey::from(&key).into();
    let fields = KeyProofFields {
        chain_id: "virtengine-1",
        contract: "virtengine1callbackcontract",
        provider: "virtengine1provider",
        key_id,
        public_key: &public,
    };
    let bytes = key_proof_bytes(&fields).unwrap();
    let signature: [u8; 64] = key.sign(&bytes).into();
    json!({
        "name": name,
        "private_key_seed_hex": hex::encode([seed; 32]),
        "public_key_hex": hex::encode(public),
        "fields": {
            "chain_id": fields.chain_id,
            "contract": fields.contract,
            "provider": fields.provider,
            "key_id": fields.key_id,
        },
        "proof_bytes_hex": hex::encode(&bytes),
        "proof_hex": hex::encode(signature),
    })
}

fn all_proofs() -> Value {
    json!({
        "layout": "virtengine:waldur-callback:key-proof bytes, version 1 (see contracts/waldur-callback/README.md)",
        "signature": "ed25519 (RFC 8032) by the key being registered over the proof bytes (the public key is their last 32 bytes); sent as `proof` of register_signer / rotate_signer",
        "vectors": [
            proof_vector("register waldur-bridge-signer-01", 1, "waldur-bridge-signer-01"),
            proof_vector("rotate to waldur-bridge-signer-02", 2, "waldur-bridge-signer-02"),
        ],
    })
}

#[test]
fn published_key_proofs_match_the_implementation() {
    let expected = serde_json::to_string_pretty(&all_proofs()).unwrap() + "\n";
    if std::env::var_os("VE_WRITE_VECTORS").is_some() {
        std::fs::write(PROOF_PATH, &expected).unwrap();
    }
    let published =
        std::fs::read_to_string(PROOF_PATH).expect("tests/vectors/signer-key-proof-v1.json");
    assert_eq!(published, expected, "key proof bytes or signatures changed: regenerate the vectors only for a deliberate, versioned layout change");
}

#[test]
fn published_key_proofs_verify() {
    let published: Value =
        serde_json::from_str(&std::fs::read_to_string(PROOF_PATH).unwrap()).unwrap();
    for v in published["vectors"].as_array().unwrap() {
        let key: [u8; 32] = hex::decode(v["public_key_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(v["proof_hex"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let bytes = hex::decode(v["proof_bytes_hex"].as_str().unwrap()).unwrap();
        assert!(bytes.ends_with(&key), "the proof bytes end with the key");
        VerificationKey::try_from(key)
            .unwrap()
            .verify(&sig.into(), &bytes)
            .unwrap();
    }
}
