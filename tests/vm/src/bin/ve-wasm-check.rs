//! Static validation of contract wasm with the real VM's checker
//! (cosmwasm-vm's `check_wasm`, the check wasmd runs on upload), using the
//! capabilities of a current wasmd.

use std::process::ExitCode;

use cosmwasm_vm::internals::{check_wasm, Logger};
use cosmwasm_vm::WasmLimits;
use ve_vm_tests::wasmd_capabilities;

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: ve-wasm-check <file.wasm>...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for path in &paths {
        let result = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|wasm| {
                check_wasm(
                    &wasm,
                    &wasmd_capabilities(),
                    &WasmLimits::default(),
                    Logger::Off,
                )
                .map_err(|e| e.to_string())
            });
        match result {
            Ok(()) => println!("{path}: passes CosmWasm VM static validation"),
            Err(e) => {
                eprintln!("{path}: FAILS CosmWasm VM static validation: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
