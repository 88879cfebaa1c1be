//! cw-multi-test suite for the settlement contract. Plain accounts stand in
//! for the marketplace, hpc and callback contracts: settlement only looks at
//! the sender's address.
#![allow(dead_code)]

use cosmwasm_std::{coin, Addr, Coin, StdResult, Timestamp, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use serde::de::DeserializeOwned;
use settlement::msg::{
    EscrowResponse, ExecuteMsg, FeeShareInput, InstantiateMsg, NewEscrow, NewUsage, QueryMsg,
    UsageRate,
};
use ve_testing::Watch;

#[allow(unused_imports)] // each test binary uses a subset
pub use ve_testing::{event_attrs, settlement_contract, DENOM, START_BALANCE};

pub const OTHER_DENOM: &str = "uatom";
pub const PLATFORM_BPS: u16 = 250;
pub const COMMUNITY_BPS: u16 = 75;
pub const ACK_WINDOW: u64 = 86_400;

pub struct Suite {
    pub app: App,
    pub contract: Addr,
    pub admin: Addr,
    pub arbiter: Addr,
    pub marketplace: Addr,
    pub hpc: Addr,
    pub callback: Addr,
    pub provider: Addr,
    pub customer: Addr,
    pub customer2: Addr,
    pub stranger: Addr,
    pub treasury: Addr,
    pub community: Addr,
}

pub fn rates() -> Vec<UsageRate> {
    vec![
        UsageRate {
            usage_type: "cpu_hour".into(),
            unit_price: Uint128::new(50),
        },
        UsageRate {
            usage_type: "gpu_hour".into(),
            unit_price: Uint128::new(1_000),
        },
    ]
}

impl Suite {
    pub fn new() -> Self {
        let mut app = ve_testing::new_app();
        let [admin, arbiter, marketplace, hpc, callback, provider, customer, customer2, stranger, treasury, community] =
            [
                "admin",
                "arbiter",
                "marketplace",
                "hpc",
                "callback",
                "provider",
                "customer",
                "customer2",
                "stranger",
                "treasury",
                "community",
            ]
            .map(ve_testing::addr);
        ve_testing::fund_all(
            &mut app,
            &[
                &admin,
                &arbiter,
                &marketplace,
                &hpc,
                &callback,
                &provider,
                &customer,
                &customer2,
                &stranger,
                &treasury,
                &community,
            ],
            &[DENOM, OTHER_DENOM],
        )
        .unwrap();
        let msg = InstantiateMsg {
            admin: Some(admin.to_string()),
            arbiter: arbiter.to_string(),
            marketplace: Some(marketplace.to_string()),
            hpc: Some(hpc.to_string()),
            callback_contract: Some(callback.to_string()),
            fee_shares: vec![
                FeeShareInput {
                    name: "platform".into(),
                    recipient: treasury.to_string(),
                    bps: PLATFORM_BPS,
                },
                FeeShareInput {
                    name: "community".into(),
                    recipient: community.to_string(),
                    bps: COMMUNITY_BPS,
                },
            ],
            ack_window_seconds: Some(ACK_WINDOW),
        };
        let contract =
            ve_testing::instantiate(&mut app, settlement_contract(), &admin, &msg, "settlement")
                .unwrap()
                .address;
        Suite {
            app,
            contract,
            admin,
            arbiter,
            marketplace,
            hpc,
            callback,
            provider,
            customer,
            customer2,
            stranger,
            treasury,
            community,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
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

    /// Runs a message that must fail; checks that no state changed (the
    /// contract's whole store and every account's balances) and returns the
    /// error text.
    pub fn exec_fails(&mut self, sender: &Addr, msg: &ExecuteMsg, funds: &[Coin]) -> String {
        let watch = Watch::storage_of(&[&self.contract])
            .with_balances(&self.accounts(), &[DENOM, OTHER_DENOM]);
        let contract = self.contract.clone();
        ve_testing::exec_fails(&mut self.app, &watch, sender, &contract, msg, funds)
    }

    /// The balances, in both denoms, of the contract and every account.
    pub fn all_balances(&self) -> Vec<(Addr, Vec<Coin>)> {
        Watch::default()
            .with_balances(&self.accounts(), &[DENOM, OTHER_DENOM])
            .state(&self.app)
            .unwrap()
            .balances
    }

    /// The contract and every account.
    pub fn accounts(&self) -> [&Addr; 12] {
        [
            &self.contract,
            &self.admin,
            &self.arbiter,
            &self.marketplace,
            &self.hpc,
            &self.callback,
            &self.provider,
            &self.customer,
            &self.customer2,
            &self.stranger,
            &self.treasury,
            &self.community,
        ]
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    pub fn escrow(&self, id: &str) -> EscrowResponse {
        self.query(&QueryMsg::Escrow {
            escrow_id: id.into(),
        })
        .unwrap()
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        ve_testing::balance(&self.app, who, DENOM).unwrap()
    }

    pub fn order_escrow_id(&self, seq: u64) -> String {
        format!("order:{}/{seq}", self.customer)
    }

    pub fn create_msg(
        &self,
        escrow_id: &str,
        customer: Option<&Addr>,
        expires_in: u64,
    ) -> ExecuteMsg {
        ExecuteMsg::CreateEscrow(NewEscrow {
            escrow_id: escrow_id.into(),
            customer: customer.map(|c| c.to_string()),
            provider: self.provider.to_string(),
            rates: rates(),
            expires_at: self.now().plus_seconds(expires_in),
        })
    }

    /// An active escrow of `amount` opened by the marketplace for order `seq`.
    pub fn open_escrow(&mut self, seq: u64, amount: u128) -> String {
        let id = self.order_escrow_id(seq);
        let msg = self.create_msg(&id, Some(&self.customer.clone()), 30 * 86_400);
        let marketplace = self.marketplace.clone();
        self.exec(&marketplace, &msg, &[coin(amount, DENOM)])
            .unwrap();
        id
    }

    pub fn record_msg(
        &self,
        escrow_id: &str,
        usage_type: &str,
        units: u128,
        start: u64,
        end: u64,
    ) -> ExecuteMsg {
        ExecuteMsg::RecordUsage(NewUsage {
            escrow_id: escrow_id.into(),
            allocation_id: allocation_of(escrow_id),
            provider: None,
            usage_type: usage_type.into(),
            units: Uint128::new(units),
            period_start: Timestamp::from_seconds(start),
            period_end: Timestamp::from_seconds(end),
        })
    }

    /// Lets an hour pass and records `units` cpu hours for it; returns
    /// the record id.
    pub fn record(&mut self, escrow_id: &str, units: u128) -> u64 {
        self.advance(3_600);
        let end = self.now().seconds();
        let msg = self.record_msg(escrow_id, "cpu_hour", units, end - 3_600, end);
        let provider = self.provider.clone();
        let res = self.exec(&provider, &msg, &[]).unwrap();
        ve_testing::returned_data(&res).unwrap()
    }
}

/// A record as the callback contract sends it: naming the provider.
pub fn on_behalf_of(msg: ExecuteMsg, who: &Addr) -> ExecuteMsg {
    match msg {
        ExecuteMsg::RecordUsage(NewUsage {
            escrow_id,
            allocation_id,
            usage_type,
            units,
            period_start,
            period_end,
            ..
        }) => ExecuteMsg::RecordUsage(NewUsage {
            escrow_id,
            allocation_id,
            provider: Some(who.to_string()),
            usage_type,
            units,
            period_start,
            period_end,
        }),
        other => other,
    }
}

/// The first allocation of an order escrow (`order:c/1` -> `c/1/1`), or the
/// job of a job escrow (`job:c/7` -> `c/7`).
pub fn allocation_of(escrow_id: &str) -> String {
    match escrow_id.split_once(':') {
        Some(("order", order)) => format!("{order}/1"),
        Some((_, job)) => job.to_string(),
        None => escrow_id.to_string(),
    }
}
