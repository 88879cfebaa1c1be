//! State-changing operations shared by the HTTP handlers and the test
//! helpers, so that a seeded object obeys the same rules as one created
//! through the API.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::api_error::{ApiError, ApiResult};
use crate::clock::{now_iso, today, Date};
use crate::ids::{new_uuid, slugify};
use crate::model::{
    format_hundredths, BillingType, CategoryRecord, ComponentRecord, CustomerRecord,
    OfferingRecord, OfferingState, OrderKind, OrderRecord, OrderState, PlanPeriodRecord,
    PlanRecord, ProjectRecord, ResourceRecord, ResourceState, Store, UsageRecord,
};
use crate::roles::{Caller, Role};
use crate::rules::{
    order_blocks_new_orders, order_is_terminal, order_transition, resource_accepts_usage,
    resource_can_terminate, resource_follows_order, OrderAction,
};

pub fn insert_customer(store: &mut Store, name: &str) -> String {
    let uuid = new_uuid();
    let seq = store.next_seq();
    let abbreviation: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    store.customers.insert(
        uuid.clone(),
        CustomerRecord {
            uuid: uuid.clone(),
            seq,
            created: now_iso(),
            name: name.to_owned(),
            slug: slugify(name),
            abbreviation,
            backend_id: String::new(),
        },
    );
    uuid
}

/// `None` when the customer does not exist.
pub fn insert_project(store: &mut Store, customer_uuid: &str, name: &str) -> Option<String> {
    if !store.customers.contains_key(customer_uuid) {
        return None;
    }
    let uuid = new_uuid();
    let seq = store.next_seq();
    store.projects.insert(
        uuid.clone(),
        ProjectRecord {
            uuid: uuid.clone(),
            seq,
            created: now_iso(),
            customer_uuid: customer_uuid.to_owned(),
            name: name.to_owned(),
            slug: slugify(name),
            backend_id: String::new(),
        },
    );
    Some(uuid)
}

pub fn insert_category(store: &mut Store, title: &str) -> String {
    let uuid = new_uuid();
    let seq = store.next_seq();
    store.categories.insert(
        uuid.clone(),
        CategoryRecord {
            uuid: uuid.clone(),
            seq,
            title: title.to_owned(),
            description: String::new(),
        },
    );
    uuid
}

/// The fields of a new offering, already validated.
#[derive(Debug, Clone)]
pub struct NewOffering {
    pub name: String,
    pub slug: Option<String>,
    pub customer_uuid: String,
    pub category_uuid: String,
    pub offering_type: String,
    pub state: OfferingState,
    pub description: String,
    pub full_description: String,
    pub terms_of_service: String,
    pub terms_of_service_link: String,
    pub attributes: Value,
    pub plugin_options: Value,
    pub backend_metadata: Value,
    pub components: Vec<ComponentRecord>,
    pub plans: Vec<PlanRecord>,
    pub shared: bool,
    pub billable: bool,
    pub backend_id: String,
}

pub fn insert_offering(store: &mut Store, new: NewOffering) -> String {
    let uuid = new_uuid();
    let seq = store.next_seq();
    let slug = new.slug.unwrap_or_else(|| slugify(&new.name));
    store.offerings.insert(
        uuid.clone(),
        OfferingRecord {
            uuid: uuid.clone(),
            seq,
            created: now_iso(),
            name: new.name,
            slug,
            description: new.description,
            full_description: new.full_description,
            privacy_policy_link: String::new(),
            terms_of_service: new.terms_of_service,
            terms_of_service_link: new.terms_of_service_link,
            access_url: String::new(),
            getting_started: String::new(),
            integration_guide: String::new(),
            customer_uuid: new.customer_uuid,
            category_uuid: new.category_uuid,
            offering_type: new.offering_type,
            state: new.state,
            paused_reason: String::new(),
            attributes: new.attributes,
            plugin_options: new.plugin_options,
            backend_metadata: new.backend_metadata,
            components: new.components,
            plans: new.plans,
            shared: new.shared,
            billable: new.billable,
            backend_id: new.backend_id,
        },
    );
    uuid
}

/// The fields of a new Create order, already parsed.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    pub offering_uuid: String,
    pub project_uuid: String,
    pub plan_uuid: Option<String>,
    pub attributes: Value,
    pub limits: BTreeMap<String, i64>,
    pub accepting_terms_of_service: bool,
    pub callback_url: Option<String>,
    pub request_comment: Option<String>,
    pub start_date: Option<String>,
}

/// The caller of the test helpers (`seed_order`): the provider's token.
pub fn provider_caller() -> Caller {
    Caller {
        username: "provider".to_owned(),
        role: Role::Provider { staff: false },
    }
}

/// Creates a Create order and its resource (state `Creating`) with
/// Waldur's checks, in their order: the fields (serializers.py
/// `BaseItemSerializer` hyperlinks and `validate_offering`), then
/// `BaseItemSerializer.validate` (plan, limits), then
/// `OrderCreateSerializer.validate` (terms of service), then
/// `validate_order` (private offerings). The order starts where
/// handlers.py `notify_approvers_when_order_is_created` puts it.
pub fn create_order(store: &mut Store, new: NewOrder, caller: &Caller) -> ApiResult<String> {
    let offering = store
        .offerings
        .get(&new.offering_uuid)
        .ok_or_else(|| crate::validate::missing_object("offering"))?;
    // `BaseItemSerializer.validate_offering`: Active only (validate_order
    // would also take Paused, but this check runs first).
    if offering.state != OfferingState::Active {
        return Err(ApiError::field("offering", "Offering is not available."));
    }
    // The project field's queryset holds only the caller's projects
    // (`PermissionFieldFilteringMixin`).
    let project = store
        .projects
        .get(&new.project_uuid)
        .filter(|p| caller.sees_project(&p.uuid))
        .ok_or_else(|| crate::validate::missing_object("project"))?;
    if let Some(plan_uuid) = &new.plan_uuid {
        // The plan field's queryset is every plan (`Plan.objects.all()`).
        let plan_of = store.offerings.values().find_map(|o| {
            o.plans
                .iter()
                .find(|p| &p.uuid == plan_uuid)
                .map(|p| (o, p))
        });
        let Some((plan_offering, plan)) = plan_of else {
            return Err(crate::validate::missing_object("plan"));
        };
        // `BaseItemSerializer.validate`.
        if plan_offering.uuid != offering.uuid {
            return Err(ApiError::field(
                "plan",
                "This plan is not available for selected offering.",
            ));
        }
        // serializers.py `validate_plan` with models.py `Plan.is_active`:
        // `max_amount` resources that are not Terminated.
        if let Some(max_amount) = plan.max_amount.filter(|amount| *amount > 0) {
            let in_use = store
                .resources
                .values()
                .filter(|r| {
                    r.plan_uuid.as_deref() == Some(plan_uuid.as_str())
                        && r.state != ResourceState::Terminated
                })
                .count();
            if i64::try_from(in_use).unwrap_or(i64::MAX) >= max_amount {
                return Err(ApiError::field(
                    "plan",
                    "Plan is not available because limit has been reached.",
                ));
            }
        }
    }
    if !new.limits.is_empty() {
        validate_limits(store, offering, &new.limits, None)?;
    }
    // `OrderCreateSerializer.validate`: raised without a field, so DRF
    // files it under `non_field_errors`; `%s` is `str(offering)`, its name.
    // Waldur 8 keeps consents of their own (`marketplace-user-offering-
    // consents/`); the emulator takes one as acceptance too.
    let consented = store
        .consents
        .contains(&(caller.username.clone(), offering.uuid.clone()));
    if offering.shared
        && !offering.terms_of_service.is_empty()
        && !new.accepting_terms_of_service
        && !consented
    {
        return Err(ApiError::field(
            "non_field_errors",
            format!(
                "Terms of service for offering '{}' have not been accepted.",
                offering.name
            ),
        ));
    }
    // serializers.py `validate_private_offering`, raised from `create()`
    // outside `is_valid`, hence a bare list.
    if !offering.shared && offering.customer_uuid != project.customer_uuid {
        let customer_name = store
            .customers
            .get(&project.customer_uuid)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        return Err(ApiError::bare(format!(
            "Offering \"{}\" is not allowed in organization \"{}\".",
            offering.name, customer_name
        )));
    }
    let initial_state = initial_order_state(offering, &project.customer_uuid, caller);
    let name = new
        .attributes
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{} resource", offering.name), str::to_owned);
    let now = now_iso();
    let resource_uuid = new_uuid();
    let resource_seq = store.next_seq();
    store.resources.insert(
        resource_uuid.clone(),
        ResourceRecord {
            uuid: resource_uuid.clone(),
            seq: resource_seq,
            created: now.clone(),
            modified: now.clone(),
            slug: slugify(&name),
            name,
            description: String::new(),
            offering_uuid: new.offering_uuid.clone(),
            project_uuid: new.project_uuid.clone(),
            plan_uuid: new.plan_uuid.clone(),
            state: ResourceState::Creating,
            backend_id: String::new(),
            limits: new.limits.clone(),
            paused: false,
            attributes: new.attributes.clone(),
            current_usages: BTreeMap::new(),
            report: Vec::new(),
            error_message: String::new(),
            error_traceback: String::new(),
            end_date: None,
        },
    );
    let order_uuid = insert_order(
        store,
        OrderKind::Create,
        &resource_uuid,
        new.attributes,
        new.limits,
        caller,
        initial_state,
    );
    if let Some(order) = store.orders.get_mut(&order_uuid) {
        order.callback_url = new.callback_url;
        order.request_comment = new.request_comment;
        order.start_date = new.start_date;
    }
    Ok(order_uuid)
}

/// marketplace/utils.py `validate_limits`: the offering's plugin must
/// allow limits, every key must be a `limit` component
/// (`get_components_map`), and each value must respect the component's
/// `min_value`/`max_value` (`validate_min_max_limit`) and
/// `max_available_limit` (`validate_maximum_available_limit`). The
/// monthly/annual `limit_amount` check (`validate_limit_amount`) needs
/// component quotas, which are not emulated.
///
/// With `updated_resource` (an Update order, validated by the update
/// processor outside any serializer) that resource's own limits are left
/// out of the total and a message without a field is a bare list; for a
/// Create order (inside `BaseItemSerializer.validate`) it is filed under
/// `non_field_errors`.
fn validate_limits(
    store: &Store,
    offering: &OfferingRecord,
    limits: &BTreeMap<String, i64>,
    updated_resource: Option<&str>,
) -> ApiResult<()> {
    let fieldless = |message: String| {
        if updated_resource.is_some() {
            ApiError::bare(message)
        } else {
            ApiError::field("non_field_errors", message)
        }
    };
    if !crate::plugins::can_update_limits(&offering.offering_type) {
        return Err(ApiError::field(
            "limits",
            "Limits update is not supported for this resource.",
        ));
    }
    let limit_component = |key: &str| {
        offering
            .components
            .iter()
            .find(|c| c.component_type == key && c.billing_type == BillingType::Limit)
    };
    // Waldur joins a Python set, in no fixed order; sorted here.
    let invalid: Vec<&str> = limits
        .keys()
        .map(String::as_str)
        .filter(|key| limit_component(key).is_none())
        .collect();
    if !invalid.is_empty() {
        return Err(ApiError::field(
            "limits",
            format!("Invalid types: {}", invalid.join(", ")),
        ));
    }
    for (key, &value) in limits {
        let Some(component) = limit_component(key) else {
            continue;
        };
        // Python's truthiness: an unset or zero bound is no bound.
        if let Some(max) = component.max_value.filter(|max| *max != 0) {
            if value > max {
                return Err(fieldless(format!(
                    "The limit {value} value cannot be more than {max}."
                )));
            }
        }
        if let Some(min) = component.min_value.filter(|min| *min != 0) {
            if value < min {
                return Err(fieldless(format!(
                    "The limit {value} value cannot be less than {min}."
                )));
            }
        }
        if let Some(available) = component.max_available_limit.filter(|a| *a != 0) {
            let current_total = store
                .resources
                .values()
                .filter(|r| r.offering_uuid == offering.uuid)
                .filter(|r| Some(r.uuid.as_str()) != updated_resource)
                .filter_map(|r| r.limits.get(key))
                .fold(0_i64, |sum, v| sum.saturating_add(*v));
            if current_total.saturating_add(value) >= available {
                let room = available.saturating_sub(current_total);
                // `cores` in units, anything else taken as MB and shown
                // in whole GB (`math.floor(mb_to_gb(...))`).
                let can_allocate = if key == "cores" {
                    room.saturating_sub(1)
                } else {
                    room.div_euclid(1024)
                };
                return Err(fieldless(format!(
                    "Requested {key} cannot be provisioned due to offering safety limit. \
                     You can allocate up to {can_allocate} of {key}."
                )));
            }
        }
    }
    Ok(())
}

/// The state a new order starts in: handlers.py
/// `notify_approvers_when_order_is_created`. Without a consumer review
/// (permissions.py `order_should_not_be_reviewed_by_consumer`: staff, a
/// holder of `APPROVE_ORDER` on the project or its customer, or a shared
/// offering of the project's own customer with the plugin option
/// `auto_approve_in_service_provider_projects`) it goes on to
/// `pending-provider` or, when the provider need not review, `executing`.
fn initial_order_state(
    offering: &OfferingRecord,
    project_customer_uuid: &str,
    caller: &Caller,
) -> OrderState {
    let auto_approve_own_projects = offering.shared
        && offering.customer_uuid == project_customer_uuid
        && offering
            .plugin_options
            .get("auto_approve_in_service_provider_projects")
            == Some(&Value::Bool(true));
    let consumer_review_skipped =
        caller.is_staff() || caller.has_owner_permission() || auto_approve_own_projects;
    if !consumer_review_skipped {
        return OrderState::PendingConsumer;
    }
    after_consumer_review(offering, caller)
}

/// `pending-provider`, or `executing` when utils.py
/// `order_should_not_be_reviewed_by_provider` holds for `reviewer`.
fn after_consumer_review(offering: &OfferingRecord, reviewer: &Caller) -> OrderState {
    let auto_approve_remote =
        offering.plugin_options.get("auto_approve_remote_orders") == Some(&Value::Bool(true));
    // Only the provider token owns customers; staff is not an owner.
    let owns_provider = matches!(reviewer.role, Role::Provider { .. });
    if crate::plugins::provider_review_needed(
        &offering.offering_type,
        auto_approve_remote,
        owns_provider,
    ) {
        OrderState::PendingProvider
    } else {
        OrderState::Executing
    }
}

/// Inserts an order of `kind` for an existing resource.
fn insert_order(
    store: &mut Store,
    kind: OrderKind,
    resource_uuid: &str,
    attributes: Value,
    limits: BTreeMap<String, i64>,
    caller: &Caller,
    state: OrderState,
) -> String {
    let (offering_uuid, project_uuid, plan_uuid) = store
        .resources
        .get(resource_uuid)
        .map(|r| {
            (
                r.offering_uuid.clone(),
                r.project_uuid.clone(),
                r.plan_uuid.clone(),
            )
        })
        .unwrap_or_default();
    let uuid = new_uuid();
    let seq = store.next_seq();
    let now = now_iso();
    let consumer_reviewed = state != OrderState::PendingConsumer;
    store.orders.insert(
        uuid.clone(),
        OrderRecord {
            uuid: uuid.clone(),
            seq,
            created: now.clone(),
            modified: now.clone(),
            completed_at: None,
            offering_uuid,
            project_uuid,
            plan_uuid,
            resource_uuid: resource_uuid.to_owned(),
            kind,
            state,
            created_by: caller.username.clone(),
            consumer_reviewed_by: consumer_reviewed.then(|| caller.username.clone()),
            consumer_reviewed_at: consumer_reviewed.then_some(now),
            attributes,
            limits,
            backend_id: String::new(),
            error_message: String::new(),
            error_traceback: String::new(),
            callback_url: None,
            request_comment: None,
            provider_rejection_comment: String::new(),
            consumer_rejection_comment: String::new(),
            provider_reviewed_at: None,
            start_date: None,
        },
    );
    uuid
}

/// Moves an order through `action` as `caller` and lets its resource
/// follow, with the checks of marketplace/views.py `OrderViewSet` in
/// DRF's order: visibility (404), the action's permission (403), then its
/// validators: `StateValidator` (409) and `OfferingTypeValidator` (405).
pub fn apply_order_action(
    store: &mut Store,
    uuid: &str,
    action: OrderAction,
    caller: &Caller,
) -> ApiResult<()> {
    let order = store
        .orders
        .get(uuid)
        .filter(|o| caller.sees_project(&o.project_uuid))
        .ok_or_else(ApiError::not_found)?;
    match action {
        // permissions.py `user_can_reject_order_as_consumer`: the order's
        // creator or a holder of `REJECT_ORDER` on the project.
        OrderAction::RejectByConsumer => {
            if order.created_by != caller.username {
                caller.require_owner_permission()?;
            }
        }
        // `APPROVE_ORDER`/`REJECT_ORDER` on the offering's customer,
        // `APPROVE_ORDER`/`CANCEL_ORDER` on the project or its customer.
        _ => caller.require_owner_permission()?,
    }
    let offering = store
        .offerings
        .get(&order.offering_uuid)
        .ok_or_else(ApiError::not_found)?;
    let mut new_state = order_transition(order.state, action).map_err(ApiError::wrong_state)?;
    if let Some(types) = action.offering_types() {
        if !types.contains(&offering.offering_type.as_str()) {
            return Err(ApiError::method_not_allowed(format!(
                "The order's offering with {} type does not support this action",
                offering.offering_type
            )));
        }
    }
    if action == OrderAction::ApproveByConsumer {
        new_state = after_consumer_review(offering, caller);
    }
    // views.py `OrderViewSet.reject_by_consumer`, a bare 400.
    if action == OrderAction::RejectByConsumer && order.consumer_reviewed_by.is_some() {
        return Err(ApiError::bare("Order is already reviewed by consumer."));
    }
    let kind = order.kind;
    let resource_uuid = order.resource_uuid.clone();
    let new_limits = order.limits.clone();
    let now = now_iso();
    if let Some(order) = store.orders.get_mut(uuid) {
        order.state = new_state;
        order.modified = now.clone();
        match action {
            OrderAction::ApproveByProvider | OrderAction::RejectByProvider => {
                order.provider_reviewed_at = Some(now.clone());
            }
            OrderAction::ApproveByConsumer | OrderAction::RejectByConsumer => {
                order.consumer_reviewed_by = Some(caller.username.clone());
                order.consumer_reviewed_at = Some(now.clone());
            }
            _ => {}
        }
        if order_is_terminal(new_state) {
            order.completed_at = Some(now.clone());
        }
    }
    if let Some(resource_state) = resource_follows_order(kind, new_state) {
        if let Some(resource) = store.resources.get_mut(&resource_uuid) {
            resource.state = resource_state;
            resource.modified = now;
            if kind == OrderKind::Update && new_state == OrderState::Done {
                resource.limits = new_limits;
            }
            if resource_state == ResourceState::Terminated {
                resource.end_date = Some(today().iso());
            }
        }
    }
    Ok(())
}

/// A resource the caller may see: Waldur's querysets hold only the
/// caller's projects and customers, so any other is a 404.
pub fn visible_resource<'a>(
    store: &'a Store,
    uuid: &str,
    caller: &Caller,
) -> ApiResult<&'a ResourceRecord> {
    store
        .resources
        .get(uuid)
        .filter(|r| caller.sees_project(&r.project_uuid))
        .ok_or_else(ApiError::not_found)
}

/// `terminate`: creates a Terminate order in `pending-provider`.
///
/// As in waldur-mastermind: the action's `StateValidator(OK, Erred)` runs
/// first (409 `Valid states for operation: OK, Erred.`, views.py
/// `terminate_validators`), then `validate_order` refuses a resource with
/// an order in pending-consumer, pending-provider or executing with 400
/// and a bare list (serializers.py `check_pending_order_exists`), not 409.
pub fn terminate_resource(
    store: &mut Store,
    uuid: &str,
    attributes: Value,
    caller: &Caller,
) -> ApiResult<String> {
    let resource = visible_resource(store, uuid, caller)?;
    // permissions.py `user_can_terminate_resource`: `TERMINATE_RESOURCE`
    // on the project, its customer or the offering's customer.
    caller.require_owner_permission()?;
    resource_can_terminate(resource.state).map_err(ApiError::wrong_state)?;
    let busy = store
        .orders
        .values()
        .any(|o| o.resource_uuid == uuid && order_blocks_new_orders(o.state));
    if busy {
        return Err(ApiError::bare("Pending order for resource already exists."));
    }
    let project_customer = store
        .projects
        .get(&resource.project_uuid)
        .map(|p| p.customer_uuid.clone())
        .unwrap_or_default();
    let state = store
        .offerings
        .get(&resource.offering_uuid)
        .map_or(OrderState::PendingProvider, |offering| {
            initial_order_state(offering, &project_customer, caller)
        });
    Ok(insert_order(
        store,
        OrderKind::Terminate,
        uuid,
        attributes,
        BTreeMap::new(),
        caller,
        state,
    ))
}

/// `update_limits` (marketplace/views.py `ResourceViewSet.update_limits`):
/// creates an Update order carrying the new limits and
/// `attributes.old_limits`. Checks in Waldur's order: visibility (404),
/// `UPDATE_RESOURCE_LIMITS` (403), `StateValidator(OK)` (409), the body
/// (`ResourceUpdateLimitsSerializer`, done by the caller), unchanged
/// limits, then `validate_order` (offering available, no pending order)
/// and the update processor's `validate_limits`, all bare 400s.
pub fn update_resource_limits(
    store: &mut Store,
    uuid: &str,
    limits: BTreeMap<String, i64>,
    caller: &Caller,
) -> ApiResult<String> {
    let resource = visible_resource(store, uuid, caller)?;
    caller.require_owner_permission()?;
    if resource.state != ResourceState::Ok {
        return Err(ApiError::wrong_state(&["OK"]));
    }
    if resource.limits == limits {
        return Err(ApiError::bare(
            "Impossible to create update orders with limits set to exactly the same.",
        ));
    }
    let offering = store
        .offerings
        .get(&resource.offering_uuid)
        .ok_or_else(ApiError::not_found)?;
    // serializers.py `validate_order`: Active or Paused for non-Terminate.
    if !matches!(
        offering.state,
        OfferingState::Active | OfferingState::Paused
    ) {
        return Err(ApiError::bare("Offering is not available."));
    }
    let busy = store
        .orders
        .values()
        .any(|o| o.resource_uuid == uuid && order_blocks_new_orders(o.state));
    if busy {
        return Err(ApiError::bare("Pending order for resource already exists."));
    }
    validate_limits(store, offering, &limits, Some(uuid))?;
    let project_customer = store
        .projects
        .get(&resource.project_uuid)
        .map(|p| p.customer_uuid.clone())
        .unwrap_or_default();
    let state = initial_order_state(offering, &project_customer, caller);
    let attributes = serde_json::json!({ "old_limits": resource.limits });
    Ok(insert_order(
        store,
        OrderKind::Update,
        uuid,
        attributes,
        limits,
        caller,
        state,
    ))
}

/// One validated item of a `set_usage` request.
#[derive(Debug, Clone)]
pub struct UsageItem {
    pub component_type: String,
    pub hundredths: i128,
    pub description: String,
    pub recurring: bool,
}

/// The resource's open plan period, opened now (from the resource's
/// creation) if it has none. Waldur opens the first one when the resource
/// turns OK with a plan (marketplace `handlers.py`
/// `create_resource_plan_period_when_resource_is_created`); the emulator
/// opens it when usage first needs it, which leaves the order code alone.
/// `None` for a resource without a plan: Waldur opens no period then.
pub fn ensure_plan_period(store: &mut Store, resource_uuid: &str) -> Option<String> {
    let resource = store.resources.get(resource_uuid)?;
    let plan_uuid = resource.plan_uuid.clone()?;
    let has_period = store
        .plan_periods
        .values()
        .any(|p| p.resource_uuid == resource_uuid);
    if !has_period {
        let uuid = new_uuid();
        let start = resource.created.clone();
        store.plan_periods.insert(
            uuid.clone(),
            PlanPeriodRecord {
                uuid,
                resource_uuid: resource_uuid.to_owned(),
                plan_uuid,
                start,
                end: None,
            },
        );
    }
    plan_period_at(store, resource_uuid, &now_iso())
}

/// The plan period in force at `at`: started at or before it, not ended
/// by it, the latest start winning (waldur-mastermind
/// `marketplace/utils.py` `get_plan_period`).
pub fn plan_period_at(store: &Store, resource_uuid: &str, at: &str) -> Option<String> {
    store
        .plan_periods
        .values()
        .filter(|p| p.resource_uuid == resource_uuid)
        .filter(|p| p.start.as_str() <= at)
        .filter(|p| p.end.as_deref().is_none_or(|end| end > at))
        .max_by(|a, b| a.start.cmp(&b.start))
        .map(|p| p.uuid.clone())
}

/// Switches a resource's plan: its open plan period ends now and one for
/// `plan_uuid` starts (marketplace `handlers.py`
/// `switch_resource_plan_period_when_plan_is_updated`). In Waldur this
/// follows a done Update order from `marketplace-resources/{uuid}/switch_plan/`;
/// the emulator offers it as a control operation only.
pub fn switch_plan(store: &mut Store, resource_uuid: &str, plan_uuid: &str) -> ApiResult<String> {
    let resource = store
        .resources
        .get(resource_uuid)
        .ok_or_else(ApiError::not_found)?;
    let offered = store
        .offerings
        .get(&resource.offering_uuid)
        .is_some_and(|o| o.plans.iter().any(|plan| plan.uuid == plan_uuid));
    if !offered {
        return Err(ApiError::field(
            "plan",
            "This plan is not available for selected offering.",
        ));
    }
    ensure_plan_period(store, resource_uuid);
    let now = now_iso();
    for period in store.plan_periods.values_mut() {
        if period.resource_uuid == resource_uuid && period.end.is_none() {
            period.end = Some(now.clone());
        }
    }
    if let Some(resource) = store.resources.get_mut(resource_uuid) {
        resource.plan_uuid = Some(plan_uuid.to_owned());
        resource.modified = now.clone();
    }
    let uuid = new_uuid();
    store.plan_periods.insert(
        uuid.clone(),
        PlanPeriodRecord {
            uuid: uuid.clone(),
            resource_uuid: resource_uuid.to_owned(),
            plan_uuid: plan_uuid.to_owned(),
            start: now,
            end: None,
        },
    );
    Ok(uuid)
}

/// The resource of a `plan_period` named in `set_usage`, or the message
/// of its field error: unknown, or ended before this month
/// (marketplace `serializers.py` `ComponentUsageCreateSerializer.validate_plan_period`).
pub fn plan_period_resource(store: &Store, raw_uuid: &str) -> Result<String, String> {
    let period = store
        .plan_periods
        .get(&crate::ids::normalize_uuid(raw_uuid))
        .ok_or_else(|| format!("Object with uuid={raw_uuid} does not exist."))?;
    let month_start = format!("{}T00:00:00", today().month_start().iso());
    if period
        .end
        .as_deref()
        .is_some_and(|end| end < month_start.as_str())
    {
        return Err("Billing period is closed.".to_owned());
    }
    Ok(period.resource_uuid.clone())
}

/// `set_usage` after its fields are valid: the checks and the save of
/// marketplace `serializers.py` `ComponentUsageCreateSerializer.validate`
/// and `.save`. One row per (resource, component, plan period, billing
/// period) (marketplace `models.py` `ComponentUsage` constraints); a second
/// report in the same plan period and month replaces the amount.
/// `plan_period` is the one named in the request; otherwise the one in
/// force now.
pub fn set_usage(
    store: &mut Store,
    resource_uuid: &str,
    plan_period: Option<&str>,
    items: &[UsageItem],
    date: Option<&str>,
) -> ApiResult<()> {
    let resource = store
        .resources
        .get(resource_uuid)
        .ok_or_else(|| ApiError::field("resource", "Object does not exist."))?;
    if !resource_accepts_usage(resource.state) {
        return Err(ApiError::field(
            "resource",
            "Resource is not in valid state.",
        ));
    }
    let components = store
        .offerings
        .get(&resource.offering_uuid)
        .map(|o| o.components.clone())
        .unwrap_or_default();
    let mut invalid: Vec<&str> = items
        .iter()
        .filter(|item| {
            !components.iter().any(|c| {
                c.component_type == item.component_type
                    && matches!(c.billing_type, BillingType::Usage | BillingType::Limit)
            })
        })
        .map(|item| item.component_type.as_str())
        .collect();
    invalid.sort_unstable();
    invalid.dedup();
    if !invalid.is_empty() {
        // Raised in `validate`, so DRF files it under non_field_errors.
        return Err(ApiError::field(
            "non_field_errors",
            format!("These components are invalid: {}.", invalid.join(", ")),
        ));
    }
    let now = now_iso();
    let current_period = today().month_start();
    // `date` is new in 8.0.5 (the schema's "Date for usage reporting");
    // the 2024 source always uses this month.
    let (billing_period, date_text) = match date {
        Some(text) => {
            let day = Date::parse_prefix(text)
                .ok_or_else(|| ApiError::field("date", "Datetime has wrong format."))?;
            (day.month_start(), text.to_owned())
        }
        None => (current_period, now.clone()),
    };
    if billing_period < current_period {
        return Err(ApiError::bare("Billing period is closed."));
    }
    let plan_period = match plan_period {
        Some(uuid) => Some(uuid.to_owned()),
        None => ensure_plan_period(store, resource_uuid),
    };
    // Saved item by item as in Waldur (no transaction): a limit refusal
    // keeps the items before it.
    for item in items {
        let component = components
            .iter()
            .find(|c| c.component_type == item.component_type);
        if let Some(component) = component.filter(|c| c.billing_type == BillingType::Usage) {
            check_usage_limit(store, resource_uuid, component, item.hundredths, &now)?;
        }
        // Every row of the component in this month loses the flag first.
        for record in store.usages.values_mut() {
            if record.resource_uuid == resource_uuid
                && record.component_type == item.component_type
                && record.billing_period == billing_period
            {
                record.recurring = false;
            }
        }
        let existing = store.usages.values_mut().find(|u| {
            u.resource_uuid == resource_uuid
                && u.component_type == item.component_type
                && u.plan_period_uuid == plan_period
                && u.billing_period == billing_period
        });
        match existing {
            Some(record) => {
                record.hundredths = item.hundredths;
                record.description = item.description.clone();
                record.recurring = item.recurring;
                record.date = date_text.clone();
            }
            None => {
                let uuid = new_uuid();
                let seq = store.next_seq();
                store.usages.insert(
                    uuid.clone(),
                    UsageRecord {
                        uuid,
                        seq,
                        created: now.clone(),
                        resource_uuid: resource_uuid.to_owned(),
                        component_type: item.component_type.clone(),
                        hundredths: item.hundredths,
                        description: item.description.clone(),
                        date: date_text.clone(),
                        billing_period,
                        recurring: item.recurring,
                        plan_period_uuid: plan_period.clone(),
                    },
                );
            }
        }
    }
    if let Some(resource) = store.resources.get_mut(resource_uuid) {
        resource.current_usages = items
            .iter()
            .map(|item| (item.component_type.clone(), item.hundredths))
            .collect();
        resource.modified = now;
    }
    Ok(())
}

/// marketplace `models.py` `OfferingComponent.validate_amount`: with a
/// `limit_period` and `limit_amount`, the rows of the period plus the new
/// amount may not pass the limit. Waldur's monthly filter is
/// `date == month_start(now)` (midnight on the 1st), which only a row
/// dated exactly then matches; it is kept as written. The annual one sums
/// the year's rows, the one being replaced included.
fn check_usage_limit(
    store: &Store,
    resource_uuid: &str,
    component: &ComponentRecord,
    amount: i128,
    now: &str,
) -> ApiResult<()> {
    let (Some(period), Some(limit)) = (component.limit_period.as_deref(), component.limit_amount)
    else {
        return Ok(());
    };
    if period.is_empty() || limit == 0 {
        return Ok(());
    }
    let month_start = format!("{}T00:00:00", today().month_start().iso());
    let year = now.get(..4).unwrap_or_default();
    let counted = |date: &str| match period {
        "month" => date.strip_prefix(month_start.as_str()).is_some_and(|rest| {
            rest.chars()
                .all(|ch| matches!(ch, '.' | '0' | 'Z' | '+' | ':'))
        }),
        "annual" => date.starts_with(year),
        // `total`: every row.
        _ => true,
    };
    let total: i128 = store
        .usages
        .values()
        .filter(|u| {
            u.resource_uuid == resource_uuid && u.component_type == component.component_type
        })
        .filter(|u| counted(&u.date))
        .map(|u| u.hundredths)
        .sum();
    let with_new = total.saturating_add(amount);
    if with_new > i128::from(limit).saturating_mul(100) {
        return Err(ApiError::bare(format!(
            "Total amount exceeds limit. Total amount: {}, limit: {limit}.",
            format_hundredths(with_new)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period_ending(end: Option<String>) -> Store {
        let mut store = Store::default();
        store.plan_periods.insert(
            "aa".repeat(16),
            PlanPeriodRecord {
                uuid: "aa".repeat(16),
                resource_uuid: "bb".repeat(16),
                plan_uuid: "cc".repeat(16),
                start: "2020-01-01T00:00:00.000000Z".to_owned(),
                end,
            },
        );
        store
    }

    #[test]
    fn a_plan_period_ended_before_this_month_is_closed() {
        // `ComponentUsageCreateSerializer.validate_plan_period`.
        let last_month = today().previous_month_start().iso();
        let store = period_ending(Some(format!("{last_month}T12:00:00.000000Z")));
        assert_eq!(
            plan_period_resource(&store, &"aa".repeat(16)),
            Err("Billing period is closed.".to_owned())
        );
        let store = period_ending(Some(now_iso()));
        assert_eq!(
            plan_period_resource(&store, &"aa".repeat(16)),
            Ok("bb".repeat(16))
        );
        let store = period_ending(None);
        assert_eq!(
            plan_period_resource(&store, &"aa".repeat(16)),
            Ok("bb".repeat(16))
        );
    }
}
