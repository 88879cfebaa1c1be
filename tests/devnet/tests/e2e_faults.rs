//! Faults on a real wasmd devnet (its own chain, started and stopped here):
//! the relayer killed with SIGKILL mid-flow and restarted, and the node
//! stopped under a running relayer. Neither may lose a callback or apply
//! one twice, whatever the moment of the fault.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ve_devnet::processes::wait_until;
use ve_devnet::story::{Fees, RelayerSetup, Stack, RELAY_TIMEOUT};
use ve_devnet::Devnet;

/// Ports of this file's chain: RPC 26857 and so on.
const PORT_OFFSET: u16 = 200;

#[test]
fn faults_on_a_real_chain() -> Result<()> {
    let dir = ve_devnet::repo_root().join("target/devnet-tests/faults");
    let _ = std::fs::remove_dir_all(&dir);
    let devnet = Devnet::start_own(&dir.join("node"), PORT_OFFSET)?;
    let stack = Stack::deploy_on(&devnet, &ve_devnet::repo_root().join("artifacts"))?;
    let mut fees = Fees::default();
    let setup = stack.prepare_relayer(&dir.join("relayer"), &mut fees)?;
    let first = a_relayer_killed_mid_flow_backfills_on_restart(&stack, &setup)
        .context("kill -9 and restart")?;
    a_stopped_node_makes_the_relayer_unhealthy_until_it_returns(&devnet, &stack, &setup)
        .context("node stop and restart")?;
    every_state_applied_once(&stack, &first)?;
    Ok(())
}

/// Provisions `allocation` to active: Waldur's backend finishes its order
/// once the relayer bound the resource.
fn provision(stack: &Stack, allocation: &str) -> Result<()> {
    let resource = stack.wait_for_resource(allocation)?;
    stack.wait_for_allocation(allocation, "provisioning")?;
    wait_until("the Waldur order done", RELAY_TIMEOUT, || {
        // The relayer may not have approved it yet: wait for executing.
        Ok((stack.finish_waldur_orders(&resource)? > 0).then_some(()))
    })?;
    stack.wait_for_allocation(allocation, "active")
}

fn every_state_applied_once(stack: &Stack, allocations: &[String]) -> Result<()> {
    for allocation in allocations {
        let applied = stack.processed_callbacks(allocation)?;
        let mut unique = applied.clone();
        unique.sort();
        unique.dedup();
        ensure!(unique.len() == applied.len(), "applied twice: {applied:?}");
        for state in ["accepted", "provisioning", "active"] {
            ensure!(
                applied.iter().any(|c| c.ends_with(&format!(":{state}"))),
                "{allocation}: no {state} in {applied:?}"
            );
        }
    }
    Ok(())
}

/// SIGKILL as soon as Waldur has the first allocation's order (callbacks
/// may or may not have left); a second allocation is made while the
/// relayer is down. After the restart both reach active with one Waldur
/// order each and nothing pending or dead.
fn a_relayer_killed_mid_flow_backfills_on_restart(
    stack: &Stack,
    setup: &RelayerSetup,
) -> Result<Vec<String>> {
    let mut fees = Fees::default();
    let relayer = stack.start_relayer(setup)?;
    let (_, first) = stack.order_and_accept(&mut fees, &setup.offering_id)?;
    wait_until("the first Waldur order", RELAY_TIMEOUT, || {
        Ok((stack.waldur.summary()?["orders"].as_u64() >= Some(1)).then_some(()))
    })?;
    relayer.kill9()?;
    let (_, second) = stack.order_and_accept(&mut fees, &setup.offering_id)?;

    let relayer = stack.start_relayer(setup)?;
    provision(stack, &first)?;
    provision(stack, &second)?;
    let orders = stack.waldur.summary()?["orders"].as_u64();
    ensure!(
        orders == Some(2),
        "Waldur orders: {orders:?}, not one per allocation"
    );
    let status = relayer.stop()?;
    ensure!(status.success(), "relayer exited {status}");
    Ok(vec![first, second])
}

/// The node goes away under a running relayer: `/healthz` turns 503; the
/// node returns: the relayer recovers on its own and provisions what was
/// ordered after.
fn a_stopped_node_makes_the_relayer_unhealthy_until_it_returns(
    devnet: &Devnet,
    stack: &Stack,
    setup: &RelayerSetup,
) -> Result<()> {
    let relayer = stack.start_relayer(setup)?;
    let health = |want: u16| {
        wait_until(&format!("/healthz {want}"), Duration::from_secs(60), || {
            Ok((relayer.health() == want).then_some(()))
        })
    };
    health(200)?;
    devnet.stop()?;
    health(503)?;
    devnet.resume()?;
    health(200)?;
    let mut fees = Fees::default();
    let (_, third) = stack.order_and_accept(&mut fees, &setup.offering_id)?;
    provision(stack, &third)?;
    every_state_applied_once(stack, &[third])?;
    let status = relayer.stop()?;
    ensure!(status.success(), "relayer exited {status}");
    let outbox = stack.relayer_status(setup)?;
    ensure!(outbox["outbox"]["dead_letter"] == 0, "{outbox}");
    ensure!(outbox["outbox"]["pending"] == 0, "{outbox}");
    Ok(())
}
