//! Test support shared by the contract suites, `tests/integration` and the
//! relayer's embedded chain: one place that knows how to deploy and wire the
//! four VirtEngine contracts on cw-multi-test.
//!
//! - [`admin_transfer`]: the two-step admin transfer scenario every
//!   contract passes;
//! - [`contracts`]: the contract wrappers (every entry point of each
//!   contract) and a foreign contract for migrate tests;
//! - [`deploy`]: all four contracts instantiated and wired to each other,
//!   from a [`DeployConfig`] a test can adjust;
//! - [`order_flow`]: offering, order, bid and acceptance as the portal
//!   drives them, on an `App` or any harness around one;
//! - [`parties`]: the well-known `MockApi` addresses, funding and balances;
//! - [`refusal`]: running a call that must fail and proving it changed
//!   nothing, with the error as text or checked against the typed error;
//! - [`events`]: finding wasm events and their attributes;
//! - [`signing`]: providers' ed25519 keys and signed callbacks.

pub mod admin_transfer;
pub mod contracts;
pub mod deploy;
pub mod events;
pub mod order_flow;
pub mod parties;
pub mod refusal;
pub mod signing;

pub use admin_transfer::{check_admin_transfer, AdminTransferMsgs, AdminTransferParties};
pub use contracts::{
    callback_contract, foreign_contract, hpc_contract, marketplace_contract, settlement_contract,
    ForeignContract,
};
pub use deploy::{deploy, instantiate, new_app, CodeIds, Contracts, DeployConfig, Instance};
pub use events::{
    assert_event, attribute_keys, count_events, event_attrs, has_attr, returned_data, wasm_attr,
};
pub use order_flow::{
    create_offering_msg, create_order_msg, hourly_offering, order_payment, place_bid_msg, Deal,
    MarketOn, Matched, OrderFlow,
};
pub use parties::{addr, advance, balance, fund, fund_all, DENOM, START_BALANCE};
pub use refusal::{assert_contract_error, exec_fails, exec_fails_with, Watch, WatchedState};
