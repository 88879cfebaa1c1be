//! The client against the in-process Waldur emulator: pagination, retries
//! under injected faults, error mapping and the provider flows the relayer
//! runs. Everything stays on 127.0.0.1 with short, bounded waits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use waldur::{
    BillingType, ComponentUsageItem, Config, Error, OfferingComponentRequest,
    OfferingCreateRequest, OfferingFilter, OfferingOverviewUpdate, OfferingState,
    OrderCreateRequest, OrderFilter, OrderState, OrderType, PlanRequest, ProjectFilter,
    ResourceFilter, ResourceState, SetUsageRequest, SlurmAllocationFilter,
    UpdateOfferingComponentRequest, UsageFilter, WaldurClient,
};
use waldur_emulator::{AllocationSeed, Emulator, EmulatorHandle, Fault, OfferingSeed, Seeded};

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

/// A config with tiny waits so storms resolve in milliseconds.
fn fast_config(base_url: &str) -> Config {
    let mut config = Config::new(base_url, TOKEN);
    config.timeout = Duration::from_secs(2);
    config.retry_wait_min = Duration::from_millis(2);
    config.retry_wait_max = Duration::from_millis(20);
    config.rate_limit_per_second = 1000.0;
    config.burst = 1000;
    config
}

struct World {
    emulator: EmulatorHandle,
    client: WaldurClient,
    customer: Seeded,
    project: Seeded,
    category: Seeded,
    offering: Seeded,
}

async fn world() -> World {
    let emulator = Emulator::start(TOKEN).await.unwrap();
    let client = WaldurClient::new(fast_config(&emulator.base_url)).unwrap();
    let state = &emulator.state;
    let customer = state.seed_customer("Provider Ltd");
    let project = state.seed_project(&customer.uuid, "Research").unwrap();
    let category = state.seed_category("HPC");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    World {
        emulator,
        client,
        customer,
        project,
        category,
        offering,
    }
}

impl World {
    /// An order created through the client, as the relayer does.
    async fn order(&self) -> waldur::Order {
        let offering_url = self
            .client
            .urls()
            .public_offering(&self.offering.uuid)
            .unwrap();
        let mut request = OrderCreateRequest::new(offering_url, self.project.url.clone());
        request.attributes = Some(serde_json::json!({"name": "alloc"}));
        request.limits = BTreeMap::from([("ram".to_owned(), 64)]);
        self.client.create_order(&request).await.unwrap()
    }

    /// Drives an order to done, leaving its resource OK.
    async fn provisioned_resource(&self) -> String {
        let order = self.order().await;
        let uuid = order.uuid.unwrap();
        self.client
            .approve_order_by_provider(&uuid, None)
            .await
            .unwrap();
        self.client.set_order_state_done(&uuid).await.unwrap();
        order.marketplace_resource_uuid.unwrap()
    }
}

#[tokio::test]
async fn lists_follow_the_link_header_over_many_pages() {
    let w = world().await;
    for _ in 0..260 {
        w.emulator
            .state
            .seed_order(&w.offering.uuid, &w.project.uuid, BTreeMap::new())
            .unwrap();
    }
    w.emulator.state.clear_requests();
    let orders = w
        .client
        .list_orders(&OrderFilter {
            offering_uuid: Some(w.offering.uuid.clone()),
            states: vec![OrderState::PendingProvider, OrderState::Executing],
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(orders.len(), 260);
    let mut uuids: Vec<_> = orders.iter().filter_map(|o| o.uuid.clone()).collect();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), 260, "pages overlapped or repeated");
    let requests = w.emulator.state.requests();
    assert_eq!(requests.len(), 3, "100 + 100 + 60: {requests:#?}");
    for (index, request) in requests.iter().enumerate() {
        let query = request.query.as_deref().unwrap();
        assert!(query.contains("page_size=100"), "{query}");
        assert!(query.contains(&format!("page={}", index + 1)), "{query}");
        assert!(
            query.contains("state=pending-provider&state=executing"),
            "{query}"
        );
    }

    // A filter with no match is one empty page.
    let none = w
        .client
        .list_orders(&OrderFilter {
            states: vec![OrderState::Done],
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());

    // list_page exposes the total and the next page.
    let page = w
        .client
        .list_page::<waldur::Order>("marketplace-orders/", &Default::default(), 2)
        .await
        .unwrap();
    assert_eq!(page.total, Some(260));
    assert_eq!(page.next_page, Some(3));
    assert_eq!(page.items.len(), 100);
}

#[tokio::test]
async fn server_error_and_throttle_storms_are_retried() {
    let w = world().await;
    let order = w.order().await;
    let uuid = order.uuid.unwrap();
    let path = format!("/api/marketplace-orders/{uuid}/");

    w.emulator.state.clear_requests();
    w.emulator
        .inject_at("marketplace-orders/", Fault::Status(503, 2));
    w.emulator
        .inject_at("marketplace-orders/", Fault::Status(429, 1));
    let fetched = w.client.get_order(&uuid).await.unwrap();
    assert_eq!(fetched.state, Some(OrderState::PendingProvider));
    assert_eq!(
        w.emulator.state.request_count(&path),
        4,
        "3 failures, then success"
    );
    assert_eq!(w.emulator.state.pending_faults(), 0);

    // A storm longer than the retry budget surfaces the last failure.
    w.emulator.state.clear_requests();
    w.emulator.inject(Fault::Status(500, 10));
    let error = w.client.get_order(&uuid).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Server {
                status: 500,
                attempts: 4,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.is_transient());
    assert_eq!(w.emulator.state.request_count(&path), 4);
    w.emulator.state.clear_faults();

    w.emulator.inject(Fault::Status(429, 10));
    let error = w.client.get_order(&uuid).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { attempts: 4, .. }),
        "{error}"
    );
    w.emulator.state.clear_faults();

    // Writes are retried too: approve lands once the storm passes.
    w.emulator
        .inject_at("marketplace-orders/", Fault::Status(502, 2));
    w.client
        .approve_order_by_provider(&uuid, None)
        .await
        .unwrap();
    let approved = w.client.get_order(&uuid).await.unwrap();
    assert_eq!(approved.state, Some(OrderState::Executing));
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let w = world().await;
    let mut config = fast_config(&w.emulator.base_url);
    config.retry_wait_max = Duration::from_secs(3);
    let client = WaldurClient::new(config).unwrap();
    w.emulator
        .inject(Fault::RetryAfter(Duration::from_secs(1), 1));
    let started = Instant::now();
    client.get_customer(&w.customer.uuid).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let w = world().await;
    w.emulator.state.clear_requests();
    w.emulator.inject(Fault::DropConnection(2));
    let customer = w.client.get_customer(&w.customer.uuid).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("Provider Ltd"));
    assert_eq!(w.emulator.state.request_count("/api/customers/"), 3);

    w.emulator.inject(Fault::DropConnection(10));
    let error = w.client.get_customer(&w.customer.uuid).await.unwrap_err();
    assert!(
        matches!(error, Error::Network { attempts: 4, .. }),
        "{error}"
    );
    w.emulator.state.clear_faults();
    // The client recovers once the server behaves.
    w.client.get_customer(&w.customer.uuid).await.unwrap();
}

#[tokio::test]
async fn slow_answers_time_out_and_are_retried() {
    let w = world().await;
    let mut config = fast_config(&w.emulator.base_url);
    config.timeout = Duration::from_millis(300);
    config.max_retries = 1;
    let client = WaldurClient::new(config).unwrap();

    w.emulator.inject(Fault::Delay(Duration::from_secs(1), 1));
    client.get_project(&w.project.uuid).await.unwrap();

    w.emulator.inject(Fault::Delay(Duration::from_secs(1), 2));
    let error = client.get_project(&w.project.uuid).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { attempts: 2 }), "{error}");
}

#[tokio::test]
async fn state_conflicts_are_surfaced_not_retried() {
    let w = world().await;
    let uuid = w.order().await.uuid.unwrap();
    w.client
        .approve_order_by_provider(&uuid, None)
        .await
        .unwrap();
    w.emulator.state.clear_requests();
    let error = w
        .client
        .approve_order_by_provider(&uuid, None)
        .await
        .unwrap_err();
    match &error {
        Error::Conflict { detail } => {
            assert_eq!(detail, "Valid states for operation: pending-provider.")
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(!error.is_transient());
    assert_eq!(
        w.emulator.state.requests().len(),
        1,
        "a 409 must not be retried"
    );

    let error = w
        .client
        .reject_order_by_provider(&uuid, Some("late"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }));
}

#[tokio::test]
async fn bad_tokens_fail_at_once() {
    let w = world().await;
    let mut config = fast_config(&w.emulator.base_url);
    config.token = "wrong-token".into();
    let client = WaldurClient::new(config).unwrap();
    w.emulator.state.clear_requests();
    let error = client
        .list_customers(&Default::default())
        .await
        .unwrap_err();
    match &error {
        Error::Unauthorized { detail } => assert_eq!(detail, "Invalid token."),
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    assert_eq!(
        w.emulator.state.requests().len(),
        1,
        "a 401 must not be retried"
    );
    assert!(!format!("{error} {error:?} {client:?}").contains(TOKEN));
}

#[tokio::test]
async fn not_found_and_validation_errors_are_typed() {
    let w = world().await;
    let error = w
        .client
        .get_order("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { detail } if detail == "Not found."),
        "{error}"
    );

    let offering_url = w.client.urls().public_offering(&w.offering.uuid).unwrap();
    let missing_project = OrderCreateRequest::new(offering_url, "");
    let error = w.client.create_order(&missing_project).await.unwrap_err();
    match error {
        Error::Validation { body } => assert!(body.get("project").is_some(), "{body}"),
        other => panic!("expected Validation, got {other:?}"),
    }

    let error = w.client.get_order("../customers").await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)));
}

#[tokio::test]
async fn order_lifecycle_create_approve_backend_id_done() {
    let w = world().await;
    let order = w.order().await;
    assert_eq!(order.state, Some(OrderState::PendingProvider));
    assert_eq!(order.order_type, Some(OrderType::Create));
    assert_eq!(
        order.offering_uuid.as_deref(),
        Some(w.offering.uuid.as_str())
    );
    assert_eq!(order.project_uuid.as_deref(), Some(w.project.uuid.as_str()));
    assert_eq!(order.limits.get("ram"), Some(&64));
    let uuid = order.uuid.clone().unwrap();
    let resource_uuid = order.marketplace_resource_uuid.clone().unwrap();

    let pending = w
        .client
        .list_orders(&OrderFilter {
            offering_uuid: Some(w.offering.uuid.clone()),
            states: vec![OrderState::PendingProvider],
            ..OrderFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);

    let approved = w
        .client
        .approve_order_by_provider(&uuid, None)
        .await
        .unwrap();
    assert!(approved.detail.is_some());
    let status = w
        .client
        .set_order_backend_id(&uuid, "slurm-acct-7")
        .await
        .unwrap();
    assert_eq!(
        status.status.as_deref(),
        Some("Order backend_id has been changed.")
    );
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Creating));

    w.client.set_order_state_done(&uuid).await.unwrap();
    let done = w.client.get_order(&uuid).await.unwrap();
    assert_eq!(done.state, Some(OrderState::Done));
    assert!(done.state.as_ref().unwrap().is_terminal());
    assert_eq!(done.backend_id.as_deref(), Some("slurm-acct-7"));
    assert!(done.completed_at.is_some());

    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Ok));
    w.client
        .set_resource_backend_id(&resource_uuid, "acct-7")
        .await
        .unwrap();
    let found = w
        .client
        .list_resources(&ResourceFilter {
            backend_id: Some("acct-7".into()),
            offering_uuids: vec![w.offering.uuid.clone()],
            ..ResourceFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].uuid.as_deref(), Some(resource_uuid.as_str()));

    // A second done is a conflict: the order is terminal.
    let error = w.client.set_order_state_done(&uuid).await.unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }));
}

#[tokio::test]
async fn erred_orders_and_resource_recovery() {
    let w = world().await;
    let order = w.order().await;
    let uuid = order.uuid.unwrap();
    let resource_uuid = order.marketplace_resource_uuid.unwrap();
    w.client.set_order_state_executing(&uuid).await.unwrap();
    w.client
        .set_order_state_erred(&uuid, Some("no capacity"), None)
        .await
        .unwrap();
    let erred = w.client.get_order(&uuid).await.unwrap();
    assert_eq!(erred.state, Some(OrderState::Erred));
    assert_eq!(erred.error_message.as_deref(), Some("no capacity"));
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Erred));

    w.client
        .set_resource_state_ok(&resource_uuid)
        .await
        .unwrap();
    let error = w
        .client
        .set_resource_state_ok(&resource_uuid)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Conflict { .. }),
        "OK → OK is not allowed"
    );
    w.client
        .set_resource_state_erred(&resource_uuid, Some("disk"), Some("trace"))
        .await
        .unwrap();
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Erred));
    assert_eq!(resource.error_message.as_deref(), Some("disk"));
}

#[tokio::test]
async fn terminate_creates_an_order_that_ends_the_resource() {
    let w = world().await;
    let resource_uuid = w.provisioned_resource().await;
    let created = w
        .client
        .terminate_resource(&resource_uuid, None)
        .await
        .unwrap();
    let order_uuid = created.order_uuid.unwrap();
    let order = w.client.get_order(&order_uuid).await.unwrap();
    assert_eq!(order.order_type, Some(OrderType::Terminate));
    assert_eq!(order.state, Some(OrderState::PendingProvider));
    assert_eq!(
        order.marketplace_resource_uuid.as_deref(),
        Some(resource_uuid.as_str())
    );

    // While the order is open, a second terminate is refused, with 400
    // and a bare list as Waldur does (not 409).
    let error = w
        .client
        .terminate_resource(&resource_uuid, None)
        .await
        .unwrap_err();
    assert!(error.is_pending_order(), "{error}");
    assert_eq!(error.status(), Some(400));

    w.client
        .approve_order_by_provider(&order_uuid, None)
        .await
        .unwrap();
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Terminating));
    w.client.set_order_state_done(&order_uuid).await.unwrap();
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.state, Some(ResourceState::Terminated));

    let error = w
        .client
        .terminate_resource(&resource_uuid, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Conflict { detail } if detail == "Valid states for operation: OK, Erred.")
    );
}

#[tokio::test]
async fn usage_is_upserted_and_read_back() {
    let w = world().await;
    let resource_uuid = w.provisioned_resource().await;
    let submit = |amount: &str| {
        SetUsageRequest::for_resource(
            resource_uuid.clone(),
            vec![
                ComponentUsageItem::new("cpu", amount),
                ComponentUsageItem::new("gpu", "1"),
            ],
        )
    };
    w.client.set_usage(&submit("120.5")).await.unwrap();
    // Month-to-date totals replace, not add.
    w.client.set_usage(&submit("130.25")).await.unwrap();
    let usages = w
        .client
        .list_component_usages(&UsageFilter {
            resource_uuid: Some(resource_uuid.clone()),
            component_type: Some("cpu".into()),
            ..UsageFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(usages.len(), 1);
    assert_eq!(usages[0].usage.as_ref().unwrap().as_str(), "130.25");
    assert!(usages[0]
        .billing_period
        .as_deref()
        .unwrap()
        .ends_with("-01"));
    let one = w
        .client
        .get_component_usage(usages[0].uuid.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(one.component_type.as_deref(), Some("cpu"));
    let resource = w.client.get_resource(&resource_uuid).await.unwrap();
    assert_eq!(resource.current_usages["cpu"].to_f64(), Some(130.25));

    // Backend-side usage shows up the same way.
    w.emulator
        .state
        .record_usage(&resource_uuid, "gpu", "3.5")
        .unwrap();
    let gpu = w
        .client
        .list_component_usages(&UsageFilter {
            resource_uuid: Some(resource_uuid.clone()),
            component_type: Some("gpu".into()),
            ..UsageFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(gpu[0].usage.as_ref().unwrap().as_str(), "3.50");

    // Rejections are validation errors with Waldur's wording.
    let error = w
        .client
        .set_usage(&SetUsageRequest::for_resource(
            resource_uuid.clone(),
            vec![ComponentUsageItem::new("storage", "1")],
        ))
        .await
        .unwrap_err();
    assert!(
        // Raised in the serializer's `validate`, so DRF files it under
        // non_field_errors (marketplace serializers.py
        // `ComponentUsageCreateSerializer.validate`).
        matches!(&error, Error::Validation { body } if body["non_field_errors"][0] == "These components are invalid: storage."),
        "{error}"
    );
    let error = w
        .client
        .set_usage(&SetUsageRequest::for_resource(
            resource_uuid.clone(),
            vec![ComponentUsageItem::new("cpu", "1.234")],
        ))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Validation { .. }));
    let creating = w.order().await.marketplace_resource_uuid.unwrap();
    let error = w
        .client
        .set_usage(&SetUsageRequest::for_resource(
            creating,
            vec![ComponentUsageItem::new("cpu", "1")],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Validation { body } if body["resource"][0] == "Resource is not in valid state."),
        "{error}"
    );
}

#[tokio::test]
async fn offerings_are_created_moved_and_edited() {
    let w = world().await;
    let request = OfferingCreateRequest {
        name: "Cluster B".into(),
        category: w.category.url.clone(),
        offering_type: "Marketplace.Slurm".into(),
        customer: Some(w.customer.url.clone()),
        description: Some("GPU nodes".into()),
        components: vec![OfferingComponentRequest::new(
            BillingType::Usage,
            "cpu",
            "CPU",
        )],
        plans: vec![PlanRequest {
            name: "Default".into(),
            unit_price: Some("2.50".into()),
            ..PlanRequest::default()
        }],
        backend_id: Some("cluster-b".into()),
        ..OfferingCreateRequest::default()
    };
    let offering = w.client.create_offering(&request).await.unwrap();
    assert_eq!(offering.state, Some(OfferingState::Draft));
    assert_eq!(
        offering.plans[0].unit_price.as_ref().unwrap().as_str(),
        "2.50"
    );
    let uuid = offering.uuid.unwrap();

    let error = w.client.pause_offering(&uuid, None).await.unwrap_err();
    assert!(
        matches!(&error, Error::Conflict { detail } if detail == "Valid states for operation: Active.")
    );
    let activated = w.client.activate_offering(&uuid).await.unwrap();
    assert_eq!(activated.state.as_deref(), Some("Active"));
    let paused = w
        .client
        .pause_offering(&uuid, Some("maintenance"))
        .await
        .unwrap();
    assert_eq!(paused.state.as_deref(), Some("Paused"));
    w.client.unpause_offering(&uuid).await.unwrap();

    w.client
        .update_offering_overview(
            &uuid,
            &OfferingOverviewUpdate {
                name: "Cluster B2".into(),
                description: Some("More GPUs".into()),
                ..OfferingOverviewUpdate::default()
            },
        )
        .await
        .unwrap();
    let attributes = serde_json::json!({"checksum": "abc", "version": 2});
    w.client
        .update_offering_attributes(&uuid, attributes.as_object().unwrap())
        .await
        .unwrap();
    w.client
        .create_offering_component(
            &uuid,
            &OfferingComponentRequest::new(BillingType::Limit, "ram", "RAM"),
        )
        .await
        .unwrap();
    let fetched = w.client.get_offering(&uuid).await.unwrap();
    assert_eq!(fetched.name.as_deref(), Some("Cluster B2"));
    assert_eq!(fetched.attributes["version"], 2);
    let ram = fetched
        .components
        .iter()
        .find(|c| c.component_type.as_deref() == Some("ram"))
        .unwrap();
    let mut renamed = OfferingComponentRequest::new(BillingType::Limit, "ram", "Memory");
    renamed.measured_unit = Some("GB".into());
    w.client
        .update_offering_component(
            &uuid,
            &UpdateOfferingComponentRequest {
                uuid: ram.uuid.clone().unwrap(),
                component: renamed,
            },
        )
        .await
        .unwrap();
    let duplicate = w
        .client
        .create_offering_component(
            &uuid,
            &OfferingComponentRequest::new(BillingType::Usage, "cpu", "CPU"),
        )
        .await
        .unwrap_err();
    assert!(matches!(duplicate, Error::Validation { .. }));

    let active = w
        .client
        .list_offerings(&OfferingFilter {
            customer_uuid: Some(w.customer.uuid.clone()),
            states: vec![OfferingState::Active],
            ..OfferingFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(active.len(), 2, "the seeded offering and Cluster B");
    let archived = w.client.archive_offering(&uuid).await.unwrap();
    assert_eq!(archived.state.as_deref(), Some("Archived"));
    let error = w.client.activate_offering(&uuid).await.unwrap_err();
    assert!(matches!(error, Error::Conflict { .. }));
}

#[tokio::test]
async fn directory_and_slurm_reads() {
    let w = world().await;
    let customers = w.client.list_customers(&Default::default()).await.unwrap();
    assert_eq!(customers.len(), 1);
    let projects = w
        .client
        .list_projects(&ProjectFilter {
            customers: vec![w.customer.uuid.clone()],
            ..ProjectFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(projects[0].url.as_deref(), Some(w.project.url.as_str()));
    let project = w.client.get_project(&w.project.uuid).await.unwrap();
    assert_eq!(
        project.customer_uuid.as_deref(),
        Some(w.customer.uuid.as_str())
    );

    let allocation = w
        .emulator
        .state
        .seed_slurm_allocation(AllocationSeed {
            project_uuid: w.project.uuid.clone(),
            name: "alloc".into(),
            backend_id: "acct-9".into(),
            cpu_limit: 100,
            gpu_limit: 2,
            ram_limit: 512,
            marketplace_resource_uuid: None,
        })
        .unwrap();
    w.emulator
        .state
        .set_allocation_usage(&allocation.uuid, 40, 1, 128);
    let found = w
        .client
        .list_slurm_allocations(&SlurmAllocationFilter {
            backend_id: Some("acct-9".into()),
            ..SlurmAllocationFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let one = w
        .client
        .get_slurm_allocation(&allocation.uuid)
        .await
        .unwrap();
    assert_eq!(
        (one.cpu_limit, one.cpu_usage, one.ram_usage),
        (Some(100), Some(40), Some(128))
    );
    assert_eq!(one.state, Some(waldur::CoreState::Ok));
}

#[tokio::test]
async fn the_rate_limiter_paces_bursts() {
    let w = world().await;
    let mut config = fast_config(&w.emulator.base_url);
    config.rate_limit_per_second = 50.0;
    config.burst = 5;
    let client = WaldurClient::new(config).unwrap();
    let started = Instant::now();
    for _ in 0..15 {
        client.get_customer(&w.customer.uuid).await.unwrap();
    }
    // 5 free tokens, then 10 more at 20 ms each.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(180),
        "finished in {elapsed:?}"
    );
}

#[tokio::test]
async fn slurm_jobs_are_uploaded_listed_and_read() {
    let w = world().await;
    let cluster = w.emulator.state.seed_service_settings("Cluster A");
    let request = waldur::SlurmJobCreateRequest::new(
        "cosmwasm1customer/7",
        cluster.url.clone(),
        w.project.url.clone(),
        b"#!/bin/bash\n#SBATCH --nodes=2\nsrun hostname\n".to_vec(),
    );
    let job = w.client.create_slurm_job(&request).await.unwrap();
    let uuid = job.uuid.clone().unwrap();
    assert_eq!(job.name.as_deref(), Some("cosmwasm1customer/7"));
    assert_eq!(job.runtime_state.as_deref(), Some("PENDING"));
    assert_eq!(
        w.emulator.state.slurm_job_script(&uuid).unwrap(),
        request.script
    );
    w.emulator.state.set_slurm_job_runtime(
        &uuid,
        "COMPLETED",
        Some(serde_json::json!({"elapsed_seconds": 30})),
    );
    let fetched = w.client.get_slurm_job(&uuid).await.unwrap();
    assert_eq!(fetched.runtime_state.as_deref(), Some("COMPLETED"));
    assert_eq!(
        fetched.report,
        Some(serde_json::json!({"elapsed_seconds": 30}))
    );
    // Pages: the client's page size is 100 by default; 3 jobs, 1 page.
    for n in 0..2 {
        let mut more = request.clone();
        more.name = format!("job-{n}");
        w.client.create_slurm_job(&more).await.unwrap();
    }
    let all = w.client.list_slurm_jobs().await.unwrap();
    assert_eq!(all.len(), 3);
    // A missing cluster is a typed validation error.
    let mut bad = request.clone();
    bad.service_settings = format!(
        "{}service-settings/00000000000000000000000000000000/",
        w.emulator.base_url
    );
    assert!(matches!(
        w.client.create_slurm_job(&bad).await,
        Err(Error::Validation { .. })
    ));
}

#[tokio::test]
async fn a_job_create_is_not_resent_after_an_ambiguous_failure() {
    let w = world().await;
    let cluster = w.emulator.state.seed_service_settings("Cluster A");
    let request = waldur::SlurmJobCreateRequest::new(
        "job-x",
        cluster.url,
        w.project.url.clone(),
        b"#!/bin/bash\n".to_vec(),
    );
    // A 503 may have come after the job was made: handed back at once.
    w.emulator
        .state
        .inject_at("slurm-jobs/", Fault::Status(503, 1));
    let error = w.client.create_slurm_job(&request).await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert_eq!(w.emulator.state.request_count("/api/slurm-jobs/"), 1);
    // A 429 is refused before any work: retried in place.
    w.emulator
        .state
        .inject_at("slurm-jobs/", Fault::Status(429, 2));
    w.client.create_slurm_job(&request).await.unwrap();
    assert_eq!(w.emulator.state.request_count("/api/slurm-jobs/"), 4);
    assert_eq!(w.emulator.state.slurm_job_count(), 1);
}

#[tokio::test]
async fn rate_limit_hits_count_every_429_across_clones() {
    let w = world().await;
    let clone = w.client.clone();
    // A fresh client on the same Waldur keeps its own count.
    let other = WaldurClient::new(fast_config(&w.emulator.base_url)).unwrap();
    assert_eq!(w.client.rate_limit_hits(), 0);

    // Two 429s then success: both count although the caller saw none.
    w.emulator.inject(Fault::Status(429, 2));
    clone
        .list_offerings(&OfferingFilter::default())
        .await
        .unwrap();
    assert_eq!(w.client.rate_limit_hits(), 2);
    assert_eq!(clone.rate_limit_hits(), 2);

    // Other failures are not rate limiting.
    w.emulator.inject(Fault::Status(503, 1));
    w.client
        .list_offerings(&OfferingFilter::default())
        .await
        .unwrap();
    assert_eq!(w.client.rate_limit_hits(), 2);

    // A storm beyond the retry budget: every answer counts (1 + 3 retries).
    w.emulator.inject(Fault::Status(429, 10));
    let error = w
        .client
        .list_offerings(&OfferingFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { attempts: 4, .. }),
        "{error}"
    );
    assert_eq!(clone.rate_limit_hits(), 6);
    assert_eq!(other.rate_limit_hits(), 0);
}
