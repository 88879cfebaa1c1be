//! A typed async client for the Waldur marketplace REST API.
//!
//! It covers the endpoints the VirtEngine relayer needs (offerings, orders,
//! resources, component usages, customers, projects, SLURM allocations,
//! FireCREST SLURM jobs) and handles what every call shares: `Authorization: Token` auth,
//! `page`/`page_size` pagination over the `Link` header, a token-bucket
//! rate limit, and retries with jittered exponential backoff on 429, 5xx
//! and transport failures. A create Waldur cannot deduplicate (an order, a
//! terminate order, a SLURM job, an offering) is resent only after a
//! failure that proves the server did no work: a refused connection, a
//! 429, a 503 with `Retry-After` ([`retry::may_resend`]). A 409 state
//! conflict is surfaced as [`Error::Conflict`] so that the caller
//! re-reads the object.
//!
//! ```no_run
//! # async fn demo() -> Result<(), waldur::Error> {
//! use waldur::{Config, OrderFilter, OrderState, WaldurClient};
//!
//! let client = WaldurClient::new(Config::new("https://waldur.example/api/", "token-key"))?;
//! let pending = client
//!     .list_orders(&OrderFilter {
//!         states: vec![OrderState::PendingProvider],
//!         ..OrderFilter::default()
//!     })
//!     .await?;
//! for order in pending {
//!     if let Some(uuid) = order.uuid.as_deref() {
//!         client.approve_order_by_provider(uuid, None).await?;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

mod api;
mod client;
mod config;
mod error;
pub mod multipart;
pub mod pagination;
pub mod rate_limit;
pub mod retry;
mod transport;
pub mod types;

pub use api::CurrentUser;
pub use client::{ApiUrls, Page, WaldurClient};
pub use config::{ApiToken, Config};
pub use error::{Error, PENDING_ORDER_MESSAGE};
pub use types::*;
