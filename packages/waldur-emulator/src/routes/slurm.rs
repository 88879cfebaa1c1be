//! `slurm-allocations/`, read only: tests seed allocations directly.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;

use super::respond::{matches_opt, ok_json, respond_list, uuid_filter};
use crate::api_error::{ApiError, ApiResult};
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::shared::AppState;

pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let backend_id = query.first("backend_id");
    let wanted_state = query.first("state");
    let project = uuid_filter(&query, "project_uuid");
    let customer = uuid_filter(&query, "customer_uuid");
    let is_active = query.bool("is_active");
    let name = query.first("name");
    let store = state.store();
    let records = store
        .allocations
        .values()
        .filter(|a| matches_opt(backend_id, &a.backend_id))
        .filter(|a| matches_opt(wanted_state, a.state.as_str()))
        .filter(|a| matches_opt(project.as_deref(), &a.project_uuid))
        .filter(|a| matches_opt(name, &a.name))
        .filter(|a| is_active.is_none_or(|flag| a.is_active == flag))
        .filter(|a| {
            let owner = store
                .projects
                .get(&a.project_uuid)
                .map(|p| p.customer_uuid.as_str());
            customer.is_none() || owner == customer.as_deref()
        })
        .map(|a| (a.seq, a))
        .collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |a| {
        renderer.allocation(a)
    })
}

pub async fn retrieve(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let allocation = store
        .allocations
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).allocation(allocation)))
}
