//! Validates contract wasm with the real VM: cosmwasm-vm's `check_wasm`
//! (the static check wasmd runs on upload, with a current wasmd's
//! capabilities), then the VM's own analysis of the exports, which must
//! include the entry points every contract of ours has. A contract built
//! with its `library` feature on (a cargo feature-unification accident)
//! passes the first check but has no entry points.

use std::collections::BTreeSet;
use std::process::ExitCode;

use cosmwasm_vm::internals::{check_wasm, Logger};
use cosmwasm_vm::testing::{MockApi, MockQuerier, MockStorage};
use cosmwasm_vm::{Cache, CacheOptions, Size, WasmLimits};
use ve_vm_tests::wasmd_capabilities;

const REQUIRED_ENTRY_POINTS: [&str; 4] = ["instantiate", "execute", "query", "migrate"];

fn entry_points(wasm: &[u8]) -> Result<BTreeSet<String>, String> {
    let dir = std::env::temp_dir().join(format!("ve-wasm-check-{}", std::process::id()));
    let options = CacheOptions::new(&dir, wasmd_capabilities(), Size::mebi(0), Size::mebi(32));
    // SAFETY: the cache directory is private to this process.
    let cache: Cache<MockApi, MockStorage, MockQuerier> =
        unsafe { Cache::new(options) }.map_err(|e| e.to_string())?;
    let checksum = cache
        .store_code(wasm, true, true)
        .map_err(|e| e.to_string())?;
    let report = cache.analyze(&checksum).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report.entrypoints.iter().map(|e| e.to_string()).collect())
}

fn validate(path: &str) -> Result<BTreeSet<String>, String> {
    let wasm = std::fs::read(path).map_err(|e| e.to_string())?;
    check_wasm(
        &wasm,
        &wasmd_capabilities(),
        &WasmLimits::default(),
        Logger::Off,
    )
    .map_err(|e| e.to_string())?;
    let exports = entry_points(&wasm)?;
    let missing: Vec<&str> = REQUIRED_ENTRY_POINTS
        .into_iter()
        .filter(|e| !exports.contains(*e))
        .collect();
    if missing.is_empty() {
        Ok(exports)
    } else {
        Err(format!("missing entry points: {}", missing.join(", ")))
    }
}

fn main() -> ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: ve-wasm-check <file.wasm>...");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for path in &paths {
        match validate(path) {
            Ok(exports) => println!(
                "{path}: passes CosmWasm VM validation; entry points: {}",
                exports.into_iter().collect::<Vec<_>>().join(", ")
            ),
            Err(e) => {
                eprintln!("{path}: FAILS CosmWasm VM validation: {e}");
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
