//! A call that must be refused: run it, prove it changed nothing that is
//! watched, and hand back the error as text or as the contract's own type.

use cosmwasm_std::{Addr, Coin, StdResult};
use cw_multi_test::{App, Executor};
use serde::Serialize;

/// What a refused call must leave untouched: the raw storage of
/// `contracts` and the balances of `accounts` in `denoms`.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    pub contracts: Vec<Addr>,
    pub accounts: Vec<Addr>,
    pub denoms: Vec<String>,
}

/// The watched state at one moment, to compare before and after.
#[derive(Debug, PartialEq, Eq)]
pub struct WatchedState {
    pub storage: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    pub balances: Vec<(Addr, Vec<Coin>)>,
}

impl Watch {
    /// Watches the storage of `contracts` only.
    pub fn storage_of(contracts: &[&Addr]) -> Self {
        Watch {
            contracts: contracts.iter().map(|c| (*c).clone()).collect(),
            ..Watch::default()
        }
    }

    /// Also watches the balances of `accounts` in `denoms`.
    pub fn with_balances(mut self, accounts: &[&Addr], denoms: &[&str]) -> Self {
        self.accounts.extend(accounts.iter().map(|a| (*a).clone()));
        self.denoms.extend(denoms.iter().map(|d| d.to_string()));
        self
    }

    pub fn state(&self, app: &App) -> StdResult<WatchedState> {
        let storage = self
            .contracts
            .iter()
            .map(|c| app.dump_wasm_raw(c))
            .collect();
        let mut balances = vec![];
        for account in &self.accounts {
            let coins = self
                .denoms
                .iter()
                .map(|d| app.wrap().query_balance(account, d))
                .collect::<StdResult<Vec<Coin>>>()?;
            balances.push((account.clone(), coins));
        }
        Ok(WatchedState { storage, balances })
    }
}

/// Executes `msg` on `contract`; it must fail and leave everything `watch`
/// names as it was. Returns the error's text (which includes the contract's
/// own message).
pub fn exec_fails<M: Serialize + std::fmt::Debug>(
    app: &mut App,
    watch: &Watch,
    sender: &Addr,
    contract: &Addr,
    msg: &M,
    funds: &[Coin],
) -> String {
    let before = watch.state(app).expect("read the watched state");
    let err = app
        .execute_contract(sender.clone(), contract.clone(), msg, funds)
        .expect_err("the message should have failed");
    let after = watch.state(app).expect("read the watched state");
    assert_eq!(
        before.storage, after.storage,
        "a failed message changed state"
    );
    assert_eq!(
        before.balances, after.balances,
        "a failed message moved funds"
    );
    err.to_string()
}

/// As [`exec_fails`], asserting that the error is the contract's typed
/// error `expected`. cw-multi-test keeps only the text of a contract's
/// error (it erases the type on the way out), so the variant is compared by
/// its message; returns the full error text.
pub fn exec_fails_with<M: Serialize + std::fmt::Debug, E: std::fmt::Display>(
    app: &mut App,
    watch: &Watch,
    sender: &Addr,
    contract: &Addr,
    msg: &M,
    funds: &[Coin],
    expected: &E,
) -> String {
    let err = exec_fails(app, watch, sender, contract, msg, funds);
    assert_contract_error(&err, expected);
    err
}

/// Asserts that the error text `err` carries the contract error `expected`.
pub fn assert_contract_error<E: std::fmt::Display>(err: &str, expected: &E) {
    let message = expected.to_string();
    assert!(
        err.contains(&message),
        "expected the contract error {message:?}, got: {err}"
    );
}
