//! cw-multi-test suite for the settlement contract. Plain accounts stand in
//! for the marketplace, hpc and callback contracts: settlement only looks at
//! the sender's address.
#![allow(dead_code)]

use cosmwasm_std::{coin, Addr, Coin, Empty, StdResult, Timestamp, Uint128};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};
use serde::de::DeserializeOwned;
use settlement::msg::{
    EscrowResponse, ExecuteMsg, FeeShareInput, InstantiateMsg, NewEscrow, NewUsage, QueryMsg,
    UsageRate,
};

pub const DENOM: &str = "uvirt";
pub const OTHER_DENOM: &str = "uatom";
pub const START_BALANCE: u128 = 1_000_000_000_000;
pub const PLATFORM_BPS: u16 = 250;
pub const COMMUNITY_BPS: u16 = 75;
pub const ACK_WINDOW: u64 = 86_400;

pub fn settlement_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            settlement::contract::execute,
            settlement::contract::instantiate,
            settlement::contract::query,
        )
        .with_migrate(settlement::contract::migrate),
    )
}

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
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let api = *app.api();
        let names = [
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
        ];
        let addrs: Vec<Addr> = names.iter().map(|n| api.addr_make(n)).collect();
        app.init_modules(|router, _, storage| {
            for who in &addrs {
                router
                    .bank
                    .init_balance(
                        storage,
                        who,
                        vec![coin(START_BALANCE, DENOM), coin(START_BALANCE, OTHER_DENOM)],
                    )
                    .unwrap();
            }
        });
        let [admin, arbiter, marketplace, hpc, callback, provider, customer, customer2, stranger, treasury, community] =
            <[Addr; 11]>::try_from(addrs).unwrap();
        let code_id = app.store_code(settlement_code());
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
        let contract = app
            .instantiate_contract(
                code_id,
                admin.clone(),
                &msg,
                &[],
                "settlement",
                Some(admin.to_string()),
            )
            .unwrap();
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
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += seconds / 5 + 1;
        });
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
        let before = (self.app.dump_wasm_raw(&self.contract), self.all_balances());
        let err = self
            .exec(sender, msg, funds)
            .expect_err("the message should have failed");
        assert_eq!(
            before,
            (self.app.dump_wasm_raw(&self.contract), self.all_balances()),
            "a failed message changed state"
        );
        err.to_string()
    }

    /// The balances, in both denoms, of the contract and every account.
    pub fn all_balances(&self) -> Vec<(Addr, Vec<Coin>)> {
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
        .into_iter()
        .map(|a| {
            let coins = [DENOM, OTHER_DENOM]
                .iter()
                .map(|d| self.app.wrap().query_balance(a, *d).unwrap())
                .collect();
            (a.clone(), coins)
        })
        .collect()
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
        Uint128::try_from(self.app.wrap().query_balance(who, DENOM).unwrap().amount)
            .unwrap()
            .u128()
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
        cosmwasm_std::from_json(res.data.unwrap()).unwrap()
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

pub fn event_attrs(res: &AppResponse, kind: &str) -> std::collections::BTreeMap<String, String> {
    let ty = format!("wasm-{kind}");
    res.events
        .iter()
        .find(|e| e.ty == ty)
        .unwrap_or_else(|| panic!("no {ty} event in {:?}", res.events))
        .attributes
        .iter()
        .map(|a| (a.key.clone(), a.value.clone()))
        .collect()
}
