//! Checks every emulator answer the relayer relies on against the Waldur
//! 8.0.5 OpenAPI schema in `shared/waldur/`.

mod schema_check;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};
use waldur_emulator::{
    AllocationSeed, Emulator, EmulatorHandle, OfferingSeed, OrderState, ResourceState,
};

use schema_check::OpenApi;

const TOKEN: &str = "4f0a875bc83420a20f9162bbcdd37cac14d03c33";

fn openapi() -> &'static OpenApi {
    static SCHEMA: OnceLock<OpenApi> = OnceLock::new();
    SCHEMA.get_or_init(OpenApi::load)
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.text))
    }
}

struct Harness {
    emulator: EmulatorHandle,
    http: reqwest::Client,
}

impl Harness {
    async fn start() -> Self {
        Self {
            emulator: Emulator::start(TOKEN).await.unwrap(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{}", self.emulator.base_url, path.trim_start_matches('/'));
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .header("Authorization", format!("Token {TOKEN}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    /// Calls the emulator and checks the answer against the schema of
    /// `template` (the schema path, e.g. `/api/marketplace-orders/{uuid}/`).
    async fn conform(
        &self,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
        expected_status: u16,
    ) -> Value {
        let answer = self.call(method, path, body).await;
        Self::verify(method, template, path, &answer, expected_status)
    }

    /// POSTs a `multipart/form-data` body of text fields and, when given,
    /// a `file` part.
    async fn call_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<&[u8]>,
    ) -> Answer {
        let boundary = "conformance-7d1f";
        let mut bytes = Vec::new();
        for (name, value) in fields {
            bytes.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some(script) = file {
            bytes.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"job.sh\"\r\nContent-Type: text/x-shellscript\r\n\r\n")
                    .as_bytes(),
            );
            bytes.extend_from_slice(script);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let url = format!("{}{}", self.emulator.base_url, path.trim_start_matches('/'));
        let response = self
            .http
            .post(url)
            .header("Authorization", format!("Token {TOKEN}"))
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    /// Checks an answer's status and body against the schema of `template`.
    fn verify(
        method: &str,
        template: &str,
        path: &str,
        answer: &Answer,
        expected_status: u16,
    ) -> Value {
        assert_eq!(
            answer.status, expected_status,
            "{method} {path} answered {}: {}",
            answer.status, answer.text
        );
        let api = openapi();
        if api.declares_header(method, template, answer.status, "x-result-count") {
            let count = answer.headers.get("x-result-count");
            assert!(count.is_some(), "{method} {path} lacks x-result-count");
            assert!(
                answer.headers.get("link").is_some(),
                "{method} {path} lacks Link"
            );
        }
        match api.response_schema(method, template, answer.status) {
            None => {
                assert!(
                    answer.text.is_empty(),
                    "{method} {path}: the schema declares no body, got {}",
                    answer.text
                );
                Value::Null
            }
            Some(schema) => {
                let mut body = answer.json();
                strip_known_deviations(template, &mut body);
                let errors = api.check(schema, &body);
                assert!(
                    errors.is_empty(),
                    "{method} {path} does not match the schema:\n{}",
                    errors.join("\n")
                );
                answer.json()
            }
        }
    }
}

/// Fields where the 8.0.5 schema and the real server disagree, recorded in
/// ENDPOINTS.md; each is checked here against the server's behaviour and
/// then left out of the schema check.
fn strip_known_deviations(template: &str, body: &mut Value) {
    if template.starts_with("/api/marketplace-component-usages/") {
        // `usage`: the schema says integer, the model is Decimal(20,2),
        // which DRF writes as a string.
        let records: Vec<&mut Value> = match body {
            Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for record in records {
            if let Some(fields) = record.as_object_mut() {
                if let Some(usage) = fields.remove("usage") {
                    let text = usage
                        .as_str()
                        .unwrap_or_else(|| panic!("usage is not a string: {usage}"));
                    let (_, decimals) = text
                        .split_once('.')
                        .unwrap_or_else(|| panic!("usage {text} has no decimals"));
                    assert_eq!(decimals.len(), 2, "usage {text} must have 2 decimals");
                }
            }
        }
    }
}

fn uuid_of(body: &Value) -> String {
    body["uuid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn emulator_answers_match_the_openapi_schema() {
    let h = Harness::start().await;
    let state = &h.emulator.state;
    let customer = state.seed_customer("Provider Ltd");
    let project = state.seed_project(&customer.uuid, "Research").unwrap();
    let category = state.seed_category("HPC");

    // Offerings: create, state actions, updates, reads.
    let offering = h
        .conform(
            "POST",
            "/api/marketplace-provider-offerings/",
            "marketplace-provider-offerings/",
            Some(json!({
                "name": "Cluster A",
                "category": category.url,
                "customer": customer.url,
                "type": "Marketplace.Slurm",
                "description": "An HPC cluster",
                "attributes": {"region": "eu"},
                "components": [
                    {"billing_type": "usage", "type": "cpu", "name": "CPU", "measured_unit": "hours"},
                    {"billing_type": "limit", "type": "ram", "name": "RAM", "measured_unit": "GB", "limit_period": "month", "limit_amount": 100}
                ],
                "plans": [{"name": "Default", "unit_price": "10.50", "unit": "month"}],
                "backend_id": "cluster-a"
            })),
            201,
        )
        .await;
    assert_eq!(offering["state"], "Draft");
    let offering_uuid = uuid_of(&offering);
    let offering_path = format!("marketplace-provider-offerings/{offering_uuid}/");
    let action = "/api/marketplace-provider-offerings/{uuid}/";
    // Only staff activates (ProviderOfferingViewSet.activate_permissions).
    h.emulator.state.set_token_is_staff(true);
    for (name, expected) in [
        ("activate", "Active"),
        ("pause", "Paused"),
        ("unpause", "Active"),
    ] {
        let answer = h
            .conform(
                "POST",
                &format!("{action}{name}/"),
                &format!("{offering_path}{name}/"),
                None,
                200,
            )
            .await;
        assert_eq!(answer["state"], expected);
    }
    h.emulator.state.set_token_is_staff(false);
    let conflict = h
        .call("POST", &format!("{offering_path}unpause/"), None)
        .await;
    assert_eq!(conflict.status, 409);
    assert_eq!(
        conflict.json(),
        json!({"detail": "Valid states for operation: Paused."})
    );
    h.conform(
        "POST",
        &format!("{action}update_overview/"),
        &format!("{offering_path}update_overview/"),
        Some(json!({"name": "Cluster A1", "description": "renamed"})),
        200,
    )
    .await;
    h.conform(
        "POST",
        &format!("{action}update_attributes/"),
        &format!("{offering_path}update_attributes/"),
        Some(json!({"region": "us"})),
        200,
    )
    .await;
    h.conform(
        "POST",
        &format!("{action}create_offering_component/"),
        &format!("{offering_path}create_offering_component/"),
        Some(json!({"billing_type": "usage", "type": "gpu", "name": "GPU"})),
        201,
    )
    .await;
    let detail = h.conform("GET", action, &offering_path, None, 200).await;
    let gpu_uuid = detail["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "gpu")
        .map(uuid_of)
        .unwrap();
    h.conform(
        "POST",
        &format!("{action}update_offering_component/"),
        &format!("{offering_path}update_offering_component/"),
        Some(
            json!({"uuid": gpu_uuid, "billing_type": "usage", "type": "gpu", "name": "GPU hours"}),
        ),
        200,
    )
    .await;
    let listed = h
        .conform(
            "GET",
            "/api/marketplace-provider-offerings/",
            "marketplace-provider-offerings/?state=Active",
            None,
            200,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Orders: create, read, approve, backend id, done.
    let order = h
        .conform(
            "POST",
            "/api/marketplace-orders/",
            "marketplace-orders/",
            Some(json!({
                // Orders take the public offering and public plan links.
                "offering": h.emulator.state.public_offering_url(&offering_uuid),
                "project": project.url,
                "plan": h.emulator.state.public_plan_url(
                    &offering_uuid,
                    offering["plans"][0]["uuid"].as_str().unwrap()
                ),
                "attributes": {"name": "alloc-1"},
                "limits": {"ram": 64}
            })),
            201,
        )
        .await;
    assert_eq!(order["state"], "pending-provider");
    let order_uuid = uuid_of(&order);
    let resource_uuid = order["marketplace_resource_uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let order_path = format!("marketplace-orders/{order_uuid}/");
    h.conform(
        "GET",
        "/api/marketplace-orders/{uuid}/",
        &order_path,
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/marketplace-orders/",
        &format!("marketplace-orders/?state=pending-provider&state=executing&offering_uuid={offering_uuid}"),
        None,
        200,
    )
    .await;
    let approved = h
        .conform(
            "POST",
            "/api/marketplace-orders/{uuid}/approve_by_provider/",
            &format!("{order_path}approve_by_provider/"),
            None,
            200,
        )
        .await;
    assert!(approved["detail"].is_string());
    let changed = h
        .conform(
            "POST",
            "/api/marketplace-orders/{uuid}/set_backend_id/",
            &format!("{order_path}set_backend_id/"),
            Some(json!({"backend_id": "slurm-account-1"})),
            200,
        )
        .await;
    assert_eq!(changed["status"], "Order backend_id has been changed.");
    h.conform(
        "POST",
        "/api/marketplace-orders/{uuid}/set_state_done/",
        &format!("{order_path}set_state_done/"),
        None,
        200,
    )
    .await;

    // Resources: both views, provider actions.
    let resource_path = format!("marketplace-provider-resources/{resource_uuid}/");
    let resource = h
        .conform(
            "GET",
            "/api/marketplace-provider-resources/{uuid}/",
            &resource_path,
            None,
            200,
        )
        .await;
    assert_eq!(resource["state"], "OK");
    h.conform(
        "GET",
        "/api/marketplace-resources/{uuid}/",
        &format!("marketplace-resources/{resource_uuid}/"),
        None,
        200,
    )
    .await;
    h.conform(
        "POST",
        "/api/marketplace-provider-resources/{uuid}/set_backend_id/",
        &format!("{resource_path}set_backend_id/"),
        Some(json!({"backend_id": "acct-1"})),
        200,
    )
    .await;
    h.conform(
        "POST",
        "/api/marketplace-provider-resources/{uuid}/set_limits/",
        &format!("{resource_path}set_limits/"),
        Some(json!({"limits": {"cpu": 4}})),
        200,
    )
    .await;
    h.emulator.state.set_token_is_staff(true);
    h.conform(
        "POST",
        "/api/marketplace-provider-resources/{uuid}/set_paused/",
        &format!("{resource_path}set_paused/"),
        Some(json!({"paused": true})),
        200,
    )
    .await;
    h.emulator.state.set_token_is_staff(false);

    // Usage: set then read back.
    h.conform(
        "POST",
        "/api/marketplace-component-usages/set_usage/",
        "marketplace-component-usages/set_usage/",
        Some(json!({"resource": resource_uuid, "usages": [{"type": "cpu", "amount": "12.5"}]})),
        201,
    )
    .await;
    let usages = h
        .conform(
            "GET",
            "/api/marketplace-component-usages/",
            &format!("marketplace-component-usages/?resource_uuid={resource_uuid}"),
            None,
            200,
        )
        .await;
    assert_eq!(usages[0]["usage"], "12.50");
    h.conform(
        "GET",
        "/api/marketplace-component-usages/{uuid}/",
        &format!("marketplace-component-usages/{}/", uuid_of(&usages[0])),
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/marketplace-provider-resources/",
        &format!("marketplace-provider-resources/?offering_uuid={offering_uuid}&state=OK"),
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/marketplace-resources/",
        "marketplace-resources/",
        None,
        200,
    )
    .await;

    // Erred (staff only) and back, then terminate (a Terminate order in
    // progress).
    h.emulator.state.set_token_is_staff(true);
    h.conform(
        "POST",
        "/api/marketplace-provider-resources/{uuid}/set_as_erred/",
        &format!("{resource_path}set_as_erred/"),
        Some(json!({"error_message": "node down"})),
        200,
    )
    .await;
    h.emulator.state.set_token_is_staff(false);
    h.conform(
        "POST",
        "/api/marketplace-provider-resources/{uuid}/set_state_ok/",
        &format!("{resource_path}set_state_ok/"),
        None,
        200,
    )
    .await;
    let terminate = h
        .conform(
            "POST",
            "/api/marketplace-provider-resources/{uuid}/terminate/",
            &format!("{resource_path}terminate/"),
            None,
            200,
        )
        .await;
    let terminate_order = terminate["order_uuid"].as_str().unwrap();
    let in_progress = h
        .conform(
            "GET",
            "/api/marketplace-provider-resources/{uuid}/",
            &resource_path,
            None,
            200,
        )
        .await;
    assert_eq!(in_progress["order_in_progress"]["uuid"], terminate_order);
    assert_eq!(in_progress["order_in_progress"]["type"], "Terminate");

    // Customers, projects, categories, SLURM allocations.
    h.conform("GET", "/api/customers/", "customers/", None, 200)
        .await;
    h.conform(
        "GET",
        "/api/customers/{uuid}/",
        &format!("customers/{}/", customer.uuid),
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/projects/",
        &format!("projects/?customer={}", customer.uuid),
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/projects/{uuid}/",
        &format!("projects/{}/", project.uuid),
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/marketplace-categories/",
        "marketplace-categories/",
        None,
        200,
    )
    .await;
    h.conform(
        "GET",
        "/api/marketplace-categories/{uuid}/",
        &format!("marketplace-categories/{}/", category.uuid),
        None,
        200,
    )
    .await;
    let allocation = state
        .seed_slurm_allocation(AllocationSeed {
            project_uuid: project.uuid.clone(),
            name: "alloc-1".into(),
            backend_id: "acct-1".into(),
            cpu_limit: 1000,
            gpu_limit: 10,
            ram_limit: 4096,
            marketplace_resource_uuid: Some(resource_uuid.clone()),
        })
        .unwrap();
    state.set_allocation_usage(&allocation.uuid, 12, 1, 100);
    h.conform(
        "GET",
        "/api/slurm-allocations/",
        "slurm-allocations/?backend_id=acct-1",
        None,
        200,
    )
    .await;
    let fetched = h
        .conform(
            "GET",
            "/api/slurm-allocations/{uuid}/",
            &format!("slurm-allocations/{}/", allocation.uuid),
            None,
            200,
        )
        .await;
    assert_eq!(fetched["cpu_usage"], 12);

    // Backend moves through the control surface render the same way.
    assert!(state.set_resource_state(&resource_uuid, ResourceState::Erred));
    h.conform(
        "GET",
        "/api/marketplace-provider-resources/{uuid}/",
        &resource_path,
        None,
        200,
    )
    .await;

    // FireCREST jobs: multipart create, list, retrieve, backend moves.
    let cluster = state.seed_service_settings("Cluster A");
    let answer = h
        .call_multipart(
            "slurm-jobs/",
            &[
                ("name", "cosmwasm1customer/1"),
                ("service_settings", &cluster.url),
                ("project", &project.url),
            ],
            Some(b"#!/bin/bash\nsrun hostname\n"),
        )
        .await;
    let job = Harness::verify("POST", "/api/slurm-jobs/", "slurm-jobs/", &answer, 201);
    assert_eq!(job["runtime_state"], "PENDING");
    assert_eq!(job["state"], "OK");
    assert_eq!(job["service_settings_uuid"], cluster.uuid.as_str());
    assert!(job["report"].is_null());
    let job_uuid = uuid_of(&job);
    assert_eq!(
        state.slurm_job_script(&job_uuid).unwrap(),
        b"#!/bin/bash\nsrun hostname\n"
    );
    h.conform(
        "GET",
        "/api/slurm-jobs/",
        "slurm-jobs/?page=1&page_size=10",
        None,
        200,
    )
    .await;
    assert!(state.set_slurm_job_runtime(
        &job_uuid,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 90, "exit_code": 0}))
    ));
    let fetched = h
        .conform(
            "GET",
            "/api/slurm-jobs/{uuid}/",
            &format!("slurm-jobs/{job_uuid}/"),
            None,
            200,
        )
        .await;
    assert_eq!(fetched["runtime_state"], "COMPLETED");
    assert_eq!(fetched["report"]["elapsed_seconds"], 90);
    // Every required field missing at once, in DRF's shape.
    let missing = h.call_multipart("slurm-jobs/", &[], None).await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    assert_eq!(
        missing.json(),
        json!({
            "name": ["This field is required."],
            "service_settings": ["This field is required."],
            "project": ["This field is required."],
            "file": ["No file was submitted."]
        })
    );
    // JSON cannot carry the script; an unknown cluster is a bad link.
    let json_body = h
        .call(
            "POST",
            "slurm-jobs/",
            Some(json!({
                "name": "j",
                "service_settings": format!("{}service-settings/00000000000000000000000000000000/", h.emulator.base_url),
                "project": project.url,
                "file": "#!/bin/bash"
            })),
        )
        .await;
    assert_eq!(json_body.status, 400, "{}", json_body.text);
    assert_eq!(
        json_body.json(),
        json!({
            "service_settings": ["Invalid hyperlink - Object does not exist."],
            "file": ["The submitted data was not a file. Check the encoding type on the form."]
        })
    );
    assert_eq!(state.slurm_job_count(), 1);

    // 404 in DRF's shape.
    let missing = h
        .call(
            "GET",
            "marketplace-orders/00000000000000000000000000000000/",
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"detail": "Not found."}));
}

/// The consumer review, cancel and update_limits answers match the schema.
#[tokio::test]
async fn the_review_cancel_and_update_answers_match_the_openapi_schema() {
    let h = Harness::start().await;
    let state = &h.emulator.state;
    let customer = state.seed_customer("Provider Ltd");
    let project = state.seed_project(&customer.uuid, "Research").unwrap();
    let category = state.seed_category("HPC");
    let mut seed = OfferingSeed::new(&customer.uuid, &category.uuid);
    seed.offering_type = "Marketplace.Basic".to_owned();
    let basic = state.seed_offering(seed).unwrap();
    let order_path = |uuid: &str| format!("marketplace-orders/{uuid}/");
    let template = "/api/marketplace-orders/{uuid}/";

    // A consumer's orders wait in pending-consumer; the backend move
    // stands in for one here.
    let approved = state
        .seed_order(&basic.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    state.set_order_state(&approved.order_uuid, OrderState::PendingConsumer);
    let answer = h
        .conform(
            "POST",
            &format!("{template}approve_by_consumer/"),
            &format!("{}approve_by_consumer/", order_path(&approved.order_uuid)),
            None,
            200,
        )
        .await;
    assert_eq!(answer["detail"], "Order has been approved.");
    h.conform(
        "POST",
        &format!("{template}cancel/"),
        &format!("{}cancel/", order_path(&approved.order_uuid)),
        None,
        202,
    )
    .await;

    let rejected = state
        .seed_order(&basic.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    state.set_order_state(&rejected.order_uuid, OrderState::PendingConsumer);
    h.conform(
        "POST",
        &format!("{template}reject_by_consumer/"),
        &format!("{}reject_by_consumer/", order_path(&rejected.order_uuid)),
        Some(json!({"consumer_rejection_comment": "not needed"})),
        200,
    )
    .await;
    let order = h
        .conform(
            "GET",
            template,
            &order_path(&rejected.order_uuid),
            None,
            200,
        )
        .await;
    assert_eq!(order["state"], "rejected");
    assert_eq!(order["consumer_rejection_comment"], "not needed");

    let updated = state
        .seed_order(&basic.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    state.set_order_state(&updated.order_uuid, OrderState::Done);
    state.set_resource_state(&updated.resource_uuid, ResourceState::Ok);
    let answer = h
        .conform(
            "POST",
            "/api/marketplace-resources/{uuid}/update_limits/",
            &format!(
                "marketplace-resources/{}/update_limits/",
                updated.resource_uuid
            ),
            Some(json!({"limits": {"ram": 8}})),
            200,
        )
        .await;
    let update = h
        .conform(
            "GET",
            template,
            &order_path(answer["order_uuid"].as_str().unwrap()),
            None,
            200,
        )
        .await;
    assert_eq!(update["type"], "Update");
}

#[test]
fn the_checker_reports_violations() {
    let api = openapi();
    let schema = api
        .response_schema("GET", "/api/marketplace-orders/{uuid}/", 200)
        .unwrap();
    let good = json!({
        "uuid": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "state": "executing",
        "limits": {"cpu": 10},
        "created": "2026-03-01T10:00:00.000000Z",
        "plan_uuid": null,
        "attributes": {"anything": [1, 2]}
    });
    assert!(
        api.check(schema, &good).is_empty(),
        "{:?}",
        api.check(schema, &good)
    );
    let bad = json!({
        "uuid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "state": "shipping",
        "limits": {"cpu": "ten"},
        "created": "yesterday",
        "uuid_of_nothing": 1,
        "offering_uuid": null,
        "can_terminate": "yes"
    });
    let errors = api.check(schema, &bad);
    for expected in [
        "$.uuid",
        "$.state",
        "$.limits.cpu",
        "$.created",
        "$.uuid_of_nothing",
        "$.offering_uuid",
        "$.can_terminate",
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&format!("{expected}:"))),
            "no error for {expected} in {errors:#?}"
        );
    }
}

#[test]
fn the_schema_is_where_ci_expects_it() {
    let path = schema_check::schema_path();
    assert!(
        path.is_file(),
        "the Waldur OpenAPI schema must exist at {} (shared/ beside the repository)",
        path.display()
    );
}
