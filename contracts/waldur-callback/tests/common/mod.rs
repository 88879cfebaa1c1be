//! The callback contract wired to a real marketplace and settlement on
//! cw-multi-test, with providers holding ed25519 keys (ed25519-zebra, as
//! the relayer signs).
#![allow(dead_code)]

use std::collections::BTreeMap;

use cosmwasm_std::{coin, to_json_vec, Addr, Binary, Empty, StdResult, Uint128};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};
use ed25519_zebra::{SigningKey, VerificationKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use ve_types::callback::{
    key_proof_bytes, signing_bytes, AllocationStatePayload, CallbackFields, KeyProofFields,
    UsagePayload,
};
use ve_types::{ActionType, AllocationState};
use waldur_callback::msg::{ExecuteMsg, InstantiateMsg, QueryMsg, SignedCallback};

pub const DENOM: &str = "uvirt";
pub const WINDOW: u64 = 3_600;

pub fn callback_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            waldur_callback::contract::execute,
            waldur_callback::contract::instantiate,
            waldur_callback::contract::query,
        )
        .with_migrate(waldur_callback::contract::migrate),
    )
}

fn marketplace_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            marketplace::contract::execute,
            marketplace::contract::instantiate,
            marketplace::contract::query,
        )
        .with_reply(marketplace::contract::reply),
    )
}

fn hpc_code() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            hpc::contract::execute,
            hpc::contract::instantiate,
            hpc::contract::query,
        )
        .with_reply(hpc::contract::reply),
    )
}

fn settlement_code() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        settlement::contract::execute,
        settlement::contract::instantiate,
        settlement::contract::query,
    ))
}

/// A deterministic key from a one-byte seed.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from([seed; 32])
}

pub fn public(key: &SigningKey) -> Binary {
    let vk: VerificationKey = key.into();
    Binary::from(<[u8; 32]>::from(vk).to_vec())
}

/// `key`'s proof of possession for registering it as `key_id` of
/// `provider` on the callback contract `contract` of chain `chain_id`.
pub fn key_proof(
    key: &SigningKey,
    chain_id: &str,
    contract: &Addr,
    provider: &Addr,
    key_id: &str,
) -> Binary {
    let vk: VerificationKey = key.into();
    let bytes = key_proof_bytes(&KeyProofFields {
        chain_id,
        contract: contract.as_str(),
        provider: provider.as_str(),
        key_id,
        public_key: &vk.into(),
    })
    .unwrap();
    Binary::from(<[u8; 64]>::from(key.sign(&bytes)).to_vec())
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
    counter: u64,
}

impl Suite {
    pub fn new() -> Self {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let api = *app.api();
        let [admin, provider, provider2, customer, stranger] =
            ["admin", "provider", "provider2", "customer", "stranger"].map(|n| api.addr_make(n));
        app.init_modules(|router, _, storage| {
            router
                .bank
                .init_balance(storage, &customer, vec![coin(1_000_000_000_000, DENOM)])
                .unwrap();
        });
        let cb_id = app.store_code(callback_code());
        let m_id = app.store_code(marketplace_code());
        let s_id = app.store_code(settlement_code());
        let h_id = app.store_code(hpc_code());
        let callback = app
            .instantiate_contract(
                cb_id,
                admin.clone(),
                &InstantiateMsg {
                    admin: None,
                    marketplace: None,
                    settlement: None,
                    hpc: None,
                    max_validity_seconds: Some(WINDOW),
                    max_clock_skew_seconds: Some(60),
                    max_payload_bytes: None,
                    prune_batch: None,
                },
                &[],
                "waldur-callback",
                Some(admin.to_string()),
            )
            .unwrap();
        let settlement = app
            .instantiate_contract(
                s_id,
                admin.clone(),
                &settlement::msg::InstantiateMsg {
                    admin: None,
                    arbiter: admin.to_string(),
                    marketplace: None,
                    hpc: None,
                    callback_contract: Some(callback.to_string()),
                    fee_shares: vec![],
                    ack_window_seconds: None,
                },
                &[],
                "settlement",
                None,
            )
            .unwrap();
        let marketplace = app
            .instantiate_contract(
                m_id,
                admin.clone(),
                &marketplace::msg::InstantiateMsg {
                    admin: None,
                    callback_contract: Some(callback.to_string()),
                    default_bid_ttl_seconds: None,
                    max_bid_ttl_seconds: None,
                    max_bids_per_order: None,
                    settlement_contract: Some(settlement.to_string()),
                    escrow_expiry_seconds: None,
                },
                &[],
                "marketplace",
                None,
            )
            .unwrap();
        let hpc = app
            .instantiate_contract(
                h_id,
                admin.clone(),
                &hpc::msg::InstantiateMsg {
                    admin: None,
                    settlement_contract: settlement.to_string(),
                    callback_contract: Some(callback.to_string()),
                    escrow_grace_seconds: None,
                },
                &[],
                "hpc",
                None,
            )
            .unwrap();
        let wire_settlement = settlement::msg::ExecuteMsg::UpdateConfig {
            admin: None,
            arbiter: None,
            marketplace: Some(marketplace.to_string()),
            hpc: Some(hpc.to_string()),
            callback_contract: None,
            fee_shares: None,
            ack_window_seconds: None,
        };
        app.execute_contract(admin.clone(), settlement.clone(), &wire_settlement, &[])
            .unwrap();
        let wire_callback = ExecuteMsg::UpdateConfig {
            admin: None,
            marketplace: Some(marketplace.to_string()),
            settlement: Some(settlement.to_string()),
            hpc: Some(hpc.to_string()),
            max_validity_seconds: None,
            max_clock_skew_seconds: None,
            max_payload_bytes: None,
            prune_batch: None,
        };
        app.execute_contract(admin.clone(), callback.clone(), &wire_callback, &[])
            .unwrap();
        let mut suite = Suite {
            app,
            callback,
            marketplace,
            settlement,
            hpc,
            admin,
            provider,
            provider2,
            customer,
            stranger,
            key: key(1),
            key2: key(2),
            counter: 0,
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
        key_proof(key, &self.chain_id(), &self.callback, provider, key_id)
    }

    /// `register_signer` of `key` as `provider`'s `key_id`, with its proof.
    pub fn register_msg(&self, key: &SigningKey, provider: &Addr, key_id: &str) -> ExecuteMsg {
        ExecuteMsg::RegisterSigner {
            key_id: key_id.into(),
            public_key: public(key),
            proof: self.proof(key, provider, key_id),
        }
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
        self.app.update_block(|b| {
            b.time = b.time.plus_seconds(seconds);
            b.height += seconds / 5 + 1;
        });
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

    /// A marketplace allocation of `provider`, pending.
    pub fn allocation_of(&mut self, provider: &Addr) -> String {
        let customer = self.customer.clone();
        let m = self.marketplace.clone();
        let data =
            |res: AppResponse| -> String { cosmwasm_std::from_json(res.data.unwrap()).unwrap() };
        let offering = data(
            self.app
                .execute_contract(
                    provider.clone(),
                    m.clone(),
                    &marketplace::msg::ExecuteMsg::CreateOffering {
                        offering: ve_types::OfferingFields {
                            name: "Compute".into(),
                            description: String::new(),
                            category: ve_types::Category::Compute,
                            pricing: ve_types::Pricing {
                                model: ve_types::PricingModel::Hourly,
                                denom: DENOM.into(),
                                base_price: Uint128::new(1_000),
                                components: vec![],
                                minimum_commitment_seconds: 0,
                            },
                            regions: vec![],
                            tags: vec![],
                            specifications: BTreeMap::new(),
                            min_identity_score: 0,
                            require_mfa_for_orders: false,
                        },
                        encrypted_secrets: None,
                    },
                    &[],
                )
                .unwrap(),
        );
        let order = data(
            self.app
                .execute_contract(
                    customer.clone(),
                    m.clone(),
                    &marketplace::msg::ExecuteMsg::CreateOrder {
                        offering_id: offering,
                        quantity: 1,
                        max_bid_price: Uint128::new(1_000),
                        region: None,
                        public_metadata: BTreeMap::new(),
                        encrypted_config_ref: None,
                    },
                    &[coin(1_000, DENOM)],
                )
                .unwrap(),
        );
        let bid = data(
            self.app
                .execute_contract(
                    provider.clone(),
                    m.clone(),
                    &marketplace::msg::ExecuteMsg::PlaceBid {
                        order_id: order,
                        price: Uint128::new(1_000),
                        ttl_seconds: None,
                    },
                    &[],
                )
                .unwrap(),
        );
        data(
            self.app
                .execute_contract(
                    customer,
                    m,
                    &marketplace::msg::ExecuteMsg::AcceptBid { bid_id: bid },
                    &[],
                )
                .unwrap(),
        )
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
    /// validity; sign it with [`sign`].
    pub fn draft<P: Serialize>(
        &mut self,
        provider: &Addr,
        action: ActionType,
        entity_id: &str,
        payload: &P,
    ) -> SignedCallback {
        self.counter += 1;
        let now = self.now();
        SignedCallback {
            provider: provider.to_string(),
            signer_key_id: "k1".into(),
            callback_id: format!("cb-{}", self.counter),
            action_type: action,
            waldur_id: "550e8400-e29b-41d4-a716-446655440003".into(),
            entity_type: action.entity_type(),
            entity_id: entity_id.into(),
            nonce: format!("nonce-{:08}", self.counter),
            timestamp: now,
            expires_at: now + 600,
            payload: Binary::from(to_json_vec(payload).unwrap()),
            signature: Binary::default(),
        }
    }

    /// Signs for this deployment (its chain id and contract address).
    pub fn sign(&self, cb: SignedCallback, key: &SigningKey) -> SignedCallback {
        let chain_id = self.chain_id();
        sign_for(cb, key, &chain_id, self.callback.as_str())
    }

    /// A signed state report for an allocation of the main provider.
    pub fn state_callback(
        &mut self,
        action: ActionType,
        allocation: &str,
        state: AllocationState,
    ) -> SignedCallback {
        let provider = self.provider.clone();
        let draft = self.draft(
            &provider,
            action,
            allocation,
            &AllocationStatePayload {
                state,
                backend_id: None,
                reason: None,
            },
        );
        let key = self.key;
        self.sign(draft, &key)
    }
}

pub fn sign_for(
    mut cb: SignedCallback,
    key: &SigningKey,
    chain_id: &str,
    contract: &str,
) -> SignedCallback {
    let bytes = signing_bytes(&CallbackFields {
        chain_id,
        contract,
        provider: &cb.provider,
        signer_key_id: &cb.signer_key_id,
        callback_id: &cb.callback_id,
        action: cb.action_type,
        waldur_id: &cb.waldur_id,
        entity_type: cb.entity_type,
        entity_id: &cb.entity_id,
        nonce: &cb.nonce,
        timestamp: cb.timestamp,
        expires_at: cb.expires_at,
        payload: cb.payload.as_slice(),
    })
    .unwrap();
    cb.signature = Binary::from(<[u8; 64]>::from(key.sign(&bytes)).to_vec());
    cb
}
