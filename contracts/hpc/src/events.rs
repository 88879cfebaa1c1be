//! Events a relayer or explorer subscribes to. Each type is emitted as
//! `wasm-ve.<name>` by wasmd.
//!
//! | event | attributes |
//! |-------|------------|
//! | `ve.cluster_registered`, `ve.cluster_updated` | cluster_id, provider, name, region, state, state_code, total_nodes, available_nodes, version |
//! | `ve.cluster_state_changed` | cluster_id, provider, from, state, state_code, version, reason? |
//! | `ve.hpc_offering_created`, `ve.hpc_offering_updated` | hpc_offering_id, cluster_id, provider, active, denom, price_per_node_hour, max_runtime_seconds, queues, version |
//! | `ve.job_submitted` | job_id, hpc_offering_id, cluster_id, customer, provider, queue, nodes, max_runtime_seconds, state, state_code, escrow_id, escrow_amount, denom, escrow_expires_at |
//! | `ve.job_state_changed` | job_id, provider, from, state, state_code, version, exit_code?, node_seconds_used?, reason?, escrow (settled/refunded, as sent; a `ve.job_escrow_deferred` in the same transaction corrects it)?, billed_node_hours? |
//! | `ve.job_escrow_deferred` | job_id, provider, escrow_id, step (settle/refund), escrow (usage_recorded/refund_refused), error |

use cosmwasm_std::Event;
use ve_types::{ClusterState, JobState};

use crate::state::{Cluster, EscrowOutcome, HpcOffering, Job};

fn event(name: &str) -> Event {
    Event::new(format!("ve.{name}"))
}

/// `cluster_registered`, `cluster_updated`.
pub fn cluster(name: &str, c: &Cluster) -> Event {
    event(name)
        .add_attribute("cluster_id", c.cluster_id().text())
        .add_attribute("provider", c.provider.as_str())
        .add_attribute("name", &c.name)
        .add_attribute("region", &c.region)
        .add_attribute("state", c.state.as_str())
        .add_attribute("state_code", c.state.code().to_string())
        .add_attribute("total_nodes", c.total_nodes.to_string())
        .add_attribute("available_nodes", c.available_nodes.to_string())
        .add_attribute("version", c.version.to_string())
}

/// What changed and the provider; name, region and nodes are on
/// `cluster_registered` / `cluster_updated`.
pub fn cluster_state_changed(c: &Cluster, from: ClusterState) -> Event {
    let mut e = event("cluster_state_changed")
        .add_attribute("cluster_id", c.cluster_id().text())
        .add_attribute("provider", c.provider.as_str())
        .add_attribute("from", from.as_str())
        .add_attribute("state", c.state.as_str())
        .add_attribute("state_code", c.state.code().to_string())
        .add_attribute("version", c.version.to_string());
    if let Some(reason) = &c.state_reason {
        e = e.add_attribute("reason", reason);
    }
    e
}

/// `hpc_offering_created`, `hpc_offering_updated`.
pub fn offering(name: &str, o: &HpcOffering) -> Event {
    let queues = o
        .queues
        .iter()
        .map(|q| q.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    event(name)
        .add_attribute("hpc_offering_id", o.offering_id().text())
        .add_attribute("cluster_id", o.cluster_id().text())
        .add_attribute("provider", o.provider.as_str())
        .add_attribute("active", o.active.to_string())
        .add_attribute("denom", &o.denom)
        .add_attribute("price_per_node_hour", o.price_per_node_hour)
        .add_attribute("max_runtime_seconds", o.max_runtime_seconds.to_string())
        .add_attribute("queues", queues)
        .add_attribute("version", o.version.to_string())
}

/// The job and the provider to route it by: what every job event carries
/// (the offering, cluster and customer are on `job_submitted`).
fn job(name: &str, j: &Job) -> Event {
    event(name)
        .add_attribute("job_id", j.job_id().text())
        .add_attribute("provider", j.provider.as_str())
}

pub fn job_submitted(j: &Job, expires_at_seconds: u64) -> Event {
    job("job_submitted", j)
        .add_attribute("hpc_offering_id", j.offering_id().text())
        .add_attribute("cluster_id", j.cluster_id().text())
        .add_attribute("customer", j.customer.as_str())
        .add_attribute("queue", &j.queue)
        .add_attribute("nodes", j.nodes.to_string())
        .add_attribute("max_runtime_seconds", j.max_runtime_seconds.to_string())
        .add_attribute("state", j.state.as_str())
        .add_attribute("state_code", j.state.code().to_string())
        .add_attribute("escrow_id", j.escrow_id().text())
        .add_attribute("escrow_amount", j.escrow_amount)
        .add_attribute("denom", &j.denom)
        .add_attribute("escrow_expires_at", expires_at_seconds.to_string())
}

pub fn job_state_changed(j: &Job, from: JobState) -> Event {
    let mut e = job("job_state_changed", j)
        .add_attribute("from", from.as_str())
        .add_attribute("state", j.state.as_str())
        .add_attribute("state_code", j.state.code().to_string())
        .add_attribute("version", j.version.to_string());
    if let Some(code) = j.exit_code {
        e = e.add_attribute("exit_code", code.to_string());
    }
    if let Some(ns) = j.node_seconds_used {
        e = e.add_attribute("node_seconds_used", ns.to_string());
    }
    if let Some(reason) = &j.reason {
        e = e.add_attribute("reason", reason);
    }
    match &j.escrow_outcome {
        Some(EscrowOutcome::Settled { node_hours }) => {
            e = e
                .add_attribute("escrow", "settled")
                .add_attribute("billed_node_hours", *node_hours);
        }
        Some(EscrowOutcome::UsageRecorded { node_hours }) => {
            e = e
                .add_attribute("escrow", "usage_recorded")
                .add_attribute("billed_node_hours", *node_hours);
        }
        Some(EscrowOutcome::Refunded) => e = e.add_attribute("escrow", "refunded"),
        Some(EscrowOutcome::RefundRefused) => e = e.add_attribute("escrow", "refund_refused"),
        None => {}
    }
    e
}

/// The settlement contract refused a tolerated `Settle` or `RefundEscrow`
/// (`step` is `settle` or `refund`); `escrow` is the job's new outcome.
pub fn job_escrow_deferred(j: &Job, step: &str, error: &str) -> Event {
    let escrow = match &j.escrow_outcome {
        Some(EscrowOutcome::UsageRecorded { .. }) => "usage_recorded",
        Some(EscrowOutcome::RefundRefused) => "refund_refused",
        _ => "unknown",
    };
    job("job_escrow_deferred", j)
        .add_attribute("escrow_id", j.escrow_id().text())
        .add_attribute("step", step)
        .add_attribute("escrow", escrow)
        .add_attribute("error", error)
}
