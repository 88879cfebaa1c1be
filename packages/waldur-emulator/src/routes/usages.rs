//! `marketplace-component-usages/`: `set_usage` and reading usages back.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use serde_json::Value;

use super::{empty, matches_opt, ok_json, respond_list, uuid_filter};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::model::parse_hundredths;
use crate::ops::{set_usage as record_usage, UsageItem};
use crate::server::AppState;
use crate::validate::{json_object, optional_bool, optional_str, required_str, Body};

pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let resource = uuid_filter(&query, "resource_uuid");
    let offering = uuid_filter(&query, "offering_uuid");
    let project = uuid_filter(&query, "project_uuid");
    let customer = uuid_filter(&query, "customer_uuid");
    let component_type = query.first("type");
    let billing_period = query.first("billing_period");
    let date_after = query.first("date_after");
    let date_before = query.first("date_before");
    let store = state.store();
    let records = store
        .usages
        .values()
        .filter(|u| matches_opt(resource.as_deref(), &u.resource_uuid))
        .filter(|u| matches_opt(component_type, &u.component_type))
        .filter(|u| matches_opt(billing_period, &u.billing_period.iso()))
        // ISO dates compare correctly as text.
        .filter(|u| date_after.is_none_or(|after| u.date.as_str() >= after))
        .filter(|u| date_before.is_none_or(|before| u.date.as_str() <= before))
        .filter(|u| {
            let owner = store.resources.get(&u.resource_uuid);
            let project_uuid = owner.map(|r| r.project_uuid.as_str());
            let customer_uuid = project_uuid
                .and_then(|p| store.projects.get(p))
                .map(|p| p.customer_uuid.as_str());
            (offering.is_none() || owner.map(|r| r.offering_uuid.as_str()) == offering.as_deref())
                && (project.is_none() || project_uuid == project.as_deref())
                && (customer.is_none() || customer_uuid == customer.as_deref())
        })
        .map(|u| (u.seq, u))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |u| renderer.usage(u))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let usage = store
        .usages
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).usage(usage)))
}

/// `ComponentUsageCreateRequest` → 201 with no body.
pub async fn set_usage(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_object(&body)?;
    let items = parse_items(&body)?;
    let resource = optional_str(&body, "resource", 64)?.map(|uuid| normalize_uuid(&uuid));
    let plan_period = optional_str(&body, "plan_period", 64)?;
    let date = optional_str(&body, "date", 40)?;
    let Some(resource) = resource else {
        // Plan periods are not emulated; a resource UUID is needed.
        return Err(match plan_period {
            Some(_) => ApiError::field("plan_period", "Plan period is not found."),
            None => ApiError::field(
                "non_field_errors",
                "Either plan_period or resource should be provided.",
            ),
        });
    };
    let mut store = state.store();
    record_usage(&mut store, &resource, &items, date.as_deref())?;
    Ok(empty(StatusCode::CREATED))
}

fn parse_items(body: &Body) -> ApiResult<Vec<UsageItem>> {
    let raw_items = match body.get("usages") {
        None | Some(Value::Null) => return Err(ApiError::required("usages")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::field("usages", "Expected a list of items.")),
    };
    raw_items
        .iter()
        .map(|item| {
            let Value::Object(item) = item else {
                return Err(ApiError::field("usages", "Invalid data. Expected a dictionary."));
            };
            let amount_text = match item.get("amount") {
                Some(Value::String(text)) => text.clone(),
                // DRF's DecimalField also takes a JSON number.
                Some(Value::Number(number)) => number.to_string(),
                None | Some(Value::Null) => return Err(nested("amount", "This field is required.")),
                Some(_) => return Err(nested("amount", "A valid number is required.")),
            };
            let hundredths = parse_hundredths(amount_text.trim()).ok_or_else(|| {
                nested(
                    "amount",
                    "Ensure that there are no more than 2 decimal places and 18 digits before the decimal point.",
                )
            })?;
            Ok(UsageItem {
                component_type: required_str(item, "type", 50)
                    .map_err(|_| nested("type", "This field is required."))?,
                hundredths,
                description: optional_str(item, "description", 4096)?.unwrap_or_default(),
                recurring: optional_bool(item, "recurring")?.unwrap_or(false),
            })
        })
        .collect()
}

/// `{"usages": [{"field": ["message"]}]}`.
fn nested(field: &str, message: &str) -> ApiError {
    let mut item = serde_json::Map::new();
    item.insert(field.to_owned(), serde_json::json!([message]));
    ApiError {
        status: StatusCode::BAD_REQUEST,
        body: serde_json::json!({ "usages": [Value::Object(item)] }),
    }
}
