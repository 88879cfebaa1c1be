//! End to end on a real wasmd devnet (its own chain, started and stopped
//! here): the main story with `ve-relayer run` and `waldur-emulator` as
//! processes, and a re-delivered callback through the relayer's RPC client.
//! Needs the optimised artifacts (scripts/build-wasm.sh, run first by
//! scripts/test.sh) and Go for the wasmd build (scripts/devnet.sh).

use std::path::PathBuf;

use anyhow::{ensure, Context, Result};
use serde_json::json;
use ve_devnet::story::{self, Fees, Stack};
use ve_devnet::Devnet;
use ve_relayer::chain::rpc::{RpcChain, RpcConfig};
use ve_relayer::chain::signer::{CallbackDraft, Signer};
use ve_relayer::chain::ChainClient;
use waldur_callback::msg::CallbackOutcome;

/// Ports of this file's chain: RPC 26757 and so on.
const PORT_OFFSET: u16 = 100;

fn work_dir(name: &str) -> PathBuf {
    let dir = ve_devnet::repo_root()
        .join("target/devnet-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn on_a_real_chain() -> Result<()> {
    let dir = work_dir("flows");
    let devnet = Devnet::start_own(&dir.join("node"), PORT_OFFSET)?;
    let stack = Stack::deploy_on(&devnet, &ve_devnet::repo_root().join("artifacts"))?;
    the_story_settles_exactly_with_batched_callbacks(&stack, &dir).context("the story")?;
    a_redelivered_callback_is_already_processed(&stack).context("re-delivery")?;
    Ok(())
}

/// Allocation lifecycle (provision callbacks batched in one transaction,
/// usage, settle, terminate, final settle) and an HPC job.
fn the_story_settles_exactly_with_batched_callbacks(
    stack: &Stack,
    dir: &std::path::Path,
) -> Result<()> {
    let outcome = story::run(stack, &dir.join("relayer"), &mut |line| println!("{line}"))?;
    outcome.check()?;

    // The relayer's fee account sent the callbacks; accepted and
    // provisioning went out together in one transaction.
    let per_tx = stack.callbacks_per_tx(stack.deployment.account("relayer")?)?;
    ensure!(
        per_tx.iter().any(|&n| n >= 2),
        "no batched transaction: {per_tx:?}"
    );
    // Each state of the allocation was reported once.
    let callbacks = stack.processed_callbacks(&outcome.allocation_id)?;
    let mut unique = callbacks.clone();
    unique.sort();
    unique.dedup();
    ensure!(
        unique.len() == callbacks.len(),
        "a callback applied twice: {callbacks:?}"
    );
    for state in ["accepted", "provisioning", "active", "terminated"] {
        ensure!(
            callbacks.iter().any(|c| c.ends_with(&format!(":{state}"))),
            "no {state} callback in {callbacks:?}"
        );
    }
    Ok(())
}

/// The relayer's own RPC client sends a signed callback twice: the chain
/// applies it once and answers the second `already_processed`.
fn a_redelivered_callback_is_already_processed(stack: &Stack) -> Result<()> {
    let d = &stack.deployment;
    let mut fees = Fees::default();
    let offering = fixed_price_offering(stack)?;
    let (_, allocation) = stack.order_and_accept(&mut fees, &offering)?;

    let seed = [7u8; 32];
    let signer = Signer::new(
        seed,
        "redelivery",
        d.account("provider")?,
        d.chain_id.clone(),
        d.contract("waldur-callback")?,
    );
    stack.cli.execute(
        "provider",
        d.contract("waldur-callback")?,
        &signer.register_message()?,
        "",
    )?;
    let fee_key = stack.cli.private_key_hex("relayer")?;
    let config: RpcConfig = serde_json::from_value(json!({
        "rpc_url": d.rpc_url,
        "chain_id": d.chain_id,
        "contracts": {
            "marketplace": d.contract("marketplace")?,
            "waldur_callback": d.contract("waldur-callback")?,
        },
        "fee_key_file": "unused",
        "account_prefix": "wasm",
        "gas_price": format!("0.025{}", d.denom),
    }))?;
    let key = cosmrs::crypto::secp256k1::SigningKey::from_slice(&hex::decode(fee_key)?)
        .map_err(|e| anyhow::anyhow!("fee key: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut chain = RpcChain::connect_with_key(config, key).await?;
        chain.latest_height().await?;
        let draft = CallbackDraft {
            callback_id: format!("provision:{allocation}:accepted"),
            action: ve_types::ActionType::Provision,
            waldur_id: "redelivery-resource".into(),
            entity_id: allocation.clone(),
            payload: br#"{"state":"accepted"}"#.to_vec(),
        };
        let signed = signer.sign(&draft, chain.now())?;
        let first = chain
            .submit_callbacks(std::slice::from_ref(&signed))
            .await?;
        ensure!(
            first == vec![CallbackOutcome::Processed],
            "first delivery: {first:?}"
        );
        let state = stack.allocation_state(&allocation)?;
        ensure!(state == "accepted", "after the first delivery: {state}");
        let again = chain
            .submit_callbacks(std::slice::from_ref(&signed))
            .await?;
        ensure!(
            again == vec![CallbackOutcome::AlreadyProcessed],
            "re-delivery: {again:?}"
        );
        ensure!(stack.allocation_state(&allocation)? == "accepted");
        let applied = stack.processed_callbacks(&allocation)?;
        ensure!(applied.len() == 1, "applied: {applied:?}");
        Ok(())
    })
}

fn fixed_price_offering(stack: &Stack) -> Result<String> {
    stack
        .cli
        .execute(
            "provider",
            stack.deployment.contract("marketplace")?,
            &json!({"create_offering": {"offering": {
                "name": "Redelivery", "description": "", "category": "compute",
                "pricing": {"model": "fixed", "denom": stack.cli.denom, "base_price": "10000", "components": []}}}}),
            "",
        )
        .and_then(|tx| tx.execute_json())
}
