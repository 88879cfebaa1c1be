//! The `wasmd` CLI as a client of the devnet: what an operator types, with
//! typed answers. Transactions are simulated for gas (`--gas auto`),
//! broadcast in sync mode and then waited for in a block, so each call
//! returns the committed result (gas used, events, response data).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgExecuteContractResponse, MsgInstantiateContractResponse, MsgStoreCodeResponse,
};
use cosmrs::proto::prost::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Gas limit = simulated gas x this (the CLI's `--gas-adjustment`).
pub const GAS_ADJUSTMENT: &str = "1.4";
/// The devnet's minimum gas price (scripts/devnet.sh, app.toml).
pub const GAS_PRICE: &str = "0.025";
/// How long a broadcast transaction may take to reach a block.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Wasmd {
    pub bin: PathBuf,
    pub home: PathBuf,
    /// `tcp://host:port` of the node's RPC.
    pub node: String,
    pub chain_id: String,
    pub denom: String,
}

/// One attribute of an ABCI event.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Attribute {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// One ABCI event of a transaction.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

impl Event {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// A transaction as committed in a block.
#[derive(Debug, Clone)]
pub struct TxResult {
    pub txhash: String,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
    /// The `TxMsgData` of the result, one response per message.
    pub msg_responses: Vec<cosmrs::Any>,
}

impl TxResult {
    /// The events of one type (e.g. `wasm-ve.order_created`).
    pub fn events_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind == kind)
    }

    /// The response data of the first execute message (the contract's
    /// `data`), if it set any.
    pub fn execute_data(&self) -> Result<Vec<u8>> {
        let any = self
            .msg_responses
            .first()
            .context("the transaction has no message response")?;
        Ok(MsgExecuteContractResponse::decode(any.value.as_slice())
            .context("decoding MsgExecuteContractResponse")?
            .data)
    }

    /// The execute's data parsed as JSON (our executes return the ID they
    /// created as a JSON string).
    pub fn execute_json<T: DeserializeOwned>(&self) -> Result<T> {
        let data = self.execute_data()?;
        serde_json::from_slice(&data).with_context(|| {
            format!(
                "execute data {:?} is not the expected JSON",
                String::from_utf8_lossy(&data)
            )
        })
    }
}

#[derive(Deserialize)]
struct BroadcastAnswer {
    txhash: String,
    #[serde(default)]
    code: u32,
    #[serde(default)]
    raw_log: String,
}

#[derive(Deserialize)]
struct TxAnswer {
    txhash: String,
    #[serde(deserialize_with = "u64_text")]
    height: u64,
    #[serde(default)]
    code: u32,
    #[serde(default)]
    codespace: String,
    #[serde(default)]
    raw_log: String,
    #[serde(deserialize_with = "u64_text")]
    gas_wanted: u64,
    #[serde(deserialize_with = "u64_text")]
    gas_used: u64,
    #[serde(default)]
    data: String,
    #[serde(default)]
    events: Vec<Event>,
}

/// The SDK's JSON writes int64 as strings.
fn u64_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => s.parse().map_err(serde::de::Error::custom),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("not a u64")),
        other => Err(serde::de::Error::custom(format!("not a number: {other}"))),
    }
}

impl Wasmd {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command.env("HOME", &self.home);
        command
    }

    /// Runs the CLI with `args` (plus home and node); its stdout, or an error
    /// with what it printed.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let output = self
            .command()
            .args(args)
            .args(["--home", &self.home.to_string_lossy(), "--node", &self.node])
            .output()
            .with_context(|| format!("running {}", self.bin.display()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            bail!(
                "wasmd {}: {}{}",
                args.first().copied().unwrap_or_default(),
                stderr.trim(),
                stdout.trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `wasmd keys show NAME -a`: a test account's address.
    pub fn address(&self, name: &str) -> Result<String> {
        let output = self
            .command()
            .args(["keys", "show", name, "-a", "--keyring-backend", "test"])
            .args(["--home", &self.home.to_string_lossy()])
            .output()
            .context("wasmd keys show")?;
        if !output.status.success() {
            bail!(
                "no account {name} in the devnet keyring: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// The secp256k1 private key of a test account, hex (for the relayer's
    /// `fee_key_file`).
    pub fn private_key_hex(&self, name: &str) -> Result<String> {
        let output = self
            .command()
            .args(["keys", "export", name, "--unarmored-hex", "--unsafe", "-y"])
            .args([
                "--keyring-backend",
                "test",
                "--home",
                &self.home.to_string_lossy(),
            ])
            .output()
            .context("wasmd keys export")?;
        if !output.status.success() {
            bail!(
                "exporting {name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Signs `wasmd tx ARGS` as `from`, broadcasts it and waits for its
    /// block. A refusal in simulation, CheckTx or the block is an error that
    /// carries the node's words.
    pub fn tx(&self, from: &str, args: &[&str]) -> Result<TxResult> {
        let gas_prices = format!("{GAS_PRICE}{}", self.denom);
        let mut all: Vec<&str> = vec!["tx"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--from",
            from,
            "--keyring-backend",
            "test",
            "--chain-id",
            &self.chain_id,
            "--gas",
            "auto",
            "--gas-adjustment",
            GAS_ADJUSTMENT,
            "--gas-prices",
            &gas_prices,
            "--broadcast-mode",
            "sync",
            "--yes",
            "--output",
            "json",
        ]);
        let out = self.run(&all)?;
        // The CLI prints the gas estimate on stderr and the answer last.
        let line = out
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .with_context(|| format!("no JSON answer from wasmd tx: {out}"))?;
        let answer: BroadcastAnswer =
            serde_json::from_str(line).with_context(|| format!("broadcast answer {line}"))?;
        if answer.code != 0 {
            bail!(
                "refused at CheckTx (code {}): {}",
                answer.code,
                answer.raw_log
            );
        }
        self.wait_for(&answer.txhash)
    }

    /// Polls `wasmd query tx` until the transaction is in a block.
    pub fn wait_for(&self, txhash: &str) -> Result<TxResult> {
        let deadline = Instant::now() + INCLUSION_TIMEOUT;
        loop {
            match self.run(&["query", "tx", txhash, "--output", "json"]) {
                Ok(text) => return parse_tx(&text),
                Err(e) if Instant::now() >= deadline => {
                    bail!("tx {txhash} not in a block after {INCLUSION_TIMEOUT:?}: {e:#}")
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// `query txs --query QUERY`: the committed transactions whose events
    /// match (CometBFT's event query, e.g. `message.sender='wasm1...'`),
    /// oldest first, at most 100.
    pub fn search_txs(&self, query: &str) -> Result<Vec<TxResult>> {
        let text = self.run(&[
            "query",
            "txs",
            "--query",
            query,
            "--limit",
            "100",
            "--order_by",
            "asc",
            "--output",
            "json",
        ])?;
        let answer: Value = serde_json::from_str(&text)?;
        answer
            .get("txs")
            .and_then(Value::as_array)
            .map(|txs| txs.iter().map(|tx| parse_tx(&tx.to_string())).collect())
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// `wasm store`: the new code ID.
    pub fn store(&self, from: &str, wasm: &std::path::Path) -> Result<(u64, TxResult)> {
        let result = self.tx(from, &["wasm", "store", &wasm.to_string_lossy()])?;
        let any = result
            .msg_responses
            .first()
            .context("store answered no response")?;
        let code_id = MsgStoreCodeResponse::decode(any.value.as_slice())?.code_id;
        Ok((code_id, result))
    }

    /// `wasm instantiate` with `admin` as the contract admin: the address.
    pub fn instantiate(
        &self,
        from: &str,
        code_id: u64,
        msg: &Value,
        label: &str,
        admin: &str,
    ) -> Result<String> {
        let result = self.tx(
            from,
            &[
                "wasm",
                "instantiate",
                &code_id.to_string(),
                &msg.to_string(),
                "--label",
                label,
                "--admin",
                admin,
            ],
        )?;
        let any = result
            .msg_responses
            .first()
            .context("instantiate answered no response")?;
        Ok(MsgInstantiateContractResponse::decode(any.value.as_slice())?.address)
    }

    /// `wasm execute` with `funds` (e.g. `"10000uve"`, or empty).
    pub fn execute(
        &self,
        from: &str,
        contract: &str,
        msg: &impl Serialize,
        funds: &str,
    ) -> Result<TxResult> {
        let msg = serde_json::to_string(msg)?;
        let mut args = vec!["wasm", "execute", contract, &msg];
        if !funds.is_empty() {
            args.extend_from_slice(&["--amount", funds]);
        }
        self.tx(from, &args)
    }

    /// `query wasm contract-state smart`.
    pub fn query<T: DeserializeOwned>(&self, contract: &str, msg: &impl Serialize) -> Result<T> {
        let msg = serde_json::to_string(msg)?;
        let text = self.run(&[
            "query",
            "wasm",
            "contract-state",
            "smart",
            contract,
            &msg,
            "--output",
            "json",
        ])?;
        let answer: Value = serde_json::from_str(&text)?;
        let data = answer
            .get("data")
            .cloned()
            .ok_or_else(|| anyhow!("smart query answered no data: {text}"))?;
        serde_json::from_value(data).context("smart query answer")
    }

    /// `query wasm contract-state all -o json`: the contract's raw state as
    /// wasmd prints it (what `ve-state` reads), in one page of at most
    /// `limit` records. One page because this wasmd pages only by
    /// `--page-key`, the raw bytes of the next key, which hold NULs (the
    /// namespaces' length prefixes) and cannot be an argument; a state
    /// larger than `limit` is an error, never a silently cut dump.
    pub fn contract_state_all(&self, contract: &str, limit: usize) -> Result<String> {
        let text = self.run(&[
            "query",
            "wasm",
            "contract-state",
            "all",
            contract,
            "--limit",
            &limit.to_string(),
            "--output",
            "json",
        ])?;
        let answer: Value = serde_json::from_str(&text)
            .with_context(|| format!("contract-state all answered {text}"))?;
        match answer.pointer("/pagination/next_key") {
            None | Some(Value::Null) => Ok(text),
            Some(Value::String(key)) if key.is_empty() => Ok(text),
            Some(next) => Err(anyhow!(
                "contract {contract} holds more than {limit} records (next_key {next})"
            )),
        }
    }

    /// `query bank balance`: the amount of `denom` (the devnet's by default).
    pub fn balance(&self, address: &str) -> Result<u128> {
        let text = self.run(&[
            "query",
            "bank",
            "balance",
            address,
            &self.denom,
            "--output",
            "json",
        ])?;
        let answer: Value = serde_json::from_str(&text)?;
        answer
            .pointer("/balance/amount")
            .and_then(Value::as_str)
            .unwrap_or("0")
            .parse()
            .context("balance amount")
    }

    /// `bank send` of `amount` of the devnet's denom.
    pub fn send(&self, from: &str, to: &str, amount: u128) -> Result<TxResult> {
        let coins = format!("{amount}{}", self.denom);
        let from_address = self.address(from)?;
        self.tx(from, &["bank", "send", &from_address, to, &coins])
    }

    /// The latest block height.
    pub fn height(&self) -> Result<u64> {
        let text = self.run(&["status", "--output", "json"])?;
        let answer: Value = serde_json::from_str(&text)?;
        answer
            .pointer("/sync_info/latest_block_height")
            .and_then(Value::as_str)
            .context("status without a height")?
            .parse()
            .context("height")
    }
}

fn parse_tx(text: &str) -> Result<TxResult> {
    let answer: TxAnswer =
        serde_json::from_str(text).with_context(|| format!("tx answer {text}"))?;
    if answer.code != 0 {
        bail!(
            "tx {} failed in block {} ({} code {}): {}",
            answer.txhash,
            answer.height,
            answer.codespace,
            answer.code,
            answer.raw_log
        );
    }
    let data = hex::decode(&answer.data).context("tx data is not hex")?;
    let msg_responses = TxMsgData::decode(data.as_slice())
        .context("tx data is not TxMsgData")?
        .msg_responses
        .into_iter()
        .map(|any| cosmrs::Any {
            type_url: any.type_url,
            value: any.value,
        })
        .collect();
    Ok(TxResult {
        txhash: answer.txhash,
        height: answer.height,
        gas_wanted: answer.gas_wanted,
        gas_used: answer.gas_used,
        events: answer.events,
        msg_responses,
    })
}
