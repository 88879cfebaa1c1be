//! The chain of a real wasmd node, over CometBFT JSON-RPC.
//!
//! - Reads: `status` for the height and block time, `block_results` for
//!   the `wasm-ve.*` events of the watched contracts (see `block_events`).
//!   `events(from, to)` returns the whole range, because the engine moves
//!   its checkpoint to `to`; it reads it in pages of `max_blocks_per_read`
//!   blocks, the blocks of one page fetched concurrently, so a relayer
//!   catching up after a long stop backfills page after page. Blocks
//!   below `start_height` (the deployment) are skipped.
//! - Writes: one transaction per `submit_callbacks`, holding one
//!   `MsgExecuteContract { submit_callbacks }` per `max_callbacks_per_execute`
//!   callbacks, signed SIGN_MODE_DIRECT with the fee account's secp256k1
//!   key. Gas is simulated and adjusted, the fee is exact. The account's
//!   sequence is cached and bumped after every accepted broadcast; on a
//!   sequence mismatch it is corrected (from the node's message, or read
//!   again) and the transaction re-signed once. After `broadcast_tx_sync`
//!   the client polls `tx` until the transaction is in a block.
//!
//! Failures: a contract error is `Refused`; the node down, a timeout, or a
//! problem of the relayer's own account is `Unavailable` and the engine's
//! outbox sends again later. A re-send of callbacks that did land is
//! answered `already_processed` by the contract's replay protection, so
//! "unknown" is always safe to report as `Unavailable`.

mod account;
mod block_events;
mod config;
mod error;
mod fee_key;
mod node;
mod probe;
mod smart_query;
mod tx;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmrs::proto::prost::Message;
use cosmrs::Any;
use futures_util::future::try_join_all;
use sha2::{Digest, Sha256};
use thiserror::Error;
use ve_interface::waldur_callback::msg::{CallbackOutcome, SignedCallback};
use ve_interface::{settlement, waldur_callback};

use self::node::{tx_result_data, CallError, ExecTxResult, NodeRpc, Status};
use self::tx::{Account, FeePlan, Rejection};
use super::{BilledUsage, ChainClient, ChainError, ContractEvent};

pub use self::config::{adjusted_gas, ContractAddresses, GasPrice, RpcConfig};
pub use self::error::{AnswerError, RpcConfigError, TxBuildError};
pub use self::fee_key::{load_fee_key, FeeKeyError};
pub use self::smart_query::SMART_QUERY_PATH;

const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";

#[derive(Error, Debug)]
pub enum ConnectError {
    #[error("rpc config: {0}")]
    Config(#[from] RpcConfigError),
    #[error(transparent)]
    FeeKey(#[from] FeeKeyError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("the node serves chain {node:?}, the relayer is configured for {configured:?}")]
    WrongChain { configured: String, node: String },
}

pub struct RpcChain {
    config: RpcConfig,
    node: NodeRpc,
    key: SigningKey,
    /// The fee account, bech32 with the configured prefix.
    address: String,
    watched: BTreeSet<String>,
    /// Cached between transactions; `None` means read it from the chain.
    account: Option<Account>,
    /// Unix seconds of the newest block seen, for the sync `now()`.
    block_time: AtomicU64,
    /// The settlement contract: configured, or named by the
    /// waldur-callback contract's config (read once, see
    /// `settlement_contract`).
    settlement: std::sync::OnceLock<String>,
}

/// A call that got no answer, an answer that cannot be read, or a
/// transaction that cannot be built: the node may do better next time.
fn unavailable(e: impl std::fmt::Display) -> ChainError {
    ChainError::Unavailable(e.to_string())
}

impl RpcChain {
    /// Loads the fee key from `config.fee_key_file` and checks that the
    /// node serves `config.chain_id`.
    pub async fn connect(config: RpcConfig) -> Result<Self, ConnectError> {
        config.validate()?;
        let key = load_fee_key(&config.fee_key_file)?;
        Self::connect_with_key(config, key).await
    }

    /// As `connect`, with a key from elsewhere (`fee_key_file` unused).
    pub async fn connect_with_key(
        config: RpcConfig,
        key: SigningKey,
    ) -> Result<Self, ConnectError> {
        config.validate()?;
        let address = key
            .public_key()
            .account_id(&config.account_prefix)
            .map_err(|e| RpcConfigError::FeeAccountAddress(e.to_string()))?
            .to_string();
        let mut node = NodeRpc::new(
            &config.rpc_url,
            Duration::from_millis(config.request_timeout_ms),
        )?;
        let status = node.status().await.map_err(unavailable)?;
        if status.node_info.network.as_str() != config.chain_id {
            return Err(ConnectError::WrongChain {
                configured: config.chain_id.clone(),
                node: status.node_info.network.to_string(),
            });
        }
        node.use_dialect_of(&status);
        let settlement = std::sync::OnceLock::new();
        if let Some(configured) = &config.contracts.settlement {
            let _ = settlement.set(configured.clone());
        }
        let chain = RpcChain {
            watched: config.contracts.all().map(String::from).collect(),
            settlement,
            config,
            node,
            key,
            address,
            account: None,
            block_time: AtomicU64::new(0),
        };
        chain.note_block_time(&status)?;
        Ok(chain)
    }

    /// The account that pays the fees (fund it before the first callback).
    pub fn fee_address(&self) -> &str {
        &self.address
    }

    pub fn config(&self) -> &RpcConfig {
        &self.config
    }

    fn note_block_time(&self, status: &Status) -> Result<(), ChainError> {
        let time = status.sync_info.latest_block_time;
        let seconds = u64::try_from(time.unix_timestamp())
            .map_err(|_| ChainError::Unavailable(format!("node sent block time {time}")))?;
        // Never backwards, even when a lagging node answers.
        self.block_time.fetch_max(seconds, Ordering::Relaxed);
        Ok(())
    }

    /// The settlement contract the usage reports land in: the configured
    /// `contracts.settlement`, else the one the waldur-callback contract's
    /// config names (it forwards usage there), read once. Neither: usage
    /// cannot be reconciled with the chain, and waits (`Unavailable`)
    /// until an operator configures it.
    async fn settlement_contract(&self) -> Result<String, ChainError> {
        if let Some(known) = self.settlement.get() {
            return Ok(known.clone());
        }
        let config: waldur_callback::state::Config = self
            .smart_query(
                &self.config.contracts.waldur_callback,
                &waldur_callback::msg::QueryMsg::Config {},
            )
            .await?;
        let named = config.settlement.ok_or_else(|| {
            ChainError::Unavailable(
                "no settlement contract: neither `contracts.settlement` is configured nor \
                 does the waldur-callback contract name one"
                    .into(),
            )
        })?;
        Ok(self.settlement.get_or_init(|| named.to_string()).clone())
    }

    /// The fee account's number and next sequence, cached.
    async fn fee_account(&mut self) -> Result<Account, ChainError> {
        if let Some(account) = self.account {
            return Ok(account);
        }
        let answer = self
            .node
            .abci_query(
                account::ACCOUNT_QUERY_PATH,
                &account::account_request(&self.address),
            )
            .await
            .map_err(unavailable)?;
        if answer.code.is_err() {
            return Err(ChainError::Unavailable(format!(
                "fee account {} cannot be read (is it funded?): {}",
                self.address, answer.log
            )));
        }
        let account = account::decode_account_response(&answer.value).map_err(unavailable)?;
        self.account = Some(account);
        Ok(account)
    }

    /// Gas the node's simulation used.
    async fn simulate(&self, messages: Vec<Any>, sequence: u64) -> Result<u64, Rejection> {
        let failed = |e: String| Rejection::Failed(ChainError::Unavailable(e));
        let tx = tx::unsigned_tx(&self.key, messages, &self.config.memo, sequence, None)
            .map_err(|e| Rejection::Failed(unavailable(e)))?
            .for_simulation();
        #[allow(deprecated)]
        let request = SimulateRequest {
            tx: None,
            tx_bytes: tx,
        };
        let answer = self
            .node
            .abci_query(SIMULATE_PATH, &request.encode_to_vec())
            .await
            .map_err(|e| Rejection::Failed(unavailable(e)))?;
        if answer.code.is_err() {
            return Err(tx::classify_simulation(
                answer.code.value(),
                &answer.codespace,
                &answer.log,
            ));
        }
        SimulateResponse::decode(answer.value.as_slice())
            .map_err(|e| failed(format!("simulate answer: {e}")))?
            .gas_info
            .map(|g| g.gas_used)
            .ok_or_else(|| failed("simulate answer without gas".into()))
    }

    /// Simulates, signs, broadcasts and waits: the result data of the
    /// transaction once it is in a block.
    async fn send(&mut self, messages: &[Any]) -> Result<Vec<u8>, Rejection> {
        let account = self.fee_account().await.map_err(Rejection::Failed)?;
        let gas_used = self.simulate(messages.to_vec(), account.sequence).await?;
        let plan = self.fee_plan(gas_used).map_err(Rejection::Failed)?;
        let signed = tx::unsigned_tx(
            &self.key,
            messages.to_vec(),
            &self.config.memo,
            account.sequence,
            Some(&plan),
        )
        .and_then(|t| t.sign(&self.key, &self.config.chain_id, account.number))
        .map_err(|e| Rejection::Failed(unavailable(e)))?;
        let hash = Sha256::digest(&signed).to_vec();

        match self.node.broadcast_tx_sync(&signed).await {
            Ok(answer) if answer.code.is_ok() => {}
            Ok(answer) => match tx::classify(answer.code.value(), &answer.codespace, &answer.log) {
                Rejection::AlreadyInMempool => {}
                rejection => return Err(rejection),
            },
            // CometBFT's own cache: these very bytes were sent before.
            Err(CallError::Node { data, .. }) if data.contains("already exists in cache") => {}
            Err(e) => return Err(Rejection::Failed(unavailable(e))),
        }
        // In the mempool: the sequence is spent whatever the block says.
        let next = account.sequence.checked_add(1).ok_or_else(|| {
            Rejection::Failed(ChainError::Unavailable("account sequence overflow".into()))
        })?;
        self.account = Some(Account {
            sequence: next,
            ..account
        });

        let result = self
            .wait_for_inclusion(&hash)
            .await
            .map_err(Rejection::Failed)?;
        if result.code.is_err() {
            return Err(tx::classify(
                result.code.value(),
                &result.codespace,
                &result.log,
            ));
        }
        Ok(tx_result_data(&result))
    }

    fn fee_plan(&self, gas_used: u64) -> Result<FeePlan, ChainError> {
        let gas_limit = adjusted_gas(gas_used, self.config.gas_adjustment).map_err(unavailable)?;
        let amount = self.config.gas_price.fee(gas_limit).map_err(unavailable)?;
        Ok(FeePlan {
            gas_limit,
            amount,
            denom: self.config.gas_price.denom.clone(),
        })
    }

    /// Polls `tx` until the transaction is in a block or the inclusion
    /// timeout passes; "not found" and transport errors are waited out.
    async fn wait_for_inclusion(&self, hash: &[u8]) -> Result<ExecTxResult, ChainError> {
        let timeout = Duration::from_millis(self.config.tx_inclusion_timeout_ms);
        let poll = Duration::from_millis(self.config.tx_poll_interval_ms);
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let last = match self.node.tx(hash).await {
                Ok(found) => return Ok(found.tx_result),
                Err(e) => e,
            };
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(ChainError::Unavailable(format!(
                    "tx {} not in a block after {} ms (last answer: {last})",
                    hex::encode_upper(hash),
                    timeout.as_millis()
                )));
            }
            tokio::time::sleep(poll.min(deadline - now)).await;
        }
    }
}

impl ChainClient for RpcChain {
    fn chain_id(&self) -> String {
        self.config.chain_id.clone()
    }

    fn callback_contract(&self) -> String {
        self.config.contracts.waldur_callback.clone()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        let status = self.node.status().await.map_err(unavailable)?;
        self.note_block_time(&status)?;
        Ok(status.sync_info.latest_block_height.value())
    }

    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        let mut events = Vec::new();
        // Blocks before the deployment hold none of the contracts' events.
        let mut page_start = from.max(self.config.start_height);
        while page_start <= to {
            let page_end = page_start
                .saturating_add(self.config.max_blocks_per_read.saturating_sub(1))
                .min(to);
            let blocks =
                try_join_all((page_start..=page_end).map(|height| self.node.block_results(height)))
                    .await
                    .map_err(unavailable)?;
            for block in &blocks {
                events.extend(
                    block_events::contract_events(block, &self.watched).map_err(unavailable)?,
                );
            }
            match page_end.checked_add(1) {
                Some(next) => page_start = next,
                None => break,
            }
        }
        Ok(events)
    }

    fn first_height(&self) -> u64 {
        self.config.start_height.max(1)
    }

    fn max_callbacks_per_tx(&self) -> usize {
        self.config.max_callbacks_per_tx
    }

    async fn submit_callbacks(
        &mut self,
        callbacks: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        if callbacks.is_empty() {
            return Ok(Vec::new());
        }
        let messages = tx::execute_messages(
            &self.address,
            &self.config.contracts.waldur_callback,
            callbacks,
            self.config.max_callbacks_per_execute,
        )
        .map_err(|e| ChainError::Refused(e.to_string()))?;
        let mut corrected = false;
        let data = loop {
            match self.send(&messages).await {
                Ok(data) => break data,
                Err(Rejection::SequenceMismatch { expected }) if !corrected => {
                    corrected = true;
                    // The node's number when it gave one, else read again.
                    self.account = match (expected, self.account) {
                        (Some(sequence), Some(account)) => Some(Account {
                            sequence,
                            ..account
                        }),
                        _ => None,
                    };
                }
                Err(Rejection::SequenceMismatch { .. }) => {
                    self.account = None;
                    return Err(ChainError::Unavailable(
                        "account sequence mismatch after correcting it once".into(),
                    ));
                }
                Err(Rejection::AlreadyInMempool) => {
                    return Err(ChainError::Unavailable(
                        "transaction already in the mempool".into(),
                    ))
                }
                Err(Rejection::Failed(e)) => return Err(e),
            }
        };
        // The callbacks are on chain; an answer we cannot read is reported
        // as unknown: the re-send comes back `already_processed`.
        let outcomes = tx::decode_outcomes(&data).map_err(unavailable)?;
        if outcomes.len() != callbacks.len() {
            return Err(ChainError::Unavailable(format!(
                "{} outcomes for {} callbacks",
                outcomes.len(),
                callbacks.len()
            )));
        }
        Ok(outcomes)
    }

    fn now(&self) -> u64 {
        self.block_time.load(Ordering::Relaxed)
    }

    async fn usage_summary(&self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError> {
        let settlement = self.settlement_contract().await?;
        let answer: settlement::msg::UsageSummaryResponse = self
            .smart_query(
                &settlement,
                &settlement::msg::QueryMsg::UsageSummary {
                    allocation_id: allocation_id.to_string(),
                },
            )
            .await?;
        Ok(answer.usage.iter().map(BilledUsage::from_summary).collect())
    }

    fn probe(&self) -> Option<super::probe::SharedProbe> {
        Some(std::sync::Arc::new(probe::RpcProbe {
            node: self.node.clone(),
            address: self.address.clone(),
            denom: self.config.gas_price.denom.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_client_can_move_between_threads() {
        // The CLI may run the engine on a spawned task.
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<super::RpcChain>();
    }
}
