//! The Waldur adapter through Waldur's bad days, against the emulator.
//!
//! Each test makes one call fail (an answer slower than the client waits
//! while the work still happens, a 4xx of each kind once, a 5xx or 429
//! with Retry-After, a dropped connection, a 409 or 400 of a real state
//! conflict), then calls the adapter again as the engine does with a
//! failed event, and checks Waldur: one order and one resource per
//! allocation, the resource in its right state (its backend_id left alone), one
//! Terminate order, one SLURM job per chain job. The client's timeout is
//! the only clock: no test sleeps to wait for anything.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::port::JobSubmission;
use ve_relayer::waldur_side::port::{FailureClass, WaldurError, WaldurPort};
use waldur::{Config, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, Fault, OfferingSeed, ResourceState};

const ALLOCATION: &str = "cust1/1/prov1";
const CHAIN_OFFERING: &str = "prov1/1";
const CLUSTER: &str = "prov1/cluster/1";
/// The seeded SLURM offering's `limit` component (`cpu` and `gpu` are
/// metered and never go in `limits`).
const QUANTITY: &str = "ram";
/// Longer than the client waits: the answer never reaches it.
const HELD: Duration = Duration::from_secs(120);

/// The relayer's client, impatient enough that a held answer times out
/// quickly; its own retries wait milliseconds.
fn client(base: &str) -> WaldurClient {
    let mut config = Config::new(base.to_string(), "t");
    config.timeout = Duration::from_millis(400);
    config.max_retries = 3;
    config.retry_wait_min = Duration::from_millis(2);
    config.retry_wait_max = Duration::from_millis(20);
    config.rate_limit_per_second = 1000.0;
    config.burst = 1000;
    WaldurClient::new(config).expect("client")
}

struct World {
    waldur: EmulatorHandle,
    adapter: WaldurAdapter,
    /// The seeded Waldur offering.
    offering_url: String,
    /// The relayer database the adapter keeps its records in.
    outbox: Arc<Outbox>,
    /// The provider's backend (the site agent), which finishes orders.
    backend: WaldurClient,
    _dir: tempfile::TempDir,
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
    let settings = waldur.state.seed_service_settings("Cluster");
    let outbox = Arc::new(Outbox::open(&dir.path().join("relayer.redb"), 5).expect("outbox"));
    let adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project.url.clone(),
        BTreeMap::from([(CHAIN_OFFERING.to_string(), offering.url.clone())]),
        outbox.clone(),
    )
    .expect("adapter")
    // The seeded offering's `limit` component carries the quantity.
    .with_quantity_component(QUANTITY)
    .with_clusters(BTreeMap::from([(CLUSTER.to_string(), settings.url)]));
    World {
        offering_url: offering.url,
        outbox,
        backend: client(&waldur.base_url),
        waldur,
        adapter,
        _dir: dir,
    }
}

impl World {
    /// Every order, oldest first.
    fn orders(&self) -> Vec<Value> {
        self.waldur.state.orders_json()
    }

    /// Orders of a resource.
    fn orders_of(&self, resource_uuid: &str) -> Vec<Value> {
        self.orders()
            .into_iter()
            .filter(|o| o["marketplace_resource_uuid"] == json!(resource_uuid))
            .collect()
    }

    fn create_orders_for(&self, allocation_id: &str) -> Vec<Value> {
        self.orders()
            .into_iter()
            .filter(|o| o["type"] == json!("Create"))
            .filter(|o| o["attributes"]["ve_allocation_id"] == json!(allocation_id))
            .collect()
    }

    fn terminate_orders_of(&self, resource_uuid: &str) -> Vec<Value> {
        self.orders_of(resource_uuid)
            .into_iter()
            .filter(|o| o["type"] == json!("Terminate"))
            .collect()
    }

    fn resource(&self, uuid: &str) -> Value {
        self.waldur.state.resource_json(uuid).expect("resource")
    }

    /// Exactly one Create order and one resource for the allocation, the
    /// backend_id left to the site agent, the order approved; returns the resource.
    fn assert_provisioned_once(&self, allocation_id: &str) -> String {
        let orders = self.create_orders_for(allocation_id);
        assert_eq!(
            orders.len(),
            1,
            "one order for {allocation_id}: {orders:#?}"
        );
        let order = &orders[0];
        assert_eq!(order["state"], json!("executing"), "approved: {order:#?}");
        let resource_uuid = order["marketplace_resource_uuid"]
            .as_str()
            .expect("resource uuid")
            .to_string();
        // `backend_id` is the site agent's: the relayer never writes it.
        assert_eq!(
            self.resource(&resource_uuid)["backend_id"],
            json!(""),
            "backend_id left alone"
        );
        let create_orders = self
            .orders()
            .iter()
            .filter(|o| o["type"] == json!("Create"))
            .count();
        assert_eq!(
            self.waldur.state.resource_count(),
            create_orders,
            "one resource per Create order"
        );
        resource_uuid
    }

    /// The backend finishes the order, as the site agent does.
    async fn backend_completes(&self, order_uuid: &str) {
        self.backend
            .set_order_state_done(order_uuid)
            .await
            .expect("set_state_done");
    }

    /// Provisions the allocation and lets the backend finish it: the
    /// resource is OK. Returns the resource.
    async fn active_allocation(&mut self, allocation_id: &str) -> String {
        let order = self
            .adapter
            .provision(allocation_id, CHAIN_OFFERING, 2)
            .await
            .expect("provision");
        self.backend_completes(&order.order_uuid).await;
        assert_eq!(self.resource(&order.resource_uuid)["state"], json!("OK"));
        order.resource_uuid
    }
}

fn expected_class(status: u16) -> FailureClass {
    match status {
        401 | 403 => FailureClass::Auth,
        409 => FailureClass::Conflict,
        _ => FailureClass::Refused,
    }
}

const CLIENT_ERRORS: [u16; 5] = [400, 401, 403, 404, 409];

// ---- provision ----

/// The operator's first finding: an order create slower than the timeout
/// made two orders. Now the create is not resent, and the next attempt
/// adopts the order the slow one made.
#[tokio::test(flavor = "current_thread")]
async fn an_order_create_answered_too_late_is_adopted_not_repeated() {
    let mut w = world().await;
    w.waldur
        .state
        .inject_on("POST", "marketplace-orders/", Fault::LateAnswer(HELD, 1));
    let first = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 2)
        .await
        .expect_err("the answer came too late");
    assert_eq!(first.class(), FailureClass::Unavailable, "{first}");
    let made = w.create_orders_for(ALLOCATION);
    assert_eq!(made.len(), 1, "the slow create took effect");
    assert_eq!(made[0]["state"], json!("pending-provider"));

    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 2)
        .await
        .expect("retried provision");
    let resource = w.assert_provisioned_once(ALLOCATION);
    assert_eq!(order.resource_uuid, resource);
    assert_eq!(json!(order.order_uuid), made[0]["uuid"]);
    assert_eq!(w.resource(&resource)["limits"], json!({ QUANTITY: 2 }));
}

/// Each 4xx once, on each call `provision` makes; the engine calls again.
#[tokio::test(flavor = "current_thread")]
async fn provision_recovers_from_each_client_error_on_each_call() {
    let calls = [
        ("GET", "marketplace-orders/"),
        ("POST", "marketplace-orders/"),
        ("POST", "marketplace-orders/*/approve_by_provider/"),
    ];
    for (method, endpoint) in calls {
        for status in CLIENT_ERRORS {
            let mut w = world().await;
            w.waldur
                .state
                .inject_on(method, endpoint, Fault::Status(status, 1));
            let error = w
                .adapter
                .provision(ALLOCATION, CHAIN_OFFERING, 2)
                .await
                .expect_err("the fault failed the call");
            assert_eq!(
                error.class(),
                expected_class(status),
                "{status} on {method} {endpoint}: {error}"
            );
            w.adapter
                .provision(ALLOCATION, CHAIN_OFFERING, 2)
                .await
                .unwrap_or_else(|e| panic!("retry after {status} on {method} {endpoint}: {e}"));
            w.assert_provisioned_once(ALLOCATION);
            assert_eq!(w.waldur.state.pending_faults(), 0);
        }
    }
}

/// The operator's second finding: a retried approval met 409 and the
/// allocation stayed pending. The client resends the approval after the
/// late answer, meets 409, and the adapter reads the order back:
/// executing, so the call succeeds.
#[tokio::test(flavor = "current_thread")]
async fn an_approval_that_took_effect_is_success_when_its_resend_meets_409() {
    let mut w = world().await;
    w.waldur.state.inject_on(
        "POST",
        "marketplace-orders/*/approve_by_provider/",
        Fault::LateAnswer(HELD, 1),
    );
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 2)
        .await
        .expect("provision in one call");
    w.assert_provisioned_once(ALLOCATION);

    // The whole event again (the engine lost the outcome): nothing new.
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 2)
        .await
        .expect("repeated provision");
    w.assert_provisioned_once(ALLOCATION);
}

#[tokio::test(flavor = "current_thread")]
async fn provision_through_5xx_429_and_dropped_connections() {
    let mut w = world().await;
    let create = |w: &World, fault| {
        w.waldur
            .state
            .inject_on("POST", "marketplace-orders/", fault)
    };

    // Refused before any work, with Retry-After: retried by the client.
    create(&w, Fault::StatusRetryAfter(503, Duration::ZERO, 2));
    create(&w, Fault::RetryAfter(Duration::ZERO, 1));
    w.adapter
        .provision("cust1/1/prov1", CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    w.assert_provisioned_once("cust1/1/prov1");

    // A 5xx or a dropped connection may hide an order: handed back, and
    // the next attempt looks before it creates.
    for (n, fault) in [
        Fault::Status(500, 1),
        Fault::Status(502, 1),
        Fault::Status(503, 1),
        Fault::DropConnection(1),
    ]
    .into_iter()
    .enumerate()
    {
        let allocation = format!("cust1/{}/prov1", n + 2);
        create(&w, fault.clone());
        let error = w
            .adapter
            .provision(&allocation, CHAIN_OFFERING, 1)
            .await
            .expect_err("failed");
        assert_eq!(
            error.class(),
            FailureClass::Unavailable,
            "{fault:?}: {error}"
        );
        w.adapter
            .provision(&allocation, CHAIN_OFFERING, 1)
            .await
            .expect("retried");
        w.assert_provisioned_once(&allocation);
    }

    // Throttled beyond the client's budget: the engine hears the wait.
    create(&w, Fault::StatusRetryAfter(429, Duration::from_secs(7), 4));
    let error = w
        .adapter
        .provision("cust1/9/prov1", CHAIN_OFFERING, 1)
        .await
        .expect_err("throttled");
    assert_eq!(error.class(), FailureClass::RateLimited);
    assert_eq!(error.retry_after(), Some(7));
    w.adapter
        .provision("cust1/9/prov1", CHAIN_OFFERING, 1)
        .await
        .expect("retried");
    w.assert_provisioned_once("cust1/9/prov1");
}

/// An order waiting for the consumer cannot be approved yet: a conflict
/// to wait on, then approved once it reaches the provider.
#[tokio::test(flavor = "current_thread")]
async fn an_order_not_yet_pending_provider_is_waited_on() {
    let mut w = world().await;
    w.waldur
        .state
        .inject_on("POST", "marketplace-orders/", Fault::LateAnswer(HELD, 1));
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect_err("too late");
    let order_uuid = w.create_orders_for(ALLOCATION)[0]["uuid"]
        .as_str()
        .expect("uuid")
        .to_string();
    assert!(w
        .waldur
        .state
        .set_order_state(&order_uuid, waldur_emulator::OrderState::PendingConsumer));
    let error = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect_err("not yet");
    assert!(matches!(error, WaldurError::Conflict(_)), "{error}");
    assert!(error.to_string().contains("pending-consumer"), "{error}");

    assert!(w
        .waldur
        .state
        .set_order_state(&order_uuid, waldur_emulator::OrderState::PendingProvider));
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("approved now");
    w.assert_provisioned_once(ALLOCATION);
}

// ---- terminate ----

/// The terminate order is a create too: after a late answer the next
/// attempt meets Waldur's 400 "Pending order for resource already
/// exists.", finds its own Terminate order and approves it.
#[tokio::test(flavor = "current_thread")]
async fn a_terminate_answered_too_late_is_found_and_approved() {
    let mut w = world().await;
    let resource = w.active_allocation(ALLOCATION).await;
    w.waldur.state.inject_on(
        "POST",
        "marketplace-provider-resources/*/terminate/",
        Fault::LateAnswer(HELD, 1),
    );
    let error = w.adapter.terminate(ALLOCATION).await.expect_err("too late");
    assert_eq!(error.class(), FailureClass::Unavailable, "{error}");
    let made = w.terminate_orders_of(&resource);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["state"], json!("pending-provider"));

    assert_eq!(
        w.adapter.terminate(ALLOCATION).await.expect("retried"),
        resource
    );
    let orders = w.terminate_orders_of(&resource);
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0]["state"], json!("executing"));
    assert_eq!(w.resource(&resource)["state"], json!("Terminating"));

    // Done in the backend, and the event comes once more: Waldur's 409 on
    // a Terminated resource means it is done.
    let order_uuid = orders[0]["uuid"].as_str().expect("uuid").to_string();
    w.backend_completes(&order_uuid).await;
    w.adapter.terminate(ALLOCATION).await.expect("repeated");
    assert_eq!(w.terminate_orders_of(&resource).len(), 1);
    assert_eq!(w.resource(&resource)["state"], json!("Terminated"));
    assert_eq!(w.create_orders_for(ALLOCATION).len(), 1);
}

/// The operator's third finding: a terminate refused because of a
/// pending order dropped the event. Now it is a conflict the engine waits
/// on, and the terminate goes through once the order is done.
#[tokio::test(flavor = "current_thread")]
async fn a_terminate_behind_a_pending_order_waits_for_it() {
    let mut w = world().await;
    let order = w
        .adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    // Still Creating: Waldur's state validator answers 409.
    let error = w.adapter.terminate(ALLOCATION).await.expect_err("creating");
    assert_eq!(error.class(), FailureClass::Conflict, "{error}");
    assert!(
        error
            .to_string()
            .contains("Valid states for operation: OK, Erred."),
        "{error}"
    );

    // OK but its Create order still executing: Waldur's 400.
    assert!(w
        .waldur
        .state
        .set_resource_state(&order.resource_uuid, ResourceState::Ok));
    let error = w
        .adapter
        .terminate(ALLOCATION)
        .await
        .expect_err("pending order");
    assert_eq!(error.class(), FailureClass::Conflict, "{error}");
    assert!(
        error
            .to_string()
            .contains("Pending order for resource already exists."),
        "{error}"
    );
    assert!(w.terminate_orders_of(&order.resource_uuid).is_empty());

    w.backend_completes(&order.order_uuid).await;
    w.adapter.terminate(ALLOCATION).await.expect("terminate");
    let orders = w.terminate_orders_of(&order.resource_uuid);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["state"], json!("executing"));
    assert_eq!(
        w.resource(&order.resource_uuid)["state"],
        json!("Terminating")
    );
}

#[tokio::test(flavor = "current_thread")]
async fn terminate_recovers_from_each_client_error_on_each_call() {
    let calls = [
        ("POST", "marketplace-provider-resources/*/terminate/"),
        ("POST", "marketplace-orders/*/approve_by_provider/"),
    ];
    for (method, endpoint) in calls {
        for status in CLIENT_ERRORS {
            let mut w = world().await;
            let resource = w.active_allocation(ALLOCATION).await;
            w.waldur
                .state
                .inject_on(method, endpoint, Fault::Status(status, 1));
            let error = w
                .adapter
                .terminate(ALLOCATION)
                .await
                .expect_err("the fault failed the call");
            assert_eq!(
                error.class(),
                expected_class(status),
                "{status} on {method} {endpoint}: {error}"
            );
            w.adapter
                .terminate(ALLOCATION)
                .await
                .unwrap_or_else(|e| panic!("retry after {status} on {method} {endpoint}: {e}"));
            let orders = w.terminate_orders_of(&resource);
            assert_eq!(orders.len(), 1, "{status} on {endpoint}: {orders:#?}");
            assert_eq!(orders[0]["state"], json!("executing"));
            assert_eq!(w.resource(&resource)["state"], json!("Terminating"));
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn terminate_through_5xx_and_a_late_approval() {
    let mut w = world().await;
    let resource = w.active_allocation(ALLOCATION).await;
    // A 5xx on the terminate may hide an order: handed back.
    w.waldur.state.inject_on(
        "POST",
        "marketplace-provider-resources/*/terminate/",
        Fault::Status(500, 1),
    );
    let error = w.adapter.terminate(ALLOCATION).await.expect_err("5xx");
    assert_eq!(error.class(), FailureClass::Unavailable);
    // The approval of the terminate order answers late: resent, 409, read
    // back as executing.
    w.waldur.state.inject_on(
        "POST",
        "marketplace-orders/*/approve_by_provider/",
        Fault::LateAnswer(HELD, 1),
    );
    w.adapter.terminate(ALLOCATION).await.expect("terminate");
    let orders = w.terminate_orders_of(&resource);
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["state"], json!("executing"));
}

// ---- pause and resize ----

#[tokio::test(flavor = "current_thread")]
async fn resize_and_pause_recover_from_each_fault() {
    let mut w = world().await;
    let resource = w.active_allocation(ALLOCATION).await;
    w.waldur.state.set_token_is_staff(true);
    let limits = "marketplace-provider-resources/*/set_limits/";
    let paused = "marketplace-provider-resources/*/set_paused/";

    for (n, status) in CLIENT_ERRORS.into_iter().enumerate() {
        let quantity = 10 + n as u32;
        w.waldur
            .state
            .inject_on("POST", limits, Fault::Status(status, 1));
        let error = w
            .adapter
            .resize(ALLOCATION, quantity)
            .await
            .expect_err("fault");
        assert_eq!(error.class(), expected_class(status), "{status}: {error}");
        w.adapter
            .resize(ALLOCATION, quantity)
            .await
            .expect("retried");
        assert_eq!(
            w.resource(&resource)["limits"],
            json!({ QUANTITY: quantity })
        );

        w.waldur
            .state
            .inject_on("POST", paused, Fault::Status(status, 1));
        match w.adapter.set_paused(ALLOCATION, true).await {
            // A 403 is how Waldur says "staff only": the pause holds on
            // chain, by design not an error.
            Ok(false) if status == 403 => {}
            Err(error) => {
                assert_eq!(error.class(), expected_class(status), "{status}: {error}")
            }
            other => panic!("{status} on set_paused gave {other:?}"),
        }
        assert!(w
            .adapter
            .set_paused(ALLOCATION, true)
            .await
            .expect("retried"));
        assert_eq!(w.resource(&resource)["paused"], json!(true));
        assert!(w
            .adapter
            .set_paused(ALLOCATION, false)
            .await
            .expect("resume"));
    }

    // Repeatable writes are resent by the client after a late answer or a
    // 5xx: one call succeeds.
    w.waldur
        .state
        .inject_on("POST", limits, Fault::LateAnswer(HELD, 1));
    w.waldur
        .state
        .inject_on("POST", limits, Fault::Status(502, 1));
    w.adapter.resize(ALLOCATION, 42).await.expect("resize");
    assert_eq!(w.resource(&resource)["limits"], json!({ QUANTITY: 42 }));
    w.waldur
        .state
        .inject_on("POST", paused, Fault::LateAnswer(HELD, 1));
    assert!(w.adapter.set_paused(ALLOCATION, true).await.expect("pause"));
    assert_eq!(w.resource(&resource)["paused"], json!(true));

    // Nothing here makes orders.
    assert_eq!(w.create_orders_for(ALLOCATION).len(), 1);
    assert!(w.terminate_orders_of(&resource).is_empty());
}

/// An allocation whose order was made but never tracked (the relayer lost
/// its database, or stopped in between) is found by its attribute for a
/// resize, and tracked (its `backend_id` left to the site agent).
#[tokio::test(flavor = "current_thread")]
async fn a_resize_finds_an_order_made_by_a_lost_attempt() {
    let mut w = world().await;
    w.waldur
        .state
        .inject_on("POST", "marketplace-orders/", Fault::LateAnswer(HELD, 1));
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect_err("too late");
    w.adapter.resize(ALLOCATION, 5).await.expect("resize");
    let made = w.create_orders_for(ALLOCATION);
    assert_eq!(made.len(), 1);
    let resource = made[0]["marketplace_resource_uuid"]
        .as_str()
        .expect("resource")
        .to_string();
    assert_eq!(w.resource(&resource)["backend_id"], json!(""));
    assert_eq!(w.resource(&resource)["limits"], json!({ QUANTITY: 5 }));
    w.adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    w.assert_provisioned_once(ALLOCATION);
}

// ---- SLURM jobs ----

fn job(job_id: &str) -> JobSubmission {
    JobSubmission {
        job_id: job_id.to_string(),
        hpc_offering_id: "prov1/hpc/1".to_string(),
        cluster_id: CLUSTER.to_string(),
        queue: "batch".to_string(),
        nodes: 2,
        max_runtime_seconds: 3_600,
    }
}

fn waldur_jobs_named(w: &World, name: &str) -> usize {
    w.waldur
        .state
        .slurm_jobs_json()
        .iter()
        .filter(|j| j["name"] == json!(name))
        .count()
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_create_answered_too_late_is_found_not_repeated() {
    let mut w = world().await;
    w.waldur
        .state
        .inject_on("POST", "slurm-jobs/", Fault::LateAnswer(HELD, 1));
    let error = w
        .adapter
        .submit_job(&job("job-1"))
        .await
        .expect_err("too late");
    assert_eq!(error.class(), FailureClass::Unavailable, "{error}");
    assert_eq!(
        waldur_jobs_named(&w, "job-1"),
        1,
        "the slow create took effect"
    );
    let submitted = w.adapter.submit_job(&job("job-1")).await.expect("retried");
    assert!(!submitted.created, "found, not created");
    assert_eq!(waldur_jobs_named(&w, "job-1"), 1);
    assert_eq!(w.waldur.state.slurm_job_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_create_recovers_from_each_fault() {
    let mut w = world().await;
    let faults = CLIENT_ERRORS
        .into_iter()
        .map(|status| Fault::Status(status, 1))
        .chain([
            Fault::Status(500, 1),
            Fault::Status(503, 1),
            Fault::DropConnection(1),
        ]);
    for (n, fault) in faults.enumerate() {
        let job_id = format!("job-{n}");
        w.waldur
            .state
            .inject_on("POST", "slurm-jobs/", fault.clone());
        w.adapter
            .submit_job(&job(&job_id))
            .await
            .expect_err("the fault failed the call");
        let submitted = w
            .adapter
            .submit_job(&job(&job_id))
            .await
            .unwrap_or_else(|e| panic!("retry after {fault:?}: {e}"));
        assert!(
            submitted.created,
            "{fault:?}: the failed create made nothing"
        );
        assert_eq!(waldur_jobs_named(&w, &job_id), 1, "{fault:?}");
    }
    // Refused before any work: retried by the client, one call.
    w.waldur.state.inject_on(
        "POST",
        "slurm-jobs/",
        Fault::StatusRetryAfter(503, Duration::ZERO, 1),
    );
    w.waldur
        .state
        .inject_on("POST", "slurm-jobs/", Fault::RetryAfter(Duration::ZERO, 1));
    w.adapter
        .submit_job(&job("job-last"))
        .await
        .expect("submitted");
    assert_eq!(waldur_jobs_named(&w, "job-last"), 1);
}

// ---- through the engine ----

mod through_the_engine {
    use super::*;
    use cosmwasm_std::Addr;
    use ve_relayer::chain::embedded::EmbeddedChain;
    use ve_relayer::chain::signer::Signer;
    use ve_relayer::chain::ChainClient;
    use ve_relayer::flows::engine::Engine;
    use ve_testing::{hourly_offering, Deal, OrderFlow};
    use ve_types::AllocationState;

    /// The portal's story up to an accepted bid; returns the allocation.
    fn allocation(chain: &mut EmbeddedChain, provider: &Addr, customer: &Addr) -> String {
        chain
            .offer_and_match(
                provider,
                customer,
                hourly_offering("Compute", 1_000),
                Deal::at(1_000, 2),
            )
            .expect("allocation")
            .allocation
    }

    fn state_of(chain: &EmbeddedChain, allocation_id: &str) -> AllocationState {
        let response: marketplace::msg::AllocationResponse = chain
            .app
            .wrap()
            .query_wasm_smart(
                chain.marketplace.clone(),
                &marketplace::msg::QueryMsg::Allocation {
                    allocation_id: allocation_id.to_string(),
                },
            )
            .expect("allocation");
        response.allocation.state
    }

    /// The operator's fault run, through the engine and its durable
    /// intents: a late order create and a late terminate each make one
    /// object in Waldur, and the chain allocation goes all the way.
    #[tokio::test(flavor = "current_thread")]
    async fn late_answers_to_the_order_and_the_terminate_end_with_one_of_each() {
        let mut w = world().await;
        let mut chain = EmbeddedChain::deploy(&["provider", "customer"]).expect("chain");
        let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
        let signer = Signer::new(
            [7; 32],
            "relayer-1",
            provider.as_str(),
            chain.chain_id(),
            chain.callback_contract(),
        );
        let callback = chain.callback.clone();
        chain
            .execute(
                &provider,
                &callback,
                &signer.register_message().expect("register"),
                &[],
            )
            .expect("registered");
        let allocation_id = allocation(&mut chain, &provider, &customer);
        // The chain's offering `{provider}/1` is the seeded Waldur offering.
        let seeded = w.offering_url.clone();
        w.adapter.map_offering(&format!("{provider}/1"), seeded);
        // The engine and the adapter share the relayer database.
        let World {
            waldur,
            adapter,
            backend,
            outbox,
            _dir,
            ..
        } = w;
        let mut engine = Engine {
            chain,
            waldur: adapter,
            signer,
            outbox,
        };

        waldur
            .state
            .inject_on("POST", "marketplace-orders/", Fault::LateAnswer(HELD, 1));
        let report = engine.step().await.expect("step");
        assert_eq!(report.events_retrying, 1, "{report:?}");
        assert_eq!(waldur.state.order_count(), 1, "the late create took effect");
        engine.outbox.make_intents_due().expect("due");
        let report = engine.step().await.expect("step");
        assert_eq!(report.events_handled, 1, "{report:?}");
        assert_eq!(
            state_of(&engine.chain, &allocation_id),
            AllocationState::Provisioning
        );
        let orders = waldur.state.orders_json();
        assert_eq!(orders.len(), 1, "{orders:#?}");
        assert_eq!(orders[0]["state"], json!("executing"));
        let resource = orders[0]["marketplace_resource_uuid"]
            .as_str()
            .expect("resource")
            .to_string();
        // `backend_id` is left to the site agent.
        assert_eq!(
            waldur.state.resource_json(&resource).expect("resource")["backend_id"],
            json!("")
        );

        // The site agent finishes the order: the chain hears `active`.
        let order_uuid = orders[0]["uuid"].as_str().expect("uuid").to_string();
        backend
            .set_order_state_done(&order_uuid)
            .await
            .expect("done");
        engine.step().await.expect("step");
        assert_eq!(
            state_of(&engine.chain, &allocation_id),
            AllocationState::Active
        );

        // The customer terminates; Waldur's answer comes too late.
        let market = engine.chain.marketplace.clone();
        engine
            .chain
            .execute(
                &customer,
                &market,
                &marketplace::msg::ExecuteMsg::TerminateAllocation {
                    allocation_id: allocation_id.clone(),
                    reason: None,
                },
                &[],
            )
            .expect("terminate");
        waldur.state.inject_on(
            "POST",
            "marketplace-provider-resources/*/terminate/",
            Fault::LateAnswer(HELD, 1),
        );
        let report = engine.step().await.expect("step");
        assert_eq!(report.events_retrying, 1, "{report:?}");
        engine.outbox.make_intents_due().expect("due");
        let report = engine.step().await.expect("step");
        assert_eq!(report.events_handled, 1, "{report:?}");
        let terminate_orders: Vec<Value> = waldur
            .state
            .orders_json()
            .into_iter()
            .filter(|o| o["type"] == json!("Terminate"))
            .collect();
        assert_eq!(terminate_orders.len(), 1, "{terminate_orders:#?}");
        assert_eq!(terminate_orders[0]["state"], json!("executing"));

        // The site agent finishes it: the chain hears `terminated`.
        let terminate_uuid = terminate_orders[0]["uuid"]
            .as_str()
            .expect("uuid")
            .to_string();
        backend
            .set_order_state_done(&terminate_uuid)
            .await
            .expect("done");
        engine.step().await.expect("step");
        assert_eq!(
            state_of(&engine.chain, &allocation_id),
            AllocationState::Terminated
        );
        assert_eq!(waldur.state.order_count(), 2, "one Create, one Terminate");
        assert_eq!(waldur.state.resource_count(), 1);
        assert_eq!(
            engine.outbox.intent_figures().expect("figures"),
            Default::default()
        );
    }
}
