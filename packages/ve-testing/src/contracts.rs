//! The contract wrappers cw-multi-test runs: each contract with every entry
//! point it has, so one wrapper serves every suite.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult};
use cw_multi_test::{Contract, ContractWrapper};

pub fn marketplace_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            marketplace::contract::execute,
            marketplace::contract::instantiate,
            marketplace::contract::query,
        )
        .with_reply(marketplace::contract::reply)
        .with_migrate(marketplace::contract::migrate),
    )
}

pub fn settlement_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            settlement::contract::execute,
            settlement::contract::instantiate,
            settlement::contract::query,
        )
        .with_migrate(settlement::contract::migrate),
    )
}

pub fn hpc_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            hpc::contract::execute,
            hpc::contract::instantiate,
            hpc::contract::query,
        )
        .with_reply(hpc::contract::reply)
        .with_migrate(hpc::contract::migrate),
    )
}

pub fn callback_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            waldur_callback::contract::execute,
            waldur_callback::contract::instantiate,
            waldur_callback::contract::query,
        )
        .with_migrate(waldur_callback::contract::migrate),
    )
}

/// Instantiate message of [`foreign_contract`]: the cw2 name and version it
/// records, as another project's contract would.
#[cw_serde]
pub struct ForeignContract {
    pub contract: String,
    pub version: String,
}

fn foreign_instantiate(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: ForeignContract,
) -> StdResult<Response> {
    cw2::set_contract_version(deps.storage, msg.contract, msg.version)?;
    Ok(Response::new())
}

fn ignore_execute(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}

fn ignore_query(_: Deps, _: Env, _: Empty) -> StdResult<Binary> {
    Ok(Binary::default())
}

/// A contract that only records a cw2 version: the stand-in for "some other
/// project's contract" in migrate tests (ours must refuse to migrate it).
pub fn foreign_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        ignore_execute,
        foreign_instantiate,
        ignore_query,
    ))
}
