//! A cw-multi-test suite with the marketplace deployed and funded parties.
#![allow(dead_code)]

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Coin, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use marketplace::msg::{ExecuteMsg, InstantiateMsg, OfferingFields, QueryMsg};
use serde::de::DeserializeOwned;
use ve_testing::{addr, Deal, MarketOn, OrderFlow, Watch};
use ve_types::{AllocationState, Category, Pricing, PricingModel};

#[allow(unused_imports)] // each test binary uses a subset
pub use ve_testing::{count_events, create_order_msg, event_attrs, DENOM, START_BALANCE};

pub const OTHER_DENOM: &str = "uatom";

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub contract: Addr,
    pub admin: Addr,
    pub provider: Addr,
    pub provider2: Addr,
    pub customer: Addr,
    pub customer2: Addr,
    pub callback: Addr,
    pub stranger: Addr,
}

pub fn hourly_pricing(base: u128) -> Pricing {
    Pricing {
        model: PricingModel::Hourly,
        denom: DENOM.into(),
        base_price: Uint128::new(base),
        components: vec![],
        minimum_commitment_seconds: 0,
    }
}

pub fn offering_fields(name: &str) -> OfferingFields {
    OfferingFields {
        name: name.into(),
        description: "General-purpose compute".into(),
        category: Category::Compute,
        pricing: hourly_pricing(50_000),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        tags: vec!["linux".into()],
        specifications: BTreeMap::from([("vcpu".into(), "4".into())]),
        min_identity_score: 30,
        require_mfa_for_orders: false,
    }
}

/// The text of an execute error (multi-test's display includes the
/// contract's own message).
pub fn err_text(err: impl std::fmt::Display) -> String {
    err.to_string()
}

impl Suite {
    pub fn new() -> Self {
        Self::with_instantiate(|_| {})
    }

    pub fn with_instantiate(tweak: impl FnOnce(&mut InstantiateMsg)) -> Self {
        let mut app = ve_testing::new_app();
        let [admin, provider, provider2, customer, customer2, callback, stranger] = [
            "admin",
            "provider",
            "provider2",
            "customer",
            "customer2",
            "callback",
            "stranger",
        ]
        .map(addr);
        ve_testing::fund_all(
            &mut app,
            &[
                &admin, &provider, &provider2, &customer, &customer2, &stranger, &callback,
            ],
            &[DENOM, OTHER_DENOM],
        )
        .unwrap();
        let mut msg = InstantiateMsg {
            admin: Some(admin.to_string()),
            callback_contract: Some(callback.to_string()),
            default_bid_ttl_seconds: None,
            max_bid_ttl_seconds: None,
            max_bids_per_order: None,
            settlement_contract: None,
            escrow_expiry_seconds: None,
        };
        tweak(&mut msg);
        let marketplace = ve_testing::instantiate(
            &mut app,
            ve_testing::marketplace_contract(),
            &admin,
            &msg,
            "marketplace",
        )
        .unwrap();
        let (code_id, contract) = (marketplace.code_id, marketplace.address);
        Suite {
            app,
            code_id,
            contract,
            admin,
            provider,
            provider2,
            customer,
            customer2,
            callback,
            stranger,
        }
    }

    pub fn exec(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, funds)
    }

    /// Executes a message that must fail; returns the error text and checks
    /// that no state changed.
    pub fn exec_fails(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> String {
        let watch = Watch::storage_of(&[&self.contract]);
        let contract = self.contract.clone();
        ve_testing::exec_fails(&mut self.app, &watch, sender, &contract, msg, funds)
    }

    /// Every key/value of the contract's storage, to compare before/after.
    pub fn dump_state(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.app.dump_wasm_raw(&self.contract)
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    pub fn balance(&self, who: &Addr, denom: &str) -> u128 {
        ve_testing::balance(&self.app, who, denom).unwrap()
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
    }

    /// The order flow on this suite's marketplace.
    pub fn order_flow(&mut self) -> MarketOn<'_> {
        MarketOn::new(&mut self.app, &self.contract)
    }

    pub fn create_offering_as(&mut self, provider: &Addr, fields: OfferingFields) -> String {
        self.order_flow().create_offering(provider, fields).unwrap()
    }

    pub fn create_offering(&mut self) -> String {
        let provider = self.provider.clone();
        self.create_offering_as(&provider, offering_fields("Standard Compute"))
    }

    /// An order of `customer`, paid in full.
    pub fn create_order_as(
        &mut self,
        customer: &Addr,
        offering_id: &str,
        quantity: u32,
        max: u128,
    ) -> String {
        self.order_flow()
            .create_order(customer, offering_id, quantity, max)
            .unwrap()
    }

    pub fn create_order(&mut self, offering_id: &str, quantity: u32, max: u128) -> String {
        let customer = self.customer.clone();
        self.create_order_as(&customer, offering_id, quantity, max)
    }

    pub fn place_bid(&mut self, order_id: &str, price: u128) -> String {
        let provider = self.provider.clone();
        self.order_flow()
            .place_bid(&provider, order_id, price)
            .unwrap()
    }

    pub fn accept_bid(&mut self, bid_id: &str) -> String {
        let customer = self.customer.clone();
        self.order_flow().accept_bid(&customer, bid_id).unwrap()
    }

    /// offering -> order (qty 2, max 60,000) -> bid at 50,000 -> accepted.
    pub fn allocation(&mut self) -> String {
        let (provider, customer) = (self.provider.clone(), self.customer.clone());
        let deal = Deal {
            quantity: 2,
            max_bid_price: 60_000,
            price: 50_000,
        };
        self.order_flow()
            .offer_and_match(
                &provider,
                &customer,
                offering_fields("Standard Compute"),
                deal,
            )
            .unwrap()
            .allocation
    }

    pub fn report(
        &mut self,
        allocation_id: &str,
        state: AllocationState,
    ) -> StdResult<AppResponse> {
        let callback = self.callback.clone();
        let msg = ExecuteMsg::ReportAllocationState {
            allocation_id: allocation_id.into(),
            provider: self.provider.to_string(),
            state,
            backend_id: None,
            reason: None,
        };
        self.exec(&callback, &msg, &[])
    }

    /// Drives an allocation to active through the callback contract.
    pub fn activate(&mut self, allocation_id: &str) {
        for s in [
            AllocationState::Accepted,
            AllocationState::Provisioning,
            AllocationState::Active,
        ] {
            self.report(allocation_id, s).unwrap();
        }
    }
}
