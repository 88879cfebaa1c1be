//! The optimised marketplace artifact in the real VM: instantiate ->
//! offering -> order -> bid -> accept, checking every answer.

use cosmwasm_std::{coin, BankMsg, CosmosMsg};
use serde_json::{json, Value};
use ve_vm_tests::{msgs, VmContract, VM_GAS_PER_SDK_GAS};

fn data_string(res: &cosmwasm_std::Response) -> String {
    cosmwasm_std::from_json(res.data.as_ref().expect("data")).unwrap()
}

fn event<'a>(res: &'a cosmwasm_std::Response, ty: &str) -> &'a cosmwasm_std::Event {
    res.events
        .iter()
        .find(|e| e.ty == ty)
        .unwrap_or_else(|| panic!("no {ty} event"))
}

fn attr(e: &cosmwasm_std::Event, key: &str) -> String {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_default()
}

#[test]
fn marketplace_story_in_the_real_vm() {
    let mut vm = VmContract::load("marketplace");
    let admin = vm.addr("admin");
    let provider = vm.addr("provider");
    let customer = vm.addr("customer");
    let callback = vm.addr("callback");

    let (res, gas) = vm.instantiate(&admin, &msgs::instantiate(callback.as_str()));
    res.unwrap();
    println!(
        "instantiate: {gas} VM gas ({} SDK gas)",
        gas / VM_GAS_PER_SDK_GAS
    );

    let create = msgs::create_offering("Standard Compute", 50_000);
    let (res, gas) = vm.execute(&provider, &create, &[]);
    let res = res.unwrap();
    let offering_id = data_string(&res);
    assert_eq!(offering_id, format!("{provider}/1"));
    assert_eq!(attr(event(&res, "ve.offering_created"), "state_code"), "1");
    println!("create_offering: {gas} VM gas");

    // A malformed offering is refused inside the VM with a named error.
    let mut bad = create.clone();
    bad["create_offering"]["offering"]["name"] = json!("");
    let (res, _) = vm.execute(&provider, &bad, &[]);
    let err = res.unwrap_err();
    assert!(err.contains("invalid name: must not be empty"), "{err}");

    // Wrong funds are refused; exact funds open the order.
    let order = msgs::create_order(&offering_id, 2, 60_000);
    let (res, _) = vm.execute(&customer, &order, &[coin(119_999, "uvirt")]);
    assert!(res
        .unwrap_err()
        .contains("wrong funds: expected exactly 120000uvirt"));
    let (res, gas) = vm.execute(&customer, &order, &[coin(120_000, "uvirt")]);
    let order_id = data_string(&res.unwrap());
    assert_eq!(order_id, format!("{customer}/1"));
    println!("create_order: {gas} VM gas");

    let (res, gas) = vm.execute(&provider, &msgs::place_bid(&order_id, 50_000), &[]);
    let bid_id = data_string(&res.unwrap());
    assert_eq!(bid_id, format!("{order_id}/{provider}/1"));
    println!("place_bid: {gas} VM gas");

    // Only the customer accepts.
    let accept = msgs::accept_bid(&bid_id);
    let (res, _) = vm.execute(&provider, &accept, &[]);
    assert!(res
        .unwrap_err()
        .contains("accept a bid may only be done by the order's customer"));
    let (res, gas) = vm.execute(&customer, &accept, &[]);
    let res = res.unwrap();
    println!(
        "accept_bid: {gas} VM gas ({} SDK gas)",
        gas / VM_GAS_PER_SDK_GAS
    );
    let allocation_id = data_string(&res);
    assert_eq!(allocation_id, format!("{order_id}/1"));
    let created = event(&res, "ve.allocation_created");
    assert_eq!(attr(created, "provider"), provider.as_str());
    assert_eq!(attr(created, "state"), "pending");
    // The escrow above the accepted price goes back to the customer.
    assert_eq!(res.messages.len(), 1);
    match &res.messages[0].msg {
        CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
            assert_eq!(to_address, customer.as_str());
            assert_eq!(amount, &vec![coin(20_000, "uvirt")]);
        }
        other => panic!("unexpected message {other:?}"),
    }

    let (order, gas): (Result<Value, _>, u64) =
        vm.query(&json!({ "order": { "order_id": order_id }}));
    let order = order.unwrap();
    assert_eq!(order["order"]["state"], "matched");
    assert_eq!(order["order"]["escrow"], "100000");
    println!("query order: {gas} VM gas");

    let (list, _): (Result<Value, _>, u64) =
        vm.query(&json!({ "allocations_by_provider": { "provider": provider }}));
    let list = list.unwrap();
    assert_eq!(list["allocations"][0]["id"], allocation_id);
    assert_eq!(list["allocations"][0]["allocation"]["state"], "pending");

    // The callback contract drives it active; nobody else may.
    let report = |state: &str| msgs::report_state(&allocation_id, provider.as_str(), state);
    let (res, _) = vm.execute(&provider, &report("accepted"), &[]);
    assert!(res.unwrap_err().contains("waldur-callback contract"));
    for state in ["accepted", "provisioning", "active"] {
        let (res, _) = vm.execute(&callback, &report(state), &[]);
        res.unwrap();
    }
    let (alloc, _): (Result<Value, _>, u64) =
        vm.query(&json!({ "allocation": { "allocation_id": allocation_id }}));
    assert_eq!(alloc.unwrap()["allocation"]["state"], "active");
}

/// execute and query answers through the VM: strings that need escaping
/// arrive intact, and errors (the contract's, and a message that does not
/// parse) come back as errors.
#[test]
fn answers_round_trip_through_the_vm() {
    let mut vm = VmContract::load("marketplace");
    let [admin, provider, callback] = ["admin", "provider", "callback"].map(|n| vm.addr(n));
    vm.instantiate(&admin, &msgs::instantiate(callback.as_str()))
        .0
        .unwrap();
    let (res, _) = vm.execute(&provider, &msgs::create_offering("Compute", 50_000), &[]);
    let offering_id = data_string(&res.unwrap());

    let awkward = "a \"quoted\" back\\slash, € and 😀 / tab\tend";
    let (res, _) = vm.execute(
        &provider,
        &json!({ "update_offering": { "offering_id": offering_id, "name": awkward }}),
        &[],
    );
    res.unwrap();
    let (answer, _) = vm.query::<_, Value>(&json!({ "offering": { "offering_id": offering_id }}));
    let answer = answer.unwrap();
    assert_eq!(answer["offering"]["name"], awkward, "{answer}");

    let (res, _) = vm.execute(
        &provider,
        &json!({ "terminate_offering": { "offering_id": offering_id, "reason": awkward }}),
        &[],
    );
    let res = res.unwrap();
    assert_eq!(
        attr(event(&res, "ve.offering_state_changed"), "reason"),
        awkward
    );

    let (res, _) = vm.execute(&provider, &json!({ "no_such_message": {} }), &[]);
    let err = res.unwrap_err();
    assert!(err.contains("unknown variant `no_such_message`"), "{err}");
    let (res, _) = vm.execute(
        &provider,
        &json!({ "pause_offering": { "offering_id": offering_id }}),
        &[],
    );
    let err = res.unwrap_err();
    assert!(err.contains("terminated"), "{err}");
    let (answer, _) =
        vm.query::<_, Value>(&json!({ "offering": { "offering_id": format!("{provider}/9") }}));
    let err = answer.unwrap_err();
    assert!(err.contains("not found"), "{err}");
    let (answer, _) = vm.query::<_, Value>(&json!({ "offering": {} }));
    let err = answer.unwrap_err();
    assert!(err.contains("missing field `offering_id`"), "{err}");
}
