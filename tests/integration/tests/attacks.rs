//! The attack suite (issue 16): the four contracts wired together, and for
//! each class of attack a call that must be refused, with its error
//! checked and a snapshot (every account's balances, the smart query
//! answers over everything the contracts hold, and their raw storage)
//! proving the refused call changed nothing ([`World::refused`]).

use cosmwasm_std::{coin, Addr, Binary, Coin, Timestamp, Uint128};
use serde_json::Value;
use settlement::msg::ExecuteMsg as Settle;
use ve_integration_tests::world::*;
use ve_integration_tests::DENOM;
use ve_types::callback::OfferingIngestPayload;
use ve_types::{ActionType, AllocationState, JobState, OfferingState};
use waldur_callback::msg::ExecuteMsg as CbMsg;

use marketplace::msg::ExecuteMsg as Market;

fn escrow_of(order: &str) -> String {
    format!("order:{order}")
}

// ---------------------------------------------------------------- forged

#[test]
fn forged_callbacks_are_refused() {
    let mut w = World::new();
    let (_, _, allocation) = w.matched(&w.provider.clone(), &w.customer.clone(), 1_000, 1);
    let (_, _, other) = w.matched(&w.provider.clone(), &w.customer.clone(), 1_000, 1);
    let p = w.provider.clone();
    let report = |w: &mut World| {
        w.draft(
            &p,
            ActionType::Provision,
            &allocation,
            &ve_types::callback::AllocationStatePayload {
                state: AllocationState::Accepted,
                backend_id: None,
                reason: None,
            },
        )
    };

    // Signed by a key that is not the provider's.
    let d = report(&mut w);
    let cb = w.sign(d, &key(9));
    w.submit_refused(&cb, "invalid signature on callback");
    // Signed by another provider's registered key.
    let d = report(&mut w);
    let k2 = w.key2;
    let cb = w.sign(d, &k2);
    w.submit_refused(&cb, "invalid signature on callback");
    // A key ID the provider never registered.
    let mut d = report(&mut w);
    d.signer_key_id = "k9".into();
    let k = w.key;
    let cb = w.sign(d, &k);
    w.submit_refused(&cb, "unknown signer");

    // Tampered after signing: the payload, and each covered field.
    let d = report(&mut w);
    let good = w.sign(d, &k);
    let mut tampered = vec![];
    let mut t = good.clone();
    t.payload = Binary::from(
        serde_json::to_vec(&ve_types::callback::AllocationStatePayload {
            state: AllocationState::Rejected,
            backend_id: None,
            reason: None,
        })
        .unwrap(),
    );
    tampered.push(t);
    let mut t = good.clone();
    t.entity_id = other.clone();
    tampered.push(t);
    let mut t = good.clone();
    t.action_type = ActionType::StatusUpdate;
    tampered.push(t);
    let mut t = good.clone();
    t.waldur_id = "550e8400-e29b-41d4-a716-446655440999".into();
    tampered.push(t);
    let mut t = good.clone();
    t.callback_id = "cb-forged".into();
    tampered.push(t);
    let mut t = good.clone();
    t.nonce = "nonce-forged".into();
    tampered.push(t);
    let mut t = good.clone();
    t.timestamp -= 1;
    tampered.push(t);
    let mut t = good.clone();
    t.expires_at += 1;
    tampered.push(t);
    let mut t = good.clone();
    t.provider = w.provider2.to_string();
    tampered.push(t);
    for t in &tampered {
        let err = w.submit_refused(t, "");
        assert!(
            err.contains("invalid signature on callback") || err.contains("unknown signer"),
            "{t:?}: {err}"
        );
    }

    // Signed for another chain, and for another deployment of the contract.
    let d = report(&mut w);
    let cb = sign_for(d, &k, "other-chain-1", w.callback.as_str());
    w.submit_refused(&cb, "invalid signature on callback");
    let d = report(&mut w);
    let elsewhere = w.app.api().addr_make("another-callback-contract");
    let cb = sign_for(d, &k, &w.chain_id(), elsewhere.as_str());
    w.submit_refused(&cb, "invalid signature on callback");

    // Validly signed by provider2 about the first provider's allocation.
    let p2 = w.provider2.clone();
    let cb = w.state_callback_of(
        &p2,
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    w.submit_refused(&cb, "belongs to");

    // A revoked key signs nothing, even callbacks signed before.
    let d = report(&mut w);
    let signed_before = w.sign(d, &k);
    w.cb_exec(
        &p,
        &CbMsg::RevokeSigner {
            provider: None,
            key_id: "k1".into(),
        },
    )
    .unwrap();
    w.submit_refused(&signed_before, "revoked signer");

    // The genuine callback still went nowhere: the allocation is pending.
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Pending
    );
}

// ---------------------------------------------------------------- replay

#[test]
fn replayed_callbacks_change_nothing() {
    let mut w = World::new();
    let (_, _, allocation) = w.matched(&w.provider.clone(), &w.customer.clone(), 1_000, 1);
    let cb = w.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Accepted,
    );
    w.submit(&cb).unwrap();

    // The same signed callback again: answered already_processed, nothing
    // changes (no second transition, no second nonce).
    let before = w.snapshot();
    let res = w.submit(&cb).unwrap();
    let outcomes: Vec<String> = cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    assert_eq!(outcomes, ["already_processed"]);
    assert_eq!(before, w.snapshot(), "a re-delivery changed state");

    // The same callback ID for different content.
    let mut again = cb.clone();
    again.nonce = "nonce-fresh-0001".into();
    again.payload = Binary::from(
        serde_json::to_vec(&ve_types::callback::AllocationStatePayload {
            state: AllocationState::Provisioning,
            backend_id: None,
            reason: None,
        })
        .unwrap(),
    );
    let k = w.key;
    let again = w.sign(again, &k);
    w.submit_refused(&again, "was already used for a different callback");

    // The same nonce under a new callback ID.
    let mut again = cb.clone();
    again.callback_id = "cb-fresh".into();
    again.payload = Binary::from(
        serde_json::to_vec(&ve_types::callback::AllocationStatePayload {
            state: AllocationState::Provisioning,
            backend_id: None,
            reason: None,
        })
        .unwrap(),
    );
    let again = w.sign(again, &k);
    w.submit_refused(&again, "replayed nonce");

    // Once it has expired it is refused outright (its nonce may be pruned).
    w.advance(600);
    w.submit_refused(&cb, "expired at");
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Accepted
    );
}

// ---------------------------------------------------------------- clock

#[test]
fn expired_and_future_dated_callbacks_are_refused_at_the_edges() {
    let mut w = World::new();
    let (_, _, allocation) = w.matched(&w.provider.clone(), &w.customer.clone(), 1_000, 1);
    let k = w.key;
    let at = |w: &mut World, timestamp: u64, expires_at: u64| {
        let mut d = w.state_callback(
            ActionType::Provision,
            &allocation,
            AllocationState::Accepted,
        );
        d.timestamp = timestamp;
        d.expires_at = expires_at;
        w.sign(d, &k)
    };
    let now = w.now();

    // Exactly at expires_at: expired. One second before: valid (checked below).
    let cb = at(&mut w, now - 600, now);
    w.submit_refused(&cb, &format!("expired at {now} (now {now})"));
    // Signed valid, delivered once its expiry has come.
    let late = at(&mut w, now, now + 600);
    w.advance(600);
    let now = w.now();
    w.submit_refused(&late, "expired at");

    // Dated beyond the clock skew.
    let cb = at(&mut w, now + SKEW + 1, now + SKEW + 600);
    w.submit_refused(&cb, "beyond the allowed clock skew");
    // Validity longer than the maximum, or empty.
    let cb = at(&mut w, now, now + WINDOW + 1);
    w.submit_refused(
        &cb,
        "expires_at must be after timestamp and at most 3600 s after it",
    );
    let cb = at(&mut w, now + 10, now + 10);
    w.submit_refused(&cb, "expires_at must be after timestamp");
    let cb = at(&mut w, now + 10, now + 5);
    w.submit_refused(&cb, "expires_at must be after timestamp");
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Pending
    );

    // The accepted edges: dated exactly at the skew, valid the full
    // window, and delivered in its last second.
    let cb = at(&mut w, now + SKEW, now + SKEW + WINDOW);
    w.submit(&cb).unwrap();
    let mut d = w.state_callback(
        ActionType::Provision,
        &allocation,
        AllocationState::Provisioning,
    );
    d.expires_at = now + 1;
    let cb = w.sign(d, &k);
    w.submit(&cb).unwrap();
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Provisioning
    );
}

// ---------------------------------------------------------------- keys

#[test]
fn weak_and_malformed_keys_are_refused() {
    let mut w = World::new();
    let (p, c) = (w.provider.clone(), w.callback.clone());
    // The identity (order 1), the point of order 2 (y = -1), and y = p,
    // a non-canonical encoding.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut order2 = [0xffu8; 32];
    order2[0] = 0xec;
    order2[31] = 0x7f;
    let mut y_is_p = [0xffu8; 32];
    y_is_p[0] = 0xed;
    y_is_p[31] = 0x7f;
    for (bytes, expected) in [
        (identity, "weak ed25519 key"),
        (order2, "weak ed25519 key"),
        (y_is_p, "invalid public_key"),
    ] {
        let msg = CbMsg::RegisterSigner {
            key_id: "weak".into(),
            public_key: Binary::from(bytes.to_vec()),
            // Any 64 bytes: a small-order key "verifies" forged signatures.
            proof: Binary::from(vec![0u8; 64]),
        };
        w.refused_with(&p, &c, &msg, &[], expected);
    }
    let msg = CbMsg::RegisterSigner {
        key_id: "short".into(),
        public_key: Binary::from(vec![7u8; 31]),
        proof: Binary::from(vec![0u8; 64]),
    };
    w.refused_with(&p, &c, &msg, &[], "32 bytes, got 31");
}

#[test]
fn a_signer_needs_a_proof_of_possession() {
    let mut w = World::new();
    let (p, p2, c) = (w.provider.clone(), w.provider2.clone(), w.callback.clone());
    let fresh = key(7);
    // A proof by another key.
    let msg = CbMsg::RegisterSigner {
        key_id: "k2".into(),
        public_key: public(&fresh),
        proof: w.proof(&key(8), &p, "k2"),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof of possession for key k2");
    // A proof for another provider (copied from its registration).
    let msg = CbMsg::RegisterSigner {
        key_id: "k2".into(),
        public_key: public(&fresh),
        proof: w.proof(&fresh, &p, "k2"),
    };
    w.refused_with(&p2, &c, &msg, &[], "invalid proof of possession");
    // A proof for another key ID, another contract, another chain.
    let msg = CbMsg::RegisterSigner {
        key_id: "k3".into(),
        public_key: public(&fresh),
        proof: w.proof(&fresh, &p, "k2"),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof of possession");
    let elsewhere = w.app.api().addr_make("another-callback-contract");
    let msg = CbMsg::RegisterSigner {
        key_id: "k2".into(),
        public_key: public(&fresh),
        proof: key_proof(&fresh, &w.chain_id(), elsewhere.as_str(), p.as_str(), "k2"),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof of possession");
    let msg = CbMsg::RegisterSigner {
        key_id: "k2".into(),
        public_key: public(&fresh),
        proof: key_proof(&fresh, "other-chain-1", c.as_str(), p.as_str(), "k2"),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof of possession");
    // No proof at all.
    let msg = CbMsg::RegisterSigner {
        key_id: "k2".into(),
        public_key: public(&fresh),
        proof: Binary::default(),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof");
    // Another provider's registered key, even with a proof made for the
    // sender (it would need the private key, which the owner holds).
    let k2 = w.key2;
    let msg = w.register_msg(&k2, &p, "k2");
    w.refused_with(&p, &c, &msg, &[], "this public key is already registered");
    // Rotation needs the new key's proof too.
    let msg = CbMsg::RotateSigner {
        old_key_id: "k1".into(),
        new_key_id: "k2".into(),
        public_key: public(&fresh),
        proof: w.proof(&key(8), &p, "k2"),
    };
    w.refused_with(&p, &c, &msg, &[], "invalid proof of possession");
    // With its proof it registers.
    let msg = w.register_msg(&fresh, &p, "k2");
    w.cb_exec(&p, &msg).unwrap();
}

// ---------------------------------------------------------------- callers

/// One restricted execute and the accounts that must not get through.
struct Case {
    name: &'static str,
    contract: Addr,
    msg: Value,
    intruders: Vec<Addr>,
    /// What the refusal says.
    expected: &'static str,
}

fn case<M: serde::Serialize>(
    name: &'static str,
    contract: &Addr,
    msg: &M,
    intruders: &[&Addr],
    expected: &'static str,
) -> Case {
    Case {
        name,
        contract: contract.clone(),
        msg: serde_json::to_value(msg).unwrap(),
        intruders: intruders.iter().map(|a| (*a).clone()).collect(),
        expected,
    }
}

#[test]
fn every_restricted_execute_refuses_other_callers() {
    let mut w = World::new();
    let (admin, arbiter, provider, provider2, customer, customer2, stranger) = (
        w.admin.clone(),
        w.arbiter.clone(),
        w.provider.clone(),
        w.provider2.clone(),
        w.customer.clone(),
        w.customer2.clone(),
        w.stranger.clone(),
    );
    let cbc = w.callback.clone();
    let (m, s, h, c) = (
        w.marketplace.clone(),
        w.settlement.clone(),
        w.hpc.clone(),
        w.callback.clone(),
    );
    // An active allocation with a pending usage record, a paused one, an
    // open order with an open bid, an offering paused; a cluster, an HPC
    // offering and a running job; a customer's own pending escrow.
    let (offering, order, allocation) = w.active(1_000, 2);
    let escrow = escrow_of(&order);
    w.advance(3_600);
    let now = w.now();
    let record = w.record(&provider, &escrow, &allocation, 1, now - 3_600, now);
    let (_, _, paused) = w.active(1_000, 1);
    w.market(
        &customer,
        &Market::PauseAllocation {
            allocation_id: paused.clone(),
        },
        &[],
    )
    .unwrap();
    let open_order = w.order(&customer, &offering, 1, 1_000);
    let open_bid = w.bid(&provider, &open_order, 900);
    let paused_offering = w.offering(&provider, 500);
    w.market(
        &provider,
        &Market::PauseOffering {
            offering_id: paused_offering.clone(),
        },
        &[],
    )
    .unwrap();
    let (cluster, hpc_offering) = w.hpc_offering(&provider);
    let job = w.submit_job(&customer, &hpc_offering, 1, 3_600).unwrap();
    let cb = w.job_callback(&provider, &job, JobState::Running, None);
    w.submit(&cb).unwrap();
    let job_escrow = format!("job:{job}");
    let own_escrow = format!("order:{customer}/77");
    w.settle(
        &customer,
        &Settle::CreateEscrow(settlement::msg::NewEscrow {
            escrow_id: own_escrow.clone(),
            customer: None,
            provider: provider.to_string(),
            rates: vec![settlement::msg::UsageRate {
                usage_type: "hour".into(),
                unit_price: Uint128::new(10),
            }],
            expires_at: Timestamp::from_seconds(w.now() + 86_400),
        }),
        &[coin(1_000, DENOM)],
    )
    .unwrap();
    let now = w.now();

    let not_provider = [&provider2, &customer, &stranger, &admin];
    let not_customer = [&customer2, &provider, &stranger, &admin];
    let not_admin = [&provider, &customer, &stranger, &arbiter];
    let not_callback = [&provider, &customer, &admin, &stranger];
    let outsiders = [&provider2, &customer2, &stranger];
    let fields = World::offering_fields(2_000);
    let cases = vec![
        // ---- marketplace
        case(
            "update_offering",
            &m,
            &Market::UpdateOffering(marketplace::msg::OfferingUpdate {
                offering_id: offering.clone(),
                name: Some("hijacked".into()),
                description: None,
                pricing: None,
                regions: None,
                tags: None,
                specifications: None,
                min_identity_score: None,
                require_mfa_for_orders: None,
                encrypted_secrets: None,
            }),
            &not_provider,
            "unauthorized",
        ),
        case(
            "pause_offering",
            &m,
            &Market::PauseOffering {
                offering_id: offering.clone(),
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "resume_offering",
            &m,
            &Market::ResumeOffering {
                offering_id: paused_offering.clone(),
            },
            &[&provider2, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "deprecate_offering",
            &m,
            &Market::DeprecateOffering {
                offering_id: offering.clone(),
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "terminate_offering",
            &m,
            &Market::TerminateOffering {
                offering_id: offering.clone(),
                reason: None,
            },
            &[&provider2, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "suspend_offering",
            &m,
            &Market::SuspendOffering {
                offering_id: offering.clone(),
                reason: "abuse".into(),
            },
            &not_admin,
            "unauthorized",
        ),
        case(
            "cancel_order",
            &m,
            &Market::CancelOrder {
                order_id: open_order.clone(),
            },
            &not_customer,
            "unauthorized",
        ),
        case(
            "place_bid",
            &m,
            &Market::PlaceBid {
                order_id: open_order.clone(),
                price: Uint128::new(800),
                ttl_seconds: None,
            },
            &[&provider2, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "withdraw_bid",
            &m,
            &Market::WithdrawBid {
                bid_id: open_bid.clone(),
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "accept_bid",
            &m,
            &Market::AcceptBid {
                bid_id: open_bid.clone(),
            },
            &not_customer,
            "unauthorized",
        ),
        case(
            "terminate_allocation",
            &m,
            &Market::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            &[&provider2, &customer2, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "resize_allocation",
            &m,
            &Market::ResizeAllocation {
                allocation_id: allocation.clone(),
                quantity: 1,
            },
            &not_customer,
            "unauthorized",
        ),
        case(
            "pause_allocation",
            &m,
            &Market::PauseAllocation {
                allocation_id: allocation.clone(),
            },
            &[&provider2, &customer2, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "resume_allocation (paused by the customer)",
            &m,
            &Market::ResumeAllocation {
                allocation_id: paused.clone(),
            },
            &[&provider, &provider2, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "report_allocation_state",
            &m,
            &Market::ReportAllocationState {
                allocation_id: allocation.clone(),
                provider: provider.to_string(),
                state: AllocationState::Terminating,
                backend_id: None,
                reason: None,
            },
            &not_callback,
            "unauthorized",
        ),
        case(
            "ingest_offering",
            &m,
            &Market::IngestOffering {
                provider: provider.to_string(),
                waldur_id: "550e8400-e29b-41d4-a716-446655440001".into(),
                offering: fields.clone(),
                state: OfferingState::Active,
            },
            &not_callback,
            "unauthorized",
        ),
        case(
            "marketplace update_config",
            &m,
            &Market::UpdateConfig(marketplace::msg::ConfigUpdate {
                admin: Some(stranger.to_string()),
                callback_contract: None,
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: None,
                settlement_contract: None,
                escrow_expiry_seconds: None,
            }),
            &not_admin,
            "unauthorized",
        ),
        // ---- settlement
        case(
            "deposit",
            &s,
            &Settle::Deposit {
                escrow_id: own_escrow.clone(),
            },
            &[&provider, &stranger],
            "unauthorized",
        ),
        case(
            "activate_escrow",
            &s,
            &Settle::ActivateEscrow {
                escrow_id: own_escrow.clone(),
            },
            &[&customer, &provider2, &stranger],
            "unauthorized",
        ),
        case(
            "record_usage",
            &s,
            &World::record_msg(&escrow, &allocation, 1, now - 60, now),
            &[&customer, &provider2, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "record_usage on a job escrow",
            &s,
            &World::record_msg(&job_escrow, &job, 1, now - 60, now),
            &[&provider, &cbc, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "acknowledge_usage",
            &s,
            &Settle::AcknowledgeUsage {
                record_ids: vec![record],
            },
            &not_customer,
            "unauthorized",
        ),
        case(
            "dispute_usage",
            &s,
            &Settle::DisputeUsage {
                record_id: record,
                reason: "never ran".into(),
            },
            &not_customer,
            "unauthorized",
        ),
        case(
            "resolve_dispute",
            &s,
            &Settle::ResolveDispute {
                escrow_id: escrow.clone(),
                upheld: vec![record],
                rejected: vec![],
            },
            &[&admin, &provider, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "settle",
            &s,
            &Settle::Settle {
                escrow_id: escrow.clone(),
                record_ids: None,
                finalize: false,
            },
            &outsiders,
            "unauthorized",
        ),
        case(
            "settle with finalize",
            &s,
            &Settle::Settle {
                escrow_id: escrow.clone(),
                record_ids: None,
                finalize: true,
            },
            &[&customer, &provider2, &stranger],
            "unauthorized",
        ),
        case(
            "refund_escrow",
            &s,
            &Settle::RefundEscrow {
                escrow_id: own_escrow.clone(),
            },
            &[&customer, &provider2, &stranger],
            "unauthorized",
        ),
        case(
            "settlement update_config",
            &s,
            &Settle::UpdateConfig(settlement::msg::ConfigUpdate {
                admin: None,
                arbiter: Some(stranger.to_string()),
                marketplace: None,
                hpc: None,
                callback_contract: None,
                fee_shares: None,
                ack_window_seconds: None,
            }),
            &not_admin,
            "unauthorized",
        ),
        // ---- hpc
        case(
            "update_cluster",
            &h,
            &hpc::msg::ExecuteMsg::UpdateCluster(hpc::msg::ClusterUpdate {
                cluster_id: cluster.clone(),
                name: Some("hijacked".into()),
                region: None,
                total_nodes: None,
                available_nodes: None,
                specifications: None,
            }),
            &not_provider,
            "unauthorized",
        ),
        case(
            "drain_cluster",
            &h,
            &hpc::msg::ExecuteMsg::DrainCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "set_cluster_offline",
            &h,
            &hpc::msg::ExecuteMsg::SetClusterOffline {
                cluster_id: cluster.clone(),
                reason: None,
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "deregister_cluster",
            &h,
            &hpc::msg::ExecuteMsg::DeregisterCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            &[&provider2, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "create_hpc_offering",
            &h,
            &hpc::msg::ExecuteMsg::CreateHpcOffering {
                cluster_id: cluster.clone(),
                offering: hpc::msg::HpcOfferingFields {
                    name: "stolen".into(),
                    description: String::new(),
                    queues: vec![hpc::state::QueueOption {
                        name: "batch".into(),
                        max_nodes: 1,
                        max_runtime_seconds: 3_600,
                    }],
                    max_runtime_seconds: 3_600,
                    min_identity_score: 0,
                    denom: DENOM.into(),
                    price_per_node_hour: Uint128::new(1),
                },
            },
            &not_provider,
            "unauthorized",
        ),
        case(
            "update_hpc_offering",
            &h,
            &hpc::msg::ExecuteMsg::UpdateHpcOffering(hpc::msg::HpcOfferingUpdate {
                hpc_offering_id: hpc_offering.clone(),
                name: None,
                description: None,
                queues: None,
                max_runtime_seconds: None,
                min_identity_score: None,
                denom: None,
                price_per_node_hour: Some(Uint128::new(1)),
                active: None,
            }),
            &not_provider,
            "unauthorized",
        ),
        case(
            "cancel_job",
            &h,
            &hpc::msg::ExecuteMsg::CancelJob {
                job_id: job.clone(),
                reason: None,
            },
            &[&provider2, &customer2, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "report_job_status",
            &h,
            &hpc::msg::ExecuteMsg::ReportJobStatus {
                job_id: job.clone(),
                provider: None,
                state: JobState::Completed,
                exit_code: Some(0),
                node_seconds_used: Some(3_600),
                reason: None,
            },
            &[&provider2, &customer, &stranger, &admin],
            "unauthorized",
        ),
        case(
            "hpc update_config",
            &h,
            &hpc::msg::ExecuteMsg::UpdateConfig(hpc::msg::ConfigUpdate {
                admin: Some(stranger.to_string()),
                settlement_contract: None,
                callback_contract: None,
                escrow_grace_seconds: None,
            }),
            &not_admin,
            "unauthorized",
        ),
        // ---- waldur-callback
        case(
            "revoke_signer of another provider",
            &c,
            &CbMsg::RevokeSigner {
                provider: Some(provider.to_string()),
                key_id: "k1".into(),
            },
            &[&provider2, &customer, &stranger],
            "unauthorized",
        ),
        case(
            "callback update_config",
            &c,
            &CbMsg::UpdateConfig(waldur_callback::msg::ConfigUpdate {
                admin: Some(stranger.to_string()),
                marketplace: None,
                settlement: None,
                hpc: None,
                max_validity_seconds: None,
                max_clock_skew_seconds: None,
                max_payload_bytes: None,
                prune_batch: None,
            }),
            &not_admin,
            "unauthorized",
        ),
    ];
    let mut refusals = 0;
    for case in &cases {
        for who in &case.intruders {
            let err = w.refused(who, &case.contract, &case.msg, &[]);
            assert!(
                err.contains(case.expected),
                "{} from {who}: expected {:?}, got: {err}",
                case.name,
                case.expected
            );
            refusals += 1;
        }
    }
    assert!(refusals > 100, "{refusals}");
    // A stranger's callback contract: settlement and hpc reports name the
    // provider they act for, and the escrow/job must be theirs.
    let err = w.refused(
        &cbc,
        &s,
        &Settle::RecordUsage(settlement::msg::NewUsage {
            escrow_id: escrow.clone(),
            allocation_id: allocation.clone(),
            provider: Some(provider2.to_string()),
            usage_type: "hour".into(),
            units: Uint128::one(),
            period_start: Timestamp::from_seconds(now - 60),
            period_end: Timestamp::from_seconds(now),
        }),
        &[],
    );
    assert!(err.contains("belongs to"), "{err}");
}

// ---------------------------------------------------------------- funds

#[test]
fn wrong_funds_are_refused() {
    let mut w = World::new();
    let (customer, provider, m, h, s) = (
        w.customer.clone(),
        w.provider.clone(),
        w.marketplace.clone(),
        w.hpc.clone(),
        w.settlement.clone(),
    );
    let offering = w.offering(&provider, 1_000);
    let order = ve_testing::create_order_msg(&offering, 2, 1_000);
    let wrong: [(&str, Vec<Coin>); 5] = [
        ("wrong denom", vec![coin(2_000, OTHER_DENOM)]),
        ("underpay", vec![coin(1_999, DENOM)]),
        ("overpay", vec![coin(2_001, DENOM)]),
        ("none", vec![]),
        (
            "an extra coin",
            vec![coin(2_000, DENOM), coin(1, OTHER_DENOM)],
        ),
    ];
    for (what, funds) in &wrong {
        let err = w.refused(&customer, &m, &order, funds);
        assert!(err.contains("wrong funds"), "create_order, {what}: {err}");
    }
    // A zero coin is refused (by the bank or the contract) all the same.
    w.refused(&customer, &m, &order, &[coin(0, DENOM)]);

    // Top-up of a resize: exactly (new - old) x price.
    let (_, order_id, allocation) = w.active(1_000, 2);
    let grow = Market::ResizeAllocation {
        allocation_id: allocation.clone(),
        quantity: 3,
    };
    for funds in [
        vec![coin(999, DENOM)],
        vec![coin(1_001, DENOM)],
        vec![coin(1_000, OTHER_DENOM)],
        vec![],
    ] {
        let err = w.refused(&customer, &m, &grow, &funds);
        assert!(err.contains("wrong funds"), "resize {funds:?}: {err}");
    }
    w.market(&customer, &grow, &[coin(1_000, DENOM)]).unwrap();
    assert_eq!(w.escrow(&escrow_of(&order_id)).balance.u128(), 3_000);

    // Settlement deposit: one coin of the escrow's denom.
    let deposit = Settle::Deposit {
        escrow_id: escrow_of(&order_id),
    };
    for funds in [
        vec![coin(10, OTHER_DENOM)],
        vec![],
        vec![coin(10, DENOM), coin(10, OTHER_DENOM)],
    ] {
        let err = w.refused(&customer, &s, &deposit, &funds);
        assert!(err.contains("funds"), "deposit {funds:?}: {err}");
    }

    // submit_job: exactly the job's cost.
    let (_, hpc_offering) = w.hpc_offering(&provider);
    let submit = World::submit_job_msg(&hpc_offering, 2, 7_200);
    let cost = World::job_cost(2, 7_200);
    for funds in [
        vec![coin(cost - 1, DENOM)],
        vec![coin(cost + 1, DENOM)],
        vec![coin(cost, OTHER_DENOM)],
        vec![],
    ] {
        let err = w.refused(&customer, &h, &submit, &funds);
        assert!(err.contains("wrong funds"), "submit_job {funds:?}: {err}");
    }

    // Funds sent to a message that takes none.
    let small = w.order(&customer, &offering, 1, 1_000);
    let bid = w.bid(&provider, &small, 1_000);
    w.refused_with(
        &customer,
        &m,
        &Market::AcceptBid { bid_id: bid },
        &[coin(1, DENOM)],
        "takes no funds",
    );
    let now = w.now();
    w.advance(60);
    w.refused_with(
        &provider,
        &s,
        &World::record_msg(&escrow_of(&order_id), &allocation, 1, now, now + 60),
        &[coin(1, DENOM)],
        "takes no funds",
    );
}

// ---------------------------------------------------------------- usage rules

#[test]
fn a_provider_cannot_record_usage_into_a_job_escrow() {
    let mut w = World::new();
    let (provider, customer, s, cbc) = (
        w.provider.clone(),
        w.customer.clone(),
        w.settlement.clone(),
        w.callback.clone(),
    );
    let (_, offering) = w.hpc_offering(&provider);
    let job = w.submit_job(&customer, &offering, 2, 7_200).unwrap();
    let cb = w.job_callback(&provider, &job, JobState::Running, None);
    w.submit(&cb).unwrap();
    w.advance(3_600);
    let now = w.now();
    let escrow = format!("job:{job}");
    let msg = World::record_msg(&escrow, &job, 2, now - 3_600, now);
    w.refused_with(
        &provider,
        &s,
        &msg,
        &[],
        "the hpc contract that opened this job escrow",
    );
    // Nor through the callback contract on the provider's behalf.
    let mut via_callback = msg.clone();
    if let Settle::RecordUsage(settlement::msg::NewUsage { provider: p, .. }) = &mut via_callback {
        *p = Some(provider.to_string());
    }
    w.refused_with(
        &cbc,
        &s,
        &via_callback,
        &[],
        "the hpc contract that opened this job escrow",
    );
    // The job still ends and bills: 2 nodes x 1 hour of the 2 x 2 paid.
    let cb = w.job_callback(&provider, &job, JobState::Completed, Some(7_200));
    w.submit(&cb).unwrap();
    let e = w.escrow(&escrow);
    assert_eq!(e.reserved.u128(), 2 * NODE_HOUR);
}

#[test]
fn usage_outside_the_escrow_lifetime_is_refused() {
    let mut w = World::new();
    let (provider, s) = (w.provider.clone(), w.settlement.clone());
    let (_, order, allocation) = w.active(1_000, 2);
    let escrow = escrow_of(&order);
    let e = w.escrow(&escrow).escrow;
    let opened = e.created_at.seconds();
    let expires = e.expires_at.seconds();

    // Before the escrow was opened.
    w.advance(3_600);
    let now = w.now();
    w.refused_with(
        &provider,
        &s,
        &World::record_msg(&escrow, &allocation, 1, opened - 1, now),
        &[],
        "before escrow",
    );
    // The same through a signed callback.
    let cb = w.usage_callback(&provider, &allocation, 1, opened - 1, now);
    w.submit_refused(&cb, "before escrow");
    // From the opening on it is fine.
    w.record(&provider, &escrow, &allocation, 1, opened, opened + 60);

    // One second before expires_at: still recorded.
    w.advance_to(expires - 1);
    w.record(&provider, &escrow, &allocation, 1, opened + 60, expires - 1);
    // Exactly at expires_at: refused, directly and by callback.
    w.advance_to(expires);
    w.refused_with(
        &provider,
        &s,
        &World::record_msg(&escrow, &allocation, 1, expires - 1, expires),
        &[],
        "no usage is recorded from its expiry on",
    );
    let cb = w.usage_callback(&provider, &allocation, 1, expires - 1, expires);
    w.submit_refused(&cb, "no usage is recorded from its expiry on");
    w.advance(10);
    let now = w.now();
    w.refused_with(
        &provider,
        &s,
        &World::record_msg(&escrow, &allocation, 1, expires, now),
        &[],
        "no usage is recorded from its expiry on",
    );
}

// ---------------------------------------------------------------- fees

#[test]
fn fifty_settlements_charge_the_fee_of_one() {
    // 50 records of 30 each on two escrows: settled one by one on the
    // first, together on the second.
    let mut w = World::new();
    let (provider, customer) = (w.provider.clone(), w.customer.clone());
    let mut fees = vec![];
    for one_by_one in [true, false] {
        let (_, order, allocation) = w.active(30, 50);
        let escrow = escrow_of(&order);
        let opened = w.escrow(&escrow).escrow.created_at.seconds();
        w.advance(50 * 60);
        let ids: Vec<u64> = (0..50)
            .map(|i| {
                let start = opened + i * 60;
                w.record(&provider, &escrow, &allocation, 1, start, start + 60)
            })
            .collect();
        w.settle(
            &customer,
            &Settle::AcknowledgeUsage {
                record_ids: ids.clone(),
            },
            &[],
        )
        .unwrap();
        let (t1, t2, p) = (
            w.balance(&w.treasury.clone()),
            w.balance(&w.treasury2.clone()),
            w.balance(&provider),
        );
        if one_by_one {
            for id in &ids {
                w.settle(
                    &provider,
                    &Settle::Settle {
                        escrow_id: escrow.clone(),
                        record_ids: Some(vec![*id]),
                        finalize: false,
                    },
                    &[],
                )
                .unwrap();
            }
        } else {
            w.settle(
                &provider,
                &Settle::Settle {
                    escrow_id: escrow.clone(),
                    record_ids: Some(ids.clone()),
                    finalize: false,
                },
                &[],
            )
            .unwrap();
        }
        let e = w.escrow(&escrow).escrow;
        let (d1, d2, dp) = (
            w.balance(&w.treasury.clone()) - t1,
            w.balance(&w.treasury2.clone()) - t2,
            w.balance(&provider) - p,
        );
        assert_eq!(d1 + d2, e.paid_fees.u128());
        assert_eq!(d1 + d2 + dp, 1_500);
        fees.push((d1, d2, e.paid_fees.u128()));
    }
    // floor(1,500 x 250 / 10,000) = 37, floor(1,500 x 75 / 10,000) = 11.
    assert_eq!(fees, [(37, 11, 48), (37, 11, 48)]);
}

// ---------------------------------------------------------------- who decides

#[test]
fn an_ingest_callback_does_not_lift_an_admin_suspension() {
    let mut w = World::new();
    let (provider, admin) = (w.provider.clone(), w.admin.clone());
    let waldur_id = "550e8400-e29b-41d4-a716-446655440042";
    let ingest = |w: &mut World, state: OfferingState| {
        let mut d = w.draft(
            &provider,
            ActionType::OfferingIngest,
            waldur_id,
            &OfferingIngestPayload {
                offering: World::offering_fields(1_000),
                state,
            },
        );
        d.waldur_id = waldur_id.into();
        let k = w.key;
        w.sign(d, &k)
    };
    let cb = ingest(&mut w, OfferingState::Active);
    w.submit(&cb).unwrap();
    let page: marketplace::msg::OfferingsResponse = w
        .query(
            &w.marketplace,
            &marketplace::msg::QueryMsg::OfferingsByProvider {
                provider: provider.to_string(),
                state: None,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    let offering = page.offerings[0].id.clone();
    w.market(
        &admin,
        &Market::SuspendOffering {
            offering_id: offering.clone(),
            reason: "policy".into(),
        },
        &[],
    )
    .unwrap();
    let cb = ingest(&mut w, OfferingState::Active);
    w.submit_refused(&cb, "an ingest from the provider's Waldur cannot move it");
    let cb = ingest(&mut w, OfferingState::Paused);
    w.submit_refused(&cb, "cannot go from suspended to paused");
    // Nor by the provider directly.
    w.refused_with(
        &provider,
        &w.marketplace.clone(),
        &Market::ResumeOffering {
            offering_id: offering.clone(),
        },
        &[],
        "unauthorized",
    );
    assert_eq!(w.offering_state(&offering), OfferingState::Suspended);
}

#[test]
fn a_provider_report_does_not_resume_a_customer_pause() {
    let mut w = World::new();
    let customer = w.customer.clone();
    let (_, _, allocation) = w.active(1_000, 1);
    w.market(
        &customer,
        &Market::PauseAllocation {
            allocation_id: allocation.clone(),
        },
        &[],
    )
    .unwrap();
    for action in [ActionType::StatusUpdate, ActionType::Provision] {
        let cb = w.state_callback(action, &allocation, AllocationState::Active);
        w.submit_refused(&cb, "was paused by its customer");
    }
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Suspended
    );
    // The customer resumes it.
    w.market(
        &customer,
        &Market::ResumeAllocation {
            allocation_id: allocation.clone(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(
        w.allocation(&allocation).allocation.state,
        AllocationState::Active
    );
}

#[test]
fn a_bid_on_a_suspended_offering_cannot_be_accepted() {
    let mut w = World::new();
    let (provider, customer, admin, m) = (
        w.provider.clone(),
        w.customer.clone(),
        w.admin.clone(),
        w.marketplace.clone(),
    );
    let offering = w.offering(&provider, 1_000);
    let order = w.order(&customer, &offering, 1, 1_000);
    let bid = w.bid(&provider, &order, 900);
    w.market(
        &admin,
        &Market::SuspendOffering {
            offering_id: offering.clone(),
            reason: "policy".into(),
        },
        &[],
    )
    .unwrap();
    w.refused_with(
        &customer,
        &m,
        &Market::AcceptBid { bid_id: bid },
        &[],
        "needs an active offering",
    );
    // The customer can still get its money back.
    let before = w.balance(&customer);
    w.market(&customer, &Market::CancelOrder { order_id: order }, &[])
        .unwrap();
    assert_eq!(w.balance(&customer), before + 1_000);
    assert_eq!(w.escrows().len(), 0);
}
