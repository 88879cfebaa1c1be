//! The local demo: runs a marketplace story against the optimised wasm
//! artifact in the real CosmWasm VM and prints what happened at each step,
//! with the gas it cost.

use std::process::ExitCode;

use cosmwasm_std::{coin, Response};
use serde::Serialize;
use ve_vm_tests::{msgs, VmContract, VM_GAS_PER_SDK_GAS};

struct Demo {
    vm: VmContract,
    step: usize,
}

impl Demo {
    fn run<M: Serialize>(
        &mut self,
        what: &str,
        sender: &cosmwasm_std::Addr,
        msg: &M,
        funds: &[cosmwasm_std::Coin],
    ) -> Result<Response, String> {
        self.step += 1;
        let (res, gas) = self.vm.execute(sender, msg, funds);
        let res = res
            .into_result()
            .map_err(|e| format!("step {} ({what}) failed: {e}", self.step))?;
        println!(
            "[{:>2}] {what:<44} {:>12} VM gas  {:>6} SDK gas",
            self.step,
            gas,
            gas / VM_GAS_PER_SDK_GAS
        );
        for event in &res.events {
            let attrs: Vec<String> = event
                .attributes
                .iter()
                .filter(|a| {
                    [
                        "offering_id",
                        "order_id",
                        "bid_id",
                        "allocation_id",
                        "state",
                        "amount",
                    ]
                    .contains(&a.key.as_str())
                })
                .map(|a| format!("{}={}", a.key, a.value))
                .collect();
            println!("       wasm-{:<34} {}", event.ty, attrs.join(" "));
        }
        Ok(res)
    }
}

fn returned_id(res: &Response) -> Result<String, String> {
    let data = res.data.as_ref().ok_or("response has no data")?;
    cosmwasm_std::from_json(data).map_err(|e| e.to_string())
}

fn story() -> Result<(), String> {
    let vm = VmContract::load("marketplace");
    let admin = vm.addr("admin");
    let provider = vm.addr("provider");
    let customer = vm.addr("customer");
    let callback = vm.addr("waldur-callback");
    let mut demo = Demo { vm, step: 0 };

    let (res, gas) = demo
        .vm
        .instantiate(&admin, &msgs::instantiate(callback.as_str()));
    res.into_result()?;
    println!("marketplace.wasm instantiated ({gas} VM gas); callback contract {callback}");

    let offering = returned_id(&demo.run(
        "provider creates an offering",
        &provider,
        &msgs::create_offering("Standard Compute", 50_000),
        &[],
    )?)?;
    let order = returned_id(&demo.run(
        "customer orders 2 units, escrows 2 x 60,000",
        &customer,
        &msgs::create_order(&offering, 2, 60_000),
        &[coin(120_000, "uvirt")],
    )?)?;
    let bid = returned_id(&demo.run(
        "provider bids 50,000 per unit",
        &provider,
        &msgs::place_bid(&order, 50_000),
        &[],
    )?)?;
    let allocation = returned_id(&demo.run(
        "customer accepts: allocation + refund",
        &customer,
        &msgs::accept_bid(&bid),
        &[],
    )?)?;
    for state in ["accepted", "provisioning", "active"] {
        demo.run(
            &format!("Waldur reports {state}"),
            &callback,
            &msgs::report_state(&allocation, provider.as_str(), state),
            &[],
        )?;
    }
    demo.run(
        "customer requests termination",
        &customer,
        &msgs::terminate(&allocation),
        &[],
    )?;
    demo.run(
        "Waldur reports terminated",
        &callback,
        &msgs::report_state(&allocation, provider.as_str(), "terminated"),
        &[],
    )?;
    println!("done: allocation {allocation} went pending -> active -> terminated");
    Ok(())
}

fn main() -> ExitCode {
    match story() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
