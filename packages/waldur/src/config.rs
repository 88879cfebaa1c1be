//! Client configuration.

use std::fmt;
use std::time::Duration;

/// A Waldur API token. Its `Debug` output never shows the key, so a config
/// or error that embeds it can be logged safely.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The raw key, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl From<&str> for ApiToken {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiToken {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

/// How the client talks to one Waldur.
///
/// The defaults follow the provider-daemon policy of the seed documents:
/// 30 s timeout, 3 retries waiting 1 s to 30 s, 10 requests per second
/// with a burst of 10.
#[derive(Clone)]
pub struct Config {
    /// The API root, e.g. `https://waldur.example.org/api/`. A missing
    /// trailing slash is added.
    pub base_url: String,
    /// Sent as `Authorization: Token <key>`.
    pub token: ApiToken,
    /// Per attempt, covering connect, send and reading the body.
    pub timeout: Duration,
    /// Extra attempts after the first one for transient failures.
    pub max_retries: u32,
    /// Floor of the backoff between attempts.
    pub retry_wait_min: Duration,
    /// Ceiling of the backoff, and of an honoured `Retry-After`.
    pub retry_wait_max: Duration,
    /// Steady request rate of the token bucket; 0 or less disables it.
    pub rate_limit_per_second: f64,
    /// Requests that may go out at once after an idle period.
    pub burst: u32,
    pub user_agent: String,
    /// `page_size` of list requests; Waldur clients treat 100 as the maximum.
    pub page_size: u32,
}

impl Config {
    /// The default policy for one Waldur at `base_url`.
    pub fn new(base_url: impl Into<String>, token: impl Into<ApiToken>) -> Self {
        Self {
            base_url: base_url.into(),
            token: token.into(),
            timeout: Duration::from_secs(30),
            max_retries: 3,
            retry_wait_min: Duration::from_secs(1),
            retry_wait_max: Duration::from_secs(30),
            rate_limit_per_second: 10.0,
            burst: 10,
            user_agent: concat!("VirtEngine-Relayer/", env!("CARGO_PKG_VERSION")).to_owned(),
            page_size: 100,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand so that a future field holding a secret is a
        // conscious decision; the token is shown only as redacted.
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_wait_min", &self.retry_wait_min)
            .field("retry_wait_max", &self.retry_wait_max)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("burst", &self.burst)
            .field("user_agent", &self.user_agent)
            .field("page_size", &self.page_size)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn debug_output_never_contains_the_token() {
        let config = Config::new("https://waldur.example/api/", KEY);
        let shown = format!("{config:?} {:#?} {:?}", config, config.token);
        assert!(!shown.contains(KEY), "token leaked: {shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn defaults_follow_the_seed_policy() {
        let config = Config::new("https://waldur.example/api/", KEY);
        assert_eq!(config.max_retries, 3);
        assert_eq!(config.retry_wait_min, Duration::from_secs(1));
        assert_eq!(config.retry_wait_max, Duration::from_secs(30));
        assert_eq!(config.rate_limit_per_second, 10.0);
        assert_eq!(config.burst, 10);
        assert_eq!(config.page_size, 100);
    }
}
