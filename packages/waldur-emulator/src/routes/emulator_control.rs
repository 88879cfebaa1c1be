//! `/control/`: the emulator's own endpoints, for what a provider's SLURM
//! cluster or backend does that Waldur's public API does not model. They
//! take the API's token, are never faulted and are left out of the request
//! log. Not part of Waldur: a client under test must not call them.
//!
//! - `POST /control/slurm-jobs/{uuid}/runtime/` with
//!   `{"state": "RUNNING", "report": {...}}` (`runtime_state` is accepted
//!   for `state`; `report` is optional, any JSON, and left as it was when
//!   absent or null) moves a FireCREST job as SLURM would: 200 with the job
//!   as `GET /api/slurm-jobs/{uuid}/` shows it, 404 for an unknown job,
//!   400 for a malformed body.
//! - `GET /control/summary/`: `{"orders": n, "resources": n,
//!   "slurm_jobs": n, "component_usages": n}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::ok_json;
use crate::api_error::{ApiError, ApiResult};
use crate::control::EmulatorState;
use crate::server::AppState;
use crate::validate::{json_object, required_str};

/// Waldur's limit on `runtime_state`.
const RUNTIME_STATE_MAX: usize = 100;

pub async fn set_slurm_job_runtime(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let mut body = json_object(&body)?;
    if let Some(unknown) = body
        .keys()
        .find(|key| !matches!(key.as_str(), "state" | "runtime_state" | "report"))
    {
        return Err(ApiError::field(unknown, "Unknown field."));
    }
    let field = match (
        body.contains_key("state"),
        body.contains_key("runtime_state"),
    ) {
        (true, true) => {
            return Err(ApiError::field(
                "non_field_errors",
                "Give either state or runtime_state, not both.",
            ))
        }
        (false, true) => "runtime_state",
        _ => "state",
    };
    let runtime_state = required_str(&body, field, RUNTIME_STATE_MAX)?;
    let report = match body.remove("report") {
        None | Some(Value::Null) => None,
        Some(report) => Some(report),
    };
    let emulator = EmulatorState::new(state);
    if !emulator.set_slurm_job_runtime(&uuid, &runtime_state, report) {
        return Err(ApiError::not_found());
    }
    emulator
        .slurm_job_json(&uuid)
        .map(ok_json)
        .ok_or_else(ApiError::not_found)
}

pub async fn summary(State(state): State<AppState>) -> Response {
    let store = state.store();
    ok_json(json!({
        "orders": store.orders.len(),
        "resources": store.resources.len(),
        "slurm_jobs": store.slurm_jobs.len(),
        "component_usages": store.usages.len(),
    }))
}
