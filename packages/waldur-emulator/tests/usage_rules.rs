//! `marketplace-component-usages/set_usage/` against Waldur's rules
//! (waldur-mastermind `marketplace/serializers.py`
//! `ComponentUsageCreateSerializer`, `marketplace/models.py`
//! `ComponentUsage`): rows per plan period and month, and each refusal
//! with Waldur's status and body, leaving everything as it was.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed, OfferingState, ResourceState};

const TOKEN: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

struct Setup {
    emulator: EmulatorHandle,
    http: reqwest::Client,
    offering_uuid: String,
    resource_uuid: String,
}

/// An OK resource of an offering with `cpu`/`gpu` usage and `ram` limit
/// components.
async fn setup() -> Setup {
    let emulator = Emulator::start(TOKEN).await.expect("emulator");
    let state = &emulator.state;
    let customer = state.seed_customer("Org");
    let project = state.seed_project(&customer.uuid, "P").expect("project");
    let category = state.seed_category("HPC");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .expect("offering");
    let order = state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .expect("order");
    state.set_resource_state(&order.resource_uuid, ResourceState::Ok);
    Setup {
        http: reqwest::Client::new(),
        offering_uuid: offering.uuid,
        resource_uuid: order.resource_uuid,
        emulator,
    }
}

impl Setup {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.emulator.base_url))
            .header("Authorization", format!("Token {TOKEN}"))
            .json(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("json")
        };
        (status, body)
    }

    async fn set_usage(&self, body: Value) -> (u16, Value) {
        self.post("marketplace-component-usages/set_usage/", &body)
            .await
    }

    async fn list(&self) -> Vec<Value> {
        let response = self
            .http
            .get(format!(
                "{}marketplace-component-usages/?resource_uuid={}",
                self.emulator.base_url, self.resource_uuid
            ))
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
            .await
            .expect("send");
        response.json().await.expect("json")
    }

    /// What a refused call must leave alone: the rows and the resource's
    /// `current_usages`.
    async fn snapshot(&self) -> (Vec<Value>, Value) {
        let resource = self
            .emulator
            .state
            .resource_json(&self.resource_uuid)
            .expect("resource");
        (self.list().await, resource["current_usages"].clone())
    }

    /// Posts `body`, expects `status` and `expected` as the body, and
    /// checks nothing changed.
    async fn refused(&self, body: Value, status: u16, expected: Value) {
        let before = self.snapshot().await;
        let answer = self.set_usage(body.clone()).await;
        assert_eq!(answer, (status, expected), "for {body}");
        assert_eq!(self.snapshot().await, before, "{body} changed something");
    }

    fn usage(&self, amount: Value) -> Value {
        json!({"resource": self.resource_uuid, "usages": [{"type": "cpu", "amount": amount}]})
    }
}

fn amounts(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|row| row["usage"].as_str().expect("usage text"))
        .collect()
}

#[tokio::test]
async fn a_second_report_in_a_plan_period_replaces_and_a_plan_switch_adds_a_row() {
    let s = setup().await;
    let state = &s.emulator.state;
    let first_plan = state.seed_plan(&s.offering_uuid, "Small").expect("plan");
    let second_plan = state.seed_plan(&s.offering_uuid, "Large").expect("plan");
    state
        .switch_plan(&s.resource_uuid, &first_plan.uuid)
        .expect("first plan");

    assert_eq!(
        s.set_usage(s.usage(json!("3.25"))).await,
        (201, Value::Null)
    );
    let recurring = json!({"resource": s.resource_uuid,
        "usages": [{"type": "cpu", "amount": "4.5", "recurring": true}]});
    assert_eq!(s.set_usage(recurring).await, (201, Value::Null));
    // Same plan period and month: one row, the last amount.
    let rows = s.list().await;
    assert_eq!(amounts(&rows), vec!["4.50"]);
    assert_eq!(rows[0]["recurring"], true);

    let new_period = state
        .switch_plan(&s.resource_uuid, &second_plan.uuid)
        .expect("switch");
    assert_eq!(
        state.current_plan_period(&s.resource_uuid),
        Some(new_period)
    );
    assert_eq!(
        s.set_usage(s.usage(json!("1.25"))).await,
        (201, Value::Null)
    );
    let rows = s.list().await;
    let mut listed = amounts(&rows);
    listed.sort_unstable();
    assert_eq!(listed, vec!["1.25", "4.50"], "the switch must add a row");
    assert_eq!(rows[0]["billing_period"], rows[1]["billing_period"]);
    assert_ne!(rows[0]["uuid"], rows[1]["uuid"]);
    // A report clears the flag on every row of its component and month
    // first (`ComponentUsageCreateSerializer.save`).
    assert!(rows.iter().all(|row| row["recurring"] == false), "{rows:?}");
}

#[tokio::test]
async fn a_plan_period_named_in_the_request_takes_the_report() {
    let s = setup().await;
    let state = &s.emulator.state;
    let small = state.seed_plan(&s.offering_uuid, "Small").expect("plan");
    let large = state.seed_plan(&s.offering_uuid, "Large").expect("plan");
    let old_period = state
        .switch_plan(&s.resource_uuid, &small.uuid)
        .expect("plan");
    state
        .switch_plan(&s.resource_uuid, &large.uuid)
        .expect("switch");
    // The old period ended this month: not closed yet (`validate_plan_period`).
    let answer = s
        .set_usage(json!({"plan_period": old_period, "usages": [{"type": "cpu", "amount": "2"}]}))
        .await;
    assert_eq!(answer, (201, Value::Null));
    let answer = s
        .set_usage(json!({"plan_period": old_period, "usages": [{"type": "cpu", "amount": "3"}]}))
        .await;
    assert_eq!(answer, (201, Value::Null));
    assert_eq!(amounts(&s.list().await), vec!["3.00"]);
}

#[tokio::test]
async fn negative_amounts_pass_as_in_waldur() {
    // `ComponentUsageItemSerializer.amount` sets no minimum.
    let s = setup().await;
    assert_eq!(
        s.set_usage(s.usage(json!("-1.5"))).await,
        (201, Value::Null)
    );
    assert_eq!(amounts(&s.list().await), vec!["-1.50"]);
    // A JSON number is a decimal too.
    assert_eq!(s.set_usage(s.usage(json!(2.25))).await, (201, Value::Null));
    assert_eq!(amounts(&s.list().await), vec!["2.25"]);
}

#[tokio::test]
async fn field_errors_come_as_drf_writes_them() {
    let s = setup().await;
    s.refused(
        json!({"resource": s.resource_uuid}),
        400,
        json!({"usages": ["This field is required."]}),
    )
    .await;
    s.refused(
        json!({"resource": s.resource_uuid, "usages": {"type": "cpu"}}),
        400,
        json!({"usages": {"non_field_errors": ["Expected a list of items but got type \"dict\"."]}}),
    )
    .await;
    s.refused(
        s.usage(json!("1.234")),
        400,
        json!({"usages": [{"amount": ["Ensure that there are no more than 2 decimal places."]}]}),
    )
    .await;
    // A trailing zero counts as a place in DRF's DecimalField.
    s.refused(
        s.usage(json!("1.230")),
        400,
        json!({"usages": [{"amount": ["Ensure that there are no more than 2 decimal places."]}]}),
    )
    .await;
    s.refused(
        s.usage(json!("1234567890123456789")),
        400,
        json!({"usages": [{"amount": ["Ensure that there are no more than 18 digits before the decimal point."]}]}),
    )
    .await;
    s.refused(
        s.usage(json!("123456789012345678901")),
        400,
        json!({"usages": [{"amount": ["Ensure that there are no more than 20 digits in total."]}]}),
    )
    .await;
    s.refused(
        s.usage(json!("twelve")),
        400,
        json!({"usages": [{"amount": ["A valid number is required."]}]}),
    )
    .await;
    // Every item answers, the good ones with `{}`; nothing is saved.
    s.refused(
        json!({"resource": s.resource_uuid, "usages": [
            {"type": "cpu", "amount": "1"},
            {"type": "gpu"},
            {"amount": "1"},
        ]}),
        400,
        json!({"usages": [
            {},
            {"amount": ["This field is required."]},
            {"type": ["This field is required."]},
        ]}),
    )
    .await;
    s.refused(
        json!({"usages": [{"type": "cpu", "amount": "1"}]}),
        400,
        json!({"non_field_errors": ["Either plan_period or resource should be provided."]}),
    )
    .await;
    let unknown = "0123456789abcdef0123456789abcdef";
    s.refused(
        json!({"resource": unknown, "usages": [{"type": "cpu", "amount": "1"}]}),
        400,
        json!({"resource": [format!("Object with uuid={unknown} does not exist.")]}),
    )
    .await;
    s.refused(
        json!({"resource": "nope", "usages": [{"type": "cpu", "amount": "1"}]}),
        400,
        json!({"resource": ["\u{201c}nope\u{201d} is not a valid UUID."]}),
    )
    .await;
    s.refused(
        json!({"plan_period": unknown, "usages": [{"type": "cpu", "amount": "1"}]}),
        400,
        json!({"plan_period": [format!("Object with uuid={unknown} does not exist.")]}),
    )
    .await;
    // Field errors of several fields come together.
    s.refused(
        json!({"resource": unknown, "usages": [{"type": "cpu", "amount": "x"}]}),
        400,
        json!({
            "usages": [{"amount": ["A valid number is required."]}],
            "resource": [format!("Object with uuid={unknown} does not exist.")],
        }),
    )
    .await;
}

#[tokio::test]
async fn validate_refuses_the_resource_state_and_unknown_components() {
    let s = setup().await;
    s.refused(
        json!({"resource": s.resource_uuid, "usages": [
            {"type": "disk", "amount": "1"},
            {"type": "cpu", "amount": "1"},
            {"type": "bogus", "amount": "1"},
        ]}),
        400,
        json!({"non_field_errors": ["These components are invalid: bogus, disk."]}),
    )
    .await;
    for refused_state in [
        ResourceState::Creating,
        ResourceState::Erred,
        ResourceState::Terminated,
    ] {
        s.emulator
            .state
            .set_resource_state(&s.resource_uuid, refused_state);
        s.refused(
            s.usage(json!("1")),
            400,
            json!({"resource": ["Resource is not in valid state."]}),
        )
        .await;
    }
    // Terminating still takes the last usage.
    s.emulator
        .state
        .set_resource_state(&s.resource_uuid, ResourceState::Terminating);
    assert_eq!(s.set_usage(s.usage(json!("1"))).await, (201, Value::Null));
}

#[tokio::test]
async fn a_total_limit_refuses_the_amount_that_passes_it() {
    let s = setup().await;
    let state = &s.emulator.state;
    let customer = state.seed_customer("Provider");
    let category = state.seed_category("Limited");
    let (status, offering) = s
        .post(
            "marketplace-provider-offerings/",
            &json!({
                "name": "Capped",
                "category": category.url,
                "customer": customer.url,
                "type": "Marketplace.Slurm",
                "components": [{
                    "billing_type": "usage", "type": "cpu", "name": "CPU",
                    "measured_unit": "hours", "limit_period": "total", "limit_amount": 10
                }],
            }),
        )
        .await;
    assert_eq!(status, 201, "{offering}");
    let offering_uuid = offering["uuid"].as_str().expect("uuid").to_owned();
    state.set_offering_state(&offering_uuid, OfferingState::Active);
    let project = state.seed_project(&customer.uuid, "Q").expect("project");
    let order = state
        .seed_order(&offering_uuid, &project.uuid, BTreeMap::new())
        .expect("order");
    state.set_resource_state(&order.resource_uuid, ResourceState::Ok);
    let capped = Setup {
        resource_uuid: order.resource_uuid,
        offering_uuid,
        http: s.http.clone(),
        emulator: s.emulator,
    };
    assert_eq!(
        capped.set_usage(capped.usage(json!("6"))).await,
        (201, Value::Null)
    );
    // `validate_amount` adds the rows already there (the one being
    // replaced included) to the new amount.
    capped
        .refused(
            capped.usage(json!("4.5")),
            400,
            json!(["Total amount exceeds limit. Total amount: 10.50, limit: 10."]),
        )
        .await;
    assert_eq!(
        capped.set_usage(capped.usage(json!("4"))).await,
        (201, Value::Null)
    );
    assert_eq!(amounts(&capped.list().await), vec!["4.00"]);
    // Waldur saves item by item without a transaction: an item refused
    // after a good one leaves the good one saved, but `current_usages`
    // (written after the loop) untouched.
    let current_before = capped.snapshot().await.1;
    let answer = capped
        .set_usage(json!({"resource": capped.resource_uuid, "usages": [
            {"type": "cpu", "amount": "5"},
            {"type": "cpu", "amount": "7"},
        ]}))
        .await;
    assert_eq!(
        answer,
        (
            400,
            json!(["Total amount exceeds limit. Total amount: 12.00, limit: 10."])
        )
    );
    assert_eq!(amounts(&capped.list().await), vec!["5.00"]);
    assert_eq!(capped.snapshot().await.1, current_before);
}
