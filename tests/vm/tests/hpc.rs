//! The optimised hpc artifact in the real VM: cluster -> HPC offering ->
//! job submitted with exact funds, forwarded to settlement as an escrow.

use cosmwasm_std::{coin, CosmosMsg, WasmMsg};
use serde_json::{json, Value};
use ve_vm_tests::VmContract;

fn data_string(res: &cosmwasm_std::Response) -> String {
    cosmwasm_std::from_json(res.data.as_ref().expect("data")).unwrap()
}

#[test]
fn hpc_story_in_the_real_vm() {
    let mut vm = VmContract::load("hpc");
    let [admin, provider, customer, settlement] =
        ["admin", "provider", "customer", "settlement"].map(|n| vm.addr(n));
    let (res, _) = vm.instantiate(&admin, &json!({ "settlement_contract": settlement }));
    res.unwrap();

    let (res, gas) = vm.execute(
        &provider,
        &json!({ "register_cluster": { "cluster": { "name": "alpha", "region": "eu-west-1", "total_nodes": 64 }}}),
        &[],
    );
    let cluster = data_string(&res.unwrap());
    println!("register_cluster: {gas} VM gas");
    let (res, _) = vm.execute(
        &provider,
        &json!({ "register_cluster": { "cluster": { "name": "bad", "region": "eu", "total_nodes": 4, "available_nodes": 5 }}}),
        &[],
    );
    assert!(res.unwrap_err().contains("available_nodes"));

    let (res, _) = vm.execute(
        &provider,
        &json!({ "create_hpc_offering": { "cluster_id": cluster, "offering": {
            "name": "batch", "queues": [{ "name": "normal", "max_nodes": 16, "max_runtime_seconds": 7200 }],
            "max_runtime_seconds": 7200, "denom": "uvirt", "price_per_node_hour": "1000"
        }}}),
        &[],
    );
    let offering = data_string(&res.unwrap());

    // 4 nodes x 2 started hours x 1,000 = 8,000.
    let submit = json!({ "submit_job": { "hpc_offering_id": offering, "queue": "normal", "nodes": 4, "max_runtime_seconds": 3601 }});
    let (res, _) = vm.execute(&customer, &submit, &[coin(7_999, "uvirt")]);
    assert!(res.unwrap_err().contains("8000uvirt"));
    let (res, gas) = vm.execute(&customer, &submit, &[coin(8_000, "uvirt")]);
    let res = res.unwrap();
    println!("submit_job: {gas} VM gas");
    let job = data_string(&res);
    match &res.messages[0].msg {
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr,
            msg,
            funds,
        }) => {
            assert_eq!(contract_addr, settlement.as_str());
            assert_eq!(funds, &vec![coin(8_000, "uvirt")]);
            let msg: Value = cosmwasm_std::from_json(msg).unwrap();
            assert_eq!(msg["create_escrow"]["escrow_id"], format!("job:{job}"));
            assert_eq!(msg["create_escrow"]["customer"], customer.as_str());
            assert_eq!(msg["create_escrow"]["rates"][0]["usage_type"], "node_hour");
        }
        other => panic!("unexpected message {other:?}"),
    }

    // Only the provider (or the callback contract) reports states.
    let report = |state: &str| json!({ "report_job_status": { "job_id": job, "state": state }});
    let (res, _) = vm.execute(&customer, &report("queued"), &[]);
    assert!(res.unwrap_err().contains("unauthorized"));
    for state in ["queued", "running"] {
        let (res, _) = vm.execute(&provider, &report(state), &[]);
        res.unwrap();
    }
    let (res, _) = vm.execute(&provider, &report("queued"), &[]);
    assert!(res
        .unwrap_err()
        .contains("cannot go from running to queued"));
    let (answer, _): (Result<Value, _>, u64) = vm.query(&json!({ "job": { "job_id": job }}));
    assert_eq!(answer.unwrap()["job"]["state"], "running");
}
