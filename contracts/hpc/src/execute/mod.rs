//! Execute handlers, one module per capability.

pub mod admin;
pub mod cluster;
pub mod job;
pub mod offering;

use cosmwasm_std::{Addr, Storage};

pub(crate) use ve_cw::ensure_transition;
use ve_cw::CommonError;

use crate::error::ContractError;
use crate::state::{
    jobs, offerings, Cluster, ClusterKey, HpcOffering, HpcOfferingKey, Job, JobKey, CLUSTERS,
};

/// The next sequence of `owner` in `seq`, saved.
pub(crate) fn next_sequence(
    storage: &mut dyn Storage,
    seq: &ve_cw::store::Map<&Addr, u64>,
    owner: &Addr,
    what: &'static str,
) -> Result<u64, ContractError> {
    let next = seq
        .may_load(storage, owner)?
        .unwrap_or_default()
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid(what, "exhausted"))?;
    seq.save(storage, owner, &next)?;
    Ok(next)
}

fn not_found(entity: &'static str, key: &(Addr, u64)) -> ContractError {
    CommonError::NotFound {
        entity,
        id: format!("{}/{}", key.0, key.1),
    }
    .into()
}

pub(crate) fn load_cluster(
    storage: &dyn Storage,
    key: &ClusterKey,
) -> Result<Cluster, ContractError> {
    CLUSTERS
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("cluster", key))
}

pub(crate) fn load_offering(
    storage: &dyn Storage,
    key: &HpcOfferingKey,
) -> Result<HpcOffering, ContractError> {
    offerings()
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("hpc offering", key))
}

pub(crate) fn load_job(storage: &dyn Storage, key: &JobKey) -> Result<Job, ContractError> {
    jobs()
        .may_load(storage, key.clone())?
        .ok_or_else(|| not_found("job", key))
}
