//! Errors of the Waldur client, one variant per way a call can fail.

use std::time::Duration;

/// Longest piece of a response body kept in an error message; Waldur can
/// answer a 5xx with a whole HTML page.
const BODY_EXCERPT_LEN: usize = 512;

/// Waldur's refusal of a second order for a resource (see
/// [`Error::is_pending_order`]).
pub const PENDING_ORDER_MESSAGE: &str = "Pending order for resource already exists.";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the token is missing, unknown or expired. Not retried.
    #[error("Waldur rejected the API token (401): {detail}")]
    Unauthorized { detail: String },

    /// 403: the token's user lacks the permission. Not retried.
    #[error("Waldur denied the operation (403): {detail}")]
    Forbidden { detail: String },

    /// 404: the object does not exist or is not visible to the token.
    #[error("Waldur object not found (404): {detail}")]
    NotFound { detail: String },

    /// 409: the object is in a state that forbids the operation, e.g.
    /// `Valid states for operation: pending-provider.`. Re-read the object
    /// and decide again; retrying blindly cannot succeed.
    #[error("Waldur state conflict (409), re-read the object: {detail}")]
    Conflict { detail: String },

    /// 429 on every attempt.
    #[error("Waldur rate limited every one of {attempts} attempts (429)")]
    RateLimited {
        attempts: u32,
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
    },

    /// 5xx on the last attempt.
    #[error("Waldur server error {status} after {attempts} attempts: {body}")]
    Server {
        status: u16,
        body: String,
        attempts: u32,
    },

    /// The connection failed or broke on the last attempt.
    #[error("network error talking to Waldur after {attempts} attempts: {message}")]
    Network { message: String, attempts: u32 },

    /// The last attempt exceeded the configured timeout.
    #[error("Waldur did not answer within the timeout ({attempts} attempts)")]
    Timeout { attempts: u32 },

    /// A 2xx answer whose body or headers this client cannot read.
    #[error("invalid response from Waldur: {0}")]
    InvalidResponse(String),

    /// 400: the server refused the request body or parameters. `body` is
    /// the DRF error document: `{"field": ["msg"]}`, `{"non_field_errors":
    /// [...]}` or a bare list of messages.
    #[error("Waldur rejected the request (400): {body}")]
    Validation { body: serde_json::Value },

    /// Any other 4xx (405, 413, ...). Not retried.
    #[error("unexpected HTTP status {status} from Waldur: {body}")]
    UnexpectedStatus { status: u16, body: String },

    /// The caller passed something that cannot be sent, e.g. a UUID with
    /// characters that would change the request path.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The configuration cannot produce a client (bad base URL, ...).
    #[error("invalid Waldur client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Maps a final (not retried) error status and its body to an error.
    pub fn from_status(status: u16, body: &[u8]) -> Self {
        match status {
            400 => Self::Validation {
                body: serde_json::from_slice(body)
                    .unwrap_or_else(|_| serde_json::Value::String(excerpt(body))),
            },
            401 => Self::Unauthorized {
                detail: detail_of(body),
            },
            403 => Self::Forbidden {
                detail: detail_of(body),
            },
            404 => Self::NotFound {
                detail: detail_of(body),
            },
            409 => Self::Conflict {
                detail: detail_of(body),
            },
            500..=599 => Self::Server {
                status,
                body: excerpt(body),
                attempts: 1,
            },
            _ => Self::UnexpectedStatus {
                status,
                body: excerpt(body),
            },
        }
    }

    /// True for failures that another attempt later may cure: the same set
    /// the client retries itself (429, 5xx, network, timeout).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Network { .. }
                | Self::Timeout { .. }
        )
    }

    /// Whether Waldur refused to create an order for a resource because
    /// another order of it is still pending or executing: a state to wait
    /// on, or the trace of an earlier attempt that did create one.
    ///
    /// Waldur answers this with 400 and a bare list, not 409: in
    /// waldur-mastermind `marketplace/serializers.py`, `validate_order`
    /// raises `ValidationError("Pending order for resource already
    /// exists.")` when `check_pending_order_exists` (an order in
    /// pending-consumer, pending-provider or executing) holds; the
    /// resource actions that make orders (`terminate`, `update_limits`,
    /// `switch_plan`) call it in `views.py` `create_resource_order`.
    pub fn is_pending_order(&self) -> bool {
        let Self::Validation { body } = self else {
            return false;
        };
        let said = |message: &serde_json::Value| {
            message
                .as_str()
                .is_some_and(|text| text.starts_with(PENDING_ORDER_MESSAGE))
        };
        match body {
            serde_json::Value::Array(messages) => messages.iter().any(said),
            serde_json::Value::Object(fields) => fields
                .values()
                .filter_map(serde_json::Value::as_array)
                .flatten()
                .any(said),
            message => said(message),
        }
    }

    /// The HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Validation { .. } => Some(400),
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::Conflict { .. } => Some(409),
            Self::RateLimited { .. } => Some(429),
            Self::Server { status, .. } | Self::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The `detail` of a DRF error document, or the body text itself.
fn detail_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            value
                .get("detail")
                .and_then(|d| d.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| excerpt(body))
}

/// The body as text, cut to a length fit for a log line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    match trimmed.char_indices().nth(BODY_EXCERPT_LEN) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_keeps_the_server_detail() {
        let error = Error::from_status(
            409,
            br#"{"detail": "Valid states for operation: pending-provider."}"#,
        );
        match &error {
            Error::Conflict { detail } => {
                assert_eq!(detail, "Valid states for operation: pending-provider.")
            }
            other => panic!("expected Conflict, got {other:?}"),
        }
        assert!(!error.is_transient());
        assert!(error.to_string().contains("re-read"));
    }

    #[test]
    fn auth_and_lookup_errors_map_to_their_variants() {
        let body = br#"{"detail": "Invalid token."}"#;
        assert!(
            matches!(Error::from_status(401, body), Error::Unauthorized { detail } if detail == "Invalid token.")
        );
        assert!(matches!(
            Error::from_status(403, b"{}"),
            Error::Forbidden { .. }
        ));
        assert!(
            matches!(Error::from_status(404, br#"{"detail":"Not found."}"#), Error::NotFound { detail } if detail == "Not found.")
        );
        assert!(matches!(
            Error::from_status(405, b""),
            Error::UnexpectedStatus { status: 405, .. }
        ));
        assert!(matches!(
            Error::from_status(502, b"<html>"),
            Error::Server { status: 502, .. }
        ));
    }

    #[test]
    fn validation_keeps_the_structured_body() {
        let error =
            Error::from_status(400, br#"{"resource": ["Resource is not in valid state."]}"#);
        match error {
            Error::Validation { body } => {
                assert_eq!(body["resource"][0], "Resource is not in valid state.")
            }
            other => panic!("expected Validation, got {other:?}"),
        }
        let error = Error::from_status(400, b"not json");
        assert!(matches!(error, Error::Validation { body } if body == "not json"));
    }

    #[test]
    fn a_pending_order_refusal_is_recognised_in_each_drf_shape() {
        let bare = Error::from_status(400, br#"["Pending order for resource already exists."]"#);
        assert!(bare.is_pending_order());
        let non_field = Error::from_status(
            400,
            br#"{"non_field_errors": ["Pending order for resource already exists."]}"#,
        );
        assert!(non_field.is_pending_order());
        let other = Error::from_status(400, br#"["Offering is not available."]"#);
        assert!(!other.is_pending_order());
        let conflict = Error::from_status(
            409,
            br#"{"detail": "Valid states for operation: OK, Erred."}"#,
        );
        assert!(!conflict.is_pending_order());
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(5000);
        let error = Error::from_status(500, body.as_bytes());
        assert!(error.to_string().len() < 700);
    }

    #[test]
    fn transient_classification() {
        assert!(Error::Timeout { attempts: 4 }.is_transient());
        assert!(Error::RateLimited {
            attempts: 4,
            retry_after: None
        }
        .is_transient());
        assert!(!Error::Unauthorized {
            detail: String::new()
        }
        .is_transient());
        assert!(!Error::Validation {
            body: serde_json::Value::Null
        }
        .is_transient());
    }
}
