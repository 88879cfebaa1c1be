//! The demo's HPC chapter: a customer's job on chain becomes a Waldur
//! SLURM job, runs, completes, and comes back billed for its node-seconds.

use std::collections::BTreeMap;

use cosmwasm_std::{coin, Addr, Uint128};
use serde_json::json;
use ve_interface::hpc;
use waldur_emulator::EmulatorState;

use super::error::DemoError;
use super::passes::{relay, returned_id, DemoOptions};
use crate::chain::embedded::{EmbeddedChain, DENOM};
use crate::flows::engine::Engine;
use crate::waldur_side::adapter::WaldurAdapter;

/// What the chapter ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpcOutcome {
    pub job_id: String,
    pub job_state: ve_types::JobState,
    pub node_seconds_used: Option<u64>,
    pub billed_node_hours: Option<u128>,
    /// Waldur SLURM jobs at the end.
    pub waldur_jobs: usize,
}

const PRICE_PER_NODE_HOUR: u128 = 1_000;

fn query_job(chain: &EmbeddedChain, job_id: &str) -> Result<hpc::state::Job, DemoError> {
    let res: hpc::msg::JobResponse = chain.app.wrap().query_wasm_smart(
        chain.hpc.clone(),
        &hpc::msg::QueryMsg::Job {
            job_id: job_id.to_string(),
        },
    )?;
    Ok(res.job)
}

/// Six progress lines.
pub async fn run(
    engine: &mut Engine<EmbeddedChain, WaldurAdapter>,
    waldur: &EmulatorState,
    options: DemoOptions,
    provider: &Addr,
    customer: &Addr,
    say: &mut dyn FnMut(String),
) -> Result<HpcOutcome, DemoError> {
    let hpc = engine.chain.hpc.clone();
    let cluster = returned_id(&engine.chain.execute(
        provider,
        &hpc,
        &hpc::msg::ExecuteMsg::RegisterCluster {
            cluster: hpc::msg::ClusterFields {
                name: "Demo cluster".into(),
                region: "eu-west-1".into(),
                total_nodes: 16,
                available_nodes: None,
                specifications: BTreeMap::new(),
            },
        },
        &[],
    )?)?;
    let offering = returned_id(&engine.chain.execute(
        provider,
        &hpc,
        &hpc::msg::ExecuteMsg::CreateHpcOffering {
            cluster_id: cluster.clone(),
            offering: hpc::msg::HpcOfferingFields {
                name: "Batch nodes".into(),
                description: String::new(),
                queues: vec![hpc::state::QueueOption {
                    name: "batch".into(),
                    max_nodes: 8,
                    max_runtime_seconds: 86_400,
                }],
                max_runtime_seconds: 43_200,
                min_identity_score: 0,
                denom: DENOM.into(),
                price_per_node_hour: Uint128::new(PRICE_PER_NODE_HOUR),
            },
        },
        &[],
    )?)?;
    let settings = waldur.seed_service_settings("Demo SLURM cluster");
    engine.waldur.map_cluster(&cluster, &settings.url);
    say(format!("HPC cluster {cluster} with offering {offering} on chain; cluster mapped to Waldur service settings {}", settings.uuid));

    // 2 nodes for at most 2 h: 4 node-hours paid up front.
    let escrow = PRICE_PER_NODE_HOUR * 4;
    let job_id = returned_id(&engine.chain.execute(
        customer,
        &hpc,
        &hpc::msg::ExecuteMsg::SubmitJob {
            hpc_offering_id: offering,
            queue: "batch".into(),
            nodes: 2,
            max_runtime_seconds: 7_200,
            script_ref: Some("ipfs://bafy-demo-job".into()),
        },
        &[coin(escrow, DENOM)],
    )?)?;
    say(format!(
        "customer submitted job {job_id}: 2 nodes, 2 h, {escrow} {DENOM} in escrow"
    ));
    let report = relay(engine, waldur, options, false).await?;
    say(format!("relayer: {report}"));

    let job = waldur
        .slurm_jobs_json()
        .into_iter()
        .find(|j| j["name"] == job_id.as_str())
        .ok_or(DemoError::Missing("the relayer created no Waldur job"))?;
    let uuid = job["uuid"].as_str().unwrap_or_default().to_string();
    waldur.set_slurm_job_runtime(&uuid, "RUNNING", None);
    let report = relay(engine, waldur, options, false).await?;
    say(format!(
        "SLURM: job {} running; relayer: {report}",
        job["backend_id"].as_str().unwrap_or("?")
    ));

    engine.chain.advance(5_400);
    waldur.set_slurm_job_runtime(
        &uuid,
        "COMPLETED",
        Some(json!({"elapsed_seconds": 5_400, "exit_code": 0})),
    );
    let report = relay(engine, waldur, options, false).await?;
    say(format!(
        "SLURM: job completed after 1 h 30 min, exit 0; relayer: {report}"
    ));

    let job = query_job(&engine.chain, &job_id)?;
    let billed = match &job.escrow_outcome {
        Some(hpc::state::EscrowOutcome::Settled { node_hours })
        | Some(hpc::state::EscrowOutcome::UsageRecorded { node_hours }) => Some(node_hours.u128()),
        _ => None,
    };
    say(format!(
        "job {job_id} {} on chain: {} node-seconds, {} node-hour(s) recorded against its escrow (settled once the customer's acknowledgement window passes)",
        job.state,
        job.node_seconds_used.unwrap_or(0),
        billed.unwrap_or(0)
    ));
    Ok(HpcOutcome {
        job_id,
        job_state: job.state,
        node_seconds_used: job.node_seconds_used,
        billed_node_hours: billed,
        waldur_jobs: waldur.slurm_job_count(),
    })
}
