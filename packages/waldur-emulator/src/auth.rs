//! `Authorization: Token <key>` checking with DRF's 401 messages.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::roles::Role;
use crate::shared::AppState;

/// Lets the request through only with one of the emulator's tokens, and
/// hands the handlers the [`Caller`] it stands for.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    match check(header, |key| state.caller_for(key)) {
        // The emulator's own endpoints are the provider's: a consumer
        // token must not make itself staff.
        Ok(caller)
            if request
                .uri()
                .path()
                .starts_with(crate::shared::CONTROL_PREFIX)
                && !matches!(caller.role, Role::Provider { .. }) =>
        {
            ApiError::forbidden().into_response()
        }
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn check<T>(header: Option<&str>, lookup: impl Fn(&str) -> Option<T>) -> Result<T, ApiError> {
    const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
    let Some(header) = header else {
        return Err(ApiError::unauthorized(NOT_PROVIDED));
    };
    let mut words = header.split_whitespace();
    let scheme = words.next().unwrap_or_default();
    // Another scheme (Bearer, Basic) is simply not token authentication.
    if !scheme.eq_ignore_ascii_case("token") {
        return Err(ApiError::unauthorized(NOT_PROVIDED));
    }
    match (words.next(), words.next()) {
        // The wording ENDPOINTS.md records for Waldur.
        (None, _) => Err(ApiError::unauthorized(
            "Invalid token. No credentials provided.",
        )),
        (Some(_), Some(_)) => Err(ApiError::unauthorized(
            "Invalid token header. Token string should not contain spaces.",
        )),
        (Some(key), None) => lookup(key).ok_or_else(|| ApiError::unauthorized("Invalid token.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: Option<&str>, token: &str) -> Result<(), ApiError> {
        super::check(header, |key| (key == token).then_some(()))
    }

    fn detail(result: Result<(), ApiError>) -> String {
        result.unwrap_err().body["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn messages_follow_drf() {
        assert!(check(Some("Token abc"), "abc").is_ok());
        assert!(check(Some("token abc"), "abc").is_ok());
        assert_eq!(
            detail(check(None, "abc")),
            "Authentication credentials were not provided."
        );
        assert_eq!(
            detail(check(Some("Bearer abc"), "abc")),
            "Authentication credentials were not provided."
        );
        assert_eq!(detail(check(Some("Token xyz"), "abc")), "Invalid token.");
        assert!(detail(check(Some("Token"), "abc")).contains("No credentials provided"));
    }
}
