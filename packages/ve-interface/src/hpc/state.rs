//! The records the hpc contract stores and its queries return. The
//! storage (maps, indexes) stays in the contract.

use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Timestamp, Uint128};
use ve_types::{ClusterId, ClusterState, EscrowId, HpcOfferingId, JobId, JobState};

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    /// Holds the escrows of new jobs (each job keeps the address it used).
    pub settlement_contract: Addr,
    /// The waldur-callback contract, allowed to report job states.
    pub callback_contract: Option<Addr>,
    /// Added to a job's maximum runtime for its escrow's expiry.
    pub escrow_grace_seconds: u64,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Cluster {
    pub provider: Addr,
    pub sequence: u64,
    pub state: ClusterState,
    pub name: String,
    pub region: String,
    pub total_nodes: u32,
    pub available_nodes: u32,
    pub specifications: BTreeMap<String, String>,
    /// Why the cluster was drained, taken offline or deregistered.
    pub state_reason: Option<String>,
    /// Bumped on every change.
    pub version: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

/// A scheduler queue (SLURM partition) an offering sells.
#[cw_serde]
pub struct QueueOption {
    /// A label: 1-64 of `a-z 0-9 _ . -`, unique within the offering.
    pub name: String,
    /// 1-1,000,000 nodes per job.
    pub max_nodes: u32,
    /// At least 60 s.
    pub max_runtime_seconds: u64,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct HpcOffering {
    pub provider: Addr,
    pub sequence: u64,
    /// The cluster of the same provider the offering runs on.
    pub cluster_sequence: u64,
    pub name: String,
    pub description: String,
    pub queues: Vec<QueueOption>,
    pub max_runtime_seconds: u64,
    pub min_identity_score: u8,
    pub denom: String,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub price_per_node_hour: Uint128,
    /// Takes new jobs.
    pub active: bool,
    pub version: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

/// What happened to a finished job's escrow (see `escrow.rs`).
#[cw_serde]
pub enum EscrowOutcome {
    /// Usage was recorded and the escrow settled and closed: the provider
    /// got `node_hours x price_per_node_hour` (minus settlement fees), the
    /// customer the rest.
    Settled { node_hours: Uint128 },
    /// Usage was recorded, but the settlement contract refused to settle and
    /// close the escrow at once (e.g. the record is inside the customer's
    /// acknowledgement window, or disputed). The escrow stays open: its
    /// provider settles it later, or anyone expires it.
    UsageRecorded { node_hours: Uint128 },
    /// The whole escrow went back to the customer.
    Refunded,
    /// The settlement contract refused the refund (e.g. the escrow is
    /// already closed: it expired before the job ended). The escrow is left
    /// to its provider or to expiry.
    RefundRefused,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Job {
    pub customer: Addr,
    pub sequence: u64,
    pub provider: Addr,
    pub offering_sequence: u64,
    pub cluster_sequence: u64,
    pub queue: String,
    pub nodes: u32,
    pub max_runtime_seconds: u64,
    pub script_ref: Option<String>,
    pub state: JobState,
    /// Price and denom at submission; later offering changes do not apply.
    pub denom: String,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub price_per_node_hour: Uint128,
    /// Funds forwarded to the escrow.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub escrow_amount: Uint128,
    /// The settlement contract holding the escrow.
    pub settlement_contract: Addr,
    pub exit_code: Option<i32>,
    /// As reported (or derived for a cancel or timeout), before capping.
    pub node_seconds_used: Option<u64>,
    pub reason: Option<String>,
    pub escrow_outcome: Option<EscrowOutcome>,
    /// Bumped on every change.
    pub version: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
    /// Set when the job enters running: the start of its billed period.
    #[serde(default, with = "ve_types::packed::opt_timestamp")]
    #[schemars(with = "Option<Timestamp>")]
    pub started_at: Option<Timestamp>,
    /// Set when the job reaches a final state.
    #[serde(default, with = "ve_types::packed::opt_timestamp")]
    #[schemars(with = "Option<Timestamp>")]
    pub ended_at: Option<Timestamp>,
}

pub type ClusterKey = (Addr, u64);
pub type HpcOfferingKey = (Addr, u64);
pub type JobKey = (Addr, u64);

impl Cluster {
    pub fn key(&self) -> ClusterKey {
        (self.provider.clone(), self.sequence)
    }
    pub fn cluster_id(&self) -> ClusterId {
        ClusterId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
}

impl HpcOffering {
    pub fn key(&self) -> HpcOfferingKey {
        (self.provider.clone(), self.sequence)
    }
    pub fn cluster_key(&self) -> ClusterKey {
        (self.provider.clone(), self.cluster_sequence)
    }
    pub fn offering_id(&self) -> HpcOfferingId {
        HpcOfferingId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
    pub fn cluster_id(&self) -> ClusterId {
        ClusterId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.cluster_sequence,
        }
    }
    pub fn queue(&self, name: &str) -> Option<&QueueOption> {
        self.queues.iter().find(|q| q.name == name)
    }
}

impl Job {
    pub fn key(&self) -> JobKey {
        (self.customer.clone(), self.sequence)
    }
    pub fn job_id(&self) -> JobId {
        JobId {
            customer: self.customer.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
    pub fn escrow_id(&self) -> EscrowId {
        EscrowId::Job(self.job_id())
    }
    pub fn offering_key(&self) -> HpcOfferingKey {
        (self.provider.clone(), self.offering_sequence)
    }
    pub fn offering_id(&self) -> HpcOfferingId {
        HpcOfferingId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.offering_sequence,
        }
    }
    pub fn cluster_id(&self) -> ClusterId {
        ClusterId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.cluster_sequence,
        }
    }
}
