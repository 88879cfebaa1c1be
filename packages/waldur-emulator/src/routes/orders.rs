//! `marketplace-orders/` and the provider's order actions.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};

use super::respond::{
    created_json, empty, matches_any, matches_opt, ok_json, respond_list, uuid_filter,
};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::model::OrderKind;
use crate::ops::{apply_order_action, create_order, NewOrder};
use crate::render::paths;
use crate::roles::Caller;
use crate::rules::OrderAction;
use crate::shared::AppState;
use crate::validate::{
    int_map, json_object, optional_bool, optional_str, public_plan_hyperlink, required_hyperlink,
    required_str,
};

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let offering = uuid_filter(&query, "offering_uuid");
    let project = uuid_filter(&query, "project_uuid");
    let resource = uuid_filter(&query, "resource_uuid");
    let customer = uuid_filter(&query, "customer_uuid");
    let provider = uuid_filter(&query, "provider_uuid");
    let states = query.all("state");
    let types = query.all("type");
    let offering_types = query.all("offering_type");
    // Waldur's `filter_query`: a case-insensitive substring of the project
    // name or of `attributes.name` (a UUID-like value, which picks one
    // order by uuid there, is not emulated).
    let text = query.first("query").map(str::to_lowercase);
    let store = state.store();
    let records = store
        .orders
        .values()
        .filter(|o| caller.sees_project(&o.project_uuid))
        .filter(|o| {
            let Some(text) = text.as_deref() else {
                return true;
            };
            let project_name = store
                .projects
                .get(&o.project_uuid)
                .map(|p| p.name.to_lowercase())
                .unwrap_or_default();
            let order_name = o
                .attributes
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
                .unwrap_or_default();
            project_name.contains(text) || order_name.contains(text)
        })
        .filter(|o| matches_opt(offering.as_deref(), &o.offering_uuid))
        .filter(|o| matches_opt(project.as_deref(), &o.project_uuid))
        .filter(|o| matches_opt(resource.as_deref(), &o.resource_uuid))
        .filter(|o| matches_any(&states, o.state.as_str()))
        .filter(|o| matches_any(&types, o.kind.as_str()))
        .filter(|o| {
            let project_customer = store
                .projects
                .get(&o.project_uuid)
                .map(|p| p.customer_uuid.as_str());
            customer.is_none() || project_customer == customer.as_deref()
        })
        .filter(|o| {
            let offering = store.offerings.get(&o.offering_uuid);
            let provider_matches = provider.is_none()
                || offering.map(|f| f.customer_uuid.as_str()) == provider.as_deref();
            let type_matches = offering_types.is_empty()
                || offering.is_some_and(|f| offering_types.contains(&f.offering_type.as_str()));
            provider_matches && type_matches
        })
        .map(|o| (o.seq, o))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |o| renderer.order(o))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let order = store
        .orders
        .get(&normalize_uuid(&uuid))
        .filter(|o| caller.sees_project(&o.project_uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).order(order)))
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_object(&body)?;
    // serializers.py `BaseItemSerializer.Meta.extra_kwargs`: the offering
    // is a `marketplace-public-offering-detail` link; a provider-offering
    // URL does not resolve to that view.
    let offering_uuid = required_hyperlink(&body, "offering", &[paths::PUBLIC_OFFERINGS])?;
    let project_uuid = required_hyperlink(&body, "project", &[paths::PROJECTS])?;
    let plan_uuid = public_plan_hyperlink(&body, "plan")?;
    let attributes = match body.get("attributes") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(object)) => Value::Object(object.clone()),
        Some(_) => {
            return Err(ApiError::field(
                "attributes",
                "Expected a dictionary of items.",
            ))
        }
    };
    // Update and Terminate orders come from the resource actions.
    if let Some(kind) = optional_str(&body, "type", 20)? {
        match OrderKind::parse(&kind) {
            Some(OrderKind::Create) => {}
            Some(_) => {
                return Err(ApiError::field(
                    "type",
                    "Only Create orders can be submitted here.",
                ))
            }
            None => {
                return Err(ApiError::field(
                    "type",
                    format!("\"{kind}\" is not a valid choice."),
                ))
            }
        }
    }
    let new = NewOrder {
        offering_uuid,
        project_uuid,
        plan_uuid,
        attributes,
        limits: int_map(&body, "limits")?,
        accepting_terms_of_service: optional_bool(&body, "accepting_terms_of_service")?
            .unwrap_or(false),
        callback_url: optional_str(&body, "callback_url", 200)?,
        request_comment: optional_str(&body, "request_comment", 255)?,
        start_date: optional_str(&body, "start_date", 10)?,
    };
    let mut store = state.store();
    let uuid = create_order(&mut store, new, &caller)?;
    let order = store.orders.get(&uuid).ok_or_else(ApiError::not_found)?;
    Ok(created_json(state.renderer(&store).order(order)))
}

pub async fn action(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((uuid, action)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let uuid = normalize_uuid(&uuid);
    let body = json_object(&body)?;
    let mut store = state.store();
    let visible = store
        .orders
        .get(&uuid)
        .is_some_and(|o| caller.sees_project(&o.project_uuid));
    if !visible {
        return Err(ApiError::not_found());
    }
    if action == "set_backend_id" {
        caller.require_owner_permission()?;
        let backend_id = required_str(&body, "backend_id", 255)?;
        if let Some(order) = store.orders.get_mut(&uuid) {
            order.backend_id = backend_id;
            order.modified = crate::clock::now_iso();
        }
        return Ok(ok_json(
            json!({ "status": "Order backend_id has been changed." }),
        ));
    }
    let order_action = OrderAction::parse(&action).ok_or_else(ApiError::not_found)?;
    // The action bodies are read first, as DRF parses before acting.
    let rejection_comment = match order_action {
        OrderAction::RejectByProvider => {
            optional_str(&body, "provider_rejection_comment", usize::MAX)?
        }
        OrderAction::RejectByConsumer => {
            optional_str(&body, "consumer_rejection_comment", usize::MAX)?
        }
        _ => None,
    };
    let (error_message, error_traceback) = match order_action {
        OrderAction::SetStateErred => (
            optional_str(&body, "error_message", usize::MAX)?,
            optional_str(&body, "error_traceback", usize::MAX)?,
        ),
        _ => (None, None),
    };
    apply_order_action(&mut store, &uuid, order_action, &caller)?;
    let Some(order) = store.orders.get_mut(&uuid) else {
        return Err(ApiError::not_found());
    };
    match order_action {
        OrderAction::ApproveByProvider => {
            if let (Some(Value::Object(extra)), Value::Object(attributes)) =
                (body.get("attributes"), &mut order.attributes)
            {
                attributes.extend(extra.clone());
            }
            Ok(ok_json(json!({ "detail": "Order has been approved." })))
        }
        OrderAction::RejectByProvider => {
            order.provider_rejection_comment = rejection_comment.unwrap_or_default();
            Ok(empty(StatusCode::OK))
        }
        OrderAction::RejectByConsumer => {
            order.consumer_rejection_comment = rejection_comment.unwrap_or_default();
            Ok(empty(StatusCode::OK))
        }
        // 8.0.5 answers `OrderInfoResponse` (`{detail}`), as for the
        // provider's approval.
        OrderAction::ApproveByConsumer => {
            Ok(ok_json(json!({ "detail": "Order has been approved." })))
        }
        OrderAction::SetStateErred => {
            order.error_message = error_message.clone().unwrap_or_default();
            order.error_traceback = error_traceback.unwrap_or_default();
            let resource_uuid = order.resource_uuid.clone();
            if let Some(resource) = store.resources.get_mut(&resource_uuid) {
                resource.error_message = error_message.unwrap_or_default();
            }
            Ok(empty(StatusCode::OK))
        }
        // views.py `OrderViewSet.cancel`: 202 without a body.
        OrderAction::Cancel => Ok(empty(StatusCode::ACCEPTED)),
        _ => Ok(empty(StatusCode::OK)),
    }
}
