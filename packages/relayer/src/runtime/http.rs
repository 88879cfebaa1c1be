//! The relayer's two HTTP listeners: Prometheus `/metrics` on one address,
//! `/healthz` and the admin API on another (so the admin API can stay on
//! loopback while metrics are scraped from outside).
//!
//! Admin routes (`/admin/...`) need `Authorization: Bearer <token>` when
//! an admin token is configured; `/healthz` never does (probes have none).
//! The handlers never touch the database: reads come from the telemetry,
//! actions go to the relayer loop over a channel.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::runtime::service::admin::AdminCommand;
use crate::runtime::service::error::ServiceError;
use crate::runtime::service::summary::ReprocessTarget;
use crate::runtime::telemetry::Telemetry;

/// The content type of the text exposition format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn metrics_router(telemetry: Arc<Telemetry>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(telemetry)
}

async fn metrics(State(telemetry): State<Arc<Telemetry>>) -> Response {
    (
        [(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)],
        telemetry.render_prometheus(),
    )
        .into_response()
}

#[derive(Clone)]
pub struct AdminState {
    pub telemetry: Arc<Telemetry>,
    pub commands: mpsc::Sender<AdminCommand>,
    pub token: Option<Arc<str>>,
}

pub fn admin_router(state: AdminState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/admin/status", get(status))
        .route("/admin/offering-sync/reconcile", post(reconcile))
        .route("/admin/dead-letters", get(dead_letters))
        .route("/admin/dead-letters/reprocess", post(reprocess))
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The refusal to send, if the request lacks the admin token.
fn refusal(state: &AdminState, headers: &HeaderMap) -> Option<Response> {
    let token = state.token.as_ref()?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if same_secret(given.as_bytes(), token.as_bytes()) {
        None
    } else {
        Some(error(
            StatusCode::UNAUTHORIZED,
            "admin API: missing or wrong bearer token",
        ))
    }
}

async fn healthz(State(state): State<AdminState>) -> Response {
    let health = state.telemetry.health(SystemTime::now());
    let status = if health.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    // The figures come along in both cases: a 503 should say how bad.
    (
        status,
        Json(json!({
            "status": if health.healthy { "ok" } else { "unhealthy" },
            "reason": health.reason,
            "last_success_age_seconds": health.last_success_age_seconds,
            "last_error": health.last_error,
            "pass_running_seconds": health.pass_running_seconds,
            "waldur": health.waldur,
            "chain": health.chain,
            "chain_height": health.chain_height,
            "fee_balance": health.fee_balance,
            "backlog": health.backlog,
        })),
    )
        .into_response()
}

async fn status(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if let Some(denied) = refusal(&state, &headers) {
        return denied;
    }
    let s = state.telemetry.snapshot();
    Json(json!({
        "outbox": s.outbox,
        "totals": s.totals,
        "waldur_errors": s.waldur_errors,
        "last_error": s.last_error,
        "offering_sync_enabled": s.offering_sync.is_some(),
        // The monitor's probes and backlog, as /healthz shows them.
        "health": state.telemetry.health(SystemTime::now()),
    }))
    .into_response()
}

/// Sends a command to the relayer loop and waits for its answer (it comes
/// after the pass in progress, if any).
async fn ask<T: serde::Serialize>(
    state: &AdminState,
    command: impl FnOnce(oneshot::Sender<Result<T, ServiceError>>) -> AdminCommand,
    refused: StatusCode,
) -> Response {
    let (reply, answer) = oneshot::channel();
    if state.commands.send(command(reply)).await.is_err() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the relayer loop has stopped",
        );
    }
    match answer.await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(failure)) => error(refused, failure.to_string()),
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the relayer loop stopped before answering",
        ),
    }
}

async fn reconcile(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if let Some(denied) = refusal(&state, &headers) {
        return denied;
    }
    // A disabled sync or a Waldur that cannot be reached: the server could
    // not do it, not a bad request.
    ask(
        &state,
        AdminCommand::Reconcile,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await
}

async fn dead_letters(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if let Some(denied) = refusal(&state, &headers) {
        return denied;
    }
    ask(
        &state,
        AdminCommand::DeadLetters,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await
}

/// Body: `{"id": "<callback or offering id>"}` or `{"all": true}`.
async fn reprocess(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Json(target): Json<ReprocessTarget>,
) -> Response {
    if let Some(denied) = refusal(&state, &headers) {
        return denied;
    }
    ask(
        &state,
        |reply| AdminCommand::Reprocess(target, reply),
        StatusCode::NOT_FOUND,
    )
    .await
}

/// Serves `router` on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            // A dropped sender also means stop.
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
