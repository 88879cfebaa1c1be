//! Shared setup of the RPC chain tests: the fake node with the contracts,
//! the portal's story up to an allocation, a scripted Waldur.

pub mod fake_node;
pub mod run_setup;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmwasm_std::Addr;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::rpc::{ContractAddresses, RpcChain, RpcConfig};
use ve_relayer::chain::signer::Signer;
use ve_relayer::waldur_side::port::{
    ProvisionedOrder, ResourceUpdate, UsageUpdate, WaldurError, WaldurPort,
};

use ve_testing::{hourly_offering, Deal, OrderFlow};

use fake_node::{FakeNode, NodeState, PREFIX};

/// The fee account's secret (any valid scalar).
pub const FEE_SECRET: [u8; 32] = [7; 32];
pub const SIGNER_SEED: [u8; 32] = [9; 32];

pub fn fee_key() -> SigningKey {
    SigningKey::from_slice(&FEE_SECRET).expect("valid secp256k1 secret")
}

pub fn fee_address() -> String {
    fee_key()
        .public_key()
        .account_id(PREFIX)
        .expect("address")
        .to_string()
}

pub struct World {
    pub node: FakeNode,
    pub provider: Addr,
    pub customer: Addr,
    pub marketplace: Addr,
    pub settlement: Addr,
    pub hpc: Addr,
    pub callback: Addr,
    pub chain_id: String,
    /// Height after the contracts were deployed and wired.
    pub deployed_at: u64,
}

impl World {
    pub fn new() -> Self {
        let node = FakeNode::start(
            || EmbeddedChain::deploy(&["provider", "customer"]).expect("deploy"),
            &fee_address(),
        );
        let (provider, customer, chain_id, deployed_at) = node.with(|n| {
            let block = n.chain.app.block_info();
            (
                n.chain.addr("provider"),
                n.chain.addr("customer"),
                block.chain_id,
                block.height,
            )
        });
        let contracts = node.with(|n| {
            let c = &n.chain;
            [
                c.marketplace.clone(),
                c.settlement.clone(),
                c.hpc.clone(),
                c.callback.clone(),
            ]
        });
        let [marketplace, settlement, hpc, callback] = contracts;
        World {
            node,
            provider,
            customer,
            marketplace,
            settlement,
            hpc,
            callback,
            chain_id,
            deployed_at,
        }
    }

    /// Runs `f` on the node's state (on the node's thread).
    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut NodeState) -> R + Send + 'static,
    ) -> R {
        self.node.with(f)
    }

    pub fn config(&self) -> RpcConfig {
        let mut c = RpcConfig::new(
            self.node.url.clone(),
            self.chain_id.clone(),
            ContractAddresses {
                marketplace: self.marketplace.to_string(),
                waldur_callback: self.callback.to_string(),
                settlement: Some(self.settlement.to_string()),
                hpc: Some(self.hpc.to_string()),
            },
            "unused",
        );
        c.request_timeout_ms = 2_000;
        c.tx_inclusion_timeout_ms = 2_000;
        c.tx_poll_interval_ms = 5;
        c.max_blocks_per_read = 4;
        c
    }

    pub async fn client(&self) -> RpcChain {
        self.client_with(self.config()).await
    }

    pub async fn client_with(&self, config: RpcConfig) -> RpcChain {
        RpcChain::connect_with_key(config, fee_key())
            .await
            .expect("client connects to the fake node")
    }

    pub fn signer(&self) -> Signer {
        Signer::new(
            SIGNER_SEED,
            "relayer-1",
            self.provider.as_str(),
            self.chain_id.clone(),
            self.callback.to_string(),
        )
    }

    pub fn register_key(&self) {
        let register = self.signer().register_message().unwrap();
        let (provider, callback) = (self.provider.clone(), self.callback.clone());
        self.with(move |n| n.execute(&provider, &callback, &register, &[]));
    }

    /// Offering, order, bid, accepted bid: returns the allocation id.
    pub fn allocation(&self) -> String {
        let (p, c) = (self.provider.clone(), self.customer.clone());
        self.with(move |node| {
            node.offer_and_match(
                &p,
                &c,
                hourly_offering("Compute", 1_000),
                Deal::at(1_000, 2),
            )
            .expect("the portal's story runs")
            .allocation
        })
    }

    pub fn allocation_state(&self, allocation: &str) -> ve_types::AllocationState {
        let (market, allocation_id) = (self.marketplace.clone(), allocation.to_string());
        self.with(move |n| {
            let res: marketplace::msg::AllocationResponse = n
                .chain
                .app
                .wrap()
                .query_wasm_smart(
                    market,
                    &marketplace::msg::QueryMsg::Allocation { allocation_id },
                )
                .expect("allocation query");
            res.allocation.state
        })
    }
}

/// A Waldur that provisions everything at once and records the calls.
#[derive(Default)]
pub struct ScriptedWaldur {
    pub calls: Vec<String>,
    pub updates: Vec<ResourceUpdate>,
}

impl WaldurPort for ScriptedWaldur {
    async fn provision(
        &mut self,
        allocation: &str,
        offering: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        self.calls
            .push(format!("provision {allocation} {offering} x{quantity}"));
        Ok(ProvisionedOrder {
            order_uuid: format!("order-{allocation}"),
            resource_uuid: format!("res-{allocation}"),
        })
    }
    async fn terminate(&mut self, allocation: &str) -> Result<String, WaldurError> {
        self.calls.push(format!("terminate {allocation}"));
        Ok(format!("res-{allocation}"))
    }
    async fn set_paused(&mut self, allocation: &str, paused: bool) -> Result<bool, WaldurError> {
        self.calls.push(format!("paused={paused} {allocation}"));
        Ok(true)
    }
    async fn resize(&mut self, allocation: &str, quantity: u32) -> Result<(), WaldurError> {
        self.calls.push(format!("resize {allocation} {quantity}"));
        Ok(())
    }
    async fn resource_updates(&mut self, _now: u64) -> Result<Vec<ResourceUpdate>, WaldurError> {
        Ok(std::mem::take(&mut self.updates))
    }
    async fn usage_updates(
        &mut self,
        _now: u64,
        _chain: &mut impl ve_relayer::waldur_side::port::ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError> {
        Ok(vec![])
    }
}
