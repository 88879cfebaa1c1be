//! `/control/`: the emulator's own endpoints, for what a provider's SLURM
//! cluster or backend does that Waldur's public API does not model. They
//! take the API's (provider) token only, are never faulted and are left
//! out of the request log. Not part of Waldur: a client under test must
//! not call them.
//!
//! - `POST /control/slurm-jobs/{uuid}/runtime/` with
//!   `{"state": "RUNNING", "report": {...}}` (`runtime_state` is accepted
//!   for `state`; `report` is optional, any JSON, and left as it was when
//!   absent or null) moves a FireCREST job as SLURM would: 200 with the job
//!   as `GET /api/slurm-jobs/{uuid}/` shows it, 404 for an unknown job,
//!   400 for a malformed body.
//! - `GET /control/summary/`: `{"orders": n, "resources": n,
//!   "slurm_jobs": n, "component_usages": n}`.
//! - `POST /control/tokens/` `{"token", "role": "consumer" | "staff",
//!   "username", "projects": [...]}` adds a token with a Waldur role.
//! - `POST /control/offering-types/` `{"types": [...]}` sets the installed
//!   plugins' offering types.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::respond::{created_json, ok_json};
use crate::api_error::{ApiError, ApiResult};
use crate::control::EmulatorState;
use crate::shared::AppState;
use crate::validate::{json_object, required_str};

/// DRF's token keys are 40 characters; room for test tokens.
const TOKEN_MAX: usize = 255;

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

/// `POST /control/tokens/`: adds a consumer or staff token.
pub async fn add_token(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_object(&body)?;
    if let Some(unknown) = body
        .keys()
        .find(|key| !matches!(key.as_str(), "token" | "role" | "username" | "projects"))
    {
        return Err(ApiError::field(unknown, "Unknown field."));
    }
    let token = required_str(&body, "token", TOKEN_MAX)?;
    if token.chars().any(char::is_whitespace) {
        return Err(ApiError::field("token", "A token has no whitespace."));
    }
    if token == state.token {
        return Err(ApiError::field("token", "This is the provider's token."));
    }
    let role = required_str(&body, "role", 20)?;
    let username = required_str(&body, "username", 128)?;
    let projects: Vec<String> = match body.get("projects") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::field("projects", "Not a valid string."))
            })
            .collect::<ApiResult<_>>()?,
        Some(_) => return Err(ApiError::field("projects", "Expected a list of items.")),
    };
    let emulator = EmulatorState::new(state);
    match role.as_str() {
        "consumer" => {
            let projects: Vec<&str> = projects.iter().map(String::as_str).collect();
            emulator.add_consumer_token(&token, &username, &projects);
        }
        "staff" if projects.is_empty() => emulator.add_staff_token(&token, &username),
        "staff" => {
            return Err(ApiError::field(
                "projects",
                "Staff sees every project; give no projects.",
            ))
        }
        _ => {
            return Err(ApiError::field(
                "role",
                format!("\"{role}\" is not a valid choice."),
            ))
        }
    }
    Ok(created_json(
        json!({ "token": token, "role": role, "username": username }),
    ))
}

/// `POST /control/offering-types/`: the installed plugins' types.
pub async fn set_offering_types(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let body = json_object(&body)?;
    let types: Vec<String> = match body.get("types") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .filter(|text| !text.trim().is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::field("types", "Not a valid string."))
            })
            .collect::<ApiResult<_>>()?,
        None | Some(Value::Null) => return Err(ApiError::required("types")),
        Some(_) => return Err(ApiError::field("types", "Expected a list of items.")),
    };
    let emulator = EmulatorState::new(state);
    let names: Vec<&str> = types.iter().map(String::as_str).collect();
    emulator.set_offering_types(&names);
    Ok(ok_json(json!({ "types": emulator.offering_types() })))
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
