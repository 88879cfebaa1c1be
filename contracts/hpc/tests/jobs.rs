mod common;

use common::*;
use cosmwasm_std::{coin, Timestamp, Uint128};
use hpc::msg::ExecuteMsg;
use hpc::state::EscrowOutcome;
use settlement::msg::{QueryMsg as SettlementQuery, UsageRecordsResponse};
use ve_types::{EscrowState, JobState, StateMachine};

/// Balances of (customer, provider, platform, settlement contract).
fn money(s: &Suite) -> (u128, u128, u128, u128) {
    (
        s.balance(&s.customer, DENOM),
        s.balance(&s.provider, DENOM),
        s.balance(&s.platform, DENOM),
        s.balance(&s.settlement, DENOM),
    )
}

fn cancel_msg(id: &str) -> ExecuteMsg {
    ExecuteMsg::CancelJob {
        job_id: id.into(),
        reason: Some("no longer needed".into()),
    }
}

fn timeout_msg(id: &str) -> ExecuteMsg {
    ExecuteMsg::TimeoutJob { job_id: id.into() }
}

fn usage_records(s: &Suite, job_id: &str) -> UsageRecordsResponse {
    s.query_settlement(&SettlementQuery::UsageRecordsByEscrow {
        escrow_id: format!("job:{job_id}"),
        state: None,
        start_after: None,
        limit: None,
    })
    .unwrap()
}

/// Provider and platform shares of `gross` with the suite's 5% fee.
fn split(gross: u128) -> (u128, u128) {
    let fee = gross * FEE_BPS / 10_000;
    (gross - fee, fee)
}

/// Asserts the money of a job that billed `node_hours` out of its 2-node,
/// 2-hour escrow moved as the settlement contract pays it; `before` is
/// taken after the escrow was funded.
fn assert_billed(s: &Suite, id: &str, before: (u128, u128, u128, u128), node_hours: u128) {
    let escrowed = cost(2, 7_200);
    let gross = node_hours * PRICE;
    let (provider_part, fee) = split(gross);
    assert_eq!(
        money(s),
        (
            before.0 + escrowed - gross,
            before.1 + provider_part,
            before.2 + fee,
            before.3 - escrowed
        ),
        "money of {id}"
    );
    let escrow = s.escrow(id);
    assert_eq!(escrow.escrow.state, EscrowState::Released);
    assert_eq!(escrow.balance, Uint128::zero());
    assert_eq!(
        s.job_state(id).escrow_outcome,
        Some(EscrowOutcome::Settled {
            node_hours: Uint128::new(node_hours)
        })
    );
}

fn assert_refunded(s: &Suite, id: &str, before: (u128, u128, u128, u128)) {
    let escrowed = cost(2, 7_200);
    assert_eq!(
        money(s),
        (before.0 + escrowed, before.1, before.2, before.3 - escrowed),
        "money of {id}"
    );
    assert_eq!(s.escrow(id).escrow.state, EscrowState::Refunded);
    assert_eq!(
        s.job_state(id).escrow_outcome,
        Some(EscrowOutcome::Refunded)
    );
    assert!(usage_records(s, id).records.is_empty());
}

#[test]
fn submit_forwards_exact_funds_to_a_settlement_escrow() {
    let mut s = Suite::new();
    let (cluster, offering) = s.offering();
    let customer = s.customer.clone();
    let provider = s.provider.clone();
    let before = money(&s);
    let now = s.now();
    let funds = [coin(cost(2, 7_200), DENOM)];
    let res = s
        .exec(&customer, &submit_msg(&offering, "batch", 2, 7_200), &funds)
        .unwrap();
    let id = Suite::returned_id(&res);
    assert_eq!(id, format!("{customer}/1"));

    let attrs = event_attrs(&res, "ve.job_submitted");
    assert_eq!(attrs["job_id"], id);
    assert_eq!(attrs["hpc_offering_id"], offering);
    assert_eq!(attrs["cluster_id"], cluster);
    assert_eq!(attrs["customer"], customer.as_str());
    assert_eq!(attrs["provider"], provider.as_str());
    assert_eq!(attrs["queue"], "batch");
    assert_eq!(attrs["nodes"], "2");
    assert_eq!(attrs["max_runtime_seconds"], "7200");
    assert_eq!(attrs["state"], "pending");
    assert_eq!(attrs["state_code"], "1");
    assert_eq!(attrs["escrow_id"], format!("job:{id}"));
    assert_eq!(attrs["escrow_amount"], "4000");
    assert_eq!(attrs["denom"], DENOM);
    let expires_at = now + 7_200 + 604_800;
    assert_eq!(attrs["escrow_expires_at"], expires_at.to_string());

    // The hpc contract keeps nothing; the settlement contract holds it all.
    assert_eq!(
        money(&s),
        (before.0 - 4_000, before.1, before.2, before.3 + 4_000)
    );
    assert_eq!(s.balance(&s.contract, DENOM), 0);
    let escrow = s.escrow(&id);
    assert_eq!(escrow.id, format!("job:{id}"));
    assert_eq!(escrow.balance, Uint128::new(4_000));
    assert_eq!(escrow.escrow.customer, customer);
    assert_eq!(escrow.escrow.provider, provider);
    assert_eq!(escrow.escrow.denom, DENOM);
    assert_eq!(escrow.escrow.state, EscrowState::Active);
    assert_eq!(escrow.escrow.created_by, s.contract);
    assert_eq!(
        escrow.escrow.expires_at,
        Timestamp::from_seconds(expires_at)
    );
    assert_eq!(escrow.escrow.rates.len(), 1);
    assert_eq!(escrow.escrow.rates[0].usage_type, "node_hour");
    assert_eq!(escrow.escrow.rates[0].unit_price, Uint128::new(PRICE));

    let r = s.job_response(&id);
    assert_eq!(r.id, id);
    assert_eq!(r.escrow_id, format!("job:{id}"));
    assert_eq!(r.hpc_offering_id, offering);
    assert_eq!(r.cluster_id, cluster);
    let j = r.job;
    assert_eq!(j.state, JobState::Pending);
    assert_eq!(j.escrow_amount, Uint128::new(4_000));
    assert_eq!(j.settlement_contract, s.settlement);
    assert_eq!(j.script_ref.as_deref(), Some("ipfs://bafy-job-script"));
    assert_eq!(
        (j.started_at, j.ended_at, j.escrow_outcome),
        (None, None, None)
    );

    // Sequences per customer.
    assert_eq!(s.submit(&offering), format!("{customer}/2"));
    let customer2 = s.customer2.clone();
    assert_eq!(
        s.submit_as(&customer2, &offering, "debug", 1, 60),
        format!("{customer2}/1")
    );
}

#[test]
fn submit_requires_exactly_the_job_cost() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let customer = s.customer.clone();
    let msg = submit_msg(&offering, "batch", 3, 5_400); // 3 nodes x 2 h
    let exact = cost(3, 5_400);
    assert_eq!(exact, 6_000);
    for (funds, got) in [
        (vec![], String::new()),
        (
            vec![coin(exact - 1, DENOM)],
            format!("{}{DENOM}", exact - 1),
        ),
        (
            vec![coin(exact + 1, DENOM)],
            format!("{}{DENOM}", exact + 1),
        ),
        (
            vec![coin(exact, OTHER_DENOM)],
            format!("{exact}{OTHER_DENOM}"),
        ),
        (
            vec![coin(exact, DENOM), coin(1, OTHER_DENOM)],
            format!("{exact}{DENOM}, 1{OTHER_DENOM}"),
        ),
    ] {
        let err = s.exec_fails(&customer, &msg, &funds);
        assert!(
            err.contains(&format!(
                "wrong funds: expected exactly {exact}{DENOM}, got [{got}]"
            )),
            "{err}"
        );
    }
    // Runtime is billed per started hour: 3,601 s costs two hours.
    s.exec(
        &customer,
        &submit_msg(&offering, "batch", 1, 3_601),
        &[coin(2 * PRICE, DENOM)],
    )
    .unwrap();
    s.exec(
        &customer,
        &submit_msg(&offering, "batch", 1, 3_600),
        &[coin(PRICE, DENOM)],
    )
    .unwrap();
}

#[test]
fn submit_checks_offering_queue_and_limits() {
    let mut s = Suite::new();
    let (cluster, offering) = s.offering();
    let customer = s.customer.clone();
    let provider = s.provider.clone();
    let fail = |s: &mut Suite, who: &cosmwasm_std::Addr, msg: ExecuteMsg, funds: u128| {
        s.exec_fails(who, &msg, &[coin(funds, DENOM)])
    };

    let err = fail(
        &mut s,
        &provider,
        submit_msg(&offering, "batch", 1, 3_600),
        PRICE,
    );
    assert!(
        err.contains(&format!(
            "a provider cannot submit jobs to its own hpc offering {offering}"
        )),
        "{err}"
    );
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "gpu", 1, 3_600),
        PRICE,
    );
    assert!(
        err.contains(&format!("hpc offering {offering} has no queue \"gpu\"")),
        "{err}"
    );
    // Nodes: 1..=queue max.
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "batch", 0, 3_600),
        PRICE,
    );
    assert!(
        err.contains("invalid nodes: 0 must be 1-8 (max_nodes of queue \"batch\")"),
        "{err}"
    );
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "batch", 9, 3_600),
        9 * PRICE,
    );
    assert!(err.contains("invalid nodes: 9 must be 1-8"), "{err}");
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "debug", 3, 3_600),
        3 * PRICE,
    );
    assert!(
        err.contains("invalid nodes: 3 must be 1-2 (max_nodes of queue \"debug\")"),
        "{err}"
    );
    s.submit_as(&customer, &offering, "batch", 8, 3_600);
    s.submit_as(&customer, &offering, "debug", 2, 3_600);

    // Runtime: 60..=min(queue max, offering max).
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "batch", 1, 59),
        PRICE,
    );
    assert!(
        err.contains("invalid max_runtime_seconds: 59 s must be 60-43200"),
        "{err}"
    );
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "batch", 1, 43_201),
        13 * PRICE,
    );
    assert!(
        err.contains("invalid max_runtime_seconds: 43201 s must be 60-43200"),
        "{err}"
    );
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&offering, "debug", 1, 3_601),
        2 * PRICE,
    );
    assert!(
        err.contains("invalid max_runtime_seconds: 3601 s must be 60-3600"),
        "{err}"
    );
    s.submit_as(&customer, &offering, "batch", 1, 60);
    s.submit_as(&customer, &offering, "batch", 1, 43_200);

    // Script reference.
    for bad in ["", "has space", &"x".repeat(513)] {
        let msg = ExecuteMsg::SubmitJob {
            hpc_offering_id: offering.clone(),
            queue: "batch".into(),
            nodes: 1,
            max_runtime_seconds: 3_600,
            script_ref: Some(bad.to_string()),
        };
        let err = fail(&mut s, &customer, msg, PRICE);
        assert!(err.contains("invalid script_ref"), "{err}");
    }

    // IDs.
    let err = fail(
        &mut s,
        &customer,
        submit_msg("x/1/2", "batch", 1, 3_600),
        PRICE,
    );
    assert!(err.contains("invalid hpc offering id \"x/1/2\""), "{err}");
    let err = fail(
        &mut s,
        &customer,
        submit_msg(&format!("{provider}/99"), "batch", 1, 3_600),
        PRICE,
    );
    assert!(
        err.contains(&format!("hpc offering {provider}/99 not found")),
        "{err}"
    );

    // The cluster must be active.
    for (msg, state) in [
        (
            ExecuteMsg::DrainCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "draining",
        ),
        (
            ExecuteMsg::SetClusterOffline {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "offline",
        ),
        (
            ExecuteMsg::DeregisterCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "deregistered",
        ),
    ] {
        s.exec(&provider, &msg, &[]).unwrap();
        let err = fail(
            &mut s,
            &customer,
            submit_msg(&offering, "batch", 1, 3_600),
            PRICE,
        );
        assert!(
            err.contains(&format!(
                "cluster {cluster} is {state}; this needs an active cluster"
            )),
            "{err}"
        );
    }
}

#[test]
fn submit_cost_overflow_is_a_named_error() {
    let mut s = Suite::new();
    let cluster = s.register_cluster();
    let provider = s.provider.clone();
    let customer = s.customer.clone();
    let mut fields = offering_fields("pricey");
    fields.price_per_node_hour = Uint128::MAX;
    let offering = s.create_offering_as(&provider, &cluster, fields);
    // One node for one hour is representable.
    let res = s
        .query::<hpc::msg::JobCostResponse>(&hpc::msg::QueryMsg::JobCost {
            hpc_offering_id: offering.clone(),
            nodes: 1,
            max_runtime_seconds: 3_600,
        })
        .unwrap();
    assert_eq!(res.total, Uint128::MAX);
    let err = s.exec_fails(
        &customer,
        &submit_msg(&offering, "batch", 2, 3_600),
        &[coin(1, DENOM)],
    );
    assert!(
        err.contains(&format!(
            "job cost overflows: {} per node-hour x 2 nodes x 1 hours",
            Uint128::MAX
        )),
        "{err}"
    );
    let err = s.exec_fails(
        &customer,
        &submit_msg(&offering, "batch", 1, 3_601),
        &[coin(1, DENOM)],
    );
    assert!(err.contains("x 1 nodes x 2 hours"), "{err}");
}

#[test]
fn cancel_before_running_refunds_everything() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let customer = s.customer.clone();
    let provider = s.provider.clone();

    // Pending, by the customer.
    let before = money(&s);
    let id = s.submit(&offering);
    let res = s.exec(&customer, &cancel_msg(&id), &[]).unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(attrs["job_id"], id);
    assert_eq!(attrs["from"], "pending");
    assert_eq!(attrs["state"], "cancelled");
    assert_eq!(attrs["state_code"], "6");
    assert_eq!(attrs["reason"], "no longer needed");
    assert_eq!(attrs["escrow"], "refunded");
    // The job and its provider (the relayer's routing), what changed, and
    // nothing fixed at job_submitted.
    assert_eq!(attrs["provider"], provider.to_string());
    assert_eq!(
        ve_testing::attribute_keys(&attrs),
        [
            "_contract_address",
            "escrow",
            "from",
            "job_id",
            "provider",
            "reason",
            "state",
            "state_code",
            "version"
        ]
    );
    assert_refunded(
        &s,
        &id,
        (before.0 - 4_000, before.1, before.2, before.3 + 4_000),
    );
    let j = s.job_state(&id);
    assert_eq!(j.state, JobState::Cancelled);
    assert!(j.ended_at.is_some());
    assert_eq!(j.node_seconds_used, None);

    // Queued, by the provider.
    let id = s.job_in(&offering, JobState::Queued);
    let before = money(&s);
    s.exec(&provider, &cancel_msg(&id), &[]).unwrap();
    assert_refunded(&s, &id, before);
}

#[test]
fn cancel_while_running_bills_the_elapsed_time() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let customer = s.customer.clone();
    let id = s.job_in(&offering, JobState::Running);
    let started = s.job_state(&id).started_at.unwrap();
    s.advance(1_000); // 2 nodes x 1,000 s = 2,000 node-seconds -> 1 node-hour
    let before = money(&s);
    let res = s.exec(&customer, &cancel_msg(&id), &[]).unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(attrs["escrow"], "settled");
    assert_eq!(attrs["billed_node_hours"], "1");
    assert_eq!(attrs["node_seconds_used"], "2000");
    assert_billed(&s, &id, before, 1);
    let records = usage_records(&s, &id).records;
    assert_eq!(records.len(), 1);
    let r = &records[0].record;
    assert_eq!(r.allocation_id, id);
    assert_eq!(r.usage_type, "node_hour");
    assert_eq!(r.units, Uint128::new(1));
    assert_eq!(r.period_start, started);
    assert_eq!(r.period_end.seconds(), s.now());
}

#[test]
fn cancel_is_for_the_parties_and_open_jobs_only() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.submit(&offering);
    for who in [
        s.stranger.clone(),
        s.admin.clone(),
        s.callback.clone(),
        s.customer2.clone(),
    ] {
        let err = s.exec_fails(&who, &cancel_msg(&id), &[]);
        assert!(
            err.contains(
                "unauthorized: cancel a job may only be done by the job's customer or provider"
            ),
            "{err}"
        );
    }
    let customer = s.customer.clone();
    let err = s.exec_fails(&customer, &cancel_msg(&id), &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::CancelJob {
            job_id: id.clone(),
            reason: Some("".into()),
        },
        &[],
    );
    assert!(err.contains("invalid reason: must not be empty"), "{err}");
    let err = s.exec_fails(&customer, &cancel_msg(&format!("{customer}/42")), &[]);
    assert!(
        err.contains(&format!("job {customer}/42 not found")),
        "{err}"
    );
    let err = s.exec_fails(&customer, &cancel_msg("nobody/1"), &[]);
    assert!(err.contains("invalid job_id"), "{err}");

    for state in [
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Timeout,
    ] {
        let id = s.job_in(&offering, state);
        let err = s.exec_fails(&customer, &cancel_msg(&id), &[]);
        assert!(
            err.contains(&format!("job {id} cannot go from {state} to cancelled")),
            "{err}"
        );
    }
}

#[test]
fn reports_come_from_the_provider_or_the_callback_contract() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.submit(&offering);
    for who in [
        s.stranger.clone(),
        s.customer.clone(),
        s.admin.clone(),
        s.provider2.clone(),
    ] {
        let err = s.exec_fails(&who, &report_msg(&id, JobState::Queued, None, None), &[]);
        assert!(
            err.contains("unauthorized: report a job status may only be done by the job's provider or the callback contract"),
            "{err}"
        );
    }
    let provider = s.provider.clone();
    let res = s
        .exec(
            &provider,
            &report_msg(&id, JobState::Queued, None, None),
            &[],
        )
        .unwrap();
    assert!(has_attr(&res, "result", "changed"));
    let res = s.report(&id, JobState::Running, None).unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(
        (attrs["from"].as_str(), attrs["state"].as_str()),
        ("queued", "running")
    );
    assert_eq!(attrs["state_code"], "3");
    let j = s.job_state(&id);
    assert_eq!(j.started_at.unwrap().seconds(), s.now());
    assert_eq!(j.version, 3);

    // Malformed reports.
    let callback = s.callback.clone();
    let err = s.exec_fails(
        &callback,
        &on_behalf_of(report_msg(&id, JobState::Running, Some(0), None), &provider),
        &[],
    );
    assert!(
        err.contains("invalid exit_code: only a final state carries one, not running"),
        "{err}"
    );
    let err = s.exec_fails(
        &callback,
        &on_behalf_of(report_msg(&id, JobState::Queued, None, Some(5)), &provider),
        &[],
    );
    assert!(
        err.contains("invalid node_seconds_used: only a final state carries it, not queued"),
        "{err}"
    );
    let err = s.exec_fails(
        &callback,
        &on_behalf_of(report_msg(&id, JobState::Completed, None, None), &provider),
        &[coin(1, DENOM)],
    );
    assert!(err.contains("this message takes no funds"), "{err}");
    let err = s.exec_fails(
        &callback,
        &ExecuteMsg::ReportJobStatus {
            job_id: id.clone(),
            provider: Some(provider.to_string()),
            state: JobState::Failed,
            exit_code: None,
            node_seconds_used: None,
            reason: Some("bad\u{7}".into()),
        },
        &[],
    );
    assert!(
        err.contains("invalid reason: contains control characters"),
        "{err}"
    );
}

/// The callback contract reports on a provider's behalf: it must say for
/// whom, and the job must be that provider's.
#[test]
fn a_report_from_the_callback_contract_names_the_jobs_provider() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.submit(&offering);
    let (callback, provider, provider2) =
        (s.callback.clone(), s.provider.clone(), s.provider2.clone());
    let queued = report_msg(&id, JobState::Queued, None, None);
    let err = s.exec_fails(&callback, &queued, &[]);
    assert!(
        err.contains("invalid provider: the callback contract names the provider it reports for"),
        "{err}"
    );
    let err = s.exec_fails(&callback, &on_behalf_of(queued.clone(), &provider2), &[]);
    assert!(
        err.contains(&format!(
            "job {id} belongs to {provider}, not to {provider2}"
        )),
        "{err}"
    );
    // The provider itself may name itself, not somebody else.
    let err = s.exec_fails(&provider, &on_behalf_of(queued.clone(), &provider2), &[]);
    assert!(err.contains("belongs to"), "{err}");
    assert_eq!(s.job_state(&id).state, JobState::Pending);
    s.exec(&callback, &on_behalf_of(queued, &provider), &[])
        .unwrap();
    assert_eq!(s.job_state(&id).state, JobState::Queued);
}

#[test]
fn reports_without_a_callback_contract_come_from_the_provider_only() {
    let mut s = Suite::with(
        |m| m.callback_contract = None,
        |m| m.ack_window_seconds = Some(0),
    );
    let (_, offering) = s.offering();
    let id = s.submit(&offering);
    let callback = s.callback.clone();
    let err = s.exec_fails(
        &callback,
        &report_msg(&id, JobState::Queued, None, None),
        &[],
    );
    assert!(err.contains("unauthorized: report a job status"), "{err}");
    let provider = s.provider.clone();
    s.exec(
        &provider,
        &report_msg(&id, JobState::Queued, None, None),
        &[],
    )
    .unwrap();
}

#[test]
fn a_repeated_report_is_a_no_op() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    for state in [
        JobState::Pending,
        JobState::Queued,
        JobState::Running,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Timeout,
    ] {
        let id = s.job_in(&offering, state);
        let before = (s.dump_state(), money(&s));
        // Even with usage attached, a final state is not billed twice.
        let usage = state.is_terminal().then_some(3_600);
        let res = s.report(&id, state, usage).unwrap();
        assert!(has_attr(&res, "result", "unchanged"), "{state}");
        assert_eq!(count_events(&res, "ve.job_state_changed"), 0);
        assert_eq!(before, (s.dump_state(), money(&s)), "{state}");
    }
}

#[test]
fn completion_with_usage_records_settles_and_closes_the_escrow() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Running);
    let started = s.job_state(&id).started_at.unwrap();
    s.advance(1_800);
    let before = money(&s);
    let callback = s.callback.clone();
    let on_behalf = s.provider.clone();
    let res = s
        .exec(
            &callback,
            &on_behalf_of(
                report_msg(&id, JobState::Completed, Some(0), Some(3_601)),
                &on_behalf,
            ),
            &[],
        )
        .unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(attrs["from"], "running");
    assert_eq!(attrs["state"], "completed");
    assert_eq!(attrs["state_code"], "4");
    assert_eq!(attrs["exit_code"], "0");
    assert_eq!(attrs["node_seconds_used"], "3601");
    assert_eq!(attrs["escrow"], "settled");
    assert_eq!(attrs["billed_node_hours"], "2");
    assert_eq!(count_events(&res, "ve.job_escrow_deferred"), 0);
    assert_billed(&s, &id, before, 2);
    let j = s.job_state(&id);
    assert_eq!(j.exit_code, Some(0));
    assert_eq!(j.node_seconds_used, Some(3_601));
    assert_eq!(j.ended_at.unwrap().seconds(), s.now());
    let records = usage_records(&s, &id).records;
    assert_eq!(records.len(), 1);
    let r = &records[0].record;
    assert_eq!(r.units, Uint128::new(2));
    assert_eq!(r.period_start, started);
    assert_eq!(r.period_end.seconds(), s.now());
}

#[test]
fn billed_usage_is_capped_at_what_was_paid() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    // Exactly the cap: 2 nodes x 2 h = 14,400 node-seconds = 4 node-hours.
    for (used, billed) in [(14_400, 4), (14_401, 4), (u64::MAX, 4), (1, 1), (3_600, 1)] {
        let id = s.job_in(&offering, JobState::Running);
        s.advance(60);
        let before = money(&s);
        s.report(&id, JobState::Completed, Some(used)).unwrap();
        assert_billed(&s, &id, before, billed);
        assert_eq!(s.job_state(&id).node_seconds_used, Some(used));
    }
}

#[test]
fn final_states_without_usage_are_refunded() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    // Ran, but no usage (or zero usage) reported.
    for (state, usage) in [
        (JobState::Completed, None),
        (JobState::Completed, Some(0)),
        (JobState::Failed, None),
        (JobState::Cancelled, None),
    ] {
        let id = s.job_in(&offering, JobState::Running);
        s.advance(600);
        let before = money(&s);
        let res = s.report(&id, state, usage).unwrap();
        assert_eq!(
            event_attrs(&res, "ve.job_state_changed")["escrow"],
            "refunded"
        );
        assert_refunded(&s, &id, before);
    }
    // Never ran: refunded even with usage reported (no billed period).
    for from in [JobState::Pending, JobState::Queued] {
        let id = s.job_in(&offering, from);
        let before = money(&s);
        s.report(&id, JobState::Failed, Some(7_200)).unwrap();
        assert_refunded(&s, &id, before);
        assert_eq!(s.job_state(&id).node_seconds_used, Some(7_200));
    }
    // Ended in the block it started: an empty period cannot be recorded.
    let id = s.job_in(&offering, JobState::Queued);
    s.report(&id, JobState::Running, None).unwrap();
    let before = money(&s);
    s.report(&id, JobState::Completed, Some(3_600)).unwrap();
    assert_refunded(&s, &id, before);
}

#[test]
fn failure_after_running_with_usage_is_billed() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Running);
    s.advance(600);
    let before = money(&s);
    let provider = s.provider.clone();
    let res = s
        .exec(
            &provider,
            &ExecuteMsg::ReportJobStatus {
                job_id: id.clone(),
                provider: None,
                state: JobState::Failed,
                exit_code: Some(-9),
                node_seconds_used: Some(1_200),
                reason: Some("node failure".into()),
            },
            &[],
        )
        .unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(attrs["exit_code"], "-9");
    assert_eq!(attrs["reason"], "node failure");
    assert_billed(&s, &id, before, 1);
}

#[test]
fn timeout_after_the_runtime_bills_everything() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Running);
    let started = s.job_state(&id).started_at.unwrap().seconds();
    let stranger = s.stranger.clone();
    let deadline = started + 7_200;

    // Exactly at the deadline it is not past it yet.
    s.advance(deadline - s.now());
    let err = s.exec_fails(&stranger, &timeout_msg(&id), &[]);
    assert!(
        err.contains(&format!(
            "job {id} may time out only after {deadline} (seconds); now {deadline}"
        )),
        "{err}"
    );
    s.advance(1);
    let err = s.exec_fails(&stranger, &timeout_msg(&id), &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");
    let before = money(&s);
    let res = s.exec(&stranger, &timeout_msg(&id), &[]).unwrap();
    let attrs = event_attrs(&res, "ve.job_state_changed");
    assert_eq!(attrs["from"], "running");
    assert_eq!(attrs["state"], "timeout");
    assert_eq!(attrs["state_code"], "7");
    assert_eq!(attrs["billed_node_hours"], "4");
    assert_eq!(attrs["node_seconds_used"], "14400");
    assert_billed(&s, &id, before, 4);
    let err = s.exec_fails(&stranger, &timeout_msg(&id), &[]);
    assert!(
        err.contains(&format!("job {id} is timeout; this needs a running job")),
        "{err}"
    );
}

#[test]
fn only_running_jobs_time_out() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let stranger = s.stranger.clone();
    for state in [
        JobState::Pending,
        JobState::Queued,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
    ] {
        let id = s.job_in(&offering, state);
        s.advance(100_000);
        let err = s.exec_fails(&stranger, &timeout_msg(&id), &[]);
        assert!(
            err.contains(&format!("job {id} is {state}; this needs a running job")),
            "{err}"
        );
    }
    let err = s.exec_fails(&stranger, &timeout_msg("bad"), &[]);
    assert!(err.contains("invalid job id \"bad\""), "{err}");
}

#[test]
fn a_reported_timeout_bills_the_reported_usage_or_everything() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Running);
    s.advance(60);
    let before = money(&s);
    s.report(&id, JobState::Timeout, None).unwrap();
    assert_billed(&s, &id, before, 4);
    let id = s.job_in(&offering, JobState::Running);
    s.advance(60);
    let before = money(&s);
    s.report(&id, JobState::Timeout, Some(7_000)).unwrap();
    assert_billed(&s, &id, before, 2);
}

/// Every (from, to) pair of the job table through the contract, against the
/// lifecycle written out here independently.
#[test]
fn every_job_transition_pair() {
    use JobState::*;
    let spec: &[(JobState, &[JobState])] = &[
        (Pending, &[Queued, Running, Failed, Cancelled]),
        (Queued, &[Running, Failed, Cancelled]),
        (Running, &[Completed, Failed, Cancelled, Timeout]),
        (Completed, &[]),
        (Failed, &[]),
        (Cancelled, &[]),
        (Timeout, &[]),
    ];
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let callback = s.callback.clone();
    let on_behalf = s.provider.clone();
    for (from, allowed) in spec {
        for to in JobState::ALL {
            assert_eq!(
                from.can_transition_to(*to),
                allowed.contains(to),
                "shared table {from} -> {to}"
            );
            let id = s.job_in(&offering, *from);
            s.advance(60);
            if from == to {
                let before = s.dump_state();
                let res = s.report(&id, *to, None).unwrap();
                assert!(has_attr(&res, "result", "unchanged"));
                assert_eq!(before, s.dump_state());
            } else if allowed.contains(to) {
                let version = s.job_state(&id).version;
                let res = s
                    .report(&id, *to, None)
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                let attrs = event_attrs(&res, "ve.job_state_changed");
                assert_eq!(attrs["job_id"], id);
                assert_eq!(attrs["from"], from.as_str());
                assert_eq!(attrs["state"], to.as_str());
                assert_eq!(attrs["state_code"], to.code().to_string());
                let after = s.job_state(&id);
                assert_eq!(after.state, *to);
                assert_eq!(after.version, version + 1);
                assert_eq!(
                    after.started_at.is_some(),
                    *to == Running || *from == Running
                );
                assert_eq!(after.escrow_outcome.is_some(), to.is_terminal());
            } else {
                let err = s.exec_fails(
                    &callback,
                    &on_behalf_of(report_msg(&id, *to, None, None), &on_behalf),
                    &[],
                );
                assert!(
                    err.contains(&format!("job {id} cannot go from {from} to {to}")),
                    "{from} -> {to}: {err}"
                );
            }
        }
    }
}

/// With the settlement contract's default acknowledgement window, a usage
/// record made at the end of a job cannot be finalised in the same
/// transaction: the job still ends, its usage stays recorded, and the
/// escrow is settled later.
#[test]
fn settlement_inside_the_ack_window_is_deferred() {
    let mut s = Suite::with(|_| {}, |_| {});
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Running);
    s.advance(600);
    let before = money(&s);
    let res = s.report(&id, JobState::Completed, Some(3_600)).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.job_state_changed")["escrow"],
        "settled"
    );
    let attrs = event_attrs(&res, "ve.job_escrow_deferred");
    assert_eq!(attrs["job_id"], id);
    assert_eq!(attrs["escrow_id"], format!("job:{id}"));
    assert_eq!(attrs["step"], "settle");
    assert_eq!(attrs["escrow"], "usage_recorded");
    assert!(
        attrs["error"].contains("unsettled usage records"),
        "{attrs:?}"
    );
    let j = s.job_state(&id);
    assert_eq!(j.state, JobState::Completed);
    assert_eq!(
        j.escrow_outcome,
        Some(EscrowOutcome::UsageRecorded {
            node_hours: Uint128::new(1)
        })
    );
    // No money moved; the record reserves its cost.
    assert_eq!(money(&s), before);
    let escrow = s.escrow(&id);
    assert_eq!(escrow.escrow.state, EscrowState::Active);
    assert_eq!(escrow.reserved, Uint128::new(PRICE));

    // After the window the provider settles and closes it.
    s.advance(86_400);
    let provider = s.provider.clone();
    s.exec_settlement(
        &provider,
        &settlement::msg::ExecuteMsg::Settle {
            escrow_id: format!("job:{id}"),
            record_ids: None,
            finalize: true,
        },
    )
    .unwrap();
    let (provider_part, fee) = split(PRICE);
    assert_eq!(
        money(&s),
        (
            before.0 + 4_000 - PRICE,
            before.1 + provider_part,
            before.2 + fee,
            before.3 - 4_000
        )
    );

    // Refunds are not held by the window.
    let id = s.submit(&offering);
    let before = money(&s);
    let customer = s.customer.clone();
    s.exec(&customer, &cancel_msg(&id), &[]).unwrap();
    assert_refunded(&s, &id, before);
}

/// The provider (directly or through the callback contract) cannot record
/// usage into a job's escrow: a record of its own there overlapped or used
/// up the period the hpc contract records when the job ends, so cancel_job
/// and timeout_job failed for good. The refused records change nothing,
/// and both still bill and close the escrow afterwards.
#[test]
fn only_the_hpc_contract_records_a_jobs_usage() {
    let mut s = Suite::with(|_| {}, |m| m.ack_window_seconds = Some(0));
    let (_, offering) = s.offering();
    let (provider, callback, customer, stranger) = (
        s.provider.clone(),
        s.callback.clone(),
        s.customer.clone(),
        s.stranger.clone(),
    );
    let cancelled = s.job_in(&offering, JobState::Running);
    let timed_out = s.job_in(&offering, JobState::Running);
    s.advance(1_000);
    let now = Timestamp::from_seconds(s.now());
    for id in [&cancelled, &timed_out] {
        let started = s.job_state(id).started_at.unwrap();
        let record = |provider: Option<String>| {
            settlement::msg::ExecuteMsg::RecordUsage(settlement::msg::NewUsage {
                escrow_id: format!("job:{id}"),
                allocation_id: id.clone(),
                provider,
                usage_type: "node_hour".into(),
                units: Uint128::new(4),
                period_start: started,
                period_end: now,
            })
        };
        for (sender, msg) in [
            (&provider, record(None)),
            (&callback, record(Some(provider.to_string()))),
        ] {
            let (state, money_before) = (s.dump_state(), money(&s));
            let escrow_before = s.escrow(id);
            let err = err_text(s.exec_settlement(sender, &msg).unwrap_err());
            assert!(
                err.contains(
                    "unauthorized: record usage may only be done by the hpc contract that \
                     opened this job escrow"
                ),
                "{err}"
            );
            assert_eq!(state, s.dump_state(), "a refused record changed state");
            assert_eq!(money_before, money(&s));
            assert_eq!(escrow_before, s.escrow(id));
        }
        assert!(usage_records(&s, id).records.is_empty());
    }

    // 2 nodes x 1,000 s -> 1 node-hour billed.
    let before = money(&s);
    s.exec(&customer, &cancel_msg(&cancelled), &[]).unwrap();
    assert_billed(&s, &cancelled, before, 1);
    assert_eq!(s.job_state(&cancelled).state, JobState::Cancelled);

    let started = s.job_state(&timed_out).started_at.unwrap().seconds();
    s.advance(started + 7_200 + 1 - s.now());
    let before = money(&s);
    s.exec(&stranger, &timeout_msg(&timed_out), &[]).unwrap();
    assert_billed(&s, &timed_out, before, 4);
    assert_eq!(s.job_state(&timed_out).state, JobState::Timeout);
}

/// An escrow that expired before its job ended: ending the job without
/// usage still works (the refund is refused, the money already went back);
/// with usage the settlement contract refuses the record and the report
/// fails as a whole.
#[test]
fn a_job_outliving_its_escrow() {
    let mut s = Suite::with(
        |m| m.escrow_grace_seconds = Some(3_600),
        |m| m.ack_window_seconds = Some(0),
    );
    let (_, offering) = s.offering();
    let id = s.job_in(&offering, JobState::Queued);
    let before = money(&s);
    s.advance(7_200 + 3_600);
    let stranger = s.stranger.clone();
    s.exec_settlement(
        &stranger,
        &settlement::msg::ExecuteMsg::ExpireEscrow {
            escrow_id: format!("job:{id}"),
        },
    )
    .unwrap();
    assert_eq!(money(&s).0, before.0 + 4_000);
    s.report(&id, JobState::Running, None).unwrap();
    s.advance(60);
    let callback = s.callback.clone();
    let on_behalf = s.provider.clone();
    let err = s.exec_fails(
        &callback,
        &on_behalf_of(
            report_msg(&id, JobState::Completed, None, Some(60)),
            &on_behalf,
        ),
        &[],
    );
    assert!(err.contains("this needs an active escrow"), "{err}");
    let res = s.report(&id, JobState::Completed, None).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.job_escrow_deferred")["escrow"],
        "refund_refused"
    );
    assert_eq!(s.job_state(&id).state, JobState::Completed);
}
