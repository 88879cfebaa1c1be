//! The end of an order escrow's allocation (issue 16): the marketplace
//! reports it (`end_order_escrow`), no usage period ends after it, and once
//! the acknowledgement window has passed since, the customer reclaims what
//! no usage record holds (`reclaim_unreserved`).

mod common;

use common::*;
use cosmwasm_std::{coin, Timestamp, Uint128};
use settlement::msg::{
    EscrowResponse, ExecuteMsg, QueryMsg, SettlementsResponse, UsageSummaryResponse,
};
use ve_types::{EscrowState, UsageRecordState};

fn end_msg(id: &str) -> ExecuteMsg {
    ExecuteMsg::EndOrderEscrow {
        escrow_id: id.into(),
    }
}

fn reclaim_msg(id: &str) -> ExecuteMsg {
    ExecuteMsg::ReclaimUnreserved {
        escrow_id: id.into(),
    }
}

/// Ends the escrow as the marketplace; returns `ended_at` in seconds.
fn end(s: &mut Suite, id: &str) -> u64 {
    let marketplace = s.marketplace.clone();
    let res = s.exec(&marketplace, &end_msg(id), &[]).unwrap();
    let ev = event_attrs(&res, "ve.escrow_ended");
    assert_eq!(ev["escrow_id"], id);
    assert_eq!(ev["provider"], s.provider.as_str());
    let at = s.now().seconds();
    assert_eq!(ev["ended_at"], at.to_string());
    at
}

/// deposited = paid_provider + paid_fees + refunded + balance, reserved <=
/// balance, and the contract holds exactly the balance.
fn assert_conserved(s: &Suite, e: &EscrowResponse) {
    let x = &e.escrow;
    assert_eq!(
        x.deposited,
        x.paid_provider + x.paid_fees + x.refunded + e.balance
    );
    assert!(e.reserved <= e.balance);
    assert_eq!(s.balance(&s.contract), e.balance.u128());
}

#[test]
fn the_marketplace_records_the_end_once() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    assert_eq!(s.escrow(&id).escrow.ended_at, None);
    s.advance(100);
    let at = end(&mut s, &id);
    let e = s.escrow(&id);
    assert_eq!(e.escrow.ended_at, Some(Timestamp::from_seconds(at)));
    // The escrow stays open: records still settle or are rejected.
    assert_eq!(e.escrow.state, EscrowState::Active);
    assert_eq!(e.balance, Uint128::new(100_000));

    // A later report (the allocation ends after its order was cancelled)
    // keeps the first end and changes nothing.
    s.advance(500);
    let before = s.app.dump_wasm_raw(&s.contract);
    let marketplace = s.marketplace.clone();
    let res = s.exec(&marketplace, &end_msg(&id), &[]).unwrap();
    assert!(res.events.iter().all(|e| e.ty != "wasm-ve.escrow_ended"));
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "result" && a.value == "unchanged")));
    assert_eq!(s.app.dump_wasm_raw(&s.contract), before);
}

#[test]
fn only_the_marketplace_that_opened_it_ends_an_order_escrow() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    let before = s.escrow(&id);
    for who in [
        s.customer.clone(),
        s.provider.clone(),
        s.stranger.clone(),
        s.hpc.clone(),
        s.callback.clone(),
        s.admin.clone(),
        s.arbiter.clone(),
    ] {
        let err = s.exec_fails(&who, &end_msg(&id), &[]);
        assert!(
            err.contains(
                "end an order escrow may only be done by the marketplace contract that opened it"
            ),
            "{err}"
        );
    }
    assert_eq!(s.escrow(&id), before);

    // A job escrow is the hpc contract's; a customer's own order escrow
    // was not opened by the marketplace.
    let (hpc, customer, marketplace) = (s.hpc.clone(), s.customer.clone(), s.marketplace.clone());
    let job = format!("job:{customer}/7");
    let msg = s.create_msg(&job, Some(&customer), 86_400);
    s.exec(&hpc, &msg, &[coin(1_000, DENOM)]).unwrap();
    let own = s.order_escrow_id(2);
    let msg = s.create_msg(&own, None, 86_400);
    s.exec(&customer, &msg, &[coin(1_000, DENOM)]).unwrap();
    for escrow in [&job, &own] {
        let err = s.exec_fails(&marketplace, &end_msg(escrow), &[]);
        assert!(err.contains("unauthorized: end an order escrow"), "{err}");
        assert_eq!(s.escrow(escrow).escrow.ended_at, None);
    }

    // Funds are refused, and so is an escrow that is already closed or
    // does not exist.
    let err = s.exec_fails(&marketplace, &end_msg(&id), &[coin(1, DENOM)]);
    assert!(err.contains("funds"), "{err}");
    let err = s.exec_fails(&marketplace, &end_msg(&s.order_escrow_id(9)), &[]);
    assert!(err.contains("not found"), "{err}");
    let provider = s.provider.clone();
    s.exec(
        &provider,
        &ExecuteMsg::RefundEscrow {
            escrow_id: id.clone(),
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&marketplace, &end_msg(&id), &[]);
    assert!(
        err.contains("is refunded; this needs an open escrow"),
        "{err}"
    );
    assert_eq!(s.escrow(&id).escrow.ended_at, None);
}

#[test]
fn no_usage_period_ends_after_the_end() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 100_000);
    s.advance(7_200);
    let ended_at = end(&mut s, &id);
    s.advance(3_600);
    let provider = s.provider.clone();
    let summary = |s: &Suite| -> UsageSummaryResponse {
        s.query(&QueryMsg::UsageSummary {
            allocation_id: allocation_of(&id),
        })
        .unwrap()
    };

    // A period reaching past the end, by a second or by the hour after it,
    // is refused and changes nothing.
    let (escrow_before, summary_before) = (s.escrow(&id), summary(&s));
    for (start, stop) in [
        (ended_at - 3_600, ended_at + 1),
        (ended_at, ended_at + 3_600),
    ] {
        let msg = s.record_msg(&id, "cpu_hour", 2, start, stop);
        let err = s.exec_fails(&provider, &msg, &[]);
        assert!(
            err.contains(&format!(
                "escrow {id} ended at {ended_at} (seconds): no usage period may end after it"
            )),
            "{err}"
        );
        // The callback contract for the provider is held to it as well.
        let err = s.exec_fails(&s.callback.clone(), &on_behalf_of(msg, &provider), &[]);
        assert!(err.contains("no usage period may end after it"), "{err}");
    }
    assert_eq!(
        (s.escrow(&id), summary(&s)),
        (escrow_before, summary_before)
    );

    // A period ending at the end itself is recorded, after the end too
    // (providers report late).
    let msg = s.record_msg(&id, "cpu_hour", 2, ended_at - 3_600, ended_at);
    s.exec(&provider, &msg, &[]).unwrap();
    let e = s.escrow(&id);
    assert_eq!(e.reserved, Uint128::new(100));
    assert_eq!(e.escrow.unsettled_records, 1);
}

#[test]
fn the_customer_reclaims_what_is_not_reserved_after_the_window() {
    let mut s = Suite::new();
    let (customer, provider, stranger, marketplace) = (
        s.customer.clone(),
        s.provider.clone(),
        s.stranger.clone(),
        s.marketplace.clone(),
    );
    let id = s.open_escrow(1, 100_000);
    // 40 cpu hours (2,000) settled, then 10 (500) left pending.
    let settled = s.record(&id, 40);
    s.exec(
        &customer,
        &ExecuteMsg::AcknowledgeUsage {
            record_ids: vec![settled],
        },
        &[],
    )
    .unwrap();
    s.exec(
        &provider,
        &ExecuteMsg::Settle {
            escrow_id: id.clone(),
            record_ids: None,
            finalize: false,
        },
        &[],
    )
    .unwrap();
    let pending = s.record(&id, 10);

    // Not before the escrow has ended...
    let err = s.exec_fails(&customer, &reclaim_msg(&id), &[]);
    assert!(err.contains(&format!("escrow {id} has not ended")), "{err}");
    let ended_at = end(&mut s, &id);
    // ... nor inside the window after its end...
    s.advance(ACK_WINDOW - 1);
    let err = s.exec_fails(&customer, &reclaim_msg(&id), &[]);
    assert!(
        err.contains(&format!(
            "escrow {id} ended at {ended_at} (seconds); its customer may reclaim from {} on",
            ended_at + ACK_WINDOW
        )),
        "{err}"
    );
    s.advance(1);
    // ... and by nobody but the customer.
    for who in [&provider, &stranger, &marketplace] {
        let err = s.exec_fails(who, &reclaim_msg(&id), &[]);
        assert!(
            err.contains("reclaim an escrow's unreserved funds may only be done by its customer"),
            "{err}"
        );
    }
    let err = s.exec_fails(&customer, &reclaim_msg(&id), &[coin(1, DENOM)]);
    assert!(err.contains("funds"), "{err}");

    // 100,000 - 2,000 paid - 500 reserved = 97,500 back; the escrow stays
    // active for the pending record.
    let customer_start = s.balance(&customer);
    let res = s.exec(&customer, &reclaim_msg(&id), &[]).unwrap();
    let ev = event_attrs(&res, "ve.escrow_reclaimed");
    assert_eq!(ev["amount"], "97500");
    assert_eq!(ev["reserved"], "500");
    assert_eq!(ev["balance"], "500");
    assert_eq!(s.balance(&customer), customer_start + 97_500);
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Active);
    assert_eq!(
        (e.balance, e.reserved),
        (Uint128::new(500), Uint128::new(500))
    );
    assert_eq!(e.escrow.refunded, Uint128::new(97_500));
    assert_conserved(&s, &e);
    let page: SettlementsResponse = s
        .query(&QueryMsg::Settlements {
            escrow_id: id.clone(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    let last = page.settlements.last().unwrap();
    assert_eq!(
        (
            last.gross,
            last.refund,
            last.finalize,
            last.record_ids.len()
        ),
        (Uint128::zero(), Uint128::new(97_500), false, 0)
    );

    // Everything left is reserved: a second reclaim is refused.
    let err = s.exec_fails(&customer, &reclaim_msg(&id), &[]);
    assert!(
        err.contains(&format!(
            "nothing to reclaim in escrow {id}: its balance of 500 is reserved for 1 unsettled usage records"
        )),
        "{err}"
    );

    // The pending record settles as usual (past its window).
    let provider_start = s.balance(&provider);
    s.exec(
        &customer,
        &ExecuteMsg::Settle {
            escrow_id: id.clone(),
            record_ids: Some(vec![pending]),
            finalize: false,
        },
        &[],
    )
    .unwrap();
    assert!(s.balance(&provider) > provider_start);
    let e = s.escrow(&id);
    assert_eq!((e.balance, e.reserved), (Uint128::zero(), Uint128::zero()));
    assert_conserved(&s, &e);

    // With nothing unsettled left, a reclaim closes the escrow.
    let res = s.exec(&customer, &reclaim_msg(&id), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.escrow_state_changed")["state"],
        "refunded"
    );
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Refunded);
    assert_conserved(&s, &e);
    assert_eq!(e.escrow.deposited, Uint128::new(100_000));
    assert_eq!(
        e.escrow.paid_provider + e.escrow.paid_fees,
        Uint128::new(2_500)
    );

    // A closed escrow has nothing to reclaim.
    let err = s.exec_fails(&customer, &reclaim_msg(&id), &[]);
    assert!(
        err.contains("is refunded; this needs an active or disputed escrow"),
        "{err}"
    );
}

#[test]
fn an_ended_escrow_without_usage_goes_back_whole() {
    let mut s = Suite::new();
    let customer = s.customer.clone();
    let id = s.open_escrow(1, 100_000);
    let start = s.balance(&customer);
    end(&mut s, &id);
    s.advance(ACK_WINDOW);
    s.exec(&customer, &reclaim_msg(&id), &[]).unwrap();
    assert_eq!(s.balance(&customer), start + 100_000);
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Refunded);
    assert_eq!(e.escrow.refunded, Uint128::new(100_000));
    assert_conserved(&s, &e);
}

/// A dispute holds the disputed record's reserved cost, not the rest: the
/// customer reclaims the rest without waiting for the arbiter, and what a
/// rejection frees afterwards.
#[test]
fn a_dispute_does_not_hold_the_unreserved_rest() {
    let mut s = Suite::new();
    let (customer, arbiter) = (s.customer.clone(), s.arbiter.clone());
    let id = s.open_escrow(1, 100_000);
    let record = s.record(&id, 20);
    s.exec(
        &customer,
        &ExecuteMsg::DisputeUsage {
            record_id: record,
            reason: "never ran".into(),
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Disputed);
    end(&mut s, &id);
    s.advance(ACK_WINDOW);
    let start = s.balance(&customer);
    s.exec(&customer, &reclaim_msg(&id), &[]).unwrap();
    assert_eq!(s.balance(&customer), start + 99_000);
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Disputed);
    assert_eq!(
        (e.balance, e.reserved),
        (Uint128::new(1_000), Uint128::new(1_000))
    );
    assert_conserved(&s, &e);

    s.exec(
        &arbiter,
        &ExecuteMsg::ResolveDispute {
            escrow_id: id.clone(),
            upheld: vec![],
            rejected: vec![record],
        },
        &[],
    )
    .unwrap();
    s.exec(&customer, &reclaim_msg(&id), &[]).unwrap();
    assert_eq!(s.balance(&customer), start + 100_000);
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Refunded);
    assert_eq!(e.escrow.paid_provider, Uint128::zero());
    assert_conserved(&s, &e);
    let r: settlement::msg::UsageRecordResponse = s
        .query(&QueryMsg::UsageRecord { record_id: record })
        .unwrap();
    assert_eq!(r.record.state, UsageRecordState::Rejected);
}
