mod common;

use common::*;
use cosmwasm_std::Uint128;
use marketplace::msg::{
    AllocationsResponse, ExecuteMsg, OfferingPriceResponse, OfferingsResponse, OrdersResponse,
    QueryMsg,
};
use ve_types::{AllocationState, Category, OfferingState};

fn ids(r: &OfferingsResponse) -> Vec<String> {
    r.offerings.iter().map(|o| o.id.clone()).collect()
}

/// Reads every page of `make(start_after)` and returns the IDs in order.
fn all_pages(s: &Suite, make: impl Fn(Option<String>) -> QueryMsg) -> Vec<String> {
    let mut out = vec![];
    let mut start = None;
    loop {
        let page: OfferingsResponse = s.query(&make(start.clone())).unwrap();
        if page.offerings.is_empty() {
            return out;
        }
        start = page.offerings.last().map(|o| o.id.clone());
        out.extend(ids(&page));
    }
}

#[test]
fn offering_lists_filter_and_paginate() {
    let mut s = Suite::new();
    let (p1, p2) = (s.provider.clone(), s.provider2.clone());
    // p1: 12 compute offerings, p2: 3 gpu offerings; pause a few of p1's.
    for i in 0..12 {
        s.create_offering_as(&p1, offering_fields(&format!("c{i}")));
    }
    for i in 0..3 {
        let mut f = offering_fields(&format!("g{i}"));
        f.category = Category::Gpu;
        s.create_offering_as(&p2, f);
    }
    for seq in [2, 5, 11] {
        s.exec(
            &p1,
            &ExecuteMsg::PauseOffering {
                offering_id: format!("{p1}/{seq}"),
            },
            &[],
        )
        .unwrap();
    }

    // Default page is 10, max 100.
    let page: OfferingsResponse = s
        .query(&QueryMsg::Offerings {
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(page.offerings.len(), 10);
    let page: OfferingsResponse = s
        .query(&QueryMsg::Offerings {
            start_after: None,
            limit: Some(1000),
        })
        .unwrap();
    assert_eq!(page.offerings.len(), 15);
    let all = all_pages(&s, |start_after| QueryMsg::Offerings {
        start_after,
        limit: Some(4),
    });
    assert_eq!(all.len(), 15);

    let by_p1 = all_pages(&s, |start_after| QueryMsg::OfferingsByProvider {
        provider: p1.to_string(),
        state: None,
        start_after,
        limit: Some(5),
    });
    let expected: Vec<String> = (1..=12).map(|i| format!("{p1}/{i}")).collect();
    assert_eq!(by_p1, expected);

    let paused = all_pages(&s, |start_after| QueryMsg::OfferingsByProvider {
        provider: p1.to_string(),
        state: Some(OfferingState::Paused),
        start_after,
        limit: Some(2),
    });
    assert_eq!(
        paused,
        vec![format!("{p1}/2"), format!("{p1}/5"), format!("{p1}/11")]
    );

    let gpu = all_pages(&s, |start_after| QueryMsg::OfferingsByCategory {
        category: Category::Gpu,
        state: None,
        start_after,
        limit: Some(2),
    });
    assert_eq!(
        gpu,
        (1..=3).map(|i| format!("{p2}/{i}")).collect::<Vec<_>>()
    );
    let active_compute = all_pages(&s, |start_after| QueryMsg::OfferingsByCategory {
        category: Category::Compute,
        state: Some(OfferingState::Active),
        start_after,
        limit: Some(3),
    });
    assert_eq!(active_compute.len(), 9);
    assert!(!active_compute.contains(&format!("{p1}/5")));

    let active = all_pages(&s, |start_after| QueryMsg::OfferingsByState {
        state: OfferingState::Active,
        start_after,
        limit: Some(7),
    });
    assert_eq!(active.len(), 12);
    let hpc: OfferingsResponse = s
        .query(&QueryMsg::OfferingsByCategory {
            category: Category::Hpc,
            state: None,
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert!(hpc.offerings.is_empty());

    // A cursor from another provider is refused, not silently misused.
    let err = s
        .query::<OfferingsResponse>(&QueryMsg::OfferingsByProvider {
            provider: p1.to_string(),
            state: None,
            start_after: Some(format!("{p2}/1")),
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("is not an offering of"), "{err}");
    let err = s
        .query::<OfferingsResponse>(&QueryMsg::OfferingsByProvider {
            provider: "not an address".into(),
            state: None,
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid provider"), "{err}");
}

#[test]
fn offering_price_multiplies_exactly() {
    let mut s = Suite::new();
    let id = s.create_offering();
    let price: OfferingPriceResponse = s
        .query(&QueryMsg::OfferingPrice {
            offering_id: id.clone(),
            quantity: Some(3),
        })
        .unwrap();
    assert_eq!(price.total, Uint128::new(150_000));
    assert_eq!(price.pricing.denom, DENOM);
    let one: OfferingPriceResponse = s
        .query(&QueryMsg::OfferingPrice {
            offering_id: id.clone(),
            quantity: None,
        })
        .unwrap();
    assert_eq!(one.total, Uint128::new(50_000));
    let err = s
        .query::<OfferingPriceResponse>(&QueryMsg::OfferingPrice {
            offering_id: id,
            quantity: Some(0),
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid quantity"), "{err}");
}

#[test]
fn orders_and_allocations_by_party() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let (c1, c2, p1, p2) = (
        s.customer.clone(),
        s.customer2.clone(),
        s.provider.clone(),
        s.provider2.clone(),
    );
    let other_offering = s.create_offering_as(&p2, offering_fields("other"));
    let mut allocs = vec![];
    for _ in 0..3 {
        let order = s.create_order(&offering, 1, 100);
        let bid = s.place_bid(&order, 90);
        allocs.push(s.accept_bid(&bid));
    }
    let o2 = s.create_order_as(&c2, &offering, 1, 100);
    let o3 = s.create_order_as(&c2, &other_offering, 1, 100);
    let bid = {
        let msg = ExecuteMsg::PlaceBid {
            order_id: o3.clone(),
            price: Uint128::new(80),
            ttl_seconds: None,
        };
        let res = s.exec(&p2, &msg, &[]).unwrap();
        event_attrs(&res, "ve.bid_placed")["bid_id"].clone()
    };
    let c2_alloc = {
        let res = s
            .exec(&c2, &ExecuteMsg::AcceptBid { bid_id: bid }, &[])
            .unwrap();
        event_attrs(&res, "ve.allocation_created")["allocation_id"].clone()
    };

    let mine: OrdersResponse = s
        .query(&QueryMsg::OrdersByCustomer {
            customer: c1.to_string(),
            start_after: None,
            limit: Some(2),
        })
        .unwrap();
    assert_eq!(
        mine.orders.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
        vec![format!("{c1}/1"), format!("{c1}/2")]
    );
    let rest: OrdersResponse = s
        .query(&QueryMsg::OrdersByCustomer {
            customer: c1.to_string(),
            start_after: Some(format!("{c1}/2")),
            limit: None,
        })
        .unwrap();
    assert_eq!(rest.orders.len(), 1);
    let err = s
        .query::<OrdersResponse>(&QueryMsg::OrdersByCustomer {
            customer: c1.to_string(),
            start_after: Some(o2.clone()),
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("is not an order of"), "{err}");

    let on_offering: OrdersResponse = s
        .query(&QueryMsg::OrdersByOffering {
            offering_id: offering.clone(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(on_offering.orders.len(), 4);
    assert!(on_offering.orders.iter().all(|o| o.offering_id == offering));
    let page2: OrdersResponse = s
        .query(&QueryMsg::OrdersByOffering {
            offering_id: offering.clone(),
            start_after: Some(on_offering.orders[1].id.clone()),
            limit: Some(10),
        })
        .unwrap();
    assert_eq!(page2.orders.len(), 2);

    let by_c1: AllocationsResponse = s
        .query(&QueryMsg::AllocationsByCustomer {
            customer: c1.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        by_c1
            .allocations
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>(),
        allocs
    );
    let after_first: AllocationsResponse = s
        .query(&QueryMsg::AllocationsByCustomer {
            customer: c1.to_string(),
            start_after: Some(allocs[0].clone()),
            limit: Some(1),
        })
        .unwrap();
    assert_eq!(after_first.allocations.len(), 1);
    assert_eq!(after_first.allocations[0].id, allocs[1]);

    let by_p1: AllocationsResponse = s
        .query(&QueryMsg::AllocationsByProvider {
            provider: p1.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(by_p1.allocations.len(), 3);
    let by_p2: AllocationsResponse = s
        .query(&QueryMsg::AllocationsByProvider {
            provider: p2.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(
        by_p2
            .allocations
            .iter()
            .map(|a| a.id.clone())
            .collect::<Vec<_>>(),
        vec![c2_alloc.clone()]
    );
    // The provider index follows state changes without duplicates.
    s.activate(&allocs[0]);
    let by_p1: AllocationsResponse = s
        .query(&QueryMsg::AllocationsByProvider {
            provider: p1.to_string(),
            start_after: None,
            limit: None,
        })
        .unwrap();
    assert_eq!(by_p1.allocations.len(), 3);
    assert_eq!(
        by_p1.allocations[0].allocation.state,
        AllocationState::Active
    );
}

#[test]
fn missing_entities_are_named() {
    let s = Suite::new();
    let c = s.customer.clone();
    let err = s
        .query::<serde_json::Value>(&QueryMsg::Order {
            order_id: format!("{c}/5"),
        })
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("order {c}/5 not found")),
        "{err}"
    );
    let err = s
        .query::<serde_json::Value>(&QueryMsg::Bid {
            bid_id: format!("{c}/5/{c}/1"),
        })
        .unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    let err = s
        .query::<serde_json::Value>(&QueryMsg::Offering {
            offering_id: "x".into(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid offering id"), "{err}");
}
