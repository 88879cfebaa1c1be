//! Issue 16: a cancelled or terminated order's escrow learns its end from
//! the marketplace, takes no usage past it, and gives the customer back
//! what no usage record holds once the acknowledgement window has passed.

use cosmwasm_std::{Addr, Timestamp, Uint128};
use marketplace::msg::ExecuteMsg as Market;
use settlement::msg::{EscrowResponse, ExecuteMsg as Settle, QueryMsg as SettleQuery};
use ve_integration_tests::*;
use ve_types::{AllocationState, EscrowState, OrderState};

const ACK_WINDOW: u64 = 86_400;

fn escrow_id(order: &str) -> String {
    format!("order:{order}")
}

fn order_state(chain: &Chain, order: &str) -> OrderState {
    let res: marketplace::msg::OrderResponse =
        chain.query_market(&marketplace::msg::QueryMsg::Order {
            order_id: order.into(),
        });
    res.order.state
}

fn record_msg(order: &str, allocation: &str, units: u128, start: u64, end: u64) -> Settle {
    world::World::record_msg(&escrow_id(order), allocation, units, start, end)
}

/// What a refused call must leave as it was: the escrow, the allocation's
/// usage summary and the balances of the parties and contracts.
fn observe(chain: &Chain, order: &str, allocation: &str) -> (EscrowResponse, String, Vec<u128>) {
    let summary: settlement::msg::UsageSummaryResponse = chain
        .query_settlement(&SettleQuery::UsageSummary {
            allocation_id: allocation.into(),
        })
        .unwrap();
    let who: Vec<Addr> = vec![
        chain.customer.clone(),
        chain.provider.clone(),
        chain.settlement.clone(),
        chain.marketplace.clone(),
        chain.treasury.clone(),
    ];
    (
        chain.escrow(&escrow_id(order)),
        format!("{summary:?}"),
        who.iter().map(|a| chain.balance(a)).collect(),
    )
}

fn assert_conserved(chain: &Chain, e: &EscrowResponse) {
    let x = &e.escrow;
    assert_eq!(
        x.deposited,
        x.paid_provider + x.paid_fees + x.refunded + e.balance
    );
    assert!(e.reserved <= e.balance);
    // The only escrow of the chain: settlement holds exactly its balance.
    assert_eq!(chain.balance(&chain.settlement.clone()), e.balance.u128());
}

fn running(chain: &mut Chain) -> (String, String) {
    let (order, allocation) = chain.matched_order();
    for s in [
        AllocationState::Accepted,
        AllocationState::Provisioning,
        AllocationState::Active,
    ] {
        let res = chain.report(&allocation, s).unwrap();
        assert!(res
            .events
            .iter()
            .all(|e| e.ty != "wasm-ve.settlement_end_requested"));
    }
    (order, allocation)
}

#[test]
fn a_terminated_allocation_ends_its_escrow_and_the_customer_reclaims_the_rest() {
    let mut chain = Chain::new();
    let (customer, provider) = (chain.customer.clone(), chain.provider.clone());
    let customer_start = chain.balance(&customer);
    let (order, allocation) = running(&mut chain);
    let id = escrow_id(&order);

    // An hour of one unit (50,000), left pending.
    chain.advance(3_600);
    let now = chain.app.block_info().time.seconds();
    let msg = record_msg(&order, &allocation, 1, now - 3_600, now);
    let record: u64 =
        cosmwasm_std::from_json(chain.settle(&provider, &msg, &[]).unwrap().data.unwrap()).unwrap();

    // Suspending and terminating do not end it; the Waldur report of the
    // termination does.
    chain
        .market(
            &customer,
            &Market::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    assert_eq!(chain.escrow(&id).escrow.ended_at, None);
    chain.advance(1_800);
    let res = chain
        .report(&allocation, AllocationState::Terminated)
        .unwrap();
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.settlement_end_requested"));
    assert!(res.events.iter().any(|e| e.ty == "wasm-ve.escrow_ended"));
    assert_eq!(order_state(&chain, &order), OrderState::Terminated);
    let ended_at = chain.app.block_info().time.seconds();
    let e = chain.escrow(&id);
    assert_eq!(e.escrow.ended_at, Some(Timestamp::from_seconds(ended_at)));
    assert_eq!(e.escrow.state, EscrowState::Active);

    // The provider cannot bill past the end: refused, nothing changed.
    chain.advance(600);
    let before = observe(&chain, &order, &allocation);
    let late = record_msg(&order, &allocation, 1, now, ended_at + 600);
    let err = chain.settle(&provider, &late, &[]).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "escrow {id} ended at {ended_at} (seconds): no usage period may end after it"
        )),
        "{err}"
    );
    assert_eq!(observe(&chain, &order, &allocation), before);

    // Inside the window the customer cannot reclaim yet; nothing changes.
    let reclaim = Settle::ReclaimUnreserved {
        escrow_id: id.clone(),
    };
    let err = chain
        .settle(&customer, &reclaim, &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("may reclaim from {} on", ended_at + ACK_WINDOW)),
        "{err}"
    );
    assert_eq!(observe(&chain, &order, &allocation), before);

    // After it: 100,000 - 50,000 reserved back, the record still settles.
    chain.advance(ACK_WINDOW);
    chain.settle(&customer, &reclaim, &[]).unwrap();
    let e = chain.escrow(&id);
    assert_eq!(
        (e.balance, e.reserved),
        (Uint128::new(50_000), Uint128::new(50_000))
    );
    assert_eq!(chain.balance(&customer), customer_start - 50_000);
    assert_conserved(&chain, &e);
    let provider_start = chain.balance(&provider);
    chain
        .settle(
            &customer,
            &Settle::Settle {
                escrow_id: id.clone(),
                record_ids: Some(vec![record]),
                finalize: false,
            },
            &[],
        )
        .unwrap();
    assert_eq!(chain.balance(&provider), provider_start + 48_750);
    assert_eq!(chain.balance(&chain.treasury.clone()), 1_250);
    // Nothing left unsettled: the customer's reclaim closes the escrow.
    chain.settle(&customer, &reclaim, &[]).unwrap();
    let e = chain.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Refunded);
    assert_conserved(&chain, &e);
    assert_eq!(chain.balance(&chain.settlement.clone()), 0);
    assert_eq!(chain.balance(&customer), customer_start - 50_000);
}

/// The audit's case: a pending record makes the refund on cancel fail. The
/// order is cancelled anyway, its escrow has ended, and the customer gets
/// the unreserved rest after the window instead of waiting for expiry.
#[test]
fn a_cancelled_order_with_pending_usage_is_reclaimed_after_the_window() {
    let mut chain = Chain::new();
    let (customer, provider) = (chain.customer.clone(), chain.provider.clone());
    let customer_start = chain.balance(&customer);
    let (order, allocation) = chain.matched_order();
    let id = escrow_id(&order);
    chain.advance(600);
    let now = chain.app.block_info().time.seconds();
    chain
        .settle(
            &provider,
            &record_msg(&order, &allocation, 1, now - 600, now),
            &[],
        )
        .unwrap();
    let res = chain
        .market(
            &customer,
            &Market::CancelOrder {
                order_id: order.clone(),
            },
            &[],
        )
        .unwrap();
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.settlement_refund_failed"));
    assert!(res
        .events
        .iter()
        .all(|e| e.ty != "wasm-ve.settlement_end_failed"));
    assert_eq!(order_state(&chain, &order), OrderState::Cancelled);
    let e = chain.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Active);
    assert_eq!(e.escrow.ended_at, Some(Timestamp::from_seconds(now)));

    // The allocation failing later keeps the first end.
    chain.advance(100);
    chain.report(&allocation, AllocationState::Failed).unwrap();
    assert_eq!(
        chain.escrow(&id).escrow.ended_at,
        Some(Timestamp::from_seconds(now))
    );

    chain.advance(ACK_WINDOW);
    chain
        .settle(
            &customer,
            &Settle::ReclaimUnreserved {
                escrow_id: id.clone(),
            },
            &[],
        )
        .unwrap();
    assert_eq!(chain.balance(&customer), customer_start - 50_000);
    let e = chain.escrow(&id);
    assert_eq!(e.reserved, Uint128::new(50_000));
    assert_conserved(&chain, &e);
}

#[test]
fn a_rejected_or_failed_allocation_ends_its_escrow() {
    for last in [AllocationState::Rejected, AllocationState::Failed] {
        let mut chain = Chain::new();
        let (order, allocation) = chain.matched_order();
        if last == AllocationState::Failed {
            chain
                .report(&allocation, AllocationState::Accepted)
                .unwrap();
        }
        chain.advance(60);
        chain.report(&allocation, last).unwrap();
        let e = chain.escrow(&escrow_id(&order));
        assert_eq!(
            e.escrow.ended_at,
            Some(Timestamp::from_seconds(
                chain.app.block_info().time.seconds()
            )),
            "{last:?}"
        );
        // Nothing was recorded: the whole escrow went back at once.
        assert_eq!(e.escrow.state, EscrowState::Refunded, "{last:?}");
    }
}

#[test]
fn only_the_marketplace_reports_an_escrows_end() {
    let mut chain = Chain::new();
    let (order, allocation) = running(&mut chain);
    let before = observe(&chain, &order, &allocation);
    let msg = Settle::EndOrderEscrow {
        escrow_id: escrow_id(&order),
    };
    for who in [
        chain.customer.clone(),
        chain.provider.clone(),
        chain.callback.clone(),
        chain.admin.clone(),
    ] {
        let err = chain.settle(&who, &msg, &[]).unwrap_err().to_string();
        assert!(
            err.contains(
                "end an order escrow may only be done by the marketplace contract that opened it"
            ),
            "{err}"
        );
        assert_eq!(observe(&chain, &order, &allocation), before);
    }
}

/// Settlement refusing the end (here: the escrow expired first) does not
/// block the allocation's state change; the marketplace says why.
#[test]
fn a_refused_end_does_not_block_the_state_change() {
    let mut chain = Chain::new();
    let customer = chain.customer.clone();
    let (order, allocation) = running(&mut chain);
    chain.advance(30 * 86_400);
    chain
        .settle(
            &customer,
            &Settle::ExpireEscrow {
                escrow_id: escrow_id(&order),
            },
            &[],
        )
        .unwrap();
    chain
        .market(
            &customer,
            &Market::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    let res = chain
        .report(&allocation, AllocationState::Terminated)
        .unwrap();
    let failed = res
        .events
        .iter()
        .find(|e| e.ty == "wasm-ve.settlement_end_failed")
        .expect("failure event");
    assert!(
        failed
            .attributes
            .iter()
            .any(|a| a.key == "error" && a.value.contains("is expired")),
        "{failed:?}"
    );
    assert_eq!(order_state(&chain, &order), OrderState::Terminated);
    let e = chain.escrow(&escrow_id(&order));
    assert_eq!(
        (e.escrow.state, e.escrow.ended_at),
        (EscrowState::Expired, None)
    );
}
