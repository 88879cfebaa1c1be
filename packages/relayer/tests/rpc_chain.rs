//! The CometBFT RPC chain client against a fake wasmd node that decodes,
//! verifies and executes what the client sends (tests/support/fake_node.rs).

// Shared by the RPC test crates; each uses part of it.
#[allow(dead_code)]
mod support;

use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::json;
use ve_relayer::chain::rpc::{ConnectError, RpcChain};
use ve_relayer::chain::signer::CallbackDraft;
use ve_relayer::chain::{ChainClient, ChainError, ContractEvent};
use ve_relayer::flows::engine::Engine;
use ve_relayer::runtime::outbox::{Outbox, CHECKPOINT};
use ve_relayer::waldur_side::port::{ResourceStatus, ResourceUpdate};
use ve_types::callback::AllocationStatePayload;
use ve_types::{ActionType, AllocationState};
use waldur_callback::msg::{CallbackOutcome, SignedCallback};

use support::fake_node::{NodeState, FEE_DENOM};
use support::{fee_address, ScriptedWaldur, World};

/// The two callbacks the relayer sends when Waldur accepted an allocation.
fn provision_callbacks(world: &World, allocation: &str, now: u64) -> Vec<SignedCallback> {
    let signer = world.signer();
    [AllocationState::Accepted, AllocationState::Provisioning]
        .into_iter()
        .map(|state| {
            let draft = CallbackDraft {
                callback_id: format!("provision:{allocation}:{state}"),
                action: ActionType::Provision,
                waldur_id: format!("res-{allocation}"),
                entity_id: allocation.to_string(),
                payload: serde_json::to_vec(&AllocationStatePayload {
                    state,
                    backend_id: (state == AllocationState::Accepted)
                        .then(|| format!("res-{allocation}")),
                    reason: None,
                })
                .expect("payload"),
            };
            signer.sign(&draft, now).expect("signs")
        })
        .collect()
}

/// The sequences of the transactions the node accepted.
fn sequences(node: &mut NodeState) -> Vec<u64> {
    node.accepted.iter().map(|t| t.sequence).collect()
}

fn unavailable(r: Result<Vec<CallbackOutcome>, ChainError>) -> String {
    match r {
        Err(ChainError::Unavailable(e)) => e,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_lands_in_one_transaction_and_the_outcomes_come_back() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    // One callback per execute: the batch becomes two messages of one tx.
    let mut config = world.config();
    config.max_callbacks_per_execute = 1;
    let mut client = world.client_with(config).await;
    assert_eq!(client.fee_address(), fee_address());
    assert_eq!(client.chain_id(), world.chain_id);
    assert_eq!(client.callback_contract(), world.callback.to_string());
    assert_eq!(
        client.now(),
        world.with(|n| n.chain.app.block_info().time.seconds())
    );

    let callbacks = provision_callbacks(&world, &allocation, client.now());
    let outcomes = client.submit_callbacks(&callbacks).await.expect("lands");
    assert_eq!(
        outcomes,
        vec![CallbackOutcome::Processed, CallbackOutcome::Processed]
    );
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Provisioning
    );
    let (accepted, calls) = world.with(|n| (n.accepted.clone(), n.calls.clone()));
    assert_eq!(accepted.len(), 1, "one transaction");
    let tx = &accepted[0];
    assert_eq!(
        (tx.messages, tx.callbacks_per_message.clone()),
        (2, vec![1, 1])
    );
    assert_eq!(tx.sequence, 3);
    assert_eq!(tx.memo, "ve-relayer");
    // Waited for the block: one "not found", then found.
    assert_eq!(calls.iter().filter(|c| *c == "tx").count(), 2);

    // Sent again (a lost answer): the contract says already processed, and
    // the cached sequence is the next one.
    let outcomes = client.submit_callbacks(&callbacks).await.expect("lands");
    assert_eq!(
        outcomes,
        vec![
            CallbackOutcome::AlreadyProcessed,
            CallbackOutcome::AlreadyProcessed
        ]
    );
    let (accepted, calls) = world.with(|n| (n.accepted.clone(), n.calls.clone()));
    assert_eq!(accepted[1].sequence, 4);
    // The account was read once (plus two simulations); the sequence was
    // cached after that.
    assert_eq!(calls.iter().filter(|c| *c == "abci_query").count(), 1 + 2);
}

#[tokio::test(flavor = "current_thread")]
async fn all_callbacks_go_in_one_execute_by_default() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    client.submit_callbacks(&callbacks).await.expect("lands");
    let accepted = world.with(|n| n.accepted.clone());
    assert_eq!(accepted[0].callbacks_per_message, vec![2]);
    assert_eq!(client.submit_callbacks(&[]).await, Ok(vec![]));
}

#[tokio::test(flavor = "current_thread")]
async fn gas_is_simulated_adjusted_and_paid_exactly() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    world.with(|n| {
        // Simulation reports 103_457 + 2 * 10_000 = 123_457 gas.
        n.gas_per_tx = 103_457;
        n.gas_per_callback = 10_000;
    });
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    client.submit_callbacks(&callbacks).await.expect("lands");
    let accepted = world.with(|n| n.accepted.clone());
    let tx = &accepted[0];
    // ceil(123_457 * 1.3) = ceil(160_494.1) = 160_495
    assert_eq!(tx.gas_limit, 160_495);
    // ceil(160_495 * 0.025) = ceil(4_012.375) = 4_013
    assert_eq!(tx.fee, vec![(FEE_DENOM.to_string(), 4_013)]);
}

#[tokio::test(flavor = "current_thread")]
async fn fee_and_gas_shortfalls_are_not_the_callbacks_fault() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    // A gas price below the node's minimum: refused at CheckTx.
    let mut config = world.config();
    config.gas_price = "0.001uvirt".parse().expect("gas price");
    let mut cheap = world.client_with(config).await;
    let callbacks = provision_callbacks(&world, &allocation, cheap.now());
    let e = unavailable(cheap.submit_callbacks(&callbacks).await);
    assert!(e.contains("insufficient fee"), "{e}");
    assert!(world.with(|n| n.accepted.is_empty()));

    // The block costs 50_000 more than simulated (120_000): 1.3 is not
    // enough (156_000), the tx runs out of gas and spends its sequence.
    world.with(|n| n.extra_block_gas = 50_000);
    let mut client = world.client().await;
    let e = unavailable(client.submit_callbacks(&callbacks).await);
    assert!(e.contains("out of gas"), "{e}");
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Pending
    );
    // 1.5 covers it (180_000).
    let mut config = world.config();
    config.gas_adjustment = "1.5".parse().expect("decimal");
    let mut generous = world.client_with(config).await;
    generous.submit_callbacks(&callbacks).await.expect("lands");
    let limits: Vec<(u64, u64)> = world.with(|n| {
        n.accepted
            .iter()
            .map(|t| (t.sequence, t.gas_limit))
            .collect()
    });
    assert_eq!(limits, vec![(3, 156_000), (4, 180_000)]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_sequence_moved_behind_the_clients_back_is_recovered() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    client
        .submit_callbacks(&callbacks[..1])
        .await
        .expect("first");
    // Someone else spends two sequences with the same key.
    world.with(|n| n.sequence += 2);
    let outcomes = client
        .submit_callbacks(&callbacks[1..])
        .await
        .expect("second");
    assert_eq!(outcomes, vec![CallbackOutcome::Processed]);
    assert_eq!(world.with(sequences), vec![3, 6]);
    // Another transaction between simulation and broadcast: CheckTx
    // refuses with code 32; corrected and sent again.
    world.with(|n| n.race_after_simulation = true);
    let outcomes = client
        .submit_callbacks(&callbacks[1..])
        .await
        .expect("third");
    assert_eq!(outcomes, vec![CallbackOutcome::AlreadyProcessed]);
    assert_eq!(world.with(sequences), vec![3, 6, 8]);
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Provisioning
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_mismatch_without_numbers_reads_the_account_again() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    client
        .submit_callbacks(&callbacks[..1])
        .await
        .expect("first");
    world.with(|n| {
        n.sequence += 1;
        n.terse_mismatch_log = true;
    });
    client
        .submit_callbacks(&callbacks[1..])
        .await
        .expect("second");
    let sequences = world.with(sequences);
    assert_eq!(sequences, vec![3, 5]);
    // 2 account reads (at the start, after the mismatch) + 3 simulations
    // (first, refused, retried).
    let queries = world.with(|n| n.calls.iter().filter(|c| *c == "abci_query").count());
    assert_eq!(queries, 5);
}

#[tokio::test(flavor = "current_thread")]
async fn the_node_refuses_a_signature_for_another_chain_or_account() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());

    // The node checks signatures against another chain id.
    world.with(|n| n.verify_chain_id = "other-chain".into());
    let e = unavailable(client.submit_callbacks(&callbacks).await);
    assert!(e.contains("signature verification failed"), "{e}");
    assert!(world.with(|n| n.accepted.is_empty()));
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Pending
    );

    // Right chain id: accepted (the signature covers what it should).
    let chain_id = world.chain_id.clone();
    world.with(move |n| n.verify_chain_id = chain_id);
    client
        .submit_callbacks(&callbacks[..1])
        .await
        .expect("lands");

    // The account number is signed too: the client cached 7.
    world.with(|n| n.account_number = 8);
    let e = unavailable(client.submit_callbacks(&callbacks[1..]).await);
    assert!(e.contains("account number (8)"), "{e}");
    assert_eq!(world.with(|n| n.accepted.len()), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_client_for_another_chain_does_not_connect() {
    let world = World::new();
    let mut config = world.config();
    config.chain_id = "virtengine-2".into();
    match RpcChain::connect_with_key(config, support::fee_key()).await {
        Err(ConnectError::WrongChain { configured, node }) => {
            assert_eq!(
                (configured.as_str(), node),
                ("virtengine-2", world.chain_id.clone())
            );
        }
        other => panic!("expected WrongChain, got {:?}", other.err()),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_contract_error_is_refused() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let mut callbacks = provision_callbacks(&world, &allocation, client.now());
    callbacks[1].signature = cosmwasm_std::Binary::from(vec![0u8; 64]);
    match client.submit_callbacks(&callbacks).await {
        Err(ChainError::Refused(e)) => assert!(e.contains("wasm"), "{e}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    // All or nothing: the good one did not apply either.
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Pending
    );
    // The refused tx still spent its sequence: the next one goes through.
    let outcomes = client
        .submit_callbacks(&callbacks[..1])
        .await
        .expect("lands");
    assert_eq!(outcomes, vec![CallbackOutcome::Processed]);
    let sequences = world.with(sequences);
    assert_eq!(sequences, vec![3, 4]);

    // A simulation that fails in the contract is refused before broadcast.
    world
        .with(|n| n.simulate_error = Some(
            "failed to execute message; message index: 0: callback expired: execute wasm contract failed"
                .into(),
        ));
    match client.submit_callbacks(&callbacks[1..]).await {
        Err(ChainError::Refused(e)) => assert!(e.contains("expired"), "{e}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(world.with(|n| n.accepted.len()), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn events_are_read_across_blocks_filtered_and_indexed() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let foreign = "cosmwasm1foreigncontract";
    let (market, settle) = (world.marketplace.to_string(), world.settlement.to_string());
    let block = json!({
        "txs_results": [
            { "code": 0, "events": [
                { "type": "message", "attributes": [ { "key": "action", "value": "/cosmwasm.wasm.v1.MsgExecuteContract" } ] },
                { "type": "wasm-ve.allocation_created", "attributes": [
                    { "key": "_contract_address", "value": foreign },
                    { "key": "allocation_id", "value": "evil/1/1" } ] }
            ] },
            { "code": 5, "codespace": "wasm", "log": "failed", "events": [
                { "type": "wasm-ve.allocation_paused", "attributes": [
                    { "key": "_contract_address", "value": market } ] }
            ] },
            { "code": 0, "events": [
                { "type": "wasm-ve.allocation_resumed", "attributes": [
                    { "key": "_contract_address", "value": market },
                    { "key": "allocation_id", "value": allocation },
                    { "key": "msg_index", "value": "0" } ] }
            ] }
        ],
        "finalize_block_events": [
            { "type": "wasm-ve.escrow_expired", "attributes": [
                { "key": "_contract_address", "value": settle }, { "key": "escrow_id", "value": "order:x" } ] }
        ]
    });
    let injected = world.with(move |n| n.inject_block(block));
    let latest = world.with(|n| n.chain.app.block_info().height);
    assert_eq!(injected, latest);

    let client = world.client().await;
    assert_eq!(client.latest_height().await, Ok(latest));
    // The embedded chain's own record of the same transactions (those
    // after its deployment, which the node did not see).
    let after_deploy = world.deployed_at + 1;
    let embedded: Vec<ContractEvent> = world.with(move |n| {
        n.chain
            .events(after_deploy, latest)
            .now_or_never()
            .expect("the embedded chain answers at once")
            .expect("embedded events")
    });
    world.with(|n| n.calls.clear());
    // From some empty blocks before the deployment (the fake chain starts
    // at a high height; a fresh relayer would be given a start height).
    let first = world.deployed_at - 10;
    let events = client.events(first, latest).await.expect("events");

    let strip = |e: &ContractEvent| {
        (
            e.height,
            e.contract.clone(),
            e.kind.clone(),
            e.attributes.clone(),
        )
    };
    let from_setup: Vec<_> = events
        .iter()
        .filter(|e| e.height < injected)
        .map(strip)
        .collect();
    assert!(!from_setup.is_empty());
    assert_eq!(from_setup, embedded.iter().map(strip).collect::<Vec<_>>());
    assert!(events.iter().any(|e| e.kind == "allocation_created"));
    // Chain order, indices strictly increasing within a block.
    for pair in events.windows(2) {
        assert!((pair[0].height, pair[0].index) < (pair[1].height, pair[1].index));
    }
    let last: Vec<(u64, u32, &str, &str)> = events
        .iter()
        .filter(|e| e.height == injected)
        .map(|e| (e.height, e.index, e.contract.as_str(), e.kind.as_str()))
        .collect();
    // Positions: tx0 = 0,1; failed tx1 = 2; tx2 = 3; finalize = 4.
    assert_eq!(
        last,
        vec![
            (injected, 3, market.as_str(), "allocation_resumed"),
            (injected, 4, settle.as_str(), "escrow_expired"),
        ]
    );
    assert_eq!(
        events
            .iter()
            .find(|e| e.height == injected)
            .map(|e| e.attributes.len()),
        Some(1),
        "contract address and msg_index are not attributes"
    );

    // Every block read once, in pages of at most 4.
    let mut reads: Vec<String> = world.with(|n| n.calls.clone());
    reads.sort();
    let mut expected: Vec<String> = (first..=latest)
        .map(|h| format!("block_results {h}"))
        .collect();
    expected.sort();
    assert_eq!(reads, expected);

    // A sub-range, and an empty one.
    let tail = client.events(injected, injected).await.expect("events");
    assert_eq!(tail.len(), 2);
    assert_eq!(client.events(latest + 1, latest).await, Ok(vec![]));
    // Beyond the node's height: unavailable, nothing guessed.
    assert!(matches!(
        client.events(latest, latest + 1).await,
        Err(ChainError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn cometbft_034_attributes_in_base64_are_read() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let world = World::new();
    // The client speaks the 0.34 dialect to a node that says it is 0.34.
    world.with(|n| n.version = "0.34.27".into());
    let market = world.marketplace.to_string();
    let block = json!({
        "txs_results": [ { "code": 0, "events": [
            { "type": "wasm-ve.allocation_created", "attributes": [
                { "key": b64("_contract_address"), "value": b64(&market) },
                { "key": b64("allocation_id"), "value": b64("c/1/1") } ] }
        ] } ],
        "begin_block_events": [],
        "end_block_events": null,
        "consensus_param_updates": null
    });
    let height = world.with(move |n| n.inject_block(block));
    let client = world.client().await;
    let events = client.events(height, height).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].contract, market);
    assert_eq!(events[0].attributes["allocation_id"], "c/1/1");
}

#[tokio::test(flavor = "current_thread")]
async fn a_node_that_hangs_drops_or_is_gone_is_unavailable() {
    // Accepts connections and never answers.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hanging_url = format!("http://{}", hanging.local_addr().expect("addr"));
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hanging.incoming() {
            held.push(stream);
        }
    });
    let mut world = World::new();
    let mut config = world.config();
    config.rpc_url = hanging_url;
    config.request_timeout_ms = 200;
    let started = std::time::Instant::now();
    match RpcChain::connect_with_key(config, support::fee_key()).await {
        Err(ConnectError::Chain(ChainError::Unavailable(_))) => {}
        other => panic!("expected Unavailable, got {:?}", other.err()),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(2));

    // A node that takes the transaction but never puts it in a block.
    world.register_key();
    let allocation = world.allocation();
    let mut config = world.config();
    config.tx_inclusion_timeout_ms = 150;
    let mut client = world.client_with(config).await;
    world.with(|n| n.include_txs = false);
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    let e = unavailable(client.submit_callbacks(&callbacks).await);
    assert!(e.contains("not in a block"), "{e}");

    // The node goes away.
    world.node.stop();
    assert!(matches!(
        client.latest_height().await,
        Err(ChainError::Unavailable(_))
    ));
    unavailable(client.submit_callbacks(&callbacks).await);
    assert!(matches!(
        client.events(1, 2).await,
        Err(ChainError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn the_fee_key_comes_from_a_private_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fee.key");
    ve_relayer::chain::keys::generate(&path).expect("key file");
    std::fs::write(&path, hex::encode(support::FEE_SECRET)).expect("write key");
    let world = World::new();
    let mut config = world.config();
    config.fee_key_file = path.clone();
    let client = RpcChain::connect(config.clone()).await.expect("connects");
    assert_eq!(client.fee_address(), fee_address());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert!(matches!(
            RpcChain::connect(config).await,
            Err(ConnectError::FeeKey(_))
        ));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_engine_provisions_an_allocation_over_rpc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    // A fresh relayer (no checkpoint) starts at the deployment height, not
    // at block 1 (the fake chain's first height is 12_345).
    let mut config = world.config();
    config.start_height = world.deployed_at;
    let client = world.client_with(config).await;
    let mut engine = Engine {
        chain: client,
        waldur: ScriptedWaldur::default(),
        signer: world.signer(),
        outbox: Arc::new(Outbox::open(&dir.path().join("outbox.redb"), 3).expect("outbox")),
    };

    let report = engine.step().await.expect("step");
    let first_read = world.with(|n| {
        n.calls
            .iter()
            .filter(|c| c.starts_with("block_results"))
            .min_by_key(|c| c[14..].parse::<u64>().unwrap_or(u64::MAX))
            .cloned()
    });
    assert_eq!(
        first_read,
        Some(format!("block_results {}", world.deployed_at))
    );
    assert_eq!(report.events_handled, 1);
    assert_eq!(report.callbacks_confirmed, 2);
    assert_eq!(
        engine.waldur.calls,
        vec![format!("provision {allocation} {}/1 x2", world.provider)]
    );
    assert_eq!(
        world.allocation_state(&allocation),
        AllocationState::Provisioning
    );

    // Waldur finishes; the relayer reports the allocation active.
    engine.waldur.updates.push(ResourceUpdate {
        allocation_id: allocation.clone(),
        resource_uuid: format!("res-{allocation}"),
        state: ResourceStatus::Ok,
        reason: None,
        watermark: None,
    });
    let report = engine.step().await.expect("step");
    assert_eq!(report.callbacks_confirmed, 1);
    assert_eq!(world.allocation_state(&allocation), AllocationState::Active);

    // The relayer's own blocks are read back without acting twice.
    let report = engine.step().await.expect("step");
    assert_eq!(report.events_handled, 0);
    assert_eq!(engine.outbox.counts().expect("counts"), (0, 3, 0));
    let latest = world.with(|n| n.chain.app.block_info().height);
    assert_eq!(
        engine.outbox.meta(CHECKPOINT).expect("checkpoint"),
        Some(latest)
    );
    let sequences = world.with(sequences);
    assert_eq!(sequences, vec![3, 4]);
}

#[tokio::test(flavor = "current_thread")]
async fn offerings_are_read_through_smart_queries() {
    use ve_relayer::waldur_side::offering_sync::OfferingReader;
    let world = World::new();
    // The portal's story creates the provider's one offering.
    world.allocation();
    let client = world.client().await;
    let offering_id = format!("{}/1", world.provider);

    let listed = client
        .provider_offerings(world.provider.as_str())
        .await
        .expect("listed");
    assert_eq!(
        listed.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
        vec![offering_id.clone()]
    );
    let found = client
        .offering(&offering_id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(found.offering.name, "Compute");
    // A missing offering is None, not an error; a bad query is refused
    // with the contract's words.
    assert_eq!(
        client
            .offering(&format!("{}/9", world.provider))
            .await
            .expect("read"),
        None
    );
    let err = client
        .smart_query::<serde_json::Value>(
            world.marketplace.as_str(),
            &json!({ "no_such_query": {} }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChainError::Refused(log) if log.contains("query wasm contract failed")),
        "{err:?}"
    );
}

/// The settlement contract's usage record is read through a smart query:
/// at the configured address, or, with none configured, at the one the
/// waldur-callback contract's config names. Its answer is the embedded
/// chain's.
#[tokio::test(flavor = "current_thread")]
async fn the_usage_record_is_read_from_the_settlement_contract() {
    let world = World::new();
    let allocation = world.allocation();
    let from_embedded = {
        let allocation = allocation.clone();
        world.with(move |n| {
            n.chain
                .usage_summary(&allocation)
                .now_or_never()
                .expect("the embedded chain answers at once")
        })
    };
    assert_eq!(from_embedded, Ok(vec![]));
    let configured = world.client().await;
    assert_eq!(configured.usage_summary(&allocation).await, from_embedded);
    let mut config = world.config();
    config.contracts.settlement = None;
    let discovered = world.client_with(config).await;
    let queries = || world.with(|n| n.calls.iter().filter(|c| *c == "abci_query").count());
    let before = queries();
    assert_eq!(discovered.usage_summary(&allocation).await, from_embedded);
    assert_eq!(
        queries() - before,
        2,
        "the callback config, then the record"
    );
    assert_eq!(discovered.usage_summary(&allocation).await, from_embedded);
    assert_eq!(queries() - before, 3, "the settlement address is kept");
    // An id the contract refuses is refused, in its words.
    let err = configured.usage_summary("").await.unwrap_err();
    assert!(
        matches!(&err, ChainError::Refused(log) if log.contains("allocation_id")),
        "{err:?}"
    );
}

/// Answers of the devnet's wasmd v0.70.3 (CometBFT 0.39.0, SDK 0.54),
/// recorded with curl and shortened (fewer events).
mod real {
    pub const STATUS: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"node_info":{"protocol_version":{"p2p":"8","block":"11","app":"0"},"id":"3b8f293786ba4c38d6def3a3b5803739bc2d0b09","listen_addr":"tcp://127.0.0.1:26656","network":"ve-devnet-1","version":"0.39.0","channels":"40202122233038606100","moniker":"ve-devnet","other":{"tx_index":"on","rpc_address":"tcp://127.0.0.1:26657"}},"sync_info":{"latest_block_hash":"898642CC7216FCE75DDDC55CC3697D1156FE0EE95E73E14D17DA61D79DF315BE","latest_app_hash":"5DAB5120C4DC834174513C1C0E3AB0E254F886B098B9752856F6115C96523E96","latest_block_height":"1499","latest_block_time":"2026-12-02T18:17:07.534499062Z","earliest_block_hash":"753ACA04543F54BBA8ABC52374A32A622B28462BFEC124B4B538015AA55C1D1D","earliest_app_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","earliest_block_height":"1","earliest_block_time":"2026-12-02T17:51:39.091846628Z","catching_up":false},"validator_info":{"address":"27A843BFAAB1A380A0F3047F79B1A889A8B3C47D","pub_key":{"type":"tendermint/PubKeyEd25519","value":"GXWk7xg+hzns/TTJDpp8PI8odH0CbQxSxwBS7xN39+4="},"voting_power":"1000"}}}"#;
    pub const BLOCK_WITH_TX: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"height":"741","txs_results":[{"code":0,"data":"Ei4KLC9jb3Ntd2FzbS53YXNtLnYxLk1zZ0V4ZWN1dGVDb250cmFjdFJlc3BvbnNl","log":"","info":"","gas_wanted":"183278","gas_used":"150085","events":[{"type":"tx","attributes":[{"key":"fee","value":"4582uve","index":true},{"key":"fee_payer","value":"wasm1avgyh77ycn997ja45q5q8ss8y9mr424j2xnxu2","index":true}]},{"type":"wasm-ve.signer_registered","attributes":[{"key":"_contract_address","value":"wasm1ghd753shjuwexxywmgs4xz7x2q732vcnkm6h2pyv9s6ah3hylvrq8epk7w","index":true},{"key":"provider","value":"wasm1avgyh77ycn997ja45q5q8ss8y9mr424j2xnxu2","index":true},{"key":"key_id","value":"relayer-1796234656","index":true},{"key":"msg_index","value":"0","index":true}]}],"codespace":""}],"finalize_block_events":[{"type":"coin_received","attributes":[{"key":"receiver","value":"wasm1m3h30wlvsf8llruxtpukdvsy0km2kum8zdkdwt","index":true},{"key":"amount","value":"20723589uve","index":true},{"key":"mode","value":"BeginBlock","index":true}]}],"validator_updates":null,"consensus_param_updates":{"block":{"max_bytes":"22020096","max_gas":"-1"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{},"abci":{},"authority":{}},"app_hash":"EOO0tVxGygpj6oRCSZvXyOmbFvqaP5/dbKVHE+NhquU="}}"#;
    pub const EMPTY_BLOCK: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"height":"2","txs_results":null,"finalize_block_events":[{"type":"coin_received","attributes":[{"key":"receiver","value":"wasm1m3h30wlvsf8llruxtpukdvsy0km2kum8zdkdwt","index":true},{"key":"amount","value":"20720847uve","index":true},{"key":"mode","value":"BeginBlock","index":true}]}],"validator_updates":null,"consensus_param_updates":{"block":{"max_bytes":"22020096","max_gas":"-1"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{},"abci":{},"authority":{}},"app_hash":"13WP6eIvX1CQbJJgh6fsnZzrqq9eKCkAdJ92MCqxb/A="}}"#;
    pub const TX: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"hash":"9BEBF810773B8CC45EFA15329C684752E336C67003CE45DE8CF2F993ECC032D8","height":"741","index":0,"tx_result":{"code":0,"data":"Ei4KLC9jb3Ntd2FzbS53YXNtLnYxLk1zZ0V4ZWN1dGVDb250cmFjdFJlc3BvbnNl","log":"","info":"","gas_wanted":"183278","gas_used":"150085","events":[{"type":"tx","attributes":[{"key":"fee","value":"4582uve","index":true},{"key":"fee_payer","value":"wasm1avgyh77ycn997ja45q5q8ss8y9mr424j2xnxu2","index":true}]}],"codespace":""},"tx":"CosCCogCCiQvY29zbXdhc20ud2FzbS52MS5Nc2dF"}}"#;
    pub const ACCOUNT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":0,"log":"","info":"","index":"0","key":null,"value":"Cp0BCiAvY29zbW9zLmF1dGgudjFiZXRhMS5CYXNl","proofOps":null,"height":"1828","codespace":""}}}"#;
    pub const UNKNOWN_ACCOUNT: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":22,"log":"rpc error: code = NotFound desc = account wasm1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqq9tn26es2 not found: key not found","info":"","index":"0","key":null,"value":null,"proofOps":null,"height":"1983","codespace":"sdk"}}}"#;
    pub const UNKNOWN_PATH: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"response":{"code":6,"log":"unknown query path: unknown request","info":"","index":"0","key":null,"value":null,"proofOps":null,"height":"0","codespace":"sdk"}}}"#;
    /// `broadcast_tx_sync` of the bytes 01 02 03.
    pub const BROADCAST_GARBAGE: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"code":2,"data":"","log":"invalid length; proto: invalid field number: tx parse error: tx parse error","codespace":"sdk","hash":"039058C6F2C0CB492C533B0A4D14EF77CC0F78ABCCCED5287D84A1A2011CFB81"}}"#;
    /// `broadcast_tx_sync` of a transaction already in a block.
    pub const BROADCAST_AGAIN: &str = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}}"#;
    pub const TX_NOT_FOUND: &str = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"tx (0000000000000000000000000000000000000000000000000000000000000000) not found"}}"#;
    pub const FUTURE_BLOCK: &str = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"height 99999999 must be less than or equal to the current blockchain height 1499"}}"#;
    pub const NO_SUCH_METHOD: &str =
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#;
    pub const BAD_HASH: &str = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid params","data":"error converting json params to arguments: illegal base64 data at input byte 0"}}"#;
}

/// Field names and JSON types, arrays by their first element.
fn shape(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), shape(value)))
                .collect(),
        ),
        Value::Array(items) => json!([items.first().map(shape)]),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

fn parse(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("recorded answer")
}

/// One JSON-RPC call as CometBFT is called (POST, HTTP 200 even for
/// JSON-RPC errors).
async fn raw_call(url: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(url)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
        .send()
        .await
        .expect("the fake node answers");
    assert_eq!(response.status(), reqwest::StatusCode::OK, "{method}");
    response.json().await.expect("JSON")
}

#[tokio::test(flavor = "current_thread")]
async fn the_fake_node_answers_as_the_devnets_node_does() {
    use base64::Engine as _;
    use cosmrs::proto::cosmos::auth::v1beta1::QueryAccountRequest;
    use cosmrs::proto::prost::Message;
    let b64 = base64::engine::general_purpose::STANDARD;
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut client = world.client().await;
    let callbacks = provision_callbacks(&world, &allocation, client.now());
    client.submit_callbacks(&callbacks).await.expect("lands");
    let hash = world.with(|n| n.accepted[0].hash.clone());
    let url = world.node.url.clone();
    let same_shape = |fake: &serde_json::Value, real: &str, what: &str| {
        assert_eq!(shape(fake), shape(&parse(real)), "{what}: {fake}");
    };
    let same = |fake: &serde_json::Value, real: &str, what: &str| {
        assert_eq!(fake, &parse(real), "{what}");
    };

    let status = raw_call(&url, "status", json!({})).await;
    same_shape(&status, real::STATUS, "status");
    assert_eq!(status["result"]["node_info"]["version"], "0.39.0");

    let tx_hash = b64.encode(hex::decode(&hash).expect("hex"));
    let found = raw_call(&url, "tx", json!({ "hash": tx_hash, "prove": false })).await;
    same_shape(&found, real::TX, "tx");
    let height = found["result"]["height"]
        .as_str()
        .expect("height")
        .to_string();
    let block = raw_call(&url, "block_results", json!({ "height": height })).await;
    same_shape(&block, real::BLOCK_WITH_TX, "block_results");
    let before = (world.deployed_at - 10).to_string();
    let empty = raw_call(&url, "block_results", json!({ "height": before })).await;
    same_shape(&empty, real::EMPTY_BLOCK, "block_results without txs");

    let account = QueryAccountRequest {
        address: fee_address(),
    };
    let query = |path: &str, data: Vec<u8>| json!({ "path": path, "data": hex::encode(data), "height": "0", "prove": false });
    let path = "/cosmos.auth.v1beta1.Query/Account";
    let known = raw_call(&url, "abci_query", query(path, account.encode_to_vec())).await;
    same_shape(&known, real::ACCOUNT, "abci_query Account");
    let stranger = QueryAccountRequest {
        address: world.provider.to_string(),
    };
    let unknown = raw_call(&url, "abci_query", query(path, stranger.encode_to_vec())).await;
    same_shape(
        &unknown,
        real::UNKNOWN_ACCOUNT,
        "abci_query Account unknown",
    );
    let log = unknown["result"]["response"]["log"].as_str().expect("log");
    assert!(
        log.starts_with("rpc error: code = NotFound desc = account ")
            && log.ends_with(" not found: key not found"),
        "{log}"
    );
    let no_path = raw_call(&url, "abci_query", query("/cosmos.nothing/X", vec![])).await;
    same(&no_path, real::UNKNOWN_PATH, "abci_query unknown path");

    let garbage = raw_call(&url, "broadcast_tx_sync", json!({ "tx": "AQID" })).await;
    same_shape(
        &garbage,
        real::BROADCAST_GARBAGE,
        "broadcast_tx_sync garbage",
    );
    assert_eq!(
        garbage["result"]["hash"],
        parse(real::BROADCAST_GARBAGE)["result"]["hash"]
    );
    assert_eq!(garbage["result"]["code"], 2);
    let again = raw_call(
        &url,
        "broadcast_tx_sync",
        json!({ "tx": found["result"]["tx"] }),
    )
    .await;
    same(
        &again,
        real::BROADCAST_AGAIN,
        "broadcast_tx_sync of a tx in a block",
    );

    let zero = b64.encode([0u8; 32]);
    let missing = raw_call(&url, "tx", json!({ "hash": zero, "prove": false })).await;
    same(&missing, real::TX_NOT_FOUND, "tx not found");
    let future = raw_call(&url, "block_results", json!({ "height": "99999999" })).await;
    same_shape(
        &future,
        real::FUTURE_BLOCK,
        "block_results beyond the chain",
    );
    let data = future["error"]["data"].as_str().expect("data");
    assert!(
        data.starts_with(
            "height 99999999 must be less than or equal to the current blockchain height "
        ),
        "{data}"
    );
    let nothing = raw_call(&url, "no_such_method", json!({})).await;
    same(&nothing, real::NO_SUCH_METHOD, "unknown method");
    let bad_hash = raw_call(&url, "tx", json!({ "hash": "%%", "prove": false })).await;
    same_shape(&bad_hash, real::BAD_HASH, "tx with a bad hash");
    assert_eq!(
        (&bad_hash["error"]["code"], &bad_hash["error"]["message"]),
        (&json!(-32602), &json!("Invalid params"))
    );
}
