mod common;

use common::*;
use cosmwasm_std::{coin, Addr, StdResult};
use cw_multi_test::Executor;
use hpc::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use hpc::state::Config;
use ve_types::JobState;

fn update(
    admin: Option<String>,
    settlement: Option<String>,
    callback: Option<String>,
    grace: Option<u64>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig(hpc::msg::ConfigUpdate {
        admin,
        settlement_contract: settlement,
        callback_contract: callback,
        escrow_grace_seconds: grace,
    })
}

fn instantiate(s: &mut Suite, msg: &InstantiateMsg) -> StdResult<Addr> {
    let sender = s.stranger.clone();
    s.app
        .instantiate_contract(s.code_id, sender, msg, &[], "hpc", None)
}

fn config(s: &Suite) -> Config {
    s.query(&QueryMsg::Config {}).unwrap()
}

#[test]
fn instantiate_defaults_and_validation() {
    let mut s = Suite::new();
    let c = config(&s);
    assert_eq!(c.admin, s.admin);
    assert_eq!(c.settlement_contract, s.settlement);
    assert_eq!(c.callback_contract, Some(s.callback.clone()));
    assert_eq!(c.escrow_grace_seconds, 604_800);
    let version = cw2::query_contract_info(&s.app.wrap(), s.contract.to_string()).unwrap();
    assert_eq!(version.contract, "crates.io:ve-hpc");
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));

    let valid = InstantiateMsg {
        admin: None,
        settlement_contract: s.settlement.to_string(),
        callback_contract: None,
        escrow_grace_seconds: None,
    };
    // The admin defaults to the sender.
    let addr = instantiate(&mut s, &valid).unwrap();
    let c: Config = s
        .app
        .wrap()
        .query_wasm_smart(addr, &QueryMsg::Config {})
        .unwrap();
    assert_eq!(c.admin, s.stranger);
    assert_eq!(c.callback_contract, None);

    let cases: Vec<(InstantiateMsg, &str)> = vec![
        (
            InstantiateMsg {
                settlement_contract: "settlement".into(),
                ..valid.clone()
            },
            "invalid settlement_contract: \"settlement\" is not a valid address",
        ),
        (
            InstantiateMsg {
                admin: Some("Admin".into()),
                ..valid.clone()
            },
            "invalid admin",
        ),
        (
            InstantiateMsg {
                callback_contract: Some("".into()),
                ..valid.clone()
            },
            "invalid callback_contract",
        ),
        (
            InstantiateMsg {
                escrow_grace_seconds: Some(3_599),
                ..valid.clone()
            },
            "invalid escrow_grace_seconds: 3599 must be 3600-31536000",
        ),
        (
            InstantiateMsg {
                escrow_grace_seconds: Some(31_536_001),
                ..valid.clone()
            },
            "invalid escrow_grace_seconds: 31536001 must be 3600-31536000",
        ),
    ];
    for (msg, expected) in cases {
        let err = instantiate(&mut s, &msg).unwrap_err();
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
    for grace in [3_600, 31_536_000] {
        instantiate(
            &mut s,
            &InstantiateMsg {
                escrow_grace_seconds: Some(grace),
                ..valid.clone()
            },
        )
        .unwrap();
    }
}

#[test]
fn update_config_is_for_the_admin() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let stranger = s.stranger.clone();
    let provider = s.provider.clone();

    for who in [&stranger, &provider] {
        let err = s.exec_fails(who, &update(None, None, None, Some(7_200)), &[]);
        assert!(
            err.contains("unauthorized: update the config may only be done by the admin"),
            "{err}"
        );
    }
    let err = s.exec_fails(&admin, &update(None, None, None, None), &[]);
    assert!(err.contains("nothing to update"), "{err}");
    let err = s.exec_fails(
        &admin,
        &update(None, None, None, Some(7_200)),
        &[coin(1, DENOM)],
    );
    assert!(err.contains("this message takes no funds"), "{err}");
    for (msg, expected) in [
        (update(Some("x".into()), None, None, None), "invalid admin"),
        (
            update(None, Some("x".into()), None, None),
            "invalid settlement_contract",
        ),
        (
            update(None, None, Some("x".into()), None),
            "invalid callback_contract",
        ),
        (
            update(None, None, None, Some(3_599)),
            "invalid escrow_grace_seconds: 3599 must be 3600-31536000",
        ),
        (
            update(None, None, None, Some(31_536_001)),
            "invalid escrow_grace_seconds",
        ),
    ] {
        let err = s.exec_fails(&admin, &msg, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
    }

    // Grace only: everything else stays.
    let before = config(&s);
    s.exec(&admin, &update(None, None, None, Some(3_600)), &[])
        .unwrap();
    let after = config(&s);
    assert_eq!(after.escrow_grace_seconds, 3_600);
    assert_eq!(
        (
            after.admin,
            after.settlement_contract,
            after.callback_contract
        ),
        (
            before.admin,
            before.settlement_contract,
            before.callback_contract
        )
    );

    // Hand over the admin role and a new callback contract.
    let new_callback = s.app.api().addr_make("callback2");
    s.exec(
        &admin,
        &update(
            Some(stranger.to_string()),
            None,
            Some(new_callback.to_string()),
            None,
        ),
        &[],
    )
    .unwrap();
    let c = config(&s);
    assert_eq!(c.admin, stranger);
    assert_eq!(c.callback_contract, Some(new_callback.clone()));
    let err = s.exec_fails(&admin, &update(None, None, None, Some(7_200)), &[]);
    assert!(err.contains("unauthorized"), "{err}");
    s.exec(&stranger, &update(None, None, None, Some(7_200)), &[])
        .unwrap();

    // The old callback contract may no longer report; the new one may.
    let (_, offering) = s.offering();
    let id = s.submit(&offering);
    let old_callback = s.callback.clone();
    let err = s.exec_fails(
        &old_callback,
        &report_msg(&id, JobState::Queued, None, None),
        &[],
    );
    assert!(err.contains("unauthorized: report a job status"), "{err}");
    let provider = s.provider.clone();
    s.exec(
        &new_callback,
        &on_behalf_of(report_msg(&id, JobState::Queued, None, None), &provider),
        &[],
    )
    .unwrap();
}

#[test]
fn a_new_settlement_contract_applies_to_new_jobs_only() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let old_job = s.submit(&offering);

    // A second settlement contract that trusts this hpc contract.
    let admin = s.admin.clone();
    let code = s.app.store_code(settlement_contract());
    let second = s
        .app
        .instantiate_contract(
            code,
            admin.clone(),
            &settlement::msg::InstantiateMsg {
                admin: None,
                arbiter: s.arbiter.to_string(),
                marketplace: None,
                hpc: Some(s.contract.to_string()),
                callback_contract: None,
                fee_shares: vec![],
                ack_window_seconds: Some(0),
            },
            &[],
            "settlement2",
            None,
        )
        .unwrap();
    s.exec(
        &admin,
        &update(None, Some(second.to_string()), None, None),
        &[],
    )
    .unwrap();
    assert_eq!(config(&s).settlement_contract, second);

    let new_job = s.submit(&offering);
    assert_eq!(s.job_state(&new_job).settlement_contract, second);
    assert_eq!(s.job_state(&old_job).settlement_contract, s.settlement);
    assert_eq!(s.balance(&second, DENOM), cost(2, 7_200));

    // The old job is still refunded through the old contract.
    let before = s.balance(&s.customer, DENOM);
    let customer = s.customer.clone();
    s.exec(
        &customer,
        &ExecuteMsg::CancelJob {
            job_id: old_job.clone(),
            reason: None,
        },
        &[],
    )
    .unwrap();
    assert_eq!(s.balance(&s.customer, DENOM), before + cost(2, 7_200));
    assert_eq!(s.balance(&second, DENOM), cost(2, 7_200));
}

#[test]
fn migrate_keeps_state_and_refuses_foreign_or_newer_contracts() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    let job = s.submit(&offering);
    let admin = s.admin.clone();
    let contract = s.contract.clone();
    let code_id = s.code_id;
    let res = s
        .app
        .migrate_contract(admin.clone(), contract.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    assert!(has_attr(&res, "action", "migrate"));
    assert_eq!(s.job_state(&job).state, JobState::Pending);

    // A contract stored under another name cannot be migrated into ours.
    let foreign_code = s.app.store_code(ve_testing::foreign_contract());
    let foreign = s
        .app
        .instantiate_contract(
            foreign_code,
            admin.clone(),
            &ve_testing::ForeignContract {
                contract: "crates.io:cw20-base".into(),
                version: "9.0.0".into(),
            },
            &[],
            "foreign",
            Some(admin.to_string()),
        )
        .unwrap();
    let err = s
        .app
        .migrate_contract(admin.clone(), foreign, &MigrateMsg {}, code_id)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot migrate from crates.io:cw20-base 9.0.0 to crates.io:ve-hpc"),
        "{err}"
    );

    // Downgrades are refused too: pretend a newer version is deployed.
    {
        let mut store = s.app.contract_storage_mut(&contract);
        cw2::set_contract_version(store.as_mut(), "crates.io:ve-hpc", "99.0.0").unwrap();
    }
    let err = s
        .app
        .migrate_contract(admin, contract, &MigrateMsg {}, code_id)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot migrate from crates.io:ve-hpc 99.0.0"),
        "{err}"
    );
}

/// Every field of `update_config` is applied (audit: the marketplace
/// ignored two; checked here for hpc too): one update giving all four
/// changes all four, and a refused one changes none.
#[test]
fn update_config_applies_every_field() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let api = *s.app.api();
    let [new_admin, settlement, callback] =
        ["admin2", "settlement2", "callback2"].map(|n| api.addr_make(n));
    let all = |settlement: String, grace: u64| {
        update(
            Some(new_admin.to_string()),
            Some(settlement),
            Some(callback.to_string()),
            Some(grace),
        )
    };
    let before = config(&s);
    for (msg, expected) in [
        (all("Bad".into(), 7_200), "invalid settlement_contract"),
        (
            all(settlement.to_string(), 59),
            "invalid escrow_grace_seconds: 59 must be 3600-31536000",
        ),
    ] {
        let err = s.exec_fails(&admin, &msg, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
        assert_eq!(config(&s), before);
    }
    s.exec(&admin, &all(settlement.to_string(), 7_200), &[])
        .unwrap();
    assert_eq!(
        config(&s),
        Config {
            admin: new_admin,
            settlement_contract: settlement,
            callback_contract: Some(callback),
            escrow_grace_seconds: 7_200,
        }
    );
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
        propose: |new_admin, expiry| hpc::msg::ExecuteMsg::ProposeAdmin {
            new_admin: new_admin.to_string(),
            expiry,
        },
        accept: hpc::msg::ExecuteMsg::AcceptAdmin {},
        cancel: hpc::msg::ExecuteMsg::CancelAdminTransfer {},
        admin_only: update(None, None, None, Some(7_200)),
        pending_query: hpc::msg::QueryMsg::PendingAdmin {},
        config_query: hpc::msg::QueryMsg::Config {},
    };
    ve_testing::check_admin_transfer(&mut s.app, &parties, &msgs);
}
