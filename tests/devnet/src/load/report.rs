//! The figures of a load run, printed and written as
//! `bench/devnet-relayer.md`. Every number comes from the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::audit::AuditSummary;
use super::sampler::Sample;
use super::scenario::Options;
use crate::bench::chain::NodeVersion;

/// The budget: resident memory of the relayer process, KiB (50 MiB).
pub const RSS_BUDGET_KB: u64 = 50 * 1024;
/// The budget: callbacks a block carries, one block a second.
pub const CALLBACKS_PER_BLOCK: u64 = 50;
/// Keeping up: everything provisioned at most this long after the last
/// arrival's block.
pub const DRAIN_BUDGET_SECONDS: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TxKind {
    CreateOrder,
    PlaceBid,
    AcceptBid,
}

impl TxKind {
    fn label(self) -> &'static str {
        match self {
            TxKind::CreateOrder => "create_order (customer, 10000uve each)",
            TxKind::PlaceBid => "place_bid (provider)",
            TxKind::AcceptBid => "accept_bid (customer)",
        }
    }
}

/// The transactions that made the allocations.
#[derive(Debug, Clone, Default)]
pub struct SetupFigures {
    /// kind -> (transactions, executes, gas used, seconds from broadcast
    /// to block, summed).
    pub by_kind: BTreeMap<TxKind, (u64, u64, u64, f64)>,
    pub backlog_seconds: f64,
    pub steady_seconds: f64,
}

impl SetupFigures {
    pub fn note(&mut self, kind: TxKind, executes: usize, gas_used: u64, took: Duration) {
        let e = self.by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += executes as u64;
        e.2 += gas_used;
        e.3 += took.as_secs_f64();
    }
}

/// The steady phase's arrivals.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub txs: usize,
    pub per_tx: usize,
    pub tick_seconds: f64,
    pub gas_limit: u64,
    /// When each was broadcast, seconds since the relayer started.
    pub sent_at: Vec<f64>,
    /// The block of each.
    pub heights: Vec<u64>,
    /// When the chain reached the last one's block (first sample at or
    /// above it).
    pub last_included_at: Option<f64>,
}

/// `wasm-ve.callback_processed` events per transaction, read from the
/// blocks of the phase.
#[derive(Debug, Clone, Default)]
pub struct ChainBatches {
    pub per_tx: Vec<u64>,
    pub processed: u64,
    pub already_processed: u64,
    /// Transactions of the phase's blocks that failed (any sender).
    pub failed_txs: u64,
    /// Signed callbacks read from the `submit_callbacks` messages of the
    /// phase's blocks, and against their block's time: the oldest
    /// (block time - `timestamp`, the signing time) and the least time
    /// left (`expires_at` - block time), seconds; the longest validity
    /// (`expires_at - timestamp`).
    pub callbacks_read: u64,
    pub max_age_at_inclusion: Option<i64>,
    pub min_time_left_at_inclusion: Option<i64>,
    pub validity: Option<i64>,
}

impl ChainBatches {
    /// Notes the signed callbacks of one block's transactions.
    pub fn note_signed(&mut self, block_time: i64, callbacks: &[(i64, i64)]) {
        for (timestamp, expires_at) in callbacks {
            self.callbacks_read += 1;
            let age = block_time - timestamp;
            let left = expires_at - block_time;
            self.max_age_at_inclusion = Some(self.max_age_at_inclusion.map_or(age, |a| a.max(age)));
            self.min_time_left_at_inclusion = Some(
                self.min_time_left_at_inclusion
                    .map_or(left, |l| l.min(left)),
            );
            let validity = expires_at - timestamp;
            self.validity = Some(self.validity.map_or(validity, |v| v.max(validity)));
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Rates {
    /// Callbacks the relayer confirmed in the phase (metrics).
    pub confirmed: u64,
    pub first_confirm_at: Option<f64>,
    pub all_confirmed_at: Option<f64>,
    /// Expected callbacks / (done - measured from).
    pub overall: Option<f64>,
    /// Between the first and the last confirmation.
    pub sending: Option<f64>,
    /// The best 10 s window.
    pub peak_10s: f64,
}

fn confirmed_of(s: &Sample) -> Option<u64> {
    s.metrics.as_ref().map(|m| m.callbacks_confirmed)
}

impl Rates {
    pub fn from_samples(
        samples: &[Sample],
        before: u64,
        expected: u64,
        from: f64,
        done: Option<f64>,
    ) -> Rates {
        let with: Vec<(f64, u64)> = samples
            .iter()
            .filter_map(|s| Some((s.at, confirmed_of(s)?)))
            .collect();
        let first = with.iter().find(|(_, c)| *c > before).copied();
        let all = with.iter().find(|(_, c)| *c >= before + expected).copied();
        let sending = match (first, all) {
            (Some((t0, c0)), Some((t1, c1))) if t1 > t0 => Some((c1 - c0) as f64 / (t1 - t0)),
            _ => None,
        };
        let mut peak = 0.0f64;
        for (i, (t1, c1)) in with.iter().enumerate() {
            if let Some((_, c0)) = with[..i].iter().rev().find(|(t0, _)| t1 - t0 >= 10.0) {
                peak = peak.max(c1.saturating_sub(*c0) as f64 / 10.0);
            }
        }
        Rates {
            confirmed: with.last().map_or(0, |(_, c)| c.saturating_sub(before)),
            first_confirm_at: first.map(|(t, _)| t),
            all_confirmed_at: all.map(|(t, _)| t),
            overall: done
                .filter(|d| *d > from)
                .map(|d| expected as f64 / (d - from)),
            sending,
            peak_10s: peak,
        }
    }
}

/// How far the relayer's read checkpoint was behind the chain's head.
#[derive(Debug, Clone, Default)]
pub struct Lag {
    pub at_start: Option<u64>,
    pub max: u64,
    pub at_done: Option<u64>,
    /// When it was first within 2 blocks (seconds since the relayer
    /// started), and the most it fell behind after that.
    pub caught_up_at: Option<f64>,
    pub max_after_catch_up: Option<u64>,
    pub max_pending: u64,
    pub pending_at_done: Option<u64>,
}

impl Lag {
    pub fn from_samples(samples: &[Sample], fallback: u64, from: f64, done: Option<f64>) -> Lag {
        let end = done.unwrap_or(f64::INFINITY);
        let points: Vec<(f64, u64, u64)> = samples
            .iter()
            .filter(|s| s.at >= from && s.at <= end + 0.5)
            .filter_map(|s| {
                let m = s.metrics.as_ref()?;
                let checkpoint = if m.checkpoint_height == 0 {
                    fallback
                } else {
                    m.checkpoint_height
                };
                Some((s.at, s.height?.saturating_sub(checkpoint), m.outbox_pending))
            })
            .collect();
        let caught = points
            .iter()
            .find(|(_, lag, _)| *lag <= 2)
            .map(|(t, _, _)| *t);
        Lag {
            at_start: points.first().map(|p| p.1),
            max: points.iter().map(|p| p.1).max().unwrap_or(0),
            at_done: points.last().map(|p| p.1),
            caught_up_at: caught,
            max_after_catch_up: caught.map(|c| {
                points
                    .iter()
                    .filter(|p| p.0 >= c)
                    .map(|p| p.1)
                    .max()
                    .unwrap_or(0)
            }),
            max_pending: points.iter().map(|p| p.2).max().unwrap_or(0),
            pending_at_done: points.last().map(|p| p.2),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PhaseFigures {
    pub name: &'static str,
    pub allocations: usize,
    /// Seconds since the relayer started: the backlog from its start (0),
    /// the steady phase from the first arrival.
    pub measured_from: f64,
    pub done_at: Option<f64>,
    pub chain_states: BTreeMap<String, usize>,
    pub arrival: Option<Arrival>,
    pub rates: Rates,
    pub lag: Lag,
    pub vm_hwm_kb: u64,
    pub max_vm_rss_kb: u64,
    pub final_rss_kb: u64,
    pub cpu_seconds: f64,
    pub samples: usize,
    pub audit: AuditSummary,
    pub batches: ChainBatches,
    pub outbox: Value,
    pub exit: String,
    pub exit_ok: bool,
    pub height_at_start: u64,
    pub height_at_done: u64,
    pub loadavg: (String, String),
}

impl PhaseFigures {
    pub fn wall_seconds(&self) -> Option<f64> {
        self.done_at.map(|d| d - self.measured_from)
    }

    fn expected(&self) -> u64 {
        2 * self.allocations as u64
    }

    /// Arrival callbacks a second (steady phase), from the broadcasts.
    pub fn arrival_rate(&self) -> Option<f64> {
        let a = self.arrival.as_ref()?;
        let span = a.sent_at.last()? - a.sent_at.first()? + a.tick_seconds;
        Some(self.expected() as f64 / span)
    }

    /// Seconds from the last arrival's block to all provisioning.
    pub fn drain_seconds(&self) -> Option<f64> {
        Some(self.done_at? - self.arrival.as_ref()?.last_included_at?)
    }
}

pub struct Figures {
    /// When the run started (UTC, RFC 3339).
    pub started: String,
    pub chain_id: String,
    pub version: NodeVersion,
    pub port_offset: u16,
    pub relayer_bin: PathBuf,
    /// The commit and uncommitted changes the relayer was built from.
    pub source: String,
    pub relayer_config: PathBuf,
    pub options: Options,
    pub setup: SetupFigures,
    pub phases: Vec<PhaseFigures>,
    pub waldur: Value,
    pub cores: usize,
}

fn secs(v: Option<f64>) -> String {
    v.map_or("not reached".into(), |v| format!("{v:.1} s"))
}

fn rate(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn opt(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB ({kb} kB)", kb as f64 / 1024.0)
}

/// min / median / mean / max and the distinct values with counts.
fn distribution(values: &[u64]) -> String {
    if values.is_empty() {
        return "none".into();
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mean = sorted.iter().sum::<u64>() as f64 / sorted.len() as f64;
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for v in &sorted {
        *counts.entry(*v).or_default() += 1;
    }
    let spread = counts
        .iter()
        .rev()
        .map(|(v, n)| format!("{n}x{v}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} transactions: min {}, median {}, mean {:.1}, max {} ({spread})",
        sorted.len(),
        sorted[0],
        sorted[sorted.len() / 2],
        mean,
        sorted[sorted.len() - 1]
    )
}

/// How often passes that each sent a batch followed one another.
fn sending_cadence(passes: &[(f64, u64)]) -> String {
    if passes.is_empty() {
        return String::from("No two passes in a row sent a batch.");
    }
    let mut gaps: Vec<f64> = passes.iter().map(|p| p.0).collect();
    gaps.sort_by(f64::total_cmp);
    let mut blocks: Vec<u64> = passes.iter().map(|p| p.1).collect();
    blocks.sort_unstable();
    format!(
        "When consecutive passes each sent a batch ({} times), they came {:.2} s apart (median; {:.2} to {:.2}) \
         and each read {} new block(s) (median); a pass waits for its transactions' blocks.",
        passes.len(),
        gaps[gaps.len() / 2],
        gaps[0],
        gaps[gaps.len() - 1],
        blocks[blocks.len() / 2]
    )
}

impl Figures {
    fn phase(&self, name: &str) -> Option<&PhaseFigures> {
        self.phases.iter().find(|p| p.name == name)
    }

    /// The most resident memory seen: VmHWM, or a sampled VmRSS when the
    /// kernel's split RSS counters put that a few pages above the VmHWM read
    /// at the end.
    pub fn peak_hwm_kb(&self) -> u64 {
        self.phases
            .iter()
            .map(|p| p.vm_hwm_kb.max(p.max_vm_rss_kb))
            .max()
            .unwrap_or(0)
    }

    pub fn rss_met(&self) -> bool {
        self.peak_hwm_kb() <= RSS_BUDGET_KB
    }

    /// Kept up with the steady arrival: relayed at >= 95% of the arrival
    /// rate while callbacks were being confirmed (first to last
    /// confirmation; from the first arrival, the rate would also count the
    /// pipeline's fixed latency of a block or two against a 10 s window),
    /// and done within [`DRAIN_BUDGET_SECONDS`] of the last arrival's
    /// block. `None`: no steady phase, or it never finished.
    pub fn kept_up(&self) -> Option<bool> {
        let p = self.phase("steady")?;
        let relayed = p.rates.sending?;
        let arriving = p.arrival_rate()?;
        let drain = p.drain_seconds()?;
        Some(relayed >= 0.95 * arriving && drain <= DRAIN_BUDGET_SECONDS)
    }

    /// Anything the relayer did wrong in a phase, in words; empty: nothing.
    fn problems(p: &PhaseFigures) -> Vec<String> {
        let mut out = Vec::new();
        let a = &p.audit;
        if !a.dead_letters.is_empty() {
            out.push(format!("{} dead letter(s):", a.dead_letters.len()));
            for (id, error) in a.dead_letters.iter().take(5) {
                out.push(format!("  {id}: {error}"));
            }
        }
        for outcome in ["refused", "unknown"] {
            if let Some(n) = a.sent_by_outcome.get(outcome) {
                out.push(format!("{n} callback.sent line(s) with outcome {outcome}"));
            }
        }
        if let Some(n) = a.sent_by_outcome.get("already_processed") {
            out.push(format!(
                "{n} callback(s) sent again and answered already_processed"
            ));
        }
        for (error, n) in &a.submission_errors {
            out.push(format!("submission failed {n}x: {error}"));
        }
        for (error, n) in &a.pass_failures {
            out.push(format!("relayer.pass_failed {n}x: {error}"));
        }
        for (note, n) in &a.notable_notes {
            out.push(format!("step note {n}x: {note}"));
        }
        for (event, n) in &a.warnings {
            if event != "callback.sent"
                && event != "relayer.pass_failed"
                && event != "callback.dead_letter"
            {
                out.push(format!("{n} {event} line(s) at warn/error"));
            }
        }
        if let Some(left) = p.batches.min_time_left_at_inclusion {
            if left <= 120 {
                out.push(format!(
                    "a signed callback reached its block only {left} s before it expired (signed {} s earlier, validity {} s)",
                    p.batches.max_age_at_inclusion.unwrap_or(0),
                    p.batches.validity.unwrap_or(0)
                ));
            }
        }
        if p.batches.already_processed > 0 {
            out.push(format!(
                "on chain: {} callback_processed event(s) with result already_processed",
                p.batches.already_processed
            ));
        }
        if p.batches.processed != p.rates.confirmed.min(p.expected()) && p.done_at.is_some() {
            out.push(format!(
                "on chain {} callbacks processed in the phase's blocks, the relayer's metrics say {} confirmed",
                p.batches.processed, p.rates.confirmed
            ));
        }
        let dead = p
            .outbox
            .pointer("/outbox/dead_letter")
            .and_then(Value::as_u64);
        let pending = p.outbox.pointer("/outbox/pending").and_then(Value::as_u64);
        if dead.unwrap_or(0) > 0 || pending.unwrap_or(0) > 0 {
            out.push(format!("ve-relayer status after the stop: {}", p.outbox));
        }
        if !p.exit_ok {
            out.push(format!("ve-relayer run exited {} on SIGTERM", p.exit));
        }
        if p.done_at.is_none() {
            out.push(format!(
                "not every allocation reached provisioning: {:?}",
                p.chain_states
            ));
        }
        out
    }

    pub fn print_summary(&self) {
        println!("\n== ve-relayer under load ({}) ==", self.chain_id);
        for p in &self.phases {
            println!(
                "{} phase: {} allocations, {} callbacks expected",
                p.name,
                p.allocations,
                p.expected()
            );
            println!(
                "  wall time to all provisioning: {} (relayer started at 0; measured from {:.1} s)",
                secs(p.wall_seconds()),
                p.measured_from
            );
            if let Some(a) = &p.arrival {
                println!(
                    "  arrivals: {} transactions of {} accepts every {:.1} s ({} callbacks/s), blocks {}..{}; drain after the last: {}",
                    a.txs,
                    a.per_tx,
                    a.tick_seconds,
                    rate(p.arrival_rate()),
                    a.heights.first().copied().unwrap_or(0),
                    a.heights.last().copied().unwrap_or(0),
                    secs(p.drain_seconds())
                );
            }
            println!(
                "  callbacks confirmed/s: {} overall, {} between first and last confirmation, peak 10 s {:.1}",
                rate(p.rates.overall),
                rate(p.rates.sending),
                p.rates.peak_10s
            );
            println!(
                "  RSS: VmHWM {}, max sampled VmRSS {}, CPU {:.1} s",
                mib(p.vm_hwm_kb),
                mib(p.max_vm_rss_kb),
                p.cpu_seconds
            );
            println!(
                "  lag (blocks): at start {}, max {}, at the end {}; caught up at {}; outbox pending max {}",
                opt(p.lag.at_start),
                p.lag.max,
                opt(p.lag.at_done),
                secs(p.lag.caught_up_at),
                p.lag.max_pending
            );
            if let (Some(age), Some(left)) = (
                p.batches.max_age_at_inclusion,
                p.batches.min_time_left_at_inclusion,
            ) {
                println!(
                    "  signed callbacks at inclusion: oldest {age} s after signing, least {left} s before expiry (validity {} s)",
                    p.batches.validity.unwrap_or(0)
                );
            }
            if let Some((took, events, queued)) = p.audit.longest_pass {
                println!(
                    "  longest pass {took:.1} s ({events} events handled, {queued} callbacks queued); \
                     {} Waldur provisions, mean {:.0} ms, max {:.0} ms",
                    p.audit.provisions,
                    p.audit.provision_ms_mean,
                    p.audit.provision_ms_max
                );
            }
            println!("  {}", sending_cadence(&p.audit.sending_passes));
            println!(
                "  callbacks per transaction (audit log): {}",
                distribution(&p.audit.confirmed_sizes())
            );
            println!(
                "  callbacks per transaction (chain): {}",
                distribution(&p.batches.per_tx)
            );
            let problems = Self::problems(p);
            if problems.is_empty() {
                println!("  relayer problems: none seen");
            } else {
                println!("  relayer problems:");
                for line in problems {
                    println!("    {line}");
                }
            }
        }
        println!(
            "budget <= 50 MiB RSS: {} (peak {})",
            if self.rss_met() { "met" } else { "missed" },
            mib(self.peak_hwm_kb())
        );
        println!(
            "budget keeps up with one block a second carrying 50 callbacks: {}",
            match self.kept_up() {
                Some(true) => "met",
                Some(false) => "missed",
                None => "not measured",
            }
        );
    }

    /// The command line's options besides N, as given.
    fn extra_args(&self) -> String {
        let o = &self.options;
        let mut args = String::new();
        if o.steady != o.allocations.div_ceil(4) {
            let _ = write!(args, " --steady {}", o.steady);
        }
        if o.waldur_rate_limit != 250 {
            let _ = write!(args, " --waldur-rate-limit {}", o.waldur_rate_limit);
        }
        if let Some((dir, source)) = &o.bin_dir {
            let _ = write!(args, " --bin-dir {} --bin-source '{source}'", dir.display());
        }
        args
    }

    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let o = &self.options;
        let when = &self.started;
        let _ = writeln!(s, "# The relayer alone against the node (devnet load)\n");
        let _ = writeln!(
            s,
            "Written by `cargo run -p ve-devnet --bin ve-devnet-relayer-load -- {}{}` (run started {when}). \
             Every figure below comes from that run.\n",
            o.allocations,
            self.extra_args()
        );
        let _ = writeln!(s, "## How it was made\n");
        let _ = writeln!(
            s,
            "- A fresh one-validator chain of its own (`scripts/devnet.sh`, port offset {}): wasmd {} \
             (wasmvm {}, Cosmos SDK {}), chain `{}`, blocks of about 1 s (`timeout_commit = 1s`). \
             The four contracts from `artifacts/` deployed as `ve-deploy` does; a `waldur-emulator` process.",
            self.port_offset,
            self.version.wasmd,
            self.version.wasmvm,
            self.version.cosmos_sdk,
            self.chain_id
        );
        let _ = writeln!(
            s,
            "- `ve-relayer run` as its own process (`{}`, {}), \
             `chain = \"rpc\"`, config as `Stack::prepare_relayer` writes it: `poll_interval = 1` s, \
             `tx_poll_interval_ms = 250`, simulated gas x 1.3, the defaults for the rest (up to 200 callbacks \
             a transaction in executes of 50), and `waldur_rate_limit_per_second = {rate}` with a burst of {rate} \
             (the relayer's default, 10, makes Waldur's limit the bound: about 5 requests per allocation, 2 \
             allocations a second). Built from {}.",
            self.relayer_bin.display(),
            if o.bin_dir.is_some() {
                "prebuilt: its profile is in the source below"
            } else {
                "a dev build of the working tree"
            },
            self.source,
            rate = o.waldur_rate_limit
        );
        let _ = writeln!(
            s,
            "- Sampled every {} ms from a thread of the bench: `/proc/<pid>/status` of the relayer process alone \
             (VmRSS; VmHWM read once more before the stop), its `/metrics` \
             (`ve_relayer_callbacks_confirmed_total`, `ve_relayer_checkpoint_height`, `ve_relayer_outbox_pending`), \
             and the node's height. Lag = chain height - checkpoint gauge (a fresh database's \
             checkpoint counts as `start_height - 1` until its first pass).",
            o.sample_every.as_millis()
        );
        let _ = writeln!(
            s,
            "- The allocations are made by multi-message transactions signed in the bench (cosmrs, SIGN_MODE_DIRECT, \
             the devnet test accounts' keys; gas simulated over `abci_query` x 1.3, fee = gas x 0.025uve): \
             {} executes per transaction for orders, bids and the backlog's accepts.",
            o.batch
        );
        let _ = writeln!(
            s,
            "- Done = every allocation of the phase `provisioning` on chain (marketplace `allocations_by_provider`, \
             paged): the relayer's `accepted` and `provisioning` callbacks, 2 per allocation. A Waldur emulator \
             resource becomes OK (and the allocation `active`) only once the provider's backend marks its order \
             done, which is not the relayer's work, so the bench stops at provisioning."
        );
        let _ = writeln!(
            s,
            "- The machine: {} cores shared with other work; load average (1/5/15 min) is given per phase. \
             The figures are of this machine at that time.\n",
            self.cores
        );

        let _ = writeln!(s, "## Budget\n");
        let _ = writeln!(s, "| budget | measured | |\n|---|---|---|");
        let _ = writeln!(
            s,
            "| <= 50 MB RSS (50 MiB = 51200 kB, VmHWM of the ve-relayer process) | {} | **{}** |",
            self.phases
                .iter()
                .map(|p| format!(
                    "{}: VmHWM {}, max sampled VmRSS {}",
                    p.name,
                    mib(p.vm_hwm_kb),
                    mib(p.max_vm_rss_kb)
                ))
                .collect::<Vec<_>>()
                .join("; "),
            if self.rss_met() { "met" } else { "missed" }
        );
        let keep = match self.phase("steady") {
            Some(p) => format!(
                "arrivals {} callbacks/s; relayed {} callbacks/s (first to last confirmation; {} from the \
                 first arrival to all provisioning); all provisioning {} after the last arrival's block \
                 (budget {DRAIN_BUDGET_SECONDS} s); lag max {} blocks, outbox pending max {}",
                rate(p.arrival_rate()),
                rate(p.rates.sending),
                rate(p.rates.overall),
                secs(p.drain_seconds()),
                p.lag.max,
                p.lag.max_pending
            ),
            None => "no steady phase run".into(),
        };
        let _ = writeln!(
            s,
            "| keeps up with one block a second carrying {CALLBACKS_PER_BLOCK} callbacks (steady phase: relayed >= 95% of the arrival rate from the first to the last confirmation, done <= {DRAIN_BUDGET_SECONDS} s after the last arrival) | {keep} | **{}** |\n",
            match self.kept_up() {
                Some(true) => "met",
                Some(false) => "missed",
                None => "not measured",
            }
        );

        let _ = writeln!(s, "## Phases\n");
        let _ = writeln!(
            s,
            "- **backlog**: {} allocations made while no relayer ran, then `ve-relayer run` started on a fresh database \
             (its `start_height` before the first order) and worked through all of them at once.",
            o.allocations
        );
        if o.steady > 0 {
            let _ = writeln!(
                s,
                "- **steady**: {} more orders and bids made with the relayer stopped; the relayer restarted on the same \
                 database, caught up; then one transaction of {} `accept_bid` every {:.1} s, each broadcast without \
                 waiting for the previous one's block (= {} new callbacks a second).",
                o.steady,
                o.per_tick,
                o.tick.as_secs_f64(),
                2 * o.per_tick as u64 * 1000 / o.tick.as_millis().max(1) as u64
            );
        }
        let _ = writeln!(s);
        let header: Vec<&str> = self.phases.iter().map(|p| p.name).collect();
        let _ = writeln!(s, "| | {} |", header.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(header.len()));
        let row = |s: &mut String, label: &str, f: &dyn Fn(&PhaseFigures) -> String| {
            let cells: Vec<String> = self.phases.iter().map(f).collect();
            let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
        };
        row(&mut s, "allocations (N)", &|p| p.allocations.to_string());
        row(&mut s, "callbacks expected (2 per allocation)", &|p| {
            p.expected().to_string()
        });
        row(&mut s, "callbacks confirmed (relayer metrics)", &|p| {
            p.rates.confirmed.to_string()
        });
        row(&mut s, "chain states at the end", &|p| {
            p.chain_states
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        row(&mut s, "blocks (relayer start .. done)", &|p| {
            format!("{}..{}", p.height_at_start, p.height_at_done)
        });
        row(&mut s, "wall time to all provisioning", &|p| {
            if p.name == "steady" {
                format!("{} from the first arrival", secs(p.wall_seconds()))
            } else {
                format!("{} from the relayer's start", secs(p.wall_seconds()))
            }
        });
        row(&mut s, "arrivals (steady)", &|p| match &p.arrival {
            Some(a) => format!(
                "{} txs x {} accepts, blocks {}..{}, {} callbacks/s",
                a.txs,
                a.per_tx,
                a.heights.first().copied().unwrap_or(0),
                a.heights.last().copied().unwrap_or(0),
                rate(p.arrival_rate())
            ),
            None => "-".into(),
        });
        row(&mut s, "done after the last arrival's block", &|p| {
            if p.arrival.is_some() {
                secs(p.drain_seconds())
            } else {
                "-".into()
            }
        });
        row(
            &mut s,
            "first callback confirmed at (s since relayer start)",
            &|p| secs(p.rates.first_confirm_at),
        );
        row(
            &mut s,
            "callbacks confirmed/s, overall (expected / wall time)",
            &|p| rate(p.rates.overall),
        );
        row(
            &mut s,
            "callbacks confirmed/s, first to last confirmation",
            &|p| rate(p.rates.sending),
        );
        row(&mut s, "callbacks confirmed/s, best 10 s", &|p| {
            format!("{:.1}", p.rates.peak_10s)
        });
        row(
            &mut s,
            "signed callbacks at inclusion: oldest / least time left before expiry (validity)",
            &|p| {
                let b = &p.batches;
                match (b.max_age_at_inclusion, b.min_time_left_at_inclusion) {
                    (Some(age), Some(left)) => format!(
                        "{age} s / {left} s ({} s; {} callbacks read from the blocks)",
                        b.validity.unwrap_or(0),
                        b.callbacks_read
                    ),
                    _ => "-".into(),
                }
            },
        );
        row(&mut s, "peak RSS, VmHWM (relayer process)", &|p| {
            mib(p.vm_hwm_kb)
        });
        row(&mut s, "max sampled VmRSS / at the end", &|p| {
            format!("{} / {}", mib(p.max_vm_rss_kb), mib(p.final_rss_kb))
        });
        row(&mut s, "relayer CPU time (user + system)", &|p| {
            format!("{:.1} s", p.cpu_seconds)
        });
        row(&mut s, "lag in blocks: at start / max / at the end", &|p| {
            format!(
                "{} / {} / {}",
                opt(p.lag.at_start),
                p.lag.max,
                opt(p.lag.at_done)
            )
        });
        row(
            &mut s,
            "within 2 blocks of the head from / max lag after that",
            &|p| {
                format!(
                    "{} / {}",
                    secs(p.lag.caught_up_at),
                    opt(p.lag.max_after_catch_up)
                )
            },
        );
        row(&mut s, "outbox pending: max / at the end", &|p| {
            format!("{} / {}", p.lag.max_pending, opt(p.lag.pending_at_done))
        });
        row(
            &mut s,
            "relay passes (engine.step lines) / that confirmed callbacks",
            &|p| format!("{} / {}", p.audit.steps, p.audit.steps_confirming),
        );
        row(
            &mut s,
            "longest pass (events handled, callbacks queued in it)",
            &|p| {
                p.audit
                    .longest_pass
                    .map_or("-".into(), |(took, events, queued)| {
                        format!("{took:.1} s ({events} events, {queued} callbacks)")
                    })
            },
        );
        row(
            &mut s,
            "Waldur provisions (`waldur.provision`): count, failed, mean / max",
            &|p| {
                format!(
                    "{}, {} failed, {:.0} / {:.0} ms",
                    p.audit.provisions,
                    p.audit.provisions_failed,
                    p.audit.provision_ms_mean,
                    p.audit.provision_ms_max
                )
            },
        );
        row(&mut s, "samples", &|p| p.samples.to_string());
        row(&mut s, "load average at start / end", &|p| {
            format!("{} / {}", p.loadavg.0, p.loadavg.1)
        });
        let _ = writeln!(s);

        let _ = writeln!(s, "### Where the time goes\n");
        for p in &self.phases {
            let a = &p.audit;
            if a.provisions == 0 {
                continue;
            }
            let per_second = 1000.0 / a.provision_ms_mean.max(1e-9);
            let _ = writeln!(
                s,
                "- {}: the relayer's Waldur provisioning (`waldur.provision`, one per new allocation, in the pass \
                 that reads its event) took {:.0} ms on average, i.e. at most {:.1} allocations = {:.1} callbacks \
                 a second. The longest pass was {}. Between the first and the last confirmation: {} callbacks a \
                 second. {}",
                p.name,
                a.provision_ms_mean,
                per_second,
                2.0 * per_second,
                a.longest_pass.map_or("-".into(), |(took, events, queued)| format!(
                    "{took:.1} s ({events} events handled, {queued} callbacks queued)"
                )),
                rate(p.rates.sending),
                sending_cadence(&a.sending_passes)
            );
        }
        let _ = writeln!(s);

        let _ = writeln!(s, "## Callbacks per transaction\n");
        for p in &self.phases {
            let _ = writeln!(
                s,
                "- {}: relayer audit log (`callback.sent` batches the chain confirmed): {}",
                p.name,
                distribution(&p.audit.confirmed_sizes())
            );
            let _ = writeln!(
                s,
                "- {}: on chain (`wasm-ve.callback_processed` events per transaction in blocks {}..{}): {}; \
                 {} processed, {} already_processed",
                p.name,
                p.height_at_start + 1,
                p.height_at_done,
                distribution(&p.batches.per_tx),
                p.batches.processed,
                p.batches.already_processed
            );
        }
        let _ = writeln!(s);

        let _ = writeln!(s, "## What the relayer did wrong on the real chain\n");
        let _ = writeln!(
            s,
            "From its audit log (`callback.sent` outcomes, `callback.dead_letter`, `relayer.pass_failed`, step notes), \
             the blocks, and `ve-relayer status --db` after each stop.\n"
        );
        for p in &self.phases {
            let problems = Self::problems(p);
            let _ = writeln!(
                s,
                "- {}: `ve-relayer status`: {}; exit on SIGTERM: {}",
                p.name,
                p.outbox.get("outbox").unwrap_or(&p.outbox),
                p.exit
            );
            if problems.is_empty() {
                let _ = writeln!(
                    s,
                    "  - nothing: no dead letters, no refused or unknown submissions, no failed passes, no re-sends"
                );
            }
            for line in problems {
                let _ = writeln!(s, "  - {}", line.trim_start());
            }
        }
        let _ = writeln!(s, "\nWaldur emulator at the end: {}\n", self.waldur);

        let _ = writeln!(s, "## Making the allocations\n");
        let _ = writeln!(
            s,
            "Backlog setup {:.1} s, steady setup (orders and bids) {:.1} s.\n",
            self.setup.backlog_seconds, self.setup.steady_seconds
        );
        let _ = writeln!(
            s,
            "| transactions | count | executes | gas_used per execute (mean) |\n|---|---|---|---|"
        );
        for (kind, (txs, executes, gas, _)) in &self.setup.by_kind {
            let _ = writeln!(
                s,
                "| {} | {txs} | {executes} | {} |",
                kind.label(),
                gas / (*executes).max(1)
            );
        }
        if let Some(a) = self.phase("steady").and_then(|p| p.arrival.as_ref()) {
            let _ = writeln!(
                s,
                "\nThe steady arrivals were sent with a fixed gas limit of {} (one simulated x 1.3 x 1.5).",
                a.gas_limit
            );
        }
        let _ = writeln!(
            s,
            "\nThe samples of each phase are in `{}/samples-<phase>.csv` after a run; the relayer's audit log and \
             database in `{}`.",
            o.home.display(),
            self.relayer_config
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_oldest_callback_and_the_least_time_left() {
        let mut b = ChainBatches::default();
        b.note_signed(1_000, &[(990, 1_590), (700, 1_300)]);
        b.note_signed(1_010, &[(1_000, 1_600)]);
        assert_eq!(b.callbacks_read, 3);
        assert_eq!(b.max_age_at_inclusion, Some(300));
        assert_eq!(b.min_time_left_at_inclusion, Some(300));
        assert_eq!(b.validity, Some(600));
    }

    #[test]
    fn describes_a_distribution() {
        assert_eq!(distribution(&[]), "none");
        assert_eq!(
            distribution(&[50, 50, 7]),
            "3 transactions: min 7, median 50, mean 35.7, max 50 (2x50, 1x7)"
        );
    }
}
