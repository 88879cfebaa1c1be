mod common;

use common::*;
use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use marketplace::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use marketplace::state::Config;

fn update(
    admin: Option<String>,
    callback: Option<String>,
    ttl: Option<u64>,
    max_ttl: Option<u64>,
    bids: Option<u32>,
) -> ExecuteMsg {
    ExecuteMsg::UpdateConfig(marketplace::msg::ConfigUpdate {
        admin,
        callback_contract: callback,
        default_bid_ttl_seconds: ttl,
        max_bid_ttl_seconds: max_ttl,
        max_bids_per_order: bids,
        settlement_contract: None,
        escrow_expiry_seconds: None,
    })
}

#[test]
fn instantiate_defaults_and_validation() {
    let s = Suite::new();
    let config: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.admin, s.admin);
    assert_eq!(config.callback_contract, Some(s.callback.clone()));
    assert_eq!(config.default_bid_ttl_seconds, 86_400);
    assert_eq!(config.max_bid_ttl_seconds, 604_800);
    assert_eq!(config.max_bids_per_order, 20);
    let version = cw2::query_contract_info(&s.app.wrap(), s.contract.to_string()).unwrap();
    assert_eq!(version.contract, "crates.io:ve-marketplace");
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));

    let mut s2 = Suite::new();
    let admin = s2.admin.clone();
    for (msg, expected) in [
        (
            InstantiateMsg {
                admin: Some("bad addr".into()),
                callback_contract: None,
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: None,
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            "invalid admin",
        ),
        (
            InstantiateMsg {
                admin: None,
                callback_contract: Some("Bad".into()),
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: None,
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            "invalid callback_contract",
        ),
        (
            InstantiateMsg {
                admin: None,
                callback_contract: None,
                default_bid_ttl_seconds: Some(10),
                max_bid_ttl_seconds: Some(5),
                max_bids_per_order: None,
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            "invalid default_bid_ttl_seconds",
        ),
        (
            InstantiateMsg {
                admin: None,
                callback_contract: None,
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: Some(101),
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            "invalid max_bids_per_order: must be 1-100",
        ),
        (
            InstantiateMsg {
                admin: None,
                callback_contract: None,
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: Some(0),
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            "invalid max_bids_per_order",
        ),
    ] {
        let code_id = s2.code_id;
        let err = s2
            .app
            .instantiate_contract(code_id, admin.clone(), &msg, &[], "m", None)
            .unwrap_err();
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
}

#[test]
fn update_config_is_admin_only_and_validated() {
    let mut s = Suite::new();
    let (admin, stranger, new_admin) = (s.admin.clone(), s.stranger.clone(), s.customer2.clone());
    let err = s.exec_fails(&stranger, &update(None, None, Some(60), None, None), &[]);
    assert!(
        err.contains("update the config may only be done by the admin"),
        "{err}"
    );
    let err = s.exec_fails(&admin, &update(None, None, None, None, None), &[]);
    assert!(err.contains("nothing to update"), "{err}");
    let err = s.exec_fails(&admin, &update(None, None, Some(700_000), None, None), &[]);
    assert!(err.contains("invalid default_bid_ttl_seconds"), "{err}");
    let err = s.exec_fails(
        &admin,
        &update(None, None, None, Some(366 * 86_400), None),
        &[],
    );
    assert!(err.contains("invalid max_bid_ttl_seconds"), "{err}");
    let err = s.exec_fails(
        &admin,
        &update(Some("nope".into()), None, None, None, None),
        &[],
    );
    assert!(err.contains("invalid admin"), "{err}");

    s.exec(
        &admin,
        &update(Some(new_admin.to_string()), None, Some(60), None, Some(5)),
        &[],
    )
    .unwrap();
    let config: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(config.admin, new_admin);
    assert_eq!(config.default_bid_ttl_seconds, 60);
    assert_eq!(config.max_bids_per_order, 5);
    // The old admin lost its power.
    let err = s.exec_fails(&admin, &update(None, None, Some(61), None, None), &[]);
    assert!(err.contains("may only be done by the admin"), "{err}");
}

#[test]
fn migrate_keeps_state_and_refuses_foreign_or_newer_contracts() {
    let mut s = Suite::new();
    let offering = s.create_offering();
    let admin = s.admin.clone();
    let contract = s.contract.clone();
    let code_id = s.code_id;
    let res = s
        .app
        .migrate_contract(admin.clone(), contract.clone(), &MigrateMsg {}, code_id)
        .unwrap();
    assert!(res.events.iter().any(|e| e
        .attributes
        .iter()
        .any(|a| a.key == "action" && a.value == "migrate")));
    let o: marketplace::msg::OfferingResponse = s
        .query(&QueryMsg::Offering {
            offering_id: offering,
        })
        .unwrap();
    assert_eq!(o.offering.pricing.base_price, Uint128::new(50_000));

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
            .contains("cannot migrate from crates.io:cw20-base 9.0.0"),
        "{err}"
    );

    // Downgrades are refused too: pretend a newer version is deployed.
    {
        let mut store = s.app.contract_storage_mut(&contract);
        cw2::set_contract_version(store.as_mut(), "crates.io:ve-marketplace", "99.0.0").unwrap();
    }
    let err = s
        .app
        .migrate_contract(admin, contract, &MigrateMsg {}, code_id)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot migrate from crates.io:ve-marketplace 99.0.0"),
        "{err}"
    );
}

/// Every field of `update_config` is applied: one update giving all seven
/// changes all seven (audit: `settlement_contract` and
/// `escrow_expiry_seconds` used to be ignored with a success).
#[test]
fn update_config_applies_every_field() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let api = *s.app.api();
    let (new_admin, new_callback, settlement) = (
        api.addr_make("admin2"),
        api.addr_make("callback2"),
        api.addr_make("settlement"),
    );
    let before: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(before.settlement_contract, None);
    assert_eq!(before.escrow_expiry_seconds, 30 * 86_400);
    s.exec(
        &admin,
        &ExecuteMsg::UpdateConfig(marketplace::msg::ConfigUpdate {
            admin: Some(new_admin.to_string()),
            callback_contract: Some(new_callback.to_string()),
            default_bid_ttl_seconds: Some(120),
            max_bid_ttl_seconds: Some(7_200),
            max_bids_per_order: Some(7),
            settlement_contract: Some(settlement.to_string()),
            escrow_expiry_seconds: Some(86_400),
        }),
        &[],
    )
    .unwrap();
    let after: Config = s.query(&QueryMsg::Config {}).unwrap();
    assert_eq!(
        after,
        Config {
            admin: new_admin,
            callback_contract: Some(new_callback),
            settlement_contract: Some(settlement),
            escrow_expiry_seconds: 86_400,
            default_bid_ttl_seconds: 120,
            max_bid_ttl_seconds: 7_200,
            max_bids_per_order: 7,
        }
    );
}

/// `settlement_contract` and `escrow_expiry_seconds` are validated as at
/// instantiate; a refused update changes nothing. A configured settlement
/// contract is never replaced by another (orders record only their escrow
/// ID, so their refunds and top-ups would go to the wrong contract).
#[test]
fn update_config_refuses_bad_settlement_and_escrow_expiry() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let api = *s.app.api();
    let (settlement, other) = (api.addr_make("settlement"), api.addr_make("settlement2"));
    let msg = |settlement_contract: Option<String>, escrow_expiry_seconds: Option<u64>| {
        ExecuteMsg::UpdateConfig(marketplace::msg::ConfigUpdate {
            admin: None,
            callback_contract: None,
            default_bid_ttl_seconds: None,
            max_bid_ttl_seconds: None,
            max_bids_per_order: None,
            settlement_contract,
            escrow_expiry_seconds,
        })
    };
    let config = |s: &Suite| -> Config { s.query(&QueryMsg::Config {}).unwrap() };

    let before = config(&s);
    for (m, expected) in [
        (
            msg(Some("Not An Address".into()), None),
            "invalid settlement_contract",
        ),
        (
            msg(None, Some(59)),
            "invalid escrow_expiry_seconds: must be 3600-157680000",
        ),
        (
            msg(None, Some(5 * 365 * 86_400 + 1)),
            "invalid escrow_expiry_seconds: must be 3600-157680000",
        ),
        // A valid field next to an invalid one is not applied either.
        (
            msg(Some(settlement.to_string()), Some(0)),
            "invalid escrow_expiry_seconds",
        ),
        (
            msg(Some("Not An Address".into()), Some(86_400)),
            "invalid settlement_contract",
        ),
    ] {
        let err = s.exec_fails(&admin, &m, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
        assert_eq!(config(&s), before);
    }

    // The allowed path: each applies alone.
    s.exec(&admin, &msg(None, Some(3_600)), &[]).unwrap();
    assert_eq!(config(&s).escrow_expiry_seconds, 3_600);
    s.exec(&admin, &msg(Some(settlement.to_string()), None), &[])
        .unwrap();
    assert_eq!(config(&s).settlement_contract, Some(settlement.clone()));
    // The same address again is accepted (idempotent), another refused.
    s.exec(&admin, &msg(Some(settlement.to_string()), Some(7_200)), &[])
        .unwrap();
    let set = config(&s);
    assert_eq!(set.escrow_expiry_seconds, 7_200);
    let err = s.exec_fails(&admin, &msg(Some(other.to_string()), None), &[]);
    assert!(
        err.contains(&format!(
            "invalid settlement_contract: already {settlement}; it holds the escrows of matched orders and cannot be replaced"
        )),
        "{err}"
    );
    assert_eq!(config(&s), set);
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
        propose: |new_admin, expiry| marketplace::msg::ExecuteMsg::ProposeAdmin {
            new_admin: new_admin.to_string(),
            expiry,
        },
        accept: marketplace::msg::ExecuteMsg::AcceptAdmin {},
        cancel: marketplace::msg::ExecuteMsg::CancelAdminTransfer {},
        admin_only: update(None, None, Some(60), None, None),
        pending_query: marketplace::msg::QueryMsg::PendingAdmin {},
        config_query: marketplace::msg::QueryMsg::Config {},
    };
    ve_testing::check_admin_transfer(&mut s.app, &parties, &msgs);
}
