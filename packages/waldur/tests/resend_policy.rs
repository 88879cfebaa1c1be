//! Which failures the client sends a request again after, against the
//! emulator: creates Waldur cannot deduplicate (an order, a terminate
//! order) are resent only when the server surely did no work; reads and
//! repeatable writes after any transient failure.

use std::collections::BTreeMap;
use std::time::Duration;

use waldur::{Config, Error, OrderCreateRequest, OrderFilter, OrderType, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, Fault, OfferingSeed, Seeded};

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
/// Longer than the client waits: the answer never reaches it.
const HELD: Duration = Duration::from_secs(60);

fn impatient_config(base_url: &str) -> Config {
    let mut config = Config::new(base_url, TOKEN);
    config.timeout = Duration::from_millis(400);
    config.max_retries = 3;
    config.retry_wait_min = Duration::from_millis(2);
    config.retry_wait_max = Duration::from_millis(20);
    config.rate_limit_per_second = 1000.0;
    config.burst = 1000;
    config
}

struct World {
    emulator: EmulatorHandle,
    client: WaldurClient,
    project: Seeded,
    offering: Seeded,
}

async fn world() -> World {
    let emulator = Emulator::start(TOKEN).await.expect("emulator");
    let client = WaldurClient::new(impatient_config(&emulator.base_url)).expect("client");
    let state = &emulator.state;
    let customer = state.seed_customer("Provider Ltd");
    let project = state
        .seed_project(&customer.uuid, "Research")
        .expect("project");
    let category = state.seed_category("HPC");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .expect("offering");
    World {
        emulator,
        client,
        project,
        offering,
    }
}

impl World {
    fn order_request(&self) -> OrderCreateRequest {
        // Orders take the public offering link (the seed returns the
        // provider one).
        let offering = self.emulator.state.public_offering_url(&self.offering.uuid);
        let mut request = OrderCreateRequest::new(offering, self.project.url.clone());
        request.attributes = Some(serde_json::json!({ "name": "alloc" }));
        request
    }

    fn order_creates_sent(&self) -> usize {
        self.emulator
            .state
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/api/marketplace-orders/")
            .count()
    }

    fn arm_on_create(&self, fault: Fault) {
        self.emulator
            .state
            .inject_on("POST", "marketplace-orders/", fault);
    }
}

#[tokio::test]
async fn an_order_create_answered_too_late_is_not_resent() {
    let w = world().await;
    w.arm_on_create(Fault::LateAnswer(HELD, 1));
    let error = w
        .client
        .create_order(&w.order_request())
        .await
        .expect_err("the answer came too late");
    assert!(matches!(error, Error::Timeout { attempts: 1 }), "{error}");
    assert!(error.is_transient());
    assert_eq!(w.order_creates_sent(), 1);
    assert_eq!(w.emulator.state.order_count(), 1, "the order was created");
}

#[tokio::test]
async fn server_errors_and_lost_connections_on_a_create_are_not_resent() {
    let w = world().await;
    for status in [500, 502, 503, 504] {
        w.arm_on_create(Fault::Status(status, 1));
        let error = w
            .client
            .create_order(&w.order_request())
            .await
            .expect_err("5xx");
        assert!(
            matches!(error, Error::Server { status: s, attempts: 1, .. } if s == status),
            "{error}"
        );
    }
    w.arm_on_create(Fault::DropConnection(1));
    let error = w
        .client
        .create_order(&w.order_request())
        .await
        .expect_err("dropped");
    assert!(
        matches!(error, Error::Network { attempts: 1, .. }),
        "{error}"
    );
    assert_eq!(w.order_creates_sent(), 5, "each sent once");
    assert_eq!(w.emulator.state.order_count(), 0);
}

#[tokio::test]
async fn refusals_before_any_work_are_retried_for_a_create() {
    let w = world().await;
    w.arm_on_create(Fault::Status(429, 1));
    w.arm_on_create(Fault::RetryAfter(Duration::ZERO, 1));
    w.arm_on_create(Fault::StatusRetryAfter(503, Duration::ZERO, 1));
    w.client
        .create_order(&w.order_request())
        .await
        .expect("created after three refusals");
    assert_eq!(w.order_creates_sent(), 4);
    assert_eq!(w.emulator.state.order_count(), 1);

    // A storm longer than the budget surfaces the server's last wait.
    w.arm_on_create(Fault::StatusRetryAfter(429, Duration::from_secs(7), 9));
    let error = w
        .client
        .create_order(&w.order_request())
        .await
        .expect_err("throttled");
    match error {
        Error::RateLimited {
            attempts: 4,
            retry_after: Some(wait),
        } => assert_eq!(wait, Duration::from_secs(7)),
        other => panic!("expected RateLimited, got {other}"),
    }
    assert_eq!(w.emulator.state.order_count(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_for_a_create() {
    // A port nobody listens on: every attempt is refused before sending.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let client = WaldurClient::new(impatient_config(&format!("http://127.0.0.1:{port}/api/")))
        .expect("client");
    let request = OrderCreateRequest::new(
        format!("http://127.0.0.1:{port}/api/marketplace-public-offerings/a/"),
        format!("http://127.0.0.1:{port}/api/projects/b/"),
    );
    let error = client.create_order(&request).await.expect_err("refused");
    assert!(
        matches!(error, Error::Network { attempts: 4, .. }),
        "all four attempts were made: {error}"
    );
}

#[tokio::test]
async fn a_terminate_answered_too_late_leaves_one_terminate_order() {
    let w = world().await;
    let order = w
        .client
        .create_order(&w.order_request())
        .await
        .expect("order");
    let order_uuid = order.uuid.expect("order uuid");
    let resource_uuid = order.marketplace_resource_uuid.expect("resource");
    w.client
        .approve_order_by_provider(&order_uuid, None)
        .await
        .expect("approve");
    w.client
        .set_order_state_done(&order_uuid)
        .await
        .expect("done");

    w.emulator.state.inject_on(
        "POST",
        "marketplace-provider-resources/*/terminate/",
        Fault::LateAnswer(HELD, 1),
    );
    let error = w
        .client
        .terminate_resource(&resource_uuid, None)
        .await
        .expect_err("too late");
    assert!(matches!(error, Error::Timeout { attempts: 1 }), "{error}");
    let terminate_orders = w
        .client
        .list_orders(&OrderFilter {
            resource_uuid: Some(resource_uuid.clone()),
            types: vec![OrderType::Terminate],
            ..OrderFilter::default()
        })
        .await
        .expect("orders");
    assert_eq!(terminate_orders.len(), 1);
}

#[tokio::test]
async fn reads_and_repeatable_writes_are_retried_after_a_late_answer() {
    let w = world().await;
    let order = w
        .client
        .create_order(&w.order_request())
        .await
        .expect("order");
    let order_uuid = order.uuid.expect("order uuid");
    let resource_uuid = order.marketplace_resource_uuid.expect("resource");

    w.emulator
        .state
        .inject_on("GET", "marketplace-orders/*/", Fault::LateAnswer(HELD, 1));
    w.client.get_order(&order_uuid).await.expect("read again");

    w.emulator.state.inject_on(
        "POST",
        "marketplace-provider-resources/*/set_limits/",
        Fault::LateAnswer(HELD, 1),
    );
    w.client
        .set_resource_limits(&resource_uuid, &BTreeMap::from([("cpu".to_owned(), 4)]))
        .await
        .expect("set again");

    // The approval took effect the first time: the resend meets 409,
    // which the caller reads back (the order is executing).
    w.emulator.state.inject_on(
        "POST",
        "marketplace-orders/*/approve_by_provider/",
        Fault::LateAnswer(HELD, 1),
    );
    let error = w
        .client
        .approve_order_by_provider(&order_uuid, None)
        .await
        .expect_err("the resend found it approved");
    assert!(matches!(error, Error::Conflict { .. }), "{error}");
    let order = w.client.get_order(&order_uuid).await.expect("order");
    assert_eq!(order.state, Some(waldur::OrderState::Executing));
}

#[tokio::test]
async fn orders_are_found_by_their_name_with_the_query_filter() {
    let w = world().await;
    for name in ["cust1/1/prov1", "cust1/2/prov1"] {
        let mut request = w.order_request();
        request.attributes = Some(serde_json::json!({ "name": name, "ve_allocation_id": name }));
        w.client.create_order(&request).await.expect("order");
    }
    let found = w
        .client
        .list_orders(&OrderFilter {
            project_uuid: Some(w.project.uuid.clone()),
            offering_uuid: Some(w.offering.uuid.clone()),
            types: vec![OrderType::Create],
            query: Some("CUST1/2/".into()),
            ..OrderFilter::default()
        })
        .await
        .expect("orders");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].attributes["ve_allocation_id"], "cust1/2/prov1");
}
