//! `ve-devnet-demo` (`scripts/demo.sh --chain wasmd`): the main job on the
//! running devnet. Deploys once, starts a `waldur-emulator` process and
//! `ve-relayer run` against the node, drives one allocation from order to
//! final settlement and one HPC job, printing each step, and ends with the
//! embedded demo's checks. Exits non-zero when a check fails.

use anyhow::Result;
use ve_devnet::deploy::{deploy_once, Outcome as Deployed, PLATFORM_FEE_BPS};
use ve_devnet::processes::{build_binaries, EmulatorProcess};
use ve_devnet::story::{self, Stack, WALDUR_TOKEN};
use ve_devnet::Devnet;

fn main() -> Result<()> {
    let root = ve_devnet::repo_root();
    let devnet = Devnet::existing()?;
    let cli = devnet.cli();
    let deployment = match deploy_once(
        &cli,
        &devnet,
        &root.join("artifacts"),
        &root.join(".devnet/deployment.json"),
    )? {
        Deployed::Deployed(d) => {
            println!("deployed the four contracts (.devnet/deployment.json)");
            d
        }
        Deployed::AlreadyDeployed(d) => d,
    };
    let bin_dir = build_binaries()?;
    let waldur = EmulatorProcess::start(&bin_dir, WALDUR_TOKEN)?;
    let stack = Stack {
        cli,
        deployment,
        bin_dir,
        waldur,
    };
    let dir = root.join(format!(".devnet/demo-{}", stack.block_time()?));
    let mut step = 0;
    let outcome = story::run(&stack, &dir, &mut |line| {
        step += 1;
        println!("[{step:>2}] {line}");
    })?;

    outcome.check()?;
    let fee = story::BILLED * u128::from(PLATFORM_FEE_BPS) / 10_000;
    println!(
        "checks passed: escrow paid out exactly ({} to the provider, {fee} fee, {} from the customer), job billed 3 node-hours, no dead letters; relayer files in {}",
        story::BILLED - fee,
        story::BILLED,
        dir.display()
    );
    Ok(())
}
