//! The listener, the per-connection loop and fault injection.
//!
//! Connections are served by hyper directly (not `axum::serve`) because a
//! dropped-connection fault must close the socket without any answer,
//! which is done by failing the hyper service for that request.

use std::convert::Infallible;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use axum::response::IntoResponse;

use crate::api_error::ApiError;
use crate::control::EmulatorState;
use crate::faults::{FaultAction, FaultBook};
use crate::model::Store;
use crate::shared::{AppState, RecordedRequest, Shared, CONTROL_PREFIX};

/// Entry point: `Emulator::start(token)`, or `Emulator::start_on(address,
/// token)` for a chosen loopback address.
#[derive(Debug, Clone, Copy)]
pub struct Emulator;

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves the API under `/api/`
    /// until the returned handle is dropped. Only this token is accepted.
    pub async fn start(token: impl Into<String>) -> std::io::Result<EmulatorHandle> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), token).await
    }

    /// As [`Emulator::start`], on `address` (port 0 picks a free port).
    /// The emulator is for loopback only: any other address (`0.0.0.0`, a
    /// LAN address) is refused with `ErrorKind::InvalidInput`.
    pub async fn start_on(
        address: SocketAddr,
        token: impl Into<String>,
    ) -> std::io::Result<EmulatorHandle> {
        if !address.ip().to_canonical().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "refusing to listen on {address}: the Waldur emulator serves \
                     loopback addresses only (127.0.0.0/8 or ::1)"
                ),
            ));
        }
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let origin = format!("http://{address}");
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            base_url: format!("{origin}/api/"),
            origin,
            token: token.into(),
            token_is_staff: std::sync::atomic::AtomicBool::new(false),
            other_tokens: Mutex::new(std::collections::BTreeMap::new()),
            offering_types: Mutex::new(
                crate::plugins::DEFAULT_OFFERING_TYPES
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect(),
            ),
            faults: FaultBook::default(),
            log: Mutex::new(Vec::new()),
        });
        let router = crate::routes::router(shared.clone());
        let server = tokio::spawn(accept_loop(listener, router, shared.clone()));
        Ok(EmulatorHandle {
            base_url: shared.base_url.clone(),
            address,
            state: EmulatorState::new(shared),
            server,
        })
    }
}

/// A running emulator. Dropping it stops the server and closes every
/// connection.
#[derive(Debug)]
pub struct EmulatorHandle {
    /// The API root, `http://127.0.0.1:<port>/api/`.
    pub base_url: String,
    /// The bound address (the real port when 0 was asked for).
    pub address: SocketAddr,
    /// Seeding, backend moves, fault injection and the request log.
    pub state: EmulatorState,
    server: JoinHandle<()>,
}

impl EmulatorHandle {
    /// Shorthand for `state.inject`: applies to every path.
    pub fn inject(&self, fault: crate::faults::Fault) {
        self.state.inject(fault);
    }

    /// Shorthand for `state.inject_at`.
    pub fn inject_at(&self, path_prefix: &str, fault: crate::faults::Fault) {
        self.state.inject_at(path_prefix, fault);
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DroppedByFault;

impl fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

async fn accept_loop(listener: TcpListener, router: Router, shared: AppState) {
    // Owning the connection tasks here means aborting this task (when the
    // handle is dropped) aborts them too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Out of file descriptors or similar: back off briefly.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                // Answers go out at once: without this, Nagle's algorithm
                // meets the client's delayed ACK and a request on a kept-alive
                // loopback connection waits about 40 ms.
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, router.clone(), shared.clone())
                    });
                    // Errors here are the client going away or an injected
                    // drop; neither concerns the server.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(
    request: Request<Incoming>,
    router: Router,
    shared: AppState,
) -> Result<Response<Body>, DroppedByFault> {
    // The emulator's own control endpoints are not part of the emulated
    // API: faults do not touch them and the request log leaves them out.
    if request.uri().path().starts_with(CONTROL_PREFIX) {
        return match router.oneshot(request.map(Body::new)).await {
            Ok(response) => Ok(response),
            Err(never) => match never {},
        };
    }
    shared.log().push(RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
    });
    let fault = shared
        .faults
        .take(request.method().as_str(), request.uri().path());
    match fault {
        Some(FaultAction::Drop) => return Err(DroppedByFault),
        Some(FaultAction::Respond {
            status,
            retry_after,
        }) => return Ok(fault_response(status, retry_after)),
        Some(FaultAction::Delay(wait)) => {
            // The whole request is read first, as a real server does
            // before it works on it: a client that gives up during the
            // wait still has its request carried out.
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(Body::new(body), usize::MAX)
                .await
                .map_err(|_| DroppedByFault)?;
            let request = Request::from_parts(parts, Body::from(bytes));
            // Its own task: hyper drops this future when the client
            // hangs up, the server's work must go on regardless.
            let work = tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            });
            return work.await.map_err(|_| DroppedByFault);
        }
        Some(FaultAction::AnswerLate(hold)) => {
            // The work is done before the wait, so a test can look at its
            // effect as soon as the client has given up.
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            tokio::time::sleep(hold).await;
            return Ok(response);
        }
        None => {}
    }
    let response: Result<Response<Body>, Infallible> = router.oneshot(request.map(Body::new)).await;
    match response {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}

/// The answer of an injected status: the body Waldur (DRF) gives for a
/// 4xx, a plain page for 5xx as a proxy or Django would send.
fn fault_response(status: u16, retry_after: Option<u64>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if status.is_client_error() {
        drf_client_error(status, retry_after).into_response()
    } else {
        server_error_page(status)
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(seconds));
    }
    response
}

/// DRF's default texts: `ValidationError` ("Invalid input.", rendered as
/// a bare list), `AuthenticationFailed` for an unknown token,
/// `PermissionDenied`, `NotFound`, Waldur's `IncorrectStateException`
/// (waldur_core/core/exceptions.py) and `Throttled`.
fn drf_client_error(status: StatusCode, retry_after: Option<u64>) -> ApiError {
    let body = match status.as_u16() {
        400 => serde_json::json!(["Invalid input."]),
        401 => return ApiError::unauthorized("Invalid token."),
        403 => return ApiError::forbidden(),
        404 => return ApiError::not_found(),
        409 => serde_json::json!({ "detail": "Cannot modify an object in its current state." }),
        429 => serde_json::json!({
            "detail": format!(
                "Request was throttled. Expected available in {} seconds.",
                retry_after.unwrap_or(1)
            )
        }),
        _ => serde_json::json!({
            "detail": status.canonical_reason().unwrap_or("Client error")
        }),
    };
    ApiError { status, body }
}

fn server_error_page(status: StatusCode) -> Response<Body> {
    let body = format!(
        "<h1>{}</h1>",
        status.canonical_reason().unwrap_or("Server Error")
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/html"));
    response
}
