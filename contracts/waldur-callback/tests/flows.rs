//! Each action type dispatched to its contract, batches, and signer
//! management.

mod common;

use common::*;
use cosmwasm_std::{Binary, Uint128};
use ve_types::callback::OfferingIngestPayload;
use ve_types::{ActionType, AllocationState, OfferingState};
use waldur_callback::msg::{
    CallbackOutcome, ExecuteMsg, NonceStatusResponse, QueryMsg, SignerResponse, SignersResponse,
};

fn outcomes(res: &cw_multi_test::AppResponse) -> Vec<CallbackOutcome> {
    cosmwasm_std::from_json(res.data.as_ref().unwrap()).unwrap()
}

#[test]
fn provision_to_termination() {
    let mut s = Suite::new();
    let allocation = s.allocation_of(&s.provider.clone());
    for (action, state) in [
        (ActionType::Provision, AllocationState::Accepted),
        (ActionType::Provision, AllocationState::Provisioning),
        (ActionType::Provision, AllocationState::Active),
        (ActionType::StatusUpdate, AllocationState::Suspended),
        (ActionType::StatusUpdate, AllocationState::Active),
        (ActionType::Terminate, AllocationState::Terminating),
        (ActionType::Terminate, AllocationState::Terminated),
    ] {
        let cb = s.state_callback(action, &allocation, state);
        s.submit(&cb)
            .unwrap_or_else(|e| panic!("{action:?} {state}: {e}"));
        assert_eq!(s.allocation_state(&allocation), state);
    }
    // The provision callback bound the Waldur resource.
    let res: marketplace::msg::AllocationResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.marketplace.clone(),
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: allocation,
            },
        )
        .unwrap();
    assert_eq!(
        res.allocation.backend_id.as_deref(),
        Some("550e8400-e29b-41d4-a716-446655440003")
    );
}

#[test]
fn usage_reports_become_settlement_records() {
    let mut s = Suite::new();
    let (allocation, usage) = s.hour_of_usage();
    let provider = s.provider.clone();
    let draft = s.draft(&provider, ActionType::UsageReport, &allocation, &usage);
    let cb = s.sign(draft, &s.key);
    let res = s.submit(&cb).unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm-ve.usage_recorded"));
    let order = allocation.rsplit_once('/').unwrap().0;
    let records: settlement::msg::UsageRecordsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.settlement.clone(),
            &settlement::msg::QueryMsg::UsageRecordsByEscrow {
                escrow_id: format!("order:{order}"),
                state: None,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(records.records.len(), 1);
    assert_eq!(records.records[0].record.cost, Uint128::new(1_000));
    assert_eq!(records.records[0].record.recorded_by, s.callback);
    // Overlapping usage is refused by settlement, and nothing is stored.
    let draft = s.draft(&provider, ActionType::UsageReport, &allocation, &usage);
    let err = s.submit_fails(&s.sign(draft, &s.key));
    assert!(err.contains("periods may not overlap"), "{err}");
}

#[test]
fn offerings_are_ingested_for_the_signing_provider() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let uuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    let payload = OfferingIngestPayload {
        offering: ve_types::OfferingFields {
            name: "From Waldur".into(),
            description: String::new(),
            category: ve_types::Category::Gpu,
            pricing: ve_types::Pricing {
                model: ve_types::PricingModel::Hourly,
                denom: DENOM.into(),
                base_price: Uint128::new(5),
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
    };
    let mut draft = s.draft(&provider, ActionType::OfferingIngest, uuid, &payload);
    draft.waldur_id = uuid.into();
    let res = s.submit(&s.sign(draft.clone(), &s.key)).unwrap();
    let created = res
        .events
        .iter()
        .find(|e| e.ty == "wasm-ve.offering_created")
        .unwrap();
    assert!(created
        .attributes
        .iter()
        .any(|a| a.key == "provider" && a.value == provider.as_str()));
    // entity_id must be the Waldur offering itself.
    let mut wrong = s.draft(
        &provider,
        ActionType::OfferingIngest,
        "other-uuid",
        &payload,
    );
    wrong.waldur_id = uuid.into();
    let err = s.submit_fails(&s.sign(wrong, &s.key));
    assert!(
        err.contains("names the Waldur offering UUID as both waldur_id and entity_id"),
        "{err}"
    );
}

#[test]
fn batches_verify_together_and_fail_together() {
    let mut s = Suite::new();
    let allocations: Vec<String> = (0..5)
        .map(|_| s.allocation_of(&s.provider.clone()))
        .collect();
    let mut batch: Vec<_> = allocations
        .iter()
        .map(|a| s.state_callback(ActionType::Provision, a, AllocationState::Accepted))
        .collect();
    // One bad signature: nothing applies, and the error names it.
    let mut bad = batch.clone();
    let mut sig = bad[3].signature.to_vec();
    sig[10] ^= 0xff;
    bad[3].signature = Binary::from(sig);
    let before = s.all_state();
    let stranger = s.stranger.clone();
    let err = s
        .exec(
            &stranger,
            &ExecuteMsg::SubmitCallbacks {
                callbacks: bad.clone(),
            },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "invalid signature on callback {}",
            bad[3].callback_id
        )),
        "{err}"
    );
    assert_eq!(before, s.all_state());

    // A re-delivered callback inside a batch counts as already processed.
    batch.push(batch[0].clone());
    let res = s
        .exec(&stranger, &ExecuteMsg::SubmitCallbacks { callbacks: batch })
        .unwrap();
    let o = outcomes(&res);
    assert_eq!(o.len(), 6);
    assert_eq!(o[5], CallbackOutcome::AlreadyProcessed);
    assert!(o[..5].iter().all(|x| *x == CallbackOutcome::Processed));
    for a in &allocations {
        assert_eq!(s.allocation_state(a), AllocationState::Accepted);
    }
    let err = s
        .exec(
            &stranger,
            &ExecuteMsg::SubmitCallbacks { callbacks: vec![] },
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("0 callbacks, must be 1-50"),
        "{err}"
    );
}

#[test]
fn signer_registry() {
    let mut s = Suite::new();
    let (p, p2, admin, stranger) = (
        s.provider.clone(),
        s.provider2.clone(),
        s.admin.clone(),
        s.stranger.clone(),
    );
    let register = |s: &Suite, id: &str, seed: u8| s.register_msg(&key(seed), &p, id);
    let err = s.exec(&p, &register(&s, "k1", 30)).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("key k1 of {p} is already registered")),
        "{err}"
    );
    let err = s.exec(&p, &register(&s, "k9", 2)).unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "this public key is already registered (to {p2}, key k1)"
        )),
        "{err}"
    );
    let err = s
        .exec(
            &p,
            &ExecuteMsg::RegisterSigner {
                key_id: "k9".into(),
                public_key: Binary::from(vec![1; 31]),
                proof: Binary::from(vec![0; 64]),
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("an ed25519 public key is 32 bytes, got 31"),
        "{err}"
    );
    let err = s
        .exec(
            &p,
            &ExecuteMsg::RegisterSigner {
                key_id: "".into(),
                public_key: public(&key(40)),
                proof: s.proof(&key(40), &p, ""),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("invalid key_id"), "{err}");
    for i in 0..7u8 {
        let msg = register(&s, &format!("extra-{i}"), 50 + i);
        s.exec(&p, &msg).unwrap();
    }
    let err = s.exec(&p, &register(&s, "one-too-many", 60)).unwrap_err();
    assert!(
        err.to_string()
            .contains("already has the maximum of 8 active keys"),
        "{err}"
    );

    // Rotation: the old key stops working at once, the new one works.
    let rotate = s.rotate_msg(&key(70), &p, "k1", "k1-v2");
    s.exec(&p, &rotate).unwrap();
    let allocation = s.allocation_of(&p);
    let old = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    let err = s.submit_fails(&old);
    assert!(err.contains("revoked signer"), "{err}");
    let mut new = old.clone();
    new.signer_key_id = "k1-v2".into();
    s.submit(&s.sign(new, &key(70))).unwrap();

    // Only the admin revokes someone else's key.
    let err = s
        .exec(
            &stranger,
            &ExecuteMsg::RevokeSigner {
                provider: Some(p2.to_string()),
                key_id: "k1".into(),
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("revoke another provider's key may only be done by the admin"),
        "{err}"
    );
    s.exec(
        &admin,
        &ExecuteMsg::RevokeSigner {
            provider: Some(p2.to_string()),
            key_id: "k1".into(),
        },
    )
    .unwrap();
    let err = s
        .exec(
            &p2,
            &ExecuteMsg::RevokeSigner {
                provider: None,
                key_id: "k1".into(),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("was revoked"), "{err}");

    let one: SignerResponse = s
        .query(&QueryMsg::Signer {
            provider: p2.to_string(),
            key_id: "k1".into(),
        })
        .unwrap();
    assert!(!one.signer.active);
    assert!(one.signer.revoked_at.is_some());
    let page: SignersResponse = s
        .query(&QueryMsg::Signers {
            provider: p.to_string(),
            start_after: None,
            limit: Some(3),
        })
        .unwrap();
    assert_eq!(page.signers.len(), 3);
    let rest: SignersResponse = s
        .query(&QueryMsg::Signers {
            provider: p.to_string(),
            start_after: Some(page.signers[2].key_id.clone()),
            limit: None,
        })
        .unwrap();
    assert_eq!(page.signers.len() + rest.signers.len(), 9);
}

#[test]
fn nonce_and_record_queries() {
    let mut s = Suite::new();
    let allocation = s.allocation_of(&s.provider.clone());
    let cb = s.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    let p = s.provider.to_string();
    let status = |s: &Suite| -> NonceStatusResponse {
        s.query(&QueryMsg::NonceStatus {
            provider: p.clone(),
            key_id: "k1".into(),
            nonce: cb.nonce.clone(),
        })
        .unwrap()
    };
    assert!(!status(&s).used);
    s.submit(&cb).unwrap();
    assert_eq!(status(&s).expires_at, Some(cb.expires_at));
    let record: waldur_callback::state::CallbackRecord = s
        .query(&QueryMsg::Callback {
            provider: p.clone(),
            callback_id: cb.callback_id.clone(),
        })
        .unwrap();
    assert_eq!(record.entity_id, allocation);
    // After expiry, anyone may prune; the record and nonce are gone.
    s.advance(601);
    let stranger = s.stranger.clone();
    s.exec(&stranger, &ExecuteMsg::PruneNonces { limit: None })
        .unwrap();
    assert!(!status(&s).used);
    let err = s
        .query::<waldur_callback::state::CallbackRecord>(&QueryMsg::Callback {
            provider: p,
            callback_id: cb.callback_id.clone(),
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("never applied, or pruned after expiry"),
        "{err}"
    );
    // And the expired callback cannot come back.
    let err = s.submit_fails(&cb);
    assert!(err.contains("expired at"), "{err}");
}

#[test]
fn config_is_admin_only_and_bounded() {
    let mut s = Suite::new();
    let (admin, stranger) = (s.admin.clone(), s.stranger.clone());
    let update = |validity: Option<u64>, payload: Option<u32>| {
        ExecuteMsg::UpdateConfig(waldur_callback::msg::ConfigUpdate {
            admin: None,
            marketplace: None,
            settlement: None,
            hpc: None,
            max_validity_seconds: validity,
            max_clock_skew_seconds: None,
            max_payload_bytes: payload,
            prune_batch: None,
        })
    };
    let err = s.exec(&stranger, &update(Some(600), None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("update the config may only be done by the admin"),
        "{err}"
    );
    let err = s.exec(&admin, &update(None, None)).unwrap_err();
    assert!(err.to_string().contains("nothing to update"), "{err}");
    let err = s.exec(&admin, &update(Some(86_401), None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid max_validity_seconds: must be 60-86400"),
        "{err}"
    );
    let err = s.exec(&admin, &update(None, Some(100))).unwrap_err();
    assert!(
        err.to_string().contains("invalid max_payload_bytes"),
        "{err}"
    );
    s.exec(&admin, &update(Some(600), Some(256))).unwrap();
    let config: waldur_callback::state::Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        (config.max_validity_seconds, config.max_payload_bytes),
        (600, 256)
    );
}
