//! A small CometBFT JSON-RPC client (POST, JSON-RPC 2.0) for the five
//! calls the relayer needs, and the answer shapes of CometBFT 0.38 (with
//! the fields of 0.34/0.37 where they differ). Numbers that CometBFT
//! encodes as strings (int64) are accepted as strings or numbers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

/// Why a call did not give an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No usable answer: connection refused or reset, timeout, HTTP error,
    /// a body that is not JSON-RPC.
    Transport(String),
    /// The node answered with a JSON-RPC error (e.g. `tx (..) not found`).
    Node { message: String, data: String },
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Transport(e) => write!(f, "{e}"),
            CallError::Node { message, data } => write!(f, "{message}: {data}"),
        }
    }
}

pub struct NodeRpc {
    http: reqwest::Client,
    url: String,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<RpcErrorBody>,
}

#[derive(Deserialize)]
struct RpcErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl NodeRpc {
    pub fn new(url: &str, request_timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout)
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(NodeRpc {
            http,
            url: url.trim_end_matches('/').to_string(),
            next_id: AtomicU64::new(1),
        })
    }

    async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let transport = |e: &dyn std::fmt::Display| CallError::Transport(format!("{method}: {e}"));
        let response = self
            .http
            .post(&self.url)
            .json(&request)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        // CometBFT answers JSON-RPC errors with HTTP 500 and a JSON body:
        // read the body first, fall back to the status.
        let envelope: Envelope = match serde_json::from_slice(&body) {
            Ok(e) => e,
            Err(_) if !status.is_success() => return Err(transport(&status)),
            Err(e) => return Err(transport(&format!("answer is not JSON-RPC: {e}"))),
        };
        if let Some(error) = envelope.error {
            let data = match error.data {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            return Err(CallError::Node {
                message: error.message,
                data,
            });
        }
        let result = envelope
            .result
            .ok_or_else(|| transport(&"answer has neither result nor error"))?;
        serde_json::from_value(result).map_err(|e| transport(&format!("unexpected answer: {e}")))
    }

    pub async fn status(&self) -> Result<Status, CallError> {
        self.call("status", json!({})).await
    }

    /// `abci_query` at the latest height; `data` is the protobuf request.
    pub async fn abci_query(
        &self,
        path: &str,
        data: &[u8],
    ) -> Result<AbciQueryResponse, CallError> {
        let result: AbciQueryResult = self
            .call(
                "abci_query",
                json!({ "path": path, "data": hex::encode(data), "height": "0", "prove": false }),
            )
            .await?;
        Ok(result.response)
    }

    pub async fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<BroadcastResult, CallError> {
        self.call("broadcast_tx_sync", json!({ "tx": BASE64.encode(tx) }))
            .await
    }

    /// The transaction with this SHA-256 hash, once it is in a block.
    pub async fn tx(&self, hash: &[u8]) -> Result<TxResponse, CallError> {
        self.call("tx", json!({ "hash": BASE64.encode(hash), "prove": false }))
            .await
    }

    pub async fn block_results(&self, height: u64) -> Result<BlockResults, CallError> {
        self.call("block_results", json!({ "height": height.to_string() }))
            .await
    }
}

/// int64 fields come as JSON strings from CometBFT.
pub fn u64_text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Number(u64),
    }
    match TextOrNumber::deserialize(d)? {
        TextOrNumber::Number(n) => Ok(n),
        TextOrNumber::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes a base64 field (`data`, `value`); absent or null is empty.
pub fn base64_field(field: &Option<String>) -> Result<Vec<u8>, String> {
    match field {
        None => Ok(Vec::new()),
        Some(text) => BASE64
            .decode(text.as_bytes())
            .map_err(|e| format!("bad base64 in answer: {e}")),
    }
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub node_info: NodeInfo,
    pub sync_info: SyncInfo,
}

#[derive(Debug, Deserialize)]
pub struct NodeInfo {
    /// The chain id.
    pub network: String,
}

#[derive(Debug, Deserialize)]
pub struct SyncInfo {
    #[serde(deserialize_with = "u64_text_or_number")]
    pub latest_block_height: u64,
    /// RFC 3339.
    pub latest_block_time: String,
}

#[derive(Debug, Deserialize)]
struct AbciQueryResult {
    response: AbciQueryResponse,
}

#[derive(Debug, Deserialize)]
pub struct AbciQueryResponse {
    #[serde(default)]
    pub code: u32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub log: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub codespace: String,
    /// Base64 of the protobuf answer.
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct BroadcastResult {
    #[serde(default)]
    pub code: u32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub log: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub codespace: String,
}

#[derive(Debug, Deserialize)]
pub struct TxResponse {
    pub tx_result: ExecTxResult,
}

/// `ExecTxResult` (0.38) / `ResponseDeliverTx` (0.34, 0.37).
#[derive(Debug, Deserialize, Default)]
pub struct ExecTxResult {
    #[serde(default)]
    pub code: u32,
    /// Base64 of the `TxMsgData` protobuf.
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub log: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub codespace: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<AbciEvent>,
}

#[derive(Debug, Deserialize, Default)]
pub struct BlockResults {
    #[serde(deserialize_with = "u64_text_or_number")]
    pub height: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub txs_results: Vec<ExecTxResult>,
    /// 0.34 / 0.37.
    #[serde(default, deserialize_with = "null_as_default")]
    pub begin_block_events: Vec<AbciEvent>,
    /// 0.34 / 0.37.
    #[serde(default, deserialize_with = "null_as_default")]
    pub end_block_events: Vec<AbciEvent>,
    /// 0.38: the block's events outside transactions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub finalize_block_events: Vec<AbciEvent>,
}

#[derive(Debug, Deserialize, Clone, PartialEq)]
pub struct AbciEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attributes: Vec<EventAttribute>,
}

#[derive(Debug, Deserialize, Clone, PartialEq)]
pub struct EventAttribute {
    #[serde(default, deserialize_with = "null_as_default")]
    pub key: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cometbft_shapes() {
        let r: BlockResults = serde_json::from_value(json!({
            "height": "12",
            "txs_results": null,
            "finalize_block_events": [
                { "type": "wasm-ve.x", "attributes": [ { "key": "a", "value": null, "index": true } ] }
            ],
            "validator_updates": null,
            "consensus_param_updates": null,
            "app_hash": "AA=="
        }))
        .unwrap();
        assert_eq!(r.height, 12);
        assert!(r.txs_results.is_empty());
        assert_eq!(r.finalize_block_events[0].attributes[0].value, "");
        let t: TxResponse = serde_json::from_value(json!({
            "hash": "AB", "height": 7, "index": 0,
            "tx_result": { "code": 0, "data": "CgA=", "log": "", "gas_wanted": "10", "gas_used": "5", "events": [], "codespace": "" },
            "tx": "AA=="
        }))
        .unwrap();
        assert_eq!(base64_field(&t.tx_result.data).unwrap(), vec![10, 0]);
        assert!(base64_field(&Some("%%".into())).is_err());
    }
}
