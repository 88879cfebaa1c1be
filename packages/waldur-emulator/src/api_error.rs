//! Error answers shaped like Django REST framework's.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An error status with its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    /// 404 `{"detail": "Not found."}`.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            body: json!({ "detail": "Not found." }),
        }
    }

    /// 409 `{"detail": "Valid states for operation: a, b."}`, the text of
    /// Waldur's `IncorrectStateException`.
    pub fn wrong_state(valid_states: &[&str]) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            body: json!({
                "detail": format!("Valid states for operation: {}.", valid_states.join(", "))
            }),
        }
    }

    /// 400 `{"field": ["message"]}`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut body = serde_json::Map::new();
        body.insert(field.to_owned(), json!([message.into()]));
        Self {
            status: StatusCode::BAD_REQUEST,
            body: Value::Object(body),
        }
    }

    /// 400 with a bare list, as a `ValidationError` raised in a view gives.
    pub fn bare(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: json!([message.into()]),
        }
    }

    /// 400 `{"field": ["This field is required."]}`.
    pub fn required(field: &str) -> Self {
        Self::field(field, "This field is required.")
    }

    /// 403 with DRF's permission text.
    pub fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: json!({ "detail": "You do not have permission to perform this action." }),
        }
    }

    /// 405 `{"detail": ...}`, as `MethodNotAllowed` with a message gives
    /// (marketplace/views.py `OfferingTypeValidator`).
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            body: json!({ "detail": detail.into() }),
        }
    }

    /// 401 with DRF's `detail` text.
    pub fn unauthorized(detail: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "detail": detail }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // DRF names the scheme it expects.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Token"),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
