//! Helpers for running the optimised contract artifacts in the real
//! CosmWasm VM (cosmwasm-vm), as wasmd would.

pub mod gas_steps;
pub mod msgs;
pub mod seed;
pub mod wasmd_gas;

use std::collections::HashSet;
use std::path::PathBuf;

use cosmwasm_vm::capabilities_from_csv;

/// The capabilities a wasmd on CosmWasm 3 offers.
pub fn wasmd_capabilities() -> HashSet<String> {
    capabilities_from_csv(
        "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,cosmwasm_3_0",
    )
}

/// Path of `artifacts/<name>.wasm` at the workspace root, or in the
/// directory `VE_ARTIFACTS` names (relative to the workspace root), as the
/// gas profile's marked builds in `artifacts/profile` are loaded.
pub fn artifact_path(name: &str) -> PathBuf {
    let dir = std::env::var("VE_ARTIFACTS").unwrap_or_else(|_| "artifacts".into());
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir)
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
use cosmwasm_vm::internals::{check_wasm, Logger};
use cosmwasm_vm::testing::{execute, instantiate, mock_env, query, MockApi, MockQuerier};
use cosmwasm_vm::{Backend, Instance, InstanceOptions, Size, WasmLimits};
use serde::{de::DeserializeOwned, Serialize};

use gas_steps::{GasMarks, Step};
use wasmd_gas::{Charges, MeteredStorage};

/// VM gas per SDK gas unit (wasmd's multiplier).
pub const VM_GAS_PER_SDK_GAS: u64 = 140_000;

/// One contract instance in the real VM, with its block environment.
pub struct VmContract {
    pub instance: Instance<MockApi, MeteredStorage, MockQuerier>,
    pub env: Env,
    api: MockApi,
    /// wasmd's storage and event gas of the last call.
    last: Charges,
    /// The gas marks of the running call (profile builds only: the
    /// execute entry point's, `ve_cw::gas_profile_entry_point!`).
    marks: GasMarks,
    /// The steps of the last call, from its marks.
    last_steps: Vec<Step>,
}

impl VmContract {
    /// Loads `artifacts/<name>.wasm` with the capabilities of wasmd.
    pub fn load(name: &str) -> Self {
        Self::from_wasm(&read_artifact(name))
    }

    /// Loads any wasm with the capabilities of wasmd.
    pub fn from_wasm(wasm: &[u8]) -> Self {
        check_wasm(
            wasm,
            &wasmd_capabilities(),
            &WasmLimits::default(),
            Logger::Off,
        )
        .expect("the wasm passes wasmd's checks");
        let backend = Backend {
            api: MockApi::default(),
            storage: MeteredStorage::default(),
            querier: MockQuerier::new(&[]),
        };
        let options = InstanceOptions {
            gas_limit: 100_000_000_000_000,
        };
        let mut instance = Instance::from_code(wasm, backend, options, Some(Size::mebi(16)))
            .expect("the wasm instantiates in the VM");
        let marks = GasMarks::default();
        instance.set_debug_handler(marks.handler());
        VmContract {
            instance,
            env: mock_env(),
            api: MockApi::default(),
            last: Charges::default(),
            marks,
            last_steps: Vec::new(),
        }
    }

    /// wasmd's storage and event gas (SDK gas) of the last execute,
    /// instantiate or query.
    pub fn charges(&self) -> Charges {
        self.last
    }

    /// Where the last execute's VM gas went, step by step: empty unless
    /// the artifact is a profile build (`ve_cw::gas_profile_entry_point!`).
    pub fn steps(&self) -> &[Step] {
        &self.last_steps
    }

    fn start_metering(&mut self) {
        // Drops whatever seeding or setup wrote outside a call.
        let _ = self.take_storage_gas();
        self.marks.clear();
    }

    fn take_storage_gas(&mut self) -> u64 {
        self.instance
            .with_storage(|s| Ok(s.take_gas()))
            .unwrap_or_default()
    }

    /// Records the call's store gas (since `start_metering`) and `events`.
    fn finish_metering(&mut self, events: u64) {
        self.last = Charges {
            storage: self.take_storage_gas(),
            events,
        };
    }

    /// wasmd's event gas of an execute's or instantiate's result.
    fn event_gas_of(res: &ContractResult<Response>) -> u64 {
        match res {
            ContractResult::Ok(r) => wasmd_gas::event_gas(r),
            ContractResult::Err(_) => 0,
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
        self.start_metering();
        let before = self.gas_left();
        let res = instantiate(&mut self.instance, self.env.clone(), info, msg);
        let used = before - self.gas_left();
        self.finish_metering(Self::event_gas_of(&res));
        (res, used)
    }

    /// Executes and returns the result with the VM gas it used.
    pub fn execute<M: Serialize>(
        &mut self,
        sender: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> (ContractResult<Response>, u64) {
        let info = cosmwasm_std::testing::message_info(sender, funds);
        self.start_metering();
        let before = self.gas_left();
        let res = execute(&mut self.instance, self.env.clone(), info, msg);
        let after = self.gas_left();
        self.finish_metering(Self::event_gas_of(&res));
        self.last_steps = self.marks.steps(before, after);
        (res, before - after)
    }

    /// Queries and decodes the answer, with the VM gas used.
    pub fn query<M: Serialize, T: DeserializeOwned>(
        &mut self,
        msg: &M,
    ) -> (Result<T, String>, u64) {
        self.start_metering();
        let before = self.gas_left();
        let res = query(&mut self.instance, self.env.clone(), msg)
            .into_result()
            .and_then(|bin| cosmwasm_std::from_json(&bin).map_err(|e| e.to_string()));
        let used = before - self.gas_left();
        // A query emits no events.
        self.finish_metering(0);
        (res, used)
    }

    pub fn advance(&mut self, seconds: u64) {
        self.env.block.time = self.env.block.time.plus_seconds(seconds);
        self.env.block.height += seconds / 5 + 1;
    }
}
