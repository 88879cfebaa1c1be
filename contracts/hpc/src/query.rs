//! Queries. Every list is a bounded, paginated range over a key prefix or an
//! index, so a page costs the same however many records are stored.

use cosmwasm_std::{Addr, Deps, Order as IterOrder, StdResult};
use cw_storage_plus::Bound;
use ve_types::JobState;

use crate::error::ContractError;
use crate::escrow;
use crate::execute::{load_cluster, load_job, load_offering};
use crate::keys;
use crate::msg::{
    ClusterResponse, ClustersResponse, HpcOfferingResponse, HpcOfferingsResponse, JobCostResponse,
    JobResponse, JobsResponse,
};
use crate::state::{jobs, offerings, Cluster, Config, HpcOffering, Job, CLUSTERS, CONFIG};
use crate::validation;

fn collect<K, T, R>(
    iter: impl Iterator<Item = StdResult<(K, T)>>,
    limit: Option<u32>,
    to_response: impl FnMut(T) -> R,
) -> Result<Vec<R>, ContractError> {
    Ok(ve_cw::page(iter, limit, to_response)?)
}

/// The sequence of a `start_after` key that must belong to `owner`.
fn owned_sequence(
    key: (Addr, u64),
    owner: &Addr,
    id: &str,
    what: &str,
) -> Result<u64, ContractError> {
    ve_cw::cursor_of_owner(&key.0, owner, id, what)?;
    Ok(key.1)
}

pub fn config(deps: Deps) -> Result<Config, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

// ---- clusters ----

fn cluster_response(cluster: Cluster) -> ClusterResponse {
    ClusterResponse {
        id: cluster.cluster_id().text(),
        cluster,
    }
}

pub fn cluster(deps: Deps, cluster_id: String) -> Result<ClusterResponse, ContractError> {
    let key = keys::cluster(deps.api, &cluster_id)?;
    Ok(cluster_response(load_cluster(deps.storage, &key)?))
}

pub fn clusters(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ClustersResponse, ContractError> {
    let min = start_after
        .map(|id| keys::cluster(deps.api, &id).map(Bound::exclusive))
        .transpose()?;
    let iter = CLUSTERS.range(deps.storage, min, None, IterOrder::Ascending);
    Ok(ClustersResponse {
        clusters: collect(iter, limit, cluster_response)?,
    })
}

pub fn clusters_by_provider(
    deps: Deps,
    provider: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ClustersResponse, ContractError> {
    let provider = validation::address(deps.api, "provider", &provider)?;
    let min = start_after
        .map(|id| {
            let key = keys::cluster(deps.api, &id)?;
            owned_sequence(key, &provider, &id, "a cluster")
        })
        .transpose()?
        .map(Bound::exclusive);
    let iter = CLUSTERS
        .prefix(provider)
        .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(ClustersResponse {
        clusters: collect(iter, limit, cluster_response)?,
    })
}

// ---- offerings ----

fn offering_response(offering: HpcOffering) -> HpcOfferingResponse {
    HpcOfferingResponse {
        id: offering.offering_id().text(),
        cluster_id: offering.cluster_id().text(),
        offering,
    }
}

pub fn offering(deps: Deps, offering_id: String) -> Result<HpcOfferingResponse, ContractError> {
    let key = keys::offering(deps.api, &offering_id)?;
    Ok(offering_response(load_offering(deps.storage, &key)?))
}

fn offering_bound(
    deps: Deps,
    start_after: Option<String>,
) -> Result<Option<Bound<'static, (Addr, u64)>>, ContractError> {
    start_after
        .map(|id| keys::offering(deps.api, &id).map(Bound::exclusive))
        .transpose()
}

pub fn offerings_all(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<HpcOfferingsResponse, ContractError> {
    let min = offering_bound(deps, start_after)?;
    let iter = offerings().range(deps.storage, min, None, IterOrder::Ascending);
    Ok(HpcOfferingsResponse {
        offerings: collect(iter, limit, offering_response)?,
    })
}

pub fn offerings_by_cluster(
    deps: Deps,
    cluster_id: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<HpcOfferingsResponse, ContractError> {
    let cluster_key = keys::cluster(deps.api, &cluster_id)?;
    let min = offering_bound(deps, start_after)?;
    let iter = offerings().idx.cluster.prefix(cluster_key).range(
        deps.storage,
        min,
        None,
        IterOrder::Ascending,
    );
    Ok(HpcOfferingsResponse {
        offerings: collect(iter, limit, offering_response)?,
    })
}

pub fn offerings_by_provider(
    deps: Deps,
    provider: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<HpcOfferingsResponse, ContractError> {
    let provider = validation::address(deps.api, "provider", &provider)?;
    let min = start_after
        .map(|id| {
            let key = keys::offering(deps.api, &id)?;
            owned_sequence(key, &provider, &id, "an hpc offering")
        })
        .transpose()?
        .map(Bound::exclusive);
    let iter = offerings()
        .prefix(provider)
        .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(HpcOfferingsResponse {
        offerings: collect(iter, limit, offering_response)?,
    })
}

pub fn job_cost(
    deps: Deps,
    offering_id: String,
    nodes: u32,
    max_runtime_seconds: u64,
) -> Result<JobCostResponse, ContractError> {
    let key = keys::offering(deps.api, &offering_id)?;
    let offering = load_offering(deps.storage, &key)?;
    if nodes == 0 {
        return Err(ContractError::invalid("nodes", "must be at least 1"));
    }
    if !(validation::MIN_RUNTIME_SECONDS..=offering.max_runtime_seconds)
        .contains(&max_runtime_seconds)
    {
        return Err(ContractError::invalid(
            "max_runtime_seconds",
            format!(
                "{max_runtime_seconds} s must be {}-{} (the offering's limit)",
                validation::MIN_RUNTIME_SECONDS,
                offering.max_runtime_seconds
            ),
        ));
    }
    let total = escrow::job_cost(offering.price_per_node_hour, nodes, max_runtime_seconds)?;
    Ok(JobCostResponse {
        hpc_offering_id: offering.offering_id().text(),
        denom: offering.denom,
        price_per_node_hour: offering.price_per_node_hour,
        nodes,
        billable_hours: escrow::billable_hours(max_runtime_seconds),
        total,
    })
}

// ---- jobs ----

fn job_response(job: Job) -> JobResponse {
    JobResponse {
        id: job.job_id().text(),
        hpc_offering_id: job.offering_id().text(),
        cluster_id: job.cluster_id().text(),
        escrow_id: job.escrow_id().text(),
        job,
    }
}

pub fn job(deps: Deps, job_id: String) -> Result<JobResponse, ContractError> {
    let key = keys::job(deps.api, &job_id)?;
    Ok(job_response(load_job(deps.storage, &key)?))
}

fn job_bound(
    deps: Deps,
    start_after: Option<String>,
) -> Result<Option<Bound<'static, (Addr, u64)>>, ContractError> {
    start_after
        .map(|id| keys::job(deps.api, &id).map(Bound::exclusive))
        .transpose()
}

pub fn jobs_all(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let min = job_bound(deps, start_after)?;
    let iter = jobs().range(deps.storage, min, None, IterOrder::Ascending);
    Ok(JobsResponse {
        jobs: collect(iter, limit, job_response)?,
    })
}

pub fn jobs_by_customer(
    deps: Deps,
    customer: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let customer = validation::address(deps.api, "customer", &customer)?;
    let min = start_after
        .map(|id| {
            let key = keys::job(deps.api, &id)?;
            owned_sequence(key, &customer, &id, "a job")
        })
        .transpose()?
        .map(Bound::exclusive);
    let iter = jobs()
        .prefix(customer)
        .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(JobsResponse {
        jobs: collect(iter, limit, job_response)?,
    })
}

pub fn jobs_by_provider(
    deps: Deps,
    provider: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let provider = validation::address(deps.api, "provider", &provider)?;
    let min = job_bound(deps, start_after)?;
    let iter =
        jobs()
            .idx
            .provider
            .prefix(provider)
            .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(JobsResponse {
        jobs: collect(iter, limit, job_response)?,
    })
}

pub fn jobs_by_offering(
    deps: Deps,
    offering_id: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let offering_key = keys::offering(deps.api, &offering_id)?;
    let min = job_bound(deps, start_after)?;
    let iter = jobs().idx.offering.prefix(offering_key).range(
        deps.storage,
        min,
        None,
        IterOrder::Ascending,
    );
    Ok(JobsResponse {
        jobs: collect(iter, limit, job_response)?,
    })
}

pub fn jobs_by_state(
    deps: Deps,
    state: JobState,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let min = job_bound(deps, start_after)?;
    let iter =
        jobs()
            .idx
            .state
            .prefix(state.code())
            .range(deps.storage, min, None, IterOrder::Ascending);
    Ok(JobsResponse {
        jobs: collect(iter, limit, job_response)?,
    })
}
