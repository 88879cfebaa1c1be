//! `marketplace-provider-offerings/` and its state and update actions.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::respond::{
    created_json, empty, matches_any, matches_opt, ok_json, respond_list, uuid_filter,
};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::{new_uuid, normalize_uuid};
use crate::listing::QueryParams;
use crate::model::{BillingType, BillingUnit, ComponentRecord, OfferingState, PlanRecord};
use crate::ops::{insert_offering, NewOffering};
use crate::render::paths;
use crate::roles::Caller;
use crate::rules::{offering_transition, OfferingAction};
use crate::shared::AppState;
use crate::validate::{
    json_object, missing_object, optional_bool, optional_int, optional_str, required_hyperlink,
    required_str, Body,
};

pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let customer = uuid_filter(&query, "customer_uuid");
    let category = uuid_filter(&query, "category_uuid");
    let states = query.all("state");
    let types = query.all("type");
    let name_exact = query.first("name_exact");
    let name_part = query.first("name").map(str::to_lowercase);
    let shared = query.bool("shared");
    let billable = query.bool("billable");
    let store = state.store();
    let records = store
        .offerings
        .values()
        .filter(|o| matches_opt(customer.as_deref(), &o.customer_uuid))
        .filter(|o| matches_opt(category.as_deref(), &o.category_uuid))
        .filter(|o| matches_any(&states, o.state.as_str()))
        .filter(|o| matches_any(&types, &o.offering_type))
        .filter(|o| matches_opt(name_exact, &o.name))
        .filter(|o| {
            name_part
                .as_deref()
                .is_none_or(|part| o.name.to_lowercase().contains(part))
        })
        .filter(|o| shared.is_none_or(|flag| o.shared == flag))
        .filter(|o| billable.is_none_or(|flag| o.billable == flag))
        .map(|o| (o.seq, o))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |o| {
        renderer.offering(o)
    })
}

pub async fn retrieve(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let offering = store
        .offerings
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).offering(offering)))
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_object(&body)?;
    let name = required_str(&body, "name", 150)?;
    let offering_type = required_str(&body, "type", 100)?;
    // serializers.py `OfferingCreateSerializer.validate_type`: only the
    // types of installed plugins (`plugins.manager.backends`).
    if !state.offering_type_installed(&offering_type) {
        return Err(ApiError::field("type", "Invalid value."));
    }
    let category_uuid = required_hyperlink(&body, "category", &[paths::CATEGORIES])?;
    // Optional in the schema, but the server checks OFFERING.CREATE on it.
    let customer_uuid = required_hyperlink(&body, "customer", &[paths::CUSTOMERS])?;
    let slug = optional_str(&body, "slug", 50)?;
    let components = parse_list(&body, "components", |item| {
        parse_component(item, new_uuid())
    })?;
    ensure_unique_types(&components)?;
    // serializers.py `OfferingCreateSerializer._validate_plans`: a plugin
    // with built-in components takes no others (a dict raised in
    // `validate`, so keyed by the field).
    if let Some(builtin) = crate::model::builtin_components(&offering_type) {
        if components
            .iter()
            .any(|c| !builtin.contains(&c.component_type.as_str()))
        {
            return Err(ApiError::field(
                "components",
                "Extra components are not allowed.",
            ));
        }
    }
    let plans = parse_list(&body, "plans", parse_plan)?;
    // serializers.py `OfferingCreateSerializer.validate_plans`, a field
    // validator raising a dict: DRF nests it under the field.
    if matches!(body.get("plans"), Some(Value::Array(items)) if items.is_empty()) {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({"plans": {"plans": ["At least one plan should be specified."]}}),
        });
    }
    let new = NewOffering {
        name,
        slug,
        customer_uuid,
        category_uuid,
        offering_type,
        state: OfferingState::Draft,
        description: optional_str(&body, "description", usize::MAX)?.unwrap_or_default(),
        full_description: optional_str(&body, "full_description", usize::MAX)?.unwrap_or_default(),
        // serializers.py `OfferingCreateSerializer.validate_terms_of_service`
        // strips it (and cleans its HTML, not emulated).
        terms_of_service: optional_str(&body, "terms_of_service", usize::MAX)?
            .map(|text| text.trim().to_owned())
            .unwrap_or_default(),
        terms_of_service_link: optional_str(&body, "terms_of_service_link", 200)?
            .unwrap_or_default(),
        attributes: object_or_empty(&body, "attributes")?,
        plugin_options: object_or_empty(&body, "plugin_options")?,
        backend_metadata: body.get("backend_metadata").cloned().unwrap_or(json!({})),
        components,
        plans,
        shared: optional_bool(&body, "shared")?.unwrap_or(true),
        billable: optional_bool(&body, "billable")?.unwrap_or(true),
        backend_id: optional_str(&body, "backend_id", 255)?.unwrap_or_default(),
    };
    let mut store = state.store();
    if !store.categories.contains_key(&new.category_uuid) {
        return Err(missing_object("category"));
    }
    if !store.customers.contains_key(&new.customer_uuid) {
        return Err(missing_object("customer"));
    }
    // `OfferingCreateSerializer.validate`: `OFFERING.CREATE` on the
    // customer, else `PermissionDenied` (after the fields are read).
    caller.require_owner_permission()?;
    let uuid = insert_offering(&mut store, new);
    let offering = store.offerings.get(&uuid).ok_or_else(ApiError::not_found)?;
    Ok(created_json(state.renderer(&store).offering(offering)))
}

pub async fn action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((uuid, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let uuid = normalize_uuid(&uuid);
    let body = json_object(&body)?;
    // views.py `ProviderOfferingViewSet.activate_permissions = [is_staff]`,
    // checked before the offering is looked up.
    if action == "activate" && !caller.is_staff() {
        return Err(ApiError::forbidden());
    }
    let mut store = state.store();
    let offering = store
        .offerings
        .get_mut(&uuid)
        .ok_or_else(ApiError::not_found)?;
    // Every provider-offering action needs an `OFFERING.*` permission on
    // the offering's customer.
    caller.require_owner_permission()?;
    if let Some(state_action) = OfferingAction::parse(&action) {
        let paused_reason = optional_str(&body, "paused_reason", usize::MAX)?;
        let new_state =
            offering_transition(offering.state, state_action).map_err(ApiError::wrong_state)?;
        offering.state = new_state;
        if state_action == OfferingAction::Pause {
            offering.paused_reason = paused_reason.unwrap_or_default();
        }
        return Ok(ok_json(json!({
            "detail": state_action.done_message(),
            "state": new_state.as_str(),
        })));
    }
    match action.as_str() {
        "update_overview" => {
            offering.name = required_str(&body, "name", 150)?;
            let terms = optional_str(&body, "terms_of_service", usize::MAX)?;
            if let Some(terms) = terms {
                // `OfferingOverviewUpdateSerializer.validate_terms_of_service`.
                offering.terms_of_service = terms.trim().to_owned();
            }
            let text_fields: [(&str, &mut String); 7] = [
                ("description", &mut offering.description),
                ("full_description", &mut offering.full_description),
                ("privacy_policy_link", &mut offering.privacy_policy_link),
                ("access_url", &mut offering.access_url),
                ("terms_of_service_link", &mut offering.terms_of_service_link),
                ("getting_started", &mut offering.getting_started),
                ("integration_guide", &mut offering.integration_guide),
            ];
            for (field, target) in text_fields {
                if let Some(value) = optional_str(&body, field, usize::MAX)? {
                    *target = value;
                }
            }
            if let Some(slug) = optional_str(&body, "slug", 50)? {
                offering.slug = slug;
            }
            Ok(empty(StatusCode::OK))
        }
        "update_attributes" => {
            offering.attributes = Value::Object(body);
            Ok(empty(StatusCode::OK))
        }
        "create_offering_component" => {
            let component = parse_component(&body, new_uuid())?;
            let mut all = offering.components.clone();
            all.push(component);
            ensure_unique_types(&all)?;
            offering.components = all;
            Ok(empty(StatusCode::CREATED))
        }
        "update_offering_component" => {
            let component_uuid = normalize_uuid(&required_str(&body, "uuid", 64)?);
            let index = offering
                .components
                .iter()
                .position(|c| c.uuid == component_uuid)
                .ok_or_else(|| ApiError::field("uuid", "Component does not exist."))?;
            let mut all = offering.components.clone();
            all[index] = parse_component(&body, component_uuid)?;
            ensure_unique_types(&all)?;
            offering.components = all;
            Ok(empty(StatusCode::OK))
        }
        "remove_offering_component" => {
            let component_uuid = normalize_uuid(&required_str(&body, "uuid", 64)?);
            let before = offering.components.len();
            offering.components.retain(|c| c.uuid != component_uuid);
            if offering.components.len() == before {
                return Err(ApiError::field("uuid", "Component does not exist."));
            }
            Ok(empty(StatusCode::OK))
        }
        _ => Err(ApiError::not_found()),
    }
}

fn object_or_empty(body: &Body, field: &str) -> ApiResult<Value> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::Object(object)) => Ok(Value::Object(object.clone())),
        Some(_) => Err(ApiError::field(field, "Expected a dictionary of items.")),
    }
}

/// Parses an optional list of objects; an item's error is reported at its
/// position, as DRF does for nested serializers.
fn parse_list<T>(
    body: &Body,
    field: &str,
    parse: impl Fn(&Body) -> ApiResult<T>,
) -> ApiResult<Vec<T>> {
    let items = match body.get(field) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::field(field, "Expected a list of items.")),
    };
    let mut parsed = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let result = match item {
            Value::Object(object) => parse(object),
            _ => Err(ApiError::field(
                "non_field_errors",
                "Invalid data. Expected a dictionary.",
            )),
        };
        match result {
            Ok(value) => parsed.push(value),
            Err(error) => {
                let mut positions = vec![json!({}); index];
                positions.push(error.body);
                let mut nested = Map::new();
                nested.insert(field.to_owned(), Value::Array(positions));
                return Err(ApiError {
                    status: error.status,
                    body: Value::Object(nested),
                });
            }
        }
    }
    Ok(parsed)
}

fn ensure_unique_types(components: &[ComponentRecord]) -> ApiResult<()> {
    for (index, component) in components.iter().enumerate() {
        if components[..index]
            .iter()
            .any(|other| other.component_type == component.component_type)
        {
            return Err(ApiError::field(
                "type",
                format!(
                    "Component type {} is already used.",
                    component.component_type
                ),
            ));
        }
    }
    Ok(())
}

fn choice<T>(body: &Body, field: &str, parse: impl Fn(&str) -> Option<T>) -> ApiResult<Option<T>> {
    match optional_str(body, field, usize::MAX)? {
        None => Ok(None),
        Some(text) => parse(&text)
            .map(Some)
            .ok_or_else(|| ApiError::field(field, format!("\"{text}\" is not a valid choice."))),
    }
}

/// `OfferingComponentRequest`.
fn parse_component(body: &Body, uuid: String) -> ApiResult<ComponentRecord> {
    let billing_type = choice(body, "billing_type", BillingType::parse)?
        .ok_or_else(|| ApiError::required("billing_type"))?;
    let component_type = required_str(body, "type", 50)?;
    let valid_type = component_type
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '/' | ':'));
    if !valid_type {
        return Err(ApiError::field("type", "Enter a valid value."));
    }
    let limit_period = match optional_str(body, "limit_period", 20)? {
        Some(period)
            if ["month", "quarterly", "annual", "total", ""].contains(&period.as_str()) =>
        {
            Some(period)
        }
        Some(period) => {
            return Err(ApiError::field(
                "limit_period",
                format!("\"{period}\" is not a valid choice."),
            ))
        }
        None => None,
    };
    Ok(ComponentRecord {
        uuid,
        billing_type,
        component_type,
        name: required_str(body, "name", 150)?,
        description: optional_str(body, "description", 4096)?.unwrap_or_default(),
        measured_unit: optional_str(body, "measured_unit", 30)?.unwrap_or_default(),
        unit_factor: optional_int(body, "unit_factor")?.unwrap_or(1),
        limit_period,
        limit_amount: optional_int(body, "limit_amount")?,
        article_code: optional_str(body, "article_code", 30)?.unwrap_or_default(),
        min_value: optional_int(body, "min_value")?,
        max_value: optional_int(body, "max_value")?,
        max_available_limit: optional_int(body, "max_available_limit")?,
        default_limit: optional_int(body, "default_limit")?,
        is_boolean: optional_bool(body, "is_boolean")?.unwrap_or(false),
        is_prepaid: optional_bool(body, "is_prepaid")?.unwrap_or(false),
    })
}

/// `BaseProviderPlanRequest`.
fn parse_plan(body: &Body) -> ApiResult<PlanRecord> {
    let unit_price = optional_str(body, "unit_price", 40)?.unwrap_or_else(|| "0.00".to_owned());
    if !is_plan_decimal(&unit_price) {
        return Err(ApiError::field("unit_price", "A valid number is required."));
    }
    let max_amount = optional_int(body, "max_amount")?;
    if max_amount.is_some_and(|amount| !(1..=32_767).contains(&amount)) {
        return Err(ApiError::field(
            "max_amount",
            "Ensure this value is between 1 and 32767.",
        ));
    }
    Ok(PlanRecord {
        uuid: new_uuid(),
        name: required_str(body, "name", 150)?,
        description: optional_str(body, "description", usize::MAX)?.unwrap_or_default(),
        article_code: optional_str(body, "article_code", 30)?.unwrap_or_default(),
        max_amount,
        archived: optional_bool(body, "archived")?.unwrap_or(false),
        unit_price,
        unit: choice(body, "unit", BillingUnit::parse)?.unwrap_or(BillingUnit::Month),
        backend_id: optional_str(body, "backend_id", 255)?.unwrap_or_default(),
    })
}

/// `^-?\d{0,12}(?:\.\d{0,10})?$`, the plan price pattern.
fn is_plan_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let numeric = |part: &str| part.chars().all(|ch| ch.is_ascii_digit());
    !digits.is_empty()
        && whole.len() <= 12
        && fraction.len() <= 10
        && numeric(whole)
        && numeric(fraction)
}
