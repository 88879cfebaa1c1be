//! `customers/`, `projects/` and `marketplace-categories/`, read only:
//! tests create them through the seeding helpers.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;

use super::respond::{matches_any, matches_opt, ok_json, respond_list};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::shared::AppState;

pub async fn list_customers(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let name_exact = query.first("name_exact");
    let backend_id = query.first("backend_id");
    let store = state.store();
    let records = store
        .customers
        .values()
        .filter(|c| matches_opt(name_exact, &c.name))
        .filter(|c| matches_opt(backend_id, &c.backend_id))
        .map(|c| (c.seq, c))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |c| {
        renderer.customer(c)
    })
}

pub async fn get_customer(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let customer = store
        .customers
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).customer(customer)))
}

pub async fn list_projects(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let customers: Vec<String> = query
        .list("customer")
        .iter()
        .map(|uuid| normalize_uuid(uuid))
        .collect();
    let name_exact = query.first("name_exact");
    let backend_id = query.first("backend_id");
    let store = state.store();
    let records = store
        .projects
        .values()
        .filter(|p| matches_any(&customers, &p.customer_uuid))
        .filter(|p| matches_opt(name_exact, &p.name))
        .filter(|p| matches_opt(backend_id, &p.backend_id))
        .map(|p| (p.seq, p))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |p| renderer.project(p))
}

pub async fn get_project(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let project = store
        .projects
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).project(project)))
}

pub async fn list_categories(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let store = state.store();
    let records = store.categories.values().map(|c| (c.seq, c)).collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |c| {
        renderer.category(c)
    })
}

pub async fn get_category(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let category = store
        .categories
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).category(category)))
}

/// `GET users/me/`: the token's user (the emulator has one). Behind the
/// same token check as every route, so a wrong token gets DRF's 401; the
/// `field` filter is honoured, as the relayer's health probe asks for two.
pub async fn current_user(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let staff = state
        .token_is_staff
        .load(std::sync::atomic::Ordering::Relaxed);
    let user = serde_json::json!({
        "url": format!("{}users/{}/", state.base_url, SERVICE_USER_UUID),
        "uuid": SERVICE_USER_UUID,
        "username": "ve-relayer",
        "full_name": "VirtEngine relayer",
        "is_staff": staff,
        "is_support": false,
        "is_active": true,
        "token": state.token,
    });
    let wanted = query.list("field");
    if wanted.is_empty() {
        return Ok(ok_json(user));
    }
    let sparse = wanted
        .iter()
        .filter_map(|name| {
            user.get(name.as_str())
                .map(|v| (name.to_string(), v.clone()))
        })
        .collect::<serde_json::Map<_, _>>();
    Ok(ok_json(serde_json::Value::Object(sparse)))
}

/// The emulator's one user, the owner of its token.
const SERVICE_USER_UUID: &str = "5e1f0000000000000000000000000001";
