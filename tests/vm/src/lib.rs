//! Helpers for running the optimised contract artifacts in the real
//! CosmWasm VM (cosmwasm-vm), as wasmd would.

pub mod msgs;
pub mod seed;

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

use cosmwasm_std::{Addr, Coin, ContractResult, Env, Response};
use cosmwasm_vm::testing::{
    execute, instantiate, mock_env, mock_instance_with_options, query, MockApi,
    MockInstanceOptions, MockQuerier, MockStorage,
};
use cosmwasm_vm::Instance;
use serde::{de::DeserializeOwned, Serialize};

/// VM gas per SDK gas unit (wasmd's multiplier).
pub const VM_GAS_PER_SDK_GAS: u64 = 140_000;

/// One contract instance in the real VM, with its block environment.
pub struct VmContract {
    pub instance: Instance<MockApi, MockStorage, MockQuerier>,
    pub env: Env,
    api: MockApi,
}

impl VmContract {
    /// Loads `artifacts/<name>.wasm` with the capabilities of wasmd.
    pub fn load(name: &str) -> Self {
        Self::from_wasm(&read_artifact(name))
    }

    /// Loads any wasm with the capabilities of wasmd.
    pub fn from_wasm(wasm: &[u8]) -> Self {
        let options = MockInstanceOptions {
            available_capabilities: wasmd_capabilities(),
            gas_limit: 100_000_000_000_000,
            ..MockInstanceOptions::default()
        };
        VmContract {
            instance: mock_instance_with_options(wasm, options),
            env: mock_env(),
            api: MockApi::default(),
        }
    }

    pub fn addr(&self, name: &str) -> Addr {
        Addr::unchecked(self.api.addr_make(name))
    }

    fn gas_left(&mut self) -> u64 {
        self.instance.get_gas_left()
    }

    pub fn instantiate<M: Serialize>(
        &mut self,
        sender: &Addr,
        msg: &M,
    ) -> (ContractResult<Response>, u64) {
        let info = cosmwasm_std::testing::message_info(sender, &[]);
        let before = self.gas_left();
        let res = instantiate(&mut self.instance, self.env.clone(), info, msg);
        (res, before - self.gas_left())
    }

    /// Executes and returns the result with the VM gas it used.
    pub fn execute<M: Serialize>(
        &mut self,
        sender: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> (ContractResult<Response>, u64) {
        let info = cosmwasm_std::testing::message_info(sender, funds);
        let before = self.gas_left();
        let res = execute(&mut self.instance, self.env.clone(), info, msg);
        (res, before - self.gas_left())
    }

    /// Queries and decodes the answer, with the VM gas used.
    pub fn query<M: Serialize, T: DeserializeOwned>(
        &mut self,
        msg: &M,
    ) -> (Result<T, String>, u64) {
        let before = self.gas_left();
        let res = query(&mut self.instance, self.env.clone(), msg)
            .into_result()
            .and_then(|bin| cosmwasm_std::from_json(&bin).map_err(|e| e.to_string()));
        (res, before - self.gas_left())
    }

    pub fn advance(&mut self, seconds: u64) {
        self.env.block.time = self.env.block.time.plus_seconds(seconds);
        self.env.block.height += seconds / 5 + 1;
    }
}
