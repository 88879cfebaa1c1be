mod common;

use common::*;
use cw_multi_test::Executor;
use settlement::msg::{ExecuteMsg, FeeShareInput, InstantiateMsg, MigrateMsg, QueryMsg};
use settlement::state::Config;

fn update(
    fee_shares: Option<Vec<FeeShareInput>>,
    window: Option<u64>,
    arbiter: Option<String>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig(settlement::msg::ConfigUpdate {
        admin: None,
        arbiter,
        marketplace: None,
        hpc: None,
        callback_contract: None,
        fee_shares,
        ack_window_seconds: window,
    })
}

fn share(name: &str, recipient: &cosmwasm_std::Addr, bps: u16) -> FeeShareInput {
    FeeShareInput {
        name: name.into(),
        recipient: recipient.to_string(),
        bps,
    }
}

#[test]
fn config_updates_are_admin_only_and_validated() {
    let mut s = Suite::new();
    let (admin, stranger, treasury) = (s.admin.clone(), s.stranger.clone(), s.treasury.clone());
    let err = s.exec_fails(&stranger, &update(None, Some(10), None), &[]);
    assert!(
        err.contains("update the config may only be done by the admin"),
        "{err}"
    );
    let err = s.exec_fails(&admin, &update(None, None, None), &[]);
    assert!(err.contains("nothing to update"), "{err}");
    let err = s.exec_fails(
        &admin,
        &update(
            Some(vec![
                share("a", &treasury, 6_000),
                share("b", &treasury, 4_001),
            ]),
            None,
            None,
        ),
        &[],
    );
    assert!(
        err.contains("invalid fee_shares: 10001 bps in total, at most 10000"),
        "{err}"
    );
    let err = s.exec_fails(
        &admin,
        &update(Some(vec![share("a", &treasury, 0)]), None, None),
        &[],
    );
    assert!(err.contains("invalid fee_shares.bps: a has 0 bps"), "{err}");
    let err = s.exec_fails(
        &admin,
        &update(Some(vec![share("", &treasury, 1)]), None, None),
        &[],
    );
    assert!(err.contains("invalid fee_shares.name"), "{err}");
    let err = s.exec_fails(&admin, &update(None, Some(91 * 86_400), None), &[]);
    assert!(err.contains("invalid ack_window_seconds"), "{err}");
    let err = s.exec_fails(&admin, &update(None, None, Some("nope".into())), &[]);
    assert!(err.contains("invalid arbiter"), "{err}");
    // Exactly 100% in fees is allowed (the provider then gets only dust).
    s.exec(
        &admin,
        &update(Some(vec![share("all", &treasury, 10_000)]), Some(0), None),
        &[],
    )
    .unwrap();
    let config: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.fee_shares.len(), 1);
    assert_eq!(config.ack_window_seconds, 0);
}

#[test]
fn instantiate_is_validated_and_migrate_follows_cw2() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let code_id = s.app.store_code(settlement_contract());
    let base = InstantiateMsg {
        admin: None,
        arbiter: admin.to_string(),
        marketplace: None,
        hpc: None,
        callback_contract: None,
        fee_shares: vec![],
        ack_window_seconds: None,
    };
    for (msg, expected) in [
        (
            InstantiateMsg {
                arbiter: "bad".into(),
                ..base.clone()
            },
            "invalid arbiter",
        ),
        (
            InstantiateMsg {
                hpc: Some("bad".into()),
                ..base.clone()
            },
            "invalid hpc",
        ),
        (
            InstantiateMsg {
                fee_shares: (0..9).map(|i| share(&format!("f{i}"), &admin, 1)).collect(),
                ..base.clone()
            },
            "9 shares, at most 8",
        ),
    ] {
        let err = s
            .app
            .instantiate_contract(code_id, admin.clone(), &msg, &[], "s", None)
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
    let contract = s.contract.clone();
    s.app
        .migrate_contract(admin.clone(), contract.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    let other_code = s.app.store_code(ve_testing::foreign_contract());
    let other = s
        .app
        .instantiate_contract(
            other_code,
            admin.clone(),
            &ve_testing::ForeignContract {
                contract: "crates.io:other".into(),
                version: "1.0.0".into(),
            },
            &[],
            "o",
            Some(admin.to_string()),
        )
        .unwrap();
    let err = s
        .app
        .migrate_contract(admin, other, &MigrateMsg {}, code_id)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot migrate from crates.io:other 1.0.0 to crates.io:ve-settlement"),
        "{err}"
    );
}

/// Every field of `update_config` is applied (audit: the marketplace
/// ignored two; checked here for settlement too): one update giving all
/// seven changes all seven, and a refused one changes none.
#[test]
fn update_config_applies_every_field() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let api = *s.app.api();
    let [new_admin, arbiter, marketplace, hpc, callback, treasury] = [
        "admin2",
        "arbiter2",
        "marketplace2",
        "hpc2",
        "callback2",
        "treasury2",
    ]
    .map(|n| api.addr_make(n));
    let all = |treasury: String, window: u64| {
        ExecuteMsg::UpdateConfig(settlement::msg::ConfigUpdate {
            admin: Some(new_admin.to_string()),
            arbiter: Some(arbiter.to_string()),
            marketplace: Some(marketplace.to_string()),
            hpc: Some(hpc.to_string()),
            callback_contract: Some(callback.to_string()),
            fee_shares: Some(vec![FeeShareInput {
                name: "platform2".into(),
                recipient: treasury,
                bps: 123,
            }]),
            ack_window_seconds: Some(window),
        })
    };
    let before: Config = s.query(&QueryMsg::Config {}).unwrap();
    for (msg, expected) in [
        (all("Bad".into(), 60), "invalid fee_shares.recipient"),
        (
            all(treasury.to_string(), 90 * 86_400 + 1),
            "invalid ack_window_seconds: at most 7776000",
        ),
    ] {
        let err = s.exec_fails(&admin, &msg, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
        let after: Config = s.query(&QueryMsg::Config {}).unwrap();
        assert_eq!(after, before);
    }
    s.exec(&admin, &all(treasury.to_string(), 60), &[]).unwrap();
    let c: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(c.admin, new_admin);
    assert_eq!(c.arbiter, arbiter);
    assert_eq!(c.marketplace, Some(marketplace));
    assert_eq!(c.hpc, Some(hpc));
    assert_eq!(c.callback_contract, Some(callback));
    assert_eq!(c.fee_shares.len(), 1);
    assert_eq!(
        (
            c.fee_shares[0].name.as_str(),
            &c.fee_shares[0].recipient,
            c.fee_shares[0].bps
        ),
        ("platform2", &treasury, 123)
    );
    assert_eq!(c.ack_window_seconds, 60);
}

/// The two-step admin transfer (propose_admin, accept_admin,
/// cancel_admin_transfer, pending_admin): the scenario every contract
/// passes (`ve_testing::check_admin_transfer`).
#[test]
fn the_admin_is_transferred_in_two_steps() {
    let mut s = Suite::new();
    let parties = ve_testing::AdminTransferParties {
        contract: s.contract.clone(),
        admin: s.admin.clone(),
        next: s.customer2.clone(),
        stranger: s.stranger.clone(),
    };
    let msgs = ve_testing::AdminTransferMsgs {
        propose: |new_admin, expiry| settlement::msg::ExecuteMsg::ProposeAdmin {
            new_admin: new_admin.to_string(),
            expiry,
        },
        accept: settlement::msg::ExecuteMsg::AcceptAdmin {},
        cancel: settlement::msg::ExecuteMsg::CancelAdminTransfer {},
        admin_only: update(None, Some(3_600), None),
        pending_query: settlement::msg::QueryMsg::PendingAdmin {},
        config_query: settlement::msg::QueryMsg::Config {},
    };
    ve_testing::check_admin_transfer(&mut s.app, &parties, &msgs);
}
