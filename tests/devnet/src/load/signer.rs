//! Many executes in one transaction, signed here with cosmrs (SIGN_MODE_DIRECT)
//! from a devnet test account's exported key: creating 1,000 allocations
//! one CLI transaction at a time (three each, a block each) would take
//! most of an hour.
//!
//! Gas is simulated through the node (`/cosmos.tx.v1beta1.Service/Simulate`
//! over `abci_query`) and adjusted like the CLI's `--gas-adjustment`; a
//! transaction sent before the previous one is in a block (the steady
//! arrival) cannot be simulated at its sequence, so it takes a fixed limit
//! measured on one like it, with a margin. The fee is the limit x the
//! devnet's minimum gas price.

use anyhow::{bail, Context, Result};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{MsgExecuteContract, MsgExecuteContractResponse};
use cosmrs::proto::prost::Message;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{Any, Coin, Denom};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::node::Node;
use crate::cli::{TxResult, Wasmd, GAS_PRICE};

const ACCOUNT_PATH: &str = "/cosmos.auth.v1beta1.Query/Account";
const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";
const EXECUTE_TYPE_URL: &str = "/cosmwasm.wasm.v1.MsgExecuteContract";
/// The SDK's code for a wrong account sequence.
const WRONG_SEQUENCE: u64 = 32;

/// Gas limit = simulated gas x this.
pub const GAS_ADJUSTMENT: f64 = 1.3;

/// A devnet test account that signs its own multi-message transactions.
pub struct Account {
    pub name: String,
    pub address: String,
    key: SigningKey,
    number: u64,
    /// The next sequence to sign with.
    sequence: u64,
    chain_id: String,
    denom: String,
}

impl Account {
    /// The test account `name` of the devnet's keyring, its number and
    /// sequence read from the chain.
    pub fn load(cli: &Wasmd, node: &Node, name: &str) -> Result<Account> {
        let hex_key = cli.private_key_hex(name)?;
        let bytes = hex::decode(hex_key.trim()).context("exported key is not hex")?;
        let key =
            SigningKey::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{name}'s key: {e}"))?;
        let address = key
            .public_key()
            .account_id("wasm")
            .map_err(|e| anyhow::anyhow!("{name}'s address: {e}"))?
            .to_string();
        let expected = cli.address(name)?;
        if address != expected {
            bail!("{name}: the exported key gives {address}, the keyring says {expected}");
        }
        let mut account = Account {
            name: name.to_string(),
            address,
            key,
            number: 0,
            sequence: 0,
            chain_id: cli.chain_id.clone(),
            denom: cli.denom.clone(),
        };
        account.refresh(node)?;
        Ok(account)
    }

    /// Reads number and sequence from the chain (its committed state).
    pub fn refresh(&mut self, node: &Node) -> Result<()> {
        let request = QueryAccountRequest {
            address: self.address.clone(),
        };
        let value = node.abci_query(ACCOUNT_PATH, &request.encode_to_vec())?;
        let any = QueryAccountResponse::decode(value.as_slice())
            .context("account answer")?
            .account
            .context("account answer without an account")?;
        let base = BaseAccount::decode(any.value.as_slice())
            .with_context(|| format!("{} is a {}, not a base account", self.name, any.type_url))?;
        self.number = base.account_number;
        self.sequence = base.sequence;
        Ok(())
    }

    /// A `MsgExecuteContract` of this account with `funds` of the denom.
    pub fn execute(&self, contract: &str, msg: &Value, funds: u128) -> Result<Any> {
        let funds = if funds == 0 {
            Vec::new()
        } else {
            vec![ProtoCoin {
                denom: self.denom.clone(),
                amount: funds.to_string(),
            }]
        };
        let execute = MsgExecuteContract {
            sender: self.address.clone(),
            contract: contract.to_string(),
            msg: serde_json::to_vec(msg)?,
            funds,
        };
        Ok(Any {
            type_url: EXECUTE_TYPE_URL.into(),
            value: execute.encode_to_vec(),
        })
    }

    fn body_and_auth(
        &self,
        messages: &[Any],
        sequence: u64,
        gas_limit: u64,
    ) -> Result<(Body, cosmrs::tx::AuthInfo)> {
        let body = Body::new(messages.to_vec(), "ve-devnet-relayer-load", 0u32);
        let fee = if gas_limit == 0 {
            Fee {
                amount: vec![],
                gas_limit: 0,
                payer: None,
                granter: None,
            }
        } else {
            let denom: Denom = self
                .denom
                .parse()
                .map_err(|e| anyhow::anyhow!("denom {}: {e}", self.denom))?;
            Fee::from_amount_and_gas(
                Coin {
                    denom,
                    amount: fee_for(gas_limit)?,
                },
                gas_limit,
            )
        };
        let auth = SignerInfo::single_direct(Some(self.key.public_key()), sequence).auth_info(fee);
        Ok((body, auth))
    }

    /// The gas the node's simulation of `messages` used, at the next
    /// sequence (which must be the committed one).
    pub fn simulate(&self, node: &Node, messages: &[Any]) -> Result<u64> {
        let (body, auth) = self.body_and_auth(messages, self.sequence, 0)?;
        let tx = TxRaw {
            body_bytes: body
                .into_bytes()
                .map_err(|e| anyhow::anyhow!("encoding the body: {e}"))?,
            auth_info_bytes: auth
                .into_bytes()
                .map_err(|e| anyhow::anyhow!("encoding the auth info: {e}"))?,
            signatures: vec![Vec::new()],
        };
        #[allow(deprecated)]
        let request = SimulateRequest {
            tx: None,
            tx_bytes: tx.encode_to_vec(),
        };
        let value = node
            .abci_query(SIMULATE_PATH, &request.encode_to_vec())
            .with_context(|| format!("simulating {} messages of {}", messages.len(), self.name))?;
        SimulateResponse::decode(value.as_slice())
            .context("simulate answer")?
            .gas_info
            .map(|g| g.gas_used)
            .context("simulate answer without gas")
    }

    fn signed(&self, messages: &[Any], gas_limit: u64) -> Result<Vec<u8>> {
        let (body, auth) = self.body_and_auth(messages, self.sequence, gas_limit)?;
        let chain_id = self
            .chain_id
            .parse()
            .map_err(|e| anyhow::anyhow!("chain id {}: {e}", self.chain_id))?;
        SignDoc::new(&body, &auth, &chain_id, self.number)
            .and_then(|doc| doc.sign(&self.key))
            .and_then(|raw| raw.to_bytes())
            .map_err(|e| anyhow::anyhow!("signing: {e}"))
    }

    /// Signs with the next sequence and broadcasts (CheckTx only); the
    /// sequence moves on when the node took it. The transaction's hash.
    pub fn broadcast(&mut self, node: &Node, messages: &[Any], gas_limit: u64) -> Result<String> {
        let tx = self.signed(messages, gas_limit)?;
        let answer = node.broadcast_tx_sync(&tx)?;
        if answer.code != 0 {
            if answer.code == WRONG_SEQUENCE {
                bail!(
                    "{}: sequence {} refused: {}",
                    self.name,
                    self.sequence,
                    answer.log
                );
            }
            bail!(
                "{}'s transaction of {} messages refused at CheckTx (code {}): {}",
                self.name,
                messages.len(),
                answer.code,
                answer.log
            );
        }
        self.sequence += 1;
        Ok(answer.hash)
    }

    /// Simulates, signs, broadcasts and waits for the block (re-reading the
    /// sequence once if the node says it moved).
    pub fn send(&mut self, cli: &Wasmd, node: &Node, messages: &[Any]) -> Result<TxResult> {
        let mut retried = false;
        loop {
            let simulated = self.simulate(node, messages)?;
            let gas_limit = adjusted(simulated);
            match self.broadcast(node, messages, gas_limit) {
                Ok(hash) => return cli.wait_for(&hash),
                Err(e) if !retried && e.to_string().contains("sequence") => {
                    retried = true;
                    self.refresh(node)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Simulated gas x [`GAS_ADJUSTMENT`].
pub fn adjusted(gas: u64) -> u64 {
    (gas as f64 * GAS_ADJUSTMENT).ceil() as u64
}

/// The fee of a gas limit at the devnet's minimum gas price, rounded up.
pub fn fee_for(gas_limit: u64) -> Result<u128> {
    let price: f64 = GAS_PRICE.parse().context("GAS_PRICE")?;
    Ok((gas_limit as f64 * price).ceil() as u128)
}

/// Each execute's response data of a committed transaction, parsed as JSON
/// (our executes answer the ID they created as a JSON string).
pub fn responses<T: DeserializeOwned>(tx: &TxResult) -> Result<Vec<T>> {
    tx.msg_responses
        .iter()
        .map(|any| {
            let data = MsgExecuteContractResponse::decode(any.value.as_slice())
                .context("decoding MsgExecuteContractResponse")?
                .data;
            serde_json::from_slice(&data).with_context(|| {
                format!(
                    "execute data {:?} of tx {} is not the expected JSON",
                    String::from_utf8_lossy(&data),
                    tx.txhash
                )
            })
        })
        .collect()
}
