//! `ve-relayer run` in process, on the embedded chain and the Waldur
//! emulator: the metrics after a pass, /healthz, the admin reconcile after
//! a change made in Waldur behind the relayer's back, the admin token, the
//! audit log's lines, and a clean stop followed by a restart that carries
//! on from the checkpoint.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmwasm_std::Addr;
use serde_json::Value;
use tokio::sync::watch;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::keys;
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::{ChainClient, ChainError, ContractEvent};
use ve_relayer::runtime::audit::{AuditLog, LogFormat, MemorySink};
use ve_relayer::runtime::config::{FileConfig, RunArgs, Secrets, Settings};
use ve_relayer::runtime::outbox::{Outbox, CHECKPOINT};
use ve_relayer::runtime::service::wiring::{self, Listeners};
use ve_relayer::runtime::telemetry::{Telemetry, WALDUR_METRIC_NAMES};
use ve_relayer::waldur_side::offering_sync::{OfferingReader, METRIC_NAMES};
use ve_testing::{hourly_offering, OrderFlow};
use waldur::{
    Config, OfferingCreateRequest, OfferingFilter, OfferingOverviewUpdate, PlanRequest,
    WaldurClient,
};
use waldur_callback::msg::{CallbackOutcome, SignedCallback};
use waldur_emulator::{Emulator, EmulatorHandle, Fault};

const TOKEN: &str = "service-token";
const ADMIN_TOKEN: &str = "admin-secret-1";

/// The embedded chain, which the test can take down (every read fails
/// as if the node were unreachable).
struct SwitchableChain {
    inner: EmbeddedChain,
    down: Arc<AtomicBool>,
    /// Reads work, transactions do not (e.g. the fee account is empty).
    unfunded: Arc<AtomicBool>,
}

impl SwitchableChain {
    fn check(&self) -> Result<(), ChainError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        Ok(())
    }
}

impl ChainClient for SwitchableChain {
    fn chain_id(&self) -> String {
        self.inner.chain_id()
    }
    fn callback_contract(&self) -> String {
        self.inner.callback_contract()
    }
    fn first_height(&self) -> u64 {
        self.inner.first_height()
    }
    fn max_callbacks_per_tx(&self) -> usize {
        self.inner.max_callbacks_per_tx()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.check()?;
        self.inner.latest_height().await
    }
    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        self.check()?;
        self.inner.events(from, to).await
    }
    async fn submit_callbacks(
        &mut self,
        callbacks: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        self.check()?;
        if self.unfunded.load(Ordering::SeqCst) {
            return Err(ChainError::Unavailable(
                "insufficient funds: 0uvirt is smaller than 4013uvirt".into(),
            ));
        }
        self.inner.submit_callbacks(callbacks).await
    }
    fn now(&self) -> u64 {
        self.inner.now()
    }
    async fn usage_summary(
        &self,
        allocation_id: &str,
    ) -> Result<Vec<ve_relayer::chain::BilledUsage>, ChainError> {
        self.check()?;
        self.inner.usage_summary(allocation_id).await
    }
}

impl OfferingReader for SwitchableChain {
    async fn query_marketplace<T: serde::de::DeserializeOwned>(
        &self,
        query: &marketplace::msg::QueryMsg,
    ) -> Result<T, ChainError> {
        self.check()?;
        self.inner.query_marketplace(query).await
    }
}

struct World {
    waldur: EmulatorHandle,
    customer_uuid: String,
    project_uuid: String,
    compute_uuid: String,
    chain: EmbeddedChain,
    provider: Addr,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let waldur = Emulator::start(TOKEN).await.expect("emulator");
        // Only staff activates a Draft offering: the synced offerings
        // become Active in one pass when the relayer's user is staff.
        waldur.state.set_token_is_staff(true);
        let customer_org = waldur.state.seed_customer("Provider Org");
        let project = waldur
            .state
            .seed_project(&customer_org.uuid, "VirtEngine")
            .expect("project");
        let compute = waldur.state.seed_category("Compute");
        let dir = tempfile::tempdir().expect("tempdir");
        let seed = keys::generate(&dir.path().join("signer.key")).expect("key");
        let mut chain = EmbeddedChain::deploy(&["provider", "customer"]).expect("chain");
        let provider = chain.addr("provider");
        let callback = chain.callback.clone();
        let register = Signer::new(
            seed,
            "relayer-1",
            provider.as_str(),
            chain.chain_id(),
            chain.callback_contract(),
        )
        .register_message()
        .expect("key proof");
        chain
            .execute(&provider, &callback, &register, &[])
            .expect("register the relayer key");
        World {
            customer_uuid: customer_org.uuid,
            project_uuid: project.uuid,
            compute_uuid: compute.uuid,
            waldur,
            chain,
            provider,
            dir,
        }
    }

    fn settings(&self, extra: &str) -> Settings {
        let categories = self.dir.path().join("categories.json");
        std::fs::write(
            &categories,
            format!(r#"{{"compute": "{}"}}"#, self.compute_uuid),
        )
        .expect("category map");
        let text = format!(
            r#"
db = "{db}"
key_file = "{key}"
poll_interval = 0.1
health_intervals = 3
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{base}"
waldur_project_uuid = "{project}"
waldur_customer_uuid = "{customer}"
waldur_category_map = "{categories}"
waldur_offering_sync_enabled = true
# Long: the tests trigger reconciles themselves.
waldur_offering_sync_interval = 3600
{extra}
"#,
            db = self.dir.path().join("relayer.redb").display(),
            key = self.dir.path().join("signer.key").display(),
            base = self.waldur.base_url,
            project = self.project_uuid,
            customer = self.customer_uuid,
            categories = categories.display(),
        );
        let file = FileConfig::parse(&text).expect("config file");
        let secrets = Secrets {
            waldur_token: Some(TOKEN.into()),
            admin_token: Some(ADMIN_TOKEN.into()),
        };
        Settings::resolve(RunArgs::default(), file, secrets).expect("settings")
    }

    fn create_offering(&mut self) -> String {
        self.create_offering_in(ve_types::Category::Compute)
    }

    fn create_offering_in(&mut self, category: ve_types::Category) -> String {
        let provider = self.provider.clone();
        let mut offering = hourly_offering("Compute", 1_000);
        offering.description = "General-purpose compute".into();
        offering.category = category;
        self.chain
            .create_offering(&provider, offering)
            .expect("create offering")
    }

    /// Order, bid, accept on `offering`: an allocation for the relayer.
    fn allocate(chain: &mut EmbeddedChain, offering: &str) -> String {
        let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
        chain
            .allocate(&customer, &provider, offering, 1_000)
            .expect("allocation")
    }

    fn client(&self) -> WaldurClient {
        let mut config = Config::new(self.waldur.base_url.clone(), TOKEN);
        config.rate_limit_per_second = 0.0;
        WaldurClient::new(config).expect("client")
    }
}

fn json_log() -> (AuditLog, MemorySink) {
    AuditLog::memory(LogFormat::Json)
}

/// The value of an unlabelled sample in a Prometheus exposition.
fn sample(exposition: &str, name: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
        rest.parse().ok()
    })
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(6);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client")
}

async fn get(url: String) -> (u16, String) {
    let res = http().get(url).send().await.expect("GET");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

async fn post(url: String, token: Option<&str>) -> (u16, Value) {
    let mut req = http().post(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("POST");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

fn log_lines(sink: &MemorySink) -> Vec<Value> {
    sink.contents()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn events<'a>(lines: &'a [Value], event: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["event"] == event).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn a_pass_shows_in_the_metrics_and_the_audit_log() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    let allocation = World::allocate(&mut w.chain, &offering);
    let settings = w.settings("");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let (audit, sink) = json_log();
    let chain = std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare"));
    // The pass reads up to here; the block its callbacks land in is next.
    let checkpoint = chain.latest_height().await.expect("height");
    let provider = w.provider.to_string();
    let mut relayer =
        wiring::build(chain, &provider, &settings, telemetry.clone(), audit).expect("relayer");

    let report = relayer.pass().await.expect("pass");
    assert_eq!(report.events_handled, 1, "{report:?}");
    assert_eq!(
        relayer.chain().latest_height().await.expect("height"),
        checkpoint + 1,
        "one block of callbacks"
    );

    // Served over HTTP, as Prometheus scrapes it.
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let metrics_at = listeners.metrics.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(ve_relayer::runtime::http::serve(
        listeners.metrics,
        ve_relayer::runtime::http::metrics_router(telemetry.clone()),
        stopped,
    ));
    let res = http()
        .get(format!("http://{metrics_at}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = res.text().await.expect("body");
    let _ = stop.send(true);
    let _ = server.await;

    for name in METRIC_NAMES {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{text}"
        );
    }
    let expect = |name: &str, value: f64| {
        assert_eq!(sample(&text, name), Some(value), "{name} in\n{text}");
    };
    // The offering was synced to Waldur (created), then the allocation
    // ordered on it: accepted + provisioning callbacks.
    expect("offering_sync_total", 1.0);
    expect("offering_sync_successful_total", 1.0);
    expect("offering_sync_events_received_total", 1.0);
    expect("offering_sync_queue_depth", 0.0);
    expect("ve_relayer_events_handled_total", 1.0);
    expect("ve_relayer_callbacks_queued_total", 2.0);
    expect("ve_relayer_callbacks_confirmed_total", 2.0);
    expect("ve_relayer_outbox_pending", 0.0);
    expect("ve_relayer_outbox_done", 2.0);
    expect("ve_relayer_outbox_dead_letters", 0.0);
    expect("ve_relayer_checkpoint_height", checkpoint as f64);
    expect(
        "ve_relayer_offering_sync_checkpoint_height",
        checkpoint as f64,
    );
    expect("ve_relayer_step_duration_seconds_count", 1.0);
    assert!(
        text.contains("ve_relayer_steps_total{result=\"success\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("ve_relayer_waldur_errors_total{source=\"engine\"} 0\n"));
    assert!(sample(&text, "ve_relayer_last_success_timestamp_seconds").is_some_and(|t| t > 1.7e9));

    // Every action is one JSON line with the fixed fields and its ids.
    let lines = log_lines(&sink);
    for line in &lines {
        for key in ["timestamp", "level", "event"] {
            assert!(line[key].is_string(), "{key} missing in {line}");
        }
    }
    let synced = events(&lines, "offering_sync.sync");
    assert_eq!(synced.len(), 1, "{lines:#?}");
    assert_eq!(synced[0]["offering_id"], offering.as_str());
    assert_eq!(synced[0]["action"], "created");
    assert_eq!(synced[0]["success"], true);
    assert!(synced[0]["checksum"]
        .as_str()
        .is_some_and(|c| c.starts_with("sha256:")));
    let provision = events(&lines, "waldur.provision");
    assert_eq!(provision.len(), 1);
    assert_eq!(provision[0]["allocation_id"], allocation.as_str());
    assert!(provision[0]["order_uuid"].is_string());
    // The order on the synced offering (Marketplace.Basic) carries its
    // plan and the quantity as the limit of its only `limit` component.
    let orders = w.waldur.state.orders_json();
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0]["offering_type"], "Marketplace.Basic");
    assert!(orders[0]["plan_uuid"].is_string(), "{:#?}", orders[0]);
    assert_eq!(orders[0]["limits"], serde_json::json!({ "ve-quantity": 1 }));
    let sent = events(&lines, "callback.sent");
    assert_eq!(sent.len(), 2, "{lines:#?}");
    assert!(sent
        .iter()
        .all(|l| l["outcome"] == "processed" && l["entity_id"] == allocation.as_str()));
    assert_eq!(events(&lines, "engine.step")[0]["callbacks_confirmed"], 2);
}

#[tokio::test(flavor = "current_thread")]
async fn healthz_is_200_while_passes_succeed_and_503_when_they_stop() {
    let mut w = World::new().await;
    let settings = w.settings("");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let down = Arc::new(AtomicBool::new(false));
    let chain = SwitchableChain {
        inner: std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare")),
        down: down.clone(),
        unfunded: Arc::default(),
    };
    let (audit, sink) = json_log();
    let relayer = wiring::build(
        chain,
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        audit,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin: SocketAddr = listeners.admin.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let probe = async {
        wait_for("a first pass", || {
            telemetry.snapshot().last_success.is_some()
        })
        .await;
        let (status, body) = get(format!("http://{admin}/healthz")).await;
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["status"], "ok");

        // The node goes away: passes fail, and after 3 poll intervals
        // (0.3 s) without success the relayer is unhealthy.
        down.store(true, Ordering::SeqCst);
        wait_for("failing passes", || {
            telemetry.snapshot().totals.steps_failed > 0
        })
        .await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (status, body) = get(format!("http://{admin}/healthz")).await;
        assert_eq!(status, 503, "{body}");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["status"], "unhealthy");
        assert!(
            body["reason"]
                .as_str()
                .is_some_and(|r| r.contains("poll intervals")),
            "{body}"
        );
        assert!(
            body["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("connection refused")),
            "{body}"
        );

        // Back: healthy again at the next pass.
        down.store(false, Ordering::SeqCst);
        let before = telemetry.snapshot().totals.steps_succeeded;
        wait_for("a good pass", || {
            telemetry.snapshot().totals.steps_succeeded > before
        })
        .await;
        let (status, _) = get(format!("http://{admin}/healthz")).await;
        assert_eq!(status, 200);
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(
        wiring::serve(relayer, listeners, settings.admin_token.clone(), stopped),
        probe
    );
    served.expect("serve");
    let lines = log_lines(&sink);
    assert!(!events(&lines, "relayer.pass_failed").is_empty());
    assert_eq!(events(&lines, "relayer.pass_failed")[0]["level"], "error");
}

#[tokio::test(flavor = "current_thread")]
async fn admin_reconcile_reports_drift_made_in_waldur() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    let settings = w.settings("");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let chain = std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare"));
    let (audit, sink) = json_log();
    let relayer = wiring::build(
        chain,
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        audit,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin = listeners.admin.local_addr().expect("addr");
    let client = w.client();
    let customer_uuid = w.customer_uuid.clone();
    let (stop, stopped) = watch::channel(false);
    let operator = async {
        let synced = || {
            telemetry
                .snapshot()
                .offering_sync
                .is_some_and(|m| m.successful >= 1)
        };
        wait_for("the first sync", synced).await;
        let url = format!("http://{admin}/admin/offering-sync/reconcile");

        // The admin token is required.
        let (status, body) = post(url.clone(), None).await;
        assert_eq!(status, 401, "{body}");
        let (status, body) = post(url.clone(), Some("wrong")).await;
        assert_eq!(status, 401, "{body}");

        // Nothing changed yet: no drift.
        let (status, body) = post(url.clone(), Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["drift_found"], false, "{body}");

        // Someone renames the offering in Waldur.
        let filter = OfferingFilter {
            customer_uuid: Some(customer_uuid),
            ..OfferingFilter::default()
        };
        let listed = client.list_offerings(&filter).await.expect("list");
        let ours = listed
            .iter()
            .find(|o| o.backend_id.as_deref() == Some(offering.as_str()))
            .expect("the synced offering");
        let uuid = ours.uuid.clone().expect("uuid");
        client
            .update_offering_overview(
                &uuid,
                &OfferingOverviewUpdate {
                    name: "Renamed by hand".into(),
                    description: ours.description.clone(),
                    ..OfferingOverviewUpdate::default()
                },
            )
            .await
            .expect("rename");

        let (status, body) = post(url.clone(), Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["drift_found"], true, "{body}");
        assert_eq!(body["drifted"], serde_json::json!([offering]), "{body}");
        assert_eq!(body["resynced"][0]["offering_id"], offering.as_str());
        assert_eq!(body["resynced"][0]["action"], "updated", "{body}");
        let repaired = client.get_offering(&uuid).await.expect("get");
        assert_eq!(repaired.name.as_deref(), Some("Compute"));

        // Repaired: the next pass finds nothing.
        let (_, body) = post(url, Some(ADMIN_TOKEN)).await;
        assert_eq!(body["drift_found"], false, "{body}");

        // The dead letters are listed (none here).
        let res = http()
            .get(format!("http://{admin}/admin/dead-letters"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET dead letters");
        assert_eq!(res.status().as_u16(), 200);
        let listed: Value = res.json().await.expect("JSON");
        assert_eq!(
            listed,
            serde_json::json!({ "events": [], "callbacks": [], "offerings": [] })
        );
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(
        wiring::serve(relayer, listeners, settings.admin_token.clone(), stopped),
        operator
    );
    served.expect("serve");

    let snapshot = telemetry.snapshot();
    let sync = snapshot.offering_sync.expect("sync metrics");
    assert_eq!(sync.drift_detected, 1);
    // The one at start and the three asked for.
    assert_eq!(sync.reconciliations, 4);
    let lines = log_lines(&sink);
    let reconciles = events(&lines, "offering_sync.reconcile");
    assert!(
        reconciles.iter().any(|l| l["drift_found"] == true
            && l["level"] == "warn"
            && l["drifted"][0] == offering.as_str()),
        "{reconciles:#?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn run_stops_cleanly_and_a_restart_continues_from_the_checkpoint() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    World::allocate(&mut w.chain, &offering);
    let settings = w.settings("");
    let db = settings.db.clone();

    // First run: provisions the first allocation, then is told to stop.
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let chain = std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare"));
    let (audit, sink) = json_log();
    let relayer = wiring::build(
        chain,
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        audit,
    )
    .expect("relayer");
    let (stop, stopped) = watch::channel(false);
    let stopper = async {
        wait_for("the first allocation", || {
            telemetry.snapshot().totals.callbacks_confirmed == 2
        })
        .await;
        let _ = stop.send(true);
    };
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let (served, ()) = tokio::join!(
        tokio::time::timeout(
            Duration::from_secs(8),
            wiring::serve(relayer, listeners, None, stopped)
        ),
        stopper
    );
    let mut chain = served.expect("stopped in time").expect("serve");
    let latest_at_stop = chain.latest_height().await.expect("height");
    let lines = log_lines(&sink);
    assert_eq!(
        lines.last().map(|l| l["event"].clone()),
        Some(Value::from("relayer.stopped")),
        "{lines:#?}"
    );

    // The database is closed (redb refuses a second opener) and holds the
    // checkpoint.
    let checkpoint = {
        let outbox = Outbox::open(&db, 5).expect("the database was closed");
        let checkpoint = outbox
            .meta(CHECKPOINT)
            .expect("meta")
            .expect("a checkpoint");
        assert_eq!(outbox.counts().expect("counts"), (0, 2, 0));
        checkpoint
    };
    // At most the block of the last callbacks is still unread.
    assert!(
        checkpoint <= latest_at_stop && checkpoint + 1 >= latest_at_stop,
        "checkpoint {checkpoint}, chain at {latest_at_stop}"
    );

    // Meanwhile the chain moves on: a second allocation.
    World::allocate(&mut chain, &offering);
    let latest = chain.latest_height().await.expect("height");

    // Second run on the same database: only the new blocks are read.
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let (audit, _sink) = json_log();
    let relayer = wiring::build(
        chain,
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        audit,
    )
    .expect("relayer again");
    let (stop, stopped) = watch::channel(false);
    let stopper = async {
        wait_for("the second allocation", || {
            telemetry.snapshot().totals.callbacks_confirmed == 2
        })
        .await;
        let _ = stop.send(true);
    };
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let (served, ()) = tokio::join!(wiring::serve(relayer, listeners, None, stopped), stopper);
    served.expect("serve");
    let totals = telemetry.snapshot().totals;
    assert_eq!(
        totals.events_handled, 1,
        "only the new allocation: {totals:?}"
    );
    assert!(
        totals.blocks_read <= latest - checkpoint + 2,
        "read from the checkpoint, not from block 1: {totals:?}"
    );
    // One Waldur order per allocation: nothing was done twice.
    assert_eq!(w.waldur.state.order_count(), 2);
    let outbox = Outbox::open(&db, 5).expect("closed again");
    assert_eq!(outbox.counts().expect("counts"), (0, 4, 0));
}

async fn send_json(url: String, body: Value) -> (u16, Value) {
    let res = http()
        .post(url)
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

#[tokio::test(flavor = "current_thread")]
async fn dead_letters_are_listed_and_reprocessed_over_http() {
    let mut w = World::new().await;
    let compute = w.create_offering();
    // No Waldur category is mapped to storage: its sync fails.
    let storage = w.create_offering_in(ve_types::Category::Storage);
    let allocation = World::allocate(&mut w.chain, &compute);
    // A key the chain does not know: every callback is refused.
    let key = w.dir.path().join("signer.key");
    std::fs::remove_file(&key).expect("remove key");
    keys::generate(&key).expect("another key");
    // One failure is enough for the dead letters, on both sides.
    let settings = w.settings("max_retries = 1\nwaldur_offering_sync_max_retries = 1");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let chain = std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare"));
    let (audit, sink) = json_log();
    let relayer = wiring::build(
        chain,
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        audit,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin = listeners.admin.local_addr().expect("addr");
    let metrics = listeners.metrics.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let operator = async {
        wait_for("two dead callbacks", || {
            telemetry.snapshot().outbox.dead_letters == 2
        })
        .await;
        let (_, text) = get(format!("http://{metrics}/metrics")).await;
        assert_eq!(
            sample(&text, "ve_relayer_outbox_dead_letters"),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, "offering_sync_dead_letter_size"),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            sample(&text, "ve_relayer_callback_failures_total"),
            Some(2.0),
            "{text}"
        );

        let res = http()
            .get(format!("http://{admin}/admin/dead-letters"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET");
        let listed: Value = res.json().await.expect("JSON");
        let mut ids: Vec<&str> = listed["callbacks"]
            .as_array()
            .expect("callbacks")
            .iter()
            .filter_map(|c| c["callback_id"].as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                format!("provision:{allocation}:accepted"),
                format!("provision:{allocation}:provisioning"),
            ]
        );
        assert_eq!(
            listed["offerings"][0]["offering_id"],
            storage.as_str(),
            "{listed}"
        );
        assert!(listed["offerings"][0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("category")));

        let url = format!("http://{admin}/admin/dead-letters/reprocess");
        let (status, done) = send_json(url.clone(), serde_json::json!({ "id": storage })).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            done,
            serde_json::json!({ "events": [], "callbacks": [], "offerings": [storage] })
        );
        let (status, done) = send_json(url.clone(), serde_json::json!({ "all": true })).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            done["callbacks"].as_array().map(Vec::len),
            Some(2),
            "{done}"
        );
        let (status, body) = send_json(url, serde_json::json!({ "id": "no-such-thing" })).await;
        assert_eq!(status, 404, "{body}");
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(
        wiring::serve(relayer, listeners, settings.admin_token.clone(), stopped),
        operator
    );
    served.expect("serve");
    let lines = log_lines(&sink);
    let dead = events(&lines, "callback.dead_letter");
    assert!(dead.len() >= 2, "{lines:#?}");
    assert!(dead
        .iter()
        .all(|l| l["level"] == "error" && l["entity_id"] == allocation.as_str()));
    assert!(!events(&lines, "offering_sync.dead_letter").is_empty());
    assert_eq!(events(&lines, "callback.reprocessed").len(), 2);
    let refused = events(&lines, "callback.sent");
    assert!(
        refused.iter().any(|l| l["outcome"] == "refused"),
        "{refused:#?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn callbacks_that_cannot_be_sent_fail_the_pass() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    World::allocate(&mut w.chain, &offering);
    let settings = w.settings("");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let unfunded = Arc::new(AtomicBool::new(true));
    let chain = SwitchableChain {
        inner: std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare")),
        down: Arc::default(),
        unfunded: unfunded.clone(),
    };
    let (audit, _sink) = json_log();
    let provider = w.provider.to_string();
    let mut relayer =
        wiring::build(chain, &provider, &settings, telemetry.clone(), audit).expect("relayer");

    // Reads work and the callbacks are queued, but none can be sent: the
    // pass is a failure (so /healthz turns 503) and says why.
    let err = relayer.pass().await.unwrap_err().to_string();
    assert!(err.contains("outbox not sent: insufficient funds"), "{err}");
    let snapshot = telemetry.snapshot();
    assert_eq!(snapshot.totals.steps_failed, 1);
    assert_eq!(snapshot.outbox.pending, 2);

    unfunded.store(false, Ordering::SeqCst);
    relayer.pass().await.expect("funded again");
    let snapshot = telemetry.snapshot();
    assert_eq!(snapshot.totals.steps_succeeded, 1);
    assert_eq!(snapshot.outbox.pending, 0);
}

/// The specification's `waldur_*` series: all present (0) before the first
/// pass, then exact after a sync, the ingest of a new and then a changed
/// Waldur offering (whose poll had a 429 retried) and an ingest poll lost
/// to a 429 storm.
#[tokio::test(flavor = "current_thread")]
async fn waldur_metrics_follow_syncs_ingests_and_rate_limits() {
    let mut w = World::new().await;
    w.create_offering();
    // An offering made in Waldur (not by the sync): the ingest's.
    let admin = w.client();
    let native = admin
        .create_offering(&OfferingCreateRequest {
            name: "Waldur-native VM".into(),
            category: admin.urls().category(&w.compute_uuid).expect("url"),
            offering_type: "Marketplace.Basic".into(),
            customer: Some(admin.urls().customer(&w.customer_uuid).expect("url")),
            plans: vec![PlanRequest {
                name: "Standard".into(),
                unit_price: Some("0.050000".into()),
                ..PlanRequest::default()
            }],
            ..OfferingCreateRequest::default()
        })
        .await
        .expect("create in Waldur");
    let native_uuid = native.uuid.expect("uuid");
    admin
        .activate_offering(&native_uuid)
        .await
        .expect("activate");

    let settings = w.settings("waldur_offering_ingest_enabled = true");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let chain = std::mem::replace(&mut w.chain, EmbeddedChain::deploy(&[]).expect("spare"));
    let provider = w.provider.to_string();
    let mut relayer = wiring::build(chain, &provider, &settings, telemetry.clone(), json_log().0)
        .expect("relayer");

    // Before anything happened, every series is there, at 0.
    let text = telemetry.render_prometheus();
    for name in WALDUR_METRIC_NAMES {
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} missing:\n{text}"
        );
    }
    for name in [
        "waldur_sync_pending",
        "waldur_sync_failed",
        "waldur_sync_latency_seconds_count",
        "waldur_callback_queue_size",
        "waldur_api_error_rate",
        "waldur_rate_limit_hits_total",
        "waldur_ingests_total",
        "waldur_offerings_created_total",
        "waldur_ingest_duration_seconds_count",
    ] {
        assert_eq!(sample(&text, name), Some(0.0), "{name} in\n{text}");
    }

    // Pass 1: the chain offering is synced to Waldur (created).
    relayer.pass().await.expect("pass 1");
    // The new Waldur offering is queued, then confirmed by pass 2.
    assert_eq!(relayer.ingest_offerings().await.expect("ingest 1"), 1);
    let text = telemetry.render_prometheus();
    assert_eq!(sample(&text, "waldur_callback_queue_size"), Some(1.0));
    assert_eq!(sample(&text, "waldur_ingests_total"), Some(1.0));
    assert_eq!(
        sample(&text, "waldur_offerings_created_total"),
        Some(0.0),
        "not confirmed yet"
    );
    relayer.pass().await.expect("pass 2");
    // Changed in Waldur: drift, a second version, confirmed by pass 3.
    // The poll's first request gets a 429, which the client retries.
    admin
        .pause_offering(&native_uuid, Some("maintenance"))
        .await
        .expect("pause");
    w.waldur.state.inject_at(
        "marketplace-provider-offerings/",
        Fault::RetryAfter(Duration::ZERO, 1),
    );
    assert_eq!(relayer.ingest_offerings().await.expect("ingest 2"), 1);
    assert_eq!(w.waldur.state.pending_faults(), 0);
    assert_eq!(
        sample(
            &telemetry.render_prometheus(),
            "waldur_rate_limit_hits_total"
        ),
        Some(1.0)
    );
    relayer.pass().await.expect("pass 3");
    // A 429 storm longer than the retries (1 + 3): the ingest poll fails.
    w.waldur.state.inject_at(
        "marketplace-provider-offerings/",
        Fault::RetryAfter(Duration::ZERO, 4),
    );
    relayer
        .ingest_offerings()
        .await
        .expect_err("ingest 3 rate limited");

    let text = telemetry.render_prometheus();
    let expect = |name: &str, value: f64| {
        assert_eq!(sample(&text, name), Some(value), "{name} in\n{text}");
    };
    expect("waldur_sync_pending", 0.0);
    expect("waldur_sync_failed", 0.0);
    // One sync, in the pass that saw the chain event (same clock second).
    expect("waldur_sync_latency_seconds_count", 1.0);
    expect("waldur_sync_latency_seconds_sum", 0.0);
    assert!(text.contains("waldur_sync_latency_seconds_bucket{le=\"1\"} 1\n"));
    expect("waldur_callback_queue_size", 0.0);
    expect("waldur_rate_limit_hits_total", 5.0);
    // Waldur calls: 3 passes x 3 engine polls (resources, usage, jobs),
    // 1 offering sync, 3 ingest polls; the last failed: 1 of 13.
    expect("waldur_api_error_rate", 1.0 / 13.0);
    assert!(
        text.contains("ve_relayer_waldur_errors_total{source=\"offering_ingest\"} 1\n"),
        "{text}"
    );
    expect("waldur_ingests_total", 2.0);
    expect("waldur_ingests_successful_total", 2.0);
    expect("waldur_ingests_failed_total", 0.0);
    expect("waldur_ingests_dead_lettered_total", 0.0);
    expect("waldur_offerings_created_total", 1.0);
    expect("waldur_offerings_updated_total", 1.0);
    expect("waldur_drift_detected_total", 1.0);
    expect("waldur_ingest_duration_seconds_count", 3.0);
    expect("ve_relayer_offerings_ingested_total", 2.0);
}
