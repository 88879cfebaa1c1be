//! The contracts' raw state on a real wasmd devnet (its own chain, started
//! and stopped here), read back with `ve-state`: every record of every
//! contract decodes, and the decoded offering and order are what the
//! marketplace answers to queries.

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};
use ve_devnet::Devnet;
use ve_state::{Contract, DecodedState};

/// Ports of this file's chain: RPC 27257 and so on.
const PORT_OFFSET: u16 = 600;

/// More than any contract holds after this story: the dump is one page.
const MAX_RECORDS: usize = 1_000;

const PRICE: u128 = 10_000;

fn decoded(cli: &ve_devnet::Wasmd, address: &str, contract: Contract) -> Result<DecodedState> {
    let dump = cli.contract_state_all(address, MAX_RECORDS)?;
    let records = ve_state::parse_dump(&dump)?;
    let state = ve_state::decode(None, &records)?;
    ensure!(
        state.contract == contract,
        "{address} is {}",
        state.contract
    );
    ensure!(
        state.undecoded.is_empty(),
        "undecodable records of {contract}: {:#?}",
        state.undecoded
    );
    ensure!(state.records.len() == records.len());
    Ok(state)
}

fn stored<'s>(state: &'s DecodedState, namespace: &'s str, id: &str) -> Result<&'s Value> {
    let (owner, sequence) = id.rsplit_once('/').context("an owner/sequence id")?;
    let key = vec![json!(owner), json!(sequence.parse::<u64>()?)];
    state
        .in_namespace(namespace)
        .find(|r| r.key == key)
        .map(|r| &r.value)
        .with_context(|| format!("no {namespace} record {id}"))
}

#[test]
fn raw_state_decodes_to_what_the_contracts_answer() -> Result<()> {
    let dir = ve_devnet::repo_root().join("target/devnet-tests/state");
    let _ = std::fs::remove_dir_all(&dir);
    let devnet = Devnet::start_own(&dir.join("node"), PORT_OFFSET)?;
    let cli = devnet.cli();
    let deployment = ve_devnet::deploy(&cli, &devnet, &ve_devnet::repo_root().join("artifacts"))?;
    let marketplace = deployment.contract("marketplace")?;

    let offering: String = cli
        .execute(
            "provider",
            marketplace,
            &json!({"create_offering": {"offering": {
                "name": "Raw state", "description": "Decoded by ve-state", "category": "compute",
                "pricing": {"model": "hourly", "denom": cli.denom, "base_price": PRICE.to_string()},
                "regions": ["eu-west-1"], "tags": ["linux"], "specifications": {"vcpu": "4"}
            }}}),
            "",
        )?
        .execute_json()?;
    let order: String = cli
        .execute(
            "customer",
            marketplace,
            &json!({"create_order": {"offering_id": offering, "quantity": 1,
                "max_bid_price": PRICE.to_string()}}),
            &format!("{PRICE}{}", cli.denom),
        )?
        .execute_json()?;

    let state = decoded(&cli, marketplace, Contract::Marketplace)?;
    let answer: marketplace::msg::OfferingResponse =
        cli.query(marketplace, &json!({"offering": {"offering_id": offering}}))?;
    ensure!(
        *stored(&state, "offerings", &offering)? == serde_json::to_value(&answer.offering)?,
        "the decoded offering differs from the query's"
    );
    let answer: marketplace::msg::OrderResponse =
        cli.query(marketplace, &json!({"order": {"order_id": order}}))?;
    ensure!(
        *stored(&state, "orders", &order)? == serde_json::to_value(&answer.order)?,
        "the decoded order differs from the query's"
    );
    // Their index entries: the offering under its state, the order under
    // its offering.
    ensure!(state.in_namespace("offerings__state").count() == 1);
    ensure!(state.in_namespace("orders__offering").count() == 1);

    // The other three, as deployed and wired.
    for (name, contract) in [
        ("settlement", Contract::Settlement),
        ("hpc", Contract::Hpc),
        ("waldur-callback", Contract::WaldurCallback),
    ] {
        let state = decoded(&cli, deployment.contract(name)?, contract)?;
        ensure!(
            state.in_namespace("config").count() == 1,
            "{name} has no config"
        );
    }
    Ok(())
}
