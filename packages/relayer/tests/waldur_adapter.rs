//! The Waldur adapter against the emulator: quantity as a component limit,
//! resize and pause pushed to the resource, and a crash between creating
//! an order and tracking its resource that must not create a second
//! order.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use ve_relayer::offering_sync::BASE_COMPONENT_TYPE;
use ve_relayer::outbox::Outbox;
use ve_relayer::waldur_adapter::WaldurAdapter;
use ve_relayer::waldur_port::{ResourceStatus, WaldurError, WaldurPort};
use waldur::{Config, OrderCreateRequest, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed, ResourceState};

const ALLOCATION: &str = "cust1/1/prov1";
const CHAIN_OFFERING: &str = "prov1/1";

fn client(base: &str) -> WaldurClient {
    let mut c = Config::new(base.to_string(), "t");
    c.retry_wait_min = Duration::from_millis(5);
    c.retry_wait_max = Duration::from_millis(20);
    WaldurClient::new(c).expect("client")
}

struct World {
    waldur: EmulatorHandle,
    adapter: WaldurAdapter,
    offering_url: String,
    project_url: String,
    outbox: Arc<Outbox>,
    _dir: tempfile::TempDir,
}

impl World {
    /// The relayer restarted: a new adapter over the same database.
    fn restart(&mut self) {
        self.adapter = WaldurAdapter::new(
            client(&self.waldur.base_url),
            self.project_url.clone(),
            BTreeMap::from([(CHAIN_OFFERING.to_string(), self.offering_url.clone())]),
            self.outbox.clone(),
        )
        .expect("adapter");
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let waldur = Emulator::start("t").await.expect("emulator");
    let org = waldur.state.seed_customer("Org");
    let project = waldur.state.seed_project(&org.uuid, "P").expect("project");
    let category = waldur.state.seed_category("Compute");
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .expect("offering");
    let project_url = client(&waldur.base_url)
        .urls()
        .project(&project.uuid)
        .expect("project url");
    let outbox = Arc::new(Outbox::open(&dir.path().join("relayer.redb"), 5).expect("outbox"));
    let adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project_url.clone(),
        BTreeMap::from([(CHAIN_OFFERING.to_string(), offering.url.clone())]),
        outbox.clone(),
    )
    .expect("adapter");
    World {
        waldur,
        adapter,
        offering_url: offering.url,
        project_url,
        outbox,
        _dir: dir,
    }
}

fn limits(w: &World, resource: &str) -> serde_json::Value {
    w.waldur.state.resource_json(resource).expect("resource")["limits"].clone()
}

#[tokio::test(flavor = "current_thread")]
async fn quantity_becomes_the_base_component_limit_and_resize_changes_it() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 3)
        .await
        .expect("provision");
    assert_eq!(
        limits(&w, &order.resource_uuid),
        json!({ BASE_COMPONENT_TYPE: 3 })
    );

    w.adapter.resize(ALLOCATION, 7).await.expect("resize");
    assert_eq!(
        limits(&w, &order.resource_uuid),
        json!({ BASE_COMPONENT_TYPE: 7 })
    );
    // Nothing else was created on the way.
    assert_eq!(w.waldur.state.order_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn resize_or_pause_of_an_unknown_allocation_names_it() {
    let mut w = world().await;
    let err = w.adapter.resize("cust1/9/prov1", 2).await.unwrap_err();
    assert_eq!(err, WaldurError::UnknownAllocation("cust1/9/prov1".into()));
    let err = w
        .adapter
        .set_paused("cust1/9/prov1", true)
        .await
        .unwrap_err();
    assert_eq!(err, WaldurError::UnknownAllocation("cust1/9/prov1".into()));
}

#[tokio::test(flavor = "current_thread")]
async fn pause_sets_the_flag_only_where_waldur_permits_it() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    let paused = |w: &World| {
        w.waldur
            .state
            .resource_json(&order.resource_uuid)
            .expect("r")["paused"]
            .clone()
    };

    // A provider's token is not staff: Waldur answers 403, the pause holds
    // on chain only, and that is not an error.
    assert!(!w.adapter.set_paused(ALLOCATION, true).await.expect("pause"));
    assert_eq!(paused(&w), json!(false));

    w.waldur.state.set_token_is_staff(true);
    assert!(w.adapter.set_paused(ALLOCATION, true).await.expect("pause"));
    assert_eq!(paused(&w), json!(true));
    assert!(w
        .adapter
        .set_paused(ALLOCATION, false)
        .await
        .expect("resume"));
    assert_eq!(paused(&w), json!(false));
}

#[tokio::test(flavor = "current_thread")]
async fn a_crash_between_order_create_and_tracking_does_not_create_a_second_order() {
    let mut w = world().await;
    // What the first attempt left behind: the order exists, its resource is
    // named after the allocation, and nothing was tracked.
    let mut request = OrderCreateRequest::new(w.offering_url.clone(), w.project_url.clone());
    request.attributes = Some(json!({ "name": ALLOCATION, "ve_allocation_id": ALLOCATION }));
    let first = client(&w.waldur.base_url)
        .create_order(&request)
        .await
        .expect("first order");
    let first_resource = first.marketplace_resource_uuid.expect("resource");
    assert_eq!(w.waldur.state.order_count(), 1);

    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("retried provision");
    assert_eq!(w.waldur.state.order_count(), 1, "no second order");
    assert_eq!(order.resource_uuid, first_resource);
    let resource = w
        .waldur
        .state
        .resource_json(&first_resource)
        .expect("resource");
    // The site agent's field: the relayer leaves it alone.
    assert_eq!(resource["backend_id"], json!(""));
    let order_json = w
        .waldur
        .state
        .order_json(&first.uuid.expect("order uuid"))
        .expect("order");
    assert_ne!(order_json["state"], json!("pending-provider"), "approved");
}

#[tokio::test(flavor = "current_thread")]
async fn a_resource_of_another_allocation_with_the_same_name_is_not_taken() {
    let mut w = world().await;
    // Same name, but another allocation's attribute (e.g. created by hand):
    // the adapter must not adopt it.
    let mut request = OrderCreateRequest::new(w.offering_url.clone(), w.project_url.clone());
    request.attributes = Some(json!({ "name": ALLOCATION, "ve_allocation_id": "cust9/9/prov1" }));
    client(&w.waldur.base_url)
        .create_order(&request)
        .await
        .expect("foreign order");
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    assert_eq!(w.waldur.state.order_count(), 2);
    let resource = w
        .waldur
        .state
        .resource_json(&order.resource_uuid)
        .expect("resource");
    assert_eq!(
        resource["attributes"]["ve_allocation_id"],
        json!(ALLOCATION)
    );
}

/// What the adapter saw is recorded only with the callbacks it produced
/// (the engine saves the watermark in the same transaction): a relayer
/// that stops between the poll and the outbox sees the change again.
#[tokio::test(flavor = "current_thread")]
async fn a_state_change_seen_but_not_queued_is_seen_again_after_a_restart() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    w.waldur
        .state
        .set_resource_state(&order.resource_uuid, ResourceState::Ok);

    let seen = w.adapter.resource_updates(1_000).await.expect("poll");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].state, ResourceStatus::Ok);
    // Stopped before the engine queued the callbacks.
    w.restart();
    let again = w.adapter.resource_updates(1_001).await.expect("poll");
    assert_eq!(again.len(), 1, "the change was lost");
    assert_eq!(again[0].state, ResourceStatus::Ok);

    // This time the engine stores the callbacks with the watermark.
    let watermark = again[0].watermark.clone().expect("watermark");
    w.outbox
        .enqueue_with(Vec::new(), 1_001, Some(&watermark))
        .expect("stored");
    w.restart();
    assert!(w
        .adapter
        .resource_updates(1_002)
        .await
        .expect("poll")
        .is_empty());

    // Usage likewise: a month-to-date total seen but not queued is
    // reported again, and once stored, not again.
    w.waldur
        .state
        .record_usage(&order.resource_uuid, "cpu", "5.00")
        .expect("usage");
    let usage = w.adapter.usage_updates(2_000).await.expect("usage");
    assert_eq!(usage.iter().map(|u| u.units).collect::<Vec<_>>(), vec![5]);
    w.restart();
    let usage = w.adapter.usage_updates(2_001).await.expect("usage");
    assert_eq!(usage.iter().map(|u| u.units).collect::<Vec<_>>(), vec![5]);
    w.outbox
        .enqueue_with(Vec::new(), 2_001, usage[0].watermark.as_ref())
        .expect("stored");
    w.restart();
    assert!(w
        .adapter
        .usage_updates(2_002)
        .await
        .expect("usage")
        .is_empty());
}

/// Around the turn of a month Waldur holds two month-to-date totals for a
/// component (last month's can still grow): their growth is one usage
/// report over one period, never two overlapping ones.
#[tokio::test(flavor = "current_thread")]
async fn last_months_growth_and_this_months_usage_are_one_report() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    w.waldur
        .state
        .set_resource_state(&order.resource_uuid, ResourceState::Ok);
    w.adapter.resource_updates(1_000).await.expect("poll");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let last_month = ve_types::calendar::Date::from_unix_seconds(now as i64)
        .previous_month_start()
        .iso();

    w.waldur
        .state
        .set_usage_in_period(&order.resource_uuid, "cpu", "5.00", &last_month)
        .expect("usage");
    let first = w.adapter.usage_updates(2_000).await.expect("usage");
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].units, first[0].period_start, first[0].period_end),
        (5, 1_000, 2_000)
    );
    w.outbox
        .enqueue_with(Vec::new(), 2_000, first[0].watermark.as_ref())
        .expect("stored");

    // Last month grows by 2 after the turn, this month starts with 3.
    w.waldur
        .state
        .set_usage_in_period(&order.resource_uuid, "cpu", "7.00", &last_month)
        .expect("usage");
    w.waldur
        .state
        .record_usage(&order.resource_uuid, "cpu", "3.00")
        .expect("usage");
    let next = w.adapter.usage_updates(3_000).await.expect("usage");
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(
        (next[0].units, next[0].period_start, next[0].period_end),
        (5, 2_000, 3_000)
    );
}

/// Resources are read with one listing of the project per pass, however
/// many allocations are watched.
#[tokio::test(flavor = "current_thread")]
async fn a_pass_lists_the_project_once_instead_of_reading_each_resource() {
    let mut w = world().await;
    for n in 1..=5 {
        w.adapter
            .provision(&format!("cust1/{n}/prov1"), CHAIN_OFFERING, 1)
            .await
            .expect("provision");
    }
    let before = w.waldur.state.requests().len();
    w.adapter.resource_updates(1_000).await.expect("poll");
    let requests: Vec<_> = w.waldur.state.requests()[before..].to_vec();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].path, "/api/marketplace-provider-resources/");
}
