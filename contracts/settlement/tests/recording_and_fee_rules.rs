//! Issue 16: who records usage on a contract's job escrow, usage only within
//! the escrow's lifetime, and fees on the escrow's cumulative gross. Every
//! refusal is checked by `exec_fails` to leave the contract's store and
//! every balance as they were; the escrow's answer is compared as well.

mod common;

use common::*;
use cosmwasm_std::{coin, Addr, Uint128};
use settlement::msg::{
    EscrowResponse, ExecuteMsg, NewEscrow, QueryMsg, SettlementsResponse, UsageRate,
    UsageRecordsResponse,
};
use ve_types::EscrowState;

fn record_id(res: cw_multi_test::AppResponse) -> u64 {
    cosmwasm_std::from_json(res.data.unwrap()).unwrap()
}

/// The escrow's answer and its records, to compare around a refusal.
fn answers(s: &Suite, id: &str) -> (EscrowResponse, UsageRecordsResponse) {
    let records = s
        .query(&QueryMsg::UsageRecordsByEscrow {
            escrow_id: id.into(),
            state: None,
            start_after: None,
            limit: Some(100),
        })
        .unwrap();
    (s.escrow(id), records)
}

/// Runs a refused message: same store, balances and answers after it.
fn refused(s: &mut Suite, id: &str, sender: &Addr, msg: &ExecuteMsg) -> String {
    let before = answers(s, id);
    let err = s.exec_fails(sender, msg, &[]);
    assert_eq!(before, answers(s, id), "a refused message changed {id}");
    err
}

#[test]
fn a_job_escrow_the_hpc_contract_opened_takes_usage_from_it_alone() {
    let mut s = Suite::new();
    let (provider, hpc, callback, customer, marketplace, stranger) = (
        s.provider.clone(),
        s.hpc.clone(),
        s.callback.clone(),
        s.customer.clone(),
        s.marketplace.clone(),
        s.stranger.clone(),
    );
    let job = format!("job:{customer}/7");
    s.exec(
        &hpc,
        &s.create_msg(&job, Some(&customer), 30 * 86_400),
        &[coin(10_000, DENOM)],
    )
    .unwrap();
    let opened = s.escrow(&job).escrow.created_at.seconds();
    s.advance(3_600);
    let t = s.now().seconds();
    // What a provider recorded before closed the job for good: its period
    // overlapped the hpc contract's closing record (or used up the escrow).
    let msg = s.record_msg(&job, "cpu_hour", 1, opened, t);
    let expected = "unauthorized: record usage may only be done by the hpc contract that \
                    opened this job escrow (it records the job's usage when the job ends)";
    for (sender, msg) in [
        (&provider, msg.clone()),
        (&callback, on_behalf_of(msg.clone(), &provider)),
        (&marketplace, msg.clone()),
        (&stranger, msg.clone()),
        (&customer, msg.clone()),
    ] {
        let err = refused(&mut s, &job, sender, &msg);
        assert!(err.contains(expected), "{sender}: {err}");
    }
    // The hpc contract's closing record over the whole run still goes in.
    let id = record_id(s.exec(&hpc, &msg, &[]).unwrap());
    assert_eq!(s.escrow(&job).reserved, Uint128::new(50));
    assert!(id > 0);

    // Other escrows keep their recorders: an order escrow the marketplace
    // opened takes the provider's usage and the callback contract's for it.
    let order = s.open_escrow(1, 10_000);
    s.advance(3_600);
    let t = s.now().seconds();
    s.exec(
        &provider,
        &s.record_msg(&order, "cpu_hour", 1, t - 3_600, t - 1_800),
        &[],
    )
    .unwrap();
    s.exec(
        &callback,
        &on_behalf_of(s.record_msg(&order, "cpu_hour", 1, t - 1_800, t), &provider),
        &[],
    )
    .unwrap();
    // A job escrow its customer opened (no hpc contract meters it) takes
    // the provider's usage once the provider activated it.
    let own = format!("job:{customer}/8");
    s.exec(
        &customer,
        &s.create_msg(&own, None, 30 * 86_400),
        &[coin(1_000, DENOM)],
    )
    .unwrap();
    s.exec(
        &provider,
        &ExecuteMsg::ActivateEscrow {
            escrow_id: own.clone(),
        },
        &[],
    )
    .unwrap();
    s.advance(3_600);
    let t = s.now().seconds();
    s.exec(
        &provider,
        &s.record_msg(&own, "cpu_hour", 1, t - 3_600, t),
        &[],
    )
    .unwrap();
}

#[test]
fn no_usage_is_recorded_from_the_escrows_expiry_on() {
    let mut s = Suite::new();
    let (provider, callback, customer, marketplace, stranger) = (
        s.provider.clone(),
        s.callback.clone(),
        s.customer.clone(),
        s.marketplace.clone(),
        s.stranger.clone(),
    );
    let id = s.order_escrow_id(1);
    s.exec(
        &marketplace,
        &s.create_msg(&id, Some(&customer), 2 * 3_600),
        &[coin(10_000, DENOM)],
    )
    .unwrap();
    let expires_at = s.escrow(&id).escrow.expires_at;
    // Before expiry usage goes in.
    let first = s.record(&id, 1);
    assert!(first > 0);
    // From expires_at on nothing does, not even a period that ended before.
    s.app.update_block(|b| {
        b.time = expires_at;
        b.height += 1;
    });
    let t = s.now().seconds();
    let expected = format!(
        "escrow {id} expired at {} (seconds): no usage is recorded from its expiry on",
        expires_at.seconds()
    );
    for msg in [
        s.record_msg(&id, "cpu_hour", 1, t - 3_600, t - 1),
        s.record_msg(&id, "cpu_hour", 1, t - 3_600, t),
        s.record_msg(&id, "gpu_hour", 1, t - 60, t),
    ] {
        let err = refused(&mut s, &id, &provider, &msg);
        assert!(err.contains(&expected), "{err}");
        let err = refused(&mut s, &id, &callback, &on_behalf_of(msg, &provider));
        assert!(err.contains(&expected), "{err}");
    }
    // The record made before expiry holds expiry off for its window only.
    let err = refused(
        &mut s,
        &id,
        &stranger,
        &ExecuteMsg::ExpireEscrow {
            escrow_id: id.clone(),
        },
    );
    assert!(err.contains("has 1 unsettled usage records"), "{err}");
    s.advance(ACK_WINDOW);
    // New usage can no longer postpone it.
    let t = s.now().seconds();
    let msg = s.record_msg(&id, "cpu_hour", 1, t - 3_600, t);
    let err = refused(&mut s, &id, &provider, &msg);
    assert!(err.contains(&expected), "{err}");
    s.exec(
        &stranger,
        &ExecuteMsg::ExpireEscrow {
            escrow_id: id.clone(),
        },
        &[],
    )
    .unwrap();
    let e = s.escrow(&id);
    assert_eq!(e.escrow.state, EscrowState::Expired);
    assert_eq!(
        (
            e.escrow.paid_provider + e.escrow.paid_fees,
            e.escrow.refunded
        ),
        (Uint128::new(50), Uint128::new(9_950))
    );
}

#[test]
fn usage_periods_start_no_earlier_than_the_escrow() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    s.advance(86_400);
    let id = s.open_escrow(1, 10_000);
    let opened = s.escrow(&id).escrow.created_at.seconds();
    s.advance(3_600);
    let t = s.now().seconds();
    for start in [0, opened - 3_600, opened - 1] {
        let msg = s.record_msg(&id, "cpu_hour", 1, start, t);
        let err = refused(&mut s, &id, &provider, &msg);
        assert!(
            err.contains(&format!(
                "invalid period: period_start {start} is before escrow {id} was opened at \
                 {opened} (seconds)"
            )),
            "{err}"
        );
    }
    // From the second the escrow was opened on, it may.
    s.exec(&provider, &s.record_msg(&id, "cpu_hour", 1, opened, t), &[])
        .unwrap();
}

/// Settling 50 records of 30 one by one charged no fee at all before (each
/// settlement's `floor(30 x bps / 10,000)` is 0), settling them together 48:
/// fees follow the escrow's cumulative gross now, so both charge 48.
#[test]
fn fees_follow_the_escrows_cumulative_gross() {
    let mut s = Suite::new();
    let (provider, customer, marketplace, treasury, community) = (
        s.provider.clone(),
        s.customer.clone(),
        s.marketplace.clone(),
        s.treasury.clone(),
        s.community.clone(),
    );
    let before = s.all_balances();
    let deposit = 10_000u128;
    let escrows: Vec<String> = (1..=2)
        .map(|seq| {
            let id = s.order_escrow_id(seq);
            let msg = ExecuteMsg::CreateEscrow(NewEscrow {
                escrow_id: id.clone(),
                customer: Some(customer.to_string()),
                provider: provider.to_string(),
                rates: vec![UsageRate {
                    usage_type: "cpu_hour".into(),
                    unit_price: Uint128::new(30),
                }],
                expires_at: s.now().plus_seconds(90 * 86_400),
            });
            s.exec(&marketplace, &msg, &[coin(deposit, DENOM)]).unwrap();
            id
        })
        .collect();
    let mut ids: Vec<Vec<u64>> = vec![vec![], vec![]];
    for _ in 0..50 {
        s.advance(3_600);
        let t = s.now().seconds();
        for (escrow, ids) in escrows.iter().zip(ids.iter_mut()) {
            let msg = s.record_msg(escrow, "cpu_hour", 1, t - 3_600, t);
            ids.push(record_id(s.exec(&provider, &msg, &[]).unwrap()));
        }
    }
    for ids in &ids {
        s.exec(
            &customer,
            &ExecuteMsg::AcknowledgeUsage {
                record_ids: ids.clone(),
            },
            &[],
        )
        .unwrap();
    }
    // The first escrow one record at a time, the second all at once.
    for id in &ids[0] {
        s.exec(
            &customer,
            &ExecuteMsg::Settle {
                escrow_id: escrows[0].clone(),
                record_ids: Some(vec![*id]),
                finalize: false,
            },
            &[],
        )
        .unwrap();
    }
    s.exec(
        &customer,
        &ExecuteMsg::Settle {
            escrow_id: escrows[1].clone(),
            record_ids: None,
            finalize: false,
        },
        &[],
    )
    .unwrap();
    for escrow in &escrows {
        s.exec(
            &provider,
            &ExecuteMsg::Settle {
                escrow_id: escrow.clone(),
                record_ids: None,
                finalize: true,
            },
            &[],
        )
        .unwrap();
    }

    let mut totals = vec![];
    for escrow in &escrows {
        let history: SettlementsResponse = s
            .query(&QueryMsg::Settlements {
                escrow_id: escrow.clone(),
                start_after: None,
                limit: Some(100),
            })
            .unwrap();
        let fee = |name: &str| -> u128 {
            history
                .settlements
                .iter()
                .flat_map(|x| &x.fees)
                .filter(|f| f.name == name)
                .map(|f| f.amount.u128())
                .sum()
        };
        let provider_amount: u128 = history
            .settlements
            .iter()
            .map(|x| x.provider_amount.u128())
            .sum();
        let refund: u128 = history.settlements.iter().map(|x| x.refund.u128()).sum();
        // platform floor(1,500 x 250 / 10,000) = 37, community
        // floor(1,500 x 75 / 10,000) = 11.
        assert_eq!((fee("platform"), fee("community")), (37, 11), "{escrow}");
        assert_eq!(provider_amount, 1_500 - 48, "{escrow}");
        assert_eq!(refund, deposit - 1_500, "{escrow}");
        // Money conserved: every deposit is paid out exactly.
        assert_eq!(provider_amount + 48 + refund, deposit, "{escrow}");
        let e = s.escrow(escrow);
        assert_eq!(e.escrow.state, EscrowState::Released);
        assert_eq!(e.balance, Uint128::zero());
        assert_eq!(
            e.escrow.deposited,
            e.escrow.paid_provider + e.escrow.paid_fees + e.escrow.refunded
        );
        totals.push(history.settlements.len());
    }
    // 50 settlements and a final one against one and a final one.
    assert_eq!(totals, vec![51, 2]);

    // The bank agrees: what the marketplace paid in went to the provider,
    // the fee recipients and back to the customer, nothing else moved.
    let after = s.all_balances();
    let delta = |who: &Addr| -> i128 {
        let amount = |all: &Vec<(Addr, Vec<cosmwasm_std::Coin>)>| {
            let coin = &all.iter().find(|(a, _)| a == who).unwrap().1[0];
            Uint128::try_from(coin.amount).unwrap().u128() as i128
        };
        amount(&after) - amount(&before)
    };
    assert_eq!(delta(&marketplace), -2 * deposit as i128);
    assert_eq!(delta(&provider), 2 * (1_500 - 48));
    assert_eq!(delta(&treasury), 2 * 37);
    assert_eq!(delta(&community), 2 * 11);
    assert_eq!(delta(&customer), 2 * (deposit as i128 - 1_500));
    assert_eq!(delta(&s.contract.clone()), 0);
    let total: i128 = after.iter().map(|(a, _)| delta(a)).sum();
    assert_eq!(total, 0);
}
