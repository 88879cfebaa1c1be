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
    AGENT_DRIVEN_TYPES,
};
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

/// The fields of a new Create order, already validated.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    pub offering_uuid: String,
    pub project_uuid: String,
    pub plan_uuid: Option<String>,
    pub attributes: Value,
    pub limits: BTreeMap<String, i64>,
    pub callback_url: Option<String>,
    pub request_comment: Option<String>,
    pub start_date: Option<String>,
}

/// Creates the order and its resource (state `Creating`). The provider
/// review is never skipped for the agent-driven offerings this emulator
/// serves, so every order starts in `pending-provider`.
pub fn create_order(store: &mut Store, new: NewOrder) -> ApiResult<String> {
    let offering = store
        .offerings
        .get(&new.offering_uuid)
        .ok_or_else(|| crate::validate::missing_object("offering"))?;
    if offering.state != OfferingState::Active {
        return Err(ApiError::field("offering", "Offering is not available."));
    }
    if let Some(plan_uuid) = &new.plan_uuid {
        if !offering.plans.iter().any(|plan| &plan.uuid == plan_uuid) {
            return Err(ApiError::field(
                "plan",
                "This plan is not available for selected offering.",
            ));
        }
    }
    if !store.projects.contains_key(&new.project_uuid) {
        return Err(crate::validate::missing_object("project"));
    }
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
    );
    if let Some(order) = store.orders.get_mut(&order_uuid) {
        order.callback_url = new.callback_url;
        order.request_comment = new.request_comment;
        order.start_date = new.start_date;
    }
    Ok(order_uuid)
}

/// Inserts an order of `kind` for an existing resource, in `pending-provider`.
fn insert_order(
    store: &mut Store,
    kind: OrderKind,
    resource_uuid: &str,
    attributes: Value,
    limits: BTreeMap<String, i64>,
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
    store.orders.insert(
        uuid.clone(),
        OrderRecord {
            uuid: uuid.clone(),
            seq,
            created: now.clone(),
            modified: now,
            completed_at: None,
            offering_uuid,
            project_uuid,
            plan_uuid,
            resource_uuid: resource_uuid.to_owned(),
            kind,
            state: OrderState::PendingProvider,
            attributes,
            limits,
            backend_id: String::new(),
            error_message: String::new(),
            error_traceback: String::new(),
            callback_url: None,
            request_comment: None,
            provider_rejection_comment: String::new(),
            provider_reviewed_at: None,
            start_date: None,
        },
    );
    uuid
}

/// Moves an order through `action` and lets its resource follow.
pub fn apply_order_action(store: &mut Store, uuid: &str, action: OrderAction) -> ApiResult<()> {
    let order = store.orders.get(uuid).ok_or_else(ApiError::not_found)?;
    let offering_type = store
        .offerings
        .get(&order.offering_uuid)
        .map(|o| o.offering_type.clone())
        .unwrap_or_default();
    let supported = match action {
        OrderAction::SetStateExecuting => offering_type == "Marketplace.Slurm",
        OrderAction::SetStateDone => AGENT_DRIVEN_TYPES.contains(&offering_type.as_str()),
        _ => true,
    };
    if !supported {
        return Err(ApiError::bare(format!(
            "This operation is not supported for offering type {offering_type}."
        )));
    }
    let new_state = order_transition(order.state, action).map_err(ApiError::wrong_state)?;
    let kind = order.kind;
    let resource_uuid = order.resource_uuid.clone();
    let new_limits = order.limits.clone();
    let now = now_iso();
    if let Some(order) = store.orders.get_mut(uuid) {
        order.state = new_state;
        order.modified = now.clone();
        if action == OrderAction::ApproveByProvider {
            order.provider_reviewed_at = Some(now.clone());
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

/// `terminate`: creates a Terminate order in `pending-provider`.
///
/// As in waldur-mastermind: the action's `StateValidator(OK, Erred)` runs
/// first (409 `Valid states for operation: OK, Erred.`, views.py
/// `terminate_validators`), then `validate_order` refuses a resource with
/// an order in pending-consumer, pending-provider or executing with 400
/// and a bare list (serializers.py `check_pending_order_exists`), not 409.
pub fn terminate_resource(store: &mut Store, uuid: &str, attributes: Value) -> ApiResult<String> {
    let resource = store.resources.get(uuid).ok_or_else(ApiError::not_found)?;
    resource_can_terminate(resource.state).map_err(ApiError::wrong_state)?;
    let busy = store
        .orders
        .values()
        .any(|o| o.resource_uuid == uuid && order_blocks_new_orders(o.state));
    if busy {
        return Err(ApiError::bare("Pending order for resource already exists."));
    }
    Ok(insert_order(
        store,
        OrderKind::Terminate,
        uuid,
        attributes,
        BTreeMap::new(),
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
