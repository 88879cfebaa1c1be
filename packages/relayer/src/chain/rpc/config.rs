//! `RpcConfig`: where the node is, which contracts to watch, how to pay.
//! Loaded by the CLI from its config file (serde), so every field that has
//! a sensible default has one.

use std::path::PathBuf;
use std::str::FromStr;

use cosmwasm_std::{Decimal, Uint128};
use serde::{Deserialize, Deserializer};

use super::error::{RpcConfigError, TxBuildError};

/// How the relayer reaches a wasmd node over CometBFT RPC and pays for its
/// transactions.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RpcConfig {
    /// CometBFT RPC endpoint, e.g. `http://127.0.0.1:26657`.
    pub rpc_url: String,
    /// Must equal the node's `network`; it is signed into every tx and
    /// into every callback.
    pub chain_id: String,
    pub contracts: ContractAddresses,
    /// Hex of the 32-byte secp256k1 secret of the account that pays the
    /// fees (mode 0600). Not the ed25519 callback signing key.
    pub fee_key_file: PathBuf,
    /// Bech32 prefix of the fee account's address.
    #[serde(default = "default_account_prefix")]
    pub account_prefix: String,
    /// Price of one gas unit, `<decimal><denom>`, e.g. `0.025uvirt`.
    #[serde(default = "default_gas_price")]
    pub gas_price: GasPrice,
    /// Simulated gas is multiplied by this (a decimal, e.g. "1.3"), rounded
    /// up, to get the gas limit.
    #[serde(
        default = "default_gas_adjustment",
        deserialize_with = "decimal_from_text_or_number"
    )]
    pub gas_adjustment: Decimal,
    /// Callbacks per `MsgExecuteContract` (the contract accepts 50); a
    /// larger batch becomes several messages in the one transaction.
    #[serde(default = "default_max_callbacks_per_execute")]
    pub max_callbacks_per_execute: usize,
    /// Callbacks per transaction: the relayer sends its outbox in
    /// transactions of up to this many (several executes each), so that
    /// one transaction a block carries more than one contract batch.
    #[serde(default = "default_max_callbacks_per_tx")]
    pub max_callbacks_per_tx: usize,
    /// First block worth reading: the height the contracts were deployed
    /// at. Earlier blocks cannot hold their events, so a relayer without a
    /// checkpoint does not scan the whole chain (nor ask a pruned node for
    /// blocks it no longer has). 0: from the first block.
    #[serde(default)]
    pub start_height: u64,
    /// Blocks whose `block_results` are fetched at once (concurrently) when
    /// reading events; a longer range is read page after page.
    #[serde(default = "default_max_blocks_per_read")]
    pub max_blocks_per_read: u64,
    #[serde(default = "default_memo")]
    pub memo: String,
    /// One RPC request (connect + answer).
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// How long to wait for a broadcast transaction to be in a block.
    #[serde(default = "default_tx_timeout_ms")]
    pub tx_inclusion_timeout_ms: u64,
    /// Pause between two `tx` look-ups while waiting for inclusion.
    #[serde(default = "default_tx_poll_interval_ms")]
    pub tx_poll_interval_ms: u64,
}

/// The contracts whose `wasm-ve.*` events the relayer reads; callbacks go
/// to `waldur_callback`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ContractAddresses {
    pub marketplace: String,
    pub waldur_callback: String,
    #[serde(default)]
    pub settlement: Option<String>,
    #[serde(default)]
    pub hpc: Option<String>,
}

impl ContractAddresses {
    pub fn all(&self) -> impl Iterator<Item = &str> {
        [
            Some(self.marketplace.as_str()),
            Some(self.waldur_callback.as_str()),
            self.settlement.as_deref(),
            self.hpc.as_deref(),
        ]
        .into_iter()
        .flatten()
    }
}

fn default_account_prefix() -> String {
    "virtengine".into()
}
fn default_gas_price() -> GasPrice {
    GasPrice {
        amount: Decimal::permille(25),
        denom: "uvirt".into(),
    }
}
fn default_gas_adjustment() -> Decimal {
    Decimal::permille(1_300)
}
fn default_max_callbacks_per_execute() -> usize {
    50
}
fn default_max_callbacks_per_tx() -> usize {
    200
}
fn default_max_blocks_per_read() -> u64 {
    20
}
fn default_memo() -> String {
    "ve-relayer".into()
}
fn default_request_timeout_ms() -> u64 {
    10_000
}
fn default_tx_timeout_ms() -> u64 {
    60_000
}
fn default_tx_poll_interval_ms() -> u64 {
    1_000
}

impl RpcConfig {
    /// A config with every default, for the given node and contracts.
    pub fn new(
        rpc_url: impl Into<String>,
        chain_id: impl Into<String>,
        contracts: ContractAddresses,
        fee_key_file: impl Into<PathBuf>,
    ) -> Self {
        RpcConfig {
            rpc_url: rpc_url.into(),
            chain_id: chain_id.into(),
            contracts,
            fee_key_file: fee_key_file.into(),
            account_prefix: default_account_prefix(),
            gas_price: default_gas_price(),
            gas_adjustment: default_gas_adjustment(),
            start_height: 0,
            max_callbacks_per_execute: default_max_callbacks_per_execute(),
            max_blocks_per_read: default_max_blocks_per_read(),
            memo: default_memo(),
            request_timeout_ms: default_request_timeout_ms(),
            tx_inclusion_timeout_ms: default_tx_timeout_ms(),
            tx_poll_interval_ms: default_tx_poll_interval_ms(),
            max_callbacks_per_tx: default_max_callbacks_per_tx(),
        }
    }

    /// Rejects values that would make the client loop, divide by zero or
    /// sign for nothing.
    pub fn validate(&self) -> Result<(), RpcConfigError> {
        if self.chain_id.is_empty() {
            return Err(RpcConfigError::EmptyChainId);
        }
        if self.account_prefix.is_empty() {
            return Err(RpcConfigError::EmptyAccountPrefix);
        }
        if self.max_callbacks_per_execute == 0 {
            return Err(RpcConfigError::NoCallbacksPerExecute);
        }
        if self.max_callbacks_per_tx == 0 {
            return Err(RpcConfigError::NoCallbacksPerTx);
        }
        if self.max_blocks_per_read == 0 {
            return Err(RpcConfigError::NoBlocksPerRead);
        }
        if self.gas_adjustment < Decimal::one() {
            return Err(RpcConfigError::GasAdjustmentBelowOne);
        }
        if self.request_timeout_ms == 0 || self.tx_inclusion_timeout_ms == 0 {
            return Err(RpcConfigError::ZeroTimeout);
        }
        Ok(())
    }
}

/// `gas_limit = ceil(simulated * adjustment)`, exact.
pub fn adjusted_gas(simulated: u64, adjustment: Decimal) -> Result<u64, TxBuildError> {
    let limit = Uint128::from(simulated)
        .checked_mul_ceil(adjustment)
        .map_err(|e| TxBuildError::GasOverflow {
            simulated,
            adjustment,
            error: e.to_string(),
        })?;
    u64::try_from(limit.u128()).map_err(|_| TxBuildError::GasLimitTooLarge(limit))
}

/// A gas price: an exact decimal amount of `denom` per gas unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal,
    pub denom: String,
}

impl GasPrice {
    /// The fee for `gas_limit`, rounded up (a node rejects a fee below
    /// `gas_limit * min_gas_price`).
    pub fn fee(&self, gas_limit: u64) -> Result<u128, TxBuildError> {
        Uint128::from(gas_limit)
            .checked_mul_ceil(self.amount)
            .map(|f| f.u128())
            .map_err(|e| TxBuildError::FeeOverflow {
                gas_limit,
                price: self.amount,
                error: e.to_string(),
            })
    }
}

impl FromStr for GasPrice {
    type Err = RpcConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| RpcConfigError::GasPriceWithoutDenom { text: s.into() })?;
        let (amount, denom) = s.split_at(split);
        let amount = Decimal::from_str(amount).map_err(|e| RpcConfigError::GasPriceAmount {
            text: s.into(),
            amount: amount.into(),
            error: e.to_string(),
        })?;
        let denom_ok = denom.len() >= 2
            && denom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
        if !denom_ok {
            return Err(RpcConfigError::GasPriceDenom {
                text: s.into(),
                denom: denom.into(),
            });
        }
        Ok(GasPrice {
            amount,
            denom: denom.to_string(),
        })
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

impl<'de> Deserialize<'de> for GasPrice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Config files write `1.3` or `"1.3"`; both become the exact decimal 1.3
/// (a number goes through its shortest decimal text, never through float
/// arithmetic).
fn decimal_from_text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Integer(u64),
        Float(f64),
    }
    let text = match TextOrNumber::deserialize(d)? {
        TextOrNumber::Text(t) => t,
        TextOrNumber::Integer(i) => i.to_string(),
        TextOrNumber::Float(f) => f.to_string(),
    };
    Decimal::from_str(text.trim()).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_and_fee_are_exact_and_round_up() {
        let adjust = Decimal::from_str("1.3").unwrap();
        assert_eq!(adjusted_gas(100_000, adjust), Ok(130_000));
        // 123_457 * 1.3 = 160_494.1 -> 160_495
        assert_eq!(adjusted_gas(123_457, adjust), Ok(160_495));
        let price: GasPrice = "0.025uvirt".parse().unwrap();
        assert_eq!(price.denom, "uvirt");
        // 160_495 * 0.025 = 4_012.375 -> 4_013
        assert_eq!(price.fee(160_495), Ok(4_013));
        assert_eq!(price.fee(160_000), Ok(4_000));
        assert_eq!(price.to_string(), "0.025uvirt");
        assert!(adjusted_gas(u64::MAX, Decimal::percent(200)).is_err());
    }

    #[test]
    fn gas_price_text() {
        let p: GasPrice = "1ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
            .parse()
            .unwrap();
        assert_eq!(p.amount, Decimal::one());
        assert!("0.025".parse::<GasPrice>().is_err());
        assert!("uvirt".parse::<GasPrice>().is_err());
        assert!("0.0.1uvirt".parse::<GasPrice>().is_err());
        assert!("0.025u".parse::<GasPrice>().is_err());
    }

    #[test]
    fn config_from_json_with_defaults() {
        let c: RpcConfig = serde_json::from_value(serde_json::json!({
            "rpc_url": "http://127.0.0.1:26657",
            "chain_id": "virtengine-1",
            "contracts": { "marketplace": "m", "waldur_callback": "cb" },
            "fee_key_file": "/etc/ve/fee.key",
            "gas_adjustment": 1.5,
            "gas_price": "0.1uvirt"
        }))
        .unwrap();
        assert_eq!(c.gas_adjustment, Decimal::percent(150));
        assert_eq!(c.gas_price.amount, Decimal::percent(10));
        assert_eq!(c.account_prefix, "virtengine");
        assert_eq!(c.max_callbacks_per_execute, 50);
        assert_eq!(c.max_callbacks_per_tx, 200);
        assert_eq!(c.start_height, 0);
        assert_eq!(c.contracts.all().collect::<Vec<_>>(), vec!["m", "cb"]);
        assert_eq!(c.validate(), Ok(()));
        let text: RpcConfig = serde_json::from_value(serde_json::json!({
            "rpc_url": "u", "chain_id": "c",
            "contracts": { "marketplace": "m", "waldur_callback": "cb" },
            "fee_key_file": "k", "gas_adjustment": "1.3"
        }))
        .unwrap();
        assert_eq!(text.gas_adjustment, Decimal::permille(1_300));
        let mut bad = text.clone();
        bad.gas_adjustment = Decimal::percent(90);
        assert!(bad.validate().is_err());
        bad = text.clone();
        bad.max_blocks_per_read = 0;
        assert!(bad.validate().is_err());
        bad = text;
        bad.max_callbacks_per_tx = 0;
        assert_eq!(
            bad.validate().map_err(|e| e.to_string()),
            Err("max_callbacks_per_tx must be at least 1".into())
        );
    }
}
