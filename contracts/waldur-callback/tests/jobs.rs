//! job_status callbacks drive the hpc contract, whose usage lands in
//! settlement: job -> escrow -> usage -> settle through the callback door.

mod common;

use common::*;
use cosmwasm_std::{coin, Addr, Uint128};
use cw_multi_test::Executor;
use serde_json::json;
use ve_types::callback::JobStatusPayload;
use ve_types::{ActionType, JobState};

fn data(res: cw_multi_test::AppResponse) -> String {
    cosmwasm_std::from_json(res.data.unwrap()).unwrap()
}

/// A 2-node, one-hour job on `provider`'s cluster, paid 2 x 500.
fn job_of(s: &mut Suite, provider: &Addr) -> String {
    let hpc = s.hpc.clone();
    let cluster = data(
        s.app
            .execute_contract(
                provider.clone(),
                hpc.clone(),
                &json!({ "register_cluster": { "cluster": { "name": "c", "region": "eu-west-1", "total_nodes": 8 }}}),
                &[],
            )
            .unwrap(),
    );
    let offering = data(
        s.app
            .execute_contract(
                provider.clone(),
                hpc.clone(),
                &json!({ "create_hpc_offering": { "cluster_id": cluster, "offering": {
                    "name": "batch", "queues": [{ "name": "q", "max_nodes": 4, "max_runtime_seconds": 3600 }],
                    "max_runtime_seconds": 3600, "denom": DENOM, "price_per_node_hour": "500"
                }}}),
                &[],
            )
            .unwrap(),
    );
    let customer = s.customer.clone();
    data(
        s.app
            .execute_contract(
                customer,
                hpc,
                &json!({ "submit_job": { "hpc_offering_id": offering, "queue": "q", "nodes": 2, "max_runtime_seconds": 3600 }}),
                &[coin(1_000, DENOM)],
            )
            .unwrap(),
    )
}

fn status(state: JobState, node_seconds: Option<u64>) -> JobStatusPayload {
    JobStatusPayload {
        state,
        exit_code: node_seconds.map(|_| 0),
        node_seconds_used: node_seconds,
        reason: None,
    }
}

fn job_state(s: &Suite, job: &str) -> JobState {
    let res: hpc::msg::JobResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.hpc.clone(),
            &hpc::msg::QueryMsg::Job { job_id: job.into() },
        )
        .unwrap();
    res.job.state
}

#[test]
fn job_status_callbacks_run_a_job_to_settlement() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let job = job_of(&mut s, &provider);
    let key = s.key;
    for state in [JobState::Queued, JobState::Running] {
        let draft = s.draft(&provider, ActionType::JobStatus, &job, &status(state, None));
        s.submit(&s.sign(draft, &key)).unwrap();
        assert_eq!(job_state(&s, &job), state);
    }
    s.advance(1_800);
    // 2 nodes for half an hour: 3,600 node-seconds, one node-hour.
    let draft = s.draft(
        &provider,
        ActionType::JobStatus,
        &job,
        &status(JobState::Completed, Some(3_600)),
    );
    s.submit(&s.sign(draft, &key)).unwrap();
    assert_eq!(job_state(&s, &job), JobState::Completed);
    let records: settlement::msg::UsageRecordsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            s.settlement.clone(),
            &settlement::msg::QueryMsg::UsageRecordsByEscrow {
                escrow_id: format!("job:{job}"),
                state: None,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(records.records.len(), 1);
    assert_eq!(records.records[0].record.units, Uint128::one());
    assert_eq!(records.records[0].record.cost, Uint128::new(500));
}

#[test]
fn a_provider_cannot_report_another_providers_job() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let p2 = s.provider2.clone();
    let job = job_of(&mut s, &provider);
    let draft = s.draft(
        &p2,
        ActionType::JobStatus,
        &job,
        &status(JobState::Queued, None),
    );
    let key2 = s.key2;
    let err = s.submit_fails(&s.sign(draft, &key2));
    assert!(
        err.contains(&format!("job {job} belongs to {provider}, not to {p2}")),
        "{err}"
    );
    // A disallowed job transition is refused by the hpc contract.
    let draft = s.draft(
        &provider,
        ActionType::JobStatus,
        &job,
        &status(JobState::Completed, Some(10)),
    );
    let err = s.submit_fails(&s.sign(draft, &s.key));
    assert!(err.contains("cannot go from pending to completed"), "{err}");
}
