//! The shared deployment: four contracts that know each other, and the
//! helpers' view of a refused call.

use cosmwasm_std::Addr;
use serde_json::{json, Value};
use ve_testing::{
    addr, assert_contract_error, balance, deploy, exec_fails, fund_all, new_app, DeployConfig,
    Watch, DENOM, START_BALANCE,
};

fn config_of(app: &cw_multi_test::App, contract: &Addr) -> Value {
    app.wrap()
        .query_wasm_smart(contract.clone(), &json!({"config": {}}))
        .unwrap()
}

#[test]
fn the_four_contracts_are_wired_to_each_other() {
    let mut app = new_app();
    let admin = addr("admin");
    let mut config = DeployConfig::new(&admin);
    config.settlement.ack_window_seconds = Some(42);
    let c = deploy(&mut app, config).unwrap();

    let settlement = config_of(&app, &c.settlement);
    assert_eq!(settlement["marketplace"], c.marketplace.as_str());
    assert_eq!(settlement["hpc"], c.hpc.as_str());
    assert_eq!(settlement["callback_contract"], c.callback.as_str());
    assert_eq!(settlement["ack_window_seconds"], 42);

    let marketplace = config_of(&app, &c.marketplace);
    assert_eq!(marketplace["settlement_contract"], c.settlement.as_str());
    assert_eq!(marketplace["callback_contract"], c.callback.as_str());

    let hpc = config_of(&app, &c.hpc);
    assert_eq!(hpc["settlement_contract"], c.settlement.as_str());
    assert_eq!(hpc["callback_contract"], c.callback.as_str());

    let callback = config_of(&app, &c.callback);
    assert_eq!(callback["marketplace"], c.marketplace.as_str());
    assert_eq!(callback["settlement"], c.settlement.as_str());
    assert_eq!(callback["hpc"], c.hpc.as_str());
}

#[test]
fn the_well_known_addresses_are_the_apps() {
    let app = new_app();
    assert_eq!(addr("provider"), app.api().addr_make("provider"));
}

#[test]
fn a_refused_call_reports_the_contract_error_and_changes_nothing() {
    let mut app = new_app();
    let (admin, stranger) = (addr("admin"), addr("stranger"));
    fund_all(&mut app, &[&stranger], &[DENOM]).unwrap();
    let c = deploy(&mut app, DeployConfig::new(&admin)).unwrap();
    let watch = Watch::storage_of(&c.all()).with_balances(&[&stranger], &[DENOM]);
    let update = json!({"update_config": {"hpc": stranger}});

    let text = exec_fails(&mut app, &watch, &stranger, &c.settlement, &update, &[]);
    assert!(text.contains("unauthorized"), "{text}");
    assert_eq!(balance(&app, &stranger, DENOM).unwrap(), START_BALANCE);
}

#[test]
#[should_panic(expected = "expected the contract error")]
fn another_contract_error_is_told_apart() {
    let err = "kind: Other, error: escrow e1 already exists";
    assert_contract_error(err, &settlement::ContractError::EscrowExists("e2".into()));
}

#[test]
fn the_typed_contract_error_is_found_in_the_text() {
    let err = "kind: Other, error: escrow e1 already exists";
    assert_contract_error(err, &settlement::ContractError::EscrowExists("e1".into()));
}

/// The relayer's embedded chain (`packages/relayer/src/chain/embedded.rs`)
/// as this crate deploys it: the admin arbitrates and takes a 2.5% platform
/// fee, usage is acknowledged within an hour, funded accounts hold
/// START_BALANCE uvirt.
#[test]
fn the_relayers_embedded_chain_deploys_from_a_config() {
    let mut app = new_app();
    let admin = addr("admin");
    fund_all(&mut app, &[&addr("provider"), &addr("customer")], &[DENOM]).unwrap();
    let mut config = DeployConfig::new(&admin);
    config.settlement.fee_shares = vec![settlement::msg::FeeShareInput {
        name: "platform".into(),
        recipient: admin.to_string(),
        bps: 250,
    }];
    config.settlement.ack_window_seconds = Some(3_600);
    let c = deploy(&mut app, config).unwrap();

    let settlement = config_of(&app, &c.settlement);
    assert_eq!(settlement["arbiter"], admin.as_str());
    assert_eq!(settlement["ack_window_seconds"], 3_600);
    assert_eq!(settlement["fee_shares"][0]["bps"], 250);
    assert_eq!(
        balance(&app, &addr("customer"), DENOM).unwrap(),
        START_BALANCE
    );
}
