//! `ve-deploy`: deploys the four contracts to the running devnet
//! (`scripts/devnet.sh start`) from `artifacts/` and writes
//! `.devnet/deployment.json`. Run again, it says the deployment is there.
//!
//! Usage: ve-deploy [--artifacts DIR] [--out FILE]

use std::path::PathBuf;

use anyhow::{bail, Result};
use ve_devnet::deploy::{deploy_once, Outcome};
use ve_devnet::Devnet;

fn main() -> Result<()> {
    let root = ve_devnet::repo_root();
    let mut artifacts = root.join("artifacts");
    let mut out = root.join(".devnet/deployment.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--artifacts", Some(dir)) => artifacts = PathBuf::from(dir),
            ("--out", Some(file)) => out = PathBuf::from(file),
            _ => bail!("usage: ve-deploy [--artifacts DIR] [--out FILE]"),
        }
    }
    let devnet = Devnet::existing()?;
    let cli = devnet.cli();
    match deploy_once(&cli, &devnet, &artifacts, &out)? {
        Outcome::AlreadyDeployed(d) => {
            println!(
                "already deployed on {} (code ids {:?}); {} unchanged",
                d.chain_id,
                d.code_ids,
                out.display()
            );
        }
        Outcome::Deployed(d) => {
            println!("deployed on {} at height {}:", d.chain_id, d.start_height);
            for (name, address) in &d.contracts {
                println!("  {name:<16} code {:>2}  {address}", d.code_ids[name]);
            }
            println!("wrote {}", out.display());
        }
    }
    Ok(())
}
