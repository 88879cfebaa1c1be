use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use ve_cw::CommonError;
use ve_types::ClusterState;

use super::{ensure_transition, load_cluster, next_sequence};
use crate::error::ContractError;
use crate::events;
use crate::funds;
use crate::keys;
use crate::msg::{ClusterFields, ClusterUpdate};
use crate::state::{Cluster, CLUSTERS, CLUSTER_SEQ, CONFIG};
use crate::validation;

/// Any account may register a cluster; it becomes its provider.
pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    fields: ClusterFields,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let available = fields.available_nodes.unwrap_or(fields.total_nodes);
    validation::name(&fields.name)?;
    validation::label("region", &fields.region)?;
    validation::node_counts(fields.total_nodes, available)?;
    validation::attributes("specifications", &fields.specifications)?;

    let provider = info.sender;
    let sequence = next_sequence(deps.storage, &CLUSTER_SEQ, &provider, "cluster sequence")?;
    let cluster = Cluster {
        provider,
        sequence,
        state: ClusterState::Active,
        name: fields.name,
        region: fields.region,
        total_nodes: fields.total_nodes,
        available_nodes: available,
        specifications: fields.specifications,
        state_reason: None,
        version: 1,
        created_at: env.block.time,
        updated_at: env.block.time,
    };
    CLUSTERS.save(deps.storage, cluster.key(), &cluster)?;
    let id = cluster.cluster_id().text();
    Ok(Response::new()
        .add_attribute("action", "register_cluster")
        .add_event(events::cluster("cluster_registered", &cluster))
        .set_data(cosmwasm_std::to_json_binary(&id)?))
}

pub fn update(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    update: ClusterUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::cluster(deps.api, &update.cluster_id)?;
    let mut cluster = load_cluster(deps.storage, &key)?;
    if info.sender != cluster.provider {
        return Err(CommonError::Unauthorized {
            action: "update a cluster",
            allowed: "its provider",
        }
        .into());
    }
    if cluster.state == ClusterState::Deregistered {
        return Err(CommonError::WrongState {
            entity: "cluster",
            id: update.cluster_id,
            state: cluster.state.to_string(),
            expected: "a cluster that is not deregistered",
        }
        .into());
    }
    let ClusterUpdate {
        cluster_id: _,
        name,
        region,
        total_nodes,
        available_nodes,
        specifications,
    } = update;
    if name.is_none()
        && region.is_none()
        && total_nodes.is_none()
        && available_nodes.is_none()
        && specifications.is_none()
    {
        return Err(CommonError::NothingToUpdate.into());
    }
    if let Some(n) = &name {
        validation::name(n)?;
    }
    if let Some(r) = &region {
        validation::label("region", r)?;
    }
    if let Some(s) = &specifications {
        validation::attributes("specifications", s)?;
    }
    // The counts are checked as they will be stored: a new total must
    // still cover the available nodes, given or kept.
    let total = total_nodes.unwrap_or(cluster.total_nodes);
    let available = available_nodes.unwrap_or(cluster.available_nodes);
    validation::node_counts(total, available)?;

    cluster.name = name.unwrap_or(cluster.name);
    cluster.region = region.unwrap_or(cluster.region);
    cluster.total_nodes = total;
    cluster.available_nodes = available;
    cluster.specifications = specifications.unwrap_or(cluster.specifications);
    cluster.version += 1;
    cluster.updated_at = env.block.time;
    CLUSTERS.save(deps.storage, key, &cluster)?;
    Ok(Response::new()
        .add_attribute("action", "update_cluster")
        .add_event(events::cluster("cluster_updated", &cluster)))
}

/// The cluster state changes, each its own message.
#[derive(Clone, Copy)]
pub enum ClusterChange {
    Drain,
    SetOffline,
    Reactivate,
    Deregister,
}

impl ClusterChange {
    pub fn target(self) -> ClusterState {
        match self {
            ClusterChange::Drain => ClusterState::Draining,
            ClusterChange::SetOffline => ClusterState::Offline,
            ClusterChange::Reactivate => ClusterState::Active,
            ClusterChange::Deregister => ClusterState::Deregistered,
        }
    }

    fn action(self) -> &'static str {
        match self {
            ClusterChange::Drain => "drain_cluster",
            ClusterChange::SetOffline => "set_cluster_offline",
            ClusterChange::Reactivate => "reactivate_cluster",
            ClusterChange::Deregister => "deregister_cluster",
        }
    }
}

/// Moves a cluster through the `ClusterState` table. The provider does
/// all of them; the admin may also deregister. Jobs already submitted are
/// not touched: a cluster that is not active only refuses new jobs and new
/// offerings.
pub fn change_state(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cluster_id: String,
    change: ClusterChange,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    validation::reason(&reason)?;
    let key = keys::cluster(deps.api, &cluster_id)?;
    let mut cluster = load_cluster(deps.storage, &key)?;
    let is_provider = info.sender == cluster.provider;
    let (authorised, allowed) = match change {
        ClusterChange::Deregister => (
            is_provider || info.sender == CONFIG.load(deps.storage)?.admin,
            "the cluster's provider or the admin",
        ),
        _ => (is_provider, "the cluster's provider"),
    };
    if !authorised {
        return Err(CommonError::Unauthorized {
            action: change.action(),
            allowed,
        }
        .into());
    }
    let from = cluster.state;
    let to = change.target();
    ensure_transition("cluster", &cluster_id, from, to)?;

    cluster.state = to;
    // Back to active clears the reason of the previous state.
    cluster.state_reason = reason;
    cluster.version += 1;
    cluster.updated_at = env.block.time;
    CLUSTERS.save(deps.storage, key, &cluster)?;
    Ok(Response::new()
        .add_attribute("action", change.action())
        .add_event(events::cluster_state_changed(&cluster, from)))
}
