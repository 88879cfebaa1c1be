//! `/healthz` and `/metrics` tell the truth while `ve-relayer run` serves:
//! a dead Waldur turns /healthz 503 even when nothing in the loop calls
//! Waldur (sync and ingest off), and 200 again when it is back; the backlog
//! shows while a slow pass is still running; the metrics text passes
//! Prometheus' linter (`promtool check metrics`'s code, see
//! scripts/promlint).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmwasm_std::Addr;
use serde_json::Value;
use tokio::sync::watch;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::keys;
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::ChainClient;
use ve_relayer::runtime::audit::{AuditLog, LogFormat};
use ve_relayer::runtime::config::{FileConfig, RunArgs, Secrets, Settings};
use ve_relayer::runtime::service::wiring::{self, Listeners};
use ve_relayer::runtime::telemetry::Telemetry;
use ve_testing::{hourly_offering, OrderFlow};
use waldur_emulator::{Emulator, EmulatorHandle, Fault};

const TOKEN: &str = "health-token";

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
        let customer = waldur.state.seed_customer("Provider Org");
        let project = waldur
            .state
            .seed_project(&customer.uuid, "VirtEngine")
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
            customer_uuid: customer.uuid,
            project_uuid: project.uuid,
            compute_uuid: compute.uuid,
            waldur,
            chain,
            provider,
            dir,
        }
    }

    /// `sync`: the offering sync on (it puts the chain's offering in
    /// Waldur, so the engine can order it).
    fn settings(&self, sync: bool) -> Settings {
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
waldur_offering_sync_enabled = {sync}
waldur_offering_sync_interval = 3600
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
            admin_token: None,
        };
        Settings::resolve(RunArgs::default(), file, secrets).expect("settings")
    }

    fn create_offering(&mut self) -> String {
        let provider = self.provider.clone();
        let mut offering = hourly_offering("Compute", 1_000);
        offering.description = "General-purpose compute".into();
        self.chain
            .create_offering(&provider, offering)
            .expect("create offering")
    }

    /// Order, bid, accept: an allocation for the relayer.
    fn allocate(&mut self, offering: &str) -> String {
        let (provider, customer) = (self.chain.addr("provider"), self.chain.addr("customer"));
        self.chain
            .allocate(&customer, &provider, offering, 1_000)
            .expect("allocation")
    }

    fn take_chain(&mut self) -> EmbeddedChain {
        std::mem::replace(&mut self.chain, EmbeddedChain::deploy(&[]).expect("spare"))
    }
}

/// Polls `check` until it gives a value (the condition, never a sleep, is
/// the synchronisation).
async fn wait_until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn healthz(admin: std::net::SocketAddr) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("http://{admin}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("GET /healthz");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON"))
}

#[tokio::test(flavor = "current_thread")]
async fn healthz_follows_waldur_even_with_sync_and_ingest_off() {
    let mut w = World::new().await;
    let settings = w.settings(false);
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let relayer = wiring::build(
        w.take_chain(),
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        AuditLog::memory(LogFormat::Json).0,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin = listeners.admin.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let waldur_address = w.waldur.address;
    let operator = async {
        let body = wait_until("healthy, Waldur probed", async || {
            let (status, body) = healthz(admin).await;
            (status == 200 && body["waldur"]["ok"] == true).then_some(body)
        })
        .await;
        assert_eq!(body["backlog"]["callbacks_pending"], 0, "{body}");

        // Waldur goes away (the listener closes): the probe sees it,
        // though no pass needs Waldur.
        let World { waldur, .. } = std::mem::replace(&mut w, World::new().await);
        drop(waldur);
        let body = wait_until("503 for a dead Waldur", async || {
            let (status, body) = healthz(admin).await;
            (status == 503).then_some(body)
        })
        .await;
        let reason = body["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("Waldur unreachable"), "{body}");
        assert_eq!(body["waldur"]["ok"], false, "{body}");
        // The passes themselves still succeed: only the probe knows.
        assert!(!reason.contains("poll intervals"), "{body}");

        // Back on the same address: healthy again.
        let _back = Emulator::start_on(waldur_address, TOKEN)
            .await
            .expect("emulator back");
        wait_until("200 again", async || {
            let (status, _) = healthz(admin).await;
            (status == 200).then_some(())
        })
        .await;
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(wiring::serve(relayer, listeners, None, stopped), operator);
    served.expect("serve");
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_token_is_named_in_healthz() {
    let w = World::new().await;
    let mut settings = w.settings(false);
    settings.waldur.token = "not-the-token".into();
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let mut w = w;
    let relayer = wiring::build(
        w.take_chain(),
        w.provider.as_str(),
        &settings,
        telemetry,
        AuditLog::memory(LogFormat::Json).0,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin = listeners.admin.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let operator = async {
        let body = wait_until("a refused token", async || {
            let (status, body) = healthz(admin).await;
            (status == 503 && !body["waldur"].is_null()).then_some(body)
        })
        .await;
        assert!(
            body["reason"]
                .as_str()
                .is_some_and(|r| r.contains("Waldur refuses the relayer's token")),
            "{body}"
        );
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(wiring::serve(relayer, listeners, None, stopped), operator);
    served.expect("serve");
}

#[tokio::test(flavor = "current_thread")]
async fn the_backlog_shows_while_a_slow_pass_runs() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    const ALLOCATIONS: u64 = 3;
    for _ in 0..ALLOCATIONS {
        w.allocate(&offering);
    }
    // Every order call answers late: the first pass takes seconds.
    w.waldur.inject_at(
        "marketplace-orders/",
        Fault::Delay(Duration::from_millis(300), 1_000),
    );
    let settings = w.settings(true);
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let relayer = wiring::build(
        w.take_chain(),
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        AuditLog::memory(LogFormat::Json).0,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let admin = listeners.admin.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let operator = async {
        let during_first_pass = |body: &Value| {
            !body["pass_running_seconds"].is_null()
                && body["last_success_age_seconds"].is_null()
                && body["last_error"].is_null()
        };
        // The chain events are stored before any Waldur call: all wait.
        let body = wait_until("every allocation waiting, mid-pass", async || {
            let (_, body) = healthz(admin).await;
            (body["backlog"]["intents_waiting"] == ALLOCATIONS).then_some(body)
        })
        .await;
        assert!(during_first_pass(&body), "{body}");
        assert!(
            body["backlog"]["oldest_pending_age_seconds"].is_number(),
            "{body}"
        );
        // Then the figures move, still before the pass ends.
        let body = wait_until("progress, mid-pass", async || {
            let (_, body) = healthz(admin).await;
            let moved = body["backlog"]["intents_waiting"]
                .as_u64()
                .is_some_and(|n| n < ALLOCATIONS)
                || body["backlog"]["callbacks_pending"]
                    .as_u64()
                    .is_some_and(|n| n > 0);
            moved.then_some(body)
        })
        .await;
        assert!(during_first_pass(&body), "{body}");
        assert_eq!(telemetry.snapshot().totals.steps_succeeded, 0);
        // In the end all of it is done.
        wait_until("an empty backlog", async || {
            let (status, body) = healthz(admin).await;
            (status == 200
                && body["backlog"]["intents_waiting"] == 0
                && body["backlog"]["callbacks_pending"] == 0)
                .then_some(())
        })
        .await;
        let _ = stop.send(true);
    };
    let (served, ()) = tokio::join!(wiring::serve(relayer, listeners, None, stopped), operator);
    served.expect("serve");
}

/// The linter: `VE_PROMLINT`, else the workspace's `.tools/promlint`
/// (scripts/test.sh builds it). Without either the check is skipped unless
/// `VE_REQUIRE_PROMLINT` is set (scripts/test.sh sets it).
fn promlint() -> Option<PathBuf> {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/promlint");
    let path = std::env::var_os("VE_PROMLINT")
        .map(PathBuf::from)
        .unwrap_or(built);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("VE_REQUIRE_PROMLINT").is_none(),
        "VE_REQUIRE_PROMLINT is set but {} does not exist",
        path.display()
    );
    eprintln!(
        "skipped: no promlint at {} (scripts/test.sh builds it)",
        path.display()
    );
    None
}

#[tokio::test(flavor = "current_thread")]
async fn the_served_metrics_pass_prometheus_linter() {
    let mut w = World::new().await;
    let offering = w.create_offering();
    w.allocate(&offering);
    let settings = w.settings(true);
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let relayer = wiring::build(
        w.take_chain(),
        w.provider.as_str(),
        &settings,
        telemetry.clone(),
        AuditLog::memory(LogFormat::Json).0,
    )
    .expect("relayer");
    let listeners = Listeners::bind(&settings).await.expect("bind");
    let metrics = listeners.metrics.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let scrape = async {
        // After a pass that did work and a probe: every series has a value.
        wait_until("a pass and a probe", async || {
            let s = telemetry.snapshot();
            (s.totals.callbacks_confirmed == 2 && s.waldur_probe.is_some()).then_some(())
        })
        .await;
        let text = reqwest::get(format!("http://{metrics}/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("body");
        let _ = stop.send(true);
        text
    };
    let (served, text) = tokio::join!(wiring::serve(relayer, listeners, None, stopped), scrape);
    served.expect("serve");
    for series in [
        "ve_relayer_build_info{version=\"",
        "ve_relayer_waldur_up 1\n",
        "ve_relayer_oldest_pending_age_seconds ",
        "waldur_sync_pending ",
        "waldur_rate_limit_hits_total ",
        "offering_sync_successful_total 1\n",
    ] {
        assert!(text.contains(series), "{series} missing:\n{text}");
    }
    let Some(linter) = promlint() else {
        return;
    };
    use std::io::Write;
    let mut child = std::process::Command::new(&linter)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run promlint");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write the metrics");
    let out = child.wait_with_output().expect("promlint");
    assert!(
        out.status.success(),
        "promlint found problems:\n{}\nin:\n{text}",
        String::from_utf8_lossy(&out.stdout)
    );
}
