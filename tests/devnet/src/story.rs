//! The main job on a real chain: the embedded demo's story with real keys
//! and real transactions. The customer, the provider and the admin sign
//! with the devnet's test accounts; `ve-relayer run` (its own process,
//! `chain = "rpc"`) carries the allocation and an HPC job between the chain
//! and a `waldur-emulator` process; every step's result is read back from
//! the chain by smart queries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::cli::{TxResult, Wasmd};
use crate::deploy::{Deployment, PLATFORM_FEE_BPS};
use crate::processes::{wait_until, EmulatorProcess, RelayerProcess};

/// How long the relayer gets to carry one step across.
pub const RELAY_TIMEOUT: Duration = Duration::from_secs(90);

const ORDER_PRICE: u128 = 10_000;
const CPU_HOUR_PRICE: u128 = 100;
const NODE_HOUR_PRICE: u128 = 1_000;
pub const WALDUR_TOKEN: &str = "devnet-demo-token";

/// The relayer's files and the chain objects it is configured for.
pub struct RelayerSetup {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub db: PathBuf,
    pub key_id: String,
    pub offering_id: String,
    pub hpc_offering_id: String,
}

/// Everything the story runs on: the chain's client, the deployment, the
/// built binaries and a Waldur emulator process.
pub struct Stack {
    pub cli: Wasmd,
    pub deployment: Deployment,
    pub bin_dir: PathBuf,
    pub waldur: EmulatorProcess,
}

/// Fees a transaction charged its payer (the `tx` event's `fee`).
pub fn fee_paid(tx: &TxResult, denom: &str) -> Result<u128> {
    let fee = tx
        .events_of("tx")
        .find_map(|e| e.attribute("fee"))
        .unwrap_or_default();
    if fee.is_empty() {
        return Ok(0);
    }
    fee.strip_suffix(denom)
        .with_context(|| format!("fee {fee:?} is not in {denom}"))?
        .parse()
        .with_context(|| format!("fee {fee:?}"))
}

/// The books of one account: what it paid in transaction fees.
#[derive(Default)]
pub struct Fees(BTreeMap<String, u128>);

impl Fees {
    fn note(&mut self, who: &str, tx: &TxResult, denom: &str) -> Result<()> {
        let fee = fee_paid(tx, denom)?;
        let total = self.0.entry(who.to_string()).or_default();
        *total = total.checked_add(fee).context("fee overflow")?;
        Ok(())
    }

    pub fn of(&self, who: &str) -> u128 {
        self.0.get(who).copied().unwrap_or_default()
    }
}

impl Stack {
    /// Deploys the contracts of `artifacts` on `devnet` (a fresh chain),
    /// builds the relayer and the emulator, and starts the emulator.
    pub fn deploy_on(devnet: &crate::Devnet, artifacts: &Path) -> Result<Stack> {
        let cli = devnet.cli();
        let deployment = crate::deploy::deploy(&cli, devnet, artifacts)?;
        let bin_dir = crate::processes::build_binaries()?;
        let waldur = EmulatorProcess::start(&bin_dir, WALDUR_TOKEN)?;
        Ok(Stack {
            cli,
            deployment,
            bin_dir,
            waldur,
        })
    }

    fn contract(&self, name: &str) -> Result<&str> {
        self.deployment.contract(name)
    }

    /// Executes as a test account, noting its fee.
    fn exec(
        &self,
        fees: &mut Fees,
        from: &str,
        contract: &str,
        msg: &Value,
        funds: u128,
    ) -> Result<TxResult> {
        let funds = if funds == 0 {
            String::new()
        } else {
            format!("{funds}{}", self.cli.denom)
        };
        let tx = self
            .cli
            .execute(from, self.contract(contract)?, msg, &funds)
            .with_context(|| format!("{from} executing {msg} on {contract}"))?;
        fees.note(from, &tx, &self.cli.denom)?;
        Ok(tx)
    }

    pub fn allocation(&self, id: &str) -> Result<marketplace::msg::AllocationResponse> {
        self.cli.query(
            self.contract("marketplace")?,
            &json!({"allocation": {"allocation_id": id}}),
        )
    }

    pub fn allocation_state(&self, id: &str) -> Result<String> {
        Ok(self.allocation(id)?.allocation.state.to_string())
    }

    pub fn job(&self, id: &str) -> Result<hpc::msg::JobResponse> {
        self.cli
            .query(self.contract("hpc")?, &json!({"job": {"job_id": id}}))
    }

    pub fn escrow(&self, id: &str) -> Result<settlement::msg::EscrowResponse> {
        self.cli.query(
            self.contract("settlement")?,
            &json!({"escrow": {"escrow_id": id}}),
        )
    }

    /// Waits for an allocation to reach `state` on chain.
    pub fn wait_for_allocation(&self, id: &str, state: &str) -> Result<()> {
        wait_until(
            &format!("allocation {id} {state} on chain"),
            RELAY_TIMEOUT,
            || Ok((self.allocation_state(id)? == state).then_some(())),
        )
    }

    /// The chain's latest block time, unix seconds.
    pub fn block_time(&self) -> Result<u64> {
        let text = self.cli.run(&["status", "--output", "json"])?;
        let status: Value = serde_json::from_str(&text)?;
        let time = status
            .pointer("/sync_info/latest_block_time")
            .and_then(Value::as_str)
            .context("status without block time")?;
        let parsed = cosmrs::tendermint::Time::parse_from_rfc3339(time)
            .with_context(|| format!("block time {time}"))?;
        u64::try_from(parsed.unix_timestamp()).context("block time before 1970")
    }

    /// The provider's chain objects, its relayer key registered, and the
    /// relayer's files (config, keys, maps) in `dir`.
    pub fn prepare_relayer(&self, dir: &Path, fees: &mut Fees) -> Result<RelayerSetup> {
        std::fs::create_dir_all(dir)?;
        let provider = self.deployment.account("provider")?;
        // A fresh key per relayer setup: a chain may already hold older ones.
        let key_id = format!("relayer-{}", self.block_time()?);
        let key_file = dir.join("signer.key");
        let relayer = self.bin_dir.join("ve-relayer");
        run_tool(
            &relayer,
            &[
                "keys",
                "generate",
                "--key-file",
                &key_file.to_string_lossy(),
            ],
        )?;
        // The register_signer message with the key's proof of possession,
        // made by the relayer for this provider, chain and contract.
        let shown = run_tool(
            &relayer,
            &[
                "keys",
                "proof",
                "--key-file",
                &key_file.to_string_lossy(),
                "--key-id",
                &key_id,
                "--provider",
                provider,
                "--chain-id",
                &self.deployment.chain_id,
                "--callback-contract",
                self.contract("waldur-callback")?,
            ],
        )?;
        let register: Value = shown
            .lines()
            .find(|l| l.trim_start().starts_with('{'))
            .context("keys proof printed no register_signer message")
            .and_then(|l| serde_json::from_str(l).context("register_signer message"))?;
        self.exec(fees, "provider", "waldur-callback", &register, 0)?;

        let offering_id: String = self
            .exec(
                fees,
                "provider",
                "marketplace",
                &json!({"create_offering": {"offering": {
                    "name": "HPC node", "description": "Metered CPU hours", "category": "hpc",
                    "pricing": {"model": "usage_based", "denom": self.cli.denom,
                        "base_price": ORDER_PRICE.to_string(),
                        "components": [{"resource_type": "cpu", "unit": "cpu_hour", "price": CPU_HOUR_PRICE.to_string()}]}
                }}}),
                0,
            )?
            .execute_json()?;
        let cluster_id: String = self
            .exec(
                fees,
                "provider",
                "hpc",
                &json!({"register_cluster": {"cluster": {
                    "name": "Devnet cluster", "region": "eu-west-1", "total_nodes": 16}}}),
                0,
            )?
            .execute_json()?;
        let hpc_offering_id: String = self
            .exec(
                fees,
                "provider",
                "hpc",
                &json!({"create_hpc_offering": {"cluster_id": cluster_id, "offering": {
                    "name": "Batch nodes", "description": "",
                    "queues": [{"name": "batch", "max_nodes": 8, "max_runtime_seconds": 86400}],
                    "max_runtime_seconds": 43200, "min_identity_score": 0,
                    "denom": self.cli.denom, "price_per_node_hour": NODE_HOUR_PRICE.to_string()}}}),
                0,
            )?
            .execute_json()?;

        let fee_key = dir.join("fee.key");
        write_private(&fee_key, &self.cli.private_key_hex("relayer")?)?;
        let offering_map = dir.join("offerings.json");
        std::fs::write(
            &offering_map,
            json!({ &offering_id: self.waldur.info.offering_uuid }).to_string(),
        )?;
        let cluster_map = dir.join("clusters.json");
        std::fs::write(
            &cluster_map,
            json!({ &cluster_id: self.waldur.info.service_settings_uuid }).to_string(),
        )?;
        let db = dir.join("relayer.redb");
        let d = &self.deployment;
        // Events from here on: older blocks hold other runs' allocations.
        let start_height = self.cli.height()?;
        let config = dir.join("relayer.toml");
        std::fs::write(
            &config,
            format!(
                r#"db = "{db}"
key_file = "{key_file}"
key_id = "{key_id}"
provider = "{provider}"
chain = "rpc"
node = "{rpc}"
chain_id = "{chain_id}"
callback_contract = "{callback}"
poll_interval = 1
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{waldur}"
waldur_project_uuid = "{project}"
waldur_offering_map = "{offering_map}"
waldur_cluster_map = "{cluster_map}"
denom = "{denom}"

[rpc]
fee_key_file = "{fee_key}"
start_height = {start_height}
account_prefix = "wasm"
gas_price = "{gas_price}{denom}"
tx_poll_interval_ms = 250
request_timeout_ms = 5000
tx_inclusion_timeout_ms = 30000

[rpc.contracts]
marketplace = "{marketplace}"
settlement = "{settlement}"
hpc = "{hpc}"
"#,
                db = db.display(),
                key_file = key_file.display(),
                rpc = d.rpc_url,
                chain_id = d.chain_id,
                callback = d.contract("waldur-callback")?,
                waldur = self.waldur.info.base_url,
                project = self.waldur.info.project_uuid,
                offering_map = offering_map.display(),
                cluster_map = cluster_map.display(),
                denom = d.denom,
                fee_key = fee_key.display(),
                gas_price = crate::cli::GAS_PRICE,
                marketplace = d.contract("marketplace")?,
                settlement = d.contract("settlement")?,
                hpc = d.contract("hpc")?,
            ),
        )?;
        Ok(RelayerSetup {
            dir: dir.to_path_buf(),
            log: dir.join("relayer.log"),
            config,
            db,
            key_id,
            offering_id,
            hpc_offering_id,
        })
    }

    pub fn start_relayer(&self, setup: &RelayerSetup) -> Result<RelayerProcess> {
        RelayerProcess::start(&self.bin_dir, &setup.config, &self.waldur.token, &setup.log)
    }

    /// `ve-relayer status` of a stopped relayer's database (outbox counts
    /// and checkpoint).
    pub fn relayer_status(&self, setup: &RelayerSetup) -> Result<Value> {
        let text = run_tool(
            &self.bin_dir.join("ve-relayer"),
            &["status", "--db", &setup.db.to_string_lossy()],
        )?;
        serde_json::from_str(&text).context("ve-relayer status")
    }

    /// Customer orders, provider bids, customer accepts: the allocation.
    pub fn order_and_accept(&self, fees: &mut Fees, offering_id: &str) -> Result<(String, String)> {
        let order: String = self
            .exec(
                fees,
                "customer",
                "marketplace",
                &json!({"create_order": {"offering_id": offering_id, "quantity": 1,
                    "max_bid_price": ORDER_PRICE.to_string()}}),
                ORDER_PRICE,
            )?
            .execute_json()?;
        let bid: String = self
            .exec(
                fees,
                "provider",
                "marketplace",
                &json!({"place_bid": {"order_id": order, "price": ORDER_PRICE.to_string()}}),
                0,
            )?
            .execute_json()?;
        let allocation: String = self
            .exec(
                fees,
                "customer",
                "marketplace",
                &json!({"accept_bid": {"bid_id": bid}}),
                0,
            )?
            .execute_json()?;
        Ok((order, allocation))
    }

    /// What the provider's backend does when its work is done: marks the
    /// resource's executing orders done over Waldur's API.
    pub fn finish_waldur_orders(&self, resource: &str) -> Result<usize> {
        let orders = self.waldur.get(&format!(
            "marketplace-orders/?resource_uuid={resource}&state=executing"
        ))?;
        let orders = orders.as_array().cloned().unwrap_or_default();
        for order in &orders {
            let uuid = order["uuid"].as_str().context("order without uuid")?;
            self.waldur.post(
                &format!("marketplace-orders/{uuid}/set_state_done/"),
                &json!({}),
            )?;
        }
        Ok(orders.len())
    }

    /// How many callbacks each transaction of `sender` carried (its
    /// `wasm-ve.callback_processed` events), oldest first.
    pub fn callbacks_per_tx(&self, sender: &str) -> Result<Vec<usize>> {
        Ok(self
            .cli
            .search_txs(&format!("message.sender='{sender}'"))?
            .iter()
            .map(|tx| tx.events_of("wasm-ve.callback_processed").count())
            .collect())
    }

    /// The IDs of the callbacks applied on chain for an entity, in order
    /// (re-deliveries, answered `already_processed`, left out).
    pub fn processed_callbacks(&self, entity_id: &str) -> Result<Vec<String>> {
        let txs = self.cli.search_txs(&format!(
            "wasm-ve.callback_processed.entity_id='{entity_id}'"
        ))?;
        Ok(txs
            .iter()
            .flat_map(|tx| tx.events_of("wasm-ve.callback_processed"))
            .filter(|e| e.attribute("entity_id") == Some(entity_id))
            .filter(|e| e.attribute("result") != Some("already_processed"))
            .filter_map(|e| e.attribute("callback_id").map(str::to_owned))
            .collect())
    }

    /// Waits until the relayer bound a Waldur resource to the allocation.
    pub fn wait_for_resource(&self, allocation: &str) -> Result<String> {
        wait_until(
            &format!("a Waldur resource bound to {allocation}"),
            RELAY_TIMEOUT,
            || Ok(self.allocation(allocation)?.allocation.backend_id),
        )
    }
}

fn run_tool(bin: &Path, args: &[&str]) -> Result<String> {
    let output = std::process::Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    if !output.status.success() {
        bail!(
            "{} {}: {}",
            bin.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// What the story ended with.
#[derive(Debug)]
pub struct Outcome {
    pub allocation_id: String,
    pub allocation_state: String,
    pub provider_received: u128,
    pub fee_collected: u128,
    pub customer_spent: u128,
    pub job_id: String,
    pub job_state: String,
    pub job_node_hours: Option<u128>,
    pub waldur_orders: u64,
    pub waldur_jobs: u64,
    pub outbox: Value,
}

/// The usage the story bills: 12 of the 12.5 cpu hours Waldur reports.
pub const BILLED: u128 = 12 * CPU_HOUR_PRICE;

impl Outcome {
    /// The embedded demo's checks, on the real chain: the escrow paid out
    /// exactly, the fee, the HPC job billed, nothing left in the outbox.
    pub fn check(&self) -> Result<()> {
        let fee = BILLED * u128::from(PLATFORM_FEE_BPS) / 10_000;
        let outbox = &self.outbox["outbox"];
        ensure!(
            self.allocation_state == "terminated",
            "allocation {}",
            self.allocation_state
        );
        ensure!(
            self.customer_spent == BILLED,
            "customer paid {}, not {BILLED}",
            self.customer_spent
        );
        ensure!(
            self.fee_collected == fee,
            "platform fee {}, not {fee}",
            self.fee_collected
        );
        ensure!(
            self.provider_received == BILLED - fee,
            "provider received {}, not {}",
            self.provider_received,
            BILLED - fee
        );
        ensure!(self.job_state == "completed", "job {}", self.job_state);
        ensure!(
            self.job_node_hours == Some(3),
            "job billed {:?} node-hours, not 3",
            self.job_node_hours
        );
        ensure!(outbox["dead_letter"] == 0, "dead letters: {}", self.outbox);
        ensure!(outbox["pending"] == 0, "callbacks pending: {}", self.outbox);
        ensure!(
            self.waldur_orders == 2,
            "{} Waldur orders, not 2 (create, terminate)",
            self.waldur_orders
        );
        ensure!(
            self.waldur_jobs == 1,
            "{} SLURM jobs, not 1",
            self.waldur_jobs
        );
        Ok(())
    }
}

type Say<'a> = &'a mut dyn FnMut(String);

/// The whole story. The relayer is started after the provider's setup and
/// stopped at the end; `dir` holds its files.
pub fn run(stack: &Stack, dir: &Path, say: Say<'_>) -> Result<Outcome> {
    let d = &stack.deployment;
    let denom = &stack.cli.denom;
    let mut fees = Fees::default();
    say(format!(
        "devnet {} at {}: contracts {}",
        d.chain_id,
        d.rpc_url,
        d.contracts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    say(format!(
        "Waldur emulator (own process) at {} with offering {}",
        stack.waldur.info.base_url, stack.waldur.info.offering_uuid
    ));

    let setup = stack.prepare_relayer(dir, &mut fees)?;
    say(format!(
        "provider registered relayer key {}, created offering {}, HPC offering {}",
        setup.key_id, setup.offering_id, setup.hpc_offering_id
    ));
    let relayer = stack.start_relayer(&setup)?;
    say(format!(
        "ve-relayer run (pid {}, chain = \"rpc\"), health at {}/healthz",
        relayer.pid(),
        relayer.admin_url
    ));

    let (provider, customer, treasury) = (
        d.account("provider")?,
        d.account("customer")?,
        d.account("treasury")?,
    );
    // The books start here: the setup's fees are not the allocation's.
    fees = Fees::default();
    let start = [
        stack.cli.balance(provider)?,
        stack.cli.balance(customer)?,
        stack.cli.balance(treasury)?,
    ];
    let (order, allocation) = stack.order_and_accept(&mut fees, &setup.offering_id)?;
    say(format!(
        "customer ordered {order} with {ORDER_PRICE} {denom}, provider bid, customer accepted: allocation {allocation}"
    ));

    let resource = stack.wait_for_resource(&allocation)?;
    stack.wait_for_allocation(&allocation, "provisioning")?;
    say(format!(
        "relayer: Waldur order created and approved, resource {resource} bound; allocation provisioning on chain"
    ));
    let done = stack.finish_waldur_orders(&resource)?;
    say(format!("Waldur backend: {done} order(s) done, resource OK"));
    stack.wait_for_allocation(&allocation, "active")?;
    say("relayer: allocation active on chain".into());

    stack.waldur.post(
        "marketplace-component-usages/set_usage/",
        &json!({"resource": resource, "usages": [{"type": "cpu", "amount": "12.50"}]}),
    )?;
    say("Waldur: 12.5 cpu hours used this month".into());
    let escrow_id = format!("order:{order}");
    let records: settlement::msg::UsageRecordsResponse =
        wait_until("the usage record on chain", RELAY_TIMEOUT, || {
            let records: settlement::msg::UsageRecordsResponse = stack.cli.query(
                stack.contract("settlement")?,
                &json!({"usage_records_by_escrow": {"escrow_id": escrow_id}}),
            )?;
            Ok((!records.records.is_empty()).then_some(records))
        })?;
    let ids: Vec<u64> = records.records.iter().map(|r| r.id).collect();
    let billed: u128 = records.records.iter().map(|r| r.record.cost.u128()).sum();
    say(format!(
        "relayer: {} usage record(s) on chain, {billed} {denom}",
        ids.len()
    ));
    stack.exec(
        &mut fees,
        "customer",
        "settlement",
        &json!({"acknowledge_usage": {"record_ids": ids}}),
        0,
    )?;
    stack.exec(
        &mut fees,
        "provider",
        "settlement",
        &json!({"settle": {"escrow_id": escrow_id, "finalize": false}}),
        0,
    )?;
    say(format!(
        "customer acknowledged, provider settled ({billed} less {PLATFORM_FEE_BPS} bps platform fee)"
    ));

    stack.exec(
        &mut fees,
        "customer",
        "marketplace",
        &json!({"terminate_allocation": {"allocation_id": allocation, "reason": "done"}}),
        0,
    )?;
    say("customer asked to terminate on chain".into());
    let terminate_orders = wait_until("the Waldur terminate order", RELAY_TIMEOUT, || {
        let n = stack.finish_waldur_orders(&resource)?;
        Ok((n > 0).then_some(n))
    })?;
    say(format!(
        "relayer: Waldur terminate order made; Waldur backend: {terminate_orders} order(s) done"
    ));
    stack.wait_for_allocation(&allocation, "terminated")?;
    say("relayer: allocation terminated on chain".into());
    stack.exec(
        &mut fees,
        "provider",
        "settlement",
        &json!({"settle": {"escrow_id": escrow_id, "finalize": true}}),
        0,
    )?;
    let escrow = stack.escrow(&escrow_id)?;
    let end = [
        stack.cli.balance(provider)?,
        stack.cli.balance(customer)?,
        stack.cli.balance(treasury)?,
    ];
    // Balances net of the transaction fees each account paid.
    let provider_received = (end[0] + fees.of("provider"))
        .checked_sub(start[0])
        .context("provider lost money")?;
    let customer_spent = (start[1] - end[1])
        .checked_sub(fees.of("customer"))
        .context("customer gained money")?;
    let fee_collected = end[2] - start[2];
    say(format!(
        "escrow {} ({}): provider received {provider_received}, platform fee {fee_collected}, customer paid {customer_spent} {denom} (transaction fees apart)",
        escrow_id, escrow.escrow.state
    ));

    // The HPC chapter.
    let nodes_escrow = NODE_HOUR_PRICE * 4;
    let job_id: String = stack
        .exec(
            &mut fees,
            "customer",
            "hpc",
            &json!({"submit_job": {"hpc_offering_id": setup.hpc_offering_id, "queue": "batch",
                "nodes": 2, "max_runtime_seconds": 7200, "script_ref": "ipfs://bafy-demo-job"}}),
            nodes_escrow,
        )?
        .execute_json()?;
    say(format!(
        "customer submitted job {job_id}: 2 nodes, 2 h, {nodes_escrow} {denom} in escrow"
    ));
    let slurm_job = wait_until("the Waldur SLURM job", RELAY_TIMEOUT, || {
        let jobs = stack.waldur.get("slurm-jobs/")?;
        Ok(jobs
            .as_array()
            .and_then(|all| all.iter().find(|j| j["name"] == job_id.as_str()).cloned()))
    })?;
    let uuid = slurm_job["uuid"]
        .as_str()
        .context("job without uuid")?
        .to_string();
    wait_until("job queued on chain", RELAY_TIMEOUT, || {
        Ok((stack.job(&job_id)?.job.state.to_string() == "queued").then_some(()))
    })?;
    say(format!(
        "relayer: SLURM job {uuid} created; job queued on chain"
    ));
    stack.waldur.set_slurm_job_runtime(&uuid, "RUNNING", None)?;
    wait_until("job running on chain", RELAY_TIMEOUT, || {
        Ok((stack.job(&job_id)?.job.state.to_string() == "running").then_some(()))
    })?;
    say("SLURM: job running; relayer: running on chain".into());
    stack.waldur.set_slurm_job_runtime(
        &uuid,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 5400, "exit_code": 0})),
    )?;
    let job = wait_until("job completed on chain", RELAY_TIMEOUT, || {
        let job = stack.job(&job_id)?.job;
        Ok((job.state.to_string() == "completed").then_some(job))
    })?;
    let job_node_hours = match &job.escrow_outcome {
        Some(hpc::state::EscrowOutcome::Settled { node_hours })
        | Some(hpc::state::EscrowOutcome::UsageRecorded { node_hours }) => Some(node_hours.u128()),
        _ => None,
    };
    say(format!(
        "SLURM: completed after 1 h 30 min on 2 nodes; job completed on chain, {} node-seconds, {} node-hour(s) billed",
        job.node_seconds_used.unwrap_or(0),
        job_node_hours.unwrap_or(0)
    ));

    let summary = stack.waldur.summary()?;
    let status = relayer.stop()?;
    ensure!(status.success(), "ve-relayer run exited with {status}");
    let outbox = stack.relayer_status(&setup)?;
    say(format!("relayer stopped; outbox {outbox}"));
    Ok(Outcome {
        allocation_state: stack.allocation_state(&allocation)?,
        allocation_id: allocation,
        provider_received,
        fee_collected,
        customer_spent,
        job_id,
        job_state: job.state.to_string(),
        job_node_hours,
        waldur_orders: summary["orders"].as_u64().unwrap_or_default(),
        waldur_jobs: summary["slurm_jobs"].as_u64().unwrap_or_default(),
        outbox,
    })
}
