//! `marketplace-resources/` (consumer view) and
//! `marketplace-provider-resources/` (provider view) over the same data.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};

use super::respond::{empty, matches_any, matches_opt, ok_json, respond_list, uuid_filter};
use crate::api_error::{ApiError, ApiResult};
use crate::clock::now_iso;
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::model::ResourceState;
use crate::ops::{terminate_resource, update_resource_limits, visible_resource};
use crate::roles::Caller;
use crate::rules::resource_set_state_ok;
use crate::shared::AppState;
use crate::validate::{int_map, json_object, optional_bool, optional_str, Body};

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let offerings: Vec<String> = query
        .list("offering_uuid")
        .iter()
        .map(|uuid| normalize_uuid(uuid))
        .collect();
    let states = query.all("state");
    let backend_id = query.first("backend_id");
    let project = uuid_filter(&query, "project_uuid");
    let customer = uuid_filter(&query, "customer_uuid");
    let provider = uuid_filter(&query, "provider_uuid");
    let name_exact = query.first("name_exact");
    let offering_types = query.all("offering_type");
    let store = state.store();
    let records = store
        .resources
        .values()
        .filter(|r| caller.sees_project(&r.project_uuid))
        .filter(|r| matches_any(&offerings, &r.offering_uuid))
        .filter(|r| matches_any(&states, r.state.as_str()))
        .filter(|r| matches_opt(backend_id, &r.backend_id))
        .filter(|r| matches_opt(project.as_deref(), &r.project_uuid))
        .filter(|r| matches_opt(name_exact, &r.name))
        .filter(|r| {
            let project_customer = store
                .projects
                .get(&r.project_uuid)
                .map(|p| p.customer_uuid.as_str());
            customer.is_none() || project_customer == customer.as_deref()
        })
        .filter(|r| {
            let offering = store.offerings.get(&r.offering_uuid);
            let provider_matches = provider.is_none()
                || offering.map(|o| o.customer_uuid.as_str()) == provider.as_deref();
            let type_matches = offering_types.is_empty()
                || offering.is_some_and(|o| offering_types.contains(&o.offering_type.as_str()));
            provider_matches && type_matches
        })
        .map(|r| (r.seq, r))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |r| {
        renderer.resource(r)
    })
}

pub async fn retrieve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let resource = visible_resource(&store, &normalize_uuid(&uuid), &caller)?;
    Ok(ok_json(state.renderer(&store).resource(resource)))
}

/// The consumer view offers only `terminate` among the emulated actions.
pub async fn consumer_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((uuid, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_object(&body)?;
    match action.as_str() {
        "terminate" => terminate(&state, &caller, &normalize_uuid(&uuid), &body),
        "update_limits" => update_limits(&state, &caller, &normalize_uuid(&uuid), &body),
        _ => Err(ApiError::not_found()),
    }
}

pub async fn provider_action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((uuid, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let uuid = normalize_uuid(&uuid);
    let body = json_object(&body)?;
    if action == "terminate" {
        return terminate(&state, &caller, &uuid, &body);
    }
    // Checked before the lookup, as DRF checks permissions first. Only
    // staff may pause, and mark a resource erred (views.py
    // `BaseResourceViewSet.set_as_erred_permissions = [is_staff]`).
    if matches!(action.as_str(), "set_paused" | "set_as_erred") && !caller.is_staff() {
        return Err(ApiError::forbidden());
    }
    let mut store = state.store();
    let resource = store
        .resources
        .get_mut(&uuid)
        .filter(|r| caller.sees_project(&r.project_uuid))
        .ok_or_else(ApiError::not_found)?;
    // The provider-resource actions need a permission on the offering's
    // customer (`SET_RESOURCE_BACKEND_ID`, ...), which a consumer lacks.
    caller.require_owner_permission()?;
    match action.as_str() {
        "set_backend_id" => {
            let backend_id = optional_str(&body, "backend_id", 255)?.unwrap_or_default();
            let status = if resource.backend_id == backend_id {
                "Resource backend_id is not changed."
            } else {
                resource.backend_id = backend_id;
                resource.modified = now_iso();
                "Resource backend_id has been changed."
            };
            Ok(ok_json(json!({ "status": status })))
        }
        "set_state_ok" => {
            resource.state =
                resource_set_state_ok(resource.state).map_err(ApiError::wrong_state)?;
            resource.modified = now_iso();
            Ok(ok_json(
                json!({ "status": "Resource state has been changed to OK." }),
            ))
        }
        "set_limits" => {
            if !body.contains_key("limits") {
                return Err(ApiError::required("limits"));
            }
            let limits = int_map(&body, "limits")?;
            if let Some((component, _)) = limits.iter().find(|(_, value)| **value < 0) {
                return Err(ApiError::field(
                    "limits",
                    format!("{component}: Ensure this value is greater than or equal to 0."),
                ));
            }
            resource.limits = limits;
            resource.modified = now_iso();
            Ok(ok_json(
                json!({ "status": "Resource limits have been updated." }),
            ))
        }
        "set_paused" => {
            resource.paused = optional_bool(&body, "paused")?.unwrap_or(false);
            resource.modified = now_iso();
            Ok(ok_json(json!({ "status": "ok" })))
        }
        "set_as_ok" => {
            resource.state = ResourceState::Ok;
            resource.modified = now_iso();
            Ok(empty(StatusCode::OK))
        }
        "set_as_erred" => {
            resource.state = ResourceState::Erred;
            resource.error_message =
                optional_str(&body, "error_message", usize::MAX)?.unwrap_or_default();
            resource.error_traceback =
                optional_str(&body, "error_traceback", usize::MAX)?.unwrap_or_default();
            resource.modified = now_iso();
            Ok(empty(StatusCode::OK))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// `ResourceUpdateLimitsSerializer`: `limits` required, integers >= 0.
fn update_limits(
    state: &AppState,
    caller: &Caller,
    uuid: &str,
    body: &Body,
) -> ApiResult<Response> {
    let mut store = state.store();
    // The permission and state checks come before the body is read.
    let precheck = visible_resource(&store, uuid, caller)?;
    caller.require_owner_permission()?;
    if precheck.state != ResourceState::Ok {
        return Err(ApiError::wrong_state(&["OK"]));
    }
    if !body.contains_key("limits") {
        return Err(ApiError::required("limits"));
    }
    let limits = int_map(body, "limits")?;
    if let Some((component, _)) = limits.iter().find(|(_, value)| **value < 0) {
        return Err(ApiError::field(
            "limits",
            format!("{component}: Ensure this value is greater than or equal to 0."),
        ));
    }
    let order_uuid = update_resource_limits(&mut store, uuid, limits, caller)?;
    Ok(ok_json(json!({ "order_uuid": order_uuid })))
}

fn terminate(state: &AppState, caller: &Caller, uuid: &str, body: &Body) -> ApiResult<Response> {
    let attributes = match body.get("attributes") {
        None | Some(Value::Null) => json!({}),
        Some(value) => value.clone(),
    };
    let mut store = state.store();
    let order_uuid = terminate_resource(&mut store, uuid, attributes, caller)?;
    Ok(ok_json(json!({ "order_uuid": order_uuid })))
}
