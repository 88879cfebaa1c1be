//! The transactions the devnet bench sends and measures, in order, on the
//! state a real deployment would have when they happen: offerings with
//! orders and bids, allocations provisioned by signed callbacks, escrows
//! with usage, HPC jobs. Messages are the contracts' own `ExecuteMsg`
//! types (contracts/*/src/msg.rs) as JSON, with unset optional fields
//! left out the way a cosmjs portal sends them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmwasm::wasm::v1::MsgInstantiateContractResponse;
use cosmrs::proto::prost::Message;
use cosmwasm_std::{Timestamp, Uint128};
use serde::Serialize;
use serde_json::{json, Value};
use ve_relayer::chain::signer::{CallbackDraft, Signer};
use ve_types::callback::{AllocationStatePayload, UsagePayload};
use ve_types::{
    ActionType, AllocationState, Category, JobState, OfferingFields, Pricing, PricingModel,
};
use waldur_callback::msg::CallbackOutcome;

use super::chain::{self, Execute};
use super::report::{Batch, Cw20, Figures, Life, Table};
use crate::cli::{TxResult, Wasmd};
use crate::deploy::Deployment;

use hpc::msg::{ClusterUpdate, ExecuteMsg as HpcMsg};
use marketplace::msg::{ExecuteMsg as MarketMsg, OfferingUpdate};
use settlement::msg::ExecuteMsg as SettlementMsg;
use waldur_callback::msg::ExecuteMsg as CallbackMsg;

// The devnet's test accounts (scripts/devnet.sh).
const DEPLOYER: &str = "deployer";
const PROVIDER: &str = "provider";
const CUSTOMER: &str = "customer";
/// The relayer's fee account: sends the provider's signed callbacks.
const RELAYER: &str = "relayer";
const ARBITER: &str = "arbiter";

/// The provider's relayer key (devnet only).
const SIGNER_SEED: [u8; 32] = [0x5e; 32];
const SIGNER_KEY_ID: &str = "relayer-1";

/// Offering price per unit-hour, the bid and the order's maximum.
const PRICE: u128 = 1_000;
const MAX_BID: u128 = 1_200;

/// Allocations provisioned in the batch comparison: each gets the two
/// callbacks the relayer signs on `allocation_created` (accepted with the
/// Waldur resource bound, provisioning), so half of them make one batch of
/// `2 x BATCH_ALLOCATIONS` and the other half the same kinds one by one.
pub const BATCH_ALLOCATIONS: usize = 25;

/// Usage periods of the whole-life allocation.
pub const LIFE_PERIODS: usize = 24;

/// The JSON of `msg` without `null` members: optional fields left unset,
/// as cosmjs sends them (the contracts read a missing `Option` as `None`).
pub fn clean(msg: &impl Serialize) -> Result<Value> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|_, x| !x.is_null());
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(msg).context("encoding a message")?;
    strip(&mut value);
    Ok(value)
}

/// One allocation state reported by the provider's Waldur, as the relayer
/// drafts it (`ve_relayer::flows::engine`): `{action}:{allocation}:{state}`.
fn state_draft(
    action: ActionType,
    allocation: &str,
    resource: &str,
    state: AllocationState,
    bind: bool,
) -> Result<CallbackDraft> {
    Ok(CallbackDraft {
        callback_id: format!("{}:{allocation}:{state}", action.as_str()),
        action,
        waldur_id: resource.to_string(),
        entity_id: allocation.to_string(),
        payload: serde_json::to_vec(&AllocationStatePayload {
            state,
            backend_id: bind.then(|| resource.to_string()),
            reason: None,
        })
        .context("encoding a state payload")?,
    })
}

/// A usage report of one period, as the relayer drafts it.
fn usage_draft(
    allocation: &str,
    resource: &str,
    units: u128,
    period_start: u64,
    period_end: u64,
) -> Result<CallbackDraft> {
    let usage_type = "hour";
    Ok(CallbackDraft {
        callback_id: format!("usage:{allocation}:{usage_type}:{period_end}"),
        action: ActionType::UsageReport,
        waldur_id: resource.to_string(),
        entity_id: allocation.to_string(),
        payload: serde_json::to_vec(&UsagePayload {
            usage_type: usage_type.into(),
            units: Uint128::new(units),
            period_start,
            period_end,
        })
        .context("encoding a usage payload")?,
    })
}

fn offering_fields(name: &str, denom: &str) -> OfferingFields {
    OfferingFields {
        name: name.into(),
        description: String::new(),
        category: Category::Compute,
        pricing: Pricing {
            model: PricingModel::Hourly,
            denom: denom.into(),
            base_price: Uint128::new(PRICE),
            components: vec![],
            minimum_commitment_seconds: 0,
        },
        regions: vec!["us-east-1".into()],
        tags: vec![],
        specifications: BTreeMap::new(),
        min_identity_score: 30,
        require_mfa_for_orders: false,
    }
}

fn create_order(offering_id: &str, quantity: u32, max_bid_price: u128) -> MarketMsg {
    MarketMsg::CreateOrder {
        offering_id: offering_id.into(),
        quantity,
        max_bid_price: Uint128::new(max_bid_price),
        region: None,
        public_metadata: BTreeMap::new(),
        encrypted_config_ref: None,
    }
}

fn place_bid(order_id: &str, price: u128) -> MarketMsg {
    MarketMsg::PlaceBid {
        order_id: order_id.into(),
        price: Uint128::new(price),
        ttl_seconds: None,
    }
}

pub struct Bench<'a> {
    cli: &'a Wasmd,
    scratch: PathBuf,
    denom: String,
    marketplace: String,
    settlement: String,
    hpc: String,
    callback: String,
    deployer: String,
    /// Signs as the provider for this chain and callback contract.
    signer: Signer,
    /// The active marketplace offering orders are placed on.
    offering: String,
    /// Waldur resources handed out so far.
    resources: u128,
}

impl<'a> Bench<'a> {
    pub fn new(cli: &'a Wasmd, deployment: &Deployment, scratch: &Path) -> Result<Bench<'a>> {
        let callback = deployment.contract("waldur-callback")?.to_string();
        let provider = deployment.account(PROVIDER)?.to_string();
        Ok(Bench {
            cli,
            scratch: scratch.to_path_buf(),
            denom: cli.denom.clone(),
            marketplace: deployment.contract("marketplace")?.to_string(),
            settlement: deployment.contract("settlement")?.to_string(),
            hpc: deployment.contract("hpc")?.to_string(),
            deployer: deployment.account(DEPLOYER)?.to_string(),
            signer: Signer::new(
                SIGNER_SEED,
                SIGNER_KEY_ID,
                provider,
                cli.chain_id.clone(),
                callback.clone(),
            ),
            callback,
            offering: String::new(),
            resources: 0,
        })
    }

    /// `from` executes `msg` on `contract` with `funds` of the denom; the
    /// committed transaction.
    fn exec(
        &self,
        what: &str,
        from: &str,
        contract: &str,
        msg: &impl Serialize,
        funds: u128,
    ) -> Result<TxResult> {
        let msg = clean(msg)?;
        let funds = if funds == 0 {
            String::new()
        } else {
            format!("{funds}{}", self.denom)
        };
        self.cli
            .execute(from, contract, &msg, &funds)
            .with_context(|| format!("{what} (from {from})"))
    }

    /// The ID an execute created (its response data).
    fn created(tx: &TxResult, what: &str) -> Result<String> {
        tx.execute_json::<String>()
            .with_context(|| format!("the ID {what} returned"))
    }

    fn resource(&mut self) -> String {
        self.resources += 1;
        format!("{:032x}", (0x7a1d_5eed_u128 << 96) | self.resources)
    }

    /// The drafts signed now: stamped with the latest block time, valid
    /// for the signer's 600 s.
    fn sign(&self, drafts: &[CallbackDraft]) -> Result<Vec<waldur_callback::msg::SignedCallback>> {
        let now = chain::block_time(self.cli)?;
        drafts
            .iter()
            .map(|d| {
                self.signer
                    .sign(d, now)
                    .map_err(|e| anyhow!("signing {}: {e}", d.callback_id))
            })
            .collect()
    }

    fn check_processed(tx: &TxResult, n: usize) -> Result<()> {
        let outcomes: Vec<CallbackOutcome> = tx
            .execute_json()
            .context("the callback outcomes in the response data")?;
        if outcomes.len() != n || outcomes.iter().any(|o| *o != CallbackOutcome::Processed) {
            bail!(
                "tx {}: expected {n} callbacks processed, the contract answered {outcomes:?}",
                tx.txhash
            );
        }
        Ok(())
    }

    /// One callback alone: `submit_callback`, sent by the relayer account.
    fn submit_one(&self, draft: &CallbackDraft) -> Result<TxResult> {
        let callback = self
            .sign(std::slice::from_ref(draft))?
            .pop()
            .context("no signed callback")?;
        let tx = self.exec(
            &format!("submit_callback {}", draft.callback_id),
            RELAYER,
            &self.callback,
            &CallbackMsg::SubmitCallback { callback },
            0,
        )?;
        Self::check_processed(&tx, 1)?;
        Ok(tx)
    }

    /// Callbacks as the relayer sends them: one `submit_callbacks`.
    fn submit_batch(&self, drafts: &[CallbackDraft]) -> Result<TxResult> {
        let callbacks = self.sign(drafts)?;
        let tx = self.exec(
            &format!("submit_callbacks of {}", drafts.len()),
            RELAYER,
            &self.callback,
            &CallbackMsg::SubmitCallbacks { callbacks },
            0,
        )?;
        Self::check_processed(&tx, drafts.len())?;
        Ok(tx)
    }

    /// cw20-base 2.0.0 on the same chain: instantiate with the deployer
    /// holding all, a first transfer to each of five accounts, then a
    /// second one to each.
    pub fn cw20(&mut self, wasm: &Path, recipients: &[String]) -> Result<Cw20> {
        let (code_id, _) = self
            .cli
            .store(DEPLOYER, wasm)
            .with_context(|| format!("storing {}", wasm.display()))?;
        let init = json!({ "name": "Bench", "symbol": "BNCH", "decimals": 6,
            "initial_balances": [{ "address": self.deployer, "amount": "1000000000" }] });
        let tx = self
            .cli
            .tx(
                DEPLOYER,
                &[
                    "wasm",
                    "instantiate",
                    &code_id.to_string(),
                    &init.to_string(),
                    "--label",
                    "bench-cw20-base",
                    "--admin",
                    &self.deployer,
                ],
            )
            .context("instantiating cw20-base")?;
        let any = tx
            .msg_responses
            .first()
            .context("cw20-base instantiate answered no response")?;
        let token = MsgInstantiateContractResponse::decode(any.value.as_slice())
            .context("decoding the instantiate response")?
            .address;
        let mut figures = Cw20 {
            instantiate: tx.gas_used,
            ..Cw20::default()
        };
        println!("  {:>10}  instantiate (one holder)", tx.gas_used);
        if let Some(to) = recipients.first() {
            let tx = self
                .cli
                .send(DEPLOYER, to, 1_000)
                .context("the reference bank send")?;
            figures.bank_send = tx.gas_used;
            println!("  {:>10}  bank send (for scale)", tx.gas_used);
        }
        for (round, label) in [(0, "to a new holder"), (1, "to a holder")] {
            for to in recipients {
                let msg = json!({ "transfer": { "recipient": to, "amount": "1000" }});
                let tx = self.exec("cw20 transfer", DEPLOYER, &token, &msg, 0)?;
                println!("  {:>10}  transfer {label}", tx.gas_used);
                if round == 0 {
                    figures.to_new.push(tx.gas_used);
                } else {
                    figures.repeat.push(tx.gas_used);
                }
            }
        }
        Ok(figures)
    }

    /// The provider registers its relayer's key (kept for every callback
    /// after), then rotates and revokes another one.
    pub fn signers(&mut self, t: &mut Table) -> Result<()> {
        // The provider's keys on this chain and contract, each message with
        // the key's proof of possession.
        let key = |key_id: &str, seed: [u8; 32]| {
            Signer::new(
                seed,
                key_id,
                self.signer.provider.clone(),
                self.signer.chain_id.clone(),
                self.signer.contract.clone(),
            )
        };
        let register = |key_id: &str, seed: [u8; 32]| key(key_id, seed).register_message();
        let tx = self.exec(
            "register_signer",
            PROVIDER,
            &self.callback,
            &register(SIGNER_KEY_ID, SIGNER_SEED)?,
            0,
        )?;
        t.execute("register_signer", &tx);
        self.exec(
            "register_signer (to rotate)",
            PROVIDER,
            &self.callback,
            &register("rotating-1", [0x61; 32])?,
            0,
        )?;
        let tx = self.exec(
            "rotate_signer",
            PROVIDER,
            &self.callback,
            &key("rotating-2", [0x62; 32]).rotate_message("rotating-1")?,
            0,
        )?;
        t.execute("rotate_signer", &tx);
        let tx = self.exec(
            "revoke_signer",
            PROVIDER,
            &self.callback,
            &CallbackMsg::RevokeSigner {
                provider: None,
                key_id: "rotating-2".into(),
            },
            0,
        )?;
        t.execute("revoke_signer", &tx);
        Ok(())
    }

    /// An offering through its states, an order through bids to an
    /// allocation provisioned by the relayer's callbacks, paused, resumed,
    /// resized, its escrow used, disputed, settled, the allocation
    /// terminated and the escrow closed.
    pub fn marketplace_and_settlement(
        &mut self,
        market: &mut Table,
        settle: &mut Table,
        relayer: &mut Table,
    ) -> Result<()> {
        let m = self.marketplace.clone();
        let s = self.settlement.clone();
        let tx = self.exec(
            "create_offering",
            PROVIDER,
            &m,
            &MarketMsg::CreateOffering {
                offering: offering_fields("Compute", &self.denom),
                encrypted_secrets: None,
            },
            0,
        )?;
        market.execute("create_offering", &tx);
        let offering = Self::created(&tx, "create_offering")?;
        let tx = self.exec(
            "update_offering",
            PROVIDER,
            &m,
            &MarketMsg::UpdateOffering(OfferingUpdate {
                offering_id: offering.clone(),
                name: Some("Compute v2".into()),
                description: None,
                pricing: None,
                regions: None,
                tags: None,
                specifications: None,
                min_identity_score: None,
                require_mfa_for_orders: None,
                encrypted_secrets: None,
            }),
            0,
        )?;
        market.execute("update_offering (name)", &tx);
        let tx = self.exec(
            "pause_offering",
            PROVIDER,
            &m,
            &MarketMsg::PauseOffering {
                offering_id: offering.clone(),
            },
            0,
        )?;
        market.execute("pause_offering", &tx);
        let tx = self.exec(
            "resume_offering",
            PROVIDER,
            &m,
            &MarketMsg::ResumeOffering {
                offering_id: offering.clone(),
            },
            0,
        )?;
        market.execute("resume_offering", &tx);
        self.offering = offering.clone();
        let retired = Self::created(
            &self.exec(
                "create_offering (to retire)",
                PROVIDER,
                &m,
                &MarketMsg::CreateOffering {
                    offering: offering_fields("Compute (old)", &self.denom),
                    encrypted_secrets: None,
                },
                0,
            )?,
            "create_offering",
        )?;
        let tx = self.exec(
            "terminate_offering",
            PROVIDER,
            &m,
            &MarketMsg::TerminateOffering {
                offering_id: retired,
                reason: Some("retired".into()),
            },
            0,
        )?;
        market.execute("terminate_offering (deactivate)", &tx);

        let tx = self.exec(
            "create_order",
            CUSTOMER,
            &m,
            &create_order(&offering, 2, MAX_BID),
            2 * MAX_BID,
        )?;
        market.execute("create_order (2 units, max_bid_price x 2 attached)", &tx);
        let order = Self::created(&tx, "create_order")?;
        let tx = self.exec("place_bid", PROVIDER, &m, &place_bid(&order, 1_100), 0)?;
        market.execute("place_bid", &tx);
        let first_bid = Self::created(&tx, "place_bid")?;
        let tx = self.exec(
            "withdraw_bid",
            PROVIDER,
            &m,
            &MarketMsg::WithdrawBid { bid_id: first_bid },
            0,
        )?;
        market.execute("withdraw_bid", &tx);
        let bid = Self::created(
            &self.exec("place_bid", PROVIDER, &m, &place_bid(&order, PRICE), 0)?,
            "place_bid",
        )?;

        // cancel_order: another order, with an open bid that it rejects.
        let other = Self::created(
            &self.exec(
                "create_order",
                CUSTOMER,
                &m,
                &create_order(&offering, 1, MAX_BID),
                MAX_BID,
            )?,
            "create_order",
        )?;
        self.exec("place_bid", PROVIDER, &m, &place_bid(&other, PRICE), 0)?;
        let tx = self.exec(
            "cancel_order",
            CUSTOMER,
            &m,
            &MarketMsg::CancelOrder { order_id: other },
            0,
        )?;
        market.execute("cancel_order (refund, 1 open bid rejected)", &tx);

        let tx = self.exec(
            "accept_bid",
            CUSTOMER,
            &m,
            &MarketMsg::AcceptBid { bid_id: bid },
            0,
        )?;
        market.execute(
            "accept_bid (allocation, escrow into settlement, refund)",
            &tx,
        );
        let allocation = Self::created(&tx, "accept_bid")?;

        // The relayer: accepted + provisioning on allocation_created, active
        // when Waldur reports the resource OK.
        let resource = self.resource();
        let tx = self.submit_batch(&[
            state_draft(
                ActionType::Provision,
                &allocation,
                &resource,
                AllocationState::Accepted,
                true,
            )?,
            state_draft(
                ActionType::Provision,
                &allocation,
                &resource,
                AllocationState::Provisioning,
                false,
            )?,
        ])?;
        relayer.other(
            "submit_callbacks: provision accepted + provisioning (2 callbacks, as the relayer sends them)",
            &tx,
        );
        let tx = self.submit_one(&state_draft(
            ActionType::Provision,
            &allocation,
            &resource,
            AllocationState::Active,
            false,
        )?)?;
        relayer.execute("submit_callback: provision (active), alone", &tx);
        let active_at = chain::block_time(self.cli)?;

        let tx = self.exec(
            "pause_allocation",
            CUSTOMER,
            &m,
            &MarketMsg::PauseAllocation {
                allocation_id: allocation.clone(),
            },
            0,
        )?;
        market.execute("pause_allocation", &tx);
        let tx = self.exec(
            "resume_allocation",
            CUSTOMER,
            &m,
            &MarketMsg::ResumeAllocation {
                allocation_id: allocation.clone(),
            },
            0,
        )?;
        market.execute("resume_allocation", &tx);
        let tx = self.exec(
            "resize_allocation",
            CUSTOMER,
            &m,
            &MarketMsg::ResizeAllocation {
                allocation_id: allocation.clone(),
                quantity: 3,
            },
            PRICE,
        )?;
        market.execute("resize_allocation (2 -> 3, top-up into settlement)", &tx);

        // Settlement on the order's escrow.
        let escrow = format!("order:{order}");
        let tx = self.exec(
            "deposit",
            CUSTOMER,
            &s,
            &SettlementMsg::Deposit {
                escrow_id: escrow.clone(),
            },
            50_000,
        )?;
        settle.execute("deposit", &tx);
        let mut records = vec![];
        let mut start = active_at;
        for i in 0..3 {
            let end = chain::block_time_after(self.cli, start)?;
            let tx = self.exec(
                "record_usage",
                PROVIDER,
                &s,
                &SettlementMsg::RecordUsage(settlement::msg::NewUsage {
                    escrow_id: escrow.clone(),
                    allocation_id: allocation.clone(),
                    provider: None,
                    usage_type: "hour".into(),
                    units: Uint128::new(3),
                    period_start: Timestamp::from_seconds(start),
                    period_end: Timestamp::from_seconds(end),
                }),
                0,
            )?;
            match i {
                0 => settle.execute(
                    "record_usage (provider; the allocation's first period)",
                    &tx,
                ),
                1 => settle.execute("record_usage (provider; a later period)", &tx),
                _ => {}
            }
            records.push(
                tx.execute_json::<u64>()
                    .context("the record ID record_usage returned")?,
            );
            start = end;
        }
        let tx = self.exec(
            "acknowledge_usage",
            CUSTOMER,
            &s,
            &SettlementMsg::AcknowledgeUsage {
                record_ids: vec![records[0]],
            },
            0,
        )?;
        settle.execute("acknowledge_usage (1 record)", &tx);
        let tx = self.exec(
            "dispute_usage",
            CUSTOMER,
            &s,
            &SettlementMsg::DisputeUsage {
                record_id: records[1],
                reason: "more units than the allocation had".into(),
            },
            0,
        )?;
        settle.execute("dispute_usage", &tx);
        let tx = self.exec(
            "resolve_dispute",
            ARBITER,
            &s,
            &SettlementMsg::ResolveDispute {
                escrow_id: escrow.clone(),
                upheld: vec![records[1]],
                rejected: vec![],
            },
            0,
        )?;
        settle.execute("resolve_dispute (arbiter, 1 upheld)", &tx);
        let tx = self.exec(
            "settle",
            PROVIDER,
            &s,
            &SettlementMsg::Settle {
                escrow_id: escrow.clone(),
                record_ids: Some(vec![records[0]]),
                finalize: false,
            },
            0,
        )?;
        settle.execute("settle (1 record, 1 fee share)", &tx);

        let tx = self.exec(
            "terminate_allocation",
            CUSTOMER,
            &m,
            &MarketMsg::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            0,
        )?;
        market.execute("terminate_allocation", &tx);
        // The relayer sends no `terminating`: the customer's request set it.
        let tx = self.submit_one(&state_draft(
            ActionType::Terminate,
            &allocation,
            &resource,
            AllocationState::Terminated,
            false,
        )?)?;
        relayer.execute("submit_callback: terminate (terminated)", &tx);

        self.exec(
            "acknowledge_usage",
            CUSTOMER,
            &s,
            &SettlementMsg::AcknowledgeUsage {
                record_ids: vec![records[2]],
            },
            0,
        )?;
        let tx = self.exec(
            "settle (finalize)",
            PROVIDER,
            &s,
            &SettlementMsg::Settle {
                escrow_id: escrow,
                record_ids: None,
                finalize: true,
            },
            0,
        )?;
        settle.execute(
            "settle with finalize (2 records, refund of the rest, escrow closed)",
            &tx,
        );
        Ok(())
    }

    /// A cluster, an HPC offering on it, a job through queued and running
    /// to completed (billed), and a pending job cancelled.
    pub fn hpc(&mut self, t: &mut Table) -> Result<()> {
        let h = self.hpc.clone();
        let tx = self.exec(
            "register_cluster",
            PROVIDER,
            &h,
            &HpcMsg::RegisterCluster {
                cluster: hpc::msg::ClusterFields {
                    name: "alpha".into(),
                    region: "eu-west-1".into(),
                    total_nodes: 64,
                    available_nodes: None,
                    specifications: BTreeMap::new(),
                },
            },
            0,
        )?;
        t.execute("register_cluster", &tx);
        let cluster = Self::created(&tx, "register_cluster")?;
        let tx = self.exec(
            "update_cluster",
            PROVIDER,
            &h,
            &HpcMsg::UpdateCluster(ClusterUpdate {
                cluster_id: cluster.clone(),
                name: None,
                region: None,
                total_nodes: None,
                available_nodes: Some(60),
                specifications: None,
            }),
            0,
        )?;
        t.execute("update_cluster (available_nodes)", &tx);
        let tx = self.exec(
            "create_hpc_offering",
            PROVIDER,
            &h,
            &HpcMsg::CreateHpcOffering {
                cluster_id: cluster,
                offering: hpc::msg::HpcOfferingFields {
                    name: "batch".into(),
                    description: String::new(),
                    queues: vec![hpc::state::QueueOption {
                        name: "normal".into(),
                        max_nodes: 16,
                        max_runtime_seconds: 7_200,
                    }],
                    max_runtime_seconds: 7_200,
                    min_identity_score: 0,
                    denom: self.denom.clone(),
                    price_per_node_hour: Uint128::new(PRICE),
                },
            },
            0,
        )?;
        t.execute("create_hpc_offering", &tx);
        let offering = Self::created(&tx, "create_hpc_offering")?;
        let (nodes, runtime) = (4u32, 3_600u64);
        let cost: hpc::msg::JobCostResponse = self
            .cli
            .query(
                &h,
                &hpc::msg::QueryMsg::JobCost {
                    hpc_offering_id: offering.clone(),
                    nodes,
                    max_runtime_seconds: runtime,
                },
            )
            .context("query job_cost")?;
        let submit = HpcMsg::SubmitJob {
            hpc_offering_id: offering,
            queue: "normal".into(),
            nodes,
            max_runtime_seconds: runtime,
            script_ref: Some("s3://bench/jobs/train.sbatch".into()),
        };
        let tx = self.exec("submit_job", CUSTOMER, &h, &submit, cost.total.u128())?;
        t.execute("submit_job (escrow into settlement)", &tx);
        let job = Self::created(&tx, "submit_job")?;
        for (state, label) in [
            (JobState::Queued, "report_job_status (provider: queued)"),
            (JobState::Running, "report_job_status (provider: running)"),
        ] {
            let tx = self.exec(
                label,
                PROVIDER,
                &h,
                &HpcMsg::ReportJobStatus {
                    job_id: job.clone(),
                    provider: None,
                    state,
                    exit_code: None,
                    node_seconds_used: None,
                    reason: None,
                },
                0,
            )?;
            t.execute(label, &tx);
        }
        let tx = self.exec(
            "report_job_status (completed)",
            PROVIDER,
            &h,
            &HpcMsg::ReportJobStatus {
                job_id: job,
                provider: None,
                state: JobState::Completed,
                exit_code: Some(0),
                node_seconds_used: Some(u64::from(nodes) * 1_800),
                reason: None,
            },
            0,
        )?;
        t.execute(
            "report_job_status (provider: completed, billed and settled)",
            &tx,
        );
        let pending = Self::created(
            &self.exec("submit_job", CUSTOMER, &h, &submit, cost.total.u128())?,
            "submit_job",
        )?;
        let tx = self.exec(
            "cancel_job",
            CUSTOMER,
            &h,
            &HpcMsg::CancelJob {
                job_id: pending,
                reason: None,
            },
            0,
        )?;
        t.execute("cancel_job (customer, pending: refunded)", &tx);
        Ok(())
    }

    /// `n` allocations (order, bid, accepted), built with three
    /// multi-message transactions (setup, not measured).
    fn allocations(&mut self, n: usize) -> Result<Vec<String>> {
        let m = self.marketplace.clone();
        let orders = (0..n)
            .map(|_| Execute::new(&m, &clean(&create_order(&self.offering, 1, PRICE))?, PRICE))
            .collect::<Result<Vec<_>>>()?;
        let tx = chain::tx_many(self.cli, CUSTOMER, &self.scratch, &orders)
            .context("creating the batch's orders")?;
        let orders = chain::attributes_n(&tx, "wasm-ve.order_created", "order_id", n)?;
        let bids = orders
            .iter()
            .map(|o| Execute::new(&m, &clean(&place_bid(o, PRICE))?, 0))
            .collect::<Result<Vec<_>>>()?;
        let tx = chain::tx_many(self.cli, PROVIDER, &self.scratch, &bids)
            .context("placing the batch's bids")?;
        let bids = chain::attributes_n(&tx, "wasm-ve.bid_placed", "bid_id", n)?;
        let accepts = bids
            .iter()
            .map(|b| Execute::new(&m, &MarketMsg::AcceptBid { bid_id: b.clone() }, 0))
            .collect::<Result<Vec<_>>>()?;
        let tx = chain::tx_many(self.cli, CUSTOMER, &self.scratch, &accepts)
            .context("accepting the batch's bids")?;
        chain::attributes_n(&tx, "wasm-ve.allocation_created", "allocation_id", n)
    }

    /// The two callbacks the relayer signs for a new allocation.
    fn provision_drafts(&mut self, allocation: &str) -> Result<[(String, CallbackDraft); 2]> {
        let resource = self.resource();
        Ok([
            (
                "provision accepted (binds the Waldur resource)".to_string(),
                state_draft(
                    ActionType::Provision,
                    allocation,
                    &resource,
                    AllocationState::Accepted,
                    true,
                )?,
            ),
            (
                "provision provisioning".to_string(),
                state_draft(
                    ActionType::Provision,
                    allocation,
                    &resource,
                    AllocationState::Provisioning,
                    false,
                )?,
            ),
        ])
    }

    /// 2 x [`BATCH_ALLOCATIONS`] provision callbacks in one
    /// `submit_callbacks`, and the same kinds for as many other
    /// allocations one `submit_callback` each.
    pub fn batch(&mut self) -> Result<Batch> {
        let allocations = self.allocations(2 * BATCH_ALLOCATIONS)?;
        let (batched, alone) = allocations.split_at(BATCH_ALLOCATIONS);
        let mut drafts = vec![];
        for a in batched {
            drafts.extend(self.provision_drafts(a)?.map(|(_, d)| d));
        }
        let tx = self.submit_batch(&drafts)?;
        println!(
            "  {:>10}  submit_callbacks of {} (one transaction)",
            tx.gas_used,
            drafts.len()
        );
        let mut figures = Batch {
            kinds: format!(
                "for each of {BATCH_ALLOCATIONS} allocations just accepted, the two provision callbacks \
the relayer signs on `allocation_created`: accepted (binding the Waldur resource as backend_id) and \
provisioning; the one-per-transaction side is the same pair for {BATCH_ALLOCATIONS} other allocations"
            ),
            batch_total: tx.gas_used,
            n: drafts.len(),
            singles: vec![],
        };
        for a in alone {
            for (kind, draft) in self.provision_drafts(a)? {
                let tx = self.submit_one(&draft)?;
                figures.singles.push((kind, tx.gas_used));
            }
        }
        println!(
            "  {:>10}  {} submit_callback, one per transaction, in all",
            figures.singles_total(),
            figures.singles.len()
        );
        Ok(figures)
    }

    /// One allocation from order to closed escrow, every transaction of it.
    pub fn whole_life(&mut self) -> Result<Life> {
        let m = self.marketplace.clone();
        let s = self.settlement.clone();
        let mut life = Life::default();
        let quantity = 2u32;
        let tx = self.exec(
            "create_order",
            CUSTOMER,
            &m,
            &create_order(&self.offering, quantity, MAX_BID),
            u128::from(quantity) * MAX_BID,
        )?;
        life.add("create_order (customer)", vec![tx.gas_used]);
        let order = Self::created(&tx, "create_order")?;
        let tx = self.exec("place_bid", PROVIDER, &m, &place_bid(&order, PRICE), 0)?;
        life.add("place_bid (provider)", vec![tx.gas_used]);
        let bid = Self::created(&tx, "place_bid")?;
        let tx = self.exec(
            "accept_bid",
            CUSTOMER,
            &m,
            &MarketMsg::AcceptBid { bid_id: bid },
            0,
        )?;
        life.add("accept_bid (customer)", vec![tx.gas_used]);
        let allocation = Self::created(&tx, "accept_bid")?;

        let drafts = self.provision_drafts(&allocation)?.map(|(_, d)| d);
        let resource = drafts[0].waldur_id.clone();
        let tx = self.submit_batch(&drafts)?;
        life.add(
            "provision callbacks accepted + provisioning (relayer, one submit_callbacks)",
            vec![tx.gas_used],
        );
        let tx = self.submit_batch(&[state_draft(
            ActionType::Provision,
            &allocation,
            &resource,
            AllocationState::Active,
            false,
        )?])?;
        life.add(
            "provision callback active (relayer, one submit_callbacks)",
            vec![tx.gas_used],
        );
        let mut start = chain::block_time(self.cli)?;

        // The order's escrow holds price x quantity: one hour. The
        // customer funds the other 23 hours and a spare one.
        let escrow = format!("order:{order}");
        let hour = PRICE * u128::from(quantity);
        let top_up = hour * LIFE_PERIODS as u128;
        let tx = self.exec(
            "deposit",
            CUSTOMER,
            &s,
            &SettlementMsg::Deposit {
                escrow_id: escrow.clone(),
            },
            top_up,
        )?;
        life.add(
            &format!("deposit (customer: {top_up} for 24 hours)"),
            vec![tx.gas_used],
        );

        let mut gas = vec![];
        let mut records = vec![];
        for _ in 0..LIFE_PERIODS {
            let end = chain::block_time_after(self.cli, start)?;
            let tx = self.submit_batch(&[usage_draft(
                &allocation,
                &resource,
                u128::from(quantity),
                start,
                end,
            )?])?;
            gas.push(tx.gas_used);
            let ids = chain::attributes_n(&tx, "wasm-ve.usage_recorded", "record_id", 1)?;
            for id in ids {
                records.push(
                    id.parse::<u64>()
                        .with_context(|| format!("record_id {id:?}"))?,
                );
            }
            start = end;
        }
        life.add(
            &format!("{LIFE_PERIODS} usage reports (relayer, one submit_callbacks each)"),
            gas,
        );
        let tx = self.exec(
            "acknowledge_usage",
            CUSTOMER,
            &s,
            &SettlementMsg::AcknowledgeUsage {
                record_ids: records,
            },
            0,
        )?;
        life.add(
            &format!("acknowledge_usage (customer, {LIFE_PERIODS} records)"),
            vec![tx.gas_used],
        );
        let tx = self.exec(
            "settle",
            PROVIDER,
            &s,
            &SettlementMsg::Settle {
                escrow_id: escrow.clone(),
                record_ids: None,
                finalize: false,
            },
            0,
        )?;
        life.add(
            &format!("settle (provider, {LIFE_PERIODS} records)"),
            vec![tx.gas_used],
        );
        let tx = self.exec(
            "terminate_allocation",
            CUSTOMER,
            &m,
            &MarketMsg::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            0,
        )?;
        life.add("terminate_allocation (customer)", vec![tx.gas_used]);
        let tx = self.submit_batch(&[state_draft(
            ActionType::Terminate,
            &allocation,
            &resource,
            AllocationState::Terminated,
            false,
        )?])?;
        life.add(
            "terminate callback: terminated (relayer, one submit_callbacks)",
            vec![tx.gas_used],
        );
        let tx = self.exec(
            "settle (finalize)",
            PROVIDER,
            &s,
            &SettlementMsg::Settle {
                escrow_id: escrow,
                record_ids: None,
                finalize: true,
            },
            0,
        )?;
        life.add(
            "settle with finalize (provider: refund of the rest, escrow closed)",
            vec![tx.gas_used],
        );
        life.notes = vec![
            format!(
                "Quantity {quantity} at {PRICE} {} per unit-hour: the escrow accept_bid opens holds one hour \
({hour}); the customer deposits {top_up} more before the usage starts, which a real chain needs for \
24 records (each record's cost must fit the escrow's unreserved balance).",
                self.denom
            ),
            format!(
                "Usage: on a live chain a period must end at or before the block time, so the {LIFE_PERIODS} \
periods are consecutive short ones, one per block (each ends at the latest block time and the next \
starts there), and each bills one hour's units ({quantity} unit-hours at {PRICE}). They come as the \
relayer sends them: signed `usage_report` callbacks, one `submit_callbacks` each."
            ),
            "The customer acknowledges the records (the deployment's acknowledgement window is 86,400 s, \
so pending records are not settleable yet); settle then pays all of them."
                .to_string(),
            "Termination: the customer's request sets `terminating`; the relayer terminates the Waldur \
resource and reports `terminated` when Waldur has done so, one transaction (it no longer confirms \
`terminating`, which changed nothing on chain)."
                .to_string(),
        ];
        Ok(life)
    }
}

/// The whole bench on a deployed chain: the figures.
pub fn run(
    cli: &Wasmd,
    deployment: &Deployment,
    cw20_wasm: &Path,
    scratch: &Path,
) -> Result<Figures> {
    let mut figures = Figures {
        node: chain::node_version(cli)?,
        chain_id: cli.chain_id.clone(),
        started: cosmrs::tendermint::Time::now().to_rfc3339(),
        first_height: cli.height()?,
        ..Figures::default()
    };
    let mut bench = Bench::new(cli, deployment, scratch)?;
    let recipients = ["provider", "customer", "relayer", "arbiter", "treasury"]
        .iter()
        .map(|n| deployment.account(n).map(str::to_owned))
        .collect::<Result<Vec<_>>>()?;
    println!("\n== cw20-base 2.0.0 (the baseline)");
    figures.cw20 = bench.cw20(cw20_wasm, &recipients)?;
    println!("\n== waldur-callback: signer registry");
    let mut signers = Table::new("waldur-callback: signer registry (provider)");
    bench.signers(&mut signers)?;
    println!("\n== marketplace, settlement and the relayer's callbacks");
    let mut market = Table::new("marketplace");
    let mut settle = Table::new("settlement");
    let mut relayer = Table::new("waldur-callback: the relayer's callbacks");
    bench.marketplace_and_settlement(&mut market, &mut settle, &mut relayer)?;
    println!("\n== hpc");
    let mut hpc_table = Table::new("hpc");
    bench.hpc(&mut hpc_table)?;
    println!("\n== callbacks: a batch vs one per transaction");
    figures.batch = bench.batch()?;
    println!("\n== one allocation's whole life");
    figures.life = bench.whole_life()?;
    figures.tables = vec![market, settle, hpc_table, signers, relayer];
    figures.last_height = cli.height()?;
    Ok(figures)
}
