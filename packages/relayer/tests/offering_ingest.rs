//! Waldur -> chain offering ingest: an offering made in the provider's
//! Waldur becomes the provider's offering on chain through a signed
//! callback; only changes are sent again.

use std::sync::Arc;

use cosmwasm_std::Uint128;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::Engine;
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::offering_ingest::OfferingIngest;
use waldur::{Config, OfferingCreateRequest, PlanRequest, WaldurClient};
use waldur_emulator::Emulator;

#[tokio::test(flavor = "current_thread")]
async fn waldur_offerings_reach_the_chain_once_per_change() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start("t").await.unwrap();
    let org = emulator.state.seed_customer("Org");
    let category = emulator.state.seed_category("Compute");
    let client = || WaldurClient::new(Config::new(emulator.base_url.clone(), "t")).unwrap();
    let admin = client();
    let request = OfferingCreateRequest {
        name: "Waldur-native VM".into(),
        category: admin.urls().category(&category.uuid).unwrap(),
        offering_type: "Marketplace.Basic".into(),
        customer: Some(admin.urls().customer(&org.uuid).unwrap()),
        plans: vec![PlanRequest {
            name: "Standard".into(),
            unit_price: Some("0.050000".into()),
            ..PlanRequest::default()
        }],
        ..OfferingCreateRequest::default()
    };
    let created = admin.create_offering(&request).await.unwrap();
    let uuid = created.uuid.clone().unwrap();
    // Only staff activates a Draft offering.
    emulator.state.set_token_is_staff(true);
    admin.activate_offering(&uuid).await.unwrap();
    emulator.state.set_token_is_staff(false);

    let mut chain = EmbeddedChain::deploy(&["provider"]).unwrap();
    let provider = chain.addr("provider");
    let signer = Signer::new(
        [4; 32],
        "k1",
        provider.as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    );
    let cb = chain.callback.clone();
    chain
        .execute(&provider, &cb, &signer.register_message().unwrap(), &[])
        .unwrap();
    let outbox = Arc::new(Outbox::open(&dir.path().join("r.redb"), 3).unwrap());
    let adapter =
        WaldurAdapter::new(client(), String::new(), Default::default(), outbox.clone()).unwrap();
    let mut engine = Engine {
        chain,
        waldur: adapter,
        signer,
        outbox: outbox.clone(),
    };
    let mut ingest = OfferingIngest::new(client(), org.uuid.clone(), "uvirt".into(), 6, outbox);

    assert_eq!(engine.ingest_offerings(&mut ingest).await.unwrap(), 1);
    // Queued, not confirmed: not counted as created yet.
    ingest.settle().unwrap();
    assert_eq!((ingest.stats().total, ingest.stats().created), (1, 0));
    engine.step().await.unwrap();
    let read =
        |engine: &Engine<EmbeddedChain, WaldurAdapter>| -> marketplace::msg::OfferingResponse {
            engine
                .chain
                .app
                .wrap()
                .query_wasm_smart(
                    engine.chain.marketplace.clone(),
                    &marketplace::msg::QueryMsg::Offering {
                        offering_id: format!("{provider}/1"),
                    },
                )
                .unwrap()
        };
    let on_chain = read(&engine).offering;
    assert_eq!(on_chain.name, "Waldur-native VM");
    assert_eq!(
        on_chain.pricing.base_price,
        Uint128::new(50_000),
        "0.05 at 6 decimals"
    );
    assert_eq!(on_chain.state, ve_types::OfferingState::Active);

    // Nothing changed: nothing is sent.
    assert_eq!(engine.ingest_offerings(&mut ingest).await.unwrap(), 0);
    // Paused in Waldur: the chain follows.
    admin
        .pause_offering(&uuid, Some("maintenance"))
        .await
        .unwrap();
    assert_eq!(engine.ingest_offerings(&mut ingest).await.unwrap(), 1);
    engine.step().await.unwrap();
    let on_chain = read(&engine).offering;
    assert_eq!(on_chain.state, ve_types::OfferingState::Paused);
    assert_eq!(on_chain.version, 2);
    assert_eq!(engine.outbox.counts().unwrap(), (0, 2, 0));

    // The figures for /metrics: two versions sent, the first a create,
    // the second an update after drift; three polls.
    ingest.settle().unwrap();
    let stats = ingest.stats();
    assert_eq!((stats.total, stats.successful, stats.failed), (2, 2, 0));
    assert_eq!((stats.created, stats.updated), (1, 1));
    assert_eq!((stats.drift_detected, stats.dead_lettered), (1, 0));
    assert_eq!(stats.duration.count, 3);

    // Back to the first content (A -> B -> A): a new version for the
    // chain, not a repeat of the first callback.
    admin.unpause_offering(&uuid).await.unwrap();
    assert_eq!(engine.ingest_offerings(&mut ingest).await.unwrap(), 1);
    engine.step().await.unwrap();
    let on_chain = read(&engine).offering;
    assert_eq!(on_chain.state, ve_types::OfferingState::Active);
    assert_eq!(on_chain.version, 3);
    assert_eq!(engine.outbox.counts().unwrap(), (0, 3, 0));

    // A crash after a poll drafted a change but before it was queued: the
    // next relayer drafts the same callback and sends it.
    admin.pause_offering(&uuid, Some("again")).await.unwrap();
    let lost = ingest.poll().await.unwrap();
    assert_eq!(lost.len(), 1);
    drop(ingest);
    let mut ingest = OfferingIngest::new(
        client(),
        org.uuid.clone(),
        "uvirt".into(),
        6,
        engine.outbox.clone(),
    );
    let again = ingest.poll().await.unwrap();
    assert_eq!(
        again.iter().map(|d| &d.callback_id).collect::<Vec<_>>(),
        lost.iter().map(|d| &d.callback_id).collect::<Vec<_>>()
    );
    assert_eq!(engine.ingest_offerings(&mut ingest).await.unwrap(), 1);
    engine.step().await.unwrap();
    assert_eq!(
        read(&engine).offering.state,
        ve_types::OfferingState::Paused
    );
}
