//! The emulator's HTTP conventions, seen from a plain HTTP client: auth
//! answers, pagination headers, UUID forms, HEAD counts and faults.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use waldur_emulator::{Emulator, EmulatorHandle, Fault, OfferingSeed, OrderState};

const TOKEN: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

async fn start() -> (EmulatorHandle, reqwest::Client) {
    (
        Emulator::start(TOKEN).await.unwrap(),
        reqwest::Client::new(),
    )
}

fn url(emulator: &EmulatorHandle, path: &str) -> String {
    format!("{}{path}", emulator.base_url)
}

async fn detail_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn listens_on_loopback_only() {
    let (emulator, _) = start().await;
    assert!(emulator.address.ip().is_loopback());
    assert!(emulator.base_url.starts_with("http://127.0.0.1:"));
    assert!(emulator.base_url.ends_with("/api/"));
}

#[tokio::test]
async fn start_on_takes_a_loopback_address_and_refuses_others() {
    let emulator = Emulator::start_on("127.0.0.1:0".parse().unwrap(), TOKEN)
        .await
        .unwrap();
    assert_ne!(emulator.address.port(), 0);
    assert_eq!(
        emulator.base_url,
        format!("http://{}/api/", emulator.address)
    );
    for refused in ["0.0.0.0:0", "192.0.2.1:80", "[::]:0"] {
        let error = Emulator::start_on(refused.parse().unwrap(), TOKEN)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{refused}");
        assert!(error.to_string().contains("loopback"), "{error}");
    }
}

#[tokio::test]
async fn control_requests_are_neither_faulted_nor_logged() {
    let (emulator, http) = start().await;
    emulator.inject(Fault::Status(503, 1));
    let origin = emulator.base_url.trim_end_matches("api/");
    let response = http
        .get(format!("{origin}control/summary/"))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(emulator.state.pending_faults(), 1);
    assert!(emulator.state.requests().is_empty());
}

#[tokio::test]
async fn token_checks_follow_the_reference() {
    let (emulator, http) = start().await;
    let target = url(&emulator, "customers/");
    let cases = [
        (None, "Authentication credentials were not provided."),
        (
            Some("Token".to_owned()),
            "Invalid token. No credentials provided.",
        ),
        (Some("Token nope".to_owned()), "Invalid token."),
        (
            Some(format!("Bearer {TOKEN}")),
            "Authentication credentials were not provided.",
        ),
    ];
    for (header, expected) in cases {
        let mut request = http.get(&target);
        if let Some(header) = header {
            request = request.header("Authorization", header);
        }
        let (status, detail) = detail_of(request.send().await.unwrap()).await;
        assert_eq!((status, detail.as_str()), (401, expected));
    }
    let ok = http
        .get(&target)
        .header("Authorization", format!("token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "the scheme is case-insensitive");
}

#[tokio::test]
async fn pages_carry_count_and_links() {
    let (emulator, http) = start().await;
    let state = &emulator.state;
    let customer = state.seed_customer("P");
    let project = state.seed_project(&customer.uuid, "R").unwrap();
    let category = state.seed_category("C");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    for _ in 0..25 {
        state
            .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
            .unwrap();
    }
    let get = |query: &str| {
        http.get(url(&emulator, &format!("marketplace-orders/?{query}")))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
    };
    let middle = get("page=2&page_size=10&state=pending-provider")
        .await
        .unwrap();
    assert_eq!(middle.headers()["x-result-count"], "25");
    let link = middle.headers()["link"].to_str().unwrap().to_owned();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(
        link.contains("state=pending-provider"),
        "filters are kept: {link}"
    );
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    let items: Vec<Value> = middle.json().await.unwrap();
    assert_eq!(items.len(), 10);

    let last = get("page=3&page_size=10").await.unwrap();
    let link = last.headers()["link"].to_str().unwrap().to_owned();
    assert!(!link.contains("rel=\"next\""), "{link}");
    let items: Vec<Value> = last.json().await.unwrap();
    assert_eq!(items.len(), 5);

    let default_size: Vec<Value> = get("").await.unwrap().json().await.unwrap();
    assert_eq!(default_size.len(), 10, "Waldur's default page size");

    let beyond = get("page=4&page_size=10").await.unwrap();
    assert_eq!(detail_of(beyond).await, (404, "Invalid page.".to_owned()));

    let head = http
        .head(url(&emulator, "marketplace-orders/"))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["x-result-count"], "25");
}

#[tokio::test]
async fn uuids_are_hex_and_hyphens_are_accepted() {
    let (emulator, http) = start().await;
    let customer = emulator.state.seed_customer("P");
    assert_eq!(customer.uuid.len(), 32);
    let hyphenated = format!(
        "{}-{}-{}-{}-{}",
        &customer.uuid[..8],
        &customer.uuid[8..12],
        &customer.uuid[12..16],
        &customer.uuid[16..20],
        &customer.uuid[20..]
    )
    .to_uppercase();
    let body: Value = http
        .get(url(&emulator, &format!("customers/{hyphenated}/")))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["uuid"], customer.uuid.as_str());
}

#[tokio::test]
async fn faults_are_scoped_and_counted() {
    let (emulator, http) = start().await;
    let customer = emulator.state.seed_customer("P");
    emulator.inject_at("/api/projects/", Fault::Status(503, 1));
    emulator.inject(Fault::RetryAfter(Duration::from_secs(7), 1));
    let get = |path: &str| {
        http.get(url(&emulator, path))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
    };
    // The customers request skips the projects-only fault.
    let throttled = get(&format!("customers/{}/", customer.uuid)).await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "7");
    let unavailable = get("projects/").await.unwrap();
    assert_eq!(unavailable.status(), 503);
    assert_eq!(get("projects/").await.unwrap().status(), 200);
    assert_eq!(emulator.state.pending_faults(), 0);

    emulator.inject(Fault::DropConnection(1));
    let error = get("projects/").await.unwrap_err();
    assert!(
        !error.is_status(),
        "the socket closed with no answer: {error}"
    );
    assert_eq!(get("projects/").await.unwrap().status(), 200);
    assert_eq!(emulator.state.request_count("/api/projects/"), 4);
}

#[tokio::test]
async fn order_rules_apply_to_seeded_orders() {
    let (emulator, http) = start().await;
    let state = &emulator.state;
    let customer = state.seed_customer("P");
    let project = state.seed_project(&customer.uuid, "R").unwrap();
    let category = state.seed_category("C");
    let mut seed = OfferingSeed::new(&customer.uuid, &category.uuid);
    seed.state = waldur_emulator::OfferingState::Paused;
    let paused = state.seed_offering(seed).unwrap();
    let refused = state
        .seed_order(&paused.uuid, &project.uuid, BTreeMap::new())
        .unwrap_err();
    assert_eq!(refused["offering"][0], "Offering is not available.");

    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    let order = state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    assert!(state.set_order_state(&order.order_uuid, OrderState::Done));
    let response = http
        .post(url(
            &emulator,
            &format!(
                "marketplace-orders/{}/approve_by_provider/",
                order.order_uuid
            ),
        ))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail_of(response).await,
        (
            409,
            "Valid states for operation: pending-provider.".to_owned()
        )
    );
    let resource = state.resource_json(&order.resource_uuid).unwrap();
    assert_eq!(resource["state"], "Creating");
}

#[tokio::test]
async fn resource_limits_and_the_staff_only_paused_flag() {
    let (emulator, http) = start().await;
    let state = &emulator.state;
    let customer = state.seed_customer("P");
    let project = state.seed_project(&customer.uuid, "R").unwrap();
    let category = state.seed_category("C");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    let order = state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    let action = |name: &str, body: Value| {
        http.post(url(
            &emulator,
            &format!(
                "marketplace-provider-resources/{}/{name}/",
                order.resource_uuid
            ),
        ))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&body)
        .send()
    };
    let bad = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };

    let (status, body) = bad(action("set_limits", serde_json::json!({})).await.unwrap()).await;
    assert_eq!(
        (status, &body["limits"][0]),
        (400, &Value::from("This field is required."))
    );
    let (status, body) = bad(
        action("set_limits", serde_json::json!({"limits": {"cpu": -1}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["limits"][0].as_str().unwrap().starts_with("cpu:"));
    let (status, _) = bad(
        action("set_limits", serde_json::json!({"limits": {"cpu": 8}}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        state.resource_json(&order.resource_uuid).unwrap()["limits"]["cpu"],
        8
    );

    // Waldur lets only staff set the flag.
    let response = action("set_paused", serde_json::json!({"paused": true}))
        .await
        .unwrap();
    assert_eq!(
        detail_of(response).await,
        (
            403,
            "You do not have permission to perform this action.".to_owned()
        )
    );
    assert_eq!(
        state.resource_json(&order.resource_uuid).unwrap()["paused"],
        false
    );
    state.set_token_is_staff(true);
    let response = action("set_paused", serde_json::json!({"paused": true}))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        state.resource_json(&order.resource_uuid).unwrap()["paused"],
        true
    );
}

/// Terminate follows Waldur's two refusals: 409 from the state validator
/// for a resource that is not OK or Erred, and 400 with a bare list
/// (not 409) while another order of the resource is pending.
#[tokio::test]
async fn terminate_refusals_match_waldur_status_and_body() {
    let (emulator, http) = start().await;
    let state = &emulator.state;
    let customer = state.seed_customer("P");
    let project = state.seed_project(&customer.uuid, "R").unwrap();
    let category = state.seed_category("C");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    let order = state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    let terminate = || {
        http.post(url(
            &emulator,
            &format!(
                "marketplace-provider-resources/{}/terminate/",
                order.resource_uuid
            ),
        ))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
    };
    // Creating: the state validator answers first.
    assert_eq!(
        detail_of(terminate().await.unwrap()).await,
        (409, "Valid states for operation: OK, Erred.".to_owned())
    );
    // OK, but its Create order still pending (as a backend that set the
    // resource OK by hand leaves it).
    assert!(state.set_resource_state(&order.resource_uuid, waldur_emulator::ResourceState::Ok));
    let refused = terminate().await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        serde_json::json!(["Pending order for resource already exists."])
    );
    assert!(state.set_order_state(&order.order_uuid, OrderState::Done));
    let accepted = terminate().await.unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    assert_eq!(state.order_count(), 2);
}

/// An injected 4xx carries the body Waldur sends for that status, once.
#[tokio::test]
async fn injected_client_errors_have_waldur_bodies() {
    let (emulator, http) = start().await;
    let customer = emulator.state.seed_customer("P");
    let path = format!("customers/{}/", customer.uuid);
    let get = || {
        http.get(url(&emulator, &path))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
    };
    let cases: [(u16, Value); 5] = [
        (400, serde_json::json!(["Invalid input."])),
        (401, serde_json::json!({ "detail": "Invalid token." })),
        (
            403,
            serde_json::json!({ "detail": "You do not have permission to perform this action." }),
        ),
        (404, serde_json::json!({ "detail": "Not found." })),
        (
            409,
            serde_json::json!({ "detail": "Cannot modify an object in its current state." }),
        ),
    ];
    for (status, body) in cases {
        emulator
            .state
            .inject_on("GET", "customers/*/", Fault::Status(status, 1));
        let answer = get().await.unwrap();
        assert_eq!(answer.status().as_u16(), status);
        assert_eq!(answer.json::<Value>().await.unwrap(), body, "{status}");
        assert_eq!(get().await.unwrap().status().as_u16(), 200, "once only");
    }
    emulator.state.inject_on(
        "GET",
        "customers/*/",
        Fault::StatusRetryAfter(503, Duration::from_secs(5), 1),
    );
    let unavailable = get().await.unwrap();
    assert_eq!(unavailable.status().as_u16(), 503);
    assert_eq!(unavailable.headers()["retry-after"], "5");
}

/// A late answer is carried out before the client gives up on it.
#[tokio::test]
async fn a_late_answer_takes_effect_before_the_client_times_out() {
    let (emulator, _) = start().await;
    let state = &emulator.state;
    let customer = state.seed_customer("P");
    let project = state.seed_project(&customer.uuid, "R").unwrap();
    let category = state.seed_category("C");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    state.inject_on(
        "POST",
        "marketplace-orders/",
        Fault::LateAnswer(Duration::from_secs(60), 1),
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient
        .post(url(&emulator, "marketplace-orders/"))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&serde_json::json!({
            "offering": state.public_offering_url(&offering.uuid),
            "project": project.url,
        }))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(state.order_count(), 1, "the order was created");
}
