//! A small blocking CometBFT JSON-RPC client for the load bench: the
//! height, `abci_query` (accounts, simulation, smart queries),
//! `broadcast_tx_sync` and `block_results`. Plain HTTP, no `wasmd`
//! process per call: the bench samples the node every 250 ms on a machine
//! it shares.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use cosmrs::proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmrs::proto::prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const SMART_QUERY_PATH: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";

pub struct Node {
    http: reqwest::blocking::Client,
    url: String,
}

/// What `broadcast_tx_sync` answered (CheckTx).
#[derive(Debug, Clone)]
pub struct Broadcast {
    pub code: u64,
    pub log: String,
    /// Upper-case hex, as `wasmd query tx` takes it.
    pub hash: String,
}

/// One transaction of a block, as `block_results` reports it.
#[derive(Debug, Clone)]
pub struct BlockTx {
    pub code: u64,
    /// (event type, attributes) in order.
    pub events: Vec<(String, Vec<(String, String)>)>,
}

fn text_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Node {
    /// `url`: the node's RPC, `http://host:port`.
    pub fn new(url: &str, timeout: Duration) -> Result<Node> {
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .context("http client")?;
        Ok(Node {
            http,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    fn call(&self, method: &str, params: Value) -> Result<Value> {
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let response = self
            .http
            .post(&self.url)
            .json(&request)
            .send()
            .with_context(|| format!("{method} to {}", self.url))?;
        let status = response.status();
        let body: Value = response
            .json()
            .with_context(|| format!("{method}: answer is not JSON ({status})"))?;
        if let Some(error) = body.get("error") {
            bail!("{method}: {error}");
        }
        body.get("result")
            .cloned()
            .with_context(|| format!("{method}: answer without result ({status})"))
    }

    /// The latest block height.
    pub fn height(&self) -> Result<u64> {
        let status = self.call("status", json!({}))?;
        status
            .pointer("/sync_info/latest_block_height")
            .and_then(text_u64)
            .context("status without latest_block_height")
    }

    /// `abci_query` at the latest height: the answer's value, or an error
    /// with the node's log when the code is not 0.
    pub fn abci_query(&self, path: &str, data: &[u8]) -> Result<Vec<u8>> {
        let result = self.call(
            "abci_query",
            json!({ "path": path, "data": hex::encode(data), "height": "0", "prove": false }),
        )?;
        let response = result.get("response").context("abci_query: no response")?;
        let code = response.get("code").and_then(text_u64).unwrap_or(0);
        if code != 0 {
            bail!(
                "abci_query {path}: code {code} ({}): {}",
                text(&response["codespace"]),
                text(&response["log"])
            );
        }
        match response.get("value").and_then(Value::as_str) {
            None => Ok(Vec::new()),
            Some(v) => BASE64.decode(v).context("abci_query value is not base64"),
        }
    }

    pub fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<Broadcast> {
        let result = self.call("broadcast_tx_sync", json!({ "tx": BASE64.encode(tx) }))?;
        Ok(Broadcast {
            code: result.get("code").and_then(text_u64).unwrap_or(0),
            log: text(&result["log"]),
            hash: text(&result["hash"]).to_uppercase(),
        })
    }

    /// The transactions of block `height` with their events.
    pub fn block_txs(&self, height: u64) -> Result<Vec<BlockTx>> {
        let result = self.call("block_results", json!({ "height": height.to_string() }))?;
        let txs = match result.get("txs_results") {
            Some(Value::Array(txs)) => txs.clone(),
            _ => Vec::new(),
        };
        Ok(txs
            .iter()
            .map(|tx| BlockTx {
                code: tx.get("code").and_then(text_u64).unwrap_or(0),
                events: tx
                    .get("events")
                    .and_then(Value::as_array)
                    .map(|events| {
                        events
                            .iter()
                            .map(|e| {
                                let attributes = e
                                    .get("attributes")
                                    .and_then(Value::as_array)
                                    .map(|a| {
                                        a.iter()
                                            .map(|kv| (text(&kv["key"]), text(&kv["value"])))
                                            .collect()
                                    })
                                    .unwrap_or_default();
                                (text(&e["type"]), attributes)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Block `height`: its time (unix seconds) and its transactions' bytes.
    pub fn block(&self, height: u64) -> Result<(i64, Vec<Vec<u8>>)> {
        let result = self.call("block", json!({ "height": height.to_string() }))?;
        let time = result
            .pointer("/block/header/time")
            .and_then(Value::as_str)
            .context("block without header time")?;
        let time = cosmrs::tendermint::Time::parse_from_rfc3339(time)
            .with_context(|| format!("block time {time}"))?
            .unix_timestamp();
        let txs = match result.pointer("/block/data/txs") {
            Some(Value::Array(txs)) => txs
                .iter()
                .filter_map(Value::as_str)
                .map(|t| BASE64.decode(t).context("block tx is not base64"))
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        Ok((time, txs))
    }

    /// A contract's smart query, answered as `T`.
    pub fn smart_query<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T> {
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: serde_json::to_vec(msg)?,
        };
        let value = self.abci_query(SMART_QUERY_PATH, &request.encode_to_vec())?;
        let response = QuerySmartContractStateResponse::decode(value.as_slice())
            .context("smart query answer")?;
        serde_json::from_slice(&response.data).with_context(|| {
            format!(
                "{contract} answered unexpected JSON: {}",
                String::from_utf8_lossy(&response.data)
            )
        })
    }
}
