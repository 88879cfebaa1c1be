//! The parties of a test: `MockApi` addresses (the ones `App::api()`
//! makes), their funds and the block clock.

use cosmwasm_std::{testing::MockApi, Addr, Coin, StdResult, Uint128};
use cw_multi_test::App;

/// The chain's staking denom, the one every contract prices in.
pub const DENOM: &str = "uvirt";
/// What each funded party starts with, per denom.
pub const START_BALANCE: u128 = 1_000_000_000_000;

/// The address `App::api().addr_make(name)` gives: the same in every suite,
/// so a test can name a party before the app exists.
pub fn addr(name: &str) -> Addr {
    MockApi::default().addr_make(name)
}

/// Gives `who` exactly `coins` (replacing its balance) at genesis.
pub fn fund(app: &mut App, who: &Addr, coins: Vec<Coin>) -> StdResult<()> {
    app.init_modules(|router, _, storage| router.bank.init_balance(storage, who, coins))
}

/// Gives each of `parties` [`START_BALANCE`] of each of `denoms`.
pub fn fund_all(app: &mut App, parties: &[&Addr], denoms: &[&str]) -> StdResult<()> {
    let coins: Vec<Coin> = denoms
        .iter()
        .map(|d| cosmwasm_std::coin(START_BALANCE, *d))
        .collect();
    for who in parties {
        fund(app, who, coins.clone())?;
    }
    Ok(())
}

/// `who`'s balance of `denom`.
pub fn balance(app: &App, who: &Addr, denom: &str) -> StdResult<u128> {
    let coin = app.wrap().query_balance(who, denom)?;
    Ok(Uint128::try_from(coin.amount)?.u128())
}

/// Moves the block clock `seconds` forward, with a height that keeps up
/// (5 s blocks, and at least one block).
pub fn advance(app: &mut App, seconds: u64) {
    app.update_block(|b| {
        b.time = b.time.plus_seconds(seconds);
        b.height += seconds / 5 + 1;
    });
}
