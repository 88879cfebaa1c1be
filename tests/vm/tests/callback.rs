//! The optimised waldur-callback artifact in the real VM verifies
//! signatures made by ed25519-zebra (what the relayer signs with), single
//! and batched, and refuses a tampered one.

use cosmwasm_std::{to_json_vec, Binary, CosmosMsg, WasmMsg};
use ed25519_zebra::{SigningKey, VerificationKey};
use serde_json::{json, Value};
use ve_types::callback::{
    key_proof_bytes, signing_bytes, CallbackFields, KeyProofFields, OfferingIngestPayload,
};
use ve_types::{ActionType, EntityType, OfferingState};
use ve_vm_tests::{VmContract, VM_GAS_PER_SDK_GAS};

fn ingest_payload() -> Vec<u8> {
    to_json_vec(&OfferingIngestPayload {
        offering: ve_types::OfferingFields {
            name: "GPU box".into(),
            description: String::new(),
            category: ve_types::Category::Gpu,
            pricing: ve_types::Pricing {
                model: ve_types::PricingModel::Hourly,
                denom: "uvirt".into(),
                base_price: 10u128.into(),
                components: vec![],
                minimum_commitment_seconds: 0,
            },
            regions: vec![],
            tags: vec![],
            specifications: Default::default(),
            min_identity_score: 0,
            require_mfa_for_orders: false,
        },
        state: OfferingState::Active,
    })
    .unwrap()
}

/// A signed offering ingest (it dispatches without querying another
/// contract, so it runs in a single-contract VM).
fn signed(vm: &VmContract, key: &SigningKey, provider: &str, n: u32) -> Value {
    let payload = ingest_payload();
    let uuid = format!("waldur-offering-{n}");
    let now = vm.env.block.time.seconds();
    let bytes = signing_bytes(&CallbackFields {
        chain_id: &vm.env.block.chain_id,
        contract: vm.env.contract.address.as_str(),
        provider,
        signer_key_id: "k1",
        callback_id: &format!("cb-{n}"),
        action: ActionType::OfferingIngest,
        waldur_id: &uuid,
        entity_type: EntityType::Offering,
        entity_id: &uuid,
        nonce: &format!("nonce-{n:08}"),
        timestamp: now,
        expires_at: now + 600,
        payload: &payload,
    })
    .unwrap();
    let signature: [u8; 64] = key.sign(&bytes).into();
    json!({
        "provider": provider, "signer_key_id": "k1", "callback_id": format!("cb-{n}"),
        "action_type": "offering_ingest", "waldur_id": uuid, "entity_type": "offering",
        "entity_id": uuid, "nonce": format!("nonce-{n:08}"), "timestamp": now, "expires_at": now + 600,
        "payload": Binary::from(payload), "signature": Binary::from(signature.to_vec()),
    })
}

#[test]
fn zebra_signatures_verify_in_the_optimised_wasm() {
    let mut vm = VmContract::load("waldur-callback");
    let [admin, provider, marketplace] = ["admin", "provider", "marketplace"].map(|n| vm.addr(n));
    let (res, _) = vm.instantiate(&admin, &json!({ "marketplace": marketplace }));
    res.unwrap();
    let key = SigningKey::from([7u8; 32]);
    let public: [u8; 32] = VerificationKey::from(&key).into();
    let proof = |provider: &str, key_id: &str| {
        let bytes = key_proof_bytes(&KeyProofFields {
            chain_id: &vm.env.block.chain_id,
            contract: vm.env.contract.address.as_str(),
            provider,
            key_id,
            public_key: &public,
        })
        .unwrap();
        Binary::from(<[u8; 64]>::from(key.sign(&bytes)).to_vec())
    };
    // The proof of possession is verified in the wasm too: one made for
    // another provider (or key id) is refused, the right one registers.
    let stranger = vm.addr("stranger");
    let (good, for_k2) = (
        proof(provider.as_str(), "k1"),
        proof(provider.as_str(), "k2"),
    );
    let register = |proof: Binary| json!({ "register_signer": { "key_id": "k1", "public_key": Binary::from(public.to_vec()), "proof": proof }});
    let (res, _) = vm.execute(&stranger, &register(good.clone()), &[]);
    let err = res.unwrap_err();
    assert!(
        err.contains("invalid proof of possession for key k1"),
        "{err}"
    );
    let (res, _) = vm.execute(&provider, &register(for_k2), &[]);
    assert!(res.unwrap_err().contains("invalid proof of possession"));
    let (res, checks) = vm.execute(&provider, &register(Binary::from(vec![0; 63])), &[]);
    assert!(res.unwrap_err().contains("invalid proof"));
    println!("register_signer refused before the proof's verification (key checks only): {checks} VM gas");
    let (res, gas) = vm.execute(&provider, &register(good), &[]);
    res.unwrap();
    println!(
        "register_signer with its proof: {gas} VM gas ({} SDK gas)",
        gas / VM_GAS_PER_SDK_GAS
    );

    let cb = signed(&vm, &key, provider.as_str(), 1);
    let (res, gas) = vm.execute(
        &provider,
        &json!({ "submit_callback": { "callback": cb }}),
        &[],
    );
    let res = res.unwrap();
    println!(
        "one signed callback: {gas} VM gas ({} SDK gas)",
        gas / VM_GAS_PER_SDK_GAS
    );
    match &res.messages[0].msg {
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr, msg, ..
        }) => {
            assert_eq!(contract_addr, marketplace.as_str());
            let msg: Value = cosmwasm_std::from_json(msg).unwrap();
            assert_eq!(msg["ingest_offering"]["provider"], provider.as_str());
            assert_eq!(msg["ingest_offering"]["waldur_id"], "waldur-offering-1");
        }
        other => panic!("unexpected message {other:?}"),
    }
    // Re-delivery is answered, not dispatched again.
    let (res, _) = vm.execute(
        &provider,
        &json!({ "submit_callback": { "callback": cb }}),
        &[],
    );
    let res = res.unwrap();
    assert!(res.messages.is_empty());
    let outcome: Value = cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    assert_eq!(outcome, json!(["already_processed"]));

    // A tampered callback is refused by the VM's verifier.
    let mut tampered = signed(&vm, &key, provider.as_str(), 2);
    tampered["waldur_id"] = json!("waldur-offering-x");
    tampered["entity_id"] = json!("waldur-offering-x");
    let (res, _) = vm.execute(
        &provider,
        &json!({ "submit_callback": { "callback": tampered }}),
        &[],
    );
    assert!(res
        .unwrap_err()
        .contains("invalid signature on callback cb-2"));

    // A batch goes through ed25519_batch_verify.
    let batch: Vec<Value> = (10..60)
        .map(|n| signed(&vm, &key, provider.as_str(), n))
        .collect();
    let (res, gas) = vm.execute(
        &provider,
        &json!({ "submit_callbacks": { "callbacks": batch }}),
        &[],
    );
    let res = res.unwrap();
    assert_eq!(res.messages.len(), 50);
    println!("batch of 50: {gas} VM gas ({} per callback)", gas / 50);
}
