//! Faults injected on demand, to test how a client copes with a bad day.

use std::sync::Mutex;
use std::time::Duration;

/// A failure to play on the next matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` (429, 500, 503, ...) without touching state, `n` times.
    Status(u16, u32),
    /// Answer 429 with `Retry-After: <whole seconds>` , `n` times.
    RetryAfter(Duration, u32),
    /// Wait this long before handling the request normally, `n` times. A
    /// client that times out first may still see the request take effect,
    /// as with a real slow server.
    Delay(Duration, u32),
    /// Close the socket without writing any response, `n` times.
    DropConnection(u32),
}

impl Fault {
    fn times(&self) -> u32 {
        match self {
            Self::Status(_, times)
            | Self::RetryAfter(_, times)
            | Self::Delay(_, times)
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
    Drop,
}

#[derive(Debug)]
struct ArmedFault {
    /// Path prefix relative to the API root (`marketplace-orders/`), or
    /// empty for every path.
    scope: String,
    fault: Fault,
    remaining: u32,
}

/// Armed faults, consumed first-in first-out by matching requests.
#[derive(Debug, Default)]
pub struct FaultBook {
    armed: Mutex<Vec<ArmedFault>>,
}

impl FaultBook {
    /// Arms `fault` for requests whose path starts with `scope`.
    pub fn arm(&self, scope: &str, fault: Fault) {
        let remaining = fault.times();
        if remaining == 0 {
            return;
        }
        self.lock().push(ArmedFault {
            scope: relative_path(scope).to_owned(),
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

    /// Takes one play of the first fault armed for `path`, if any.
    pub fn take(&self, path: &str) -> Option<FaultAction> {
        let path = relative_path(path);
        let mut armed = self.lock();
        let index = armed.iter().position(|a| path.starts_with(&a.scope))?;
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
            Fault::Delay(wait, _) => FaultAction::Delay(*wait),
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
        assert_eq!(book.take("/api/customers/"), Some(FaultAction::Drop));
        assert_eq!(book.take("/api/customers/"), None);
        for _ in 0..2 {
            assert_eq!(
                book.take("/api/marketplace-orders/abc/"),
                Some(FaultAction::Respond {
                    status: 503,
                    retry_after: None
                })
            );
        }
        assert_eq!(book.take("/api/marketplace-orders/abc/"), None);
        assert_eq!(book.pending(), 0);
    }

    #[test]
    fn zero_times_arms_nothing() {
        let book = FaultBook::default();
        book.arm("", Fault::Status(500, 0));
        assert_eq!(book.pending(), 0);
    }
}
