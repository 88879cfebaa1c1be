//! Helpers for running the optimised contract artifacts in the real
//! CosmWasm VM (cosmwasm-vm), as wasmd would.

use std::collections::HashSet;
use std::path::PathBuf;

use cosmwasm_vm::capabilities_from_csv;

/// The capabilities a wasmd on CosmWasm 3 offers.
pub fn wasmd_capabilities() -> HashSet<String> {
    capabilities_from_csv(
        "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,cosmwasm_3_0",
    )
}

/// Path of `artifacts/<name>.wasm` at the workspace root.
pub fn artifact_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(format!("{name}.wasm"))
}

/// Reads an artifact, with a message saying how to build it when missing.
pub fn read_artifact(name: &str) -> Vec<u8> {
    let path = artifact_path(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the artifacts first with scripts/build-wasm.sh",
            path.display()
        )
    })
}
