//! A cw-multi-test suite with the hpc contract and the real settlement
//! contract deployed, and funded parties.
#![allow(dead_code)]

use std::collections::BTreeMap;

use cosmwasm_std::{coin, Addr, Coin, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use hpc::msg::{
    ClusterFields, ExecuteMsg, HpcOfferingFields, InstantiateMsg, JobResponse, QueryMsg,
};
use hpc::state::{Job, QueueOption};
use serde::de::DeserializeOwned;
use settlement::msg::{
    EscrowResponse, FeeShareInput, InstantiateMsg as SettlementInstantiate,
    QueryMsg as SettlementQuery,
};
use ve_testing::Watch;
use ve_types::JobState;

#[allow(unused_imports)] // each test binary uses a subset
pub use ve_testing::{
    count_events, event_attrs, has_attr, settlement_contract, DENOM, START_BALANCE,
};

pub const OTHER_DENOM: &str = "uatom";
/// Price per node-hour of the default offering.
pub const PRICE: u128 = 1_000;
/// The settlement contract's platform fee in the suite.
pub const FEE_BPS: u128 = 500;

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub contract: Addr,
    pub settlement: Addr,
    pub admin: Addr,
    pub arbiter: Addr,
    pub platform: Addr,
    pub provider: Addr,
    pub provider2: Addr,
    pub customer: Addr,
    pub customer2: Addr,
    pub callback: Addr,
    pub stranger: Addr,
}

pub fn cluster_fields(name: &str) -> ClusterFields {
    ClusterFields {
        name: name.into(),
        region: "eu-west-1".into(),
        total_nodes: 16,
        available_nodes: None,
        specifications: BTreeMap::from([("cpu_cores".into(), "64".into())]),
    }
}

/// `batch`: 8 nodes, 24 h; `debug`: 2 nodes, 1 h.
pub fn queues() -> Vec<QueueOption> {
    vec![
        QueueOption {
            name: "batch".into(),
            max_nodes: 8,
            max_runtime_seconds: 86_400,
        },
        QueueOption {
            name: "debug".into(),
            max_nodes: 2,
            max_runtime_seconds: 3_600,
        },
    ]
}

/// Offering max runtime 12 h, `PRICE` uvirt per node-hour.
pub fn offering_fields(name: &str) -> HpcOfferingFields {
    HpcOfferingFields {
        name: name.into(),
        description: "SLURM GPU partition".into(),
        queues: queues(),
        max_runtime_seconds: 43_200,
        min_identity_score: 30,
        denom: DENOM.into(),
        price_per_node_hour: Uint128::new(PRICE),
    }
}

pub fn submit_msg(offering_id: &str, queue: &str, nodes: u32, runtime: u64) -> ExecuteMsg {
    ExecuteMsg::SubmitJob {
        hpc_offering_id: offering_id.into(),
        queue: queue.into(),
        nodes,
        max_runtime_seconds: runtime,
        script_ref: Some("ipfs://bafy-job-script".into()),
    }
}

/// `PRICE x nodes x ceil(runtime / 3600)`.
pub fn cost(nodes: u32, runtime: u64) -> u128 {
    PRICE * nodes as u128 * runtime.div_ceil(3600) as u128
}

pub fn report_msg(
    job_id: &str,
    state: JobState,
    exit_code: Option<i32>,
    node_seconds_used: Option<u64>,
) -> ExecuteMsg {
    ExecuteMsg::ReportJobStatus {
        job_id: job_id.into(),
        provider: None,
        state,
        exit_code,
        node_seconds_used,
        reason: None,
    }
}

/// A report as the callback contract sends it: naming the provider.
pub fn on_behalf_of(msg: ExecuteMsg, who: &Addr) -> ExecuteMsg {
    match msg {
        ExecuteMsg::ReportJobStatus {
            job_id,
            state,
            exit_code,
            node_seconds_used,
            reason,
            ..
        } => ExecuteMsg::ReportJobStatus {
            job_id,
            provider: Some(who.to_string()),
            state,
            exit_code,
            node_seconds_used,
            reason,
        },
        other => other,
    }
}

pub fn err_text(err: impl std::fmt::Display) -> String {
    err.to_string()
}

impl Suite {
    /// Settlement with a zero acknowledgement window (usage settles at
    /// once) and a 5% platform fee.
    pub fn new() -> Self {
        Self::with(|_| {}, |s| s.ack_window_seconds = Some(0))
    }

    pub fn with(
        tweak: impl FnOnce(&mut InstantiateMsg),
        tweak_settlement: impl FnOnce(&mut SettlementInstantiate),
    ) -> Self {
        let mut app = ve_testing::new_app();
        let [admin, arbiter, platform, provider, provider2, customer, customer2, callback, stranger] =
            [
                "admin",
                "arbiter",
                "platform",
                "provider",
                "provider2",
                "customer",
                "customer2",
                "callback",
                "stranger",
            ]
            .map(ve_testing::addr);
        ve_testing::fund_all(
            &mut app,
            &[
                &admin, &provider, &provider2, &customer, &customer2, &stranger, &callback,
            ],
            &[DENOM, OTHER_DENOM],
        )
        .unwrap();

        let mut settlement_msg = SettlementInstantiate {
            admin: Some(admin.to_string()),
            arbiter: arbiter.to_string(),
            marketplace: None,
            hpc: None,
            callback_contract: Some(callback.to_string()),
            fee_shares: vec![FeeShareInput {
                name: "platform".into(),
                recipient: platform.to_string(),
                bps: FEE_BPS as u16,
            }],
            ack_window_seconds: None,
        };
        tweak_settlement(&mut settlement_msg);
        let settlement = ve_testing::instantiate(
            &mut app,
            settlement_contract(),
            &admin,
            &settlement_msg,
            "settlement",
        )
        .unwrap()
        .address;

        let mut msg = InstantiateMsg {
            admin: Some(admin.to_string()),
            settlement_contract: settlement.to_string(),
            callback_contract: Some(callback.to_string()),
            escrow_grace_seconds: None,
        };
        tweak(&mut msg);
        let hpc =
            ve_testing::instantiate(&mut app, ve_testing::hpc_contract(), &admin, &msg, "hpc")
                .unwrap();
        let (code_id, contract) = (hpc.code_id, hpc.address);

        // The settlement contract trusts the hpc contract with job escrows.
        app.execute_contract(
            admin.clone(),
            settlement.clone(),
            &serde_json::json!({"update_config": {"hpc": contract}}),
            &[],
        )
        .unwrap();

        Suite {
            app,
            code_id,
            contract,
            settlement,
            admin,
            arbiter,
            platform,
            provider,
            provider2,
            customer,
            customer2,
            callback,
            stranger,
        }
    }

    pub fn exec(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, funds)
    }

    pub fn exec_settlement(
        &mut self,
        sender: &Addr,
        msg: &settlement::msg::ExecuteMsg,
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.settlement.clone(), msg, &[])
    }

    /// Executes a message that must fail; returns the error text and checks
    /// that neither contract's state nor the sender's balances changed.
    pub fn exec_fails(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> String {
        let watch = Watch::storage_of(&[&self.contract, &self.settlement])
            .with_balances(&[sender], &[DENOM, OTHER_DENOM]);
        let contract = self.contract.clone();
        ve_testing::exec_fails(&mut self.app, &watch, sender, &contract, msg, funds)
    }

    /// Every key/value of both contracts' storage.
    pub fn dump_state(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut all = self.app.dump_wasm_raw(&self.contract);
        all.extend(self.app.dump_wasm_raw(&self.settlement));
        all
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    pub fn query_settlement<T: DeserializeOwned>(&self, msg: &SettlementQuery) -> StdResult<T> {
        self.app
            .wrap()
            .query_wasm_smart(self.settlement.clone(), msg)
    }

    pub fn balance(&self, who: &Addr, denom: &str) -> u128 {
        ve_testing::balance(&self.app, who, denom).unwrap()
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
    }

    /// The ID a message returned in its data field.
    pub fn returned_id(res: &AppResponse) -> String {
        ve_testing::returned_data(res).unwrap()
    }

    pub fn register_cluster_as(&mut self, provider: &Addr, fields: ClusterFields) -> String {
        let res = self
            .exec(
                provider,
                &ExecuteMsg::RegisterCluster { cluster: fields },
                &[],
            )
            .unwrap();
        Self::returned_id(&res)
    }

    pub fn register_cluster(&mut self) -> String {
        let provider = self.provider.clone();
        self.register_cluster_as(&provider, cluster_fields("Snellius"))
    }

    pub fn create_offering_as(
        &mut self,
        provider: &Addr,
        cluster_id: &str,
        fields: HpcOfferingFields,
    ) -> String {
        let res = self
            .exec(
                provider,
                &ExecuteMsg::CreateHpcOffering {
                    cluster_id: cluster_id.into(),
                    offering: fields,
                },
                &[],
            )
            .unwrap();
        Self::returned_id(&res)
    }

    /// A cluster of `provider` with one default offering: (cluster, offering).
    pub fn offering(&mut self) -> (String, String) {
        let cluster = self.register_cluster();
        let provider = self.provider.clone();
        let offering = self.create_offering_as(&provider, &cluster, offering_fields("GPU batch"));
        (cluster, offering)
    }

    pub fn submit_as(
        &mut self,
        customer: &Addr,
        offering_id: &str,
        queue: &str,
        nodes: u32,
        runtime: u64,
    ) -> String {
        let funds = [coin(cost(nodes, runtime), DENOM)];
        let res = self
            .exec(
                customer,
                &submit_msg(offering_id, queue, nodes, runtime),
                &funds,
            )
            .unwrap();
        Self::returned_id(&res)
    }

    /// A job of `customer` on `offering`: batch queue, 2 nodes, 2 h.
    pub fn submit(&mut self, offering_id: &str) -> String {
        let customer = self.customer.clone();
        self.submit_as(&customer, offering_id, "batch", 2, 7_200)
    }

    /// A fresh cluster, offering and job (2 nodes, 2 h).
    pub fn job(&mut self) -> String {
        let (_, offering) = self.offering();
        self.submit(&offering)
    }

    pub fn report(
        &mut self,
        job_id: &str,
        state: JobState,
        node_seconds_used: Option<u64>,
    ) -> StdResult<AppResponse> {
        let callback = self.callback.clone();
        let msg = on_behalf_of(
            report_msg(job_id, state, None, node_seconds_used),
            &self.provider,
        );
        self.exec(&callback, &msg, &[])
    }

    pub fn job_response(&self, job_id: &str) -> JobResponse {
        self.query(&QueryMsg::Job {
            job_id: job_id.into(),
        })
        .unwrap()
    }

    pub fn job_state(&self, job_id: &str) -> Job {
        self.job_response(job_id).job
    }

    pub fn escrow(&self, job_id: &str) -> EscrowResponse {
        self.query_settlement(&SettlementQuery::Escrow {
            escrow_id: format!("job:{job_id}"),
        })
        .unwrap()
    }

    /// Drives a fresh job into `state` through the paths users take (a job
    /// that ran ends 10 minutes after it started).
    pub fn job_in(&mut self, offering_id: &str, state: JobState) -> String {
        use JobState::*;
        let id = self.submit(offering_id);
        let path: &[JobState] = match state {
            Pending => &[],
            Queued => &[Queued],
            Running => &[Queued, Running],
            Completed => &[Queued, Running, Completed],
            Failed => &[Failed],
            Cancelled => &[Cancelled],
            Timeout => &[Queued, Running, Timeout],
        };
        for step in path {
            if self.job_state(&id).state == Running {
                self.advance(600);
            }
            self.report(&id, *step, None).unwrap();
        }
        assert_eq!(self.job_state(&id).state, state);
        id
    }
}
