//! Property test: random sequences of deposits, usage, acknowledgements,
//! disputes, settlements, refunds, expiries, ends and reclaims never create
//! or lose money, no escrow ever owes more than it holds, and no usage
//! period of an ended escrow ends after its end.

mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use proptest::prelude::*;
use settlement::msg::{ExecuteMsg, QueryMsg, UsageRecordsResponse};
use ve_types::UsageRecordState;

const ESCROWS: u64 = 3;

#[derive(Debug, Clone)]
enum Op {
    Open {
        escrow: u64,
        amount: u128,
        expires_in: u64,
    },
    Deposit {
        escrow: u64,
        amount: u128,
    },
    Record {
        escrow: u64,
        gpu: bool,
        units: u128,
    },
    Acknowledge {
        escrow: u64,
        pick: usize,
    },
    Dispute {
        escrow: u64,
        pick: usize,
    },
    Resolve {
        escrow: u64,
        pick: usize,
        uphold: bool,
    },
    Settle {
        escrow: u64,
        finalize: bool,
    },
    Refund {
        escrow: u64,
    },
    Expire {
        escrow: u64,
    },
    End {
        escrow: u64,
    },
    Reclaim {
        escrow: u64,
    },
    Advance {
        seconds: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let e = 1..=ESCROWS;
    // Weighted so that escrows live long enough to see usage, disputes and
    // settlements before a refund or expiry closes them.
    prop_oneof![
        2 => (e.clone(), 1u128..2_000_000, 3_600u64..400_000).prop_map(|(escrow, amount, expires_in)| Op::Open { escrow, amount, expires_in }),
        1 => (e.clone(), 1u128..100_000).prop_map(|(escrow, amount)| Op::Deposit { escrow, amount }),
        6 => (e.clone(), any::<bool>(), 1u128..2_000).prop_map(|(escrow, gpu, units)| Op::Record { escrow, gpu, units }),
        3 => (e.clone(), 0usize..8).prop_map(|(escrow, pick)| Op::Acknowledge { escrow, pick }),
        2 => (e.clone(), 0usize..8).prop_map(|(escrow, pick)| Op::Dispute { escrow, pick }),
        2 => (e.clone(), 0usize..8, any::<bool>()).prop_map(|(escrow, pick, uphold)| Op::Resolve { escrow, pick, uphold }),
        3 => (e.clone(), any::<bool>()).prop_map(|(escrow, finalize)| Op::Settle { escrow, finalize }),
        1 => e.clone().prop_map(|escrow| Op::Refund { escrow }),
        1 => e.clone().prop_map(|escrow| Op::Expire { escrow }),
        1 => e.clone().prop_map(|escrow| Op::End { escrow }),
        2 => e.prop_map(|escrow| Op::Reclaim { escrow }),
        2 => (0u64..120_000).prop_map(|seconds| Op::Advance { seconds }),
    ]
}

struct World {
    s: Suite,
    accounts: Vec<cosmwasm_std::Addr>,
    total: u128,
}

impl World {
    fn new() -> Self {
        let s = Suite::new();
        let accounts = vec![
            s.marketplace.clone(),
            s.customer.clone(),
            s.provider.clone(),
            s.treasury.clone(),
            s.community.clone(),
            s.contract.clone(),
        ];
        let total = accounts.iter().map(|a| s.balance(a)).sum();
        World { s, accounts, total }
    }

    fn records(&self, escrow: &str, state: Option<UsageRecordState>) -> Vec<u64> {
        let page: UsageRecordsResponse = self
            .s
            .query(&QueryMsg::UsageRecordsByEscrow {
                escrow_id: escrow.into(),
                state,
                start_after: None,
                limit: Some(100),
            })
            .unwrap();
        page.records.into_iter().map(|r| r.id).collect()
    }

    fn apply(&mut self, op: &Op) {
        let s = &mut self.s;
        let (marketplace, customer, provider, arbiter, stranger) = (
            s.marketplace.clone(),
            s.customer.clone(),
            s.provider.clone(),
            s.arbiter.clone(),
            s.stranger.clone(),
        );
        let id = |n: u64| format!("order:{customer}/{n}");
        let pick = |ids: Vec<u64>, i: usize| (!ids.is_empty()).then(|| ids[i % ids.len()]);
        // Failures are expected (wrong state, nothing to settle, ...); the
        // invariants are checked after every step either way.
        let _ = match op {
            Op::Open {
                escrow,
                amount,
                expires_in,
            } => {
                let msg = s.create_msg(&id(*escrow), Some(&customer), *expires_in);
                s.exec(&marketplace, &msg, &[coin(*amount, DENOM)])
            }
            Op::Deposit { escrow, amount } => s.exec(
                &customer,
                &ExecuteMsg::Deposit {
                    escrow_id: id(*escrow),
                },
                &[coin(*amount, DENOM)],
            ),
            Op::Record { escrow, gpu, units } => {
                s.advance(1_800);
                let end = s.now().seconds();
                let kind = if *gpu { "gpu_hour" } else { "cpu_hour" };
                let msg = s.record_msg(&id(*escrow), kind, *units, end - 1_800, end);
                s.exec(&provider, &msg, &[])
            }
            Op::Acknowledge { escrow, pick: i } => {
                let Some(r) = pick(
                    self.records(&id(*escrow), Some(UsageRecordState::Pending)),
                    *i,
                ) else {
                    return;
                };
                self.s.exec(
                    &customer,
                    &ExecuteMsg::AcknowledgeUsage {
                        record_ids: vec![r],
                    },
                    &[],
                )
            }
            Op::Dispute { escrow, pick: i } => {
                let Some(r) = pick(
                    self.records(&id(*escrow), Some(UsageRecordState::Pending)),
                    *i,
                ) else {
                    return;
                };
                self.s.exec(
                    &customer,
                    &ExecuteMsg::DisputeUsage {
                        record_id: r,
                        reason: "check".into(),
                    },
                    &[],
                )
            }
            Op::Resolve {
                escrow,
                pick: i,
                uphold,
            } => {
                let Some(r) = pick(
                    self.records(&id(*escrow), Some(UsageRecordState::Disputed)),
                    *i,
                ) else {
                    return;
                };
                let (upheld, rejected) = if *uphold {
                    (vec![r], vec![])
                } else {
                    (vec![], vec![r])
                };
                self.s.exec(
                    &arbiter,
                    &ExecuteMsg::ResolveDispute {
                        escrow_id: id(*escrow),
                        upheld,
                        rejected,
                    },
                    &[],
                )
            }
            Op::Settle { escrow, finalize } => s.exec(
                &provider,
                &ExecuteMsg::Settle {
                    escrow_id: id(*escrow),
                    record_ids: None,
                    finalize: *finalize,
                },
                &[],
            ),
            Op::Refund { escrow } => s.exec(
                &provider,
                &ExecuteMsg::RefundEscrow {
                    escrow_id: id(*escrow),
                },
                &[],
            ),
            Op::Expire { escrow } => s.exec(
                &stranger,
                &ExecuteMsg::ExpireEscrow {
                    escrow_id: id(*escrow),
                },
                &[],
            ),
            Op::End { escrow } => s.exec(
                &marketplace,
                &ExecuteMsg::EndOrderEscrow {
                    escrow_id: id(*escrow),
                },
                &[],
            ),
            Op::Reclaim { escrow } => s.exec(
                &customer,
                &ExecuteMsg::ReclaimUnreserved {
                    escrow_id: id(*escrow),
                },
                &[],
            ),
            Op::Advance { seconds } => {
                s.advance(*seconds);
                return;
            }
        };
    }

    fn check(&self) {
        let s = &self.s;
        let customer = s.customer.clone();
        let mut held = 0u128;
        for n in 1..=ESCROWS {
            let id = format!("order:{customer}/{n}");
            let Ok(e) = s.query::<settlement::msg::EscrowResponse>(&QueryMsg::Escrow {
                escrow_id: id.clone(),
            }) else {
                continue;
            };
            let x = &e.escrow;
            // Per escrow: every coin paid in is paid out or still held.
            assert_eq!(
                x.deposited,
                x.paid_provider + x.paid_fees + x.refunded + e.balance,
                "{id}"
            );
            assert!(
                e.reserved <= e.balance,
                "{id} reserves {} of {}",
                e.reserved,
                e.balance
            );
            // Payouts are exactly the settled usage.
            let settled: Uint128 = self
                .records(&id, Some(UsageRecordState::Settled))
                .into_iter()
                .map(|r| {
                    let rec: settlement::msg::UsageRecordResponse =
                        s.query(&QueryMsg::UsageRecord { record_id: r }).unwrap();
                    rec.record.cost
                })
                .sum();
            assert_eq!(x.paid_provider + x.paid_fees, settled, "{id}");
            // Nothing is billed past the escrow's end.
            if let Some(ended_at) = x.ended_at {
                for r in self.records(&id, None) {
                    let rec: settlement::msg::UsageRecordResponse =
                        s.query(&QueryMsg::UsageRecord { record_id: r }).unwrap();
                    assert!(rec.record.period_end <= ended_at, "{id}: record {r}");
                }
            }
            // The fee parts never exceed their share.
            assert!(
                x.paid_fees.u128() * 10_000
                    <= settled.u128() * u128::from(PLATFORM_BPS + COMMUNITY_BPS)
            );
            held += e.balance.u128();
        }
        assert_eq!(
            s.balance(&s.contract),
            held,
            "the contract holds exactly the escrow balances"
        );
        let total: u128 = self.accounts.iter().map(|a| s.balance(a)).sum();
        assert_eq!(total, self.total, "money was created or destroyed");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn money_is_conserved(ops in prop::collection::vec(op(), 1..60)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op);
            world.check();
        }
    }
}
