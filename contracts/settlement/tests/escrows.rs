mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use settlement::msg::{ExecuteMsg, NewEscrow, UsageRate};
use ve_types::{EscrowState, StateMachine};

#[test]
fn contracts_open_active_escrows_customers_pending_ones() {
    let mut s = Suite::new();
    let (marketplace, customer, provider) = (
        s.marketplace.clone(),
        s.customer.clone(),
        s.provider.clone(),
    );
    let id = s.order_escrow_id(1);
    let res = s
        .exec(
            &marketplace,
            &s.create_msg(&id, Some(&customer), 1_000),
            &[coin(5_000, DENOM)],
        )
        .unwrap();
    let attrs = event_attrs(&res, "ve.escrow_created");
    assert_eq!(attrs["escrow_id"], id);
    assert_eq!(attrs["state"], "active");
    assert_eq!(attrs["balance"], "5000");
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Active);
    assert_eq!(e.escrow.customer, customer);
    assert_eq!(e.escrow.created_by, marketplace);
    assert_eq!(s.balance(&s.contract.clone()), 5_000);

    // A customer deposits directly for its own order: pending until the
    // provider activates.
    let own = s.order_escrow_id(2);
    s.exec(
        &customer,
        &s.create_msg(&own, None, 1_000),
        &[coin(700, DENOM)],
    )
    .unwrap();
    assert_eq!(s.escrow(&own).escrow.state, EscrowState::Pending);
    let activate = ExecuteMsg::ActivateEscrow {
        escrow_id: own.clone(),
    };
    let err = s.exec_fails(&customer, &activate, &[]);
    assert!(
        err.contains(
            "activate an escrow may only be done by its provider or the contract that created it"
        ),
        "{err}"
    );
    s.exec(&provider, &activate, &[]).unwrap();
    assert_eq!(s.escrow(&own).escrow.state, EscrowState::Active);
    let err = s.exec_fails(&provider, &activate, &[]);
    assert!(
        err.contains(&format!("escrow {own} cannot go from active to active")),
        "{err}"
    );
}

#[test]
fn create_is_validated() {
    let mut s = Suite::new();
    let (marketplace, customer, customer2, provider) = (
        s.marketplace.clone(),
        s.customer.clone(),
        s.customer2.clone(),
        s.provider.clone(),
    );
    let id = s.order_escrow_id(1);
    let funds = [coin(100, DENOM)];

    // Nobody can open the escrow of somebody else's order.
    let err = s.exec_fails(&customer2, &s.create_msg(&id, None, 100), &funds);
    assert!(
        err.contains(&format!(
            "invalid escrow_id: {id} belongs to {customer}, not {customer2}"
        )),
        "{err}"
    );
    let err = s.exec_fails(&customer2, &s.create_msg(&id, Some(&customer), 100), &funds);
    assert!(err.contains("belongs to"), "{err}");
    let err = s.exec_fails(
        &marketplace,
        &s.create_msg(&id, Some(&customer2), 100),
        &funds,
    );
    assert!(err.contains("belongs to"), "{err}");
    let err = s.exec_fails(&marketplace, &s.create_msg(&id, None, 100), &funds);
    assert!(
        err.contains("invalid customer: the marketplace/hpc contract must name the customer"),
        "{err}"
    );

    for bad in [
        "order:",
        "x:y/1",
        &format!("order:{customer}/0"),
        &format!("deal:{customer}/1"),
        "order:Bad/1",
    ] {
        let err = s.exec_fails(
            &marketplace,
            &s.create_msg(bad, Some(&customer), 100),
            &funds,
        );
        assert!(
            err.contains("invalid escrow") || err.contains("invalid order id"),
            "{bad}: {err}"
        );
    }
    let err = s.exec_fails(&marketplace, &s.create_msg(&id, Some(&customer), 0), &funds);
    assert!(
        err.contains("invalid expires_at: must be in the future"),
        "{err}"
    );

    let mut msg = s.create_msg(&id, Some(&customer), 100);
    if let ExecuteMsg::CreateEscrow(NewEscrow { rates, .. }) = &mut msg {
        rates.push(UsageRate {
            usage_type: "cpu_hour".into(),
            unit_price: Uint128::one(),
        });
    }
    let err = s.exec_fails(&marketplace, &msg, &funds);
    assert!(err.contains("duplicate usage type \"cpu_hour\""), "{err}");
    if let ExecuteMsg::CreateEscrow(NewEscrow { rates, .. }) = &mut msg {
        *rates = vec![UsageRate {
            usage_type: "cpu_hour".into(),
            unit_price: Uint128::zero(),
        }];
    }
    let err = s.exec_fails(&marketplace, &msg, &funds);
    assert!(err.contains("cpu_hour has a zero price"), "{err}");
    if let ExecuteMsg::CreateEscrow(NewEscrow {
        rates, provider: p, ..
    }) = &mut msg
    {
        *rates = vec![];
        *p = customer.to_string();
    }
    let err = s.exec_fails(&marketplace, &msg, &funds);
    assert!(err.contains("the provider cannot be the customer"), "{err}");

    for funds in [vec![], vec![coin(1, DENOM), coin(1, OTHER_DENOM)]] {
        let err = s.exec_fails(
            &marketplace,
            &s.create_msg(&id, Some(&customer), 100),
            &funds,
        );
        assert!(err.contains("wrong funds: expected one coin"), "{err}");
    }
    s.exec(
        &marketplace,
        &s.create_msg(&id, Some(&customer), 100),
        &funds,
    )
    .unwrap();
    let err = s.exec_fails(
        &marketplace,
        &s.create_msg(&id, Some(&customer), 100),
        &funds,
    );
    assert!(
        err.contains(&format!("escrow {id} already exists")),
        "{err}"
    );
    let _ = provider;
}

#[test]
fn deposits_top_up() {
    let mut s = Suite::new();
    let id = s.open_escrow(1, 1_000);
    let (customer, marketplace, stranger, hpc) = (
        s.customer.clone(),
        s.marketplace.clone(),
        s.stranger.clone(),
        s.hpc.clone(),
    );
    let deposit = ExecuteMsg::Deposit {
        escrow_id: id.clone(),
    };
    s.exec(&customer, &deposit, &[coin(10, DENOM)]).unwrap();
    let res = s.exec(&marketplace, &deposit, &[coin(5, DENOM)]).unwrap();
    assert_eq!(s.escrow(&id).escrow.deposited, Uint128::new(1_015));
    // What came in and the totals after it; the parties are on escrow_created.
    let attrs = event_attrs(&res, "ve.escrow_deposited");
    assert_eq!(
        attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("_contract_address", attrs["_contract_address"].as_str()),
            ("amount", "5"),
            ("balance", "1015"),
            ("deposited", "1015"),
            ("escrow_id", id.as_str()),
        ]
    );
    for who in [&stranger, &hpc] {
        let err = s.exec_fails(who, &deposit, &[coin(10, DENOM)]);
        assert!(err.contains("deposit into an escrow may only be done by its customer or the contract that created it"), "{err}");
    }
    let err = s.exec_fails(&customer, &deposit, &[coin(10, OTHER_DENOM)]);
    assert!(
        err.contains("wrong funds: expected one coin of uvirt"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &deposit, &[]);
    assert!(err.contains("wrong funds"), "{err}");
    let provider = s.provider.clone();
    s.exec(
        &provider,
        &ExecuteMsg::RefundEscrow {
            escrow_id: id.clone(),
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&customer, &deposit, &[coin(10, DENOM)]);
    assert!(
        err.contains(&format!(
            "escrow {id} is refunded; this needs a pending or active escrow"
        )),
        "{err}"
    );
}

#[test]
fn only_provider_or_creator_refunds() {
    let mut s = Suite::new();
    let start = s.balance(&s.customer.clone());
    let id = s.open_escrow(1, 1_000);
    let (customer, stranger, marketplace) = (
        s.customer.clone(),
        s.stranger.clone(),
        s.marketplace.clone(),
    );
    let refund = ExecuteMsg::RefundEscrow {
        escrow_id: id.clone(),
    };
    // The reference let the depositor refund itself unilaterally.
    for who in [&customer, &stranger] {
        let err = s.exec_fails(who, &refund, &[]);
        assert!(
            err.contains(
                "refund an escrow may only be done by its provider or the contract that created it"
            ),
            "{err}"
        );
    }
    let record = s.record(&id, 2);
    let err = s.exec_fails(&marketplace, &refund, &[]);
    assert!(
        err.contains("has 1 unsettled usage records: settle them before refunding"),
        "{err}"
    );
    s.advance(ACK_WINDOW);
    let provider = s.provider.clone();
    s.exec(
        &provider,
        &ExecuteMsg::Settle {
            escrow_id: id.clone(),
            record_ids: Some(vec![record]),
            finalize: false,
        },
        &[],
    )
    .unwrap();
    let res = s.exec(&marketplace, &refund, &[]).unwrap();
    assert_eq!(event_attrs(&res, "ve.settled")["refund"], "900");
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Refunded);
    // The marketplace funded the escrow; the customer gets what was unused.
    assert_eq!(s.balance(&customer), start + 900);
    assert_eq!(s.balance(&s.contract.clone()), 0);
}

#[test]
fn expiry_settles_then_refunds() {
    let mut s = Suite::new();
    let id = s.order_escrow_id(1);
    let (marketplace, customer, stranger, provider) = (
        s.marketplace.clone(),
        s.customer.clone(),
        s.stranger.clone(),
        s.provider.clone(),
    );
    s.exec(
        &marketplace,
        &s.create_msg(&id, Some(&customer), 10 * 3_600),
        &[coin(10_000, DENOM)],
    )
    .unwrap();
    let start_customer = s.balance(&customer);
    let start_provider = s.balance(&provider);
    s.record(&id, 10); // cost 500
    let expire = ExecuteMsg::ExpireEscrow {
        escrow_id: id.clone(),
    };
    let err = s.exec_fails(&stranger, &expire, &[]);
    assert!(err.contains(&format!("escrow {id} expires at")), "{err}");
    s.advance(ACK_WINDOW);
    // Anyone may expire it; the provider is paid first (500 minus 3.25% fees).
    let res = s.exec(&stranger, &expire, &[]).unwrap();
    let settled = event_attrs(&res, "ve.settled");
    assert_eq!(settled["gross"], "500");
    assert_eq!(settled["refund"], "9500");
    assert_eq!(s.balance(&provider), start_provider + 500 - 12 - 3);
    assert_eq!(s.balance(&customer), start_customer + 9_500);
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Expired);
    let err = s.exec_fails(&stranger, &expire, &[]);
    assert!(err.contains("cannot go from expired to expired"), "{err}");
}

#[test]
fn expiry_waits_for_the_acknowledgement_window() {
    let mut s = Suite::new();
    let id = s.order_escrow_id(1);
    let (marketplace, customer, stranger) = (
        s.marketplace.clone(),
        s.customer.clone(),
        s.stranger.clone(),
    );
    s.exec(
        &marketplace,
        &s.create_msg(&id, Some(&customer), 3_700),
        &[coin(10_000, DENOM)],
    )
    .unwrap();
    s.record(&id, 1);
    s.advance(100);
    let expire = ExecuteMsg::ExpireEscrow {
        escrow_id: id.clone(),
    };
    let err = s.exec_fails(&stranger, &expire, &[]);
    assert!(err.contains("has 1 unsettled usage records"), "{err}");
    s.advance(ACK_WINDOW);
    s.exec(&stranger, &expire, &[]).unwrap();
    assert_eq!(s.escrow(&id).escrow.state, EscrowState::Expired);
}

/// Drives an escrow to `state`.
fn escrow_in(s: &mut Suite, seq: u64, state: EscrowState) -> String {
    let (customer, provider, arbiter) = (s.customer.clone(), s.provider.clone(), s.arbiter.clone());
    let id = match state {
        EscrowState::Pending => {
            let id = s.order_escrow_id(seq);
            s.exec(
                &customer,
                &s.create_msg(&id, None, 100_000),
                &[coin(10_000, DENOM)],
            )
            .unwrap();
            return id;
        }
        _ => s.open_escrow(seq, 10_000),
    };
    match state {
        EscrowState::Active | EscrowState::Pending => {}
        EscrowState::Released => {
            s.exec(
                &provider,
                &ExecuteMsg::Settle {
                    escrow_id: id.clone(),
                    record_ids: None,
                    finalize: true,
                },
                &[],
            )
            .unwrap();
        }
        EscrowState::Refunded => {
            s.exec(
                &provider,
                &ExecuteMsg::RefundEscrow {
                    escrow_id: id.clone(),
                },
                &[],
            )
            .unwrap();
        }
        EscrowState::Disputed => {
            let record = s.record(&id, 1);
            s.exec(
                &customer,
                &ExecuteMsg::DisputeUsage {
                    record_id: record,
                    reason: "too high".into(),
                },
                &[],
            )
            .unwrap();
        }
        EscrowState::Expired => {
            s.advance(31 * 86_400);
            s.exec(
                &arbiter,
                &ExecuteMsg::ExpireEscrow {
                    escrow_id: id.clone(),
                },
                &[],
            )
            .unwrap();
        }
    }
    assert_eq!(s.escrow(&id).escrow.state, state);
    id
}

/// Every (from, to) pair reachable by a message, against the table.
#[test]
fn every_escrow_transition_pair() {
    use EscrowState::*;
    let spec: &[(EscrowState, &[EscrowState])] = &[
        (Pending, &[Active, Refunded, Expired]),
        (Active, &[Disputed, Released, Refunded, Expired]),
        (Disputed, &[Active]),
        (Released, &[]),
        (Refunded, &[]),
        (Expired, &[]),
    ];
    let mut s = Suite::new();
    let mut seq = 0;
    for (from, allowed) in spec {
        for to in EscrowState::ALL {
            assert_eq!(
                from.can_transition_to(*to),
                allowed.contains(to),
                "table {from} -> {to}"
            );
            // Disputed is entered by disputing a record and left by the
            // arbiter: covered in the dispute tests.
            if *to == Disputed || (*from == Disputed && *to == Active) {
                continue;
            }
            seq += 1;
            let id = escrow_in(&mut s, seq, *from);
            let (provider, stranger) = (s.provider.clone(), s.stranger.clone());
            if *to == Expired {
                s.advance(101 * 86_400);
            }
            let (sender, msg) = match to {
                Active => (
                    provider,
                    ExecuteMsg::ActivateEscrow {
                        escrow_id: id.clone(),
                    },
                ),
                Released => (
                    provider,
                    ExecuteMsg::Settle {
                        escrow_id: id.clone(),
                        record_ids: None,
                        finalize: true,
                    },
                ),
                Refunded => (
                    provider,
                    ExecuteMsg::RefundEscrow {
                        escrow_id: id.clone(),
                    },
                ),
                Expired => (
                    stranger,
                    ExecuteMsg::ExpireEscrow {
                        escrow_id: id.clone(),
                    },
                ),
                Pending | Disputed => continue,
            };
            if allowed.contains(to) {
                s.exec(&sender, &msg, &[])
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                assert_eq!(s.escrow(&id).escrow.state, *to, "{from} -> {to}");
            } else {
                let err = s.exec_fails(&sender, &msg, &[]);
                let named = err.contains(&format!("cannot go from {from} to {to}"))
                    || err.contains(&format!("escrow {id} is {from}"))
                    || err.contains("payouts are held");
                assert!(named, "{from} -> {to}: {err}");
            }
        }
    }
}

/// A rate card holds up to ve_types::MAX_RATES rates (the base price plus
/// the marketplace's MAX_PRICE_COMPONENTS components), no more.
#[test]
fn rate_cards_hold_up_to_max_rates() {
    let mut s = Suite::new();
    let (marketplace, customer) = (s.marketplace.clone(), s.customer.clone());
    let card = |n: usize| -> Vec<UsageRate> {
        (0..n)
            .map(|i| UsageRate {
                usage_type: format!("r{i}"),
                unit_price: Uint128::new(1),
            })
            .collect()
    };
    let with_rates = |s: &Suite, id: &str, rates| match s.create_msg(id, Some(&customer), 1_000) {
        ExecuteMsg::CreateEscrow(NewEscrow {
            escrow_id,
            customer,
            provider,
            expires_at,
            ..
        }) => ExecuteMsg::CreateEscrow(NewEscrow {
            escrow_id,
            customer,
            provider,
            rates,
            expires_at,
        }),
        _ => unreachable!(),
    };
    assert_eq!(ve_types::MAX_RATES, ve_types::MAX_PRICE_COMPONENTS + 1);
    let id = s.order_escrow_id(1);
    let msg = with_rates(&s, &id, card(ve_types::MAX_RATES + 1));
    let err = s.exec_fails(&marketplace, &msg, &[coin(100, DENOM)]);
    assert!(
        err.contains(&format!(
            "invalid rates: {} rates, at most {}",
            ve_types::MAX_RATES + 1,
            ve_types::MAX_RATES
        )),
        "{err}"
    );
    let msg = with_rates(&s, &id, card(ve_types::MAX_RATES));
    s.exec(&marketplace, &msg, &[coin(100, DENOM)]).unwrap();
    assert_eq!(s.escrow(&id).escrow.rates.len(), ve_types::MAX_RATES);
}
