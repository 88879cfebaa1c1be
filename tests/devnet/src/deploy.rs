//! Deploys the four contracts: store the optimised artifacts, instantiate
//! and wire them in the order of docs/deploying.md, write the deployment file.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::cli::Wasmd;

/// The contracts in store order.
pub const CONTRACTS: [&str; 4] = ["settlement", "marketplace", "hpc", "waldur-callback"];

/// The platform fee of the devnet's deployment (basis points).
pub const PLATFORM_FEE_BPS: u16 = 250;

/// What a deployment made: read by the relayer's config, the demo, the
/// tests and the bench.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Deployment {
    pub chain_id: String,
    pub rpc_url: String,
    pub grpc: String,
    pub rest_url: String,
    pub denom: String,
    /// The height of the last deployment transaction: where a relayer
    /// starts reading events (`[rpc] start_height`).
    pub start_height: u64,
    /// Contract name -> code ID.
    pub code_ids: BTreeMap<String, u64>,
    /// Contract name -> sha256 of the stored wasm (hex).
    pub checksums: BTreeMap<String, String>,
    /// Contract name -> address.
    pub contracts: BTreeMap<String, String>,
    /// The contracts' wasm admin (may migrate) and config admin.
    pub admin: String,
    /// The devnet's named test accounts -> address.
    pub accounts: BTreeMap<String, String>,
}

impl Deployment {
    pub fn contract(&self, name: &str) -> Result<&str> {
        self.contracts
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("the deployment has no {name} contract"))
    }

    pub fn account(&self, name: &str) -> Result<&str> {
        self.accounts
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("the deployment has no account {name}"))
    }

    pub fn read(path: &Path) -> Result<Deployment> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the deployment file {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Whether the chain still holds this deployment: every contract
    /// answers with the code ID recorded here.
    pub fn is_live(&self, cli: &Wasmd) -> bool {
        self.contracts.iter().all(|(name, address)| {
            cli.run(&["query", "wasm", "contract", address, "--output", "json"])
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .and_then(|v| {
                    v.pointer("/contract_info/code_id")
                        .and_then(|c| c.as_str().map(str::to_owned))
                })
                .is_some_and(|code| {
                    Some(&code) == self.code_ids.get(name).map(u64::to_string).as_ref()
                })
        })
    }
}

/// The named test accounts of scripts/devnet.sh.
pub const ACCOUNTS: [&str; 6] = [
    "deployer", "provider", "customer", "relayer", "arbiter", "treasury",
];

/// Where a deployment outcome stands for `ve-deploy`.
pub enum Outcome {
    Deployed(Deployment),
    AlreadyDeployed(Deployment),
}

/// Deploys from `artifacts` unless `file` names a deployment that the
/// chain still holds with the same checksums (then that one is answered).
pub fn deploy_once(
    cli: &Wasmd,
    devnet: &crate::Devnet,
    artifacts: &Path,
    file: &Path,
) -> Result<Outcome> {
    if file.exists() {
        let existing = Deployment::read(file)?;
        if existing.chain_id == cli.chain_id && existing.is_live(cli) {
            let current = checksums(artifacts)?;
            if current != existing.checksums {
                bail!(
                    "{} is deployed on {} from other artifacts (checksums differ); \
                     migrate it, or reset the devnet (scripts/devnet.sh reset) and deploy again",
                    file.display(),
                    existing.chain_id
                );
            }
            return Ok(Outcome::AlreadyDeployed(existing));
        }
    }
    let deployment = deploy(cli, devnet, artifacts)?;
    deployment.write(file)?;
    Ok(Outcome::Deployed(deployment))
}

fn checksums(artifacts: &Path) -> Result<BTreeMap<String, String>> {
    CONTRACTS
        .iter()
        .map(|name| {
            let path = artifacts.join(format!("{name}.wasm"));
            let bytes = std::fs::read(&path).with_context(|| {
                format!("reading {} (run scripts/build-wasm.sh)", path.display())
            })?;
            Ok((name.to_string(), hex::encode(Sha256::digest(&bytes))))
        })
        .collect()
}

/// Stores, instantiates and wires the four contracts as `deployer`, which
/// becomes their admin. Settlement's arbiter is `arbiter`, the platform fee
/// goes to `treasury`.
pub fn deploy(cli: &Wasmd, devnet: &crate::Devnet, artifacts: &Path) -> Result<Deployment> {
    let mut accounts = BTreeMap::new();
    for name in ACCOUNTS {
        accounts.insert(name.to_string(), cli.address(name)?);
    }
    let admin = accounts["deployer"].clone();
    let checksums = checksums(artifacts)?;

    let mut code_ids = BTreeMap::new();
    for name in CONTRACTS {
        let (code_id, _) = cli
            .store("deployer", &artifacts.join(format!("{name}.wasm")))
            .with_context(|| format!("storing {name}"))?;
        code_ids.insert(name.to_string(), code_id);
    }
    let instantiate = |name: &str, msg: serde_json::Value| {
        cli.instantiate(
            "deployer",
            code_ids[name],
            &msg,
            &format!("ve-{name}"),
            &admin,
        )
        .with_context(|| format!("instantiating {name}"))
    };

    // 1-3: settlement, then the marketplace and hpc pointing at it.
    let settlement = instantiate(
        "settlement",
        json!({
            "arbiter": accounts["arbiter"],
            "fee_shares": [{"name": "platform", "recipient": accounts["treasury"], "bps": PLATFORM_FEE_BPS}],
            "ack_window_seconds": 86400,
        }),
    )?;
    let marketplace = instantiate(
        "marketplace",
        json!({"settlement_contract": settlement, "escrow_expiry_seconds": 2592000}),
    )?;
    let hpc = instantiate(
        "hpc",
        json!({"settlement_contract": settlement, "escrow_grace_seconds": 604800}),
    )?;
    // 4: settlement trusts them.
    cli.execute(
        "deployer",
        &settlement,
        &json!({"update_config": {"marketplace": marketplace, "hpc": hpc}}),
        "",
    )
    .context("settlement update_config")?;
    // 5-6: waldur-callback, trusted by the three.
    let callback = instantiate(
        "waldur-callback",
        json!({"marketplace": marketplace, "settlement": settlement, "hpc": hpc}),
    )?;
    let mut last = None;
    for target in [&marketplace, &settlement, &hpc] {
        last = Some(
            cli.execute(
                "deployer",
                target,
                &json!({"update_config": {"callback_contract": callback}}),
                "",
            )
            .with_context(|| format!("update_config of {target}"))?,
        );
    }
    let start_height = last.map(|t| t.height).unwrap_or_default();

    let contracts = BTreeMap::from([
        ("settlement".to_string(), settlement),
        ("marketplace".to_string(), marketplace),
        ("hpc".to_string(), hpc),
        ("waldur-callback".to_string(), callback),
    ]);
    Ok(Deployment {
        chain_id: cli.chain_id.clone(),
        rpc_url: devnet.rpc_url.clone(),
        grpc: devnet.grpc.clone(),
        rest_url: devnet.rest_url.clone(),
        denom: cli.denom.clone(),
        start_height,
        code_ids,
        checksums,
        contracts,
        admin,
        accounts,
    })
}
