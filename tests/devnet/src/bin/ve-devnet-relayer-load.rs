//! `ve-devnet-relayer-load`: measures `ve-relayer run`, its own process,
//! while it relays N allocations (default 1,000) on a devnet of its own
//! (`target/devnet-relayer-load`, ports + 400, stopped at the end): a
//! backlog of N made before it starts, then N/4 more (`--steady M`)
//! arriving at 25 a second.
//! Prints the figures and writes bench/devnet-relayer.md.
//!
//! Usage: ve-devnet-relayer-load [N] [--steady M] [--batch B] [--per-tick K]
//!        [--tick-ms MS] [--home DIR] [--artifacts DIR] [--out FILE]
//!        [--waldur-rate-limit R] [--bin-dir DIR [--bin-source TEXT]]
//!
//! `--waldur-rate-limit` is the relayer's Waldur requests a second
//! (default 250: at the relayer's default of 10, Waldur's limit and not
//! the relayer bounds provisioning at 2 allocations a second).
//!
//! `--bin-dir` runs the `ve-relayer` and `waldur-emulator` found there
//! (e.g. built from a commit) instead of building the working tree's;
//! `--bin-source` says what they were built from, for the report.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ve_devnet::load::scenario::{self, Options};

/// Ports of this bench's chain: the defaults + this.
const PORT_OFFSET: u16 = 400;

const USAGE: &str = "usage: ve-devnet-relayer-load [N] [--steady M] [--batch B] [--per-tick K] \
                     [--tick-ms MS] [--home DIR] [--artifacts DIR] [--out FILE] \
                     [--waldur-rate-limit R] [--bin-dir DIR [--bin-source TEXT]]";

fn number(value: Option<String>, what: &str) -> Result<usize> {
    value
        .with_context(|| format!("{what} needs a value\n{USAGE}"))?
        .replace([',', '_'], "")
        .parse()
        .with_context(|| format!("{what}: not a number\n{USAGE}"))
}

fn main() -> Result<()> {
    let root = ve_devnet::repo_root();
    let mut opts = Options {
        allocations: 1_000,
        steady: usize::MAX,
        batch: 50,
        per_tick: 25,
        tick: Duration::from_secs(1),
        sample_every: Duration::from_millis(250),
        home: root.join("target/devnet-relayer-load"),
        artifacts: root.join("artifacts"),
        port_offset: PORT_OFFSET,
        bin_dir: None,
        waldur_rate_limit: 250,
    };
    let mut out = root.join("bench/devnet-relayer.md");
    let (mut bin_dir, mut bin_source) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--steady" => opts.steady = number(args.next(), "--steady")?,
            "--batch" => opts.batch = number(args.next(), "--batch")?,
            "--per-tick" => opts.per_tick = number(args.next(), "--per-tick")?,
            "--tick-ms" => {
                opts.tick = Duration::from_millis(number(args.next(), "--tick-ms")? as u64)
            }
            "--waldur-rate-limit" => {
                opts.waldur_rate_limit = u32::try_from(number(args.next(), "--waldur-rate-limit")?)
                    .context("--waldur-rate-limit: too large")?
            }
            "--home" => opts.home = PathBuf::from(args.next().context(USAGE)?),
            "--artifacts" => opts.artifacts = PathBuf::from(args.next().context(USAGE)?),
            "--out" => out = PathBuf::from(args.next().context(USAGE)?),
            "--bin-dir" => bin_dir = Some(PathBuf::from(args.next().context(USAGE)?)),
            "--bin-source" => bin_source = Some(args.next().context(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            n if !n.starts_with('-') => opts.allocations = number(Some(n.to_string()), "N")?,
            _ => bail!("unknown argument {arg}\n{USAGE}"),
        }
    }
    if let Some(dir) = bin_dir {
        let source =
            bin_source.unwrap_or_else(|| format!("prebuilt binaries in {}", dir.display()));
        opts.bin_dir = Some((dir, source));
    }
    if opts.steady == usize::MAX {
        opts.steady = opts.allocations.div_ceil(4);
    }
    if opts.allocations == 0 || opts.batch == 0 || opts.per_tick == 0 || opts.waldur_rate_limit == 0
    {
        bail!("N, --batch, --per-tick and --waldur-rate-limit must be positive\n{USAGE}");
    }

    let figures = scenario::run(&opts)?;
    figures.print_summary();
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&out, figures.markdown())
        .with_context(|| format!("writing {}", out.display()))?;
    println!("\nwrote {}", out.display());
    Ok(())
}
