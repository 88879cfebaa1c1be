use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage, Timestamp, Uint128};
use cw_storage_plus::{Index, IndexList, PrimaryKey};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
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

pub const CONFIG: Item<Config> = Item::new("config");
/// Last cluster sequence used per provider.
pub const CLUSTER_SEQ: Map<&Addr, u64> = Map::new("cluster_seq");
/// Last HPC offering sequence used per provider.
pub const OFFERING_SEQ: Map<&Addr, u64> = Map::new("offering_seq");
/// Last job sequence used per customer.
pub const JOB_SEQ: Map<&Addr, u64> = Map::new("job_seq");

/// Clusters of a provider are a prefix of the key; no index needed.
pub const CLUSTERS: Map<ClusterKey, Cluster> = Map::new("clusters");

pub struct OfferingIndexes<'a> {
    pub cluster: MultiIndex<'a, (Addr, u64), HpcOffering, HpcOfferingKey>,
}

impl IndexList<HpcOffering> for OfferingIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<HpcOffering>> + '_> {
        let v: Vec<&dyn Index<HpcOffering>> = vec![&self.cluster];
        Box::new(v.into_iter())
    }
}

/// HPC offerings; those of a provider are a key prefix.
pub fn offerings<'a>() -> IndexedMap<HpcOfferingKey, HpcOffering, OfferingIndexes<'a>> {
    IndexedMap::new(
        "hpc_offerings",
        OfferingIndexes {
            cluster: MultiIndex::new(
                |_, o: &HpcOffering| o.cluster_key(),
                "hpc_offerings",
                "hpc_offerings__cluster",
            ),
        },
    )
}

pub struct JobIndexes<'a> {
    pub provider: MultiIndex<'a, Addr, Job, JobKey>,
    pub offering: MultiIndex<'a, (Addr, u64), Job, JobKey>,
    pub state: MultiIndex<'a, u8, Job, JobKey>,
}

impl IndexList<Job> for JobIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Job>> + '_> {
        let v: Vec<&dyn Index<Job>> = vec![&self.provider, &self.offering, &self.state];
        Box::new(v.into_iter())
    }
}

/// Jobs; those of a customer are a key prefix.
pub fn jobs<'a>() -> IndexedMap<JobKey, Job, JobIndexes<'a>> {
    IndexedMap::new(
        "jobs",
        JobIndexes {
            provider: MultiIndex::new(|_, j: &Job| j.provider.clone(), "jobs", "jobs__provider"),
            offering: MultiIndex::new(|_, j: &Job| j.offering_key(), "jobs", "jobs__offering"),
            state: MultiIndex::new(|_, j: &Job| j.state.code(), "jobs", "jobs__state"),
        },
    )
}

/// Stores a new job (its sequence was never used) with its index entries.
pub fn insert_job(storage: &mut dyn Storage, job: &Job) -> StdResult<()> {
    jobs().replace(storage, job.key(), Some(job), None)
}

/// Stores a changed job that was stored with `old_state`. Its provider and
/// offering never change, so the job goes to the primary map alone and only
/// the state index entry moves, when the state changed (`IndexedMap::save`
/// would load and decode the old job and rewrite every index entry, which
/// costs more gas than the write).
pub fn update_job(storage: &mut dyn Storage, job: &Job, old_state: JobState) -> StdResult<()> {
    if job.state != old_state {
        let pk = job.key().joined_key();
        jobs()
            .idx
            .state
            .move_entry(storage, &pk, old_state.code(), job.state.code())?;
    }
    jobs().primary().save(storage, job.key(), job)
}

impl ve_cw::admin::AdminConfig for Config {
    fn admin(&self) -> &Addr {
        &self.admin
    }
    fn set_admin(&mut self, admin: Addr) {
        self.admin = admin;
    }
}
