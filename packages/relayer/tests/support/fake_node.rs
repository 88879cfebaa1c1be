//! A fake wasmd node: CometBFT 0.39 JSON-RPC in front of the relayer's
//! `EmbeddedChain`. It decodes the transactions it is sent, checks them
//! like the SDK's ante handler (signature over the sign doc with chain id
//! and account number, signer = sender, sequence, fee), executes their
//! `MsgExecuteContract`s atomically in a new block, and answers `status`,
//! `abci_query` (Account, Simulate, SmartContractState),
//! `broadcast_tx_sync`, `tx` and `block_results` in the shapes wasmd
//! v0.70.3 (CometBFT 0.39, SDK 0.54) uses: the same fields and JSON types,
//! JSON-RPC errors with CometBFT's codes and messages (HTTP 200), gRPC
//! query errors wrapped as the SDK wraps them, CometBFT's mempool cache
//! (tests/rpc_chain.rs compares them with answers recorded from the devnet).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, TxMsgData};
use cosmrs::proto::cosmos::tx::v1beta1::{SignDoc, SimulateRequest, SimulateResponse, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{MsgExecuteContract, MsgExecuteContractResponse};
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use cosmrs::Any;
use cosmwasm_std::{Addr, Binary, Coin, CosmosMsg, Decimal, Event, Uint128, WasmMsg};
use cw_multi_test::AppResponse;
use k256::ecdsa::signature::Verifier;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use ve_relayer::chain::embedded::EmbeddedChain;

/// What the bank module answers for the fee account's balance.
pub const FEE_BALANCE: u128 = 987_654_321;

pub const PREFIX: &str = "virtengine";
pub const FEE_DENOM: &str = "uvirt";

/// A transaction the node let into its mempool, as it decoded it.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedTx {
    pub hash: String,
    pub sequence: u64,
    pub gas_limit: u64,
    pub fee: Vec<(String, u128)>,
    pub memo: String,
    pub messages: usize,
    pub callbacks_per_message: Vec<usize>,
}

struct Pending {
    hash: String,
    raw: Vec<u8>,
    messages: Vec<MsgExecuteContract>,
    gas_limit: u64,
    polls: u32,
}

pub struct NodeState {
    pub chain: EmbeddedChain,
    /// What `status` says the chain id is.
    pub network: String,
    /// The chain id signatures are checked against (normally `network`).
    pub verify_chain_id: String,
    /// The only account the node knows: the relayer's fee account.
    pub fee_address: String,
    pub account_number: u64,
    pub sequence: u64,
    pub min_gas_price: Decimal,
    /// Simulated and charged gas: `gas_per_tx + gas_per_callback * n`.
    pub gas_per_tx: u64,
    pub gas_per_callback: u64,
    /// Gas a block charges beyond what `Simulate` said.
    pub extra_block_gas: u64,
    /// Make `Simulate` fail like a contract error.
    pub simulate_error: Option<String>,
    /// `tx` look-ups a transaction waits before its block is made.
    pub polls_before_inclusion: u32,
    /// false: accepted transactions never reach a block.
    pub include_txs: bool,
    /// A sequence mismatch log without the numbers.
    pub terse_mismatch_log: bool,
    /// The CometBFT version `status` reports (the devnet's: 0.39.0).
    pub version: String,
    /// Once: another transaction of the account lands right after the
    /// next successful simulation (the broadcast then mismatches).
    pub race_after_simulation: bool,
    pub accepted: Vec<AcceptedTx>,
    /// Every call, e.g. `block_results 7`.
    pub calls: Vec<String>,
    blocks: BTreeMap<u64, Value>,
    mempool: Vec<Pending>,
    included: HashMap<String, Value>,
    /// CometBFT's mempool cache: the hashes of the transactions that
    /// passed CheckTx, in the mempool or already in a block.
    cache: HashSet<String>,
}

type Refusal = (u32, &'static str, String);

/// A JSON-RPC error, as CometBFT answers it (with HTTP 200).
enum RpcError {
    /// -32603, e.g. `tx (..) not found`, `tx already exists in cache`.
    Internal(String),
    /// -32602: the params do not convert.
    InvalidParams(String),
    /// -32601, without data.
    MethodNotFound,
}

impl RpcError {
    fn json(self) -> Value {
        match self {
            RpcError::Internal(data) => {
                json!({ "code": -32603, "message": "Internal error", "data": data })
            }
            RpcError::InvalidParams(data) => json!({
                "code": -32602, "message": "Invalid params",
                "data": format!("error converting json params to arguments: {data}")
            }),
            RpcError::MethodNotFound => json!({ "code": -32601, "message": "Method not found" }),
        }
    }
}

fn invalid_params(e: impl std::fmt::Display) -> RpcError {
    RpcError::InvalidParams(e.to_string())
}

/// An upper-case hex SHA-256 of `seed` (block and app hashes).
fn fake_hash(seed: &str) -> String {
    hex::encode_upper(Sha256::digest(seed.as_bytes()))
}

/// What the devnet sends as `consensus_param_updates` in every block.
fn consensus_params() -> Value {
    json!({
        "block": { "max_bytes": "22020096", "max_gas": "-1" },
        "evidence": { "max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576" },
        "validator": { "pub_key_types": ["ed25519"] },
        "version": {}, "abci": {}, "authority": {}
    })
}

/// A block's events outside transactions (the devnet's have minting and
/// distribution, tagged with the phase).
fn finalize_block_events() -> Value {
    json!([
        { "type": "coin_received", "attributes": [
            { "key": "amount", "value": "1uvirt", "index": true },
            { "key": "mode", "value": "BeginBlock", "index": true } ] }
    ])
}

/// A block's results as the devnet answers them: no transactions is
/// `null`, not `[]`.
fn block_json(height: u64, txs: Vec<Value>, finalize: Value) -> Value {
    json!({
        "height": height.to_string(),
        "txs_results": if txs.is_empty() { Value::Null } else { Value::Array(txs) },
        "finalize_block_events": finalize,
        "validator_updates": null,
        "consensus_param_updates": consensus_params(),
        "app_hash": BASE64.encode(Sha256::digest(format!("app {height}").as_bytes()))
    })
}

/// Fills in what a real node always sends and a test left out: each
/// attribute's `index`, each transaction result's fields, the block's
/// `validator_updates` and `consensus_param_updates` (and `app_hash`
/// from 0.38 on, when there are `finalize_block_events`).
fn like_a_real_node(results: &mut Value) {
    fn events(list: Option<&mut Value>) {
        for event in list.and_then(Value::as_array_mut).into_iter().flatten() {
            let attributes = event.get_mut("attributes").and_then(Value::as_array_mut);
            for attribute in attributes.into_iter().flatten() {
                if attribute.get("index").is_none() {
                    attribute["index"] = json!(true);
                }
            }
        }
    }
    let defaults = [
        ("code", json!(0)),
        ("data", json!("")),
        ("log", json!("")),
        ("info", json!("")),
        ("gas_wanted", json!("0")),
        ("gas_used", json!("0")),
        ("events", json!([])),
        ("codespace", json!("")),
    ];
    for tx in results["txs_results"].as_array_mut().into_iter().flatten() {
        for (field, value) in &defaults {
            if tx.get(field).is_none() {
                tx[*field] = value.clone();
            }
        }
        events(tx.get_mut("events"));
    }
    for phase in [
        "begin_block_events",
        "end_block_events",
        "finalize_block_events",
    ] {
        events(results.get_mut(phase));
    }
    if results.get("validator_updates").is_none() {
        results["validator_updates"] = Value::Null;
    }
    if results.get("consensus_param_updates").is_none() {
        results["consensus_param_updates"] = consensus_params();
    }
    if results.get("finalize_block_events").is_some() && results.get("app_hash").is_none() {
        results["app_hash"] = json!("");
    }
}

fn event_json(e: &Event, msg_index: Option<usize>) -> Value {
    let mut attributes: Vec<Value> = e
        .attributes
        .iter()
        .map(|a| json!({ "key": a.key, "value": a.value, "index": true }))
        .collect();
    if let Some(i) = msg_index {
        // As SDK 0.50 tags every message event.
        attributes.push(json!({ "key": "msg_index", "value": i.to_string(), "index": true }));
    }
    json!({ "type": e.ty, "attributes": attributes })
}

/// `encoded`: whether each response's data already is the encoded
/// `MsgExecuteContractResponse` (cw-multi-test's `execute_multi` returns it
/// so, like wasmd; `execute_contract` unwraps it to the contract's data).
fn tx_ok_json(responses: &[AppResponse], encoded: bool, gas_limit: u64, gas_used: u64) -> Value {
    let msg_responses = responses
        .iter()
        .map(|r| {
            let data = r.data.clone().map(|d| d.to_vec()).unwrap_or_default();
            Any {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                value: if encoded {
                    data
                } else {
                    MsgExecuteContractResponse { data }.encode_to_vec()
                },
            }
        })
        .collect();
    #[allow(deprecated)]
    let data = TxMsgData {
        data: vec![],
        msg_responses,
    };
    let mut events = vec![
        json!({ "type": "tx", "attributes": [ { "key": "fee", "value": "", "index": true } ] }),
    ];
    for (i, r) in responses.iter().enumerate() {
        events.extend(r.events.iter().map(|e| event_json(e, Some(i))));
    }
    json!({
        "code": 0, "codespace": "", "log": "", "info": "",
        "data": BASE64.encode(data.encode_to_vec()),
        "gas_wanted": gas_limit.to_string(), "gas_used": gas_used.to_string(),
        "events": events
    })
}

fn tx_err_json(code: u32, codespace: &str, log: &str, gas_limit: u64, gas_used: u64) -> Value {
    json!({
        "code": code, "codespace": codespace, "log": log, "info": "", "data": null,
        "gas_wanted": gas_limit.to_string(), "gas_used": gas_used.to_string(),
        "events": [ { "type": "tx", "attributes": [ { "key": "acc_seq", "value": "x", "index": true } ] } ]
    })
}

fn callbacks_in(msg: &MsgExecuteContract) -> usize {
    serde_json::from_slice::<Value>(&msg.msg)
        .ok()
        .and_then(|v| v["submit_callbacks"]["callbacks"].as_array().map(Vec::len))
        .unwrap_or(1)
}

/// The order flow on the node: each step a block of its own.
impl ve_testing::OrderFlow for NodeState {
    type Error = cosmwasm_std::StdError;

    fn execute_for_id(
        &mut self,
        sender: &Addr,
        msg: &marketplace::msg::ExecuteMsg,
        funds: &[Coin],
    ) -> cosmwasm_std::StdResult<String> {
        let marketplace = self.chain.marketplace.clone();
        ve_testing::returned_data(&self.execute(sender, &marketplace, msg, funds))
    }
}

impl NodeState {
    fn height(&self) -> u64 {
        self.chain.app.block_info().height
    }

    fn gas_for(&self, messages: &[MsgExecuteContract]) -> u64 {
        let callbacks: usize = messages.iter().map(callbacks_in).sum();
        self.gas_per_tx + self.gas_per_callback * callbacks as u64
    }

    /// Stores a block's results (the chain is already at `height`).
    fn store_block(&mut self, height: u64, txs: Vec<Value>) {
        self.blocks
            .insert(height, block_json(height, txs, finalize_block_events()));
    }

    /// Runs one message directly (the portal's transactions), in its own
    /// block, recorded for `block_results`.
    pub fn execute<M: Serialize + std::fmt::Debug>(
        &mut self,
        sender: &Addr,
        contract: &Addr,
        msg: &M,
        funds: &[Coin],
    ) -> AppResponse {
        let res = self
            .chain
            .execute(sender, contract, msg, funds)
            .expect("setup transaction runs");
        let height = self.height();
        let tx = tx_ok_json(std::slice::from_ref(&res), false, 200_000, 100_000);
        self.store_block(height, vec![tx]);
        res
    }

    /// A block with the given results (shape of the caller's choosing,
    /// e.g. other contracts' events or CometBFT 0.34 encodings), completed
    /// with the fields a real node always sends.
    pub fn inject_block(&mut self, mut results: Value) -> u64 {
        self.chain.advance(5);
        let height = self.height();
        results["height"] = json!(height.to_string());
        like_a_real_node(&mut results);
        self.blocks.insert(height, results);
        height
    }

    /// The SDK's ante checks; `Ok` gives the decoded messages and gas limit.
    fn check_tx(
        &self,
        bytes: &[u8],
        simulate: bool,
    ) -> Result<(Vec<MsgExecuteContract>, u64, AcceptedTx), Refusal> {
        let parse = |e: &dyn std::fmt::Display| (2, "sdk", format!("tx parse error: {e}"));
        let raw = TxRaw::decode(bytes).map_err(|e| parse(&e))?;
        let tx = cosmrs::Tx::from_bytes(bytes).map_err(|e| parse(&e))?;
        if tx.auth_info.signer_infos.len() != 1 || tx.signatures.len() != 1 {
            return Err((4, "sdk", "wrong number of signers: unauthorized".into()));
        }
        let info = &tx.auth_info.signer_infos[0];
        let public_key = info.public_key.as_ref().and_then(|k| k.single()).ok_or((
            8,
            "sdk",
            "pubkey missing: invalid pubkey".to_string(),
        ))?;
        let signer = public_key
            .account_id(PREFIX)
            .map_err(|e| (8, "sdk", format!("{e}")))?
            .to_string();
        let mut messages = Vec::new();
        for any in &tx.body.messages {
            if any.type_url != "/cosmwasm.wasm.v1.MsgExecuteContract" {
                return Err((6, "sdk", format!("unknown message {}", any.type_url)));
            }
            let msg = MsgExecuteContract::decode(any.value.as_slice()).map_err(|e| parse(&e))?;
            if msg.sender != signer {
                return Err((
                    4,
                    "sdk",
                    "pubkey does not match signer address: unauthorized".into(),
                ));
            }
            messages.push(msg);
        }
        if signer != self.fee_address {
            return Err((
                22,
                "sdk",
                format!("account {signer} not found: key not found"),
            ));
        }
        if info.sequence != self.sequence {
            let log = if self.terse_mismatch_log {
                "incorrect account sequence".to_string()
            } else {
                format!(
                    "account sequence mismatch, expected {}, got {}: incorrect account sequence",
                    self.sequence, info.sequence
                )
            };
            return Err((32, "sdk", log));
        }
        let fee = &tx.auth_info.fee;
        let accepted = AcceptedTx {
            hash: hex::encode_upper(Sha256::digest(bytes)),
            sequence: info.sequence,
            gas_limit: fee.gas_limit,
            fee: fee
                .amount
                .iter()
                .map(|c| (c.denom.to_string(), c.amount))
                .collect(),
            memo: tx.body.memo.clone(),
            messages: messages.len(),
            callbacks_per_message: messages.iter().map(callbacks_in).collect(),
        };
        if simulate {
            return Ok((messages, fee.gas_limit, accepted));
        }
        let sign_doc = SignDoc {
            body_bytes: raw.body_bytes,
            auth_info_bytes: raw.auth_info_bytes,
            chain_id: self.verify_chain_id.clone(),
            account_number: self.account_number,
        };
        let verified = k256::ecdsa::VerifyingKey::from_sec1_bytes(&public_key.to_bytes())
            .ok()
            .zip(k256::ecdsa::Signature::from_slice(&tx.signatures[0]).ok())
            .is_some_and(|(key, signature)| {
                key.verify(&sign_doc.encode_to_vec(), &signature).is_ok()
            });
        if !verified {
            return Err((
                4,
                "sdk",
                format!(
                    "signature verification failed; please verify account number ({}) and chain-id ({}): unauthorized",
                    self.account_number, self.verify_chain_id
                ),
            ));
        }
        let required = Uint128::from(fee.gas_limit)
            .mul_ceil(self.min_gas_price)
            .u128();
        let paid: u128 = accepted
            .fee
            .iter()
            .filter(|(d, _)| d == FEE_DENOM)
            .map(|(_, a)| *a)
            .sum();
        if paid < required {
            return Err((
                13,
                "sdk",
                format!("insufficient fees; got: {paid}{FEE_DENOM} required: {required}{FEE_DENOM}: insufficient fee"),
            ));
        }
        Ok((messages, fee.gas_limit, accepted))
    }

    /// Makes one block of everything in the mempool.
    fn produce_block(&mut self) {
        self.chain.advance(5);
        let height = self.height();
        let mut txs = Vec::new();
        for (index, pending) in std::mem::take(&mut self.mempool).into_iter().enumerate() {
            let gas_used = self.gas_for(&pending.messages) + self.extra_block_gas;
            let result = if gas_used > pending.gas_limit {
                tx_err_json(11, "sdk", "out of gas", pending.gas_limit, gas_used)
            } else {
                let sender = Addr::unchecked(&self.fee_address);
                let msgs: Vec<CosmosMsg> = pending
                    .messages
                    .iter()
                    .map(|m| {
                        CosmosMsg::Wasm(WasmMsg::Execute {
                            contract_addr: m.contract.clone(),
                            msg: Binary::from(m.msg.clone()),
                            funds: vec![],
                        })
                    })
                    .collect();
                match self.chain.app.execute_multi(sender, msgs) {
                    Ok(responses) => tx_ok_json(&responses, true, pending.gas_limit, gas_used),
                    Err(e) => tx_err_json(
                        5,
                        "wasm",
                        &format!("failed to execute message; message index: 0: {e}: execute wasm contract failed"),
                        pending.gas_limit,
                        gas_used,
                    ),
                }
            };
            self.included.insert(
                pending.hash.clone(),
                json!({
                    "hash": pending.hash, "height": height.to_string(), "index": index,
                    "tx_result": result, "tx": BASE64.encode(&pending.raw)
                }),
            );
            txs.push(result);
        }
        self.store_block(height, txs);
    }

    fn status(&self) -> Value {
        let block = self.chain.app.block_info();
        let time = cosmrs::tendermint::Time::from_unix_timestamp(
            block.time.seconds() as i64,
            block.time.subsec_nanos() as u32,
        )
        .expect("block time is representable")
        .to_rfc3339();
        let height = self.height();
        json!({
            "node_info": {
                "protocol_version": { "p2p": "8", "block": "11", "app": "0" },
                "id": "3b8f293786ba4c38d6def3a3b5803739bc2d0b09",
                "listen_addr": "tcp://127.0.0.1:26656",
                "network": self.network,
                "version": self.version,
                "channels": "40202122233038606100",
                "moniker": "fake",
                "other": { "tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657" }
            },
            "sync_info": {
                "latest_block_hash": fake_hash(&format!("block {height}")),
                "latest_app_hash": fake_hash(&format!("app {height}")),
                "latest_block_height": height.to_string(),
                "latest_block_time": time,
                // The fake keeps no history of its own: the earliest block
                // is given as the latest.
                "earliest_block_hash": fake_hash(&format!("block {height}")),
                "earliest_app_hash": fake_hash(&format!("app {height}")),
                "earliest_block_height": height.to_string(),
                "earliest_block_time": time,
                "catching_up": false
            },
            "validator_info": {
                "address": "27A843BFAAB1A380A0F3047F79B1A889A8B3C47D",
                "pub_key": { "type": "tendermint/PubKeyEd25519", "value": "GXWk7xg+hzns/TTJDpp8PI8odH0CbQxSxwBS7xN39+4=" },
                "voting_power": "1000"
            }
        })
    }

    fn abci_query(&mut self, params: &Value) -> Result<Value, RpcError> {
        let path = params["path"].as_str().unwrap_or_default();
        let data =
            hex::decode(params["data"].as_str().unwrap_or_default()).map_err(invalid_params)?;
        let height = self.height();
        let answer = move |code: u32, codespace: &str, log: String, value: Option<Vec<u8>>| {
            json!({ "response": {
                "code": code, "log": log, "info": "", "index": "0",
                "key": null, "value": value.map(|v| BASE64.encode(v)), "proofOps": null,
                "height": height.to_string(), "codespace": codespace
            } })
        };
        // A request that does not decode: what the SDK's gRPC router says.
        let undecodable = |e: cosmrs::proto::prost::DecodeError| {
            Ok(answer(
                18,
                "sdk",
                format!("rpc error: code = InvalidArgument desc = {e}: invalid request"),
                None,
            ))
        };
        match path {
            "/cosmos.auth.v1beta1.Query/Account" => {
                let request = match QueryAccountRequest::decode(data.as_slice()) {
                    Ok(request) => request,
                    Err(e) => return undecodable(e),
                };
                if request.address != self.fee_address {
                    return Ok(answer(
                        22,
                        "sdk",
                        format!(
                            "rpc error: code = NotFound desc = account {} not found: key not found",
                            request.address
                        ),
                        None,
                    ));
                }
                let account = BaseAccount {
                    address: self.fee_address.clone(),
                    pub_key: None,
                    account_number: self.account_number,
                    sequence: self.sequence,
                };
                let response = QueryAccountResponse {
                    account: Some(Any {
                        type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                        value: account.encode_to_vec(),
                    }),
                };
                Ok(answer(0, "", String::new(), Some(response.encode_to_vec())))
            }
            // The fee account holds FEE_BALANCE of any denom; others none.
            "/cosmos.bank.v1beta1.Query/Balance" => {
                use cosmrs::proto::cosmos::bank::v1beta1::{
                    QueryBalanceRequest, QueryBalanceResponse,
                };
                let request = match QueryBalanceRequest::decode(data.as_slice()) {
                    Ok(request) => request,
                    Err(e) => return undecodable(e),
                };
                let balance = (request.address == self.fee_address).then(|| {
                    cosmrs::proto::cosmos::base::v1beta1::Coin {
                        denom: request.denom.clone(),
                        amount: FEE_BALANCE.to_string(),
                    }
                });
                let response = QueryBalanceResponse { balance };
                Ok(answer(0, "", String::new(), Some(response.encode_to_vec())))
            }
            "/cosmos.tx.v1beta1.Service/Simulate" => {
                let request = match SimulateRequest::decode(data.as_slice()) {
                    Ok(request) => request,
                    Err(e) => return undecodable(e),
                };
                // The gRPC router turns a failed simulation into `sdk` 6
                // and keeps the error only in the log.
                let failed = |log: &str, gas: u64| {
                    answer(
                        6,
                        "sdk",
                        format!("rpc error: code = Unknown desc = {log} with gas used: '{gas}': unknown request"),
                        None,
                    )
                };
                match self.check_tx(&request.tx_bytes, true) {
                    Err((_, _, log)) => Ok(failed(&log, 1_180)),
                    Ok((messages, _, _)) if self.simulate_error.is_some() => Ok(failed(
                        self.simulate_error.as_deref().unwrap_or_default(),
                        self.gas_for(&messages),
                    )),
                    Ok((messages, _, _)) => {
                        if std::mem::take(&mut self.race_after_simulation) {
                            self.sequence += 1;
                        }
                        let response = SimulateResponse {
                            gas_info: Some(GasInfo {
                                gas_wanted: 0,
                                gas_used: self.gas_for(&messages),
                            }),
                            result: None,
                        };
                        Ok(answer(0, "", String::new(), Some(response.encode_to_vec())))
                    }
                }
            }
            "/cosmwasm.wasm.v1.Query/SmartContractState" => {
                let request = match QuerySmartContractStateRequest::decode(data.as_slice()) {
                    Ok(request) => request,
                    Err(e) => return undecodable(e),
                };
                let queried = serde_json::from_slice::<Value>(&request.query_data)
                    .map_err(|e| e.to_string())
                    .and_then(|msg| {
                        self.chain
                            .app
                            .wrap()
                            .query_wasm_smart::<Value>(request.address, &msg)
                            .map_err(|e| e.to_string())
                    });
                match queried {
                    Ok(answer_json) => {
                        let response = QuerySmartContractStateResponse {
                            data: serde_json::to_vec(&answer_json).expect("JSON"),
                        };
                        Ok(answer(0, "", String::new(), Some(response.encode_to_vec())))
                    }
                    // wasmd's ErrQueryFailed, as the gRPC router answers it:
                    // `sdk` 6, the contract's error in the log.
                    Err(e) => Ok(answer(
                        6,
                        "sdk",
                        format!("{e}: query wasm contract failed: unknown request"),
                        None,
                    )),
                }
            }
            // Not a query the app has: no height either.
            _ => Ok(json!({ "response": {
                "code": 6, "log": "unknown query path: unknown request", "info": "", "index": "0",
                "key": null, "value": null, "proofOps": null, "height": "0", "codespace": "sdk"
            } })),
        }
    }

    fn broadcast(&mut self, params: &Value) -> Result<Value, RpcError> {
        let raw = BASE64
            .decode(params["tx"].as_str().unwrap_or_default())
            .map_err(invalid_params)?;
        let hash = hex::encode_upper(Sha256::digest(&raw));
        if self.cache.contains(&hash) {
            return Err(RpcError::Internal("tx already exists in cache".into()));
        }
        match self.check_tx(&raw, false) {
            Err((code, codespace, log)) => Ok(json!({
                "code": code, "data": "", "log": log, "codespace": codespace, "hash": hash
            })),
            Ok((messages, gas_limit, accepted)) => {
                self.cache.insert(hash.clone());
                self.sequence += 1;
                self.accepted.push(accepted);
                self.mempool.push(Pending {
                    hash: hash.clone(),
                    raw,
                    messages,
                    gas_limit,
                    polls: 0,
                });
                Ok(json!({ "code": 0, "data": "", "log": "", "codespace": "", "hash": hash }))
            }
        }
    }

    fn tx(&mut self, params: &Value) -> Result<Value, RpcError> {
        let hash = BASE64
            .decode(params["hash"].as_str().unwrap_or_default())
            .map(hex::encode_upper)
            .map_err(invalid_params)?;
        if let Some(pending) = self.mempool.iter_mut().find(|p| p.hash == hash) {
            pending.polls += 1;
            if self.include_txs && pending.polls >= self.polls_before_inclusion {
                self.produce_block();
            }
        }
        self.included
            .get(&hash)
            .cloned()
            .ok_or_else(|| RpcError::Internal(format!("tx ({hash}) not found")))
    }

    fn block_results(&mut self, params: &Value) -> Result<Value, RpcError> {
        let height: u64 = params["height"]
            .as_str()
            .ok_or("height is not a string")
            .and_then(|h| h.parse().map_err(|_| "height is not a number"))
            .map_err(invalid_params)?;
        let latest = self.height();
        if height > latest {
            return Err(RpcError::Internal(format!(
                "height {height} must be less than or equal to the current blockchain height {latest}"
            )));
        }
        Ok(self
            .blocks
            .get(&height)
            .cloned()
            .unwrap_or_else(|| block_json(height, vec![], finalize_block_events())))
    }

    fn handle(&mut self, request: &Value) -> Value {
        let method = request["method"].as_str().unwrap_or_default();
        let params = &request["params"];
        self.calls.push(match method {
            "block_results" => {
                format!("block_results {}", params["height"].as_str().unwrap_or("?"))
            }
            other => other.to_string(),
        });
        let result = match method {
            "status" => Ok(self.status()),
            "abci_query" => self.abci_query(params),
            "broadcast_tx_sync" => self.broadcast(params),
            "tx" => self.tx(params),
            "block_results" => self.block_results(params),
            _ => Err(RpcError::MethodNotFound),
        };
        match result {
            Ok(result) => json!({ "jsonrpc": "2.0", "id": request["id"], "result": result }),
            Err(e) => json!({ "jsonrpc": "2.0", "id": request["id"], "error": e.json() }),
        }
    }
}

/// Work for the node's thread (cw-multi-test's `App` is not `Send`, so
/// the chain lives on one thread and everything else sends it closures).
type Job = Box<dyn FnOnce(&mut NodeState) + Send>;

#[derive(Clone)]
pub struct NodeHandle {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl NodeHandle {
    /// Runs `f` on the node's state and waits for it (test code).
    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut NodeState) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        self.jobs
            .send(Box::new(move |node| {
                let _ = tx.send(f(node));
            }))
            .expect("node thread alive");
        rx.recv().expect("node thread answers")
    }

    /// One JSON-RPC request, without blocking the server's runtime.
    async fn answer(&self, request: Value) -> Value {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |node| {
            let _ = tx.send(node.handle(&request));
        });
        if self.jobs.send(job).is_err() {
            return json!({ "jsonrpc": "2.0", "error": { "code": -32603, "message": "node gone" } });
        }
        rx.await.unwrap_or_else(
            |_| json!({ "jsonrpc": "2.0", "error": { "code": -32603, "message": "node gone" } }),
        )
    }
}

pub struct FakeNode {
    pub url: String,
    pub handle: NodeHandle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

async fn rpc(State(node): State<NodeHandle>, Json(request): Json<Value>) -> Json<Value> {
    Json(node.answer(request).await)
}

impl FakeNode {
    /// Serves the chain `deploy` builds (on the node's thread) on a local
    /// port; the fee account is `fee_address` (number 7, sequence 3: not a
    /// fresh account).
    pub fn start(
        deploy: impl FnOnce() -> EmbeddedChain + Send + 'static,
        fee_address: &str,
    ) -> FakeNode {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let fee_address = fee_address.to_string();
        std::thread::spawn(move || {
            let chain = deploy();
            let network = chain.app.block_info().chain_id;
            let mut state = NodeState {
                chain,
                verify_chain_id: network.clone(),
                network,
                fee_address,
                account_number: 7,
                sequence: 3,
                min_gas_price: Decimal::from_str("0.025").expect("decimal"),
                gas_per_tx: 80_000,
                gas_per_callback: 20_000,
                extra_block_gas: 0,
                simulate_error: None,
                polls_before_inclusion: 2,
                include_txs: true,
                terse_mismatch_log: false,
                version: "0.39.0".into(),
                race_after_simulation: false,
                accepted: vec![],
                calls: vec![],
                blocks: BTreeMap::new(),
                mempool: vec![],
                included: HashMap::new(),
                cache: HashSet::new(),
            };
            // Ends when every handle is dropped.
            while let Ok(job) = queue.recv() {
                job(&mut state);
            }
        });
        let handle = NodeHandle { jobs };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/", post(rpc))
            .with_state(handle.clone());
        let server = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("node runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("fake node serves");
            });
        });
        FakeNode {
            url,
            handle,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut NodeState) -> R + Send + 'static,
    ) -> R {
        self.handle.with(f)
    }

    /// Stops serving; later requests are refused.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.stop();
    }
}
