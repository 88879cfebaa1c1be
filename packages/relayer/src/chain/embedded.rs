//! The four contracts on cw-multi-test, in process: the relayer's embedded
//! default (demo, tests). Every transaction is its own block, and the wasm
//! events of each block are kept so the relayer can read them like it reads
//! a node's blocks.

use std::collections::BTreeMap;

use cosmwasm_std::{coin, Addr, Coin};
use cw_multi_test::{App, AppResponse, Executor};
use serde::Serialize;
use ve_interface::waldur_callback::msg::{CallbackOutcome, SignedCallback};
use ve_interface::{marketplace, settlement, waldur_callback};
use ve_testing::{Deal, OrderFlow};
use ve_types::AllocationState;

use super::{BilledUsage, ChainClient, ChainError, ContractEvent};

pub use ve_testing::DENOM;
const BLOCK_SECONDS: u64 = 5;

/// The id an execute returned (`set_data` of a created order, bid or
/// allocation).
fn returned_id(response: &AppResponse) -> Result<String, ChainError> {
    let data = response
        .data
        .as_ref()
        .ok_or_else(|| ChainError::Refused("the execute returned no id".into()))?;
    cosmwasm_std::from_json(data).map_err(|e| ChainError::Refused(format!("returned id: {e}")))
}

fn wrap<T>(r: Result<T, impl std::fmt::Display>) -> Result<T, ChainError> {
    r.map_err(|e| ChainError::Refused(e.to_string()))
}

pub struct EmbeddedChain {
    pub app: App,
    pub admin: Addr,
    pub marketplace: Addr,
    pub settlement: Addr,
    pub hpc: Addr,
    pub callback: Addr,
    /// The account the relayer pays transaction fees from.
    pub relayer: Addr,
    blocks: BTreeMap<u64, Vec<ContractEvent>>,
    /// The height once the contracts were deployed.
    first_height: u64,
    /// Reads of the usage record that fail as if the node were down
    /// (tests of a chain out of reach); counts down.
    pub unreadable_usage_summaries: std::sync::atomic::AtomicU32,
}

impl EmbeddedChain {
    /// Deploys and wires the four contracts; `funded` accounts get
    /// 10^12 uvirt each.
    pub fn deploy(funded: &[&str]) -> Result<Self, ChainError> {
        // The shared four-contract wiring of the test suites
        // (packages/ve-testing); the admin is also the arbiter and takes
        // the platform fee.
        let mut app = ve_testing::new_app();
        let admin = ve_testing::addr("admin");
        let relayer = ve_testing::addr("relayer");
        for name in funded {
            wrap(ve_testing::fund(
                &mut app,
                &ve_testing::addr(name),
                vec![coin(ve_testing::START_BALANCE, DENOM)],
            ))?;
        }
        let mut config = ve_testing::DeployConfig::new(&admin);
        config.settlement.fee_shares = vec![settlement::msg::FeeShareInput {
            name: "platform".into(),
            recipient: admin.to_string(),
            bps: 250,
        }];
        config.settlement.ack_window_seconds = Some(3_600);
        let ve_testing::Contracts {
            marketplace,
            settlement,
            hpc,
            callback,
            ..
        } = wrap(ve_testing::deploy(&mut app, config))?;
        let mut chain = EmbeddedChain {
            app,
            admin: admin.clone(),
            marketplace: marketplace.clone(),
            settlement: settlement.clone(),
            hpc: hpc.clone(),
            callback: callback.clone(),
            relayer,
            blocks: BTreeMap::new(),
            first_height: 0,
            unreadable_usage_summaries: std::sync::atomic::AtomicU32::new(0),
        };
        chain.first_height = chain.app.block_info().height;
        Ok(chain)
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    /// One transaction in its own block; its `wasm-ve.*` events are kept.
    pub fn execute<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> Result<AppResponse, ChainError> {
        self.app.update_block(|b| {
            b.height += 1;
            b.time = b.time.plus_seconds(BLOCK_SECONDS);
        });
        let res = wrap(
            self.app
                .execute_contract(sender.clone(), contract.clone(), msg, funds),
        )?;
        let height = self.app.block_info().height;
        let events = res
            .events
            .iter()
            .filter_map(|e| e.ty.strip_prefix("wasm-ve.").map(|kind| (kind, e)))
            .enumerate()
            .map(|(i, (kind, e))| ContractEvent {
                height,
                index: i as u32,
                contract: e
                    .attributes
                    .iter()
                    .find(|a| a.key == "_contract_address")
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                kind: kind.to_string(),
                attributes: e
                    .attributes
                    .iter()
                    .filter(|a| a.key != "_contract_address")
                    .map(|a| (a.key.clone(), a.value.clone()))
                    .collect(),
            })
            .collect();
        self.blocks.insert(height, events);
        Ok(res)
    }

    /// An allocation made as the market makes one, for demos and tests:
    /// the customer's order escrowing `price`, the provider's bid at
    /// `price`, the customer's acceptance. Returns the allocation id.
    pub fn allocate(
        &mut self,
        customer: &Addr,
        provider: &Addr,
        offering_id: &str,
        price: u128,
    ) -> Result<String, ChainError> {
        let (_order, allocation) =
            self.match_order(provider, customer, offering_id, Deal::at(price, 1))?;
        Ok(allocation)
    }

    /// The customer asks to end an allocation.
    pub fn request_termination(
        &mut self,
        customer: &Addr,
        allocation_id: &str,
    ) -> Result<(), ChainError> {
        let market = self.marketplace.clone();
        self.execute(
            customer,
            &market,
            &marketplace::msg::ExecuteMsg::TerminateAllocation {
                allocation_id: allocation_id.to_string(),
                reason: None,
            },
            &[],
        )
        .map(|_| ())
    }

    /// An allocation's state as the marketplace contract holds it.
    pub fn allocation_state(&self, allocation_id: &str) -> Result<AllocationState, ChainError> {
        let answer: marketplace::msg::AllocationResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.marketplace.clone(),
                &marketplace::msg::QueryMsg::Allocation {
                    allocation_id: allocation_id.to_string(),
                },
            )
            .map_err(|e| ChainError::Refused(e.to_string()))?;
        Ok(answer.allocation.state)
    }

    /// Lets time pass without transactions (empty blocks).
    pub fn advance(&mut self, seconds: u64) {
        self.app.update_block(|b| {
            b.height += seconds / BLOCK_SECONDS;
            b.time = b.time.plus_seconds(seconds);
        });
    }
}

/// The order flow of the test suites, each step its own transaction.
impl OrderFlow for EmbeddedChain {
    type Error = ChainError;

    fn execute_for_id(
        &mut self,
        sender: &Addr,
        msg: &marketplace::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> Result<String, ChainError> {
        let market = self.marketplace.clone();
        returned_id(&self.execute(sender, &market, msg, funds)?)
    }
}

impl ChainClient for EmbeddedChain {
    fn chain_id(&self) -> String {
        self.app.block_info().chain_id
    }

    fn callback_contract(&self) -> String {
        self.callback.to_string()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        Ok(self.app.block_info().height)
    }

    fn first_height(&self) -> u64 {
        self.first_height
    }

    fn max_callbacks_per_tx(&self) -> usize {
        super::MAX_BATCH
    }

    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        Ok(self
            .blocks
            .range(from..=to)
            .flat_map(|(_, events)| events.iter().cloned())
            .collect())
    }

    async fn submit_callbacks(
        &mut self,
        callbacks: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        let relayer = self.relayer.clone();
        let callback = self.callback.clone();
        let res = self.execute(
            &relayer,
            &callback,
            &waldur_callback::msg::ExecuteMsg::SubmitCallbacks {
                callbacks: callbacks.to_vec(),
            },
            &[],
        )?;
        let data = res
            .data
            .ok_or_else(|| ChainError::Refused("submit_callbacks returned no outcomes".into()))?;
        wrap(cosmwasm_std::from_json(&data))
    }

    fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    async fn usage_summary(&self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError> {
        use std::sync::atomic::Ordering;
        let failing = self.unreadable_usage_summaries.fetch_update(
            Ordering::SeqCst,
            Ordering::SeqCst,
            |left| left.checked_sub(1),
        );
        if failing.is_ok() {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        let answer: settlement::msg::UsageSummaryResponse =
            wrap(self.app.wrap().query_wasm_smart(
                self.settlement.clone(),
                &settlement::msg::QueryMsg::UsageSummary {
                    allocation_id: allocation_id.to_string(),
                },
            ))?;
        Ok(answer.usage.iter().map(BilledUsage::from_summary).collect())
    }
}
