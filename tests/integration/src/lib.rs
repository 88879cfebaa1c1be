//! A chain in a box: the VirtEngine contracts deployed on cw-multi-test and
//! wired to each other, with funded parties.

pub mod world;

use cosmwasm_std::{Addr, Coin, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use serde::de::DeserializeOwned;

use ve_testing::{Deal, MarketOn, OrderFlow};

pub use ve_testing::{DENOM, START_BALANCE};
/// 2.5% platform fee in the deployed settlement.
pub const PLATFORM_BPS: u16 = 250;

pub struct Chain {
    pub app: App,
    pub marketplace: Addr,
    pub settlement: Addr,
    pub admin: Addr,
    pub arbiter: Addr,
    pub treasury: Addr,
    pub provider: Addr,
    pub customer: Addr,
    /// Stands in for the waldur-callback contract.
    pub callback: Addr,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// Deploys settlement, then the marketplace pointing at it, then tells
    /// settlement which marketplace to trust.
    pub fn new() -> Self {
        let mut app = ve_testing::new_app();
        let [admin, arbiter, treasury, provider, customer, callback] = [
            "admin", "arbiter", "treasury", "provider", "customer", "callback",
        ]
        .map(ve_testing::addr);
        ve_testing::fund_all(&mut app, &[&admin, &provider, &customer], &[DENOM]).unwrap();
        let settlement = ve_testing::instantiate(
            &mut app,
            ve_testing::settlement_contract(),
            &admin,
            &settlement::msg::InstantiateMsg {
                admin: None,
                arbiter: arbiter.to_string(),
                marketplace: None,
                hpc: None,
                callback_contract: Some(callback.to_string()),
                fee_shares: vec![settlement::msg::FeeShareInput {
                    name: "platform".into(),
                    recipient: treasury.to_string(),
                    bps: PLATFORM_BPS,
                }],
                ack_window_seconds: Some(86_400),
            },
            "settlement",
        )
        .unwrap()
        .address;
        let marketplace = ve_testing::instantiate(
            &mut app,
            ve_testing::marketplace_contract(),
            &admin,
            &marketplace::msg::InstantiateMsg {
                admin: None,
                callback_contract: Some(callback.to_string()),
                default_bid_ttl_seconds: None,
                max_bid_ttl_seconds: None,
                max_bids_per_order: None,
                settlement_contract: Some(settlement.to_string()),
                escrow_expiry_seconds: None,
            },
            "marketplace",
        )
        .unwrap()
        .address;
        // Settlement trusts this marketplace with order escrows.
        let wire = serde_json::json!({"update_config": {"marketplace": marketplace}});
        app.execute_contract(admin.clone(), settlement.clone(), &wire, &[])
            .unwrap();
        Chain {
            app,
            marketplace,
            settlement,
            admin,
            arbiter,
            treasury,
            provider,
            customer,
            callback,
        }
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        ve_testing::balance(&self.app, who, DENOM).unwrap()
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
    }

    pub fn market(
        &mut self,
        sender: &Addr,
        msg: &marketplace::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.marketplace.clone(), msg, funds)
    }

    pub fn settle(
        &mut self,
        sender: &Addr,
        msg: &settlement::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.settlement.clone(), msg, funds)
    }

    pub fn query_market<T: DeserializeOwned>(&self, msg: &marketplace::msg::QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(self.marketplace.clone(), msg)
            .unwrap()
    }

    pub fn query_settlement<T: DeserializeOwned>(
        &self,
        msg: &settlement::msg::QueryMsg,
    ) -> StdResult<T> {
        self.app
            .wrap()
            .query_wasm_smart(self.settlement.clone(), msg)
    }

    pub fn escrow(&self, escrow_id: &str) -> settlement::msg::EscrowResponse {
        self.query_settlement(&settlement::msg::QueryMsg::Escrow {
            escrow_id: escrow_id.into(),
        })
        .unwrap()
    }

    /// An hourly offering at 50,000 per unit, ordered (2 units, max 60,000)
    /// and matched at 50,000: returns (order id, allocation id).
    pub fn matched_order(&mut self) -> (String, String) {
        self.matched_order_priced(ve_types::Pricing::new(
            ve_types::PricingModel::Hourly,
            DENOM,
            Uint128::new(50_000),
            vec![],
        ))
    }

    /// As [`Self::matched_order`], for an offering priced `pricing` (in
    /// `DENOM`, base price at most 60,000).
    pub fn matched_order_priced(&mut self, pricing: ve_types::Pricing) -> (String, String) {
        let (provider, customer) = (self.provider.clone(), self.customer.clone());
        let offering = ve_types::OfferingFields::new(
            "Standard Compute",
            "",
            ve_types::Category::Compute,
            pricing,
        );
        let deal = Deal {
            quantity: 2,
            max_bid_price: 60_000,
            price: 50_000,
        };
        let matched = MarketOn::new(&mut self.app, &self.marketplace)
            .offer_and_match(&provider, &customer, offering, deal)
            .unwrap();
        (matched.order, matched.allocation)
    }

    pub fn report(
        &mut self,
        allocation_id: &str,
        state: ve_types::AllocationState,
    ) -> StdResult<AppResponse> {
        let callback = self.callback.clone();
        let msg = marketplace::msg::ExecuteMsg::ReportAllocationState {
            allocation_id: allocation_id.into(),
            provider: self.provider.to_string(),
            state,
            backend_id: None,
            reason: None,
        };
        self.market(&callback, &msg, &[])
    }
}
