//! The optimised settlement artifact in the real VM: escrow -> usage ->
//! acknowledgement -> settlement with an exact fee split.

use cosmwasm_std::{coin, BankMsg, CosmosMsg, Response};
use serde_json::{json, Value};
use ve_vm_tests::VmContract;

fn sends(res: &Response) -> Vec<(String, String)> {
    res.messages
        .iter()
        .map(|m| match &m.msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                (to_address.clone(), amount[0].to_string())
            }
            other => panic!("unexpected message {other:?}"),
        })
        .collect()
}

#[test]
fn settlement_story_in_the_real_vm() {
    let mut vm = VmContract::load("settlement");
    let [admin, arbiter, marketplace, provider, customer, treasury] = [
        "admin",
        "arbiter",
        "marketplace",
        "provider",
        "customer",
        "treasury",
    ]
    .map(|n| vm.addr(n));
    let (res, _) = vm.instantiate(
        &admin,
        &json!({
            "arbiter": arbiter, "marketplace": marketplace,
            "fee_shares": [{ "name": "platform", "recipient": treasury, "bps": 250 }],
            "ack_window_seconds": 3600
        }),
    );
    res.unwrap();

    let escrow_id = format!("order:{customer}/1");
    let create = json!({ "create_escrow": {
        "escrow_id": escrow_id, "customer": customer, "provider": provider,
        "rates": [{ "usage_type": "hour", "unit_price": "33333" }],
        "expires_at": (vm.env.block.time.seconds() + 86_400).to_string() + "000000000"
    }});
    // Somebody else's order cannot be squatted.
    let (res, _) = vm.execute(&provider, &create, &[coin(100_000, "uvirt")]);
    assert!(res.unwrap_err().contains("belongs to"));
    let (res, gas) = vm.execute(&marketplace, &create, &[coin(100_000, "uvirt")]);
    res.unwrap();
    println!("create_escrow: {gas} VM gas");

    vm.advance(3_600);
    let end = vm.env.block.time.seconds();
    let record = json!({ "record_usage": {
        "escrow_id": escrow_id, "allocation_id": format!("{customer}/1/1"), "usage_type": "hour",
        "units": "3", "period_start": format!("{}000000000", end - 3_600), "period_end": format!("{end}000000000")
    }});
    let (res, gas) = vm.execute(&provider, &record, &[]);
    let record_id: u64 = cosmwasm_std::from_json(res.unwrap().data.unwrap()).unwrap();
    println!("record_usage: {gas} VM gas");

    let (res, _) = vm.execute(
        &customer,
        &json!({ "acknowledge_usage": { "record_ids": [record_id] }}),
        &[],
    );
    res.unwrap();
    // The customer cannot refund itself.
    let (res, _) = vm.execute(
        &customer,
        &json!({ "refund_escrow": { "escrow_id": escrow_id }}),
        &[],
    );
    assert!(res
        .unwrap_err()
        .contains("refund an escrow may only be done by its provider"));

    let (res, gas) = vm.execute(
        &provider,
        &json!({ "settle": { "escrow_id": escrow_id, "finalize": true }}),
        &[],
    );
    let res = res.unwrap();
    println!("settle (final): {gas} VM gas");
    // 3 x 33,333 = 99,999: fee floor(99,999 x 2.5%) = 2,499; provider 97,500;
    // the unused 1 goes back.
    assert_eq!(
        sends(&res),
        vec![
            (provider.to_string(), "97500uvirt".to_string()),
            (treasury.to_string(), "2499uvirt".to_string()),
            (customer.to_string(), "1uvirt".to_string()),
        ]
    );
    let (escrow, _): (Result<Value, _>, u64) =
        vm.query(&json!({ "escrow": { "escrow_id": escrow_id }}));
    let escrow = escrow.unwrap();
    assert_eq!(escrow["escrow"]["state"], "released");
    assert_eq!(escrow["balance"], "0");
}
