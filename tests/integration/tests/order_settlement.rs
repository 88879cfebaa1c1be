//! order -> escrow -> usage -> settle, across the marketplace and
//! settlement contracts.

use cosmwasm_std::{coin, Timestamp, Uint128};
use settlement::msg::ExecuteMsg as Settle;
use ve_integration_tests::*;
use ve_types::{AllocationState, EscrowState, OrderState};

fn escrow_id(order: &str) -> String {
    format!("order:{order}")
}

fn order_state(chain: &Chain, order: &str) -> marketplace::msg::OrderResponse {
    chain.query_market(&marketplace::msg::QueryMsg::Order {
        order_id: order.into(),
    })
}

#[test]
fn accepting_moves_the_escrow_into_settlement() {
    let mut chain = Chain::new();
    let customer = chain.customer.clone();
    let start = chain.balance(&customer);
    let (order, _) = chain.matched_order();

    let escrow = chain.escrow(&escrow_id(&order));
    assert_eq!(escrow.escrow.state, EscrowState::Active);
    assert_eq!(escrow.balance, Uint128::new(100_000));
    assert_eq!(escrow.escrow.customer, customer);
    assert_eq!(escrow.escrow.provider, chain.provider);
    assert_eq!(escrow.escrow.created_by, chain.marketplace);
    assert_eq!(escrow.escrow.rates[0].usage_type, "hour");
    assert_eq!(escrow.escrow.rates[0].unit_price, Uint128::new(50_000));
    // The marketplace keeps nothing; the difference went back at once.
    assert_eq!(chain.balance(&chain.marketplace.clone()), 0);
    assert_eq!(chain.balance(&chain.settlement.clone()), 100_000);
    assert_eq!(chain.balance(&customer), start - 100_000);
    let o = order_state(&chain, &order).order;
    assert_eq!(o.escrow, Uint128::zero());
    assert_eq!(o.settlement_escrow, Some(escrow_id(&order)));
}

#[test]
fn usage_is_paid_to_the_provider_and_the_rest_refunded() {
    let mut chain = Chain::new();
    let (provider, customer, treasury) = (
        chain.provider.clone(),
        chain.customer.clone(),
        chain.treasury.clone(),
    );
    let (order, allocation) = chain.matched_order();
    for s in [
        AllocationState::Accepted,
        AllocationState::Provisioning,
        AllocationState::Active,
    ] {
        chain.report(&allocation, s).unwrap();
    }
    let provider_start = chain.balance(&provider);
    let customer_start = chain.balance(&customer);
    chain.advance(3_600);
    let now = chain.app.block_info().time;
    // One hour of 1 unit (of the 2 ordered): 50,000.
    let record = Settle::RecordUsage(settlement::msg::NewUsage {
        escrow_id: escrow_id(&order),
        allocation_id: allocation.clone(),
        provider: None,
        usage_type: "hour".into(),
        units: Uint128::one(),
        period_start: Timestamp::from_seconds(now.seconds() - 3_600),
        period_end: now,
    });
    let res = chain.settle(&provider, &record, &[]).unwrap();
    let record_id: u64 = cosmwasm_std::from_json(res.data.unwrap()).unwrap();
    chain
        .settle(
            &customer,
            &Settle::AcknowledgeUsage {
                record_ids: vec![record_id],
            },
            &[],
        )
        .unwrap();
    chain
        .settle(
            &customer,
            &Settle::Settle {
                escrow_id: escrow_id(&order),
                record_ids: None,
                finalize: false,
            },
            &[],
        )
        .unwrap();
    // 2.5% of 50,000 to the platform, the rest to the provider.
    assert_eq!(chain.balance(&treasury), 1_250);
    assert_eq!(chain.balance(&provider), provider_start + 48_750);

    chain
        .market(
            &customer,
            &marketplace::msg::ExecuteMsg::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    chain
        .report(&allocation, AllocationState::Terminated)
        .unwrap();
    assert_eq!(
        order_state(&chain, &order).order.state,
        OrderState::Terminated
    );
    // The provider closes the escrow; the unused 50,000 goes back.
    chain
        .settle(
            &provider,
            &Settle::Settle {
                escrow_id: escrow_id(&order),
                record_ids: None,
                finalize: true,
            },
            &[],
        )
        .unwrap();
    assert_eq!(chain.balance(&customer), customer_start + 50_000);
    assert_eq!(
        chain.escrow(&escrow_id(&order)).escrow.state,
        EscrowState::Released
    );
    assert_eq!(chain.balance(&chain.settlement.clone()), 0);
}

#[test]
fn failure_before_start_refunds_through_settlement() {
    let mut chain = Chain::new();
    let customer = chain.customer.clone();
    let start = chain.balance(&customer);
    let (order, allocation) = chain.matched_order();
    chain
        .report(&allocation, AllocationState::Accepted)
        .unwrap();
    let res = chain.report(&allocation, AllocationState::Failed).unwrap();
    assert!(res
        .events
        .iter()
        .any(|e| e.ty == "wasm-ve.settlement_refund_requested"));
    assert_eq!(chain.balance(&customer), start);
    assert_eq!(
        chain.escrow(&escrow_id(&order)).escrow.state,
        EscrowState::Refunded
    );
    assert_eq!(order_state(&chain, &order).order.state, OrderState::Failed);
}

#[test]
fn terminating_before_start_cancels_and_refunds() {
    let mut chain = Chain::new();
    let customer = chain.customer.clone();
    let start = chain.balance(&customer);
    let (order, allocation) = chain.matched_order();
    chain
        .market(
            &customer,
            &marketplace::msg::ExecuteMsg::TerminateAllocation {
                allocation_id: allocation,
                reason: None,
            },
            &[],
        )
        .unwrap();
    assert_eq!(
        order_state(&chain, &order).order.state,
        OrderState::Cancelled
    );
    assert_eq!(chain.balance(&customer), start);
}

#[test]
fn a_refused_refund_does_not_block_the_state_change() {
    let mut chain = Chain::new();
    let provider = chain.provider.clone();
    let (order, allocation) = chain.matched_order();
    chain
        .report(&allocation, AllocationState::Accepted)
        .unwrap();
    chain
        .report(&allocation, AllocationState::Provisioning)
        .unwrap();
    // Usage recorded while provisioning leaves the escrow with an
    // unsettled record: settlement refuses a refund.
    chain.advance(600);
    let now = chain.app.block_info().time;
    chain
        .settle(
            &provider,
            &Settle::RecordUsage(settlement::msg::NewUsage {
                escrow_id: escrow_id(&order),
                allocation_id: allocation.clone(),
                provider: None,
                usage_type: "hour".into(),
                units: Uint128::one(),
                period_start: Timestamp::from_seconds(now.seconds() - 600),
                period_end: now,
            }),
            &[],
        )
        .unwrap();
    let res = chain.report(&allocation, AllocationState::Failed).unwrap();
    let failed = res
        .events
        .iter()
        .find(|e| e.ty == "wasm-ve.settlement_refund_failed")
        .expect("failure event");
    assert!(
        failed
            .attributes
            .iter()
            .any(|a| a.key == "error" && a.value.contains("unsettled usage")),
        "{failed:?}"
    );
    assert_eq!(order_state(&chain, &order).order.state, OrderState::Failed);
    assert_eq!(
        chain.escrow(&escrow_id(&order)).escrow.state,
        EscrowState::Active
    );
}

#[test]
fn growing_an_allocation_tops_up_the_settlement_escrow() {
    let mut chain = Chain::new();
    let customer = chain.customer.clone();
    let (order, allocation) = chain.matched_order();
    for s in [
        AllocationState::Accepted,
        AllocationState::Provisioning,
        AllocationState::Active,
    ] {
        chain.report(&allocation, s).unwrap();
    }
    chain
        .market(
            &customer,
            &marketplace::msg::ExecuteMsg::ResizeAllocation {
                allocation_id: allocation,
                quantity: 3,
            },
            &[coin(50_000, DENOM)],
        )
        .unwrap();
    assert_eq!(
        chain.escrow(&escrow_id(&order)).balance,
        Uint128::new(150_000)
    );
    assert_eq!(chain.balance(&chain.marketplace.clone()), 0);
}

#[test]
fn nobody_but_the_marketplace_can_open_an_order_escrow_for_a_customer() {
    let mut chain = Chain::new();
    let (provider, customer) = (chain.provider.clone(), chain.customer.clone());
    let msg = Settle::CreateEscrow(settlement::msg::NewEscrow {
        escrow_id: format!("order:{customer}/77"),
        customer: Some(customer.to_string()),
        provider: provider.to_string(),
        rates: vec![],
        expires_at: chain.app.block_info().time.plus_seconds(100),
    });
    let err = chain
        .settle(&provider, &msg, &[coin(10, DENOM)])
        .unwrap_err();
    assert!(err.to_string().contains("belongs to"), "{err}");
}

/// The limits agree across contracts (ve_types::MAX_RATES is derived from
/// MAX_PRICE_COMPONENTS): an offering at the maximum of price components
/// is accepted by the marketplace, matched, and its rate card (base price
/// plus every component) accepted by settlement, where each rate meters.
#[test]
fn an_offering_at_the_price_component_limit_settles() {
    use ve_types::{PriceComponent, Pricing, PricingModel, MAX_PRICE_COMPONENTS, MAX_RATES};
    let mut chain = Chain::new();
    let provider = chain.provider.clone();
    let components: Vec<PriceComponent> = (0..MAX_PRICE_COMPONENTS)
        .map(|i| PriceComponent {
            resource_type: format!("c{i}"),
            unit: "unit_hour".into(),
            price: Uint128::new(10 + i as u128),
        })
        .collect();
    let (order, allocation) = chain.matched_order_priced(Pricing::new(
        PricingModel::Hourly,
        DENOM,
        Uint128::new(50_000),
        components,
    ));
    assert_eq!(order_state(&chain, &order).order.state, OrderState::Matched);
    let escrow = chain.escrow(&escrow_id(&order));
    assert_eq!(escrow.escrow.state, EscrowState::Active);
    assert_eq!(escrow.escrow.rates.len(), MAX_RATES);
    assert_eq!(MAX_RATES, MAX_PRICE_COMPONENTS + 1);
    assert_eq!(escrow.escrow.rates[0].usage_type, "hour");
    let last = &escrow.escrow.rates[MAX_RATES - 1];
    assert_eq!(
        (last.usage_type.as_str(), last.unit_price),
        (
            format!("c{}", MAX_PRICE_COMPONENTS - 1).as_str(),
            Uint128::new(10 + MAX_PRICE_COMPONENTS as u128 - 1)
        )
    );

    // The last component meters like any other rate.
    for s in [
        AllocationState::Accepted,
        AllocationState::Provisioning,
        AllocationState::Active,
    ] {
        chain.report(&allocation, s).unwrap();
    }
    chain.advance(3_600);
    let now = chain.app.block_info().time;
    let res = chain
        .settle(
            &provider,
            &Settle::RecordUsage(settlement::msg::NewUsage {
                escrow_id: escrow_id(&order),
                allocation_id: allocation,
                provider: None,
                usage_type: last.usage_type.clone(),
                units: Uint128::new(3),
                period_start: Timestamp::from_seconds(now.seconds() - 3_600),
                period_end: now,
            }),
            &[],
        )
        .unwrap();
    assert!(res.events.iter().any(|e| e.ty == "wasm-ve.usage_recorded"));
}
