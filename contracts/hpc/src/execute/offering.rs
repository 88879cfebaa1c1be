use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use ve_cw::CommonError;
use ve_types::ClusterState;

use super::{load_cluster, load_offering, next_sequence};
use crate::error::ContractError;
use crate::events;
use crate::funds;
use crate::keys;
use crate::msg::{HpcOfferingFields, HpcOfferingUpdate};
use crate::state::{offerings, HpcOffering, OFFERING_SEQ};
use crate::validation;

pub fn validate_fields(f: &HpcOfferingFields) -> Result<(), ContractError> {
    validation::name(&f.name)?;
    validation::text(
        "description",
        &f.description,
        validation::MAX_DESCRIPTION_CHARS,
        true,
    )?;
    validation::queues(&f.queues)?;
    validation::runtime_limit("max_runtime_seconds", f.max_runtime_seconds)?;
    validation::identity_score(f.min_identity_score)?;
    validation::denom(&f.denom)?;
    validation::price(f.price_per_node_hour)
}

/// The provider of an active cluster opens an offering on it.
pub fn create(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    cluster_id: String,
    fields: HpcOfferingFields,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let cluster_key = keys::cluster(deps.api, &cluster_id)?;
    let cluster = load_cluster(deps.storage, &cluster_key)?;
    if info.sender != cluster.provider {
        return Err(CommonError::Unauthorized {
            action: "create an hpc offering",
            allowed: "the cluster's provider",
        }
        .into());
    }
    if cluster.state != ClusterState::Active {
        return Err(CommonError::WrongState {
            entity: "cluster",
            id: cluster_id,
            state: cluster.state.to_string(),
            expected: "an active cluster",
        }
        .into());
    }
    validate_fields(&fields)?;

    let provider = info.sender;
    let sequence = next_sequence(deps.storage, &OFFERING_SEQ, &provider, "offering sequence")?;
    let offering = HpcOffering {
        provider,
        sequence,
        cluster_sequence: cluster.sequence,
        name: fields.name,
        description: fields.description,
        queues: fields.queues,
        max_runtime_seconds: fields.max_runtime_seconds,
        min_identity_score: fields.min_identity_score,
        denom: fields.denom,
        price_per_node_hour: fields.price_per_node_hour,
        active: true,
        version: 1,
        created_at: env.block.time,
        updated_at: env.block.time,
    };
    offerings().save(deps.storage, offering.key(), &offering)?;
    let id = offering.offering_id().text();
    Ok(Response::new()
        .add_attribute("action", "create_hpc_offering")
        .add_event(events::offering("hpc_offering_created", &offering))
        .set_data(cosmwasm_std::to_json_binary(&id)?))
}

/// The provider changes an offering. Jobs already submitted keep the
/// price, denom and limits they were submitted with.
pub fn update(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    update: HpcOfferingUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::offering(deps.api, &update.hpc_offering_id)?;
    let mut offering = load_offering(deps.storage, &key)?;
    if info.sender != offering.provider {
        return Err(CommonError::Unauthorized {
            action: "update an hpc offering",
            allowed: "its provider",
        }
        .into());
    }
    let cluster = load_cluster(deps.storage, &offering.cluster_key())?;
    if cluster.state == ClusterState::Deregistered {
        return Err(CommonError::WrongState {
            entity: "cluster",
            id: cluster.cluster_id().text(),
            state: cluster.state.to_string(),
            expected: "a cluster that is not deregistered",
        }
        .into());
    }
    let HpcOfferingUpdate {
        hpc_offering_id: _,
        name,
        description,
        queues,
        max_runtime_seconds,
        min_identity_score,
        denom,
        price_per_node_hour,
        active,
    } = update;
    if name.is_none()
        && description.is_none()
        && queues.is_none()
        && max_runtime_seconds.is_none()
        && min_identity_score.is_none()
        && denom.is_none()
        && price_per_node_hour.is_none()
        && active.is_none()
    {
        return Err(CommonError::NothingToUpdate.into());
    }
    // Each field is replaced only when given: an omitted field never
    // changes anything (the reference deactivated on an omitted flag).
    let fields = HpcOfferingFields {
        name: name.unwrap_or(offering.name),
        description: description.unwrap_or(offering.description),
        queues: queues.unwrap_or(offering.queues),
        max_runtime_seconds: max_runtime_seconds.unwrap_or(offering.max_runtime_seconds),
        min_identity_score: min_identity_score.unwrap_or(offering.min_identity_score),
        denom: denom.unwrap_or(offering.denom),
        price_per_node_hour: price_per_node_hour.unwrap_or(offering.price_per_node_hour),
    };
    validate_fields(&fields)?;
    offering.name = fields.name;
    offering.description = fields.description;
    offering.queues = fields.queues;
    offering.max_runtime_seconds = fields.max_runtime_seconds;
    offering.min_identity_score = fields.min_identity_score;
    offering.denom = fields.denom;
    offering.price_per_node_hour = fields.price_per_node_hour;
    offering.active = active.unwrap_or(offering.active);
    offering.version += 1;
    offering.updated_at = env.block.time;
    offerings().save(deps.storage, key, &offering)?;
    Ok(Response::new()
        .add_attribute("action", "update_hpc_offering")
        .add_event(events::offering("hpc_offering_updated", &offering)))
}
