//! The relayer restarted between two usage reports of Waldur's
//! month-to-date totals reports only the growth: nothing counted twice.

use std::collections::BTreeMap;

use cosmwasm_std::Uint128;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::Engine;
use ve_testing::{Deal, OrderFlow};
use waldur::{OrderFilter, OrderState, WaldurClient};

#[allow(dead_code)]
#[path = "support/site.rs"]
mod site;

use site::{chain_with_relayer_key, create_offering, relay_engine, relayer_signer};

const SEED: [u8; 32] = [6; 32];
const KEY_ID: &str = "k1";

fn client(base: &str) -> WaldurClient {
    site::quick_client(base, "t")
}

#[tokio::test(flavor = "current_thread")]
async fn usage_is_not_counted_twice_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = site::seeded_waldur("t", "Org", "HPC").await;
    let (waldur, project, offering) = (seeded.waldur, seeded.project, seeded.offering);

    let (mut chain, signer) = chain_with_relayer_key(SEED, KEY_ID);
    let (p, c) = (chain.addr("provider"), chain.addr("customer"));
    let chain_offering = create_offering(
        &mut chain,
        &p,
        "HPC",
        ve_types::Category::Hpc,
        ve_types::PricingModel::UsageBased,
        vec![ve_types::PriceComponent {
            resource_type: "cpu".into(),
            unit: "cpu_hour".into(),
            price: Uint128::new(10),
        }],
    );
    let (order, _allocation) = chain
        .match_order(&p, &c, &chain_offering, Deal::at(1_000, 1))
        .unwrap();
    assert_eq!(chain.chain_id(), "cosmos-testnet-14002");

    let db = dir.path().join("relayer.redb");
    let offerings = BTreeMap::from([(chain_offering, offering.url.clone())]);
    let project_url = client(&waldur.base_url)
        .urls()
        .project(&project.uuid)
        .unwrap();
    let mut engine = relay_engine(
        chain,
        signer,
        client(&waldur.base_url),
        project_url.clone(),
        offerings.clone(),
        &db,
        3,
    );
    engine.step().await.unwrap();

    // The backend finishes provisioning; 12.5 cpu hours so far this month.
    let backend = client(&waldur.base_url);
    for o in backend
        .list_orders(&OrderFilter {
            states: vec![OrderState::Executing],
            ..OrderFilter::default()
        })
        .await
        .unwrap()
    {
        backend
            .set_order_state_done(&o.uuid.unwrap())
            .await
            .unwrap();
    }
    engine.step().await.unwrap();
    let resource = backend.list_resources(&Default::default()).await.unwrap()[0]
        .uuid
        .clone()
        .unwrap();
    engine.chain.advance(3_600);
    waldur
        .state
        .record_usage(&resource, "cpu", "12.50")
        .unwrap();
    engine.step().await.unwrap();

    // The relayer process ends; a new one opens the same database.
    let Engine {
        chain,
        waldur: adapter,
        outbox,
        ..
    } = engine;
    drop(adapter);
    drop(outbox);
    let signer = relayer_signer(&chain, SEED, KEY_ID);
    let mut engine = relay_engine(
        chain,
        signer,
        client(&waldur.base_url),
        project_url,
        offerings,
        &db,
        3,
    );

    // Waldur's total grows to 20: only 8 more are reported.
    engine.chain.advance(3_600);
    waldur.state.record_usage(&resource, "cpu", "20").unwrap();
    engine.step().await.unwrap();
    engine.chain.advance(3_600);
    engine.step().await.unwrap();
    let records: settlement::msg::UsageRecordsResponse = engine
        .chain
        .app
        .wrap()
        .query_wasm_smart(
            engine.chain.settlement.clone(),
            &settlement::msg::QueryMsg::UsageRecordsByEscrow {
                escrow_id: format!("order:{order}"),
                state: None,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    let units: Vec<u128> = records
        .records
        .iter()
        .map(|r| r.record.units.u128())
        .collect();
    assert_eq!(units, vec![12, 8]);
    assert_eq!(engine.outbox.counts().unwrap().2, 0, "no dead letters");
}
