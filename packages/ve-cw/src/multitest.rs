//! Test support for the contracts' cw-multi-test suites (feature
//! `multitest`; never part of a contract build).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult};
use cw_multi_test::{Contract, ContractWrapper};

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

/// The attribute names of an event, in the order of its attribute map: what
/// the tests compare to pin an event's exact shape.
pub fn attribute_keys(attrs: &std::collections::BTreeMap<String, String>) -> Vec<&str> {
    attrs.keys().map(String::as_str).collect()
}
