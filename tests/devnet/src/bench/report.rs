//! The figures of a devnet bench run, printed as tables and written as
//! bench/devnet-gas.md. Every figure is a transaction's `gas_used` as the
//! chain committed it; nothing here is measured or assumed otherwise.

use std::fmt::Write as _;

use super::chain::NodeVersion;
use crate::cli::TxResult;

/// The budget of a user-facing execute, in cw20-base transfers.
pub const EXECUTE_BUDGET: f64 = 1.5;
/// The budget of one callback's share of a batch, against one sent alone.
pub const BATCH_BUDGET: f64 = 0.5;

/// One measured transaction.
#[derive(Debug, Clone)]
pub struct Row {
    pub op: String,
    pub gas_used: u64,
    /// Contract executions in the transaction (wasmd's `execute` events:
    /// the contract called and every contract it called in turn).
    pub contracts: usize,
    /// A user-facing execute, held to [`EXECUTE_BUDGET`].
    pub budgeted: bool,
}

/// Contract executions in a transaction.
pub fn contracts_executed(tx: &TxResult) -> usize {
    tx.events_of("execute").count()
}

/// The rows of one contract (or of the relayer's callbacks).
#[derive(Debug, Clone)]
pub struct Table {
    pub title: String,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn new(title: &str) -> Table {
        Table {
            title: title.to_string(),
            rows: Vec::new(),
        }
    }

    /// A user-facing execute.
    pub fn execute(&mut self, op: &str, tx: &TxResult) {
        self.push(op, tx, true);
    }

    /// A transaction outside the per-execute budget (e.g. several
    /// callbacks in one message).
    pub fn other(&mut self, op: &str, tx: &TxResult) {
        self.push(op, tx, false);
    }

    fn push(&mut self, op: &str, tx: &TxResult, budgeted: bool) {
        let contracts = contracts_executed(tx);
        println!(
            "  {:>10}  {op} ({contracts} contract executions)",
            tx.gas_used
        );
        self.rows.push(Row {
            op: op.to_string(),
            gas_used: tx.gas_used,
            contracts,
            budgeted,
        });
    }
}

/// cw20-base's transfers in the same run.
#[derive(Debug, Clone, Default)]
pub struct Cw20 {
    /// A bank send in the same run: a transaction's own gas without a
    /// contract (signature, bytes, fee).
    pub bank_send: u64,
    pub instantiate: u64,
    /// The first transfer to each of several accounts that held none.
    pub to_new: Vec<u64>,
    /// Transfers to accounts that already hold a balance.
    pub repeat: Vec<u64>,
}

impl Cw20 {
    /// The baseline: the typical (median) first transfer to a new holder.
    pub fn baseline(&self) -> u64 {
        median(&self.to_new)
    }
}

/// `n` callbacks in one `submit_callbacks` against the same kinds sent one
/// per transaction with `submit_callback`.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub kinds: String,
    pub batch_total: u64,
    pub n: usize,
    /// (kind, gas_used) of each one sent alone.
    pub singles: Vec<(String, u64)>,
}

impl Batch {
    pub fn singles_total(&self) -> u64 {
        self.singles.iter().map(|(_, g)| g).sum()
    }
    pub fn single_mean(&self) -> f64 {
        self.singles_total() as f64 / self.singles.len().max(1) as f64
    }
    pub fn batched_share(&self) -> f64 {
        self.batch_total as f64 / self.n.max(1) as f64
    }
    /// A batched callback's share of the batch over one sent alone.
    pub fn ratio(&self) -> f64 {
        self.batched_share() / self.single_mean()
    }
}

/// One part of an allocation's life: one or more transactions.
#[derive(Debug, Clone)]
pub struct Part {
    pub what: String,
    pub txs: Vec<u64>,
}

impl Part {
    pub fn total(&self) -> u64 {
        self.txs.iter().sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Life {
    pub parts: Vec<Part>,
    /// How the parts were made (printed under the table).
    pub notes: Vec<String>,
}

impl Life {
    pub fn add(&mut self, what: &str, txs: Vec<u64>) {
        let part = Part {
            what: what.to_string(),
            txs,
        };
        println!(
            "  {:>10}  {} ({} tx)",
            part.total(),
            part.what,
            part.txs.len()
        );
        self.parts.push(part);
    }
    pub fn total(&self) -> u64 {
        self.parts.iter().map(Part::total).sum()
    }
    pub fn transactions(&self) -> usize {
        self.parts.iter().map(|p| p.txs.len()).sum()
    }
}

/// Everything a run measured.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub node: NodeVersion,
    pub chain_id: String,
    /// When the run started (UTC, RFC 3339).
    pub started: String,
    pub first_height: u64,
    pub last_height: u64,
    pub cw20: Cw20,
    pub tables: Vec<Table>,
    pub batch: Batch,
    pub life: Life,
}

pub fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn join(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Figures {
    fn x(&self, gas: f64) -> f64 {
        gas / self.cw20.baseline().max(1) as f64
    }

    /// Budgeted rows over the budget, and how many were checked.
    fn missed(&self) -> (Vec<&Row>, usize) {
        let rows: Vec<&Row> = self
            .tables
            .iter()
            .flat_map(|t| t.rows.iter())
            .filter(|r| r.budgeted)
            .collect();
        let limit = EXECUTE_BUDGET * self.cw20.baseline() as f64;
        let checked = rows.len();
        (
            rows.into_iter()
                .filter(|r| r.gas_used as f64 > limit)
                .collect(),
            checked,
        )
    }

    /// The report as markdown (bench/devnet-gas.md).
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let base = self.cw20.baseline();
        let _ = write!(
            md,
            "# Gas on a real chain (devnet)\n\n\
Written by `scripts/bench.sh` (`cargo run -p ve-devnet --bin ve-devnet-bench`): a fresh one-validator \
chain of its own (`scripts/devnet.sh`, port offset 300) running wasmd {} (wasmvm {}, Cosmos SDK {}, {}), \
chain `{}`, run started {}, blocks {} to {}. The optimised artifacts (`artifacts/*.wasm`) are stored and \
wired as `ve-deploy` does; cw20-base 2.0.0 (`artifacts/bench/cw20-base.wasm`, built by `scripts/bench.sh`) \
is stored and instantiated on the same chain.\n\n\
Every figure is the `gas_used` of a committed transaction of one message, as the chain reports it: \
the whole transaction (ante handler: signature check and 10 gas per byte of the transaction; the \
contract's VM gas / 140,000; storage reads and writes; events; the 60,000 instance cost of an unpinned \
contract for each contract called). The gas limit (simulation x 1.4) only bounds it, so the gas \
adjustment does not enter. Gas used depends on the message's bytes (addresses of this chain's \
`wasm` prefix) and little on the state.\n",
            self.node.wasmd,
            self.node.wasmvm,
            self.node.cosmos_sdk,
            self.node.go,
            self.chain_id,
            self.started,
            self.first_height,
            self.last_height,
        );

        let repeat = median(&self.cw20.repeat);
        let compared = match repeat.cmp(&base) {
            std::cmp::Ordering::Greater => format!(
                "a repeat one costs {} more ({repeat}): on wasmd a write costs the same whether the key \
is new or not, and reading an existing balance pays for its bytes",
                repeat - base
            ),
            std::cmp::Ordering::Less => {
                format!("a repeat one costs {} less ({repeat})", base - repeat)
            }
            std::cmp::Ordering::Equal => "a repeat one costs the same".to_string(),
        };
        let _ = write!(
            md,
            "\n## The baseline: cw20-base transfer\n\n| transaction | gas_used (each) | typical (median) |\n|---|---|---|\n\
| cw20 transfer to an account that held none (first transfer to a new holder) | {} | {} |\n\
| cw20 transfer to an account that already holds some | {} | {} |\n\
| for scale: a bank send (no contract) | {} | {} |\n\n\
The baseline is the typical first transfer to a new holder, **{base}** gas_used; {compared}. \
cw20-base instantiate (one holder): {}. The bank send, a transaction without a contract (ante \
handler: fee, signature, bytes; then the send), shows how much of every figure is not a contract's \
work: {} of the transfer's {base}.\n",
            join(&self.cw20.to_new),
            base,
            join(&self.cw20.repeat),
            repeat,
            self.cw20.bank_send,
            self.cw20.bank_send,
            self.cw20.instantiate,
            self.cw20.bank_send,
        );

        let _ = write!(
            md,
            "\n## Executes\n\nBudget: every user-facing execute at most {EXECUTE_BUDGET}x the cw20 \
transfer ({:.0} gas_used). Rows without a budget mark carry several callbacks in one message. \
\"contracts\" counts the contract executions of the transaction (wasmd's `execute` events: the \
contract called and each one it calls in turn); each costs an instance (60,000 gas for an unpinned \
contract) besides its own work.\n\n\
Each execute runs on the state a deployment has when it happens: an offering through its states; an \
order of 2 units with a bid withdrawn and another accepted (the escrow moves into settlement); the \
allocation provisioned by the relayer's signed callbacks, paused, resumed and grown to 3 units; its \
escrow topped up, usage recorded by the provider directly (periods ending at the latest block time), \
acknowledged, disputed, upheld by the arbiter, settled; the allocation terminated and the escrow \
finalized; an HPC job from submission to completion (billed) and a pending one cancelled. Messages \
are the contracts' own `ExecuteMsg` types as JSON, unset optional fields left out as cosmjs sends \
them; callbacks are signed by the provider's registered key and sent by the relayer's account.\n",
            EXECUTE_BUDGET * base as f64
        );
        for table in &self.tables {
            let _ = write!(
                md,
                "\n### {}\n\n| operation | gas_used | x cw20 transfer | contracts | budget {EXECUTE_BUDGET}x |\n|---|---|---|---|---|\n",
                table.title
            );
            for row in &table.rows {
                let x = self.x(row.gas_used as f64);
                let mark = if !row.budgeted {
                    "-"
                } else if x <= EXECUTE_BUDGET {
                    "met"
                } else {
                    "missed"
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {x:.2} | {} | {mark} |",
                    row.op, row.gas_used, row.contracts
                );
            }
        }

        let b = &self.batch;
        let _ = write!(
            md,
            "\n## Callbacks: {} in one `submit_callbacks` vs one per transaction\n\n\
The callbacks: {}. Each was signed by the provider's registered key (`ve_relayer::chain::signer::Signer`) \
stamped with the latest block time, and sent by the relayer's fee account.\n\n\
| | transactions | gas_used in all | per callback | x cw20 transfer |\n|---|---|---|---|---|\n\
| one `submit_callbacks` of {} | 1 | {} | {:.0} | {:.2} |\n\
| one `submit_callback` each | {} | {} | {:.0} | {:.2} |\n\n",
            b.n,
            b.kinds,
            b.n,
            b.batch_total,
            b.batched_share(),
            self.x(b.batched_share()),
            b.singles.len(),
            b.singles_total(),
            b.single_mean(),
            self.x(b.single_mean()),
        );
        let mut kinds: Vec<&str> = b.singles.iter().map(|(k, _)| k.as_str()).collect();
        kinds.dedup();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in kinds {
            let gas: Vec<u64> = b
                .singles
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, g)| *g)
                .collect();
            let _ = writeln!(
                md,
                "- alone, {kind}: median {} (min {}, max {}, {} sent)",
                median(&gas),
                gas.iter().min().copied().unwrap_or(0),
                gas.iter().max().copied().unwrap_or(0),
                gas.len()
            );
        }
        let _ =
            writeln!(
            md,
            "\nA batched callback's share is {:.2}x one sent alone (budget {BATCH_BUDGET}x): {}.",
            b.ratio(),
            if b.ratio() <= BATCH_BUDGET { "met" } else { "missed" }
        );

        let _ = write!(
            md,
            "\n## One allocation's whole life\n\n| part | transactions | gas_used | per transaction | x cw20 transfer |\n|---|---|---|---|---|\n"
        );
        for part in &self.life.parts {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.2} |",
                part.what,
                part.txs.len(),
                part.total(),
                part.total() / part.txs.len().max(1) as u64,
                self.x(part.total() as f64)
            );
        }
        let _ = writeln!(
            md,
            "| **all** | {} | **{}** | {} | {:.2} |\n",
            self.life.transactions(),
            self.life.total(),
            self.life.total() / self.life.transactions().max(1) as u64,
            self.x(self.life.total() as f64)
        );
        for note in &self.life.notes {
            let _ = writeln!(md, "- {note}");
        }

        let (missed, checked) = self.missed();
        let _ = write!(md, "\n## Budgets\n\n");
        let _ = writeln!(
            md,
            "- Every user-facing execute <= {EXECUTE_BUDGET}x the cw20 transfer ({base} gas_used): **{}**, \
{} of {checked} within.{}",
            if missed.is_empty() { "met" } else { "missed" },
            checked - missed.len(),
            if missed.is_empty() {
                String::new()
            } else {
                format!(
                    " Over: {}.",
                    missed
                        .iter()
                        .map(|r| format!(
                            "{} {} ({:.2}x)",
                            r.op,
                            r.gas_used,
                            self.x(r.gas_used as f64)
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        );
        let budgeted: Vec<&Row> = self
            .tables
            .iter()
            .flat_map(|t| t.rows.iter())
            .filter(|r| r.budgeted)
            .collect();
        let single: Vec<&&Row> = budgeted.iter().filter(|r| r.contracts <= 1).collect();
        let most_single = single.iter().map(|r| r.gas_used).max().unwrap_or(0);
        let _ = writeln!(
            md,
            "  - Executes of one contract: {} of {} within (the highest {:.2}x). Executes that call \
a second contract (escrows into settlement, callbacks dispatched to their target): {} of {} within.",
            single
                .iter()
                .filter(|r| self.x(r.gas_used as f64) <= EXECUTE_BUDGET)
                .count(),
            single.len(),
            self.x(most_single as f64),
            budgeted
                .iter()
                .filter(|r| r.contracts > 1 && self.x(r.gas_used as f64) <= EXECUTE_BUDGET)
                .count(),
            budgeted.iter().filter(|r| r.contracts > 1).count(),
        );
        let _ = writeln!(
            md,
            "- A batched callback's share <= {BATCH_BUDGET}x one sent alone: **{}**, {:.2}x \
({:.0} vs {:.0} gas_used).",
            if b.ratio() <= BATCH_BUDGET {
                "met"
            } else {
                "missed"
            },
            b.ratio(),
            b.batched_share(),
            b.single_mean()
        );
        md
    }

    /// The summary printed at the end of a run.
    pub fn print_summary(&self) {
        let base = self.cw20.baseline();
        println!("\n== summary (gas_used; x = / cw20 transfer {base})");
        println!(
            "  bank send {}; cw20 transfer to a new holder: {} (median {base}); repeat: {} (median {})",
            self.cw20.bank_send,
            join(&self.cw20.to_new),
            join(&self.cw20.repeat),
            median(&self.cw20.repeat)
        );
        for table in &self.tables {
            println!("  -- {}", table.title);
            for row in &table.rows {
                let x = self.x(row.gas_used as f64);
                let mark = match (row.budgeted, x <= EXECUTE_BUDGET) {
                    (false, _) => "",
                    (true, true) => "met",
                    (true, false) => "MISSED",
                };
                println!(
                    "  {:>10} {x:>6.2}x {mark:<6} {} contract(s)  {}",
                    row.gas_used, row.contracts, row.op
                );
            }
        }
        let b = &self.batch;
        println!(
            "  -- batch of {}: {} in all, {:.0} per callback; alone: {} in {} txs, {:.0} each; ratio {:.2}x (budget {BATCH_BUDGET}x: {})",
            b.n,
            b.batch_total,
            b.batched_share(),
            b.singles_total(),
            b.singles.len(),
            b.single_mean(),
            b.ratio(),
            if b.ratio() <= BATCH_BUDGET { "met" } else { "MISSED" }
        );
        println!("  -- whole life of one allocation");
        for part in &self.life.parts {
            println!(
                "  {:>10} {:>6.2}x  {} ({} tx)",
                part.total(),
                self.x(part.total() as f64),
                part.what,
                part.txs.len()
            );
        }
        println!(
            "  {:>10} {:>6.2}x  all ({} tx)",
            self.life.total(),
            self.x(self.life.total() as f64),
            self.life.transactions()
        );
        let (missed, checked) = self.missed();
        println!(
            "  executes within {EXECUTE_BUDGET}x: {} of {checked}",
            checked - missed.len()
        );
    }
}

/// A before/after table of two runs of the same scenario on one chain
/// (`VE_BENCH_BEFORE`): every measured transaction's `gas_used` in both
/// and the change in percent of the before figure.
pub fn comparison(
    before: &Figures,
    after: &Figures,
    before_label: &str,
    after_label: &str,
) -> String {
    let mut md = String::new();
    let percent = |b: u64, a: u64| {
        if b == 0 {
            0.0
        } else {
            (a as f64 - b as f64) * 100.0 / b as f64
        }
    };
    let _ = write!(
        md,
        "# Gas before/after on one devnet chain\n\n\
Written by `ve-devnet-bench` with `VE_BENCH_BEFORE` or `VE_BENCH_JSON_STORE` set: the same scenario ran twice on one chain \
(chain `{}`, wasmd {}), first on the contracts of **before** ({before_label}), then on the \
contracts of **after** ({after_label}), each deployed fresh. Figures are the `gas_used` of the \
committed transactions; change = (after - before) / before. The cw20-base rows are the same \
contract in both runs: their change shows what the chain's own drift is between the runs.\n\n\
| table | operation | before | after | change |\n|---|---|---|---|---|\n",
        after.chain_id, after.node.wasmd,
    );
    let mut row = |table: &str, op: &str, b: u64, a: u64| {
        let _ = writeln!(
            md,
            "| {table} | {op} | {b} | {a} | {:+.2}% |",
            percent(b, a)
        );
    };
    row(
        "cw20-base",
        "transfer to a new holder (median)",
        before.cw20.baseline(),
        after.cw20.baseline(),
    );
    row(
        "cw20-base",
        "bank send",
        before.cw20.bank_send,
        after.cw20.bank_send,
    );
    let mut changes = Vec::new();
    for table in &after.tables {
        let Some(earlier) = before.tables.iter().find(|t| t.title == table.title) else {
            continue;
        };
        for (n, r) in table.rows.iter().enumerate() {
            // Rows of one name (the same op on other state) pair in order.
            let nth = table.rows[..n].iter().filter(|x| x.op == r.op).count();
            let Some(b) = earlier.rows.iter().filter(|x| x.op == r.op).nth(nth) else {
                continue;
            };
            changes.push(percent(b.gas_used, r.gas_used));
            row(&table.title, &r.op, b.gas_used, r.gas_used);
        }
    }
    row(
        "callbacks",
        &format!("one submit_callbacks of {}", after.batch.n),
        before.batch.batch_total,
        after.batch.batch_total,
    );
    row(
        "callbacks",
        "one submit_callback each, in all",
        before.batch.singles_total(),
        after.batch.singles_total(),
    );
    for part in &after.life.parts {
        if let Some(b) = before.life.parts.iter().find(|p| p.what == part.what) {
            row("whole life", &part.what, b.total(), part.total());
        }
    }
    row("whole life", "all", before.life.total(), after.life.total());
    if !changes.is_empty() {
        let mean = changes.iter().sum::<f64>() / changes.len() as f64;
        let (lo, hi) = changes
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), c| (lo.min(*c), hi.max(*c)));
        let _ = writeln!(
            md,
            "\nExecutes compared: {}; change per execute: mean {mean:+.2}%, from {lo:+.2}% to {hi:+.2}%.",
            changes.len()
        );
    }
    md
}
