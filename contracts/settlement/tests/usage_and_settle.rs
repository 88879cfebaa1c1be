mod common;

use common::*;
use cosmwasm_std::{coin, Timestamp, Uint128};
use settlement::msg::{
    ExecuteMsg, NewUsage, QueryMsg, SettlementsResponse, UsageRecordResponse, UsageRecordsResponse,
    UsageSummaryResponse,
};
use ve_types::{EscrowState, UsageRecordState};

fn record_state(s: &Suite, id: u64) -> UsageRecordState {
    let r: UsageRecordResponse = s.query(&QueryMsg::UsageRecord { record_id: id }).unwrap();
    r.record.state
}

fn settle(escrow_id: &str, ids: Option<Vec<u64>>, finalize: bool) -> ExecuteMsg {
    ExecuteMsg::Settle {
        escrow_id: escrow_id.into(),
        record_ids: ids,
        finalize,
    }
}

#[test]
fn recording_is_authorised_priced_and_reserved() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 10_000);
    let (provider, callback, marketplace, customer, stranger) = (
        s.provider.clone(),
        s.callback.clone(),
        s.marketplace.clone(),
        s.customer.clone(),
        s.stranger.clone(),
    );
    s.advance(10 * 3_600);
    let t = s.now().seconds();
    let res = s
        .exec(
            &provider,
            &s.record_msg(&id, "gpu_hour", 3, t - 3_600, t),
            &[],
        )
        .unwrap();
    let attrs = event_attrs(&res, "ve.usage_recorded");
    assert_eq!(attrs["cost"], "3000");
    assert_eq!(attrs["state"], "pending");
    let e = s.escrow(&id);
    assert_eq!(e.reserved, Uint128::new(3_000));
    assert_eq!(e.balance, Uint128::new(10_000));
    assert_eq!(e.escrow.unsettled_records, 1);
    // The callback contract and the creating contract may record too; the
    // callback contract names the provider it records for, which must be
    // the escrow's.
    let early = s.record_msg(&id, "cpu_hour", 1, t - 7_200, t - 3_600);
    let err = s.exec_fails(&callback, &early, &[]);
    assert!(
        err.contains("invalid provider: the callback contract names the provider it records for"),
        "{err}"
    );
    let other = s.stranger.clone();
    for (who, sender) in [
        (&other, &callback),
        (&other, &provider),
        (&other, &marketplace),
    ] {
        let err = s.exec_fails(sender, &on_behalf_of(early.clone(), who), &[]);
        assert!(
            err.contains(&format!(
                "escrow {id} belongs to {provider}, not to {other}"
            )),
            "{err}"
        );
    }
    s.exec(&callback, &on_behalf_of(early, &provider), &[])
        .unwrap();
    s.exec(
        &marketplace,
        &s.record_msg(&id, "cpu_hour", 1, t - 3_600, t),
        &[],
    )
    .unwrap();
    for who in [&customer, &stranger] {
        let err = s.exec_fails(who, &s.record_msg(&id, "cpu_hour", 1, t, t), &[]);
        assert!(
            err.contains("record usage may only be done by the escrow's provider"),
            "{err}"
        );
    }
}

#[test]
fn recording_rejects_bad_periods_and_amounts() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 10_000);
    let id2 = s.open_escrow(2, 10_000);
    let provider = s.provider.clone();
    s.advance(10 * 3_600);
    let t = s.now().seconds();
    let cases = [
        (
            s.record_msg(&id, "ram_gb_hour", 1, t - 10, t),
            "invalid usage_type: \"ram_gb_hour\" has no rate",
        ),
        (
            s.record_msg(&id, "cpu_hour", 0, t - 10, t),
            "invalid units: must be greater than zero",
        ),
        (
            s.record_msg(&id, "cpu_hour", 1, t, t),
            "period_start must be before period_end",
        ),
        (
            s.record_msg(&id, "cpu_hour", 1, t - 5, t - 10),
            "period_start must be before period_end",
        ),
        (
            s.record_msg(&id, "cpu_hour", 1, t - 10, t + 1),
            "period_end is in the future",
        ),
        (
            s.record_msg(&id, "gpu_hour", 11, t - 10, t),
            "holds 10000 unreserved, usage costs 11000",
        ),
        (
            s.record_msg(&id, "cpu_hour", u128::MAX, t - 10, t),
            "units x unit price overflows",
        ),
    ];
    for (msg, expected) in cases {
        let err = s.exec_fails(&provider, &msg, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // Boundary: exactly the unreserved balance is fine, one more unit is not.
    s.exec(
        &provider,
        &s.record_msg(&id, "gpu_hour", 10, t - 3_600, t - 1_800),
        &[],
    )
    .unwrap();
    let err = s.exec_fails(
        &provider,
        &s.record_msg(&id, "cpu_hour", 1, t - 1_800, t),
        &[],
    );
    assert!(err.contains("holds 0 unreserved, usage costs 50"), "{err}");

    // Periods of one allocation and usage type may not overlap; touching is fine.
    s.exec(
        &provider,
        &s.record_msg(&id2, "cpu_hour", 1, t - 3_600, t - 1_800),
        &[],
    )
    .unwrap();
    let err = s.exec_fails(
        &provider,
        &s.record_msg(&id2, "cpu_hour", 1, t - 1_801, t),
        &[],
    );
    assert!(err.contains("must start at or after"), "{err}");
    s.exec(
        &provider,
        &s.record_msg(&id2, "cpu_hour", 1, t - 1_800, t),
        &[],
    )
    .unwrap();
    // Another usage type has its own timeline.
    s.exec(
        &provider,
        &s.record_msg(&id2, "gpu_hour", 1, t - 3_600, t),
        &[],
    )
    .unwrap();

    let pending = s.order_escrow_id(3);
    let customer = s.customer.clone();
    s.exec(
        &customer,
        &s.create_msg(&pending, None, 100_000),
        &[coin(100, DENOM)],
    )
    .unwrap();
    let err = s.exec_fails(
        &provider,
        &s.record_msg(&pending, "cpu_hour", 1, t - 10, t),
        &[],
    );
    assert!(
        err.contains(&format!(
            "escrow {pending} is pending; this needs an active escrow"
        )),
        "{err}"
    );
}

/// The allocation of a usage record must be the escrow's own: an order
/// escrow takes its order's allocations, a job escrow its job.
#[test]
fn usage_is_recorded_only_for_the_escrows_own_allocation() {
    let mut s = Suite::new();
    let order1 = s.open_escrow(1, 10_000);
    let order2 = s.open_escrow(2, 10_000);
    let (provider, hpc, customer) = (s.provider.clone(), s.hpc.clone(), s.customer.clone());
    let job = format!("job:{customer}/7");
    s.exec(
        &hpc,
        &s.create_msg(&job, Some(&customer), 30 * 86_400),
        &[coin(10_000, DENOM)],
    )
    .unwrap();
    s.advance(3_600);
    let t = s.now().seconds();
    let with_allocation = |escrow: &str, allocation: &str| {
        ExecuteMsg::RecordUsage(NewUsage {
            escrow_id: escrow.to_string(),
            allocation_id: allocation.to_string(),
            provider: None,
            usage_type: "cpu_hour".into(),
            units: Uint128::one(),
            period_start: Timestamp::from_seconds(t - 3_600),
            period_end: Timestamp::from_seconds(t),
        })
    };
    let other = s.customer2.clone();
    for (escrow, allocation) in [
        // Another order's allocation, of the same customer or another.
        (&order1, format!("{customer}/2/1")),
        (&order1, format!("{other}/1/1")),
        // Not an allocation ID at all, or the order itself.
        (&order1, "gpu-box-1".to_string()),
        (&order1, format!("{customer}/1")),
        (&order1, format!("{customer}/1/0")),
        // A job escrow takes exactly its job.
        (&job, format!("{customer}/8")),
        (&job, format!("{customer}/7/1")),
    ] {
        // A job escrow the hpc contract opened takes usage from it alone.
        let sender = if escrow == &job { &hpc } else { &provider };
        let err = s.exec_fails(sender, &with_allocation(escrow, &allocation), &[]);
        assert!(
            err.contains(&format!(
                "invalid allocation_id: {allocation:?} is not an allocation of escrow {escrow}"
            )),
            "{escrow} / {allocation}: {err}"
        );
    }
    for (escrow, allocation) in [
        (&order1, format!("{customer}/1/1")),
        (&order1, format!("{customer}/1/2")),
        (&order2, format!("{customer}/2/1")),
        (&job, format!("{customer}/7")),
    ] {
        let sender = if escrow == &job { &hpc } else { &provider };
        let res = s
            .exec(sender, &with_allocation(escrow, &allocation), &[])
            .unwrap();
        // The record names its escrow (derived from the allocation, not
        // stored) in its event, its answer and the escrow's listings.
        assert_eq!(event_attrs(&res, "ve.usage_recorded")["escrow_id"], *escrow);
        let id: u64 = cosmwasm_std::from_json(res.data.unwrap()).unwrap();
        let r: UsageRecordResponse = s.query(&QueryMsg::UsageRecord { record_id: id }).unwrap();
        assert_eq!(
            (r.escrow_id.as_str(), r.record.allocation_id.as_str()),
            (escrow.as_str(), allocation.as_str())
        );
        for state in [None, Some(UsageRecordState::Pending)] {
            let page: UsageRecordsResponse = s
                .query(&QueryMsg::UsageRecordsByEscrow {
                    escrow_id: escrow.to_string(),
                    state,
                    start_after: Some(id - 1),
                    limit: Some(1),
                })
                .unwrap();
            assert_eq!(page.records.len(), 1, "{escrow} {state:?}");
            assert_eq!(
                (page.records[0].id, page.records[0].escrow_id.as_str()),
                (id, escrow.as_str())
            );
        }
    }
    // The summary keeps the end of the last period, where the next must start.
    let summary: UsageSummaryResponse = s
        .query(&QueryMsg::UsageSummary {
            allocation_id: format!("{customer}/1/2"),
        })
        .unwrap();
    assert_eq!(summary.usage.len(), 1);
    assert_eq!(summary.usage[0].records, 1);
    assert_eq!(summary.usage[0].last_period_end.seconds(), t);
}

#[test]
fn fees_are_split_exactly_and_money_is_conserved() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 1_000_000);
    let (provider, customer, treasury, community) = (
        s.provider.clone(),
        s.customer.clone(),
        s.treasury.clone(),
        s.community.clone(),
    );
    let before: Vec<u128> = [&provider, &customer, &treasury, &community]
        .iter()
        .map(|a| s.balance(a))
        .collect();
    // 3 gpu hours + 7 cpu hours at an odd total: 3,000 + 350 = 3,350.
    s.advance(3_600);
    let t = s.now().seconds();
    let r1 = {
        let res = s
            .exec(
                &provider,
                &s.record_msg(&id, "gpu_hour", 3, t - 3_600, t),
                &[],
            )
            .unwrap();
        cosmwasm_std::from_json::<u64>(res.data.unwrap()).unwrap()
    };
    let r2 = s.record(&id, 7);
    s.exec(
        &customer,
        &ExecuteMsg::AcknowledgeUsage {
            record_ids: vec![r1, r2],
        },
        &[],
    )
    .unwrap();
    let res = s.exec(&customer, &settle(&id, None, false), &[]).unwrap();
    let attrs = event_attrs(&res, "ve.settled");
    // platform floor(3350 x 250 / 10000) = 83, community floor(3350 x 75 / 10000) = 25.
    assert_eq!(attrs["gross"], "3350");
    assert_eq!(attrs["fees"], "108");
    assert_eq!(attrs["provider_amount"], "3242");
    let after: Vec<u128> = [&provider, &customer, &treasury, &community]
        .iter()
        .map(|a| s.balance(a))
        .collect();
    assert_eq!(after[0] - before[0], 3_242);
    assert_eq!(after[2] - before[2], 83);
    assert_eq!(after[3] - before[3], 25);
    assert_eq!(after[1], before[1]);

    let e = s.escrow(&id);
    assert_eq!(e.balance, Uint128::new(1_000_000 - 3_350));
    assert_eq!(e.reserved, Uint128::zero());
    let escrow = &e.escrow;
    assert_eq!(
        escrow.deposited,
        escrow.paid_provider + escrow.paid_fees + escrow.refunded + e.balance
    );
    assert_eq!(s.balance(&s.contract.clone()), e.balance.u128());

    let history: SettlementsResponse = s
        .query(&QueryMsg::Settlements {
            escrow_id: id.clone(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(history.settlements.len(), 1);
    assert_eq!(history.settlements[0].record_ids, vec![r1, r2]);
    assert_eq!(record_state(&s, r1), UsageRecordState::Settled);
    let err = s.exec_fails(&customer, &settle(&id, None, false), &[]);
    assert!(
        err.contains(&format!("nothing to settle in escrow {id}")),
        "{err}"
    );

    // Final settlement: the rest goes back to the customer.
    let res = s.exec(&provider, &settle(&id, None, true), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.settled")["refund"],
        (1_000_000 - 3_350).to_string()
    );
    assert_eq!(s.balance(&customer), before[1] + 1_000_000 - 3_350);
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Released);
    assert_eq!(s.balance(&s.contract.clone()), 0);
}

#[test]
fn settlement_rules() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    let (provider, customer, stranger) =
        (s.provider.clone(), s.customer.clone(), s.stranger.clone());
    let r1 = s.record(&id, 1);
    let r2 = s.record(&id, 2);
    // Pending records inside the window cannot be paid yet.
    let err = s.exec_fails(&provider, &settle(&id, Some(vec![r1]), false), &[]);
    assert!(
        err.contains(&format!("record {r1} is pending and cannot be settled yet")),
        "{err}"
    );
    let err = s.exec_fails(&provider, &settle(&id, None, false), &[]);
    assert!(err.contains("nothing to settle"), "{err}");
    let err = s.exec_fails(&stranger, &settle(&id, None, false), &[]);
    assert!(
        err.contains("settle an escrow may only be done by its customer, its provider"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &settle(&id, None, true), &[]);
    assert!(
        err.contains(
            "finalize an escrow may only be done by its provider or the contract that created it"
        ),
        "{err}"
    );
    let err = s.exec_fails(&provider, &settle(&id, None, true), &[]);
    assert!(err.contains("has 2 unsettled usage records"), "{err}");
    let err = s.exec_fails(&provider, &settle(&id, Some(vec![r1, r1]), false), &[]);
    assert!(err.contains(&format!("record {r1} listed twice")), "{err}");
    let other = s.open_escrow(2, 100_000);
    let r3 = s.record(&other, 1);
    s.exec(
        &customer,
        &ExecuteMsg::AcknowledgeUsage {
            record_ids: vec![r3],
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&provider, &settle(&id, Some(vec![r3]), false), &[]);
    assert!(
        err.contains(&format!("record {r3} belongs to escrow {other}")),
        "{err}"
    );

    // Acknowledged records are payable at once; the others after the window.
    s.exec(
        &customer,
        &ExecuteMsg::AcknowledgeUsage {
            record_ids: vec![r2],
        },
        &[],
    )
    .unwrap();
    let res = s.exec(&provider, &settle(&id, None, false), &[]).unwrap();
    assert_eq!(event_attrs(&res, "ve.settled")["records"], "1");
    assert_eq!(record_state(&s, r1), UsageRecordState::Pending);
    s.advance(ACK_WINDOW);
    s.exec(&provider, &settle(&id, None, true), &[]).unwrap();
    assert_eq!(record_state(&s, r1), UsageRecordState::Settled);
    let err = s.exec_fails(&provider, &settle(&id, None, false), &[]);
    assert!(
        err.contains(&format!(
            "escrow {id} is released; this needs an active escrow"
        )),
        "{err}"
    );
}

#[test]
fn acknowledgement_rules() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    let (provider, customer) = (s.provider.clone(), s.customer.clone());
    let r1 = s.record(&id, 1);
    let ack = |ids: Vec<u64>| ExecuteMsg::AcknowledgeUsage { record_ids: ids };
    let err = s.exec_fails(&provider, &ack(vec![r1]), &[]);
    assert!(
        err.contains("acknowledge usage may only be done by the escrow's customer"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &ack(vec![]), &[]);
    assert!(
        err.contains("invalid record_ids: 0 ids, must be 1-100"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &ack((1..=101).collect()), &[]);
    assert!(err.contains("101 ids"), "{err}");
    let err = s.exec_fails(&customer, &ack(vec![999]), &[]);
    assert!(err.contains("usage record 999 not found"), "{err}");
    s.exec(&customer, &ack(vec![r1]), &[]).unwrap();
    let err = s.exec_fails(&customer, &ack(vec![r1]), &[]);
    assert!(
        err.contains(&format!(
            "usage record {r1} cannot go from acknowledged to acknowledged"
        )),
        "{err}"
    );
    // An acknowledged record can no longer be disputed.
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::DisputeUsage {
            record_id: r1,
            reason: "no".into(),
        },
        &[],
    );
    assert!(
        err.contains("cannot go from acknowledged to disputed"),
        "{err}"
    );
}

#[test]
fn disputes_hold_payouts_until_the_arbiter_decides() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    let (provider, customer, arbiter, admin) = (
        s.provider.clone(),
        s.customer.clone(),
        s.arbiter.clone(),
        s.admin.clone(),
    );
    let r1 = s.record(&id, 10);
    let r2 = s.record(&id, 20);
    let r3 = s.record(&id, 30);
    let dispute = |id: u64| ExecuteMsg::DisputeUsage {
        record_id: id,
        reason: "not delivered".into(),
    };
    let err = s.exec_fails(&provider, &dispute(r1), &[]);
    assert!(
        err.contains("dispute usage may only be done by the escrow's customer"),
        "{err}"
    );
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::DisputeUsage {
            record_id: r1,
            reason: " ".into(),
        },
        &[],
    );
    assert!(err.contains("invalid reason"), "{err}");
    let res = s.exec(&customer, &dispute(r1), &[]).unwrap();
    let changed = event_attrs(&res, "ve.escrow_state_changed");
    assert_eq!(changed["state"], "disputed");
    assert_eq!(changed["from"], "active");
    assert_eq!(changed["escrow_id"], id);
    assert_eq!(changed["provider"], provider.to_string());
    // State changes carry what changed; the parties and the denom stay on
    // escrow_created, the record's fields on usage_recorded.
    assert_eq!(
        ve_testing::attribute_keys(&changed),
        [
            "_contract_address",
            "balance",
            "escrow_id",
            "from",
            "provider",
            "state",
            "state_code"
        ]
    );
    let disputed = event_attrs(&res, "ve.usage_disputed");
    assert_eq!(disputed["record_id"], r1.to_string());
    assert_eq!(disputed["state"], "disputed");
    assert_eq!(
        ve_testing::attribute_keys(&disputed),
        ["_contract_address", "escrow_id", "record_id", "state"]
    );
    s.exec(&customer, &dispute(r2), &[]).unwrap();
    s.advance(ACK_WINDOW);
    let err = s.exec_fails(&provider, &settle(&id, None, false), &[]);
    assert!(
        err.contains(&format!("escrow {id} is disputed: payouts are held")),
        "{err}"
    );
    // Usage can still be recorded while disputed.
    s.record(&id, 1);

    let resolve = |upheld: Vec<u64>, rejected: Vec<u64>| ExecuteMsg::ResolveDispute {
        escrow_id: id.clone(),
        upheld,
        rejected,
    };
    for who in [&customer, &provider, &admin] {
        let err = s.exec_fails(who, &resolve(vec![r1], vec![]), &[]);
        assert!(
            err.contains("resolve a dispute may only be done by the arbiter"),
            "{err}"
        );
    }
    let err = s.exec_fails(&arbiter, &resolve(vec![r3], vec![]), &[]);
    assert!(
        err.contains(&format!(
            "usage record {r3} is pending; this needs a disputed record"
        )),
        "{err}"
    );
    let err = s.exec_fails(&arbiter, &resolve(vec![r1], vec![r1]), &[]);
    assert!(err.contains("listed twice"), "{err}");
    let reserved_before = s.escrow(&id).reserved;
    s.exec(&arbiter, &resolve(vec![r1], vec![]), &[]).unwrap();
    // One dispute left: still held.
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Disputed);
    let res = s.exec(&arbiter, &resolve(vec![], vec![r2]), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.escrow_state_changed")["state"],
        "active"
    );
    assert_eq!(record_state(&s, r1), UsageRecordState::Acknowledged);
    assert_eq!(record_state(&s, r2), UsageRecordState::Rejected);
    // The rejected record's cost is no longer reserved, and never paid.
    assert_eq!(
        s.escrow(&id).reserved,
        reserved_before - Uint128::new(20 * 50)
    );
    let summary: UsageSummaryResponse = s
        .query(&QueryMsg::UsageSummary {
            allocation_id: format!("{}/1/1", s.customer),
        })
        .unwrap();
    assert_eq!(summary.usage[0].units, Uint128::new(10 + 30 + 1));
    assert_eq!(summary.usage[0].records, 3);

    s.advance(ACK_WINDOW);
    let res = s.exec(&provider, &settle(&id, None, true), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.settled")["gross"],
        ((10 + 30 + 1) * 50).to_string()
    );
    let summary: UsageSummaryResponse = s
        .query(&QueryMsg::UsageSummary {
            allocation_id: format!("{}/1/1", s.customer),
        })
        .unwrap();
    assert_eq!(summary.usage[0].settled_cost, Uint128::new(41 * 50));
}

#[test]
fn usage_queries_paginate() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 1_000_000);
    let customer = s.customer.clone();
    let ids: Vec<u64> = (0..15).map(|_| s.record(&id, 1)).collect();
    s.exec(
        &customer,
        &ExecuteMsg::AcknowledgeUsage {
            record_ids: ids[..4].to_vec(),
        },
        &[],
    )
    .unwrap();

    let page: UsageRecordsResponse = s
        .query(&QueryMsg::UsageRecordsByEscrow {
            escrow_id: id.clone(),
            state: None,
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(page.records.len(), 10);
    let rest: UsageRecordsResponse = s
        .query(&QueryMsg::UsageRecordsByEscrow {
            escrow_id: id.clone(),
            state: None,
            start_after: Some(page.records[9].id),
            limit: Some(100),
        })
        .unwrap();
    assert_eq!(rest.records.len(), 5);
    let acked: UsageRecordsResponse = s
        .query(&QueryMsg::UsageRecordsByEscrow {
            escrow_id: id.clone(),
            state: Some(UsageRecordState::Acknowledged),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        acked.records.iter().map(|r| r.id).collect::<Vec<_>>(),
        ids[..4].to_vec()
    );
    let by_alloc: UsageRecordsResponse = s
        .query(&QueryMsg::UsageRecordsByAllocation {
            allocation_id: format!("{customer}/1/1"),
            start_after: Some(ids[13]),
            limit: None,
        })
        .unwrap();
    assert_eq!(by_alloc.records.len(), 1);
    let err = s
        .query::<UsageRecordsResponse>(&QueryMsg::UsageRecordsByEscrow {
            escrow_id: "nope".into(),
            state: None,
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid escrow id"), "{err}");
}
