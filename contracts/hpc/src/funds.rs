//! Checks on attached funds.

use cosmwasm_std::{Coin, MessageInfo};

use crate::error::ContractError;

fn describe(funds: &[Coin]) -> String {
    funds
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message must carry exactly `expected` and nothing else.
pub fn exact(info: &MessageInfo, expected: Coin) -> Result<(), ContractError> {
    match info.funds.as_slice() {
        [c] if *c == expected => Ok(()),
        _ => Err(ContractError::WrongFunds {
            expected,
            got: describe(&info.funds),
        }),
    }
}

pub fn none(info: &MessageInfo) -> Result<(), ContractError> {
    if info.funds.is_empty() {
        Ok(())
    } else {
        Err(ContractError::UnexpectedFunds(describe(&info.funds)))
    }
}
