//! All four contracts deployed and wired as on a chain: the marketplace,
//! settlement and hpc contracts trust the real waldur-callback contract,
//! and two providers hold registered ed25519 signer keys. Used by the
//! attack suite and the sequence property test, which need to prove that a
//! refused call changed nothing ([`World::refused`]) and that money is
//! conserved ([`World::check_money`]).

use std::collections::{BTreeMap, BTreeSet};

use cosmwasm_std::{coin, Addr, Binary, Coin, StdResult, Timestamp, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use ed25519_zebra::SigningKey;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use ve_testing::signing::CallbackSigner;
use ve_testing::{Deal, DeployConfig, MarketOn, Matched, OrderFlow};
use ve_types::callback::{JobStatusPayload, UsagePayload};
use ve_types::{ActionType, AllocationState, EscrowState, JobState};
use waldur_callback::msg::{ExecuteMsg as CbMsg, SignedCallback};

use crate::DENOM;

pub use ve_testing::signing::{key, public};

/// A second denom every party holds (for wrong-denom payments).
pub const OTHER_DENOM: &str = "uother";
/// Longest callback validity (`max_validity_seconds`).
pub const WINDOW: u64 = 3_600;
/// `max_clock_skew_seconds`.
pub const SKEW: u64 = 60;
/// Settlement's acknowledgement window.
pub const ACK_WINDOW: u64 = 86_400;
/// The fee shares: 2.5% platform, 0.75% network (the README's example).
pub const FEE_BPS: [u16; 2] = [250, 75];
/// The hpc contract's price per node-hour in [`World::hpc_offering`].
pub const NODE_HOUR: u128 = 1_000;

/// `key`'s proof of possession for its registration as `provider`'s
/// `key_id` on the callback contract `contract` of chain `chain_id`.
pub fn key_proof(
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
    provider: &str,
    key_id: &str,
) -> Binary {
    ve_testing::signing::key_proof(key, chain_id, contract, provider, key_id).unwrap()
}

/// Signs `cb` with `key` for the callback contract `contract` on `chain_id`.
pub fn sign_for(
    cb: SignedCallback,
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
) -> SignedCallback {
    ve_testing::signing::sign_for(cb, key, chain_id, contract).unwrap()
}

/// What a refused call must leave untouched: every account's bank
/// balances, the answers of the contracts' smart queries over everything
/// they hold, and (to be sure) their raw storage.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub balances: BTreeMap<String, Vec<Coin>>,
    pub queries: Vec<(String, Value)>,
    pub raw: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
}

pub struct World {
    pub app: App,
    pub marketplace: Addr,
    pub settlement: Addr,
    pub hpc: Addr,
    pub callback: Addr,
    pub admin: Addr,
    pub arbiter: Addr,
    pub treasury: Addr,
    pub treasury2: Addr,
    pub provider: Addr,
    pub provider2: Addr,
    pub customer: Addr,
    pub customer2: Addr,
    pub stranger: Addr,
    /// `provider`'s registered key `k1`.
    pub key: SigningKey,
    /// `provider2`'s registered key `k1`.
    pub key2: SigningKey,
    signer: CallbackSigner,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

fn data<T: DeserializeOwned>(res: &AppResponse) -> T {
    ve_testing::returned_data(res).unwrap()
}

impl World {
    pub fn new() -> Self {
        Self::with_ack_window(ACK_WINDOW)
    }

    pub fn with_ack_window(ack_window: u64) -> Self {
        let mut app = ve_testing::new_app();
        let [admin, arbiter, treasury, treasury2, provider, provider2, customer, customer2, stranger] =
            [
                "admin",
                "arbiter",
                "treasury",
                "treasury2",
                "provider",
                "provider2",
                "customer",
                "customer2",
                "stranger",
            ]
            .map(ve_testing::addr);
        ve_testing::fund_all(
            &mut app,
            &[&provider, &provider2, &customer, &customer2, &stranger],
            &[DENOM, OTHER_DENOM],
        )
        .unwrap();
        let mut config = DeployConfig::new(&admin);
        config.callback.max_validity_seconds = Some(WINDOW);
        config.callback.max_clock_skew_seconds = Some(SKEW);
        config.settlement.arbiter = arbiter.to_string();
        config.settlement.fee_shares = vec![
            settlement::msg::FeeShareInput {
                name: "platform".into(),
                recipient: treasury.to_string(),
                bps: FEE_BPS[0],
            },
            settlement::msg::FeeShareInput {
                name: "network".into(),
                recipient: treasury2.to_string(),
                bps: FEE_BPS[1],
            },
        ];
        config.settlement.ack_window_seconds = Some(ack_window);
        let contracts = ve_testing::deploy(&mut app, config).unwrap();
        let mut world = World {
            app,
            marketplace: contracts.marketplace,
            settlement: contracts.settlement,
            hpc: contracts.hpc,
            callback: contracts.callback.clone(),
            admin,
            arbiter,
            treasury,
            treasury2,
            provider,
            provider2,
            customer,
            customer2,
            stranger,
            key: key(1),
            key2: key(2),
            signer: CallbackSigner::new(&contracts.callback),
        };
        for (who, k) in [
            (world.provider.clone(), key(1)),
            (world.provider2.clone(), key(2)),
        ] {
            let msg = world.register_msg(&k, &who, "k1");
            world
                .exec(&who, &world.callback.clone(), &msg, &[])
                .unwrap();
        }
        world
    }

    // ---- plumbing ----

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn chain_id(&self) -> String {
        self.app.block_info().chain_id
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
    }

    /// Moves the block time to `unix_seconds` (never backwards).
    pub fn advance_to(&mut self, unix_seconds: u64) {
        let now = self.now();
        assert!(unix_seconds >= now, "time only moves forward");
        self.advance(unix_seconds - now);
    }

    pub fn exec<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), contract.clone(), msg, funds)
    }

    pub fn market(
        &mut self,
        sender: &Addr,
        msg: &marketplace::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let c = self.marketplace.clone();
        self.exec(sender, &c, msg, funds)
    }

    pub fn settle(
        &mut self,
        sender: &Addr,
        msg: &settlement::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let c = self.settlement.clone();
        self.exec(sender, &c, msg, funds)
    }

    pub fn hpc_exec(
        &mut self,
        sender: &Addr,
        msg: &hpc::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        let c = self.hpc.clone();
        self.exec(sender, &c, msg, funds)
    }

    pub fn cb_exec(&mut self, sender: &Addr, msg: &CbMsg) -> StdResult<AppResponse> {
        let c = self.callback.clone();
        self.exec(sender, &c, msg, &[])
    }

    pub fn query<T: DeserializeOwned, M: Serialize>(
        &self,
        contract: &Addr,
        msg: &M,
    ) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(contract.clone(), msg)
    }

    /// Every account that can hold money: the parties and the contracts.
    pub fn accounts(&self) -> Vec<Addr> {
        vec![
            self.admin.clone(),
            self.arbiter.clone(),
            self.treasury.clone(),
            self.treasury2.clone(),
            self.provider.clone(),
            self.provider2.clone(),
            self.customer.clone(),
            self.customer2.clone(),
            self.stranger.clone(),
            self.marketplace.clone(),
            self.settlement.clone(),
            self.hpc.clone(),
            self.callback.clone(),
        ]
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        ve_testing::balance(&self.app, who, DENOM).unwrap()
    }

    // ---- snapshots ----

    fn list(&self, contract: &Addr, msg: Value, field: &str) -> Value {
        let v: Value = self.query(contract, &msg).unwrap();
        let n = v[field].as_array().map_or(0, Vec::len);
        assert!(n < 100, "snapshot lists hold one page; {msg} has {n}");
        v
    }

    /// Every escrow (all states), as the settlement contract answers.
    pub fn escrows(&self) -> Vec<settlement::msg::EscrowResponse> {
        let mut out = vec![];
        for state in [
            EscrowState::Pending,
            EscrowState::Active,
            EscrowState::Released,
            EscrowState::Refunded,
            EscrowState::Disputed,
            EscrowState::Expired,
        ] {
            let page: settlement::msg::EscrowsResponse = self
                .query(
                    &self.settlement,
                    &settlement::msg::QueryMsg::EscrowsByState {
                        state,
                        start_after: None,
                        limit: Some(100),
                    },
                )
                .unwrap();
            assert!(page.escrows.len() < 100);
            out.extend(page.escrows);
        }
        out
    }

    pub fn escrow(&self, escrow_id: &str) -> settlement::msg::EscrowResponse {
        self.query(
            &self.settlement,
            &settlement::msg::QueryMsg::Escrow {
                escrow_id: escrow_id.into(),
            },
        )
        .unwrap()
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut balances = BTreeMap::new();
        for a in self.accounts() {
            let coins = [DENOM, OTHER_DENOM]
                .map(|d| self.app.wrap().query_balance(&a, d).unwrap())
                .to_vec();
            balances.insert(a.to_string(), coins);
        }
        let (m, s, h, c) = (
            &self.marketplace,
            &self.settlement,
            &self.hpc,
            &self.callback,
        );
        let mut q: Vec<(String, Value)> = vec![];
        let mut push = |name: String, v: Value| q.push((name, v));
        for contract in [m, s, h, c] {
            push(
                format!("config {contract}"),
                self.query(contract, &json!({"config": {}})).unwrap(),
            );
        }
        let offerings = self.list(m, json!({"offerings": {"limit": 100}}), "offerings");
        push("offerings".into(), offerings);
        let parties = [
            &self.customer,
            &self.customer2,
            &self.provider,
            &self.provider2,
            &self.stranger,
        ];
        let mut orders = BTreeSet::new();
        let mut allocations = BTreeSet::new();
        for p in parties {
            let o = self.list(
                m,
                json!({"orders_by_customer": {"customer": p, "limit": 100}}),
                "orders",
            );
            for order in o["orders"].as_array().unwrap() {
                orders.insert(order["id"].as_str().unwrap().to_string());
            }
            push(format!("orders of {p}"), o);
            let a = self.list(
                m,
                json!({"allocations_by_customer": {"customer": p, "limit": 100}}),
                "allocations",
            );
            for al in a["allocations"].as_array().unwrap() {
                allocations.insert(al["id"].as_str().unwrap().to_string());
            }
            push(format!("allocations of {p}"), a);
        }
        for order in &orders {
            push(
                format!("bids of {order}"),
                self.list(
                    m,
                    json!({"bids_by_order": {"order_id": order, "limit": 100}}),
                    "bids",
                ),
            );
        }
        for escrow in self.escrows() {
            let id = escrow.id.clone();
            push(
                format!("escrow {id}"),
                serde_json::to_value(&escrow).unwrap(),
            );
            push(
                format!("records of {id}"),
                self.list(
                    s,
                    json!({"usage_records_by_escrow": {"escrow_id": id, "limit": 100}}),
                    "records",
                ),
            );
            push(
                format!("settlements of {id}"),
                self.list(
                    s,
                    json!({"settlements": {"escrow_id": id, "limit": 100}}),
                    "settlements",
                ),
            );
        }
        let jobs = self.list(h, json!({"jobs": {"limit": 100}}), "jobs");
        for job in jobs["jobs"].as_array().unwrap() {
            allocations.insert(job["id"].as_str().unwrap().to_string());
        }
        push("jobs".into(), jobs);
        for allocation in &allocations {
            push(
                format!("usage summary {allocation}"),
                self.query(s, &json!({"usage_summary": {"allocation_id": allocation}}))
                    .unwrap(),
            );
        }
        push(
            "clusters".into(),
            self.list(h, json!({"clusters": {"limit": 100}}), "clusters"),
        );
        push(
            "hpc offerings".into(),
            self.list(h, json!({"hpc_offerings": {"limit": 100}}), "offerings"),
        );
        for p in parties {
            push(
                format!("signers of {p}"),
                self.list(
                    c,
                    json!({"signers": {"provider": p, "limit": 100}}),
                    "signers",
                ),
            );
        }
        push(
            "nonce count".into(),
            self.query(c, &json!({"nonce_count": {}})).unwrap(),
        );
        let raw = [m, s, h, c]
            .iter()
            .map(|a| self.app.dump_wasm_raw(a))
            .collect();
        Snapshot {
            balances,
            queries: q,
            raw,
        }
    }

    /// Executes a call that must be refused; asserts that it changed no
    /// balance, no query answer and no stored byte, and returns the error.
    pub fn refused<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> String {
        let before = self.snapshot();
        let err = match self.exec(sender, contract, msg, funds) {
            Ok(res) => panic!("{msg:?} from {sender} should have been refused: {res:?}"),
            Err(e) => e.to_string(),
        };
        let after = self.snapshot();
        if before != after {
            for (b, a) in before.queries.iter().zip(&after.queries) {
                assert_eq!(b, a, "refused call {msg:?} changed a query answer");
            }
            assert_eq!(
                before.balances, after.balances,
                "refused call {msg:?} changed a balance"
            );
            assert_eq!(before.queries.len(), after.queries.len());
            panic!("refused call {msg:?} changed the store");
        }
        err
    }

    /// As [`Self::refused`], asserting the error contains `expected`.
    pub fn refused_with<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
        expected: &str,
    ) -> String {
        let err = self.refused(sender, contract, msg, funds);
        assert!(
            err.contains(expected),
            "{msg:?}: expected an error with {expected:?}, got: {err}"
        );
        err
    }

    // ---- marketplace ----

    /// An hourly compute offering at `base_price` per unit.
    pub fn offering_fields(base_price: u128) -> ve_types::OfferingFields {
        ve_testing::hourly_offering("Standard Compute", base_price)
    }

    /// The order flow on this world's marketplace.
    pub fn order_flow(&mut self) -> MarketOn<'_> {
        MarketOn::new(&mut self.app, &self.marketplace)
    }

    /// A new hourly offering of `provider` at `base_price` per unit.
    pub fn offering(&mut self, provider: &Addr, base_price: u128) -> String {
        self.order_flow()
            .create_offering(provider, Self::offering_fields(base_price))
            .unwrap()
    }

    /// An open order of `customer`, paid in full.
    pub fn order(
        &mut self,
        customer: &Addr,
        offering: &str,
        quantity: u32,
        max_bid_price: u128,
    ) -> String {
        self.order_flow()
            .create_order(customer, offering, quantity, max_bid_price)
            .unwrap()
    }

    pub fn bid(&mut self, provider: &Addr, order: &str, price: u128) -> String {
        self.order_flow().place_bid(provider, order, price).unwrap()
    }

    pub fn accept(&mut self, customer: &Addr, bid: &str) -> String {
        self.order_flow().accept_bid(customer, bid).unwrap()
    }

    /// `provider`'s offering at `price`, ordered by `customer` for
    /// `quantity` units and matched at `price`: (offering, order,
    /// allocation). The escrow is `order:{order}` in settlement.
    pub fn matched(
        &mut self,
        provider: &Addr,
        customer: &Addr,
        price: u128,
        quantity: u32,
    ) -> (String, String, String) {
        let Matched {
            offering,
            order,
            allocation,
        } = self
            .order_flow()
            .offer_and_match(
                provider,
                customer,
                Self::offering_fields(price),
                Deal::at(price, quantity),
            )
            .unwrap();
        (offering, order, allocation)
    }

    /// As [`Self::matched`] for the main provider and customer, driven to
    /// active by signed provision callbacks.
    pub fn active(&mut self, price: u128, quantity: u32) -> (String, String, String) {
        let (p, c) = (self.provider.clone(), self.customer.clone());
        let (offering, order, allocation) = self.matched(&p, &c, price, quantity);
        for state in [
            AllocationState::Accepted,
            AllocationState::Provisioning,
            AllocationState::Active,
        ] {
            let cb = self.state_callback(ActionType::Provision, &allocation, state);
            self.submit(&cb).unwrap();
        }
        (offering, order, allocation)
    }

    pub fn allocation(&self, id: &str) -> marketplace::msg::AllocationResponse {
        self.query(
            &self.marketplace,
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: id.into(),
            },
        )
        .unwrap()
    }

    pub fn offering_state(&self, id: &str) -> ve_types::OfferingState {
        let res: marketplace::msg::OfferingResponse = self
            .query(
                &self.marketplace,
                &marketplace::msg::QueryMsg::Offering {
                    offering_id: id.into(),
                },
            )
            .unwrap();
        res.offering.state
    }

    // ---- settlement ----

    pub fn record_msg(
        escrow_id: &str,
        allocation: &str,
        units: u128,
        start: u64,
        end: u64,
    ) -> settlement::msg::ExecuteMsg {
        settlement::msg::ExecuteMsg::RecordUsage(settlement::msg::NewUsage {
            escrow_id: escrow_id.into(),
            allocation_id: allocation.into(),
            provider: None,
            usage_type: "hour".into(),
            units: Uint128::new(units),
            period_start: Timestamp::from_seconds(start),
            period_end: Timestamp::from_seconds(end),
        })
    }

    /// Records usage as the escrow's provider; returns the record ID.
    pub fn record(
        &mut self,
        provider: &Addr,
        escrow_id: &str,
        allocation: &str,
        units: u128,
        start: u64,
        end: u64,
    ) -> u64 {
        let res = self
            .settle(
                provider,
                &Self::record_msg(escrow_id, allocation, units, start, end),
                &[],
            )
            .unwrap();
        data(&res)
    }

    // ---- hpc ----

    pub fn cluster(&mut self, provider: &Addr) -> String {
        let res = self
            .hpc_exec(
                provider,
                &hpc::msg::ExecuteMsg::RegisterCluster {
                    cluster: hpc::msg::ClusterFields {
                        name: "Snellius".into(),
                        region: "eu-west".into(),
                        total_nodes: 64,
                        available_nodes: None,
                        specifications: BTreeMap::new(),
                    },
                },
                &[],
            )
            .unwrap();
        data(&res)
    }

    /// A cluster of `provider` and an HPC offering on it (queue `batch`,
    /// up to 8 nodes and 12 h, [`NODE_HOUR`] per node-hour): (cluster,
    /// offering).
    pub fn hpc_offering(&mut self, provider: &Addr) -> (String, String) {
        let cluster = self.cluster(provider);
        let res = self
            .hpc_exec(
                provider,
                &hpc::msg::ExecuteMsg::CreateHpcOffering {
                    cluster_id: cluster.clone(),
                    offering: hpc::msg::HpcOfferingFields {
                        name: "GPU batch".into(),
                        description: String::new(),
                        queues: vec![hpc::state::QueueOption {
                            name: "batch".into(),
                            max_nodes: 8,
                            max_runtime_seconds: 43_200,
                        }],
                        max_runtime_seconds: 43_200,
                        min_identity_score: 0,
                        denom: DENOM.into(),
                        price_per_node_hour: Uint128::new(NODE_HOUR),
                    },
                },
                &[],
            )
            .unwrap();
        (cluster, data(&res))
    }

    pub fn submit_job_msg(offering: &str, nodes: u32, runtime: u64) -> hpc::msg::ExecuteMsg {
        hpc::msg::ExecuteMsg::SubmitJob {
            hpc_offering_id: offering.into(),
            queue: "batch".into(),
            nodes,
            max_runtime_seconds: runtime,
            script_ref: None,
        }
    }

    pub fn job_cost(nodes: u32, runtime: u64) -> u128 {
        NODE_HOUR * nodes as u128 * runtime.div_ceil(3_600) as u128
    }

    pub fn submit_job(
        &mut self,
        customer: &Addr,
        offering: &str,
        nodes: u32,
        runtime: u64,
    ) -> StdResult<String> {
        let res = self.hpc_exec(
            customer,
            &Self::submit_job_msg(offering, nodes, runtime),
            &[coin(Self::job_cost(nodes, runtime), DENOM)],
        )?;
        Ok(data(&res))
    }

    pub fn job(&self, id: &str) -> hpc::msg::JobResponse {
        self.query(&self.hpc, &hpc::msg::QueryMsg::Job { job_id: id.into() })
            .unwrap()
    }

    // ---- callbacks ----

    pub fn proof(&self, key: &SigningKey, provider: &Addr, key_id: &str) -> Binary {
        self.signer.proof(&self.app, key, provider, key_id).unwrap()
    }

    pub fn register_msg(&self, key: &SigningKey, provider: &Addr, key_id: &str) -> CbMsg {
        self.signer
            .register_msg(&self.app, key, provider, key_id)
            .unwrap()
    }

    /// An unsigned callback of `provider` (key `k1`) with fresh IDs, dated
    /// now and valid 600 s.
    pub fn draft<P: Serialize>(
        &mut self,
        provider: &Addr,
        action: ActionType,
        entity_id: &str,
        payload: &P,
    ) -> SignedCallback {
        self.signer
            .draft(&self.app, provider, action, entity_id, payload)
            .unwrap()
    }

    /// Signs for this deployment (its chain id and contract address).
    pub fn sign(&self, cb: SignedCallback, key: &SigningKey) -> SignedCallback {
        self.signer.sign(&self.app, cb, key).unwrap()
    }

    /// The signing key of a provider of this world.
    pub fn key_of(&self, provider: &Addr) -> SigningKey {
        if *provider == self.provider2 {
            self.key2
        } else {
            self.key
        }
    }

    /// A signed allocation state report of the main provider.
    pub fn state_callback(
        &mut self,
        action: ActionType,
        allocation: &str,
        state: AllocationState,
    ) -> SignedCallback {
        let p = self.provider.clone();
        self.state_callback_of(&p, action, allocation, state)
    }

    pub fn state_callback_of(
        &mut self,
        provider: &Addr,
        action: ActionType,
        allocation: &str,
        state: AllocationState,
    ) -> SignedCallback {
        let key = self.key_of(provider);
        self.signer
            .state_callback(&self.app, &key, provider, action, allocation, state)
            .unwrap()
    }

    /// A signed usage report of `provider` for `allocation`.
    pub fn usage_callback(
        &mut self,
        provider: &Addr,
        allocation: &str,
        units: u128,
        start: u64,
        end: u64,
    ) -> SignedCallback {
        let draft = self.draft(
            provider,
            ActionType::UsageReport,
            allocation,
            &UsagePayload {
                usage_type: "hour".into(),
                units: Uint128::new(units),
                period_start: start,
                period_end: end,
            },
        );
        let key = self.key_of(provider);
        self.sign(draft, &key)
    }

    /// A signed job status report of `provider`.
    pub fn job_callback(
        &mut self,
        provider: &Addr,
        job: &str,
        state: JobState,
        node_seconds_used: Option<u64>,
    ) -> SignedCallback {
        let draft = self.draft(
            provider,
            ActionType::JobStatus,
            job,
            &JobStatusPayload {
                state,
                exit_code: None,
                node_seconds_used,
                reason: None,
            },
        );
        let key = self.key_of(provider);
        self.sign(draft, &key)
    }

    pub fn submit_msg(cb: &SignedCallback) -> CbMsg {
        CbMsg::SubmitCallback {
            callback: cb.clone(),
        }
    }

    /// Submits one callback (the relayer's account is a stranger's).
    pub fn submit(&mut self, cb: &SignedCallback) -> StdResult<AppResponse> {
        let s = self.stranger.clone();
        self.cb_exec(&s, &Self::submit_msg(cb))
    }

    /// A callback that must be refused, with nothing changed.
    pub fn submit_refused(&mut self, cb: &SignedCallback, expected: &str) -> String {
        let (s, c) = (self.stranger.clone(), self.callback.clone());
        self.refused_with(&s, &c, &Self::submit_msg(cb), &[], expected)
    }

    // ---- invariants ----

    /// Everyone's money in `DENOM`, contracts included.
    pub fn total_money(&self) -> u128 {
        self.accounts().iter().map(|a| self.balance(a)).sum()
    }

    /// Money rules that hold after every step: the settlement contract holds
    /// exactly its escrows' balances, each escrow's `deposited` is what it
    /// paid out plus what it holds, reservations fit the balance, the hpc
    /// and callback contracts hold nothing, and the marketplace holds
    /// exactly its orders' unmatched escrow.
    pub fn check_money(&self, expected_total: u128) -> Result<(), String> {
        let total = self.total_money();
        if total != expected_total {
            return Err(format!("money not conserved: {total} != {expected_total}"));
        }
        let mut held = 0u128;
        for e in self.escrows() {
            let x = &e.escrow;
            let out = x
                .paid_provider
                .checked_add(x.paid_fees)
                .and_then(|v| v.checked_add(x.refunded))
                .and_then(|v| v.checked_add(e.balance))
                .map_err(|err| format!("escrow {}: {err}", e.id))?;
            if x.deposited != out {
                return Err(format!(
                    "escrow {}: deposited {} != paid_provider {} + paid_fees {} + refunded {} + balance {}",
                    e.id, x.deposited, x.paid_provider, x.paid_fees, x.refunded, e.balance
                ));
            }
            if e.reserved > e.balance {
                return Err(format!(
                    "escrow {}: reserved {} > balance {}",
                    e.id, e.reserved, e.balance
                ));
            }
            held += e.balance.u128();
        }
        let settlement = self.balance(&self.settlement);
        if settlement != held {
            return Err(format!("settlement holds {settlement}, its escrows {held}"));
        }
        for c in [&self.hpc, &self.callback] {
            let b = self.balance(c);
            if b != 0 {
                return Err(format!("contract {c} holds {b}"));
            }
        }
        let mut orders_hold = 0u128;
        for p in [&self.customer, &self.customer2] {
            let page: marketplace::msg::OrdersResponse = self
                .query(
                    &self.marketplace,
                    &marketplace::msg::QueryMsg::OrdersByCustomer {
                        customer: p.to_string(),
                        start_after: None,
                        limit: Some(100),
                    },
                )
                .unwrap();
            orders_hold += page
                .orders
                .iter()
                .map(|o| o.order.escrow.u128())
                .sum::<u128>();
        }
        let market = self.balance(&self.marketplace);
        if market != orders_hold {
            return Err(format!(
                "marketplace holds {market}, its orders {orders_hold}"
            ));
        }
        Ok(())
    }
}
