//! The state every handler shares (store, tokens, faults, request log),
//! kept apart from the server that builds it so the routes, the control
//! API and the site agent depend on it and not on the server.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::faults::FaultBook;
use crate::model::Store;
use crate::render::Renderer;
use crate::roles::{Caller, Role};

/// The emulator's own endpoints (not Waldur's) live under this path.
pub(crate) const CONTROL_PREFIX: &str = "/control/";

/// One request as the emulator received it, for test assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub store: Mutex<Store>,
    /// `http://127.0.0.1:<port>/api/`
    pub base_url: String,
    /// `http://127.0.0.1:<port>`
    pub origin: String,
    pub token: String,
    /// Whether the token's user is staff (`set_paused` needs it). Off by
    /// default: a provider's service account is not staff.
    pub token_is_staff: std::sync::atomic::AtomicBool,
    /// Consumer and staff tokens added by tests, with their roles.
    pub other_tokens: Mutex<std::collections::BTreeMap<String, Caller>>,
    /// The offering types of the installed plugins (Waldur's
    /// `plugins.manager.backends`); offerings of other types are refused.
    pub offering_types: Mutex<Vec<String>>,
    pub faults: FaultBook,
    pub log: Mutex<Vec<RecordedRequest>>,
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A handler that panicked cannot leave a record half-written: each
        // change is a single assignment or insert, so the data is usable.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn renderer<'a>(&'a self, store: &'a Store) -> Renderer<'a> {
        Renderer {
            base_url: &self.base_url,
            store,
        }
    }

    /// The caller a token stands for, `None` for an unknown token.
    pub fn caller_for(&self, key: &str) -> Option<Caller> {
        if key == self.token {
            let staff = self
                .token_is_staff
                .load(std::sync::atomic::Ordering::Relaxed);
            return Some(Caller {
                username: "provider".to_owned(),
                role: Role::Provider { staff },
            });
        }
        self.other_tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned()
    }

    /// Whether `offering_type` is one of the installed plugins' types.
    pub fn offering_type_installed(&self, offering_type: &str) -> bool {
        self.offering_types
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .any(|installed| installed == offering_type)
    }

    pub fn log(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub type AppState = Arc<Shared>;
