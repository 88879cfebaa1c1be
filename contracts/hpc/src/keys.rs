//! String IDs from messages -> validated storage keys.

use cosmwasm_std::Api;
use ve_types::{ClusterId, HpcOfferingId, JobId};

use crate::error::ContractError;
use crate::state::{ClusterKey, HpcOfferingKey, JobKey};
use crate::validation::address;

pub fn cluster(api: &dyn Api, id: &str) -> Result<ClusterKey, ContractError> {
    let id: ClusterId = id.parse()?;
    Ok((address(api, "cluster_id", &id.provider)?, id.sequence))
}

pub fn offering(api: &dyn Api, id: &str) -> Result<HpcOfferingKey, ContractError> {
    let id: HpcOfferingId = id.parse()?;
    Ok((address(api, "hpc_offering_id", &id.provider)?, id.sequence))
}

pub fn job(api: &dyn Api, id: &str) -> Result<JobKey, ContractError> {
    let id: JobId = id.parse()?;
    Ok((address(api, "job_id", &id.customer)?, id.sequence))
}
