//! Waldur's rules, one test each: a wrong request gets waldur-mastermind's
//! status and error body, and changes nothing. The source of each rule is
//! named where the emulator implements it (src/ops.rs, src/rules.rs,
//! src/routes/*.rs).

use serde_json::{json, Value};
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed, Seeded};

const PROVIDER: &str = "provider-token-0123456789";
const CONSUMER: &str = "consumer-token-0123456789";
const STAFF: &str = "staff-token-0123456789";
const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// An emulator with a provider customer, its project, a consumer
/// customer with its project, and a consumer token on the latter.
struct World {
    emulator: EmulatorHandle,
    http: reqwest::Client,
    provider: Seeded,
    provider_project: Seeded,
    consumer_project: Seeded,
    category: Seeded,
}

impl World {
    async fn start() -> Self {
        let emulator = Emulator::start(PROVIDER).await.unwrap();
        let state = &emulator.state;
        let provider = state.seed_customer("Provider Ltd");
        let provider_project = state.seed_project(&provider.uuid, "Ops").unwrap();
        let consumer = state.seed_customer("Consumer Org");
        let consumer_project = state.seed_project(&consumer.uuid, "Science").unwrap();
        let category = state.seed_category("HPC");
        state.add_consumer_token(CONSUMER, "alice", &[&consumer_project.uuid]);
        state.add_staff_token(STAFF, "admin");
        World {
            emulator,
            http: reqwest::Client::new(),
            provider,
            provider_project,
            consumer_project,
            category,
        }
    }

    async fn call(&self, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.emulator.base_url);
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        let response = request
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(token, "POST", path, body).await
    }

    /// An Active offering of `offering_type`, seeded (no plans).
    fn seeded_offering(&self, offering_type: &str) -> Seeded {
        let mut seed = OfferingSeed::new(&self.provider.uuid, &self.category.uuid);
        seed.offering_type = offering_type.to_owned();
        self.emulator.state.seed_offering(seed).unwrap()
    }

    /// An offering created through the API with `extra` fields, activated;
    /// its JSON.
    async fn created_offering(&self, extra: Value) -> Value {
        let mut body = json!({
            "name": "Cluster",
            "type": "Marketplace.Slurm",
            "category": self.category.url,
            "customer": self.provider.url,
        });
        if let (Value::Object(fields), Value::Object(more)) = (&mut body, extra) {
            fields.extend(more);
        }
        let (status, offering) = self
            .post(PROVIDER, "marketplace-provider-offerings/", body)
            .await;
        assert_eq!(status, 201, "{offering}");
        let uuid = offering["uuid"].as_str().unwrap();
        let path = format!("marketplace-provider-offerings/{uuid}/activate/");
        assert_eq!(self.post(STAFF, &path, json!({})).await.0, 200);
        self.emulator.state.offering_json(uuid).unwrap()
    }

    fn public_url(&self, offering_uuid: &str) -> String {
        self.emulator.state.public_offering_url(offering_uuid)
    }

    /// POSTs a Create order for `offering_uuid` in `project` with `extra`.
    async fn order(
        &self,
        token: &str,
        offering_uuid: &str,
        project: &Seeded,
        extra: Value,
    ) -> (u16, Value) {
        let mut body = json!({
            "offering": self.public_url(offering_uuid),
            "project": project.url,
        });
        if let (Value::Object(fields), Value::Object(more)) = (&mut body, extra) {
            fields.extend(more);
        }
        self.post(token, "marketplace-orders/", body).await
    }

    /// A Create order that must be accepted; its JSON.
    async fn good_order(&self, token: &str, offering_uuid: &str, project: &Seeded) -> Value {
        let (status, order) = self.order(token, offering_uuid, project, json!({})).await;
        assert_eq!(status, 201, "{order}");
        order
    }

    fn order_state(&self, order: &Value) -> String {
        let uuid = order["uuid"].as_str().unwrap();
        let now = self.emulator.state.order_json(uuid).unwrap();
        now["state"].as_str().unwrap().to_owned()
    }

    fn resource_state(&self, order: &Value) -> String {
        let uuid = order["marketplace_resource_uuid"].as_str().unwrap();
        let now = self.emulator.state.resource_json(uuid).unwrap();
        now["state"].as_str().unwrap().to_owned()
    }

    async fn order_action(&self, token: &str, order: &Value, action: &str) -> (u16, Value) {
        let uuid = order["uuid"].as_str().unwrap();
        let path = format!("marketplace-orders/{uuid}/{action}/");
        self.post(token, &path, json!({})).await
    }
}

async fn listed_offerings(world: &World) -> usize {
    let (status, list) = world
        .call(
            PROVIDER,
            "GET",
            "marketplace-provider-offerings/",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    list.as_array().unwrap().len()
}

// ---- offerings ----

/// serializers.py `OfferingCreateSerializer.validate_type`.
#[tokio::test]
async fn offering_types_are_those_of_installed_plugins() {
    let w = World::start().await;
    let body = |offering_type: &str| {
        json!({
            "name": "Support",
            "type": offering_type,
            "category": w.category.url,
            "customer": w.provider.url,
        })
    };
    for unknown in ["Support.PerHour", "Support.Usage", "Marketplace.Remote"] {
        let answer = w
            .post(PROVIDER, "marketplace-provider-offerings/", body(unknown))
            .await;
        assert_eq!(
            answer,
            (400, json!({"type": ["Invalid value."]})),
            "{unknown}"
        );
    }
    assert_eq!(listed_offerings(&w).await, 0);
    // The installed set is configurable.
    w.emulator.state.set_offering_types(&["Marketplace.Slurm"]);
    let answer = w
        .post(
            PROVIDER,
            "marketplace-provider-offerings/",
            body("Marketplace.Basic"),
        )
        .await;
    assert_eq!(answer, (400, json!({"type": ["Invalid value."]})));
    assert_eq!(listed_offerings(&w).await, 0);
    let (status, _) = w
        .post(
            PROVIDER,
            "marketplace-provider-offerings/",
            body("Marketplace.Slurm"),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(listed_offerings(&w).await, 1);
}

/// A consumer holds no `OFFERING.CREATE`.
#[tokio::test]
async fn a_consumer_cannot_create_offerings() {
    let w = World::start().await;
    let answer = w
        .post(
            CONSUMER,
            "marketplace-provider-offerings/",
            json!({
                "name": "Mine",
                "type": "Marketplace.Basic",
                "category": w.category.url,
                "customer": w.provider.url,
            }),
        )
        .await;
    assert_eq!(answer, (403, json!({"detail": FORBIDDEN})));
    assert_eq!(listed_offerings(&w).await, 0);
}

// ---- orders: hyperlinks ----

/// serializers.py `BaseItemSerializer`: `offering` is a
/// `marketplace-public-offering-detail` link.
#[tokio::test]
async fn an_order_takes_only_the_public_offering_url() {
    let w = World::start().await;
    let offering = w.seeded_offering("Marketplace.Slurm");
    let answer = w
        .post(
            PROVIDER,
            "marketplace-orders/",
            json!({"offering": offering.url, "project": w.provider_project.url}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"offering": ["Invalid hyperlink - Incorrect URL match."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
    assert_eq!(w.emulator.state.resource_count(), 0);
    w.good_order(PROVIDER, &offering.uuid, &w.provider_project)
        .await;
}

/// `BaseItemSerializer.plan`: a `PublicPlanField`
/// (`marketplace-public-offerings/<o>/plans/<p>/`).
#[tokio::test]
async fn an_order_takes_only_the_public_plan_url() {
    let w = World::start().await;
    let offering = w
        .created_offering(json!({"plans": [{"name": "Default"}]}))
        .await;
    let offering_uuid = offering["uuid"].as_str().unwrap();
    let plan_uuid = offering["plans"][0]["uuid"].as_str().unwrap();
    let provider_plan_url = offering["plans"][0]["url"].as_str().unwrap();
    assert!(provider_plan_url.contains("/marketplace-plans/"));
    let answer = w
        .order(
            PROVIDER,
            offering_uuid,
            &w.provider_project,
            json!({"plan": provider_plan_url}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"plan": ["Invalid hyperlink - Incorrect URL match."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
    let public_plan = w.emulator.state.public_plan_url(offering_uuid, plan_uuid);
    let (status, order) = w
        .order(
            PROVIDER,
            offering_uuid,
            &w.provider_project,
            json!({"plan": public_plan}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["plan"], public_plan.as_str());
    assert_eq!(order["plan_uuid"], plan_uuid);
}

// ---- orders: plans ----

/// `BaseItemSerializer.validate`: the plan must be the offering's.
#[tokio::test]
async fn a_plan_of_another_offering_is_refused() {
    let w = World::start().await;
    let first = w
        .created_offering(json!({"plans": [{"name": "First"}]}))
        .await;
    let second = w
        .created_offering(json!({"plans": [{"name": "Second"}]}))
        .await;
    let foreign_plan = w.emulator.state.public_plan_url(
        second["uuid"].as_str().unwrap(),
        second["plans"][0]["uuid"].as_str().unwrap(),
    );
    let answer = w
        .order(
            PROVIDER,
            first["uuid"].as_str().unwrap(),
            &w.provider_project,
            json!({"plan": foreign_plan}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"plan": ["This plan is not available for selected offering."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
}

/// serializers.py `validate_plan` (`Plan.is_active`: fewer than
/// `max_amount` resources not Terminated).
#[tokio::test]
async fn a_plan_at_its_max_amount_is_refused() {
    let w = World::start().await;
    let offering = w
        .created_offering(json!({"plans": [{"name": "Single", "max_amount": 1}]}))
        .await;
    let offering_uuid = offering["uuid"].as_str().unwrap();
    let plan = w.emulator.state.public_plan_url(
        offering_uuid,
        offering["plans"][0]["uuid"].as_str().unwrap(),
    );
    let (status, _) = w
        .order(
            PROVIDER,
            offering_uuid,
            &w.provider_project,
            json!({"plan": plan}),
        )
        .await;
    assert_eq!(status, 201);
    let answer = w
        .order(
            PROVIDER,
            offering_uuid,
            &w.provider_project,
            json!({"plan": plan}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"plan": ["Plan is not available because limit has been reached."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 1);
}

/// No rule requires a plan (mastermind's `plan` field is `required=False`
/// and no validator asks for one), even on a billable offering with plans.
#[tokio::test]
async fn a_plan_is_not_required() {
    let w = World::start().await;
    let offering = w
        .created_offering(json!({"plans": [{"name": "Default"}], "billable": true}))
        .await;
    w.good_order(
        PROVIDER,
        offering["uuid"].as_str().unwrap(),
        &w.provider_project,
    )
    .await;
}

// ---- orders: limits ----

/// utils.py `get_components_map`: limits name `limit` components only.
#[tokio::test]
async fn limits_name_only_limit_components() {
    let w = World::start().await;
    // cpu and gpu are usage components, ram a limit one.
    let offering = w.seeded_offering("Marketplace.Slurm");
    let answer = w
        .order(
            PROVIDER,
            &offering.uuid,
            &w.provider_project,
            json!({"limits": {"cpu": 10, "ram": 4}}),
        )
        .await;
    assert_eq!(answer, (400, json!({"limits": ["Invalid types: cpu"]})));
    let answer = w
        .order(
            PROVIDER,
            &offering.uuid,
            &w.provider_project,
            json!({"limits": {"base-price": 1}}),
        )
        .await;
    assert_eq!(
        answer,
        (400, json!({"limits": ["Invalid types: base-price"]}))
    );
    assert_eq!(w.emulator.state.order_count(), 0);
    let (status, order) = w
        .order(
            PROVIDER,
            &offering.uuid,
            &w.provider_project,
            json!({"limits": {"ram": 4}}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
}

/// utils.py `validate_limits`: plugins registered without
/// `can_update_limits` take no limits.
#[tokio::test]
async fn limits_on_a_plugin_without_limits_are_refused() {
    let w = World::start().await;
    let offering = w.seeded_offering("Marketplace.Booking");
    let answer = w
        .order(
            PROVIDER,
            &offering.uuid,
            &w.provider_project,
            json!({"limits": {"ram": 4}}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"limits": ["Limits update is not supported for this resource."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
}

/// utils.py `validate_min_max_limit` and
/// `validate_maximum_available_limit`, raised without a field.
#[tokio::test]
async fn limits_respect_the_component_bounds() {
    let w = World::start().await;
    let offering = w
        .created_offering(json!({"components": [
            {"billing_type": "limit", "type": "ram", "name": "RAM",
             "min_value": 2, "max_value": 100},
            {"billing_type": "limit", "type": "cpu", "name": "CPU",
             "max_available_limit": 10},
        ]}))
        .await;
    let uuid = offering["uuid"].as_str().unwrap();
    let cases = [
        (
            json!({"ram": 200}),
            "The limit 200 value cannot be more than 100.",
        ),
        (
            json!({"ram": 1}),
            "The limit 1 value cannot be less than 2.",
        ),
        (
            json!({"cpu": 10}),
            "Requested cpu cannot be provisioned due to offering safety limit. \
             You can allocate up to 0 of cpu.",
        ),
    ];
    for (limits, message) in cases {
        let answer = w
            .order(
                PROVIDER,
                uuid,
                &w.provider_project,
                json!({ "limits": limits }),
            )
            .await;
        assert_eq!(answer, (400, json!({"non_field_errors": [message]})));
    }
    assert_eq!(w.emulator.state.order_count(), 0);
    let (status, _) = w
        .order(
            PROVIDER,
            uuid,
            &w.provider_project,
            json!({"limits": {"ram": 100, "cpu": 9}}),
        )
        .await;
    assert_eq!(status, 201);
}

// ---- orders: terms of service, private offerings ----

/// serializers.py `OrderCreateSerializer.validate`.
#[tokio::test]
async fn terms_of_service_must_be_accepted() {
    let w = World::start().await;
    let mut seed = OfferingSeed::new(&w.provider.uuid, &w.category.uuid);
    seed.terms_of_service = "Be nice.".to_owned();
    let offering = w.emulator.state.seed_offering(seed).unwrap();
    for refused in [json!({}), json!({"accepting_terms_of_service": false})] {
        let answer = w
            .order(PROVIDER, &offering.uuid, &w.provider_project, refused)
            .await;
        assert_eq!(
            answer,
            (
                400,
                json!({"non_field_errors": [
                    "Terms of service for offering 'Emulated HPC' have not been accepted."
                ]})
            )
        );
    }
    assert_eq!(w.emulator.state.order_count(), 0);
    let (status, _) = w
        .order(
            PROVIDER,
            &offering.uuid,
            &w.provider_project,
            json!({"accepting_terms_of_service": true}),
        )
        .await;
    assert_eq!(status, 201);
}

/// Waldur 8 keeps consent as an object of its own
/// (`marketplace-user-offering-consents/`, 8.0.5 schema): a consent names
/// an existing offering, shows as `has_user_consent` to its user only, and
/// lets that user's orders through without the Waldur 7 flag.
#[tokio::test]
async fn a_consent_to_the_terms_counts_for_its_user_only() {
    let w = World::start().await;
    let mut seed = OfferingSeed::new(&w.provider.uuid, &w.category.uuid);
    seed.terms_of_service = "Be nice.".to_owned();
    let offering = w.emulator.state.seed_offering(seed).unwrap();
    let consents = "marketplace-user-offering-consents/";
    let unknown = "00000000000000000000000000000000";
    assert_eq!(
        w.post(PROVIDER, consents, json!({"offering": unknown}))
            .await,
        (
            400,
            json!({"offering": [format!("Object with uuid={unknown} does not exist.")]})
        )
    );
    assert_eq!(
        w.post(PROVIDER, consents, json!({})).await,
        (400, json!({"offering": ["This field is required."]}))
    );
    let terms = format!(
        "marketplace-offering-terms-of-service/?offering_uuid={}",
        offering.uuid
    );
    let consented = |answer: (u16, Value)| answer.1[0]["has_user_consent"].clone();
    assert_eq!(
        consented(w.call(PROVIDER, "GET", &terms, json!(null)).await),
        json!(false)
    );
    assert_eq!(
        w.post(PROVIDER, consents, json!({"offering": offering.uuid}))
            .await,
        (201, json!({"offering": offering.uuid}))
    );
    assert_eq!(
        consented(w.call(PROVIDER, "GET", &terms, json!(null)).await),
        json!(true)
    );
    assert_eq!(
        consented(w.call(STAFF, "GET", &terms, json!(null)).await),
        json!(false)
    );
    let (status, _) = w
        .order(PROVIDER, &offering.uuid, &w.provider_project, json!({}))
        .await;
    assert_eq!(status, 201, "the consent stands for the flag");
}

/// serializers.py `OfferingCreateSerializer._validate_plans`: a plugin
/// with built-in components (`Marketplace.Slurm`: cpu, gpu, ram) takes no
/// others; `Marketplace.Basic` has none and takes any.
#[tokio::test]
async fn a_plugin_with_built_in_components_takes_no_others() {
    let w = World::start().await;
    let component = |kind: &str| json!({"type": kind, "name": kind, "measured_unit": "h", "billing_type": "usage"});
    let body = |offering_type: &str, kinds: &[&str]| {
        json!({
            "name": "Cluster",
            "type": offering_type,
            "category": w.category.url,
            "customer": w.provider.url,
            "components": kinds.iter().map(|k| component(k)).collect::<Vec<_>>(),
        })
    };
    let offerings = "marketplace-provider-offerings/";
    let before = w.emulator.state.offering_count();
    assert_eq!(
        w.post(
            PROVIDER,
            offerings,
            body("Marketplace.Slurm", &["cpu", "ve-quantity"])
        )
        .await,
        (
            400,
            json!({"components": ["Extra components are not allowed."]})
        )
    );
    assert_eq!(w.emulator.state.offering_count(), before);
    assert_eq!(
        w.post(
            PROVIDER,
            offerings,
            body("Marketplace.Slurm", &["cpu", "ram"])
        )
        .await
        .0,
        201
    );
    assert_eq!(
        w.post(
            PROVIDER,
            offerings,
            body("Marketplace.Basic", &["cpu", "ve-quantity"])
        )
        .await
        .0,
        201
    );
}

/// Terms of service set through the API count as well.
#[tokio::test]
async fn terms_of_service_set_at_creation_count() {
    let w = World::start().await;
    let offering = w
        .created_offering(json!({"terms_of_service": "  Be nice.  "}))
        .await;
    let answer = w
        .order(
            PROVIDER,
            offering["uuid"].as_str().unwrap(),
            &w.provider_project,
            json!({}),
        )
        .await;
    assert_eq!(answer.0, 400);
    assert_eq!(w.emulator.state.order_count(), 0);
}

/// serializers.py `validate_private_offering`: a bare list, raised
/// outside validation.
#[tokio::test]
async fn a_private_offering_is_only_for_its_customer() {
    let w = World::start().await;
    let offering = w.created_offering(json!({"shared": false})).await;
    let uuid = offering["uuid"].as_str().unwrap();
    let answer = w
        .order(PROVIDER, uuid, &w.consumer_project, json!({}))
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!(["Offering \"Cluster\" is not allowed in organization \"Consumer Org\"."])
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
    w.good_order(PROVIDER, uuid, &w.provider_project).await;
}

/// `BaseItemSerializer.validate_offering`: Active only, so a Paused
/// offering is refused too.
#[tokio::test]
async fn a_paused_offering_takes_no_orders() {
    let w = World::start().await;
    let offering = w.seeded_offering("Marketplace.Slurm");
    w.emulator
        .state
        .set_offering_state(&offering.uuid, waldur_emulator::OfferingState::Paused);
    let answer = w
        .order(PROVIDER, &offering.uuid, &w.provider_project, json!({}))
        .await;
    assert_eq!(
        answer,
        (400, json!({"offering": ["Offering is not available."]}))
    );
    assert_eq!(w.emulator.state.order_count(), 0);
}

// ---- order state machine and roles ----

/// handlers.py `notify_approvers_when_order_is_created`: where an order
/// starts depends on who orders and the offering's plugin.
#[tokio::test]
async fn an_order_starts_where_its_reviews_put_it() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let support = w.seeded_offering("Support.OfferingTemplate");
    // The provider owns the customer: no consumer review; SLURM orders
    // always wait for the provider.
    let order = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    assert_eq!(order["state"], "pending-provider");
    assert_eq!(order["consumer_reviewed_by"], "provider");
    // A support order needs no provider review.
    let order = w
        .good_order(PROVIDER, &support.uuid, &w.provider_project)
        .await;
    assert_eq!(order["state"], "executing");
    // Staff skips the consumer review too.
    let order = w.good_order(STAFF, &slurm.uuid, &w.consumer_project).await;
    assert_eq!(order["state"], "pending-provider");
    // A project member waits for its project's approver.
    let order = w
        .good_order(CONSUMER, &slurm.uuid, &w.consumer_project)
        .await;
    assert_eq!(order["state"], "pending-consumer");
    assert_eq!(order["created_by_username"], "alice");
    assert!(order.get("consumer_reviewed_by").is_none());
}

/// A consumer orders only in its own projects (the project field's
/// queryset is the caller's projects).
#[tokio::test]
async fn a_consumer_orders_only_in_its_projects() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let answer = w
        .order(CONSUMER, &slurm.uuid, &w.provider_project, json!({}))
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"project": ["Invalid hyperlink - Object does not exist."]})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 0);
}

/// views.py `OrderViewSet`: `approve_by_consumer` needs `APPROVE_ORDER` on
/// the project or its customer; `approve_by_provider` on the offering's
/// customer; each checks its state (409).
#[tokio::test]
async fn approvals_follow_roles_and_states() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(CONSUMER, &slurm.uuid, &w.consumer_project)
        .await;
    for action in [
        "approve_by_consumer",
        "approve_by_provider",
        "reject_by_provider",
    ] {
        let answer = w.order_action(CONSUMER, &order, action).await;
        assert_eq!(answer, (403, json!({"detail": FORBIDDEN})), "{action}");
        assert_eq!(w.order_state(&order), "pending-consumer");
    }
    let answer = w
        .order_action(PROVIDER, &order, "approve_by_provider")
        .await;
    assert_eq!(
        answer,
        (
            409,
            json!({"detail": "Valid states for operation: pending-provider."})
        )
    );
    assert_eq!(w.order_state(&order), "pending-consumer");
    assert_eq!(
        w.order_action(PROVIDER, &order, "approve_by_consumer")
            .await
            .0,
        200
    );
    assert_eq!(w.order_state(&order), "pending-provider");
    let answer = w
        .order_action(PROVIDER, &order, "approve_by_consumer")
        .await;
    assert_eq!(
        answer,
        (
            409,
            json!({"detail": "Valid states for operation: pending-consumer."})
        )
    );
    assert_eq!(
        w.order_action(PROVIDER, &order, "approve_by_provider")
            .await
            .0,
        200
    );
    assert_eq!(w.order_state(&order), "executing");
    assert_eq!(w.resource_state(&order), "Creating");
}

/// A consumer's own pending order may be rejected by it (permissions.py
/// `user_can_reject_order_as_consumer`); its resource is terminated
/// (handlers.py `update_resource_when_order_is_rejected_or_erred`).
#[tokio::test]
async fn a_consumer_rejects_its_own_order() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(CONSUMER, &slurm.uuid, &w.consumer_project)
        .await;
    assert_eq!(
        w.order_action(CONSUMER, &order, "reject_by_consumer")
            .await
            .0,
        200
    );
    assert_eq!(w.order_state(&order), "rejected");
    assert_eq!(w.resource_state(&order), "Terminated");
    let answer = w.order_action(CONSUMER, &order, "reject_by_consumer").await;
    assert_eq!(
        answer,
        (
            409,
            json!({"detail": "Valid states for operation: pending-consumer."})
        )
    );
}

/// Orders and resources of other projects do not exist for a consumer.
#[tokio::test]
async fn a_consumer_sees_only_its_projects() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    let uuid = order["uuid"].as_str().unwrap();
    let not_found = (404, json!({"detail": "Not found."}));
    assert_eq!(
        w.call(
            CONSUMER,
            "GET",
            &format!("marketplace-orders/{uuid}/"),
            json!({})
        )
        .await,
        not_found
    );
    assert_eq!(
        w.order_action(CONSUMER, &order, "reject_by_consumer").await,
        not_found
    );
    let (status, list) = w
        .call(CONSUMER, "GET", "marketplace-orders/", json!({}))
        .await;
    assert_eq!((status, list), (200, json!([])));
    let resource = order["marketplace_resource_uuid"].as_str().unwrap();
    assert_eq!(
        w.call(
            CONSUMER,
            "GET",
            &format!("marketplace-resources/{resource}/"),
            json!({})
        )
        .await,
        not_found
    );
    assert_eq!(w.order_state(&order), "pending-provider");
}

/// views.py `OfferingTypeValidator`: `MethodNotAllowed` (405).
#[tokio::test]
async fn order_actions_are_limited_to_their_offering_types() {
    let w = World::start().await;
    let basic = w.seeded_offering("Marketplace.Basic");
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let basic_order = w
        .good_order(PROVIDER, &basic.uuid, &w.provider_project)
        .await;
    let slurm_order = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    let refusal = |offering_type: &str| {
        (
            405,
            json!({"detail": format!(
                "The order's offering with {offering_type} type does not support this action"
            )}),
        )
    };
    for action in ["set_state_executing", "set_state_erred"] {
        assert_eq!(
            w.order_action(PROVIDER, &basic_order, action).await,
            refusal("Marketplace.Basic"),
            "{action}"
        );
    }
    assert_eq!(w.order_state(&basic_order), "pending-provider");
    assert_eq!(
        w.order_action(PROVIDER, &slurm_order, "cancel").await,
        refusal("Marketplace.Slurm")
    );
    assert_eq!(w.order_state(&slurm_order), "pending-provider");
    // A Basic order may be canceled: 202 without a body.
    assert_eq!(
        w.order_action(PROVIDER, &basic_order, "cancel").await,
        (202, Value::Null)
    );
    assert_eq!(w.order_state(&basic_order), "canceled");
    // `cancel` checks its states first.
    assert_eq!(
        w.order_action(PROVIDER, &basic_order, "cancel").await,
        (
            409,
            json!({"detail": "Valid states for operation: pending-consumer, pending-provider, executing."})
        )
    );
}

/// A consumer may not cancel (`CANCEL_ORDER`) nor move orders as the
/// provider.
#[tokio::test]
async fn a_consumer_cannot_drive_the_provider_actions() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w.good_order(STAFF, &slurm.uuid, &w.consumer_project).await;
    for action in [
        "cancel",
        "set_state_executing",
        "set_state_done",
        "set_state_erred",
        "set_backend_id",
    ] {
        let answer = w.order_action(CONSUMER, &order, action).await;
        assert_eq!(answer, (403, json!({"detail": FORBIDDEN})), "{action}");
    }
    assert_eq!(w.order_state(&order), "pending-provider");
}

// ---- resource state machine ----

/// callbacks.py `resource_creation_failed` / `resource_deletion_failed`:
/// a failed Create leaves the resource Erred, a failed Terminate puts it
/// back to OK; terminate needs OK or Erred (views.py
/// `terminate_validators`).
#[tokio::test]
async fn resources_follow_their_orders() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    let resource = order["marketplace_resource_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let terminate = format!("marketplace-resources/{resource}/terminate/");
    let answer = w.post(PROVIDER, &terminate, json!({})).await;
    assert_eq!(
        answer,
        (
            409,
            json!({"detail": "Valid states for operation: OK, Erred."})
        )
    );
    assert_eq!(w.emulator.state.order_count(), 1);
    assert_eq!(
        w.order_action(PROVIDER, &order, "set_state_erred").await.0,
        200
    );
    assert_eq!(w.resource_state(&order), "Erred");

    let second = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    for action in ["approve_by_provider", "set_state_done"] {
        assert_eq!(w.order_action(PROVIDER, &second, action).await.0, 200);
    }
    assert_eq!(w.resource_state(&second), "OK");
    let second_resource = second["marketplace_resource_uuid"].as_str().unwrap();
    // A consumer holds no `TERMINATE_RESOURCE` here.
    w.emulator
        .state
        .add_consumer_token(CONSUMER, "alice", &[&w.provider_project.uuid]);
    let path = format!("marketplace-resources/{second_resource}/terminate/");
    assert_eq!(
        w.post(CONSUMER, &path, json!({})).await,
        (403, json!({"detail": FORBIDDEN}))
    );
    let (status, body) = w.post(PROVIDER, &path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let terminate_order = w
        .emulator
        .state
        .order_json(body["order_uuid"].as_str().unwrap())
        .unwrap();
    assert_eq!(terminate_order["state"], "pending-provider");
    assert_eq!(
        w.order_action(PROVIDER, &terminate_order, "approve_by_provider")
            .await
            .0,
        200
    );
    assert_eq!(w.resource_state(&second), "Terminating");
    assert_eq!(
        w.order_action(PROVIDER, &terminate_order, "set_state_erred")
            .await
            .0,
        200
    );
    assert_eq!(w.resource_state(&second), "OK");
}

/// The provider-resource actions need the provider's permissions.
#[tokio::test]
async fn a_consumer_cannot_use_provider_resource_actions() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(CONSUMER, &slurm.uuid, &w.consumer_project)
        .await;
    let resource = order["marketplace_resource_uuid"].as_str().unwrap();
    let path = format!("marketplace-provider-resources/{resource}/set_backend_id/");
    assert_eq!(
        w.post(CONSUMER, &path, json!({"backend_id": "x"})).await,
        (403, json!({"detail": FORBIDDEN}))
    );
    let now = w.emulator.state.resource_json(resource).unwrap();
    assert_eq!(now["backend_id"], "");
}

// ---- the control endpoints for roles and plugins ----

/// `/control/tokens/` and `/control/offering-types/` do over HTTP what
/// `add_consumer_token` and `set_offering_types` do; only the provider's
/// token may call them.
#[tokio::test]
async fn roles_and_offering_types_are_set_through_control_endpoints() {
    let w = World::start().await;
    let origin = w.emulator.base_url.trim_end_matches("api/").to_owned();
    let control = |token: &'static str, path: &'static str, body: Value| {
        let request = w
            .http
            .post(format!("{origin}control/{path}"))
            .header("Authorization", format!("Token {token}"))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let bob = json!({"token": "bob-token", "role": "consumer", "username": "bob",
                     "projects": [w.consumer_project.uuid]});
    // A consumer cannot hand out tokens, nor can staff.
    for token in [CONSUMER, STAFF] {
        assert_eq!(
            control(token, "tokens/", bob.clone()).await,
            (403, json!({"detail": FORBIDDEN}))
        );
    }
    let bad_role = json!({"token": "x", "role": "owner", "username": "x"});
    assert_eq!(
        control(PROVIDER, "tokens/", bad_role).await,
        (400, json!({"role": ["\"owner\" is not a valid choice."]}))
    );
    let (status, _) = control(PROVIDER, "tokens/", bob).await;
    assert_eq!(status, 201);
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order("bob-token", &slurm.uuid, &w.consumer_project)
        .await;
    assert_eq!(order["state"], "pending-consumer");
    assert_eq!(order["created_by_username"], "bob");

    let (status, body) = control(
        PROVIDER,
        "offering-types/",
        json!({"types": ["Marketplace.Basic"]}),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"types": ["Marketplace.Basic"]}))
    );
    let answer = w
        .post(
            PROVIDER,
            "marketplace-provider-offerings/",
            json!({"name": "S", "type": "Marketplace.Slurm",
                   "category": w.category.url, "customer": w.provider.url}),
        )
        .await;
    assert_eq!(answer, (400, json!({"type": ["Invalid value."]})));
    assert_eq!(listed_offerings(&w).await, 1, "only the seeded one");
}

/// serializers.py `OfferingCreateSerializer.validate_plans`: an empty
/// list of plans is refused (nested under the field, as DRF files a dict
/// raised by a field validator); leaving plans out is fine.
#[tokio::test]
async fn an_offering_given_plans_needs_at_least_one() {
    let w = World::start().await;
    let answer = w
        .post(
            PROVIDER,
            "marketplace-provider-offerings/",
            json!({"name": "C", "type": "Marketplace.Slurm", "plans": [],
                   "category": w.category.url, "customer": w.provider.url}),
        )
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!({"plans": {"plans": ["At least one plan should be specified."]}})
        )
    );
    assert_eq!(listed_offerings(&w).await, 0);
}

/// views.py `ResourceViewSet.update_limits`: OK only (409), different
/// limits, limit components only; the Update order moves the resource
/// OK -> Updating -> OK with the new limits, or -> Erred when it fails
/// (callbacks.py `resource_update_succeeded` / `resource_update_failed`).
#[tokio::test]
async fn update_limits_follows_the_resource_state_machine() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let (status, order) = w
        .order(
            PROVIDER,
            &slurm.uuid,
            &w.provider_project,
            json!({"limits": {"ram": 4}}),
        )
        .await;
    assert_eq!(status, 201);
    let resource = order["marketplace_resource_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("marketplace-resources/{resource}/update_limits/");
    // Still Creating.
    assert_eq!(
        w.post(PROVIDER, &path, json!({"limits": {"ram": 8}})).await,
        (409, json!({"detail": "Valid states for operation: OK."}))
    );
    for action in ["approve_by_provider", "set_state_done"] {
        assert_eq!(w.order_action(PROVIDER, &order, action).await.0, 200);
    }
    assert_eq!(w.resource_state(&order), "OK");
    let refusals = [
        (
            json!({"limits": {"ram": 4}}),
            json!(["Impossible to create update orders with limits set to exactly the same."]),
        ),
        (
            json!({"limits": {"cpu": 4}}),
            json!({"limits": ["Invalid types: cpu"]}),
        ),
        (json!({}), json!({"limits": ["This field is required."]})),
    ];
    for (body, refusal) in refusals {
        assert_eq!(w.post(PROVIDER, &path, body).await, (400, refusal));
    }
    assert_eq!(w.emulator.state.order_count(), 1);
    let (status, body) = w.post(PROVIDER, &path, json!({"limits": {"ram": 8}})).await;
    assert_eq!(status, 200, "{body}");
    let update = w
        .emulator
        .state
        .order_json(body["order_uuid"].as_str().unwrap())
        .unwrap();
    assert_eq!(update["type"], "Update");
    assert_eq!(update["state"], "pending-provider");
    assert_eq!(update["attributes"]["old_limits"], json!({"ram": 4}));
    // A pending order blocks another one.
    assert_eq!(
        w.post(PROVIDER, &path, json!({"limits": {"ram": 16}}))
            .await,
        (400, json!(["Pending order for resource already exists."]))
    );
    assert_eq!(
        w.order_action(PROVIDER, &update, "approve_by_provider")
            .await
            .0,
        200
    );
    assert_eq!(w.resource_state(&order), "Updating");
    assert_eq!(
        w.order_action(PROVIDER, &update, "set_state_done").await.0,
        200
    );
    assert_eq!(w.resource_state(&order), "OK");
    let now = w.emulator.state.resource_json(&resource).unwrap();
    assert_eq!(now["limits"], json!({"ram": 8}));

    let (_, body) = w.post(PROVIDER, &path, json!({"limits": {"ram": 2}})).await;
    let failing = w
        .emulator
        .state
        .order_json(body["order_uuid"].as_str().unwrap())
        .unwrap();
    for action in ["approve_by_provider", "set_state_erred"] {
        assert_eq!(w.order_action(PROVIDER, &failing, action).await.0, 200);
    }
    assert_eq!(w.resource_state(&order), "Erred");
    let now = w.emulator.state.resource_json(&resource).unwrap();
    assert_eq!(now["limits"], json!({"ram": 8}), "limits kept");
}

/// views.py `BaseResourceViewSet.set_as_erred_permissions = [is_staff]`.
#[tokio::test]
async fn only_staff_marks_a_resource_erred() {
    let w = World::start().await;
    let slurm = w.seeded_offering("Marketplace.Slurm");
    let order = w
        .good_order(PROVIDER, &slurm.uuid, &w.provider_project)
        .await;
    let resource = order["marketplace_resource_uuid"].as_str().unwrap();
    let path = format!("marketplace-provider-resources/{resource}/set_as_erred/");
    assert_eq!(
        w.post(PROVIDER, &path, json!({})).await,
        (403, json!({"detail": FORBIDDEN}))
    );
    assert_eq!(w.resource_state(&order), "Creating");
    assert_eq!(w.post(STAFF, &path, json!({})).await.0, 200);
    assert_eq!(w.resource_state(&order), "Erred");
}

/// views.py `ProviderOfferingViewSet.activate_permissions = [is_staff]`:
/// the provider may pause and unpause, only staff activates.
#[tokio::test]
async fn only_staff_activates_an_offering() {
    let w = World::start().await;
    let (status, offering) = w
        .post(
            PROVIDER,
            "marketplace-provider-offerings/",
            json!({"name": "C", "type": "Marketplace.Basic",
                   "category": w.category.url, "customer": w.provider.url}),
        )
        .await;
    assert_eq!(status, 201);
    let uuid = offering["uuid"].as_str().unwrap();
    let path = format!("marketplace-provider-offerings/{uuid}/activate/");
    assert_eq!(
        w.post(PROVIDER, &path, json!({})).await,
        (403, json!({"detail": FORBIDDEN}))
    );
    assert_eq!(
        w.emulator.state.offering_json(uuid).unwrap()["state"],
        "Draft"
    );
    assert_eq!(w.post(STAFF, &path, json!({})).await.0, 200);
    let pause = format!("marketplace-provider-offerings/{uuid}/pause/");
    assert_eq!(w.post(PROVIDER, &pause, json!({})).await.0, 200);
    assert_eq!(
        w.emulator.state.offering_json(uuid).unwrap()["state"],
        "Paused"
    );
}
