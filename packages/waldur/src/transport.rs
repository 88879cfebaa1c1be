//! One HTTP exchange with retries, rate limiting and authentication.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use url::Url;

use crate::config::Config;
use crate::error::{excerpt, Error};
use crate::rate_limit::TokenBucket;
use crate::retry::{
    classify_status, may_resend, parse_retry_after, Backoff, ResendPolicy, StatusVerdict,
    TransientFailure,
};

/// A successful (2xx) answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A request ready to be sent, possibly several times.
pub(crate) struct Request<'a> {
    pub method: Method,
    /// Relative to the API root, without a leading slash, ending in `/`.
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: Option<Body>,
    /// Which failures the request may be sent again after (see
    /// [`ResendPolicy`]).
    pub resend: ResendPolicy,
}

/// A request body and its media type.
pub(crate) struct Body {
    pub content_type: HeaderValue,
    pub bytes: Vec<u8>,
}

impl Body {
    pub fn json(bytes: Vec<u8>) -> Self {
        Self {
            content_type: HeaderValue::from_static("application/json"),
            bytes,
        }
    }
}

/// Why the last attempt failed, kept to build the final error.
enum Failure {
    Status {
        status: u16,
        body: Vec<u8>,
        retry_after: Option<Duration>,
    },
    /// No connection was made: the request never left.
    NotConnected(String),
    /// The exchange broke after the request may have been sent.
    Network(String),
    Timeout,
}

impl Failure {
    fn kind(&self) -> TransientFailure {
        match self {
            Failure::NotConnected(_) => TransientFailure::NotConnected,
            Failure::Status { status: 429, .. } => TransientFailure::Throttled,
            Failure::Status {
                status: 503,
                retry_after: Some(_),
                ..
            } => TransientFailure::UnavailableRetryAfter,
            Failure::Status { .. } => TransientFailure::ServerError,
            Failure::Network(_) | Failure::Timeout => TransientFailure::LostAfterSending,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    authorization: HeaderValue,
    limiter: TokenBucket,
    backoff: Backoff,
    max_retries: u32,
    /// 429 answers seen, retried ones included: shared by every clone of
    /// the client (they share the transport), read for monitoring.
    rate_limit_hits: AtomicU64,
}

impl Transport {
    pub fn new(config: &Config) -> Result<Self, Error> {
        let base_url = parse_base_url(&config.base_url)?;
        let mut authorization = HeaderValue::from_str(&format!("Token {}", config.token.expose()))
            .map_err(|_| {
                Error::Config("the API token contains characters not allowed in a header".into())
            })?;
        // Keeps the value out of reqwest's and hyper's debug output.
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|error| Error::Config(format!("cannot build the HTTP client: {error}")))?;
        Ok(Self {
            http,
            base_url,
            authorization,
            limiter: TokenBucket::new(config.rate_limit_per_second, config.burst),
            backoff: Backoff {
                wait_min: config.retry_wait_min,
                wait_max: config.retry_wait_max,
            },
            max_retries: config.max_retries,
            rate_limit_hits: AtomicU64::new(0),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn rate_limit_hits(&self) -> u64 {
        self.rate_limit_hits.load(Ordering::Relaxed)
    }

    /// Sends `request`, retrying transient failures, and returns the first
    /// 2xx answer or the error that ended the attempts.
    pub async fn execute(&self, request: Request<'_>) -> Result<Answer, Error> {
        let url = self.base_url.join(request.path).map_err(|error| {
            Error::InvalidArgument(format!("bad path {:?}: {error}", request.path))
        })?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.limiter.acquire().await;
            let failure = match self.attempt(&request, &url).await {
                Ok(answer) if answer.status == 429 => {
                    self.rate_limit_hits.fetch_add(1, Ordering::Relaxed);
                    Failure::Status {
                        status: answer.status,
                        retry_after: retry_after_of(&answer.headers),
                        body: answer.body,
                    }
                }
                Ok(answer) => match classify_status(answer.status) {
                    StatusVerdict::Success => return Ok(answer),
                    StatusVerdict::Fail => {
                        return Err(Error::from_status(answer.status, &answer.body))
                    }
                    StatusVerdict::Retry => Failure::Status {
                        status: answer.status,
                        retry_after: retry_after_of(&answer.headers),
                        body: answer.body,
                    },
                },
                Err(failure) => failure,
            };
            if attempts > self.max_retries || !may_resend(failure.kind(), request.resend) {
                return Err(final_error(failure, attempts));
            }
            let retry_after = match &failure {
                Failure::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let wait = self
                .backoff
                .delay(attempts - 1, fastrand::f64(), retry_after);
            tracing::warn!(
                method = %request.method,
                path = request.path,
                attempt = attempts,
                reason = %describe(&failure),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "transient Waldur failure, retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One send; any HTTP status is an `Ok`, transport trouble an `Err`.
    async fn attempt(&self, request: &Request<'_>, url: &Url) -> Result<Answer, Failure> {
        let mut builder = self
            .http
            .request(request.method.clone(), url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .query(request.query);
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type.clone())
                .body(body.bytes.clone());
        }
        let response = builder.send().await.map_err(transport_failure)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport_failure)?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn retry_after_of(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_retry_after)
}

/// Accepts the API root with or without its trailing slash; without one,
/// `Url::join` would drop the last path segment (`/api` + `orders/` gives
/// `/orders/`).
fn parse_base_url(raw: &str) -> Result<Url, Error> {
    let with_slash = if raw.ends_with('/') {
        raw.to_owned()
    } else {
        format!("{raw}/")
    };
    let url = Url::parse(&with_slash)
        .map_err(|error| Error::Config(format!("base_url {raw:?} is not a URL: {error}")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(Error::Config(format!(
            "base_url must be http or https, not {other}"
        ))),
    }
}

fn transport_failure(error: reqwest::Error) -> Failure {
    // Checked first: a connect timeout is both, and nothing was sent.
    let not_connected = error.is_connect();
    if error.is_timeout() && !not_connected {
        return Failure::Timeout;
    }
    // reqwest's top-level message is terse ("error sending request");
    // the causes say what actually happened (refused, reset, closed).
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    if not_connected {
        Failure::NotConnected(message)
    } else {
        Failure::Network(message)
    }
}

fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Status { status, .. } => format!("HTTP {status}"),
        Failure::NotConnected(message) | Failure::Network(message) => message.clone(),
        Failure::Timeout => "timeout".to_owned(),
    }
}

fn final_error(failure: Failure, attempts: u32) -> Error {
    match failure {
        Failure::Status {
            status: 429,
            retry_after,
            ..
        } => Error::RateLimited {
            attempts,
            retry_after,
        },
        Failure::Status { status, body, .. } => Error::Server {
            status,
            body: excerpt(&body),
            attempts,
        },
        Failure::NotConnected(message) | Failure::Network(message) => {
            Error::Network { message, attempts }
        }
        Failure::Timeout => Error::Timeout { attempts },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_its_trailing_slash() {
        let url = parse_base_url("https://w.example/api").unwrap();
        assert_eq!(
            url.join("marketplace-orders/").unwrap().as_str(),
            "https://w.example/api/marketplace-orders/"
        );
        assert!(parse_base_url("ftp://w.example/api/").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn failures_are_sorted_by_whether_the_server_may_have_acted() {
        let status = |status, retry_after| Failure::Status {
            status,
            body: Vec::new(),
            retry_after,
        };
        let later = Some(Duration::from_secs(3));
        assert_eq!(
            Failure::NotConnected("refused".into()).kind(),
            TransientFailure::NotConnected
        );
        assert_eq!(status(429, None).kind(), TransientFailure::Throttled);
        assert_eq!(status(429, later).kind(), TransientFailure::Throttled);
        assert_eq!(
            status(503, later).kind(),
            TransientFailure::UnavailableRetryAfter
        );
        for (code, retry_after) in [(503, None), (500, later), (502, None), (504, None)] {
            assert_eq!(
                status(code, retry_after).kind(),
                TransientFailure::ServerError,
                "{code}"
            );
        }
        assert_eq!(
            Failure::Network("reset".into()).kind(),
            TransientFailure::LostAfterSending
        );
        assert_eq!(Failure::Timeout.kind(), TransientFailure::LostAfterSending);
    }

    #[test]
    fn exhausted_retries_name_the_last_failure() {
        let error = final_error(
            Failure::Status {
                status: 429,
                body: Vec::new(),
                retry_after: Some(Duration::from_secs(2)),
            },
            4,
        );
        assert!(matches!(
            error,
            Error::RateLimited {
                attempts: 4,
                retry_after: Some(_)
            }
        ));
        let error = final_error(
            Failure::Status {
                status: 503,
                body: b"busy".to_vec(),
                retry_after: None,
            },
            4,
        );
        assert!(matches!(
            error,
            Error::Server {
                status: 503,
                attempts: 4,
                ..
            }
        ));
        assert!(matches!(
            final_error(Failure::Timeout, 2),
            Error::Timeout { attempts: 2 }
        ));
    }
}
