//! What the bench needs from the chain beyond [`Wasmd`]: the block time
//! (callbacks and usage periods are checked against it), the node's
//! version, and one transaction carrying many executes (to build state
//! quickly; such transactions are setup and never measured).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::{json, Value};

use crate::cli::{TxResult, Wasmd, GAS_PRICE};

/// The time of the latest committed block, unix seconds (`wasmd status`).
/// The next transaction executes in a later block, so a callback stamped
/// with it is never ahead of the chain, and a usage period ending at it is
/// never in the future.
pub fn block_time(cli: &Wasmd) -> Result<u64> {
    let text = cli.run(&["status", "--output", "json"])?;
    let answer: Value = serde_json::from_str(&text).context("wasmd status answer")?;
    let time = answer
        .pointer("/sync_info/latest_block_time")
        .and_then(Value::as_str)
        .context("wasmd status without latest_block_time")?;
    let parsed = cosmrs::tendermint::Time::parse_from_rfc3339(time)
        .with_context(|| format!("block time {time:?}"))?;
    u64::try_from(parsed.unix_timestamp()).context("block time before 1970")
}

/// Waits until a block later than unix second `after` is committed; its
/// time.
pub fn block_time_after(cli: &Wasmd, after: u64) -> Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = block_time(cli)?;
        if now > after {
            return Ok(now);
        }
        if Instant::now() >= deadline {
            bail!("the chain's time stayed at {now} for 60 s (waiting for a block after {after})");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// What the node is: wasmd's version (the pin of devnet/wasmd/go.mod, as
/// the binary built from the module proxy reports none), wasmvm's, and the
/// Cosmos SDK's as the binary reports it.
#[derive(Debug, Clone, Default)]
pub struct NodeVersion {
    pub wasmd: String,
    pub wasmvm: String,
    pub cosmos_sdk: String,
    pub go: String,
}

pub fn node_version(cli: &Wasmd) -> Result<NodeVersion> {
    let go_mod = crate::repo_root().join("devnet/wasmd/go.mod");
    let text = std::fs::read_to_string(&go_mod)
        .with_context(|| format!("reading {}", go_mod.display()))?;
    let pinned = |module: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(module).map(str::trim))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .with_context(|| format!("{} pins no {module}", go_mod.display()))
    };
    let output = std::process::Command::new(&cli.bin)
        .args(["version", "--long", "--output", "json"])
        .output()
        .context("wasmd version")?;
    // The version goes to stdout or stderr depending on the SDK release.
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    let long: Value = printed
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    let field = |k: &str| {
        long.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    Ok(NodeVersion {
        wasmd: pinned("github.com/CosmWasm/wasmd ")?,
        wasmvm: pinned("github.com/CosmWasm/wasmvm/v3 ")?,
        cosmos_sdk: field("cosmos_sdk_version"),
        go: field("go"),
    })
}

/// One execute of a multi-message transaction.
pub struct Execute {
    pub contract: String,
    pub msg: Value,
    /// Funds in the devnet's denom (0: none).
    pub funds: u128,
}

impl Execute {
    pub fn new(contract: &str, msg: &impl Serialize, funds: u128) -> Result<Execute> {
        Ok(Execute {
            contract: contract.to_string(),
            msg: serde_json::to_value(msg).context("encoding an execute message")?,
            funds,
        })
    }
}

/// Gas limit per execute of [`tx_many`] (no simulation: the limit is
/// generous, the fee is paid from a devnet account).
const GAS_PER_EXECUTE: u64 = 1_500_000;

/// Signs and broadcasts one transaction of `from` carrying all `executes`
/// (built with `--generate-only`, signed with `tx sign`, sent with
/// `tx broadcast`) and waits for its block. Setup only: the bench measures
/// single-message transactions made by [`Wasmd::execute`].
pub fn tx_many(cli: &Wasmd, from: &str, scratch: &Path, executes: &[Execute]) -> Result<TxResult> {
    let Some(first) = executes.first() else {
        bail!("tx_many without executes");
    };
    let sender = cli.address(from)?;
    let gas = GAS_PER_EXECUTE * executes.len() as u64;
    let price: f64 = GAS_PRICE.parse().context("GAS_PRICE")?;
    let fee = format!("{}{}", (gas as f64 * price).ceil() as u128, cli.denom);
    let first_msg = first.msg.to_string();
    let envelope = cli.run(&[
        "tx",
        "wasm",
        "execute",
        &first.contract,
        &first_msg,
        "--from",
        from,
        "--keyring-backend",
        "test",
        "--chain-id",
        &cli.chain_id,
        "--generate-only",
        "--gas",
        &gas.to_string(),
        "--fees",
        &fee,
    ])?;
    let mut tx: Value = serde_json::from_str(
        envelope
            .lines()
            .find(|l| l.trim_start().starts_with('{'))
            .context("wasmd tx --generate-only printed no transaction")?,
    )
    .context("the generated transaction")?;
    let messages: Vec<Value> = executes
        .iter()
        .map(|e| {
            let funds = if e.funds == 0 {
                json!([])
            } else {
                json!([{ "denom": cli.denom, "amount": e.funds.to_string() }])
            };
            json!({
                "@type": "/cosmwasm.wasm.v1.MsgExecuteContract",
                "sender": sender,
                "contract": e.contract,
                "msg": e.msg,
                "funds": funds,
            })
        })
        .collect();
    *tx.pointer_mut("/body/messages")
        .context("the generated transaction has no body.messages")? = Value::Array(messages);

    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let unsigned = scratch.join("tx-unsigned.json");
    let signed = scratch.join("tx-signed.json");
    std::fs::write(&unsigned, tx.to_string())
        .with_context(|| format!("writing {}", unsigned.display()))?;
    cli.run(&[
        "tx",
        "sign",
        &unsigned.to_string_lossy(),
        "--from",
        from,
        "--keyring-backend",
        "test",
        "--chain-id",
        &cli.chain_id,
        "--output-document",
        &signed.to_string_lossy(),
    ])
    .context("wasmd tx sign")?;
    let out = cli
        .run(&[
            "tx",
            "broadcast",
            &signed.to_string_lossy(),
            "--broadcast-mode",
            "sync",
            "--output",
            "json",
        ])
        .context("wasmd tx broadcast")?;
    let answer: Value = serde_json::from_str(
        out.lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'))
            .with_context(|| format!("no JSON answer from wasmd tx broadcast: {out}"))?,
    )
    .context("the broadcast answer")?;
    let code = answer.get("code").and_then(Value::as_u64).unwrap_or(0);
    if code != 0 {
        bail!(
            "{} executes from {from} refused at CheckTx (code {code}): {}",
            executes.len(),
            answer.get("raw_log").and_then(Value::as_str).unwrap_or("")
        );
    }
    let hash = answer
        .get("txhash")
        .and_then(Value::as_str)
        .context("the broadcast answer has no txhash")?;
    cli.wait_for(hash)
}

/// The values of attribute `key` of every event `kind` of a transaction,
/// in order.
pub fn attributes(tx: &TxResult, kind: &str, key: &str) -> Vec<String> {
    tx.events_of(kind)
        .filter_map(|e| e.attribute(key).map(str::to_owned))
        .collect()
}

/// Like [`attributes`], exactly `n` of them.
pub fn attributes_n(tx: &TxResult, kind: &str, key: &str, n: usize) -> Result<Vec<String>> {
    let values = attributes(tx, kind, key);
    if values.len() != n {
        bail!(
            "tx {} has {} {kind} events with {key}, expected {n}",
            tx.txhash,
            values.len()
        );
    }
    Ok(values)
}
