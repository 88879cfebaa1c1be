//! `ve-devnet-bench`: the gas the chain charges. Starts a devnet of its own
//! (`target/devnet-bench`, ports + 300, stopped at the end), deploys the
//! four contracts from `artifacts/` and cw20-base from
//! `artifacts/bench/cw20-base.wasm`, sends every user-facing execute on
//! realistic state, a 50-callback batch against the same callbacks one by
//! one, and one allocation's whole life, and reports each transaction's
//! `gas_used` against cw20-base's transfer. Prints the tables and writes
//! bench/devnet-gas.md.
//!
//! Usage: ve-devnet-bench [--home DIR] [--artifacts DIR] [--out FILE]

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use ve_devnet::bench::scenario;
use ve_devnet::Devnet;

/// Ports of the bench's chain: the defaults + this.
const PORT_OFFSET: u16 = 300;

fn main() -> Result<()> {
    let root = ve_devnet::repo_root();
    let mut home = root.join("target/devnet-bench");
    let mut artifacts = root.join("artifacts");
    let mut out = root.join("bench/devnet-gas.md");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--home", Some(dir)) => home = PathBuf::from(dir),
            ("--artifacts", Some(dir)) => artifacts = PathBuf::from(dir),
            ("--out", Some(file)) => out = PathBuf::from(file),
            _ => bail!("usage: ve-devnet-bench [--home DIR] [--artifacts DIR] [--out FILE]"),
        }
    }
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
    let deployment =
        ve_devnet::deploy(&cli, &devnet, &artifacts).context("deploying the contracts")?;
    println!(
        "deployed on {} (marketplace {})",
        deployment.chain_id,
        deployment.contract("marketplace")?
    );
    let figures = scenario::run(&cli, &deployment, &cw20, &home.join("scratch"))?;
    figures.print_summary();
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&out, figures.markdown())
        .with_context(|| format!("writing {}", out.display()))?;
    println!("\nwrote {}", out.display());
    Ok(())
}
