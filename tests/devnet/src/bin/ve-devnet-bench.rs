//! `ve-devnet-bench`: the gas the chain charges. Starts a devnet of its own
//! (`target/devnet-bench`, ports + 300, stopped at the end), deploys the
//! four contracts from `artifacts/` and cw20-base from
//! `artifacts/bench/cw20-base.wasm`, sends every user-facing execute on
//! realistic state, a 50-callback batch against the same callbacks one by
//! one, and one allocation's whole life, and reports each transaction's
//! `gas_used` against cw20-base's transfer. Prints the tables and writes
//! bench/devnet-gas.md.
//!
//! Comparisons on the same chain (each scenario on contracts deployed
//! fresh, then a table of every transaction's `gas_used` in both and the
//! change):
//! - `VE_BENCH_BEFORE=DIR` (another artifacts directory, e.g. a build of an
//!   earlier commit): the scenario first runs on DIR's contracts, and the
//!   before/after table goes to bench/devnet-before-after.md.
//! - `VE_BENCH_JSON_STORE=DIR` (`scripts/build-wasm.sh --json-store`: stored
//!   values as JSON instead of packed): the table goes to
//!   bench/devnet-store.md.
//!
//! `VE_BENCH_BEFORE_LABEL` and `VE_BENCH_AFTER_LABEL` describe the builds.
//!
//! Usage: ve-devnet-bench [--home DIR] [--artifacts DIR] [--out FILE]

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ve_devnet::bench::report::{self, Figures};
use ve_devnet::bench::scenario;
use ve_devnet::cli::Wasmd;
use ve_devnet::Devnet;

/// Ports of the bench's chain: the defaults + this.
const PORT_OFFSET: u16 = 300;

fn main() -> Result<()> {
    let root = ve_devnet::repo_root();
    let mut home = root.join("target/devnet-bench");
    let mut artifacts = root.join("artifacts");
    let mut out = root.join("bench/devnet-gas.md");
    let usage = "usage: ve-devnet-bench [--home DIR] [--artifacts DIR] [--out FILE]";
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--home", Some(dir)) => home = PathBuf::from(dir),
            ("--artifacts", Some(dir)) => artifacts = PathBuf::from(dir),
            ("--out", Some(file)) => out = PathBuf::from(file),
            _ => bail!(usage),
        }
    }
    // (environment variable, what the variant is, the comparison's file)
    let variants = [
        ("VE_BENCH_BEFORE", "before", "bench/devnet-before-after.md"),
        (
            "VE_BENCH_JSON_STORE",
            "stored values as JSON (`--json-store`)",
            "bench/devnet-store.md",
        ),
    ];
    let cw20 = artifacts.join("bench/cw20-base.wasm");
    if !cw20.exists() {
        bail!(
            "{} is missing: scripts/bench.sh builds it (its cw20-base part)",
            cw20.display()
        );
    }

    println!("devnet bench: a chain of its own in {}", home.display());
    let devnet = Devnet::start_own(&home.join("node"), PORT_OFFSET)?;
    let cli = devnet.cli();
    let label = |var: &str, default: String| std::env::var(var).unwrap_or(default);
    let mut compared = Vec::new();
    for (var, what, file) in variants {
        let Some(dir) = std::env::var_os(var).map(PathBuf::from) else {
            continue;
        };
        println!("\n==== {what}: the contracts of {}", dir.display());
        let scratch = home.join(format!("scratch-{}", var.to_lowercase()));
        let figures = run(&cli, &devnet, &dir, &cw20, &scratch)?;
        let described = if var == "VE_BENCH_BEFORE" {
            label("VE_BENCH_BEFORE_LABEL", format!("`{}`", dir.display()))
        } else {
            format!("{what}, `{}`", dir.display())
        };
        compared.push((figures, described, root.join(file)));
    }
    if !compared.is_empty() {
        println!("\n==== after: the contracts of {}", artifacts.display());
    }
    let figures = run(&cli, &devnet, &artifacts, &cw20, &home.join("scratch"))?;
    figures.print_summary();
    write(&out, &figures.markdown())?;
    let after = label("VE_BENCH_AFTER_LABEL", format!("`{}`", artifacts.display()));
    for (earlier, described, file) in &compared {
        let md = report::comparison(earlier, &figures, described, &after);
        print!("\n{md}");
        write(file, &md)?;
    }
    Ok(())
}

/// Deploys the contracts of `artifacts` and runs the scenario on them.
fn run(
    cli: &Wasmd,
    devnet: &Devnet,
    artifacts: &Path,
    cw20: &Path,
    scratch: &Path,
) -> Result<Figures> {
    let deployment =
        ve_devnet::deploy(cli, devnet, artifacts).context("deploying the contracts")?;
    println!(
        "deployed on {} (marketplace {})",
        deployment.chain_id,
        deployment.contract("marketplace")?
    );
    scenario::run(cli, &deployment, cw20, scratch)
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("\nwrote {}", path.display());
    Ok(())
}
