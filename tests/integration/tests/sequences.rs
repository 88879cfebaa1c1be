//! Random sequences of the executes of all four contracts (orders, bids,
//! allocations and their signed state and usage callbacks, settlement's
//! acknowledgements, disputes, settlements, refunds and expiries, HPC jobs,
//! time jumps). After every step: money is conserved across every account
//! and contract, each escrow's `deposited` equals what it paid out plus
//! what it holds, and a refused step moved no money. At the end, after
//! time passes every window and every permissionless release call has run
//! (the arbiter deciding open disputes, customers cancelling open orders),
//! every escrow is final with nothing left in it.

use cosmwasm_std::{Addr, Coin};
use proptest::prelude::*;
use settlement::msg::ExecuteMsg as Settle;
use ve_integration_tests::world::*;
use ve_types::{ActionType, AllocationState, EscrowState, JobState, OrderState, UsageRecordState};

use marketplace::msg::ExecuteMsg as Market;

#[derive(Debug, Clone)]
enum Step {
    Order {
        second_customer: bool,
        second_provider: bool,
        quantity: u32,
    },
    Bid {
        order: u8,
        discount: u128,
    },
    Accept {
        bid: u8,
    },
    CancelOrder {
        order: u8,
    },
    Terminate {
        alloc: u8,
        by_provider: bool,
    },
    Pause {
        alloc: u8,
        by_provider: bool,
    },
    Resume {
        alloc: u8,
        by_provider: bool,
    },
    Report {
        alloc: u8,
        state: u8,
    },
    Usage {
        alloc: u8,
        units: u128,
        via_callback: bool,
    },
    Ack {
        escrow: u8,
        record: u8,
    },
    Dispute {
        escrow: u8,
        record: u8,
    },
    Resolve {
        escrow: u8,
        upheld: bool,
    },
    Settle {
        escrow: u8,
        finalize: bool,
        by_customer: bool,
    },
    Refund {
        escrow: u8,
    },
    Expire {
        escrow: u8,
    },
    Advance {
        seconds: u64,
    },
    SubmitJob {
        nodes: u32,
        hours: u64,
    },
    JobReport {
        job: u8,
        state: u8,
        used: u64,
    },
    CancelJob {
        job: u8,
        by_provider: bool,
    },
    TimeoutJob {
        job: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let i = any::<u8>;
    prop_oneof![
        3 => (any::<bool>(), any::<bool>(), 1u32..4).prop_map(|(c, p, quantity)| Step::Order {
            second_customer: c,
            second_provider: p,
            quantity
        }),
        3 => (i(), 0u128..300).prop_map(|(order, discount)| Step::Bid { order, discount }),
        3 => i().prop_map(|bid| Step::Accept { bid }),
        1 => i().prop_map(|order| Step::CancelOrder { order }),
        1 => (i(), any::<bool>()).prop_map(|(alloc, by_provider)| Step::Terminate { alloc, by_provider }),
        1 => (i(), any::<bool>()).prop_map(|(alloc, by_provider)| Step::Pause { alloc, by_provider }),
        1 => (i(), any::<bool>()).prop_map(|(alloc, by_provider)| Step::Resume { alloc, by_provider }),
        4 => (i(), i()).prop_map(|(alloc, state)| Step::Report { alloc, state }),
        4 => (i(), 1u128..4, any::<bool>()).prop_map(|(alloc, units, via_callback)| Step::Usage {
            alloc,
            units,
            via_callback
        }),
        2 => (i(), i()).prop_map(|(escrow, record)| Step::Ack { escrow, record }),
        1 => (i(), i()).prop_map(|(escrow, record)| Step::Dispute { escrow, record }),
        1 => (i(), any::<bool>()).prop_map(|(escrow, upheld)| Step::Resolve { escrow, upheld }),
        2 => (i(), any::<bool>(), any::<bool>()).prop_map(|(escrow, finalize, by_customer)| {
            Step::Settle { escrow, finalize, by_customer }
        }),
        1 => i().prop_map(|escrow| Step::Refund { escrow }),
        1 => i().prop_map(|escrow| Step::Expire { escrow }),
        3 => prop::sample::select(vec![60u64, 3_600, 86_401, 7 * 86_400, 31 * 86_400])
            .prop_map(|seconds| Step::Advance { seconds }),
        2 => (1u32..4, 1u64..4).prop_map(|(nodes, hours)| Step::SubmitJob { nodes, hours }),
        3 => (i(), i(), 0u64..40_000).prop_map(|(job, state, used)| Step::JobReport { job, state, used }),
        1 => (i(), any::<bool>()).prop_map(|(job, by_provider)| Step::CancelJob { job, by_provider }),
        1 => i().prop_map(|job| Step::TimeoutJob { job }),
    ]
}

/// What the test remembers of what it created.
struct Model {
    offerings: [String; 2],
    hpc_offering: String,
    orders: Vec<(Addr, Addr, String)>,
    bids: Vec<(Addr, String)>,
    allocations: Vec<(Addr, Addr, String, String)>,
    jobs: Vec<String>,
}

fn pick<T>(items: &[T], i: u8) -> Option<&T> {
    (!items.is_empty()).then(|| &items[i as usize % items.len()])
}

fn data(res: &cw_multi_test::AppResponse) -> String {
    cosmwasm_std::from_json(res.data.as_ref().unwrap()).unwrap()
}

fn balances(w: &World) -> Vec<u128> {
    w.accounts().iter().map(|a| w.balance(a)).collect()
}

fn records(w: &World, escrow: &str) -> Vec<settlement::msg::UsageRecordResponse> {
    let page: settlement::msg::UsageRecordsResponse = w
        .query(
            &w.settlement,
            &settlement::msg::QueryMsg::UsageRecordsByEscrow {
                escrow_id: escrow.into(),
                state: None,
                start_after: None,
                limit: Some(100),
            },
        )
        .unwrap();
    page.records
}

fn allocation_state(w: &World, a: &str) -> AllocationState {
    w.allocation(a).allocation.state
}

fn open_orders(w: &World, m: &Model) -> Vec<(Addr, Addr, String)> {
    m.orders
        .iter()
        .filter(|(_, _, o)| {
            let res: marketplace::msg::OrderResponse = w
                .query(
                    &w.marketplace,
                    &marketplace::msg::QueryMsg::Order {
                        order_id: o.clone(),
                    },
                )
                .unwrap();
            res.order.state == OrderState::Open
        })
        .cloned()
        .collect()
}

fn open_bids(w: &World, m: &Model) -> Vec<(Addr, String)> {
    m.bids
        .iter()
        .filter(|(_, b)| {
            let res: marketplace::msg::BidResponse = w
                .query(
                    &w.marketplace,
                    &marketplace::msg::QueryMsg::Bid { bid_id: b.clone() },
                )
                .unwrap();
            res.effective_state == ve_types::BidState::Open
        })
        .cloned()
        .collect()
}

fn live_jobs(w: &World, m: &Model) -> Vec<String> {
    m.jobs
        .iter()
        .filter(|j| {
            matches!(
                w.job(j).job.state,
                JobState::Pending | JobState::Queued | JobState::Running
            )
        })
        .cloned()
        .collect()
}

/// Runs one step; `Ok(true)` if it was accepted, `Ok(false)` if refused
/// or not applicable.
fn run(w: &mut World, m: &mut Model, s: &Step) -> bool {
    let (customer, provider, arbiter, stranger) = (
        w.customer.clone(),
        w.provider.clone(),
        w.arbiter.clone(),
        w.stranger.clone(),
    );
    let escrows = w.escrows();
    let escrow_at = |i: u8| pick(&escrows, i).map(|e| e.id.clone());
    let res: Option<Result<cw_multi_test::AppResponse, _>> = match s {
        Step::Order {
            second_customer,
            second_provider,
            quantity,
        } => {
            let c = if *second_customer {
                w.customer2.clone()
            } else {
                customer
            };
            let (p, price) = if *second_provider {
                (w.provider2.clone(), 700)
            } else {
                (provider, 1_000)
            };
            let offering = m.offerings[*second_provider as usize].clone();
            let r = w.market(
                &c,
                &ve_testing::create_order_msg(&offering, *quantity, price),
                &[Coin::new(
                    price * *quantity as u128,
                    ve_integration_tests::DENOM,
                )],
            );
            if let Ok(r) = &r {
                let order = data(r);
                m.orders.push((c, p.clone(), order.clone()));
                // Its provider bids at once (the bid may be accepted later).
                let bid = w.bid(&p, &order, price - 10 * *quantity as u128);
                m.bids.push((p, bid));
            }
            Some(r)
        }
        Step::Bid { order, discount } => {
            pick(&open_orders(w, m), *order).cloned().map(|(_, p, o)| {
                let price = if p == w.provider2 { 700 } else { 1_000 };
                let r = w.market(
                    &p,
                    &Market::PlaceBid {
                        order_id: o,
                        price: (price - discount).into(),
                        ttl_seconds: None,
                    },
                    &[],
                );
                if let Ok(r) = &r {
                    m.bids.push((p, data(r)));
                }
                r
            })
        }
        Step::Accept { bid } => pick(&open_bids(w, m), *bid).cloned().map(|(p, b)| {
            let order = m
                .orders
                .iter()
                .find(|o| b.starts_with(&format!("{}/", o.2)));
            let (c, _, o) = order.unwrap().clone();
            let r = w.market(&c, &Market::AcceptBid { bid_id: b }, &[]);
            if let Ok(r) = &r {
                m.allocations.push((c, p, o, data(r)));
            }
            r
        }),
        Step::CancelOrder { order } => pick(&m.orders, *order)
            .cloned()
            .map(|(c, _, o)| w.market(&c, &Market::CancelOrder { order_id: o }, &[])),
        Step::Terminate { alloc, by_provider }
        | Step::Pause { alloc, by_provider }
        | Step::Resume { alloc, by_provider } => {
            pick(&m.allocations, *alloc).cloned().map(|(c, p, _, a)| {
                let who = if *by_provider { p } else { c };
                let msg = match s {
                    Step::Terminate { .. } => Market::TerminateAllocation {
                        allocation_id: a,
                        reason: None,
                    },
                    Step::Pause { .. } => Market::PauseAllocation { allocation_id: a },
                    _ => Market::ResumeAllocation { allocation_id: a },
                };
                w.market(&who, &msg, &[])
            })
        }
        Step::Report { alloc, state } => {
            let live: Vec<_> = m
                .allocations
                .iter()
                .filter(|x| {
                    !matches!(
                        allocation_state(w, &x.3),
                        AllocationState::Terminated
                            | AllocationState::Rejected
                            | AllocationState::Failed
                    )
                })
                .cloned()
                .collect();
            pick(&live, *alloc).cloned().map(|(_, p, _, a)| {
                use AllocationState as A;
                // Mostly the next state of the life cycle, sometimes a
                // failure or a state that does not follow.
                let next: &[(ActionType, A)] = match allocation_state(w, &a) {
                    A::Pending => &[
                        (ActionType::Provision, A::Accepted),
                        (ActionType::Provision, A::Rejected),
                    ],
                    A::Accepted => &[
                        (ActionType::Provision, A::Provisioning),
                        (ActionType::Provision, A::Failed),
                    ],
                    A::Provisioning => &[
                        (ActionType::Provision, A::Active),
                        (ActionType::Provision, A::Failed),
                    ],
                    A::Active => &[
                        (ActionType::StatusUpdate, A::Suspended),
                        (ActionType::Terminate, A::Terminating),
                    ],
                    A::Suspended => &[
                        (ActionType::StatusUpdate, A::Active),
                        (ActionType::Terminate, A::Terminating),
                    ],
                    _ => &[
                        (ActionType::Terminate, A::Terminated),
                        (ActionType::Terminate, A::Failed),
                    ],
                };
                let (action, state) = match *state % 8 {
                    0..=4 => next[0],
                    5 | 6 => next[1],
                    _ => (ActionType::StatusUpdate, A::Active),
                };
                let cb = w.state_callback_of(&p, action, &a, state);
                w.submit(&cb)
            })
        }
        Step::Usage {
            alloc,
            units,
            via_callback,
        } => {
            let running: Vec<_> = m
                .allocations
                .iter()
                .filter(|x| {
                    matches!(
                        allocation_state(w, &x.3),
                        AllocationState::Active
                            | AllocationState::Suspended
                            | AllocationState::Terminating
                    )
                })
                .cloned()
                .collect();
            pick(&running, *alloc).cloned().map(|(_, p, o, a)| {
                let escrow = format!("order:{o}");
                let opened = match w.query::<settlement::msg::EscrowResponse, _>(
                    &w.settlement,
                    &settlement::msg::QueryMsg::Escrow {
                        escrow_id: escrow.clone(),
                    },
                ) {
                    Ok(e) => e.escrow.created_at.seconds(),
                    Err(_) => w.now(),
                };
                let summary: settlement::msg::UsageSummaryResponse = w
                    .query(
                        &w.settlement,
                        &settlement::msg::QueryMsg::UsageSummary {
                            allocation_id: a.clone(),
                        },
                    )
                    .unwrap();
                let start = summary
                    .usage
                    .iter()
                    .map(|u| u.last_period_end.seconds())
                    .max()
                    .unwrap_or(opened)
                    .max(opened);
                if start + 3_600 > w.now() {
                    w.advance(start + 3_600 - w.now());
                }
                let end = w.now();
                if *via_callback {
                    let cb = w.usage_callback(&p, &a, *units, start, end);
                    w.submit(&cb)
                } else {
                    w.settle(&p, &World::record_msg(&escrow, &a, *units, start, end), &[])
                }
            })
        }
        Step::Ack { escrow, record } | Step::Dispute { escrow, record } => escrow_at(*escrow)
            .and_then(|e| {
                let rs: Vec<_> = records(w, &e)
                    .into_iter()
                    .filter(|r| r.record.state == UsageRecordState::Pending)
                    .collect();
                let c = escrows
                    .iter()
                    .find(|x| x.id == e)
                    .unwrap()
                    .escrow
                    .customer
                    .clone();
                pick(&rs, *record).map(|r| {
                    let msg = if matches!(s, Step::Ack { .. }) {
                        Settle::AcknowledgeUsage {
                            record_ids: vec![r.id],
                        }
                    } else {
                        Settle::DisputeUsage {
                            record_id: r.id,
                            reason: "not delivered".into(),
                        }
                    };
                    w.settle(&c, &msg, &[])
                })
            }),
        Step::Resolve { escrow, upheld } => escrow_at(*escrow).and_then(|e| {
            let disputed: Vec<u64> = records(w, &e)
                .iter()
                .filter(|r| r.record.state == UsageRecordState::Disputed)
                .map(|r| r.id)
                .collect();
            if disputed.is_empty() {
                return None;
            }
            let (up, rej) = if *upheld {
                (disputed, vec![])
            } else {
                (vec![], disputed)
            };
            Some(w.settle(
                &arbiter,
                &Settle::ResolveDispute {
                    escrow_id: e,
                    upheld: up,
                    rejected: rej,
                },
                &[],
            ))
        }),
        Step::Settle {
            escrow,
            finalize,
            by_customer,
        } => pick(&escrows, *escrow).cloned().map(|e| {
            let who = if *by_customer {
                e.escrow.customer
            } else {
                e.escrow.provider
            };
            w.settle(
                &who,
                &Settle::Settle {
                    escrow_id: e.id,
                    record_ids: None,
                    finalize: *finalize,
                },
                &[],
            )
        }),
        Step::Refund { escrow } => pick(&escrows, *escrow).cloned().map(|e| {
            w.settle(
                &e.escrow.provider,
                &Settle::RefundEscrow { escrow_id: e.id },
                &[],
            )
        }),
        Step::Expire { escrow } => escrow_at(*escrow)
            .map(|e| w.settle(&stranger, &Settle::ExpireEscrow { escrow_id: e }, &[])),
        Step::Advance { seconds } => {
            w.advance(*seconds);
            None
        }
        Step::SubmitJob { nodes, hours } => {
            let offering = m.hpc_offering.clone();
            match w.submit_job(&customer, &offering, *nodes, hours * 3_600) {
                Ok(job) => {
                    m.jobs.push(job);
                    Some(Ok(cw_multi_test::AppResponse::default()))
                }
                Err(e) => Some(Err(e)),
            }
        }
        Step::JobReport { job, state, used } => pick(&live_jobs(w, m), *job).cloned().map(|j| {
            let current = w.job(&j).job.state;
            let (state, used) = match (current, *state % 8) {
                (JobState::Pending, 0..=3) => (JobState::Queued, None),
                (JobState::Pending | JobState::Queued, _) => (JobState::Running, None),
                (_, 0..=3) => (JobState::Completed, Some(*used)),
                (_, 4) => (JobState::Completed, None),
                (_, 5) => (JobState::Failed, Some(*used)),
                (_, 6) => (JobState::Cancelled, None),
                _ => (JobState::Timeout, None),
            };
            let cb = w.job_callback(&provider, &j, state, used);
            w.submit(&cb)
        }),
        Step::CancelJob { job, by_provider } => pick(&live_jobs(w, m), *job).cloned().map(|j| {
            let who = if *by_provider { provider } else { customer };
            w.hpc_exec(
                &who,
                &hpc::msg::ExecuteMsg::CancelJob {
                    job_id: j,
                    reason: None,
                },
                &[],
            )
        }),
        Step::TimeoutJob { job } => pick(&live_jobs(w, m), *job).cloned().map(|j| {
            w.hpc_exec(
                &stranger,
                &hpc::msg::ExecuteMsg::TimeoutJob { job_id: j },
                &[],
            )
        }),
    };
    matches!(res, Some(Ok(_)))
}

fn final_state(state: EscrowState) -> bool {
    matches!(
        state,
        EscrowState::Released | EscrowState::Refunded | EscrowState::Expired
    )
}

/// Time passes every window; the arbiter decides what is disputed,
/// customers cancel their open orders, anyone times jobs out and expires
/// escrows.
fn close_everything(w: &mut World, m: &Model) {
    let (arbiter, stranger) = (w.arbiter.clone(), w.stranger.clone());
    for e in w.escrows() {
        if e.escrow.state == EscrowState::Disputed {
            let disputed: Vec<u64> = records(w, &e.id)
                .iter()
                .filter(|r| r.record.state == UsageRecordState::Disputed)
                .map(|r| r.id)
                .collect();
            w.settle(
                &arbiter,
                &Settle::ResolveDispute {
                    escrow_id: e.id.clone(),
                    upheld: disputed,
                    rejected: vec![],
                },
                &[],
            )
            .unwrap();
        }
    }
    for (c, _, o) in &m.orders {
        let res: marketplace::msg::OrderResponse = w
            .query(
                &w.marketplace,
                &marketplace::msg::QueryMsg::Order {
                    order_id: o.clone(),
                },
            )
            .unwrap();
        if res.order.state == OrderState::Open {
            w.market(
                c,
                &Market::CancelOrder {
                    order_id: o.clone(),
                },
                &[],
            )
            .unwrap();
        }
    }
    // Past every job's runtime and the acknowledgement window.
    w.advance(ACK_WINDOW + 43_200 + 1);
    for j in &m.jobs {
        let _ = w.hpc_exec(
            &stranger,
            &hpc::msg::ExecuteMsg::TimeoutJob { job_id: j.clone() },
            &[],
        );
    }
    // Past every escrow's expiry (30 days from acceptance) and the window
    // of anything recorded meanwhile.
    w.advance(31 * 86_400 + ACK_WINDOW + 1);
    for _ in 0..3 {
        for e in w.escrows() {
            if !final_state(e.escrow.state) {
                let _ = w.settle(
                    &stranger,
                    &Settle::ExpireEscrow {
                        escrow_id: e.id.clone(),
                    },
                    &[],
                );
            }
        }
    }
}

fn run_sequence(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut w = World::new();
    let (p, p2) = (w.provider.clone(), w.provider2.clone());
    let offerings = [w.offering(&p, 1_000), w.offering(&p2, 700)];
    let (_, hpc_offering) = w.hpc_offering(&p);
    let mut m = Model {
        offerings,
        hpc_offering,
        orders: vec![],
        bids: vec![],
        allocations: vec![],
        jobs: vec![],
    };
    // A start that every sequence builds on: an allocation of each
    // provider (active), an open order with an open bid, a pending job.
    let (c, c2) = (w.customer.clone(), w.customer2.clone());
    for (prov, cust, price, quantity, i) in [(&p, &c, 1_000, 2, 0), (&p2, &c2, 700, 3, 1)] {
        let order = w.order(cust, &m.offerings[i], quantity, price);
        let bid = w.bid(prov, &order, price - 100);
        let allocation = w.accept(cust, &bid);
        for state in [
            AllocationState::Accepted,
            AllocationState::Provisioning,
            AllocationState::Active,
        ] {
            let cb = w.state_callback_of(prov, ActionType::Provision, &allocation, state);
            w.submit(&cb).unwrap();
        }
        m.orders.push((cust.clone(), prov.clone(), order.clone()));
        m.allocations
            .push((cust.clone(), prov.clone(), order, allocation));
    }
    let order = w.order(&c, &m.offerings[0], 1, 1_000);
    let bid = w.bid(&p, &order, 950);
    m.orders.push((c.clone(), p.clone(), order));
    m.bids.push((p.clone(), bid));
    let job = w.submit_job(&c, &m.hpc_offering, 2, 7_200).unwrap();
    m.jobs.push(job);
    let total = w.total_money();
    for (n, s) in steps.iter().enumerate() {
        let before = balances(&w);
        let accepted = run(&mut w, &mut m, s);
        if !accepted {
            prop_assert_eq!(
                &before,
                &balances(&w),
                "refused step {} {:?} moved money",
                n,
                s
            );
        }
        if let Err(e) = w.check_money(total) {
            return Err(TestCaseError::fail(format!("after step {n} {s:?}: {e}")));
        }
    }
    close_everything(&mut w, &m);
    if let Err(e) = w.check_money(total) {
        return Err(TestCaseError::fail(format!("after closing: {e}")));
    }
    for e in w.escrows() {
        prop_assert!(
            final_state(e.escrow.state) && e.balance.is_zero() && e.reserved.is_zero(),
            "escrow {} is {:?} holding {} (reserved {}) after every window and release call",
            e.id,
            e.escrow.state,
            e.balance,
            e.reserved
        );
    }
    prop_assert_eq!(w.balance(&w.marketplace.clone()), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn money_is_conserved_and_nothing_is_stuck(steps in prop::collection::vec(step(), 10..=30)) {
        run_sequence(&steps)?;
    }
}
