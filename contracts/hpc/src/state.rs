//! The hpc contract's storage. The records it stores are the interface's
//! (`ve_interface::hpc::state`), re-exported here.

use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::{Index, IndexList, PrimaryKey};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
use ve_types::JobState;

pub use ve_interface::hpc::state::*;

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
