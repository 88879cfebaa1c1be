//! The node's CometBFT JSON-RPC, through tendermint-rpc's HTTP client (of
//! the tendermint version cosmrs brings), for the five calls the relayer
//! makes. The answers are tendermint-rpc's types.
//!
//! Dialect: CometBFT 0.34 and 0.37 get their own; 0.38 and later get
//! 0.38's (0.39 answers as 0.38 does, but tendermint-rpc's own version
//! detection refuses "0.39.0", so the choice is made here).
//!
//! A transaction result's `data` is read with [`tx_result_data`], not
//! taken as it is: tendermint-rpc 0.40 leaves it base64 text.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use cosmrs::tendermint::block::Height;
use cosmrs::tendermint::hash::{Algorithm, Hash};
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::error::ErrorDetail;
use tendermint_rpc::{Client, HttpClient, HttpClientUrl};

use super::error::RpcConfigError;

pub use cosmrs::tendermint::abci::types::ExecTxResult;
pub use tendermint_rpc::endpoint::abci_query::AbciQuery;
pub use tendermint_rpc::endpoint::block_results::Response as BlockResults;
pub use tendermint_rpc::endpoint::broadcast::tx_sync::Response as BroadcastResult;
pub use tendermint_rpc::endpoint::status::Response as Status;
pub use tendermint_rpc::endpoint::tx::Response as TxResponse;

/// Why a call did not give an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// No usable answer: connection refused or reset, timeout, HTTP error,
    /// a body that is not JSON-RPC or not the expected answer.
    Transport(String),
    /// The node answered with a JSON-RPC error (e.g. `tx (..) not found`,
    /// `tx already exists in cache`): its message and data.
    Node { message: String, data: String },
}

impl std::error::Error for CallError {}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Transport(e) => write!(f, "{e}"),
            CallError::Node { message, data } => write!(f, "{message}: {data}"),
        }
    }
}

fn call_error(method: &str, e: tendermint_rpc::Error) -> CallError {
    match e.detail() {
        ErrorDetail::Response(answer) => CallError::Node {
            message: answer.source.message().to_string(),
            data: answer.source.data().unwrap_or_default().to_string(),
        },
        // The trace's own text: the error's `Display` is its `Debug`.
        _ => CallError::Transport(format!("{method}: {}", e.trace())),
    }
}

/// The dialect for the version a node's `status` reports.
pub fn compat_mode(version: &str) -> CompatMode {
    let mut numbers = version.trim_start_matches('v').split(['.', '-']);
    match (numbers.next(), numbers.next()) {
        (Some("0"), Some("34")) => CompatMode::V0_34,
        (Some("0"), Some("37")) => CompatMode::V0_37,
        _ => CompatMode::V0_38,
    }
}

/// The bytes of a transaction result's `data` (the `TxMsgData`).
///
/// tendermint-rpc 0.40 gives the node's base64 text there, undecoded
/// (tendermint-rs issue 1251; on the devnet: 64 bytes of text for 48 bytes
/// of data). A protobuf message is never base64 text (its first byte, a
/// field tag such as 0x0a or 0x12, is not in the alphabet), so text that
/// decodes is decoded and anything else is taken as the bytes already: right
/// before and after an upstream fix.
pub fn tx_result_data(result: &ExecTxResult) -> Vec<u8> {
    BASE64
        .decode(&result.data)
        .unwrap_or_else(|_| result.data.to_vec())
}

/// Clones share the dialect chosen so far (the health monitor's probe is a
/// clone taken after connecting).
#[derive(Clone)]
pub struct NodeRpc {
    client: HttpClient,
}

impl NodeRpc {
    /// A client of the 0.38 dialect until [`NodeRpc::use_dialect_of`];
    /// every request (connecting included) ends after `request_timeout`.
    pub fn new(url: &str, request_timeout: Duration) -> Result<Self, RpcConfigError> {
        let url: HttpClientUrl = url.parse().map_err(|e| RpcConfigError::RpcUrl {
            url: url.to_string(),
            error: format!("{e}"),
        })?;
        let client = HttpClient::builder(url)
            .compat_mode(CompatMode::V0_38)
            .timeout(request_timeout)
            .build()
            .map_err(|e| RpcConfigError::HttpClient(format!("{e}")))?;
        Ok(NodeRpc { client })
    }

    /// Speaks the dialect of the node that gave this `status`.
    pub fn use_dialect_of(&mut self, status: &Status) {
        self.client
            .set_compat_mode(compat_mode(&status.node_info.version.to_string()));
    }

    pub async fn status(&self) -> Result<Status, CallError> {
        self.client
            .status()
            .await
            .map_err(|e| call_error("status", e))
    }

    /// `abci_query` at the latest height; `data` is the protobuf request.
    pub async fn abci_query(&self, path: &str, data: &[u8]) -> Result<AbciQuery, CallError> {
        self.client
            .abci_query(Some(path.to_string()), data, None, false)
            .await
            .map_err(|e| call_error("abci_query", e))
    }

    pub async fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<BroadcastResult, CallError> {
        self.client
            .broadcast_tx_sync(tx.to_vec())
            .await
            .map_err(|e| call_error("broadcast_tx_sync", e))
    }

    /// The transaction with this SHA-256 hash, once it is in a block.
    pub async fn tx(&self, hash: &[u8]) -> Result<TxResponse, CallError> {
        let hash = Hash::from_bytes(Algorithm::Sha256, hash)
            .map_err(|e| CallError::Transport(format!("tx hash: {e}")))?;
        self.client
            .tx(hash, false)
            .await
            .map_err(|e| call_error("tx", e))
    }

    pub async fn block_results(&self, height: u64) -> Result<BlockResults, CallError> {
        let height = Height::try_from(height)
            .map_err(|e| CallError::Transport(format!("block_results {height}: {e}")))?;
        self.client
            .block_results(height)
            .await
            .map_err(|e| call_error("block_results", e))
    }
}

#[cfg(test)]
mod tests {
    use tendermint_rpc::Response as _;

    use super::*;

    #[test]
    fn picks_the_dialect_by_version() {
        assert_eq!(compat_mode("0.34.27"), CompatMode::V0_34);
        assert_eq!(compat_mode("v0.37.4"), CompatMode::V0_37);
        assert_eq!(compat_mode("0.38.12"), CompatMode::V0_38);
        assert_eq!(compat_mode("0.39.0"), CompatMode::V0_38);
        assert_eq!(compat_mode("1.0.0-rc1"), CompatMode::V0_38);
    }

    /// Answers of wasmd v0.70.3 (CometBFT 0.39.0), shortened.
    #[test]
    fn reads_the_answers_of_cometbft_039() {
        let status = Status::from_string(
            r#"{"jsonrpc":"2.0","id":1,"result":{"node_info":{"protocol_version":{"p2p":"8","block":"11","app":"0"},"id":"3b8f293786ba4c38d6def3a3b5803739bc2d0b09","listen_addr":"tcp://127.0.0.1:26656","network":"ve-devnet-1","version":"0.39.0","channels":"40202122233038606100","moniker":"ve-devnet","other":{"tx_index":"on","rpc_address":"tcp://127.0.0.1:26657"}},"sync_info":{"latest_block_hash":"898642CC7216FCE75DDDC55CC3697D1156FE0EE95E73E14D17DA61D79DF315BE","latest_app_hash":"5DAB5120C4DC834174513C1C0E3AB0E254F886B098B9752856F6115C96523E96","latest_block_height":"1499","latest_block_time":"2026-12-02T18:17:07.534499062Z","earliest_block_hash":"753ACA04543F54BBA8ABC52374A32A622B28462BFEC124B4B538015AA55C1D1D","earliest_app_hash":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","earliest_block_height":"1","earliest_block_time":"2026-12-02T17:51:39.091846628Z","catching_up":false},"validator_info":{"address":"27A843BFAAB1A380A0F3047F79B1A889A8B3C47D","pub_key":{"type":"tendermint/PubKeyEd25519","value":"GXWk7xg+hzns/TTJDpp8PI8odH0CbQxSxwBS7xN39+4="},"voting_power":"1000"}}}"#,
        )
        .unwrap();
        assert_eq!(status.node_info.network.as_str(), "ve-devnet-1");
        assert_eq!(
            compat_mode(&status.node_info.version.to_string()),
            CompatMode::V0_38
        );
        assert_eq!(status.sync_info.latest_block_height.value(), 1499);

        let block = BlockResults::from_string(
            r#"{"jsonrpc":"2.0","id":2,"result":{"height":"741","txs_results":[{"code":0,"data":"Ei4KLC9jb3Ntd2FzbS53YXNtLnYxLk1zZ0V4ZWN1dGVDb250cmFjdFJlc3BvbnNl","log":"","info":"","gas_wanted":"183278","gas_used":"150085","events":[{"type":"wasm-ve.signer_registered","attributes":[{"key":"_contract_address","value":"wasm1ghd753shjuwexxywmgs4xz7x2q732vcnkm6h2pyv9s6ah3hylvrq8epk7w","index":true},{"key":"key_id","value":"relayer-1796234656","index":true},{"key":"msg_index","value":"0","index":true}]}],"codespace":""}],"finalize_block_events":[{"type":"coinbase","attributes":[{"key":"amount","value":"20723589uve","index":true},{"key":"mode","value":"BeginBlock","index":true}]}],"validator_updates":null,"consensus_param_updates":{"block":{"max_bytes":"22020096","max_gas":"-1"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{},"abci":{},"authority":{}},"app_hash":"EOO0tVxGygpj6oRCSZvXyOmbFvqaP5/dbKVHE+NhquU="}}"#,
        )
        .unwrap();
        assert_eq!(block.height.value(), 741);
        let tx = &block.txs_results.as_ref().unwrap()[0];
        assert_eq!(
            tx.events[0].attributes[1].value_str().unwrap(),
            "relayer-1796234656"
        );
        let empty = BlockResults::from_string(
            r#"{"jsonrpc":"2.0","id":3,"result":{"height":"2","txs_results":null,"finalize_block_events":[],"validator_updates":null,"consensus_param_updates":{"block":{"max_bytes":"22020096","max_gas":"-1"},"evidence":{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"},"validator":{"pub_key_types":["ed25519"]},"version":{},"abci":{},"authority":{}},"app_hash":"13WP6eIvX1CQbJJgh6fsnZzrqq9eKCkAdJ92MCqxb/A="}}"#,
        )
        .unwrap();
        assert!(empty.txs_results.is_none());

        let found = TxResponse::from_string(
            r#"{"jsonrpc":"2.0","id":5,"result":{"hash":"9BEBF810773B8CC45EFA15329C684752E336C67003CE45DE8CF2F993ECC032D8","height":"741","index":0,"tx_result":{"code":0,"data":"Ei4KLC9jb3Ntd2FzbS53YXNtLnYxLk1zZ0V4ZWN1dGVDb250cmFjdFJlc3BvbnNl","log":"","info":"","gas_wanted":"183278","gas_used":"150085","events":[],"codespace":""},"tx":"CosCCogC"}}"#,
        )
        .unwrap();
        assert!(found.tx_result.code.is_ok());
        // The base64 text, undecoded (tendermint-rs 1251).
        assert_eq!(found.tx_result.data.len(), 64);
        let data = tx_result_data(&found.tx_result);
        assert_eq!(data.len(), 48);
        // The same when a fixed tendermint-rpc gives the bytes.
        let fixed = ExecTxResult {
            data: data.clone().into(),
            ..found.tx_result.clone()
        };
        assert_eq!(tx_result_data(&fixed), data);

        let query = tendermint_rpc::endpoint::abci_query::Response::from_string(
            r#"{"jsonrpc":"2.0","id":8,"result":{"response":{"code":6,"log":"unknown query path: unknown request","info":"","index":"0","key":null,"value":null,"proofOps":null,"height":"0","codespace":"sdk"}}}"#,
        )
        .unwrap()
        .response;
        assert_eq!((query.code.value(), query.codespace.as_str()), (6, "sdk"));
        assert!(query.value.is_empty());

        let refused = BroadcastResult::from_string(
            r#"{"jsonrpc":"2.0","id":7,"result":{"code":2,"data":"","log":"invalid length; proto: invalid field number: tx parse error: tx parse error","codespace":"sdk","hash":"039058C6F2C0CB492C533B0A4D14EF77CC0F78ABCCCED5287D84A1A2011CFB81"}}"#,
        )
        .unwrap();
        assert_eq!(refused.code.value(), 2);
    }

    #[test]
    fn json_rpc_errors_are_the_nodes_and_the_rest_transport() {
        let not_found = TxResponse::from_string(
            r#"{"jsonrpc":"2.0","id":6,"error":{"code":-32603,"message":"Internal error","data":"tx (0000000000000000000000000000000000000000000000000000000000000000) not found"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            call_error("tx", not_found),
            CallError::Node {
                message: "Internal error".into(),
                data: "tx (0000000000000000000000000000000000000000000000000000000000000000) not found"
                    .into()
            }
        );
        let cached = BroadcastResult::from_string(
            r#"{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}}"#,
        )
        .unwrap_err();
        assert!(matches!(
            call_error("broadcast_tx_sync", cached),
            CallError::Node { data, .. } if data == "tx already exists in cache"
        ));
        let garbage = Status::from_string("<html>502</html>").unwrap_err();
        assert_eq!(
            call_error("status", garbage),
            CallError::Transport(
                "status: serde parse error: expected value at line 1 column 1".into()
            )
        );
    }
}
