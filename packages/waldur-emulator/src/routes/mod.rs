//! The HTTP surface: one module per API area, mounted under `/api/`.

mod directory;
mod emulator_control;
mod offerings;
mod orders;
mod resources;
mod slurm;
mod slurm_jobs;
mod terms_of_service;
mod usages;

use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::api_error::{ApiError, ApiResult};
use crate::listing::{list_response, PageWindow, QueryParams};
use crate::server::AppState;

/// The emulator's own endpoints (not Waldur's) live under this path.
pub(crate) const CONTROL_PREFIX: &str = "/control/";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/marketplace-provider-offerings/",
            get(offerings::list).post(offerings::create),
        )
        .route(
            "/api/marketplace-provider-offerings/{uuid}/",
            get(offerings::retrieve),
        )
        .route(
            "/api/marketplace-provider-offerings/{uuid}/{action}/",
            post(offerings::action),
        )
        .route(
            "/api/marketplace-orders/",
            get(orders::list).post(orders::create),
        )
        .route("/api/marketplace-orders/{uuid}/", get(orders::retrieve))
        .route(
            "/api/marketplace-offering-terms-of-service/",
            get(terms_of_service::list),
        )
        .route(
            "/api/marketplace-user-offering-consents/",
            post(terms_of_service::give_consent),
        )
        .route(
            "/api/marketplace-orders/{uuid}/{action}/",
            post(orders::action),
        )
        .route("/api/marketplace-resources/", get(resources::list))
        .route(
            "/api/marketplace-resources/{uuid}/",
            get(resources::retrieve),
        )
        .route(
            "/api/marketplace-resources/{uuid}/{action}/",
            post(resources::consumer_action),
        )
        .route("/api/marketplace-provider-resources/", get(resources::list))
        .route(
            "/api/marketplace-provider-resources/{uuid}/",
            get(resources::retrieve),
        )
        .route(
            "/api/marketplace-provider-resources/{uuid}/{action}/",
            post(resources::provider_action),
        )
        .route("/api/marketplace-component-usages/", get(usages::list))
        .route(
            "/api/marketplace-component-usages/set_usage/",
            post(usages::set_usage),
        )
        .route(
            "/api/marketplace-component-usages/{uuid}/",
            get(usages::retrieve),
        )
        .route("/api/customers/", get(directory::list_customers))
        .route("/api/customers/{uuid}/", get(directory::get_customer))
        .route("/api/projects/", get(directory::list_projects))
        .route("/api/projects/{uuid}/", get(directory::get_project))
        .route(
            "/api/marketplace-categories/",
            get(directory::list_categories),
        )
        .route(
            "/api/marketplace-categories/{uuid}/",
            get(directory::get_category),
        )
        .route("/api/users/me/", get(directory::current_user))
        .route("/api/slurm-allocations/", get(slurm::list))
        .route("/api/slurm-allocations/{uuid}/", get(slurm::retrieve))
        .route(
            "/api/slurm-jobs/",
            get(slurm_jobs::list).post(slurm_jobs::create),
        )
        .route("/api/slurm-jobs/{uuid}/", get(slurm_jobs::retrieve))
        .route("/control/summary/", get(emulator_control::summary))
        .route("/control/tokens/", post(emulator_control::add_token))
        .route(
            "/control/offering-types/",
            post(emulator_control::set_offering_types),
        )
        .route(
            "/control/slurm-jobs/{uuid}/runtime/",
            post(emulator_control::set_slurm_job_runtime),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_token,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Filters, pages and renders a list, newest records last.
pub(crate) fn respond_list<T>(
    state: &AppState,
    path: &str,
    query: &QueryParams,
    mut records: Vec<(u64, &T)>,
    render: impl Fn(&T) -> Value,
) -> ApiResult<Response> {
    records.sort_by_key(|(seq, _)| *seq);
    let window = PageWindow::new(query, records.len())?;
    let items = records[window.range()]
        .iter()
        .map(|(_, record)| render(record))
        .collect();
    let page_url = format!("{}{path}", state.origin);
    Ok(list_response(items, &window, &page_url, query))
}

/// 200 with a JSON body.
pub(crate) fn ok_json(body: Value) -> Response {
    Json(body).into_response()
}

/// 201 with a JSON body.
pub(crate) fn created_json(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// A status with no body, as DRF's `Response(status=...)` sends.
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// True when `value` passes a filter given as an optional exact value.
pub(crate) fn matches_opt(filter: Option<&str>, value: &str) -> bool {
    filter.is_none_or(|wanted| wanted == value)
}

/// True when `value` passes a filter given as a list (empty = any).
pub(crate) fn matches_any(filter: &[impl AsRef<str>], value: &str) -> bool {
    filter.is_empty() || filter.iter().any(|wanted| wanted.as_ref() == value)
}

/// A UUID filter value, normalised like stored UUIDs.
pub(crate) fn uuid_filter(query: &QueryParams, name: &str) -> Option<String> {
    query.first(name).map(crate::ids::normalize_uuid)
}
