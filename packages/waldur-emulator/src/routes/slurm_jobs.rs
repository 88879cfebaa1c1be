//! `slurm-jobs/`: FireCREST batch jobs, created with a multipart upload.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;

use super::respond::{created_json, ok_json, respond_list};
use crate::api_error::{ApiError, ApiResult};
use crate::form_data;
use crate::ids::normalize_uuid;
use crate::listing::QueryParams;
use crate::shared::AppState;

/// Only `page`/`page_size`: the endpoint has no filters.
pub async fn list(
    State(state): State<AppState>,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let store = state.store();
    let records = store.slurm_jobs.values().map(|j| (j.seq, j)).collect();
    let renderer = state.renderer(&store);
    respond_list(&state, uri.path(), &query, records, |j| {
        renderer.slurm_job(j)
    })
}

pub async fn retrieve(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> ApiResult<Response> {
    let store = state.store();
    let job = store
        .slurm_jobs
        .get(&normalize_uuid(&uuid))
        .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(state.renderer(&store).slurm_job(job)))
}

/// A JSON or form body cannot carry the batch script: DRF parses it and
/// reports the file (and anything else missing) as a field error.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts = match form_data::boundary(content_type) {
        Some(boundary) => form_data::parse(&boundary, &body)?,
        None => json_fields(&body)?,
    };
    let mut store = state.store();
    let uuid = crate::slurm_jobs::create(&mut store, &parts)?;
    let job = store
        .slurm_jobs
        .get(&uuid)
        .ok_or_else(ApiError::not_found)?;
    Ok(created_json(state.renderer(&store).slurm_job(job)))
}

/// The string fields of a JSON body as form parts (a `file` given in JSON
/// is not a file).
fn json_fields(body: &[u8]) -> ApiResult<form_data::Parts> {
    let object = crate::validate::json_object(body)?;
    Ok(object
        .into_iter()
        .filter_map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Null => return None,
                other => other.to_string(),
            };
            Some((
                name,
                form_data::Part {
                    filename: None,
                    bytes: text.into_bytes(),
                },
            ))
        })
        .collect())
}
