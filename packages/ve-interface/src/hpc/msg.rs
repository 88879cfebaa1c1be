use std::collections::BTreeMap;

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;
use ve_types::JobState;

use super::state::{Cluster, HpcOffering, Job, QueueOption};

#[cw_serde]
pub struct InstantiateMsg {
    /// Admin (governance). Defaults to the instantiating account.
    pub admin: Option<String>,
    /// The settlement contract that holds every job's escrow.
    pub settlement_contract: String,
    /// The waldur-callback contract: may report job states besides the
    /// job's provider. Can be set later with `update_config`.
    pub callback_contract: Option<String>,
    /// Seconds an escrow outlives a job's longest possible run, counted
    /// from submission (default 604,800 s, allowed 3,600-31,536,000).
    pub escrow_grace_seconds: Option<u64>,
}

#[cw_serde]
pub struct ClusterFields {
    /// 1-255 characters.
    pub name: String,
    /// A label: 1-64 of `a-z 0-9 _ . -`.
    pub region: String,
    /// At least 1.
    pub total_nodes: u32,
    /// At most `total_nodes`; defaults to `total_nodes`.
    pub available_nodes: Option<u32>,
    /// Free-form hardware description (labels as keys, at most 64 entries).
    #[serde(default)]
    pub specifications: BTreeMap<String, String>,
}

#[cw_serde]
pub struct HpcOfferingFields {
    /// 1-255 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// 1-16 queues with distinct names.
    pub queues: Vec<QueueOption>,
    /// Longest job the offering runs, at least 60 s.
    pub max_runtime_seconds: u64,
    /// Minimum customer identity score, 0-100.
    #[serde(default)]
    pub min_identity_score: u8,
    pub denom: String,
    /// Price of one node for one hour (a started hour counts whole).
    pub price_per_node_hour: Uint128,
}

/// The fields of `update_cluster`: the cluster and the fields to replace;
/// `None` keeps the stored value.
#[cw_serde]
pub struct ClusterUpdate {
    pub cluster_id: String,
    pub name: Option<String>,
    pub region: Option<String>,
    pub total_nodes: Option<u32>,
    pub available_nodes: Option<u32>,
    pub specifications: Option<BTreeMap<String, String>>,
}

/// The fields of `update_hpc_offering`: the offering and the fields to
/// replace; `None` keeps the stored value.
#[cw_serde]
pub struct HpcOfferingUpdate {
    pub hpc_offering_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub queues: Option<Vec<QueueOption>>,
    pub max_runtime_seconds: Option<u64>,
    pub min_identity_score: Option<u8>,
    pub denom: Option<String>,
    pub price_per_node_hour: Option<Uint128>,
    pub active: Option<bool>,
}

/// The fields of `update_config`: the fields to replace; `None` keeps
/// the stored value.
#[cw_serde]
pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub settlement_contract: Option<String>,
    pub callback_contract: Option<String>,
    pub escrow_grace_seconds: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    // ---- clusters (provider) ----
    /// Registers an active cluster owned by the sender, with the next
    /// cluster sequence of that provider.
    RegisterCluster { cluster: ClusterFields },
    /// Replaces the given fields; omitted fields keep their value. Not on a
    /// deregistered cluster.
    UpdateCluster(ClusterUpdate),
    /// Active -> draining: no new jobs, running jobs go on.
    DrainCluster {
        cluster_id: String,
        reason: Option<String>,
    },
    /// Active/draining -> offline.
    SetClusterOffline {
        cluster_id: String,
        reason: Option<String>,
    },
    /// Draining/offline -> active.
    ReactivateCluster { cluster_id: String },
    /// -> deregistered, final (provider or admin).
    DeregisterCluster {
        cluster_id: String,
        reason: Option<String>,
    },

    // ---- HPC offerings (provider of the cluster) ----
    /// Creates an active offering on an active cluster of the sender.
    CreateHpcOffering {
        cluster_id: String,
        offering: HpcOfferingFields,
    },
    /// Replaces the given fields; an omitted field never changes anything.
    /// `active` opens (true) or closes (false) the offering to new jobs.
    UpdateHpcOffering(HpcOfferingUpdate),

    // ---- jobs ----
    /// The customer submits a job. The funds must be exactly
    /// `price_per_node_hour x nodes x ceil(max_runtime_seconds / 3600)` of
    /// the offering's denom; they are forwarded to the settlement contract
    /// as the escrow `job:{job id}`.
    SubmitJob {
        hpc_offering_id: String,
        queue: String,
        nodes: u32,
        max_runtime_seconds: u64,
        /// Pointer to the job script or container spec (never the secret
        /// itself): 1-512 visible characters.
        script_ref: Option<String>,
    },
    /// Customer or provider: pending/queued/running -> cancelled. A running
    /// job is billed for its wall-clock time so far (see `ReportJobStatus`).
    CancelJob {
        job_id: String,
        reason: Option<String>,
    },
    /// A state reported by the job's provider or the callback contract. A
    /// report of the current state is a no-op (`result=unchanged`).
    /// `exit_code` and `node_seconds_used` are for final states only.
    ReportJobStatus {
        job_id: String,
        /// The provider whose signed callback this is: required from the
        /// callback contract (which verified the signature), and the job
        /// must be theirs; a provider reporting directly may leave it out.
        provider: Option<String>,
        state: JobState,
        exit_code: Option<i32>,
        node_seconds_used: Option<u64>,
        reason: Option<String>,
    },
    /// Anyone, once a running job is past `started_at + max_runtime_seconds`:
    /// -> timeout, billed for its full maximum runtime.
    TimeoutJob { job_id: String },

    // ---- admin ----
    /// Admin: proposes `new_admin` as the next admin (replacing an earlier
    /// proposal), to be accepted before `expiry` when given. The admin
    /// changes only when the proposed account accepts (`accept_admin`).
    ProposeAdmin {
        new_admin: String,
        expiry: Option<crate::admin::Expiration>,
    },
    /// The proposed admin: becomes the admin; the proposal is cleared.
    AcceptAdmin {},
    /// Admin: withdraws the pending proposal.
    CancelAdminTransfer {},
    /// Admin. Its `admin` field replaces the admin in one step, unchecked
    /// by the new account; `propose_admin`/`accept_admin` is the safe path.
    UpdateConfig(ConfigUpdate),
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(super::state::Config)]
    Config {},
    /// The proposed next admin, or null.
    #[returns(Option<crate::admin::PendingAdmin>)]
    PendingAdmin {},
    #[returns(ClusterResponse)]
    Cluster { cluster_id: String },
    /// All clusters, in ID order.
    #[returns(ClustersResponse)]
    Clusters {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(ClustersResponse)]
    ClustersByProvider {
        provider: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(HpcOfferingResponse)]
    HpcOffering { hpc_offering_id: String },
    /// All HPC offerings, in ID order.
    #[returns(HpcOfferingsResponse)]
    HpcOfferings {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(HpcOfferingsResponse)]
    HpcOfferingsByCluster {
        cluster_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(HpcOfferingsResponse)]
    HpcOfferingsByProvider {
        provider: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The funds a job submission must carry (checks nodes >= 1 and the
    /// offering's runtime limits; the queue's limits are checked on submit).
    #[returns(JobCostResponse)]
    JobCost {
        hpc_offering_id: String,
        nodes: u32,
        max_runtime_seconds: u64,
    },
    #[returns(JobResponse)]
    Job { job_id: String },
    /// All jobs, in ID order.
    #[returns(JobsResponse)]
    Jobs {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(JobsResponse)]
    JobsByCustomer {
        customer: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(JobsResponse)]
    JobsByProvider {
        provider: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(JobsResponse)]
    JobsByOffering {
        hpc_offering_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(JobsResponse)]
    JobsByState {
        state: JobState,
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct ClusterResponse {
    pub id: String,
    pub cluster: Cluster,
}

#[cw_serde]
pub struct ClustersResponse {
    pub clusters: Vec<ClusterResponse>,
}

#[cw_serde]
pub struct HpcOfferingResponse {
    pub id: String,
    pub cluster_id: String,
    pub offering: HpcOffering,
}

#[cw_serde]
pub struct HpcOfferingsResponse {
    pub offerings: Vec<HpcOfferingResponse>,
}

#[cw_serde]
pub struct JobCostResponse {
    pub hpc_offering_id: String,
    pub denom: String,
    pub price_per_node_hour: Uint128,
    pub nodes: u32,
    /// `ceil(max_runtime_seconds / 3600)`.
    pub billable_hours: u64,
    /// `price_per_node_hour x nodes x billable_hours`.
    pub total: Uint128,
}

#[cw_serde]
pub struct JobResponse {
    pub id: String,
    pub hpc_offering_id: String,
    pub cluster_id: String,
    /// `job:{job id}`, in the settlement contract.
    pub escrow_id: String,
    pub job: Job,
}

#[cw_serde]
pub struct JobsResponse {
    pub jobs: Vec<JobResponse>,
}
