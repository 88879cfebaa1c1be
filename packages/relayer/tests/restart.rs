//! The relayer restarted between two usage reports of Waldur's
//! month-to-date totals reports only the growth: nothing counted twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{coin, Uint128};
use ve_relayer::chain::embedded::{EmbeddedChain, DENOM};
use ve_relayer::chain::ChainClient;
use ve_relayer::engine::Engine;
use ve_relayer::outbox::Outbox;
use ve_relayer::signer::Signer;
use ve_relayer::waldur_adapter::WaldurAdapter;
use waldur::{Config, OrderFilter, OrderState, WaldurClient};
use waldur_emulator::{Emulator, OfferingSeed};

fn data(res: cw_multi_test::AppResponse) -> String {
    cosmwasm_std::from_json(res.data.unwrap()).unwrap()
}

fn client(base: &str) -> WaldurClient {
    let mut c = Config::new(base.to_string(), "t");
    c.retry_wait_min = Duration::from_millis(5);
    c.retry_wait_max = Duration::from_millis(20);
    WaldurClient::new(c).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn usage_is_not_counted_twice_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let waldur = Emulator::start("t").await.unwrap();
    let org = waldur.state.seed_customer("Org");
    let project = waldur.state.seed_project(&org.uuid, "P").unwrap();
    let category = waldur.state.seed_category("HPC");
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .unwrap();

    let mut chain = EmbeddedChain::deploy(&["provider", "customer"]).unwrap();
    let (p, c, m, cb) = (
        chain.addr("provider"),
        chain.addr("customer"),
        chain.marketplace.clone(),
        chain.callback.clone(),
    );
    let seed = [6u8; 32];
    let signer = || Signer::new(seed, "k1", p.as_str(), "cosmos-testnet-14002", cb.as_str());
    chain
        .execute(&p, &cb, &signer().register_message().unwrap(), &[])
        .unwrap();
    let chain_offering = data(
        chain
            .execute(
                &p,
                &m,
                &marketplace::msg::ExecuteMsg::CreateOffering {
                    offering: ve_types::OfferingFields::new(
                        "HPC",
                        "",
                        ve_types::Category::Hpc,
                        ve_types::Pricing::new(
                            ve_types::PricingModel::UsageBased,
                            DENOM,
                            Uint128::new(1_000),
                            vec![ve_types::PriceComponent {
                                resource_type: "cpu".into(),
                                unit: "cpu_hour".into(),
                                price: Uint128::new(10),
                            }],
                        ),
                    ),
                    encrypted_secrets: None,
                },
                &[],
            )
            .unwrap(),
    );
    let order = data(
        chain
            .execute(
                &c,
                &m,
                &marketplace::msg::ExecuteMsg::CreateOrder {
                    offering_id: chain_offering.clone(),
                    quantity: 1,
                    max_bid_price: Uint128::new(1_000),
                    region: None,
                    public_metadata: BTreeMap::new(),
                    encrypted_config_ref: None,
                },
                &[coin(1_000, DENOM)],
            )
            .unwrap(),
    );
    let bid = data(
        chain
            .execute(
                &p,
                &m,
                &marketplace::msg::ExecuteMsg::PlaceBid {
                    order_id: order.clone(),
                    price: Uint128::new(1_000),
                    ttl_seconds: None,
                },
                &[],
            )
            .unwrap(),
    );
    chain
        .execute(
            &c,
            &m,
            &marketplace::msg::ExecuteMsg::AcceptBid { bid_id: bid },
            &[],
        )
        .unwrap();
    assert_eq!(chain.chain_id(), "cosmos-testnet-14002");

    let db = dir.path().join("relayer.redb");
    let offerings = BTreeMap::from([(chain_offering, offering.url.clone())]);
    let project_url = client(&waldur.base_url)
        .urls()
        .project(&project.uuid)
        .unwrap();
    let outbox = Arc::new(Outbox::open(&db, 3).unwrap());
    let adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project_url.clone(),
        offerings.clone(),
        outbox.clone(),
    )
    .unwrap();
    let mut engine = Engine {
        chain,
        waldur: adapter,
        signer: signer(),
        outbox,
    };
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
    let outbox = Arc::new(Outbox::open(&db, 3).unwrap());
    let adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project_url,
        offerings,
        outbox.clone(),
    )
    .unwrap();
    let mut engine = Engine {
        chain,
        waldur: adapter,
        signer: signer(),
        outbox,
    };

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
