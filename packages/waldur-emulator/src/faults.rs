//! Faults injected on demand, to test how a client copes with a bad day.
//!
//! A fault is armed for a scope (a path prefix, or one method on one
//! endpoint with `*` standing for a UUID segment) and played on the next
//! matching requests, first armed first played.

use std::sync::Mutex;
use std::time::Duration;

/// A failure to play on the next matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` without touching state, `n` times. 4xx answers
    /// carry the body Waldur (Django REST framework) sends for that
    /// status; 5xx a plain page, as a proxy or Django would send.
    Status(u16, u32),
    /// Answer 429 with `Retry-After: <whole seconds>` , `n` times.
    RetryAfter(Duration, u32),
    /// Answer `status` (503, 429, ...) with `Retry-After: <whole seconds>`
    /// without touching state, `n` times.
    StatusRetryAfter(u16, Duration, u32),
    /// Wait this long before handling the request normally, `n` times. A
    /// client that times out first may still see the request take effect,
    /// as with a real slow server.
    Delay(Duration, u32),
    /// Carry the request out at once, then hold the answer this long, `n`
    /// times: a client whose timeout is shorter gives up on a request
    /// that took effect (the order IS created), with nothing left to wait
    /// for on the server side.
    LateAnswer(Duration, u32),
    /// Close the socket without writing any response (and without
    /// handling the request), `n` times.
    DropConnection(u32),
}

impl Fault {
    fn times(&self) -> u32 {
        match self {
            Self::Status(_, times)
            | Self::RetryAfter(_, times)
            | Self::StatusRetryAfter(_, _, times)
            | Self::Delay(_, times)
            | Self::LateAnswer(_, times)
            | Self::DropConnection(times) => *times,
        }
    }
}

/// What the server must do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    Respond {
        status: u16,
        retry_after: Option<u64>,
    },
    Delay(Duration),
    AnswerLate(Duration),
    Drop,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Every method, paths starting with this (relative to the API root;
    /// empty for every path).
    Prefix(String),
    /// One method on the paths matching this pattern segment by segment,
    /// `*` matching any one segment.
    Endpoint { method: String, pattern: String },
}

impl Scope {
    fn matches(&self, method: &str, path: &str) -> bool {
        match self {
            Scope::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Scope::Endpoint {
                method: wanted,
                pattern,
            } => {
                wanted.eq_ignore_ascii_case(method) && {
                    let mut want = pattern.split('/');
                    let mut have = path.split('/');
                    loop {
                        match (want.next(), have.next()) {
                            (None, None) => break true,
                            (Some(w), Some(h)) if w == "*" || w == h => {}
                            _ => break false,
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
struct ArmedFault {
    scope: Scope,
    fault: Fault,
    remaining: u32,
}

/// Armed faults, consumed first-in first-out by matching requests.
#[derive(Debug, Default)]
pub struct FaultBook {
    armed: Mutex<Vec<ArmedFault>>,
}

impl FaultBook {
    /// Arms `fault` for requests (any method) whose path starts with
    /// `scope`.
    pub fn arm(&self, scope: &str, fault: Fault) {
        self.push(Scope::Prefix(relative_path(scope).to_owned()), fault);
    }

    /// Arms `fault` for `method` requests to the endpoint `pattern`
    /// (`marketplace-orders/*/approve_by_provider/`).
    pub fn arm_endpoint(&self, method: &str, pattern: &str, fault: Fault) {
        self.push(
            Scope::Endpoint {
                method: method.to_owned(),
                pattern: relative_path(pattern).to_owned(),
            },
            fault,
        );
    }

    fn push(&self, scope: Scope, fault: Fault) {
        let remaining = fault.times();
        if remaining == 0 {
            return;
        }
        self.lock().push(ArmedFault {
            scope,
            fault,
            remaining,
        });
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Faults still to be played.
    pub fn pending(&self) -> u32 {
        self.lock().iter().map(|armed| armed.remaining).sum()
    }

    /// Takes one play of the first fault armed for this request, if any.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultAction> {
        let path = relative_path(path);
        let mut armed = self.lock();
        let index = armed.iter().position(|a| a.scope.matches(method, path))?;
        let entry = &mut armed[index];
        entry.remaining -= 1;
        let action = match &entry.fault {
            Fault::Status(status, _) => FaultAction::Respond {
                status: *status,
                retry_after: None,
            },
            Fault::RetryAfter(wait, _) => FaultAction::Respond {
                status: 429,
                retry_after: Some(wait.as_secs()),
            },
            Fault::StatusRetryAfter(status, wait, _) => FaultAction::Respond {
                status: *status,
                retry_after: Some(wait.as_secs()),
            },
            Fault::Delay(wait, _) => FaultAction::Delay(*wait),
            Fault::LateAnswer(wait, _) => FaultAction::AnswerLate(*wait),
            Fault::DropConnection(_) => FaultAction::Drop,
        };
        if entry.remaining == 0 {
            armed.remove(index);
        }
        Some(action)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ArmedFault>> {
        // The list stays consistent even if a holder panicked.
        self.armed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `/api/marketplace-orders/x/` and `marketplace-orders/x/` name the same
/// path: scopes may be written either way.
fn relative_path(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.strip_prefix("api/").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_and_by_scope() {
        let book = FaultBook::default();
        book.arm("marketplace-orders/", Fault::Status(503, 2));
        book.arm("", Fault::DropConnection(1));
        assert_eq!(book.pending(), 3);
        // A customers request skips the orders-only fault.
        assert_eq!(book.take("GET", "/api/customers/"), Some(FaultAction::Drop));
        assert_eq!(book.take("GET", "/api/customers/"), None);
        for _ in 0..2 {
            assert_eq!(
                book.take("POST", "/api/marketplace-orders/abc/"),
                Some(FaultAction::Respond {
                    status: 503,
                    retry_after: None
                })
            );
        }
        assert_eq!(book.take("GET", "/api/marketplace-orders/abc/"), None);
        assert_eq!(book.pending(), 0);
    }

    #[test]
    fn an_endpoint_scope_matches_one_method_and_the_whole_path() {
        let book = FaultBook::default();
        book.arm_endpoint(
            "POST",
            "marketplace-orders/*/approve_by_provider/",
            Fault::Status(409, 1),
        );
        book.arm_endpoint("POST", "/api/marketplace-orders/", Fault::Status(400, 1));
        // Neither the listing nor another action of an order matches.
        assert_eq!(book.take("GET", "/api/marketplace-orders/"), None);
        assert_eq!(
            book.take("POST", "/api/marketplace-orders/abc/set_backend_id/"),
            None
        );
        assert_eq!(
            book.take("GET", "/api/marketplace-orders/abc/approve_by_provider/"),
            None
        );
        assert_eq!(
            book.take("post", "/api/marketplace-orders/abc/approve_by_provider/"),
            Some(FaultAction::Respond {
                status: 409,
                retry_after: None
            })
        );
        assert_eq!(
            book.take("POST", "/api/marketplace-orders/"),
            Some(FaultAction::Respond {
                status: 400,
                retry_after: None
            })
        );
        assert_eq!(book.pending(), 0);
    }

    #[test]
    fn late_answers_and_retry_after_statuses_are_played() {
        let book = FaultBook::default();
        book.arm("", Fault::LateAnswer(Duration::from_secs(9), 1));
        book.arm("", Fault::StatusRetryAfter(503, Duration::from_secs(4), 1));
        assert_eq!(
            book.take("POST", "x/"),
            Some(FaultAction::AnswerLate(Duration::from_secs(9)))
        );
        assert_eq!(
            book.take("POST", "x/"),
            Some(FaultAction::Respond {
                status: 503,
                retry_after: Some(4)
            })
        );
    }

    #[test]
    fn zero_times_arms_nothing() {
        let book = FaultBook::default();
        book.arm("", Fault::Status(500, 0));
        assert_eq!(book.pending(), 0);
    }
}
