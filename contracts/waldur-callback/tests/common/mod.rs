//! The callback contract wired to a real marketplace and settlement on
//! cw-multi-test, with providers holding ed25519 keys (ed25519-zebra, as
//! the relayer signs).
#![allow(dead_code)]

use cosmwasm_std::{coin, Addr, Binary, StdResult, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use ed25519_zebra::SigningKey;
use serde::de::DeserializeOwned;
use serde::Serialize;
use ve_testing::signing::CallbackSigner;
use ve_testing::{Deal, DeployConfig, MarketOn, OrderFlow};
use ve_types::callback::UsagePayload;
use ve_types::{ActionType, AllocationState};
use waldur_callback::msg::{ExecuteMsg, QueryMsg, SignedCallback};

#[allow(unused_imports)] // each test binary uses a subset
pub use ve_testing::signing::{key, public};
#[allow(unused_imports)] // each test binary uses a subset
pub use ve_testing::DENOM;

pub const WINDOW: u64 = 3_600;

/// `key`'s proof of possession for registering it as `key_id` of
/// `provider` on the callback contract `contract` of chain `chain_id`.
pub fn key_proof(
    key: &SigningKey,
    chain_id: &str,
    contract: &Addr,
    provider: &Addr,
    key_id: &str,
) -> Binary {
    ve_testing::signing::key_proof(key, chain_id, contract.as_str(), provider.as_str(), key_id)
        .unwrap()
}

pub struct Suite {
    pub app: App,
    pub callback: Addr,
    pub marketplace: Addr,
    pub settlement: Addr,
    pub hpc: Addr,
    pub admin: Addr,
    pub provider: Addr,
    pub provider2: Addr,
    pub customer: Addr,
    pub stranger: Addr,
    pub key: SigningKey,
    pub key2: SigningKey,
    signer: CallbackSigner,
}

impl Suite {
    pub fn new() -> Self {
        let mut app = ve_testing::new_app();
        let [admin, provider, provider2, customer, stranger] =
            ["admin", "provider", "provider2", "customer", "stranger"].map(ve_testing::addr);
        ve_testing::fund(&mut app, &customer, vec![coin(1_000_000_000_000, DENOM)]).unwrap();
        let mut config = DeployConfig::new(&admin);
        config.callback.max_validity_seconds = Some(WINDOW);
        config.callback.max_clock_skew_seconds = Some(60);
        let contracts = ve_testing::deploy(&mut app, config).unwrap();
        let mut suite = Suite {
            app,
            callback: contracts.callback.clone(),
            marketplace: contracts.marketplace,
            settlement: contracts.settlement,
            hpc: contracts.hpc,
            admin,
            provider,
            provider2,
            customer,
            stranger,
            key: key(1),
            key2: key(2),
            signer: CallbackSigner::new(&contracts.callback),
        };
        let (p, p2) = (suite.provider.clone(), suite.provider2.clone());
        let register = suite.register_msg(&suite.key, &p, "k1");
        suite.exec(&p, &register).unwrap();
        let register = suite.register_msg(&suite.key2, &p2, "k1");
        suite.exec(&p2, &register).unwrap();
        suite
    }

    /// `key`'s proof of possession for `provider`'s key `key_id` here.
    pub fn proof(&self, key: &SigningKey, provider: &Addr, key_id: &str) -> Binary {
        self.signer.proof(&self.app, key, provider, key_id).unwrap()
    }

    /// `register_signer` of `key` as `provider`'s `key_id`, with its proof.
    pub fn register_msg(&self, key: &SigningKey, provider: &Addr, key_id: &str) -> ExecuteMsg {
        self.signer
            .register_msg(&self.app, key, provider, key_id)
            .unwrap()
    }

    /// `rotate_signer` from `old_key_id` to `key` as `new_key_id`, with
    /// the new key's proof.
    pub fn rotate_msg(
        &self,
        key: &SigningKey,
        provider: &Addr,
        old_key_id: &str,
        new_key_id: &str,
    ) -> ExecuteMsg {
        ExecuteMsg::RotateSigner {
            old_key_id: old_key_id.into(),
            new_key_id: new_key_id.into(),
            public_key: public(key),
            proof: self.proof(key, provider, new_key_id),
        }
    }

    pub fn now(&self) -> u64 {
        self.app.block_info().time.seconds()
    }

    pub fn chain_id(&self) -> String {
        self.app.block_info().chain_id
    }

    pub fn advance(&mut self, seconds: u64) {
        ve_testing::advance(&mut self.app, seconds);
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.callback.clone(), msg, &[])
    }

    /// Storage of every contract, to prove a rejected callback changed nothing.
    pub fn all_state(&self) -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        [
            &self.callback,
            &self.marketplace,
            &self.settlement,
            &self.hpc,
        ]
        .iter()
        .map(|c| self.app.dump_wasm_raw(c))
        .collect()
    }

    pub fn submit(&mut self, cb: &SignedCallback) -> StdResult<AppResponse> {
        let stranger = self.stranger.clone();
        self.exec(
            &stranger,
            &ExecuteMsg::SubmitCallback {
                callback: cb.clone(),
            },
        )
    }

    /// Submits a callback that must be refused; checks nothing changed
    /// anywhere and returns the error text.
    pub fn submit_fails(&mut self, cb: &SignedCallback) -> String {
        let before = self.all_state();
        let err = self
            .submit(cb)
            .expect_err("the callback should have been refused");
        assert_eq!(before, self.all_state(), "a refused callback changed state");
        err.to_string()
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.callback.clone(), msg)
    }

    /// An allocation of `provider` driven to active by its provision
    /// callbacks (accepted, provisioning, active).
    pub fn active_allocation_of(&mut self, provider: &Addr) -> String {
        let allocation = self.allocation_of(provider);
        for state in [
            AllocationState::Accepted,
            AllocationState::Provisioning,
            AllocationState::Active,
        ] {
            let cb = self.state_callback(ActionType::Provision, &allocation, state);
            self.submit(&cb).unwrap();
        }
        allocation
    }

    /// An active allocation of the first provider, an hour later, with a
    /// usage payload of one unit for that hour.
    pub fn hour_of_usage(&mut self) -> (String, UsagePayload) {
        let allocation = self.active_allocation_of(&self.provider.clone());
        self.advance(3_600);
        let now = self.now();
        let usage = UsagePayload {
            usage_type: "hour".into(),
            units: Uint128::one(),
            period_start: now - 3_600,
            period_end: now,
        };
        (allocation, usage)
    }

    /// A marketplace allocation of `provider`, pending: an hourly offering
    /// at 1,000 ordered once by the customer and matched at that price.
    pub fn allocation_of(&mut self, provider: &Addr) -> String {
        let customer = self.customer.clone();
        MarketOn::new(&mut self.app, &self.marketplace)
            .offer_and_match(
                provider,
                &customer,
                ve_testing::hourly_offering("Compute", 1_000),
                Deal::at(1_000, 1),
            )
            .unwrap()
            .allocation
    }

    pub fn allocation_state(&self, id: &str) -> AllocationState {
        let res: marketplace::msg::AllocationResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.marketplace.clone(),
                &marketplace::msg::QueryMsg::Allocation {
                    allocation_id: id.into(),
                },
            )
            .unwrap();
        res.allocation.state
    }

    /// An unsigned callback of `provider` with fresh ids and the default
    /// validity; sign it with [`Self::sign`].
    pub fn draft<P: Serialize>(
        &mut self,
        provider: &Addr,
        action: ActionType,
        entity_id: &str,
        payload: &P,
    ) -> SignedCallback {
        self.signer
            .draft(&self.app, provider, action, entity_id, payload)
            .unwrap()
    }

    /// Signs for this deployment (its chain id and contract address).
    pub fn sign(&self, cb: SignedCallback, key: &SigningKey) -> SignedCallback {
        self.signer.sign(&self.app, cb, key).unwrap()
    }

    /// A signed state report for an allocation of the main provider.
    pub fn state_callback(
        &mut self,
        action: ActionType,
        allocation: &str,
        state: AllocationState,
    ) -> SignedCallback {
        self.signer
            .state_callback(
                &self.app,
                &self.key,
                &self.provider,
                action,
                allocation,
                state,
            )
            .unwrap()
    }
}

pub fn sign_for(
    cb: SignedCallback,
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
) -> SignedCallback {
    ve_testing::signing::sign_for(cb, key, chain_id, contract).unwrap()
}
