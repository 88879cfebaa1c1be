//! The Waldur adapter against the emulator: orders on the public offering
//! link with its plan, the quantity as the limit of the `limit` component
//! made for it and nothing else in `limits`, terms of service accepted only
//! when configured, resize and pause pushed to the resource, and a crash
//! between creating an order and tracking its resource that must not
//! create a second order.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::offering_sync::{BASE_COMPONENT_TYPE, QUANTITY_COMPONENT_TYPE};
use ve_relayer::waldur_side::port::{
    FailureClass, RecordedUsage, ResourceStatus, WaldurError, WaldurPort,
};
use waldur::{
    BillingType, BillingUnit, Decimal, OfferingComponentRequest, OfferingCreateRequest,
    OrderCreateRequest, PlanRequest, WaldurClient,
};
use waldur_emulator::{Emulator, EmulatorHandle, Fault, OfferingSeed, ResourceState};

const ALLOCATION: &str = "cust1/1/prov1";
const CHAIN_OFFERING: &str = "prov1/1";

#[allow(dead_code)]
#[path = "support/site.rs"]
mod site;

fn client(base: &str) -> WaldurClient {
    site::quick_client(base, "t")
}

struct World {
    waldur: EmulatorHandle,
    adapter: WaldurAdapter,
    /// The offering's public link, as orders take it.
    offering_url: String,
    /// The public link of the offering's plan.
    plan_url: String,
    project_url: String,
    customer_uuid: String,
    category_uuid: String,
    outbox: Arc<Outbox>,
    _dir: tempfile::TempDir,
}

impl World {
    /// The relayer restarted: a new adapter over the same database.
    fn restart(&mut self) {
        self.adapter = adapter_for(self, &self.offering_url);
    }
}

/// An Active offering as the offering sync makes it (`Marketplace.Basic`,
/// the quantity as a `limit` component, metered base price and `cpu`, one
/// plan), made through the API; with `terms`, terms of service. Returns
/// its uuid.
async fn synced_offering(
    waldur: &EmulatorHandle,
    customer_uuid: &str,
    category_uuid: &str,
    terms: Option<&str>,
) -> String {
    let c = client(&waldur.base_url);
    let urls = c.urls();
    let mut components = Vec::new();
    for (kind, billing) in [
        (QUANTITY_COMPONENT_TYPE, BillingType::Limit),
        (BASE_COMPONENT_TYPE, BillingType::Usage),
        ("cpu", BillingType::Usage),
    ] {
        let mut component = OfferingComponentRequest::new(billing, kind, kind);
        component.measured_unit = Some("unit".into());
        components.push(component);
    }
    let request = OfferingCreateRequest {
        name: "Compute".into(),
        category: urls.category(category_uuid).expect("category url"),
        offering_type: "Marketplace.Basic".into(),
        customer: Some(urls.customer(customer_uuid).expect("customer url")),
        components,
        plans: vec![PlanRequest {
            name: "Standard".into(),
            unit_price: Some(Decimal::new("0.05")),
            unit: Some(BillingUnit::Hour),
            ..PlanRequest::default()
        }],
        shared: Some(true),
        billable: Some(true),
        terms_of_service: terms.map(str::to_string),
        ..OfferingCreateRequest::default()
    };
    let uuid = c
        .create_offering(&request)
        .await
        .expect("offering")
        .uuid
        .expect("offering uuid");
    // A Draft offering is activated by staff only.
    waldur.state.set_token_is_staff(true);
    c.activate_offering(&uuid).await.expect("activate");
    waldur.state.set_token_is_staff(false);
    uuid
}

fn adapter_for(w: &World, offering_link: &str) -> WaldurAdapter {
    WaldurAdapter::new(
        client(&w.waldur.base_url),
        w.project_url.clone(),
        BTreeMap::from([(CHAIN_OFFERING.to_string(), offering_link.to_string())]),
        w.outbox.clone(),
    )
    .expect("adapter")
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let waldur = Emulator::start("t").await.expect("emulator");
    let org = waldur.state.seed_customer("Org");
    let project = waldur.state.seed_project(&org.uuid, "P").expect("project");
    let category = waldur.state.seed_category("Compute");
    let offering_uuid = synced_offering(&waldur, &org.uuid, &category.uuid, None).await;
    let c = client(&waldur.base_url);
    let project_url = c.urls().project(&project.uuid).expect("project url");
    let offering_url = c.urls().public_offering(&offering_uuid).expect("link");
    let plan_uuid = c
        .get_offering(&offering_uuid)
        .await
        .expect("offering")
        .plans
        .first()
        .and_then(|plan| plan.uuid.clone())
        .expect("plan uuid");
    let plan_url = c
        .urls()
        .public_offering_plan(&offering_uuid, &plan_uuid)
        .expect("plan link");
    let outbox = Arc::new(Outbox::open(&dir.path().join("relayer.redb"), 5).expect("outbox"));
    // The offering map holds the provider link, as an operator may write
    // it: orders must still go to the public one.
    let provider_link = c.urls().provider_offering(&offering_uuid).expect("link");
    let adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project_url.clone(),
        BTreeMap::from([(CHAIN_OFFERING.to_string(), provider_link)]),
        outbox.clone(),
    )
    .expect("adapter");
    World {
        waldur,
        adapter,
        offering_url,
        plan_url,
        project_url,
        customer_uuid: org.uuid,
        category_uuid: category.uuid,
        outbox,
        _dir: dir,
    }
}

fn limits(w: &World, resource: &str) -> serde_json::Value {
    w.waldur.state.resource_json(resource).expect("resource")["limits"].clone()
}

/// The uuid at the end of a link.
fn last_segment(link: &str) -> &str {
    link.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_goes_to_the_public_offering_with_its_plan_and_the_quantity_as_its_only_limit() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 3)
        .await
        .expect("provision");
    // The map held the provider link; Waldur (the strict emulator) takes
    // only the public one in an order, so the order existing shows which
    // was sent.
    let orders = w.waldur.state.orders_json();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["offering"], json!(w.offering_url));
    assert_eq!(orders[0]["plan_uuid"], json!(last_segment(&w.plan_url)));
    // Only the `limit` component: the metered ones never go in `limits`.
    assert_eq!(orders[0]["limits"], json!({ QUANTITY_COMPONENT_TYPE: 3 }));
    assert_eq!(
        limits(&w, &order.resource_uuid),
        json!({ QUANTITY_COMPONENT_TYPE: 3 })
    );

    w.adapter.resize(ALLOCATION, 7).await.expect("resize");
    assert_eq!(
        limits(&w, &order.resource_uuid),
        json!({ QUANTITY_COMPONENT_TYPE: 7 })
    );
    // Nothing else was created on the way.
    assert_eq!(w.waldur.state.order_count(), 1);
}

/// An offering made by hand without the quantity component (the seeded
/// SLURM one: `cpu`, `gpu` metered, `ram` a limit): the quantity is not
/// carried, and no other component's limit is set in its place.
#[tokio::test(flavor = "current_thread")]
async fn an_offering_without_the_quantity_component_gets_no_limits() {
    let mut w = world().await;
    let seeded = w
        .waldur
        .state
        .seed_offering(OfferingSeed::new(&w.customer_uuid, &w.category_uuid))
        .expect("offering");
    w.adapter = adapter_for(&w, &seeded.url);
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 3)
        .await
        .expect("provision");
    let orders = w.waldur.state.orders_json();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["limits"], json!({}), "{orders:?}");
    assert_eq!(limits(&w, &order.resource_uuid), json!({}));

    let before = w.waldur.state.requests().len();
    w.adapter.resize(ALLOCATION, 7).await.expect("resize");
    let set_limits = w.waldur.state.requests()[before..]
        .iter()
        .filter(|r| r.path.ends_with("/set_limits/"))
        .count();
    assert_eq!(set_limits, 0);
    assert_eq!(limits(&w, &order.resource_uuid), json!({}));
}

/// An offering with terms of service: without `waldur_accept_terms_of_service`
/// the relayer refuses the order itself, names the key, and creates
/// nothing; with it, the order accepts them.
#[tokio::test(flavor = "current_thread")]
async fn terms_of_service_are_accepted_only_when_configured() {
    let mut w = world().await;
    let with_terms = synced_offering(
        &w.waldur,
        &w.customer_uuid,
        &w.category_uuid,
        Some("Be nice."),
    )
    .await;
    let link = client(&w.waldur.base_url)
        .urls()
        .public_offering(&with_terms)
        .expect("link");
    w.adapter = adapter_for(&w, &link);
    let before = w.waldur.state.order_count();

    let refused = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, WaldurError::TermsNotAccepted { offering, key }
            if *offering == link && *key == "waldur_accept_terms_of_service"),
        "{refused:?}"
    );
    assert!(refused
        .to_string()
        .contains("waldur_accept_terms_of_service"));
    // Dead-lettered with its reason, not retried for ever.
    assert_eq!(refused.class(), FailureClass::Refused);
    assert_eq!(w.waldur.state.order_count(), before, "no order created");
    let posted = w
        .waldur
        .state
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/marketplace-orders/")
        .count();
    assert_eq!(posted, 0, "the refusal is the relayer's: nothing was sent");

    // Waldur (the strict emulator) refuses an order on this offering
    // that does not accept the terms: the order existing shows they were.
    w.adapter = adapter_for(&w, &link).accepting_terms_of_service(true);
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision with the terms accepted");
    assert_eq!(w.waldur.state.order_count(), before + 1);
    // Waldur 8 keeps consent apart: it was given once, as the relayer's
    // user, before the order.
    let consents = |w: &World| {
        w.waldur
            .state
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/api/marketplace-user-offering-consents/")
            .count()
    };
    assert_eq!(consents(&w), 1);
    let versions = client(&w.waldur.base_url)
        .list_active_terms_of_service(&with_terms)
        .await
        .expect("terms");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].has_user_consent, Some(true));
    // A restarted relayer reads the consent back: no second consent, and
    // the order goes through on it.
    w.adapter = adapter_for(&w, &link).accepting_terms_of_service(true);
    w.adapter
        .provision("cust1/2/prov1", CHAIN_OFFERING, 1)
        .await
        .expect("second provision");
    assert_eq!(w.waldur.state.order_count(), before + 2);
    assert_eq!(consents(&w), 1);
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
    request.plan = Some(w.plan_url.clone());
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
    request.plan = Some(w.plan_url.clone());
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
    let usage = w
        .adapter
        .usage_updates(2_000, &mut RecordedUsage::default())
        .await
        .expect("usage");
    assert_eq!(usage.iter().map(|u| u.units).collect::<Vec<_>>(), vec![5]);
    w.restart();
    let usage = w
        .adapter
        .usage_updates(2_001, &mut RecordedUsage::default())
        .await
        .expect("usage");
    assert_eq!(usage.iter().map(|u| u.units).collect::<Vec<_>>(), vec![5]);
    w.outbox
        .enqueue_with(Vec::new(), 2_001, usage[0].watermark.as_ref())
        .expect("stored");
    w.restart();
    assert!(w
        .adapter
        .usage_updates(2_002, &mut RecordedUsage::default())
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
    let first = w
        .adapter
        .usage_updates(2_000, &mut RecordedUsage::default())
        .await
        .expect("usage");
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
    let next = w
        .adapter
        .usage_updates(3_000, &mut RecordedUsage::default())
        .await
        .expect("usage");
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

/// A Waldur without the terms-of-service endpoint (before Waldur 8)
/// answers 404 there: no terms to accept, the order goes out as usual.
#[tokio::test(flavor = "current_thread")]
async fn a_waldur_without_the_terms_endpoint_has_no_terms_to_accept() {
    let mut w = world().await;
    w.waldur.state.inject_on(
        "GET",
        "marketplace-offering-terms-of-service/",
        Fault::Status(404, 1),
    );
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 2)
        .await
        .expect("provision");
    let asked = w
        .waldur
        .state
        .requests()
        .iter()
        .filter(|r| r.path == "/api/marketplace-offering-terms-of-service/")
        .count();
    assert_eq!(asked, 1, "the terms were looked up once");
    assert_eq!(w.waldur.state.order_count(), 1);
}

/// `waldur_order_plan` names the plan orders use; an offering without a
/// live plan of that name is refused by the relayer, naming the key, and
/// nothing is created.
#[tokio::test(flavor = "current_thread")]
async fn a_configured_plan_is_used_and_a_missing_one_refused() {
    let mut w = world().await;
    let link = w.offering_url.clone();
    w.adapter = adapter_for(&w, &link).with_order_plan(Some("Gold".into()));
    let refused = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, WaldurError::Api(message)
            if message.contains("\"Gold\"") && message.contains("waldur_order_plan")),
        "{refused:?}"
    );
    assert_eq!(refused.class(), FailureClass::Refused);
    assert_eq!(w.waldur.state.order_count(), 0, "no order created");

    w.adapter = adapter_for(&w, &link).with_order_plan(Some("Standard".into()));
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    let orders = w.waldur.state.orders_json();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["plan_uuid"], json!(last_segment(&w.plan_url)));
}
