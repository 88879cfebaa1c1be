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
    ExecuteMsg::UpdateConfig {
        admin,
        callback_contract: callback,
        default_bid_ttl_seconds: ttl,
        max_bid_ttl_seconds: max_ttl,
        max_bids_per_order: bids,
        settlement_contract: None,
        escrow_expiry_seconds: None,
    }
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
    let foreign_code = s.app.store_code(ve_cw::multitest::foreign_contract());
    let foreign = s
        .app
        .instantiate_contract(
            foreign_code,
            admin.clone(),
            &ve_cw::multitest::ForeignContract {
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
