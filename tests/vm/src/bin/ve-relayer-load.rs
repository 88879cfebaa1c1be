//! The relayer under load, in its own process (so its peak memory is its
//! own): N allocations (default 10,000) are created on the embedded chain
//! in chunks of 2,000; after each chunk the relayer engine handles the
//! chunk's `allocation_created` events against the Waldur emulator on
//! loopback (order create, bind, approve; two signed callbacks each into the
//! fsynced outbox) and sends the callbacks back on chain in batches of 50.
//!
//! Chunks, because a backlog cannot be larger: the embedded chain makes one
//! block (5 s) per transaction and a callback is valid 600 s, so at most
//! 50 x 600 / 5 = 6,000 queued callbacks reach the chain before they
//! expire; all 10,000 allocations at once queue 20,000.
//!
//! Waldur's resource polling (one listing of the project per pass, 100
//! resources a page) is left out of the passes and timed once at the end,
//! over all N.
//!
//! Prints one line of `key=value` figures (ve-bench reads it):
//! - `events_per_s`: events handled per second in the passes that read them;
//! - `callbacks_per_s`: callbacks confirmed per second in the passes after;
//! - `poll_s`: one poll of the N tracked resources;
//! - `peak_rss_kb` (VmHWM, reset when the relayer starts) and
//!   `start_rss_kb` (VmRSS then): the process also holds the embedded chain
//!   and the emulator.
//!
//! The Waldur client's rate limit is off: the default (10 requests/s, about
//! five requests per allocation) would bound the run at about two events
//! per second, whatever the relayer does.
//!
//! Usage: `ve-relayer-load [N]`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmwasm_std::Uint128;
use ve_relayer::chain::embedded::{EmbeddedChain, DENOM};
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::Engine;
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::port::{
    ProvisionedOrder, ResourceUpdate, UsageUpdate, WaldurError, WaldurPort,
};
use waldur::{Config as WaldurConfig, WaldurClient};
use waldur_emulator::{Emulator, OfferingSeed};

/// `VmRSS` or `VmHWM` of this process, in kB.
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn id(res: &cw_multi_test::AppResponse) -> String {
    cosmwasm_std::from_json(res.data.as_ref().expect("data")).expect("id")
}

/// The Waldur adapter with its polling left out of the passes.
struct NoPoll(WaldurAdapter);

impl WaldurPort for NoPoll {
    async fn provision(
        &mut self,
        allocation: &str,
        offering: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        self.0.provision(allocation, offering, quantity).await
    }
    async fn terminate(&mut self, allocation: &str) -> Result<String, WaldurError> {
        self.0.terminate(allocation).await
    }
    async fn set_paused(&mut self, allocation: &str, paused: bool) -> Result<bool, WaldurError> {
        self.0.set_paused(allocation, paused).await
    }
    async fn resize(&mut self, allocation: &str, quantity: u32) -> Result<(), WaldurError> {
        self.0.resize(allocation, quantity).await
    }
    async fn resource_updates(&mut self, _: u64) -> Result<Vec<ResourceUpdate>, WaldurError> {
        Ok(vec![])
    }
    async fn usage_updates(
        &mut self,
        _: u64,
        _: &mut impl ve_relayer::waldur_side::port::ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError> {
        Ok(vec![])
    }
}

const CHUNK: u64 = 2_000;

async fn run(n: u64) {
    let waldur = Emulator::start("load-token").await.expect("emulator");
    let org = waldur.state.seed_customer("Provider Org");
    let project = waldur
        .state
        .seed_project(&org.uuid, "VirtEngine")
        .expect("project");
    let category = waldur.state.seed_category("HPC");
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .expect("offering");

    let mut chain = EmbeddedChain::deploy(&["provider", "customer"]).expect("chain");
    let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
    let (m, cb) = (chain.marketplace.clone(), chain.callback.clone());
    let signer = Signer::new(
        [3; 32],
        "relayer-1",
        provider.as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    );
    chain
        .execute(
            &provider,
            &cb,
            &signer.register_message().expect("key proof"),
            &[],
        )
        .expect("register");
    let chain_offering = id(&chain
        .execute(
            &provider,
            &m,
            &marketplace::msg::ExecuteMsg::CreateOffering {
                offering: ve_types::OfferingFields::new(
                    "HPC node",
                    "",
                    ve_types::Category::Hpc,
                    ve_types::Pricing::new(
                        ve_types::PricingModel::Hourly,
                        DENOM,
                        Uint128::new(10),
                        vec![],
                    ),
                ),
                encrypted_secrets: None,
            },
            &[],
        )
        .expect("offering"));
    let dir = std::env::temp_dir().join(format!("ve-relayer-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let outbox = Arc::new(Outbox::open(&dir.join("relayer.redb"), 5).expect("outbox"));
    let mut config = WaldurConfig::new(waldur.base_url.clone(), "load-token");
    config.rate_limit_per_second = 0.0;
    config.retry_wait_min = Duration::from_millis(20);
    config.retry_wait_max = Duration::from_millis(200);
    let client = WaldurClient::new(config).expect("client");
    let project_url = client.urls().project(&project.uuid).expect("project url");
    let offerings = BTreeMap::from([(chain_offering.clone(), offering.url.clone())]);
    let adapter =
        WaldurAdapter::new(client, project_url, offerings, outbox.clone()).expect("adapter");
    let mut engine = Engine {
        chain,
        waldur: NoPoll(adapter),
        signer,
        outbox,
    };

    // The peak from here on.
    let start_rss = status_kb("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    let (mut setup_s, mut events_s, mut flush_s) = (0.0, 0.0, 0.0);
    let (mut events, mut confirmed, mut created) = (0, 0, 0);
    while created < n {
        let chunk = CHUNK.min(n - created);
        let start = Instant::now();
        for _ in 0..chunk {
            engine
                .chain
                .allocate(&customer, &provider, &chain_offering, 10)
                .expect("allocation");
        }
        created += chunk;
        setup_s += start.elapsed().as_secs_f64();

        let start = Instant::now();
        let first = engine.step().await.expect("event pass");
        events_s += start.elapsed().as_secs_f64();
        assert_eq!(first.events_handled, chunk, "{:?}", first.notes.first());
        events += first.events_handled;
        confirmed += first.callbacks_confirmed;
        let start = Instant::now();
        loop {
            let report = engine.step().await.expect("flush pass");
            confirmed += report.callbacks_confirmed;
            if report.callbacks_confirmed == 0 {
                break;
            }
        }
        flush_s += start.elapsed().as_secs_f64();
    }

    let start = Instant::now();
    let now = engine.chain.now();
    engine.waldur.0.resource_updates(now).await.expect("poll");
    let poll_s = start.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    let (pending, done, dead) = engine.outbox.counts().expect("counts");
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "allocations={n} chain_setup_s={setup_s:.1} start_rss_kb={start_rss} peak_rss_kb={peak} \
events={events} events_s={events_s:.1} events_per_s={:.0} callbacks_confirmed={confirmed} \
flush_s={flush_s:.1} callbacks_per_s={:.0} poll_s={poll_s:.1} outbox_done={done} \
outbox_pending={pending} outbox_dead={dead}",
        events as f64 / events_s,
        confirmed as f64 / flush_s,
    );
}

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000u64);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(n));
}
