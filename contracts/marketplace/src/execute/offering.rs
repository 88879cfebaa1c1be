use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Response, Storage};
use ve_cw::CommonError;
use ve_types::OfferingState;

use super::{ensure_transition, load_offering};
use crate::error::ContractError;
use crate::events;
use crate::funds;
use crate::keys;
use crate::msg::{EncryptedSecrets, OfferingFields, OfferingUpdate};
use crate::state::{
    insert_offering, update_offering, Offering, CONFIG, OFFERING_SECRETS, OFFERING_SEQ,
    WALDUR_OFFERINGS,
};
use crate::validation;

pub fn create(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    fields: OfferingFields,
    secrets: Option<EncryptedSecrets>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    validation::offering_fields(&fields)?;
    if let Some(s) = &secrets {
        validation::secrets(s)?;
    }
    let offering = new_offering(
        deps.storage,
        &env,
        info.sender,
        fields,
        OfferingState::Active,
    )?;
    if let Some(s) = secrets {
        OFFERING_SECRETS.save(deps.storage, offering.key(), &s)?;
    }
    let id = offering.offering_id().text();
    Ok(Response::new()
        .add_attribute("action", "create_offering")
        .add_attribute("offering_id", &id)
        .add_event(events::offering("offering_created", &offering))
        .set_data(cosmwasm_std::to_json_binary(&id)?))
}

/// Stores a new offering with the provider's next sequence.
fn new_offering(
    storage: &mut dyn Storage,
    env: &Env,
    provider: Addr,
    fields: OfferingFields,
    state: OfferingState,
) -> Result<Offering, ContractError> {
    let sequence = OFFERING_SEQ
        .may_load(storage, &provider)?
        .unwrap_or_default()
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("offering sequence", "exhausted"))?;
    OFFERING_SEQ.save(storage, &provider, &sequence)?;
    let offering = Offering {
        provider,
        sequence,
        state,
        name: fields.name,
        description: fields.description,
        category: fields.category,
        pricing: fields.pricing,
        regions: fields.regions,
        tags: fields.tags,
        specifications: fields.specifications,
        min_identity_score: fields.min_identity_score,
        require_mfa_for_orders: fields.require_mfa_for_orders,
        state_reason: None,
        version: 1,
        total_order_count: 0,
        created_at: env.block.time,
        updated_at: env.block.time,
    };
    insert_offering(storage, &offering)?;
    Ok(offering)
}

/// A Waldur offering pushed on chain by the callback contract (VE-3D
/// ingestion): the first ingest creates the provider's offering, later
/// ones replace its fields and move its state along the table.
pub fn ingest(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    provider: String,
    waldur_id: String,
    fields: OfferingFields,
    state: OfferingState,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let config = CONFIG.load(deps.storage)?;
    match &config.callback_contract {
        None => return Err(ContractError::NoCallbackContract),
        Some(c) if *c != info.sender => {
            return Err(CommonError::Unauthorized {
                action: "ingest an offering",
                allowed: "the waldur-callback contract",
            }
            .into())
        }
        Some(_) => {}
    }
    let provider = validation::address(deps.api, "provider", &provider)?;
    validation::backend_id(&waldur_id)?;
    validation::offering_fields(&fields)?;
    let binding = WALDUR_OFFERINGS.may_load(deps.storage, (&provider, &waldur_id))?;
    let response = Response::new()
        .add_attribute("action", "ingest_offering")
        .add_attribute("waldur_id", &waldur_id);
    let Some(sequence) = binding else {
        if !matches!(state, OfferingState::Active | OfferingState::Paused) {
            return Err(ContractError::invalid(
                "state",
                format!("a new offering is ingested active or paused, not {state}"),
            ));
        }
        let offering = new_offering(deps.storage, &env, provider.clone(), fields, state)?;
        WALDUR_OFFERINGS.save(deps.storage, (&provider, &waldur_id), &offering.sequence)?;
        return Ok(response
            .add_attribute("offering_id", offering.offering_id().text())
            .add_event(
                events::offering("offering_created", &offering)
                    .add_attribute("waldur_id", waldur_id),
            ));
    };
    let key = (provider, sequence);
    let mut offering = load_offering(deps.storage, &key)?;
    let id = offering.offering_id().text();
    let from = offering.state;
    if from == OfferingState::Terminated {
        return Err(CommonError::WrongState {
            entity: "offering",
            id,
            state: from.to_string(),
            expected: "an offering that is not terminated",
        }
        .into());
    }
    if from != state {
        ensure_transition("offering", &id, from, state)?;
        // The ingest speaks for the provider (its signed Waldur callback):
        // it may make the state changes the provider may make itself, and
        // no other (an admin suspension stays until the admin lifts it).
        let allowed = Authority::of(from, state);
        if !allowed.provider {
            return Err(ContractError::IngestStateUnauthorized {
                id,
                from: from.to_string(),
                to: state.to_string(),
                allowed: allowed.describe(),
            });
        }
    }
    offering.name = fields.name;
    offering.description = fields.description;
    let old_category = offering.category;
    offering.category = fields.category;
    offering.pricing = fields.pricing;
    offering.regions = fields.regions;
    offering.tags = fields.tags;
    offering.specifications = fields.specifications;
    offering.min_identity_score = fields.min_identity_score;
    offering.require_mfa_for_orders = fields.require_mfa_for_orders;
    offering.state = state;
    offering.version += 1;
    offering.updated_at = env.block.time;
    update_offering(deps.storage, &offering, from, old_category)?;
    let mut response = response.add_attribute("offering_id", &id).add_event(
        events::offering("offering_updated", &offering).add_attribute("waldur_id", waldur_id),
    );
    if from != state {
        response = response.add_event(events::offering_state_changed(&offering, from));
    }
    Ok(response)
}

/// Whether the update names no field to replace.
fn changes_nothing(update: &OfferingUpdate) -> bool {
    update.name.is_none()
        && update.description.is_none()
        && update.pricing.is_none()
        && update.regions.is_none()
        && update.tags.is_none()
        && update.specifications.is_none()
        && update.min_identity_score.is_none()
        && update.require_mfa_for_orders.is_none()
        && update.encrypted_secrets.is_none()
}

fn validate_update(update: &OfferingUpdate) -> Result<(), ContractError> {
    if let Some(n) = &update.name {
        validation::text("name", n, validation::MAX_NAME_CHARS, false)?;
    }
    if let Some(d) = &update.description {
        validation::text("description", d, validation::MAX_DESCRIPTION_CHARS, true)?;
    }
    if let Some(p) = &update.pricing {
        p.validate()?;
    }
    if let Some(r) = &update.regions {
        validation::regions(r)?;
    }
    if let Some(t) = &update.tags {
        validation::tags(t)?;
    }
    if let Some(s) = &update.specifications {
        validation::attributes("specifications", s)?;
    }
    if let Some(score) = update.min_identity_score {
        validation::identity_score(score)?;
    }
    if let Some(s) = &update.encrypted_secrets {
        validation::secrets(s)?;
    }
    Ok(())
}

pub fn update(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    update: OfferingUpdate,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::offering(deps.api, &update.offering_id)?;
    let mut offering = load_offering(deps.storage, &key)?;
    if info.sender != offering.provider {
        return Err(CommonError::Unauthorized {
            action: "update an offering",
            allowed: "its provider",
        }
        .into());
    }
    if offering.state == OfferingState::Terminated {
        return Err(CommonError::WrongState {
            entity: "offering",
            id: update.offering_id,
            state: offering.state.to_string(),
            expected: "an offering that is not terminated",
        }
        .into());
    }
    if changes_nothing(&update) {
        return Err(CommonError::NothingToUpdate.into());
    }
    validate_update(&update)?;

    let OfferingUpdate {
        offering_id,
        name,
        description,
        pricing,
        regions,
        tags,
        specifications,
        min_identity_score,
        require_mfa_for_orders,
        encrypted_secrets,
    } = update;
    // Each field is replaced only when given: an omitted field never
    // changes anything (the reference deactivated on an omitted flag).
    offering.name = name.unwrap_or(offering.name);
    offering.description = description.unwrap_or(offering.description);
    offering.pricing = pricing.unwrap_or(offering.pricing);
    offering.regions = regions.unwrap_or(offering.regions);
    offering.tags = tags.unwrap_or(offering.tags);
    offering.specifications = specifications.unwrap_or(offering.specifications);
    offering.min_identity_score = min_identity_score.unwrap_or(offering.min_identity_score);
    offering.require_mfa_for_orders =
        require_mfa_for_orders.unwrap_or(offering.require_mfa_for_orders);
    if let Some(s) = encrypted_secrets {
        OFFERING_SECRETS.save(deps.storage, key.clone(), &s)?;
    }
    offering.version += 1;
    offering.updated_at = env.block.time;
    // An update changes neither the state nor the category.
    let (state, category) = (offering.state, offering.category);
    update_offering(deps.storage, &offering, state, category)?;
    Ok(Response::new()
        .add_attribute("action", "update_offering")
        .add_attribute("offering_id", offering_id)
        .add_event(events::offering("offering_updated", &offering)))
}

/// Who may move an offering from one state to another, whatever the path
/// (the provider's or the admin's own message, or an ingest from the
/// provider's Waldur, which acts for the provider).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Authority {
    pub provider: bool,
    pub admin: bool,
}

impl Authority {
    pub const fn of(from: OfferingState, to: OfferingState) -> Authority {
        use OfferingState as S;
        let (provider, admin) = match (from, to) {
            // Suspension is governance: set and lifted by the admin only.
            (_, S::Suspended) | (S::Suspended, S::Active) => (false, true),
            (_, S::Terminated) => (true, true),
            (_, S::Active | S::Paused | S::Deprecated) => (true, false),
        };
        Authority { provider, admin }
    }

    pub const fn describe(self) -> &'static str {
        match (self.provider, self.admin) {
            (true, true) => "the offering's provider or the admin",
            (true, false) => "the offering's provider",
            (false, true) => "the admin",
            (false, false) => "nobody",
        }
    }
}

/// The offering state changes, each its own message.
#[derive(Clone, Copy)]
pub enum StateChange {
    Pause,
    Resume,
    Deprecate,
    Terminate,
    Suspend,
}

impl StateChange {
    fn target(self) -> OfferingState {
        match self {
            StateChange::Pause => OfferingState::Paused,
            StateChange::Resume => OfferingState::Active,
            StateChange::Deprecate => OfferingState::Deprecated,
            StateChange::Terminate => OfferingState::Terminated,
            StateChange::Suspend => OfferingState::Suspended,
        }
    }

    fn action(self) -> &'static str {
        match self {
            StateChange::Pause => "pause_offering",
            StateChange::Resume => "resume_offering",
            StateChange::Deprecate => "deprecate_offering",
            StateChange::Terminate => "terminate_offering",
            StateChange::Suspend => "suspend_offering",
        }
    }
}

pub fn change_state(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    offering_id: String,
    change: StateChange,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    validation::reason(&reason)?;
    let key = keys::offering(deps.api, &offering_id)?;
    let mut offering = load_offering(deps.storage, &key)?;
    let admin = CONFIG.load(deps.storage)?.admin;
    let is_provider = info.sender == offering.provider;
    let is_admin = info.sender == admin;
    let from = offering.state;

    let to = change.target();
    // Lifting a governance suspension is governance's call (see Authority).
    let allowed = Authority::of(from, to);
    if !((allowed.provider && is_provider) || (allowed.admin && is_admin)) {
        return Err(CommonError::Unauthorized {
            action: change.action(),
            allowed: allowed.describe(),
        }
        .into());
    }
    ensure_transition("offering", &offering_id, from, to)?;

    offering.state = to;
    offering.state_reason = reason;
    offering.version += 1;
    offering.updated_at = env.block.time;
    let category = offering.category;
    update_offering(deps.storage, &offering, from, category)?;
    Ok(Response::new()
        .add_attribute("action", change.action())
        .add_attribute("offering_id", offering_id)
        .add_event(events::offering_state_changed(&offering, from)))
}
