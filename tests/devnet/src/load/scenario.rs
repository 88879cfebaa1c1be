//! What the load bench does, in order.
//!
//! 1. A devnet of its own, the four contracts, a Waldur emulator process,
//!    the provider's relayer key and offering (`Stack::prepare_relayer`).
//! 2. Backlog: N allocations made while no relayer runs (orders, bids and
//!    accepts, `batch` executes per transaction), then `ve-relayer run`
//!    starts and works through all of them at once.
//! 3. Steady arrival: M more orders and bids (relayer stopped), the relayer
//!    restarted on the same database and caught up, then `per_tick`
//!    accepts every `tick` (by default 25 allocations a second: one block a
//!    second carrying 50 callbacks' worth of work).
//!
//! Each phase runs until every one of its allocations is `provisioning` on
//! chain (the `accepted` and `provisioning` callbacks, 2 per allocation):
//! a Waldur emulator resource turns OK, and the allocation `active`, only
//! once the provider's backend marks its order done, which is not the
//! relayer's work.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::audit::AuditSummary;
use super::node::Node;
use super::report::{
    Arrival, ChainBatches, Figures, Lag, PhaseFigures, Rates, SetupFigures, TxKind,
};
use super::sampler::{memory_kb, Sample, Sampler};
use super::signer::{adjusted, responses, Account};
use crate::processes::{EmulatorProcess, RelayerProcess};
use crate::story::{Fees, RelayerSetup, Stack, WALDUR_TOKEN};
use crate::Devnet;

/// Funds and price of each order (as the story's).
const ORDER_PRICE: u128 = 10_000;
/// Extra gas margin of the arrival transactions, sent without simulation.
const ARRIVAL_GAS_MARGIN: f64 = 1.5;
/// A relayer with nothing pending or unread that confirms nothing for this
/// long will not finish the phase.
const STALL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Options {
    /// Allocations of the backlog phase.
    pub allocations: usize,
    /// Allocations of the steady phase (0: no steady phase).
    pub steady: usize,
    /// Executes per setup transaction.
    pub batch: usize,
    /// Allocations accepted per arrival transaction.
    pub per_tick: usize,
    /// Time between arrival transactions.
    pub tick: Duration,
    pub sample_every: Duration,
    /// The chain's home and the relayer's files.
    pub home: PathBuf,
    pub artifacts: PathBuf,
    /// Devnet ports: the defaults + this.
    pub port_offset: u16,
    /// Prebuilt `ve-relayer` and `waldur-emulator` to run, and what they
    /// were built from; `None`: build the working tree's (as
    /// `Stack::deploy_on` does).
    pub bin_dir: Option<(PathBuf, String)>,
    /// The relayer's `waldur_rate_limit_per_second` (and burst): Waldur's
    /// limit, not the relayer's work, bounds provisioning at the default 10.
    pub waldur_rate_limit: u32,
}

/// Prints progress as it goes.
fn say(line: impl AsRef<str>) {
    println!("{}", line.as_ref());
}

/// The test accounts that make the allocations, and what they sent.
struct Maker<'a> {
    stack: &'a Stack,
    node: &'a Node,
    customer: Account,
    provider: Account,
    marketplace: String,
    offering: String,
    batch: usize,
    setup: SetupFigures,
}

enum Who {
    Customer,
    Provider,
}

impl Maker<'_> {
    /// Sends `msgs` (JSON executes of the marketplace, with funds) in
    /// transactions of `batch`; each execute's answered ID, in order.
    fn batched(&mut self, who: Who, kind: TxKind, msgs: &[(Value, u128)]) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(msgs.len());
        for chunk in msgs.chunks(self.batch.max(1)) {
            let account = match who {
                Who::Customer => &mut self.customer,
                Who::Provider => &mut self.provider,
            };
            let anys = chunk
                .iter()
                .map(|(m, funds)| account.execute(&self.marketplace, m, *funds))
                .collect::<Result<Vec<_>>>()?;
            let started = Instant::now();
            let tx = account
                .send(&self.stack.cli, self.node, &anys)
                .with_context(|| format!("{} {kind:?} x{}", account.name, anys.len()))?;
            let answered: Vec<String> = responses(&tx)?;
            if answered.len() != chunk.len() {
                bail!(
                    "tx {} answered {} IDs for {} executes",
                    tx.txhash,
                    answered.len(),
                    chunk.len()
                );
            }
            self.setup
                .note(kind, chunk.len(), tx.gas_used, started.elapsed());
            ids.extend(answered);
        }
        Ok(ids)
    }

    fn orders(&mut self, n: usize) -> Result<Vec<String>> {
        let msgs: Vec<(Value, u128)> = (0..n)
            .map(|_| {
                (
                    json!({"create_order": {"offering_id": self.offering, "quantity": 1,
                        "max_bid_price": ORDER_PRICE.to_string()}}),
                    ORDER_PRICE,
                )
            })
            .collect();
        self.batched(Who::Customer, TxKind::CreateOrder, &msgs)
    }

    fn bids(&mut self, orders: &[String]) -> Result<Vec<String>> {
        let msgs: Vec<(Value, u128)> = orders
            .iter()
            .map(|o| {
                (
                    json!({"place_bid": {"order_id": o, "price": ORDER_PRICE.to_string()}}),
                    0,
                )
            })
            .collect();
        self.batched(Who::Provider, TxKind::PlaceBid, &msgs)
    }

    fn accept_msgs(bids: &[String]) -> Vec<(Value, u128)> {
        bids.iter()
            .map(|b| (json!({"accept_bid": {"bid_id": b}}), 0))
            .collect()
    }

    fn accepts(&mut self, bids: &[String]) -> Result<Vec<String>> {
        self.batched(Who::Customer, TxKind::AcceptBid, &Self::accept_msgs(bids))
    }

    /// Accepts `per_tick` bids every `tick`, each transaction broadcast
    /// without waiting for the previous one's block (fixed gas: one
    /// simulated, with a margin). Then waits for every one.
    fn arrive(
        &mut self,
        bids: &[String],
        per_tick: usize,
        tick: Duration,
        origin: Instant,
    ) -> Result<(Arrival, Vec<String>)> {
        let chunks: Vec<Vec<(Value, u128)>> = bids
            .chunks(per_tick.max(1))
            .map(Self::accept_msgs)
            .collect();
        let to_anys = |account: &Account, chunk: &[(Value, u128)]| {
            chunk
                .iter()
                .map(|(m, f)| account.execute(&self.marketplace, m, *f))
                .collect::<Result<Vec<_>>>()
        };
        self.customer.refresh(self.node)?;
        let first = to_anys(&self.customer, &chunks[0])?;
        let simulated = self.customer.simulate(self.node, &first)?;
        let gas_limit = (adjusted(simulated) as f64 * ARRIVAL_GAS_MARGIN).ceil() as u64;
        let start = Instant::now();
        let mut hashes = Vec::new();
        let mut sent_at = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let due = start + tick * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let anys = to_anys(&self.customer, chunk)?;
            let hash = self
                .customer
                .broadcast(self.node, &anys, gas_limit)
                .with_context(|| format!("arrival transaction {i}"))?;
            sent_at.push(origin.elapsed().as_secs_f64());
            hashes.push(hash);
        }
        let mut ids = Vec::with_capacity(bids.len());
        let mut heights = Vec::new();
        for (hash, chunk) in hashes.iter().zip(&chunks) {
            let tx = self.stack.cli.wait_for(hash)?;
            let answered: Vec<String> = responses(&tx)?;
            if answered.len() != chunk.len() {
                bail!("arrival tx {hash}: {} IDs", answered.len());
            }
            self.setup
                .note(TxKind::AcceptBid, chunk.len(), tx.gas_used, Duration::ZERO);
            heights.push(tx.height);
            ids.extend(answered);
        }
        Ok((
            Arrival {
                txs: hashes.len(),
                per_tx: per_tick,
                tick_seconds: tick.as_secs_f64(),
                gas_limit,
                sent_at,
                heights,
                last_included_at: None,
            },
            ids,
        ))
    }
}

/// The states on chain of the allocations `ids` (all the provider's,
/// paged, those of `ids` counted).
fn chain_states(
    node: &Node,
    marketplace: &str,
    provider: &str,
    ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, usize>> {
    let mut states = BTreeMap::new();
    let mut start_after: Option<String> = None;
    loop {
        let page: marketplace::msg::AllocationsResponse = node.smart_query(
            marketplace,
            &json!({"allocations_by_provider": {"provider": provider,
                "start_after": start_after, "limit": 100}}),
        )?;
        let Some(last) = page.allocations.last() else {
            break;
        };
        start_after = Some(last.id.clone());
        for a in &page.allocations {
            if ids.contains(&a.id) {
                *states.entry(a.allocation.state.to_string()).or_default() += 1;
            }
        }
        if page.allocations.len() < 100 {
            break;
        }
    }
    let seen: usize = states.values().sum();
    if seen < ids.len() {
        states.insert("not found".into(), ids.len() - seen);
    }
    Ok(states)
}

/// Callbacks per transaction on chain in blocks `from..=to`: for each
/// transaction with `wasm-ve.callback_processed` events, how many
/// (processed, already processed).
fn chain_batches(node: &Node, from: u64, to: u64) -> Result<ChainBatches> {
    let mut batches = ChainBatches::default();
    for height in from..=to {
        let txs = node.block_txs(height)?;
        let has_callbacks = txs.iter().any(|tx| {
            tx.events
                .iter()
                .any(|(kind, _)| kind == "wasm-ve.callback_processed")
        });
        if has_callbacks {
            let (time, raw) = node.block(height)?;
            let signed: Vec<(i64, i64)> = raw.iter().flat_map(|tx| signed_callbacks(tx)).collect();
            batches.note_signed(time, &signed);
        }
        for tx in txs {
            let results: Vec<&str> = tx
                .events
                .iter()
                .filter(|(kind, _)| kind == "wasm-ve.callback_processed")
                .map(|(_, attrs)| {
                    attrs
                        .iter()
                        .find(|(k, _)| k == "result")
                        .map_or("", |(_, v)| v.as_str())
                })
                .collect();
            if tx.code != 0 {
                batches.failed_txs += 1;
            }
            if results.is_empty() {
                continue;
            }
            batches.per_tx.push(results.len() as u64);
            batches.processed += results.iter().filter(|r| **r == "processed").count() as u64;
            batches.already_processed += results
                .iter()
                .filter(|r| **r == "already_processed")
                .count() as u64;
        }
    }
    Ok(batches)
}

/// (timestamp, expires_at) of every signed callback in a transaction's
/// `submit_callbacks` executes; none for other transactions.
fn signed_callbacks(tx: &[u8]) -> Vec<(i64, i64)> {
    use cosmrs::proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
    use cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContract;
    use cosmrs::proto::prost::Message;
    let Some(body) = TxRaw::decode(tx)
        .ok()
        .and_then(|raw| TxBody::decode(raw.body_bytes.as_slice()).ok())
    else {
        return Vec::new();
    };
    body.messages
        .iter()
        .filter(|m| m.type_url == "/cosmwasm.wasm.v1.MsgExecuteContract")
        .filter_map(|m| MsgExecuteContract::decode(m.value.as_slice()).ok())
        .filter_map(|e| serde_json::from_slice::<Value>(&e.msg).ok())
        .flat_map(|msg| {
            msg.pointer("/submit_callbacks/callbacks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|cb| Some((cb["timestamp"].as_i64()?, cb["expires_at"].as_i64()?)))
        .collect()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// A running relayer and its sampler, from `origin` (just before start).
struct Watched {
    relayer: RelayerProcess,
    sampler: Sampler,
    origin: Instant,
    log_offset: u64,
    height_at_start: u64,
    loadavg_start: String,
}

/// Adds the Waldur rate limit to the relayer's config (top-level keys go
/// before its `[rpc]` table).
fn set_waldur_rate_limit(config: &std::path::Path, per_second: u32) -> Result<()> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let (top, tables) = text
        .split_once("\n[rpc]")
        .context("the relayer config has no [rpc] table")?;
    let text = format!(
        "{top}\nwaldur_rate_limit_per_second = {per_second}\nwaldur_rate_limit_burst = {per_second}\n[rpc]{tables}"
    );
    std::fs::write(config, text).with_context(|| format!("writing {}", config.display()))
}

fn start_watched(
    stack: &Stack,
    setup: &RelayerSetup,
    node: &Node,
    every: Duration,
) -> Result<Watched> {
    let log_offset = log_len(&setup.log);
    let height_at_start = node.height()?;
    let loadavg_start = loadavg();
    let origin = Instant::now();
    let relayer = stack.start_relayer(setup)?;
    let sampler = Sampler::start(
        relayer.pid(),
        &relayer.metrics_url,
        &stack.deployment.rpc_url,
        origin,
        every,
    )?;
    say(format!(
        "  ve-relayer run started (pid {}, {:.2} s to its listeners), metrics {}",
        relayer.pid(),
        origin.elapsed().as_secs_f64(),
        relayer.metrics_url
    ));
    Ok(Watched {
        relayer,
        sampler,
        origin,
        log_offset,
        height_at_start,
        loadavg_start,
    })
}

fn confirmed(sample: &Option<Sample>) -> Option<u64> {
    sample
        .as_ref()
        .and_then(|s| s.metrics.as_ref())
        .map(|m| m.callbacks_confirmed)
}

/// Waits until every allocation of `ids` is provisioning on chain (the
/// relayer's confirmed count says when to look), at most `timeout`; the
/// time it was seen, in seconds since `w.origin`.
fn wait_provisioned(
    w: &Watched,
    node: &Node,
    marketplace: &str,
    provider: &str,
    ids: &BTreeSet<String>,
    confirmed_before: u64,
    timeout: Duration,
) -> Result<(Option<f64>, BTreeMap<String, usize>)> {
    let target = confirmed_before + 2 * ids.len() as u64;
    let deadline = Instant::now() + timeout;
    let mut last_look = Instant::now();
    let mut last_print = Instant::now();
    let mut states = BTreeMap::new();
    let (mut last_count, mut last_change) = (0, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let latest = w.sampler.latest();
        let count = confirmed(&latest).unwrap_or(0);
        if count != last_count {
            (last_count, last_change) = (count, Instant::now());
        }
        // Nothing read behind, nothing to send, nothing confirmed for a
        // minute: the relayer has given up on what is missing.
        let idle = latest.as_ref().is_some_and(|s| {
            s.metrics.as_ref().is_some_and(|m| {
                m.outbox_pending == 0 && s.height.unwrap_or(0) <= m.checkpoint_height + 2
            })
        }) && last_change.elapsed() >= STALL;
        let due = count >= target || idle || last_look.elapsed() >= Duration::from_secs(15);
        if due {
            last_look = Instant::now();
            states = chain_states(node, marketplace, provider, ids)?;
            if states.get("provisioning").copied().unwrap_or(0) == ids.len() {
                return Ok((Some(w.origin.elapsed().as_secs_f64()), states));
            }
            if idle {
                say(format!(
                    "  stalled: nothing pending or unread and nothing confirmed for {STALL:?}, chain states {states:?}"
                ));
                return Ok((None, states));
            }
        }
        if last_print.elapsed() >= Duration::from_secs(10) {
            last_print = Instant::now();
            let m = latest
                .as_ref()
                .and_then(|s| s.metrics.clone())
                .unwrap_or_default();
            say(format!(
                "  t={:>6.1} s: confirmed {}/{}, outbox pending {}, checkpoint {} / height {}, RSS {} kB",
                w.origin.elapsed().as_secs_f64(),
                count.saturating_sub(confirmed_before),
                2 * ids.len(),
                m.outbox_pending,
                m.checkpoint_height,
                latest.as_ref().and_then(|s| s.height).unwrap_or(0),
                latest.as_ref().map_or(0, |s| s.vm_rss_kb),
            ));
        }
        if Instant::now() >= deadline {
            say(format!(
                "  not every allocation provisioning within {timeout:?}: {states:?}"
            ));
            return Ok((None, states));
        }
    }
}

/// Stops the watched relayer and gathers the phase's figures.
#[allow(clippy::too_many_arguments)]
fn finish_phase(
    name: &'static str,
    stack: &Stack,
    setup: &RelayerSetup,
    node: &Node,
    w: Watched,
    ids: &BTreeSet<String>,
    confirmed_before: u64,
    measured_from: f64,
    done: Option<f64>,
    states: BTreeMap<String, usize>,
    arrival: Option<Arrival>,
    home: &Path,
) -> Result<PhaseFigures> {
    let pid = w.relayer.pid();
    let (final_rss_kb, vm_hwm_kb) = memory_kb(pid).unwrap_or((0, 0));
    let height_at_done = node.height()?;
    let loadavg_end = loadavg();
    let samples = w.sampler.finish();
    let status = w.relayer.stop()?;
    let outbox = stack
        .relayer_status(setup)
        .unwrap_or_else(|e| json!({"error": format!("{e:#}")}));
    let audit = AuditSummary::read(&setup.log, w.log_offset)?;
    let batches = chain_batches(node, w.height_at_start + 1, height_at_done)?;
    write_samples(&home.join(format!("samples-{name}.csv")), &samples)?;

    let expected = 2 * ids.len() as u64;
    let rates = Rates::from_samples(&samples, confirmed_before, expected, measured_from, done);
    let lag = Lag::from_samples(
        &samples,
        // A fresh database reads from the configured start height.
        stack_start_height(setup)?.saturating_sub(1),
        measured_from,
        done,
    );
    let mut arrival = arrival;
    if let Some(a) = arrival.as_mut() {
        let last = a.heights.iter().copied().max().unwrap_or(0);
        a.last_included_at = samples
            .iter()
            .find(|s| s.height.is_some_and(|h| h >= last))
            .map(|s| s.at);
    }
    Ok(PhaseFigures {
        name,
        allocations: ids.len(),
        measured_from,
        done_at: done,
        chain_states: states,
        arrival,
        rates,
        lag,
        vm_hwm_kb,
        max_vm_rss_kb: samples.iter().map(|s| s.vm_rss_kb).max().unwrap_or(0),
        final_rss_kb,
        cpu_seconds: samples.last().map_or(0.0, |s| s.cpu_seconds),
        samples: samples.len(),
        audit,
        batches,
        outbox,
        exit: status.to_string(),
        exit_ok: status.success(),
        height_at_start: w.height_at_start,
        height_at_done,
        loadavg: (w.loadavg_start, loadavg_end),
    })
}

/// `[rpc] start_height` of the relayer's config.
fn stack_start_height(setup: &RelayerSetup) -> Result<u64> {
    let text = std::fs::read_to_string(&setup.config)?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix("start_height = "))
        .and_then(|v| v.trim().parse().ok())
        .context("the relayer config has no start_height")
}

fn write_samples(path: &Path, samples: &[Sample]) -> Result<()> {
    let mut out = String::from(
        "t_s,vm_rss_kb,vm_hwm_kb,cpu_s,height,checkpoint,confirmed,pending,dead_letters,failures\n",
    );
    for s in samples {
        let m = s.metrics.clone().unwrap_or_default();
        out.push_str(&format!(
            "{:.3},{},{},{:.2},{},{},{},{},{},{}\n",
            s.at,
            s.vm_rss_kb,
            s.vm_hwm_kb,
            s.cpu_seconds,
            s.height.map_or(String::new(), |h| h.to_string()),
            m.checkpoint_height,
            m.callbacks_confirmed,
            m.outbox_pending,
            m.outbox_dead_letters,
            m.callback_failures
        ));
    }
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// How long a phase of `n` allocations may take: 10 minutes + 1 s each.
fn phase_timeout(n: usize) -> Duration {
    Duration::from_secs(600 + n as u64)
}

/// Waits until the restarted relayer has read up to `height` with nothing
/// pending.
fn wait_caught_up(w: &Watched, height: u64) -> Result<()> {
    crate::processes::wait_until(
        "the restarted relayer caught up",
        Duration::from_secs(180),
        || {
            Ok(w.sampler.latest().and_then(|s| s.metrics).and_then(|m| {
                (m.checkpoint_height >= height && m.outbox_pending == 0 && m.steps_succeeded > 0)
                    .then_some(())
            }))
        },
    )
}

/// What the relayer was built from: the commit, and the files of the
/// relayer's crates (and the contracts) that differ from it in the working
/// tree (read-only git; no lock taken).
fn source_state() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("--no-optional-locks")
            .arg("-C")
            .arg(crate::repo_root())
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "?".into());
    let changed = git(&[
        "diff",
        "--name-only",
        "HEAD",
        "--",
        "packages/relayer",
        "packages/waldur",
        "packages/waldur-emulator",
        "packages/ve-types",
        "contracts",
    ])
    .unwrap_or_default();
    if changed.is_empty() {
        format!("commit {head}, no uncommitted changes in the relayer's crates or the contracts")
    } else {
        format!(
            "commit {head} plus uncommitted changes in the working tree at the time: {}",
            changed.lines().collect::<Vec<_>>().join(", ")
        )
    }
}

pub fn run(opts: &Options) -> Result<Figures> {
    let started = cosmrs::tendermint::Time::now().to_rfc3339();
    say(format!(
        "relayer load bench: a chain of its own in {} (port offset {})",
        opts.home.display(),
        opts.port_offset
    ));
    let devnet = Devnet::start_own(&opts.home.join("node"), opts.port_offset)?;
    let (stack, source) = match &opts.bin_dir {
        None => {
            let source = source_state();
            let stack = Stack::deploy_on(&devnet, &opts.artifacts).context("deploying")?;
            (stack, source)
        }
        Some((bin_dir, source)) => {
            let cli = devnet.cli();
            let deployment =
                crate::deploy::deploy(&cli, &devnet, &opts.artifacts).context("deploying")?;
            let waldur = EmulatorProcess::start(bin_dir, WALDUR_TOKEN)?;
            let stack = Stack {
                cli,
                deployment,
                bin_dir: bin_dir.clone(),
                waldur,
            };
            (stack, source.clone())
        }
    };
    say(format!("ve-relayer built from {source}"));
    let node = Node::new(&stack.deployment.rpc_url, Duration::from_secs(10))?;
    let version = crate::bench::chain::node_version(&stack.cli).unwrap_or_default();
    let mut fees = Fees::default();
    // The relayer's files of an earlier run (its key file is never
    // overwritten) go; the chain they were for is gone too.
    let relayer_dir = opts.home.join("relayer");
    if relayer_dir.exists() {
        std::fs::remove_dir_all(&relayer_dir)
            .with_context(|| format!("removing {}", relayer_dir.display()))?;
    }
    let setup = stack.prepare_relayer(&relayer_dir, &mut fees)?;
    set_waldur_rate_limit(&setup.config, opts.waldur_rate_limit)?;
    let marketplace = stack.deployment.contract("marketplace")?.to_string();
    let provider_address = stack.deployment.account("provider")?.to_string();
    say(format!(
        "deployed on {} ({}); relayer key {}, offering {}",
        stack.deployment.chain_id, stack.deployment.rpc_url, setup.key_id, setup.offering_id
    ));

    let mut maker = Maker {
        stack: &stack,
        node: &node,
        customer: Account::load(&stack.cli, &node, "customer")?,
        provider: Account::load(&stack.cli, &node, "provider")?,
        marketplace: marketplace.clone(),
        offering: setup.offering_id.clone(),
        batch: opts.batch,
        setup: SetupFigures::default(),
    };
    let mut phases = Vec::new();

    // Backlog: N allocations before the relayer starts.
    let n = opts.allocations;
    say(format!(
        "backlog: making {n} allocations ({} executes per transaction), no relayer running",
        opts.batch
    ));
    let made = Instant::now();
    let orders = maker.orders(n)?;
    let bids = maker.bids(&orders)?;
    let allocations = maker.accepts(&bids)?;
    maker.setup.backlog_seconds = made.elapsed().as_secs_f64();
    say(format!(
        "  {} allocations in {:.1} s (e.g. {})",
        allocations.len(),
        maker.setup.backlog_seconds,
        allocations.first().map_or("", String::as_str)
    ));
    let ids: BTreeSet<String> = allocations.into_iter().collect();
    let timeout = phase_timeout(ids.len());
    let w = start_watched(&stack, &setup, &node, opts.sample_every)?;
    let (done, states) =
        wait_provisioned(&w, &node, &marketplace, &provider_address, &ids, 0, timeout)?;
    if let Some(t) = done {
        say(format!(
            "  all {} provisioning on chain {t:.1} s after the relayer started",
            ids.len()
        ));
    }
    phases.push(finish_phase(
        "backlog", &stack, &setup, &node, w, &ids, 0, 0.0, done, states, None, &opts.home,
    )?);

    // Steady arrival.
    let m = opts.steady;
    if m > 0 {
        say(format!(
            "steady: making {m} orders and bids, no relayer running"
        ));
        let made = Instant::now();
        let orders = maker.orders(m)?;
        let bids = maker.bids(&orders)?;
        maker.setup.steady_seconds = made.elapsed().as_secs_f64();
        let w = start_watched(&stack, &setup, &node, opts.sample_every)?;
        wait_caught_up(&w, w.height_at_start)?;
        let before = confirmed(&w.sampler.latest()).unwrap_or(0);
        let from = w.origin.elapsed().as_secs_f64();
        say(format!(
            "  relayer caught up after {from:.1} s; accepting {} bids every {:?}",
            opts.per_tick, opts.tick
        ));
        let (arrival, allocations) = maker.arrive(&bids, opts.per_tick, opts.tick, w.origin)?;
        let ids: BTreeSet<String> = allocations.into_iter().collect();
        let timeout = phase_timeout(ids.len());
        let (done, states) = wait_provisioned(
            &w,
            &node,
            &marketplace,
            &provider_address,
            &ids,
            before,
            timeout,
        )?;
        if let Some(t) = done {
            say(format!(
                "  all {} provisioning on chain {:.1} s after the first arrival",
                ids.len(),
                t - from
            ));
        }
        phases.push(finish_phase(
            "steady",
            &stack,
            &setup,
            &node,
            w,
            &ids,
            before,
            arrival.sent_at.first().copied().unwrap_or(from),
            done,
            states,
            Some(arrival),
            &opts.home,
        )?);
    }

    let waldur = stack.waldur.summary().unwrap_or(Value::Null);
    Ok(Figures {
        started,
        chain_id: stack.deployment.chain_id.clone(),
        version,
        port_offset: opts.port_offset,
        relayer_bin: stack.bin_dir.join("ve-relayer"),
        source,
        relayer_config: setup.config.clone(),
        options: opts.clone(),
        setup: maker.setup,
        phases,
        waldur,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
    use cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContract;
    use cosmrs::proto::prost::Message;

    #[test]
    fn reads_the_signed_callbacks_of_a_transaction() {
        let execute = MsgExecuteContract {
            sender: "wasm1relayer".into(),
            contract: "wasm1callback".into(),
            msg: serde_json::to_vec(&json!({"submit_callbacks": {"callbacks": [
                {"callback_id": "a", "timestamp": 100, "expires_at": 700},
                {"callback_id": "b", "timestamp": 101, "expires_at": 701},
            ]}}))
            .unwrap(),
            funds: vec![],
        };
        let body = TxBody {
            messages: vec![cosmrs::Any {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
                value: execute.encode_to_vec(),
            }],
            ..TxBody::default()
        };
        let tx = TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: vec![],
            signatures: vec![vec![]],
        };
        assert_eq!(
            signed_callbacks(&tx.encode_to_vec()),
            vec![(100, 700), (101, 701)]
        );
        assert!(signed_callbacks(b"not a tx").is_empty());
    }
}
