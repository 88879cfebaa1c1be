//! A devnet started and stopped through `scripts/devnet.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cli::Wasmd;

/// A running devnet. [`Devnet::start_own`] makes a chain of its own that is
/// stopped when the value is dropped; [`Devnet::existing`] attaches to the
/// developer's (`scripts/devnet.sh start`) and leaves it running.
pub struct Devnet {
    home: PathBuf,
    port_offset: u16,
    /// Stop the node on drop.
    owned: bool,
    pub chain_id: String,
    pub denom: String,
    pub rpc_url: String,
    pub grpc: String,
    pub rest_url: String,
    pub wasmd_bin: PathBuf,
}

impl Devnet {
    /// Starts a fresh chain in `home` (wiped first) with every port moved by
    /// `port_offset`; stopped on drop.
    pub fn start_own(home: &Path, port_offset: u16) -> Result<Devnet> {
        if home.exists() {
            std::fs::remove_dir_all(home)
                .with_context(|| format!("wiping the devnet home {}", home.display()))?;
        }
        let devnet = Devnet::configure(home, port_offset, true)?;
        devnet.script("start")?;
        Ok(devnet)
    }

    /// The devnet of `scripts/devnet.sh start` (default home and ports),
    /// which must be running.
    pub fn existing() -> Result<Devnet> {
        let home = crate::repo_root().join(".devnet/node");
        let offset = std::env::var("VE_DEVNET_PORT_OFFSET")
            .ok()
            .map(|v| v.parse::<u16>())
            .transpose()
            .context("VE_DEVNET_PORT_OFFSET")?
            .unwrap_or(0);
        let home = std::env::var_os("VE_DEVNET_HOME")
            .map(PathBuf::from)
            .unwrap_or(home);
        let devnet = Devnet::configure(&home, offset, false)?;
        if devnet.script("status").is_err() {
            bail!("the devnet is not running: start it with scripts/devnet.sh start");
        }
        Ok(devnet)
    }

    fn configure(home: &Path, port_offset: u16, owned: bool) -> Result<Devnet> {
        let mut devnet = Devnet {
            home: home.to_path_buf(),
            port_offset,
            owned,
            chain_id: String::new(),
            denom: String::new(),
            rpc_url: String::new(),
            grpc: String::new(),
            rest_url: String::new(),
            wasmd_bin: PathBuf::new(),
        };
        let env = devnet.script("env")?;
        let vars: BTreeMap<&str, &str> = env.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.to_string())
                .with_context(|| format!("scripts/devnet.sh env printed no {k}"))
        };
        devnet.chain_id = get("VE_DEVNET_CHAIN_ID")?;
        devnet.denom = get("VE_DEVNET_DENOM")?;
        devnet.rpc_url = get("VE_DEVNET_RPC")?;
        devnet.grpc = get("VE_DEVNET_GRPC")?;
        devnet.rest_url = get("VE_DEVNET_REST")?;
        devnet.wasmd_bin = PathBuf::from(get("VE_DEVNET_WASMD")?);
        Ok(devnet)
    }

    /// Runs `scripts/devnet.sh <action>` for this chain; its stdout.
    fn script(&self, action: &str) -> Result<String> {
        let output = Command::new(crate::repo_root().join("scripts/devnet.sh"))
            .arg(action)
            .env("VE_DEVNET_HOME", &self.home)
            .env("VE_DEVNET_PORT_OFFSET", self.port_offset.to_string())
            .output()
            .with_context(|| format!("running scripts/devnet.sh {action}"))?;
        if !output.status.success() {
            bail!(
                "scripts/devnet.sh {action} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Stops the node; its state stays for [`Devnet::resume`].
    pub fn stop(&self) -> Result<()> {
        self.script("stop").map(|_| ())
    }

    /// Starts the stopped node again on the same state.
    pub fn resume(&self) -> Result<()> {
        self.script("start").map(|_| ())
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The CLI client of this chain.
    pub fn cli(&self) -> Wasmd {
        Wasmd {
            bin: self.wasmd_bin.clone(),
            home: self.home.clone(),
            node: self.rpc_url.replacen("http://", "tcp://", 1),
            chain_id: self.chain_id.clone(),
            denom: self.denom.clone(),
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if self.owned {
            if let Err(e) = self.stop() {
                eprintln!("stopping the devnet in {}: {e:#}", self.home.display());
            }
        }
    }
}
