mod common;

use std::collections::BTreeMap;

use common::*;
use cosmwasm_std::{coin, Uint128};
use marketplace::msg::{
    AllocationResponse, BidResponse, BidsResponse, ExecuteMsg, OfferingResponse, OrderResponse,
    QueryMsg,
};
use ve_types::{AllocationState, BidState, OrderState};

fn order(s: &Suite, id: &str) -> OrderResponse {
    s.query(&QueryMsg::Order {
        order_id: id.into(),
    })
    .unwrap()
}

fn bid(s: &Suite, id: &str) -> BidResponse {
    s.query(&QueryMsg::Bid { bid_id: id.into() }).unwrap()
}

fn place_bid_msg(order_id: &str, price: u128) -> ExecuteMsg {
    ExecuteMsg::PlaceBid {
        order_id: order_id.into(),
        price: Uint128::new(price),
        ttl_seconds: None,
    }
}

#[test]
fn create_order_escrows_exact_funds() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let customer = s.customer.clone();
    let before = s.balance(&customer, DENOM);
    let res = s
        .exec(
            &customer,
            &create_order_msg(&offering, 3, 60_000),
            &[coin(180_000, DENOM)],
        )
        .unwrap();
    let attrs = event_attrs(&res, "ve.order_created");
    let order_id = format!("{customer}/1");
    assert_eq!(attrs["order_id"], order_id);
    assert_eq!(attrs["offering_id"], offering);
    assert_eq!(attrs["escrow"], "180000");
    assert_eq!(attrs["provider"], s.provider.to_string());
    assert_eq!(s.balance(&customer, DENOM), before - 180_000);
    assert_eq!(s.balance(&s.contract.clone(), DENOM), 180_000);

    let o = order(&s, &order_id);
    assert_eq!(o.order.state, OrderState::Open);
    assert_eq!(o.order.escrow, Uint128::new(180_000));
    assert_eq!(o.order.denom, DENOM);
    let off: OfferingResponse = s
        .query(&QueryMsg::Offering {
            offering_id: offering.clone(),
        })
        .unwrap();
    assert_eq!(off.offering.total_order_count, 1);
    assert_eq!(s.create_order(&offering, 1, 1), format!("{customer}/2"));
}

#[test]
fn create_order_rejects_wrong_funds_and_input() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let (customer, provider) = (s.customer.clone(), s.provider.clone());
    let msg = create_order_msg(&offering, 2, 100);
    let wrong = [
        (vec![], "expected exactly 200uvirt, got []"),
        (vec![coin(199, DENOM)], "got [199uvirt]"),
        (vec![coin(201, DENOM)], "got [201uvirt]"),
        (vec![coin(200, OTHER_DENOM)], "got [200uatom]"),
        (
            vec![coin(200, OTHER_DENOM), coin(200, DENOM)],
            "got [200uatom, 200uvirt]",
        ),
    ];
    for (funds, expected) in wrong {
        let err = s.exec_fails(&customer, &msg, &funds);
        assert!(
            err.contains("wrong funds") && err.contains(expected),
            "{expected}: {err}"
        );
    }
    let err = s.exec_fails(&provider, &msg, &[coin(200, DENOM)]);
    assert!(
        err.contains(&format!(
            "a provider cannot order its own offering {offering}"
        )),
        "{err}"
    );
    let err = s.exec_fails(&customer, &create_order_msg(&offering, 0, 100), &[]);
    assert!(
        err.contains("invalid quantity: 0 must be 1-1000000"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &create_order_msg(&offering, 1_000_001, 1), &[]);
    assert!(err.contains("invalid quantity"), "{err}");
    let err = s.exec_fails(&customer, &create_order_msg(&offering, 1, 0), &[]);
    assert!(
        err.contains("invalid max_bid_price: must be greater than zero"),
        "{err}"
    );
    // max x quantity overflowing 128 bits is an error, not a wrap.
    let huge = create_order_msg(&offering, 2, u128::MAX);
    let err = s.exec_fails(&customer, &huge, &[]);
    assert!(
        err.contains("invalid max_bid_price: max_bid_price x quantity overflows 128 bits"),
        "{err}"
    );

    let mut with_region = create_order_msg(&offering, 1, 100);
    if let ExecuteMsg::CreateOrder { region, .. } = &mut with_region {
        *region = Some("ap-south-9".into());
    }
    let err = s.exec_fails(&customer, &with_region, &[coin(100, DENOM)]);
    assert!(
        err.contains("invalid region: \"ap-south-9\" is not offered"),
        "{err}"
    );

    let mut with_meta = create_order_msg(&offering, 1, 100);
    if let ExecuteMsg::CreateOrder {
        public_metadata, ..
    } = &mut with_meta
    {
        *public_metadata = BTreeMap::from([("Bad Key".to_string(), "v".to_string())]);
    }
    let err = s.exec_fails(&customer, &with_meta, &[coin(100, DENOM)]);
    assert!(err.contains("invalid public_metadata"), "{err}");

    let err = s.exec_fails(
        &customer,
        &create_order_msg(&format!("{provider}/7"), 1, 100),
        &[coin(100, DENOM)],
    );
    assert!(
        err.contains(&format!("offering {provider}/7 not found")),
        "{err}"
    );
}

#[test]
fn cancel_refunds_and_rejects_open_bids() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let customer = s.customer.clone();
    let start = s.balance(&customer, DENOM);
    let order_id = s.create_order(&offering, 2, 60_000);
    let bid1 = s.place_bid(&order_id, 55_000);
    let bid2 = s.place_bid(&order_id, 50_000);

    let (stranger, provider) = (s.stranger.clone(), s.provider.clone());
    for who in [&stranger, &provider] {
        let err = s.exec_fails(
            who,
            &ExecuteMsg::CancelOrder {
                order_id: order_id.clone(),
            },
            &[],
        );
        assert!(
            err.contains("cancel an order may only be done by its customer"),
            "{err}"
        );
    }
    let res = s
        .exec(
            &customer,
            &ExecuteMsg::CancelOrder {
                order_id: order_id.clone(),
            },
            &[],
        )
        .unwrap();
    assert_eq!(count_events(&res, "ve.bid_rejected"), 2);
    assert_eq!(event_attrs(&res, "ve.escrow_refunded")["amount"], "120000");
    assert_eq!(
        event_attrs(&res, "ve.order_state_changed")["state"],
        "cancelled"
    );
    assert_eq!(s.balance(&customer, DENOM), start);
    assert_eq!(s.balance(&s.contract.clone(), DENOM), 0);
    assert_eq!(order(&s, &order_id).order.state, OrderState::Cancelled);
    assert_eq!(bid(&s, &bid1).bid.state, BidState::Rejected);
    assert_eq!(bid(&s, &bid2).bid.state, BidState::Rejected);

    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::CancelOrder {
            order_id: order_id.clone(),
        },
        &[],
    );
    assert!(
        err.contains(&format!(
            "order {order_id} cannot go from cancelled to cancelled"
        )),
        "{err}"
    );
}

#[test]
fn bids_are_checked() {
    let mut s = Suite::with_instantiate(|m| m.max_bids_per_order = Some(2));
    let offering = s.create_offering();
    let order_id = s.create_order(&offering, 2, 60_000);
    let (provider, provider2, customer) =
        (s.provider.clone(), s.provider2.clone(), s.customer.clone());

    // Only the provider of the order's offering bids.
    for who in [&provider2, &customer] {
        let err = s.exec_fails(who, &place_bid_msg(&order_id, 50_000), &[]);
        assert!(
            err.contains(
                "bid on an order may only be done by the provider of the order's offering"
            ),
            "{err}"
        );
    }
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 60_001), &[]);
    assert!(
        err.contains("bid price 60001 is above the order's max bid price 60000"),
        "{err}"
    );
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 0), &[]);
    assert!(
        err.contains("invalid price: must be greater than zero"),
        "{err}"
    );
    let long = ExecuteMsg::PlaceBid {
        order_id: order_id.clone(),
        price: Uint128::new(1),
        ttl_seconds: Some(7 * 86_400 + 1),
    };
    let err = s.exec_fails(&provider, &long, &[]);
    assert!(
        err.contains("invalid ttl_seconds: 604801 must be 1-604800"),
        "{err}"
    );
    let zero = ExecuteMsg::PlaceBid {
        order_id: order_id.clone(),
        price: Uint128::new(1),
        ttl_seconds: Some(0),
    };
    assert!(s
        .exec_fails(&provider, &zero, &[])
        .contains("invalid ttl_seconds"));
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 1), &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");

    // Boundary: exactly the max price is fine.
    let res = s
        .exec(&provider, &place_bid_msg(&order_id, 60_000), &[])
        .unwrap();
    let attrs = event_attrs(&res, "ve.bid_placed");
    assert_eq!(attrs["bid_id"], format!("{order_id}/{provider}/1"));
    assert_eq!(attrs["price"], "60000");
    s.place_bid(&order_id, 40_000);
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 30_000), &[]);
    assert!(
        err.contains(&format!(
            "order {order_id} already has the maximum of 2 bids"
        )),
        "{err}"
    );
}

#[test]
fn withdraw_and_expiry() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let order_id = s.create_order(&offering, 1, 1_000);
    let (provider, customer) = (s.provider.clone(), s.customer.clone());
    let b1 = s.place_bid(&order_id, 900);

    let withdraw = ExecuteMsg::WithdrawBid { bid_id: b1.clone() };
    let err = s.exec_fails(&customer, &withdraw, &[]);
    assert!(
        err.contains("withdraw a bid may only be done by the provider that placed it"),
        "{err}"
    );
    let res = s.exec(&provider, &withdraw, &[]).unwrap();
    assert_eq!(event_attrs(&res, "ve.bid_withdrawn")["bid_id"], b1);
    let err = s.exec_fails(&provider, &withdraw, &[]);
    assert!(
        err.contains(&format!("bid {b1} is withdrawn, not open")),
        "{err}"
    );
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::AcceptBid { bid_id: b1.clone() },
        &[],
    );
    assert!(err.contains("is withdrawn, not open"), "{err}");

    let short = ExecuteMsg::PlaceBid {
        order_id: order_id.clone(),
        price: Uint128::new(800),
        ttl_seconds: Some(60),
    };
    let res = s.exec(&provider, &short, &[]).unwrap();
    let b2 = event_attrs(&res, "ve.bid_placed")["bid_id"].clone();
    s.advance(59);
    assert_eq!(bid(&s, &b2).effective_state, BidState::Open);
    s.advance(1);
    // Expiry is exact: at expires_at the bid is expired.
    let read = bid(&s, &b2);
    assert_eq!(read.effective_state, BidState::Expired);
    assert_eq!(read.bid.state, BidState::Open);
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::AcceptBid { bid_id: b2.clone() },
        &[],
    );
    assert!(err.contains(&format!("bid {b2} expired at")), "{err}");
    let err = s.exec_fails(
        &provider,
        &ExecuteMsg::WithdrawBid { bid_id: b2.clone() },
        &[],
    );
    assert!(err.contains("expired at"), "{err}");
}

#[test]
fn accept_creates_allocation_rejects_others_and_refunds_the_difference() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let customer = s.customer.clone();
    let start = s.balance(&customer, DENOM);
    let order_id = s.create_order(&offering, 2, 60_000);
    let b1 = s.place_bid(&order_id, 58_000);
    let b2 = s.place_bid(&order_id, 50_000);
    let b3 = s.place_bid(&order_id, 55_000);

    let (provider, stranger) = (s.provider.clone(), s.stranger.clone());
    for who in [&provider, &stranger] {
        let err = s.exec_fails(who, &ExecuteMsg::AcceptBid { bid_id: b2.clone() }, &[]);
        assert!(
            err.contains("accept a bid may only be done by the order's customer"),
            "{err}"
        );
    }
    let res = s
        .exec(
            &customer,
            &ExecuteMsg::AcceptBid { bid_id: b2.clone() },
            &[],
        )
        .unwrap();
    let allocation_id = format!("{order_id}/1");
    let created = event_attrs(&res, "ve.allocation_created");
    assert_eq!(created["allocation_id"], allocation_id);
    assert_eq!(created["provider"], provider.to_string());
    assert_eq!(created["customer"], customer.to_string());
    assert_eq!(created["offering_id"], offering);
    assert_eq!(created["state"], "pending");
    assert_eq!(created["price"], "50000");
    assert_eq!(created["quantity"], "2");
    assert_eq!(count_events(&res, "ve.bid_rejected"), 2);
    assert_eq!(event_attrs(&res, "ve.escrow_refunded")["amount"], "20000");

    // Money: the customer paid exactly the accepted price x quantity.
    assert_eq!(s.balance(&customer, DENOM), start - 100_000);
    assert_eq!(s.balance(&s.contract.clone(), DENOM), 100_000);

    let o = order(&s, &order_id).order;
    assert_eq!(o.state, OrderState::Matched);
    assert_eq!(o.escrow, Uint128::new(100_000));
    assert_eq!(o.accepted_price, Some(Uint128::new(50_000)));
    assert_eq!(o.allocated_provider, Some(provider.clone()));
    assert!(o.matched_at.is_some());
    assert_eq!(bid(&s, &b1).bid.state, BidState::Rejected);
    assert_eq!(bid(&s, &b2).bid.state, BidState::Accepted);
    assert_eq!(bid(&s, &b3).bid.state, BidState::Rejected);
    let a: AllocationResponse = s
        .query(&QueryMsg::Allocation {
            allocation_id: allocation_id.clone(),
        })
        .unwrap();
    assert_eq!(a.allocation.state, AllocationState::Pending);
    assert_eq!(a.order_id, order_id);

    // A matched order takes no more bids, acceptances or cancellation.
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 1), &[]);
    assert!(
        err.contains(&format!(
            "order {order_id} is matched; bids need an open order"
        )),
        "{err}"
    );
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::AcceptBid { bid_id: b1.clone() },
        &[],
    );
    assert!(err.contains("is matched"), "{err}");
}

#[test]
fn bid_ids_must_match_their_provider() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let order_id = s.create_order(&offering, 1, 1_000);
    let b1 = s.place_bid(&order_id, 900);
    let customer = s.customer.clone();
    let forged = b1.replace(s.provider.as_str(), s.provider2.as_str());
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::AcceptBid {
            bid_id: forged.clone(),
        },
        &[],
    );
    assert!(err.contains(&format!("bid {forged} not found")), "{err}");
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::AcceptBid {
            bid_id: format!("{order_id}/1"),
        },
        &[],
    );
    assert!(err.contains("invalid bid id"), "{err}");
    let list: BidsResponse = s
        .query(&QueryMsg::BidsByOrder {
            order_id: order_id.clone(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(list.bids.len(), 1);
    assert_eq!(list.bids[0].id, b1);
}

#[test]
fn paused_offering_takes_no_bids() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let order_id = s.create_order(&offering, 1, 1_000);
    let provider = s.provider.clone();
    s.exec(
        &provider,
        &ExecuteMsg::PauseOffering {
            offering_id: offering.clone(),
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 900), &[]);
    assert!(
        err.contains(&format!(
            "offering {offering} is paused and takes no new orders"
        )),
        "{err}"
    );
}

/// Bids are placed and accepted only while the offering is active: an
/// admin suspension (or a provider's pause) after the bid was placed stops
/// the match, and the refused accept changes nothing.
#[test]
fn bids_are_accepted_only_on_active_offerings() {
    let mut s = Suite::new();
    let (admin, provider, customer) = (s.admin.clone(), s.provider.clone(), s.customer.clone());
    let offering = s.create_offering();
    let order_id = s.create_order(&offering, 2, 60_000);
    let bid_id = s.place_bid(&order_id, 50_000);
    let accept = ExecuteMsg::AcceptBid {
        bid_id: bid_id.clone(),
    };

    for (who, pause, resume, state) in [
        (
            &admin,
            ExecuteMsg::SuspendOffering {
                offering_id: offering.clone(),
                reason: "under review".into(),
            },
            &admin,
            "suspended",
        ),
        (
            &provider,
            ExecuteMsg::PauseOffering {
                offering_id: offering.clone(),
            },
            &provider,
            "paused",
        ),
    ] {
        s.exec(who, &pause, &[]).unwrap();
        let (order_before, bid_before) = (order(&s, &order_id), bid(&s, &bid_id));
        let balance_before = s.balance(&customer, DENOM);
        let err = s.exec_fails(&customer, &accept, &[]);
        assert!(
            err.contains(&format!(
                "offering {offering} is {state}; accepting a bid needs an active offering"
            )),
            "{err}"
        );
        assert_eq!(order(&s, &order_id), order_before);
        assert_eq!(order_before.order.state, OrderState::Open);
        assert_eq!(bid(&s, &bid_id), bid_before);
        assert_eq!(bid_before.bid.state, BidState::Open);
        assert_eq!(s.balance(&customer, DENOM), balance_before);
        // No new bid either.
        let err = s.exec_fails(&provider, &place_bid_msg(&order_id, 40_000), &[]);
        assert!(
            err.contains(&format!(
                "offering {offering} is {state} and takes no new orders"
            )),
            "{err}"
        );
        s.exec(
            resume,
            &ExecuteMsg::ResumeOffering {
                offering_id: offering.clone(),
            },
            &[],
        )
        .unwrap();
    }

    // Active again: the same bid is accepted.
    let allocation = s.accept_bid(&bid_id);
    assert_eq!(order(&s, &order_id).order.state, OrderState::Matched);
    let a: AllocationResponse = s
        .query(&QueryMsg::Allocation {
            allocation_id: allocation,
        })
        .unwrap();
    assert_eq!(a.allocation.state, AllocationState::Pending);
}
