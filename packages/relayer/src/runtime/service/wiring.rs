//! From [`Settings`] to a running relayer: the database, the signing key,
//! the Waldur clients, the offering sync and ingest, the HTTP listeners.
//!
//! Chain-independent: [`build`] and [`serve`] take any `ChainClient`. Which
//! chain is used is decided in one place, [`connect_and_serve`]; the RPC
//! client is plugged in there.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use waldur::{Config as WaldurConfig, WaldurClient};

#[cfg(feature = "demo")]
use crate::chain::embedded::EmbeddedChain;
use crate::chain::keys;
use crate::chain::rpc::{RpcChain, RpcConfig};
use crate::chain::signer::Signer;
use crate::chain::ChainClient;
use crate::flows::engine::Engine;
use crate::runtime::audit::AuditLog;
use crate::runtime::config::{ChainSettings, RpcSettings, Settings};
use crate::runtime::http::{self, AdminState};
use crate::runtime::outbox::Outbox;
use crate::runtime::telemetry::Telemetry;
use crate::waldur_side::adapter::WaldurAdapter;
use crate::waldur_side::offering_ingest::OfferingIngest;
use crate::waldur_side::offering_sync::{OfferingReader, OfferingSync, OfferingSyncConfig};
use crate::waldur_side::port::offerings::OfferingSyncWaldur;
use crate::waldur_side::port::runtime::ServiceWaldur;

use super::audited::{AuditedChain, AuditedWaldur};
use super::monitor::{self, Monitor};
use super::{Relayer, Timing};

/// The embedded chain's funded accounts; the relayer serves `provider`.
#[cfg(feature = "demo")]
pub const EMBEDDED_ACCOUNTS: [&str; 2] = ["provider", "customer"];

/// The Waldur client policy from the settings (token, timeout).
pub fn waldur_config(settings: &Settings) -> WaldurConfig {
    let mut config = WaldurConfig::new(
        settings.waldur.base_url.clone(),
        settings.waldur.token.clone(),
    );
    config.timeout = settings.waldur.timeout;
    config.rate_limit_per_second = settings.waldur.rate_limit_per_second;
    config.burst = settings.waldur.rate_limit_burst;
    config
}

/// The provider the relayer signs for: configured, or the embedded
/// chain's provider account.
#[cfg(feature = "demo")]
pub fn provider_of(settings: &Settings, chain: &EmbeddedChain) -> String {
    settings
        .provider
        .clone()
        .unwrap_or_else(|| chain.addr(EMBEDDED_ACCOUNTS[0]).to_string())
}

/// Deploys the embedded chain and registers the relayer's key for the
/// provider (on a real chain the provider does that once, see `keys proof`).
#[cfg(feature = "demo")]
pub fn embedded_chain(settings: &Settings) -> anyhow::Result<EmbeddedChain> {
    let mut chain =
        EmbeddedChain::deploy(&EMBEDDED_ACCOUNTS).map_err(|e| anyhow!("embedded chain: {e}"))?;
    let seed = keys::load(&settings.key_file).map_err(|e| anyhow!("key_file: {e}"))?;
    let provider = chain.addr(EMBEDDED_ACCOUNTS[0]);
    if settings
        .provider
        .as_deref()
        .is_some_and(|p| p != provider.as_str())
    {
        bail!(
            "config `provider`: the embedded chain's provider is {provider}; leave `provider` unset or use that"
        );
    }
    let callback = chain.callback.clone();
    let register = Signer::new(
        seed,
        settings.key_id.clone(),
        provider.as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    )
    .register_message()
    .map_err(|e| anyhow!("config `key_id`: {e}"))?;
    chain
        .execute(&provider, &callback, &register, &[])
        .map_err(|e| anyhow!("registering the relayer key on the embedded chain: {e}"))?;
    Ok(chain)
}

/// The relayer on `chain`, for `provider`, as `settings` say.
pub fn build<C: ChainClient + OfferingReader>(
    chain: C,
    provider: &str,
    settings: &Settings,
    telemetry: Arc<Telemetry>,
    audit: AuditLog,
) -> anyhow::Result<Relayer<C, WaldurClient>> {
    if let Some(dir) = settings.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| anyhow!("config `db`: {}: {e}", dir.display()))?;
    }
    let outbox = Arc::new(
        Outbox::open(&settings.db, settings.max_retries)
            .map_err(|e| anyhow!("config `db`: {}: {e}", settings.db.display()))?,
    );
    let seed = keys::load(&settings.key_file).map_err(|e| anyhow!("config `key_file`: {e}"))?;
    let signer = Signer::new(
        seed,
        settings.key_id.clone(),
        provider,
        chain.chain_id(),
        chain.callback_contract(),
    );
    let waldur = waldur_config(settings);
    let client =
        WaldurClient::new(waldur.clone()).map_err(|e| anyhow!("config `waldur_base_url`: {e}"))?;
    let urls = client.urls();
    let project_url = urls
        .project(&settings.waldur.project_uuid)
        .map_err(|e| anyhow!("config `waldur_project_uuid`: {e}"))?;
    let offerings = settings
        .waldur
        .offering_map
        .iter()
        .map(|(chain_id, uuid)| {
            urls.public_offering(uuid)
                .map(|link| (chain_id.clone(), link))
                .map_err(|e| anyhow!("config `waldur_offering_map`: {chain_id}: {e}"))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let clusters = settings
        .waldur
        .cluster_map
        .iter()
        .map(|(cluster_id, uuid)| {
            urls.service_settings(uuid)
                .map(|link| (cluster_id.clone(), link))
                .map_err(|e| anyhow!("config `waldur_cluster_map`: {cluster_id}: {e}"))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let adapter = WaldurAdapter::new(client.clone(), project_url, offerings, outbox.clone())?
        .with_clusters(clusters)
        .accepting_terms_of_service(settings.waldur.accept_terms_of_service)
        .with_order_plan(settings.waldur.order_plan.clone());
    let offering_sync = match &settings.offering_sync {
        Some(s) => {
            let mut config = OfferingSyncConfig::new(provider, s.customer_uuid.clone());
            config.mapping.category_uuids = settings.waldur.category_map.clone();
            config.mapping.profiles = settings.waldur.category_profiles.clone();
            config.retry.max_retries = s.max_retries;
            Some(OfferingSync::new(config, client.clone(), outbox.clone())?)
        }
        None => None,
    };
    let ingest = settings.offering_ingest.as_ref().map(|s| {
        let mut ingest = OfferingIngest::new(
            client.clone(),
            s.customer_uuid.clone(),
            s.denom.clone(),
            s.denom_decimals,
            outbox.clone(),
        );
        // The category map read the other way round: Waldur -> chain.
        ingest.categories = settings
            .waldur
            .category_map
            .iter()
            .map(|(category, uuid)| (uuid.replace('-', "").to_ascii_lowercase(), *category))
            .collect();
        ingest
    });
    let engine = Engine {
        chain: AuditedChain::new(chain, audit.clone()),
        waldur: AuditedWaldur::new(adapter, audit.clone(), telemetry.clone()),
        signer,
        outbox,
    };
    let timing = Timing {
        poll: settings.poll_interval,
        reconcile: settings.offering_sync.as_ref().map(|s| s.interval),
        ingest: settings.offering_ingest.as_ref().map(|s| s.interval),
    };
    let mut relayer = Relayer::new(
        engine,
        offering_sync,
        ingest,
        client,
        telemetry,
        audit,
        timing,
    )?;
    // One attempt per probe: a dead Waldur shows at the next probe, not
    // after the client's retries and backoff.
    relayer.health_probe = Arc::new(
        WaldurClient::new(WaldurConfig {
            max_retries: 0,
            ..waldur
        })
        .map_err(|e| anyhow!("config `waldur_base_url`: {e}"))?,
    );
    Ok(relayer)
}

/// How long each HTTP server may take to finish its open requests at a
/// stop.
const SERVER_STOP_DEADLINE: Duration = Duration::from_secs(1);

/// The bound listeners, so callers (and tests, with port 0) know where.
pub struct Listeners {
    pub metrics: TcpListener,
    pub admin: TcpListener,
}

impl Listeners {
    pub async fn bind(settings: &Settings) -> anyhow::Result<Listeners> {
        let metrics = TcpListener::bind(settings.metrics_listen)
            .await
            .map_err(|e| anyhow!("config `metrics_listen` {}: {e}", settings.metrics_listen))?;
        let admin = TcpListener::bind(settings.admin_listen)
            .await
            .map_err(|e| anyhow!("config `admin_listen` {}: {e}", settings.admin_listen))?;
        Ok(Listeners { metrics, admin })
    }
}

/// Runs `relayer` with its HTTP servers until `shutdown`; the servers stop
/// after the loop. Returns the chain client.
pub async fn serve<C: ChainClient + OfferingReader, W: OfferingSyncWaldur + ServiceWaldur>(
    relayer: Relayer<C, W>,
    listeners: Listeners,
    admin_token: Option<String>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<C> {
    let audit = relayer.audit.clone();
    let (commands_tx, commands_rx) = mpsc::channel(16);
    let (servers_stop, servers_stopped) = watch::channel(false);
    let metrics_at = listeners.metrics.local_addr()?;
    let admin_at = listeners.admin.local_addr()?;
    let metrics_server = tokio::spawn(http::serve(
        listeners.metrics,
        http::metrics_router(relayer.telemetry.clone()),
        servers_stopped.clone(),
    ));
    let admin_server = tokio::spawn(http::serve(
        listeners.admin,
        http::admin_router(AdminState {
            telemetry: relayer.telemetry.clone(),
            commands: commands_tx,
            token: admin_token.map(Arc::from),
        }),
        servers_stopped.clone(),
    ));
    audit.info(
        "relayer.started",
        json!({
            "metrics_listen": metrics_at.to_string(),
            "admin_listen": admin_at.to_string(),
            "version": env!("CARGO_PKG_VERSION"),
        }),
    );
    let monitor = tokio::spawn(
        Monitor {
            waldur: relayer.health_probe.clone(),
            chain: relayer.engine.chain.probe(),
            outbox: Arc::downgrade(&relayer.engine.outbox),
            telemetry: relayer.telemetry.clone(),
            interval: monitor::probe_interval(relayer.timing.poll),
        }
        .run(servers_stopped),
    );
    let chain = relayer.run(commands_rx, shutdown).await;
    // Nobody is listening for the reply any more.
    let _ = servers_stop.send(true);
    // The monitor only reads: stopped at once, even mid-probe against a
    // Waldur that never answers (its strong hold on the outbox lasts one
    // synchronous read, never across an await).
    monitor.abort();
    if let Err(e) = monitor.await {
        if !e.is_cancelled() {
            audit.warn("monitor.stopped", json!({ "error": e.to_string() }));
        }
    }
    for mut server in [metrics_server, admin_server] {
        // A client that keeps a request open must not hold the stop.
        match tokio::time::timeout(SERVER_STOP_DEADLINE, &mut server).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => audit.warn("http.stopped", json!({ "error": e.to_string() })),
            Ok(Err(e)) => audit.warn("http.stopped", json!({ "error": e.to_string() })),
            Err(_) => {
                server.abort();
                audit.warn(
                    "http.stopped",
                    json!({ "error": "open connections closed at the stop deadline" }),
                );
            }
        }
    }
    Ok(chain)
}

/// A daemon build carries no in-process chain: that is the `demo` feature.
#[cfg(not(feature = "demo"))]
const NO_EMBEDDED_CHAIN: &str = "chain = \"embedded\" needs a build with the `demo` feature \
    (cargo build -p ve-relayer --features demo); a daemon talks to a node: chain = \"rpc\"";

/// The one place that picks the chain client from the settings.
pub async fn connect_and_serve(
    settings: &Settings,
    telemetry: Arc<Telemetry>,
    audit: AuditLog,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    match &settings.chain {
        #[cfg(feature = "demo")]
        ChainSettings::Embedded => {
            let chain = embedded_chain(settings)?;
            let provider = provider_of(settings, &chain);
            let relayer = build(chain, &provider, settings, telemetry, audit)?;
            let listeners = Listeners::bind(settings).await?;
            serve(relayer, listeners, settings.admin_token.clone(), shutdown).await?;
            Ok(())
        }
        #[cfg(not(feature = "demo"))]
        ChainSettings::Embedded => bail!(NO_EMBEDDED_CHAIN),
        ChainSettings::Rpc(rpc) => {
            let chain = rpc_chain(rpc).await?;
            let provider = rpc_provider(settings)?;
            let relayer = build(chain, &provider, settings, telemetry, audit)?;
            let listeners = Listeners::bind(settings).await?;
            serve(relayer, listeners, settings.admin_token.clone(), shutdown).await?;
            Ok(())
        }
    }
}

/// One reconcile pass on the configured chain, for `ve-relayer reconcile`.
pub async fn reconcile_once(
    settings: &Settings,
    audit: AuditLog,
) -> anyhow::Result<super::summary::ReconcileSummary> {
    if settings.offering_sync.is_none() {
        bail!(
            "the offering sync is disabled: set waldur_offering_sync_enabled (and waldur_customer_uuid)"
        );
    }
    let telemetry = Arc::new(Telemetry::new(
        settings.poll_interval,
        settings.health_intervals,
    ));
    match &settings.chain {
        #[cfg(feature = "demo")]
        ChainSettings::Embedded => {
            let chain = embedded_chain(settings)?;
            let provider = provider_of(settings, &chain);
            let mut relayer = build(chain, &provider, settings, telemetry, audit)?;
            Ok(relayer.reconcile().await?)
        }
        #[cfg(not(feature = "demo"))]
        ChainSettings::Embedded => bail!(NO_EMBEDDED_CHAIN),
        ChainSettings::Rpc(rpc) => {
            let chain = rpc_chain(rpc).await?;
            let provider = rpc_provider(settings)?;
            let mut relayer = build(chain, &provider, settings, telemetry, audit)?;
            Ok(relayer.reconcile().await?)
        }
    }
}

/// Connects to the node of the `[rpc]` settings (the node must report the
/// configured chain id).
async fn rpc_chain(rpc: &RpcSettings) -> anyhow::Result<RpcChain> {
    let config: RpcConfig =
        serde_json::from_value(rpc.client_config()).map_err(|e| anyhow!("[rpc] settings: {e}"))?;
    RpcChain::connect(config)
        .await
        .map_err(|e| anyhow!("chain node {}: {e}", rpc.node))
}

/// The provider whose allocations the relayer serves (validated as set
/// for `chain = "rpc"`).
fn rpc_provider(settings: &Settings) -> anyhow::Result<String> {
    settings
        .provider
        .clone()
        .ok_or_else(|| anyhow!("provider: required with chain = \"rpc\""))
}
