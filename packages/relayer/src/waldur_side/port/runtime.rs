//! What the service loop and its health monitor ask of Waldur besides the
//! jobs: offering links for the engine's offering map, the client's
//! rate-limit figure, and a probe of the token.

use std::sync::Arc;

use futures_util::future::BoxFuture;

/// What the service loop itself reads from its Waldur client.
pub trait ServiceWaldur {
    /// The public offering link orders for this Waldur offering use.
    fn public_offering_link(&self, offering_uuid: &str) -> Result<String, waldur::Error>;
    /// 429 answers seen so far by this client and every clone of it.
    fn rate_limit_hits(&self) -> u64;
}

/// The health monitor's probe. Boxed futures: the monitor runs on a
/// spawned task and holds any probe as [`SharedWaldurProbe`], like the
/// chain's probe.
pub trait WaldurProbe: Send + Sync {
    /// One request that needs the token (`GET users/me/`).
    fn check_token(&self) -> BoxFuture<'_, Result<(), waldur::Error>>;
}

pub type SharedWaldurProbe = Arc<dyn WaldurProbe>;
