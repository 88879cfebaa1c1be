//! The four contracts instantiated and wired to each other, as on a chain:
//! settlement trusts the marketplace, hpc and callback contracts; the
//! marketplace and hpc send escrows to settlement and take reports from the
//! callback contract; the callback contract forwards to all three.

use cosmwasm_std::{Addr, StdResult};
use cw_multi_test::{App, AppBuilder, Contract, Executor};
use serde::Serialize;
use serde_json::json;

use crate::contracts::{
    callback_contract, hpc_contract, marketplace_contract, settlement_contract,
};

/// An app with the default `MockApi`, bank and block (its addresses are
/// those of [`crate::addr`]).
pub fn new_app() -> App {
    AppBuilder::new().build(|_, _, _| {})
}

/// One contract stored and instantiated by [`instantiate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub code_id: u64,
    pub address: Addr,
}

/// Stores `code` and instantiates it as `admin`, who is also its wasm-level
/// (migrate) admin: one contract alone, for the suites that stand plain
/// accounts in for the others.
pub fn instantiate<M: Serialize>(
    app: &mut App,
    code: Box<dyn Contract<cosmwasm_std::Empty>>,
    admin: &Addr,
    msg: &M,
    label: &str,
) -> StdResult<Instance> {
    let code_id = app.store_code(code);
    let address = app.instantiate_contract(
        code_id,
        admin.clone(),
        msg,
        &[],
        label,
        Some(admin.to_string()),
    )?;
    Ok(Instance { code_id, address })
}

/// How [`deploy`] instantiates the four contracts. The addresses by which
/// the contracts know each other (settlement's callback contract, the
/// marketplace's and hpc's settlement and callback contracts) are filled in
/// by `deploy`; everything else is the test's to adjust.
pub struct DeployConfig {
    /// Instantiates and wires everything; the contracts' admin (their
    /// `admin` fields are `None`) and their wasm-level admin.
    pub admin: Addr,
    pub marketplace: marketplace::msg::InstantiateMsg,
    pub settlement: settlement::msg::InstantiateMsg,
    pub hpc: hpc::msg::InstantiateMsg,
    pub callback: waldur_callback::msg::InstantiateMsg,
}

impl DeployConfig {
    /// Every setting at the contract's default; `admin` is also
    /// settlement's arbiter, and settlement takes no fee.
    pub fn new(admin: &Addr) -> Self {
        DeployConfig {
            admin: admin.clone(),
            marketplace: marketplace::msg::InstantiateMsg {
                admin: None,
                callback_contract: None,
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: None,
                settlement_contract: None,
                escrow_expiry_seconds: None,
            },
            settlement: settlement::msg::InstantiateMsg {
                admin: None,
                arbiter: admin.to_string(),
                marketplace: None,
                hpc: None,
                callback_contract: None,
                fee_shares: vec![],
                ack_window_seconds: None,
            },
            hpc: hpc::msg::InstantiateMsg {
                admin: None,
                settlement_contract: String::new(),
                callback_contract: None,
                escrow_grace_seconds: None,
            },
            callback: waldur_callback::msg::InstantiateMsg {
                admin: None,
                marketplace: None,
                settlement: None,
                hpc: None,
                max_validity_seconds: None,
                max_clock_skew_seconds: None,
                max_payload_bytes: None,
                prune_batch: None,
            },
        }
    }
}

/// The code ids [`deploy`] stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeIds {
    pub marketplace: u64,
    pub settlement: u64,
    pub hpc: u64,
    pub callback: u64,
}

/// The addresses of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contracts {
    pub marketplace: Addr,
    pub settlement: Addr,
    pub hpc: Addr,
    pub callback: Addr,
    pub code_ids: CodeIds,
}

impl Contracts {
    /// The four contracts, in a fixed order (marketplace, settlement, hpc,
    /// callback).
    pub fn all(&self) -> [&Addr; 4] {
        [
            &self.marketplace,
            &self.settlement,
            &self.hpc,
            &self.callback,
        ]
    }
}

/// Deploys the four contracts and wires them to each other. The callback
/// contract comes first (the others name it at instantiation), then
/// settlement, the marketplace and hpc; then settlement learns the
/// marketplace and hpc, and the callback contract all three.
///
/// The store and instantiate order is fixed: cw-multi-test derives contract
/// addresses from code id and instance number, so every suite sees the same
/// addresses.
pub fn deploy(app: &mut App, config: DeployConfig) -> StdResult<Contracts> {
    let DeployConfig {
        admin,
        mut marketplace,
        mut settlement,
        mut hpc,
        callback,
    } = config;
    let code_ids = CodeIds {
        callback: app.store_code(callback_contract()),
        marketplace: app.store_code(marketplace_contract()),
        settlement: app.store_code(settlement_contract()),
        hpc: app.store_code(hpc_contract()),
    };
    let wasm_admin = Some(admin.to_string());
    let callback_addr = app.instantiate_contract(
        code_ids.callback,
        admin.clone(),
        &callback,
        &[],
        "waldur-callback",
        wasm_admin.clone(),
    )?;
    settlement.callback_contract = Some(callback_addr.to_string());
    let settlement_addr = app.instantiate_contract(
        code_ids.settlement,
        admin.clone(),
        &settlement,
        &[],
        "settlement",
        wasm_admin.clone(),
    )?;
    marketplace.callback_contract = Some(callback_addr.to_string());
    marketplace.settlement_contract = Some(settlement_addr.to_string());
    let marketplace_addr = app.instantiate_contract(
        code_ids.marketplace,
        admin.clone(),
        &marketplace,
        &[],
        "marketplace",
        wasm_admin.clone(),
    )?;
    hpc.callback_contract = Some(callback_addr.to_string());
    hpc.settlement_contract = settlement_addr.to_string();
    let hpc_addr =
        app.instantiate_contract(code_ids.hpc, admin.clone(), &hpc, &[], "hpc", wasm_admin)?;
    // The wiring is sent as JSON: the JSON interface is the contracts'
    // stable contract, the Rust shape of `UpdateConfig` is not.
    app.execute_contract(
        admin.clone(),
        settlement_addr.clone(),
        &json!({"update_config": {
            "marketplace": marketplace_addr,
            "hpc": hpc_addr,
        }}),
        &[],
    )?;
    app.execute_contract(
        admin,
        callback_addr.clone(),
        &json!({"update_config": {
            "marketplace": marketplace_addr,
            "settlement": settlement_addr,
            "hpc": hpc_addr,
        }}),
        &[],
    )?;
    Ok(Contracts {
        marketplace: marketplace_addr,
        settlement: settlement_addr,
        hpc: hpc_addr,
        callback: callback_addr,
        code_ids,
    })
}
