//! What the route handlers share: list answers (filters, pages), JSON and
//! empty responses, filter matching.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::api_error::ApiResult;
use crate::listing::{list_response, PageWindow, QueryParams};
use crate::shared::AppState;

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
