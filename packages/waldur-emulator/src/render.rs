//! Records rendered as the JSON bodies of the Waldur 8.0.5 schema
//! (`ProviderOfferingDetails`, `OrderDetails`, `Resource`, ...).
//!
//! Fields the schema marks nullable are written as `null` when unset;
//! others are left out rather than sent as a `null` the schema forbids.

use serde_json::{json, Map, Value};

use crate::model::{
    format_hundredths, AllocationRecord, CategoryRecord, ComponentRecord, CustomerRecord,
    OfferingRecord, OrderRecord, PlanRecord, ProjectRecord, ResourceRecord, Store, UsageRecord,
};

/// Collection paths, relative to the API root.
pub mod paths {
    pub const PROVIDER_OFFERINGS: &str = "marketplace-provider-offerings/";
    pub const PUBLIC_OFFERINGS: &str = "marketplace-public-offerings/";
    pub const PLANS: &str = "marketplace-plans/";
    pub const CATEGORIES: &str = "marketplace-categories/";
    pub const ORDERS: &str = "marketplace-orders/";
    pub const RESOURCES: &str = "marketplace-resources/";
    pub const CUSTOMERS: &str = "customers/";
    pub const PROJECTS: &str = "projects/";
    pub const ALLOCATIONS: &str = "slurm-allocations/";
    pub const SLURM_JOBS: &str = "slurm-jobs/";
    pub const SERVICE_SETTINGS: &str = "service-settings/";
}

/// Renders records against one API root and the current store.
pub struct Renderer<'a> {
    pub base_url: &'a str,
    pub store: &'a Store,
}

impl Renderer<'_> {
    pub fn link(&self, collection: &str, uuid: &str) -> String {
        format!("{}{collection}{uuid}/", self.base_url)
    }

    /// `marketplace-public-offerings/<offering>/plans/<plan>/`, the plan
    /// link orders take and show.
    pub fn public_plan_link(&self, offering_uuid: &str, plan_uuid: &str) -> String {
        format!(
            "{}{}{offering_uuid}/plans/{plan_uuid}/",
            self.base_url,
            paths::PUBLIC_OFFERINGS
        )
    }

    pub(crate) fn customer_name(&self, uuid: &str) -> String {
        self.store
            .customers
            .get(uuid)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }

    fn customer_slug(&self, uuid: &str) -> String {
        self.store
            .customers
            .get(uuid)
            .map(|c| c.slug.clone())
            .unwrap_or_default()
    }

    pub fn customer(&self, customer: &CustomerRecord) -> Value {
        let projects_count = self
            .store
            .projects
            .values()
            .filter(|p| p.customer_uuid == customer.uuid)
            .count();
        json!({
            "url": self.link(paths::CUSTOMERS, &customer.uuid),
            "uuid": customer.uuid,
            "created": customer.created,
            "name": customer.name,
            "display_name": customer.name,
            "slug": customer.slug,
            "abbreviation": customer.abbreviation,
            "native_name": "",
            "backend_id": customer.backend_id,
            "email": "",
            "blocked": false,
            "archived": false,
            "is_service_provider": true,
            "service_provider_uuid": customer.uuid,
            "projects_count": projects_count,
            "users_count": 0,
        })
    }

    pub fn project(&self, project: &ProjectRecord) -> Value {
        let resources_count = self
            .store
            .resources
            .values()
            .filter(|r| r.project_uuid == project.uuid)
            .count();
        json!({
            "url": self.link(paths::PROJECTS, &project.uuid),
            "uuid": project.uuid,
            "name": project.name,
            "slug": project.slug,
            "customer": self.link(paths::CUSTOMERS, &project.customer_uuid),
            "customer_uuid": project.customer_uuid,
            "customer_name": self.customer_name(&project.customer_uuid),
            "customer_slug": self.customer_slug(&project.customer_uuid),
            "description": "",
            "created": project.created,
            "backend_id": project.backend_id,
            "start_date": null,
            "end_date": null,
            "kind": "default",
            "is_removed": false,
            "resources_count": resources_count,
        })
    }

    pub fn category(&self, category: &CategoryRecord) -> Value {
        let offering_count = self
            .store
            .offerings
            .values()
            .filter(|o| o.category_uuid == category.uuid)
            .count();
        json!({
            "url": self.link(paths::CATEGORIES, &category.uuid),
            "uuid": category.uuid,
            "title": category.title,
            "description": category.description,
            "offering_count": offering_count,
        })
    }

    pub fn component(&self, component: &ComponentRecord) -> Value {
        json!({
            "uuid": component.uuid,
            "billing_type": component.billing_type.as_str(),
            "type": component.component_type,
            "name": component.name,
            "description": component.description,
            "measured_unit": component.measured_unit,
            "unit_factor": component.unit_factor,
            "limit_period": component.limit_period,
            "limit_amount": component.limit_amount,
            "article_code": component.article_code,
            "min_value": component.min_value,
            "max_value": component.max_value,
            "max_available_limit": component.max_available_limit,
            "default_limit": component.default_limit,
            "is_boolean": component.is_boolean,
            "is_prepaid": component.is_prepaid,
            "is_builtin": false,
            "factor": component.unit_factor,
            "overage_component": null,
        })
    }

    pub fn plan(&self, plan: &PlanRecord) -> Value {
        json!({
            "url": self.link(paths::PLANS, &plan.uuid),
            "uuid": plan.uuid,
            "name": plan.name,
            "description": plan.description,
            "article_code": plan.article_code,
            "max_amount": plan.max_amount,
            "archived": plan.archived,
            "is_active": !plan.archived,
            "unit_price": plan.unit_price,
            "unit": plan.unit.as_str(),
            "backend_id": plan.backend_id,
            "components": [],
            "prices": {},
            "future_prices": {},
            "quotas": {},
            "resources_count": self
                .store
                .resources
                .values()
                .filter(|r| r.plan_uuid.as_deref() == Some(plan.uuid.as_str()))
                .count(),
        })
    }

    pub fn offering(&self, offering: &OfferingRecord) -> Value {
        let category = self.store.categories.get(&offering.category_uuid);
        let order_count = self
            .store
            .orders
            .values()
            .filter(|o| o.offering_uuid == offering.uuid)
            .count();
        let mut body = json!({
            "url": self.link(paths::PROVIDER_OFFERINGS, &offering.uuid),
            "uuid": offering.uuid,
            "created": offering.created,
            "name": offering.name,
            "slug": offering.slug,
            "description": offering.description,
            "full_description": offering.full_description,
            "getting_started": offering.getting_started,
            "integration_guide": offering.integration_guide,
            "customer": self.link(paths::CUSTOMERS, &offering.customer_uuid),
            "customer_uuid": offering.customer_uuid,
            "customer_name": self.customer_name(&offering.customer_uuid),
            "category": self.link(paths::CATEGORIES, &offering.category_uuid),
            "category_uuid": offering.category_uuid,
            "category_title": category.map(|c| c.title.clone()).unwrap_or_default(),
            "attributes": offering.attributes,
            "plugin_options": offering.plugin_options,
            "components": offering.components.iter().map(|c| self.component(c)).collect::<Vec<_>>(),
            "plans": offering.plans.iter().map(|p| self.plan(p)).collect::<Vec<_>>(),
            "state": offering.state.as_str(),
            "type": offering.offering_type,
            "shared": offering.shared,
            "billable": offering.billable,
            "backend_id": offering.backend_id,
            "backend_metadata": offering.backend_metadata,
            "paused_reason": offering.paused_reason,
            "order_count": order_count,
            "thumbnail": null,
            "image": null,
        });
        // URL fields are left out while blank: the schema declares them as
        // URIs, which an empty string is not.
        if let Value::Object(fields) = &mut body {
            for (key, value) in [
                ("privacy_policy_link", &offering.privacy_policy_link),
                ("access_url", &offering.access_url),
            ] {
                if !value.is_empty() {
                    fields.insert(key.into(), Value::String(value.clone()));
                }
            }
        }
        body
    }

    pub fn order(&self, order: &OrderRecord) -> Value {
        let offering = self.store.offerings.get(&order.offering_uuid);
        let project = self.store.projects.get(&order.project_uuid);
        let resource = self.store.resources.get(&order.resource_uuid);
        let customer_uuid = project.map(|p| p.customer_uuid.clone()).unwrap_or_default();
        let provider_uuid = offering
            .map(|o| o.customer_uuid.clone())
            .unwrap_or_default();
        let plan = order
            .plan_uuid
            .as_deref()
            .and_then(|uuid| offering.and_then(|o| o.plans.iter().find(|p| p.uuid == uuid)));
        let mut body = json!({
            "url": self.link(paths::ORDERS, &order.uuid),
            "uuid": order.uuid,
            "created": order.created,
            "modified": order.modified,
            "completed_at": order.completed_at,
            "type": order.kind.as_str(),
            "state": order.state.as_str(),
            "offering": self.link(paths::PUBLIC_OFFERINGS, &order.offering_uuid),
            "offering_uuid": order.offering_uuid,
            "offering_name": offering.map(|o| o.name.clone()).unwrap_or_default(),
            "offering_type": offering.map(|o| o.offering_type.clone()).unwrap_or_default(),
            "offering_shared": offering.is_some_and(|o| o.shared),
            "offering_billable": offering.is_some_and(|o| o.billable),
            "provider_uuid": provider_uuid,
            "provider_name": self.customer_name(&provider_uuid),
            "category_uuid": offering.map(|o| o.category_uuid.clone()).unwrap_or_default(),
            "plan_uuid": order.plan_uuid,
            "plan_name": plan.map(|p| p.name.clone()),
            "plan_unit": plan.map(|p| p.unit.as_str()),
            "attributes": order.attributes,
            "limits": order.limits,
            "marketplace_resource_uuid": order.resource_uuid,
            // The plugin scope object; agent-driven offerings have none.
            "resource_uuid": null,
            "resource_type": null,
            "resource_name": resource.map(|r| r.name.clone()).unwrap_or_default(),
            "project_uuid": order.project_uuid,
            "project_name": project.map(|p| p.name.clone()).unwrap_or_default(),
            "project_slug": project.map(|p| p.slug.clone()).unwrap_or_default(),
            "customer_uuid": customer_uuid,
            "customer_name": self.customer_name(&customer_uuid),
            "customer_slug": self.customer_slug(&customer_uuid),
            "cost": "0.00",
            "backend_id": order.backend_id,
            "error_message": order.error_message,
            "error_traceback": order.error_traceback,
            "callback_url": order.callback_url,
            "request_comment": order.request_comment,
            "start_date": order.start_date,
            "provider_reviewed_at": order.provider_reviewed_at,
            "consumer_reviewed_at": order.consumer_reviewed_at,
            "created_by_username": order.created_by,
            "provider_rejection_comment": order.provider_rejection_comment,
            "consumer_rejection_comment": order.consumer_rejection_comment,
            "can_terminate": false,
            "output": "",
        });
        // A username, not nullable in the schema: left out while unset.
        if let (Some(reviewer), Value::Object(fields)) = (&order.consumer_reviewed_by, &mut body) {
            fields.insert(
                "consumer_reviewed_by".into(),
                Value::String(reviewer.clone()),
            );
        }
        // serializers.py `PublicPlanField`: the plan of its public offering.
        if let (Some(plan_uuid), Value::Object(fields)) = (&order.plan_uuid, &mut body) {
            fields.insert(
                "plan".into(),
                Value::String(self.public_plan_link(&order.offering_uuid, plan_uuid)),
            );
        }
        body
    }

    pub fn resource(&self, resource: &ResourceRecord) -> Value {
        let offering = self.store.offerings.get(&resource.offering_uuid);
        let project = self.store.projects.get(&resource.project_uuid);
        let customer_uuid = project.map(|p| p.customer_uuid.clone()).unwrap_or_default();
        let provider_uuid = offering
            .map(|o| o.customer_uuid.clone())
            .unwrap_or_default();
        let plan = resource
            .plan_uuid
            .as_deref()
            .and_then(|uuid| offering.and_then(|o| o.plans.iter().find(|p| p.uuid == uuid)));
        let current_usages: Map<String, Value> = resource
            .current_usages
            .iter()
            .map(|(kind, hundredths)| (kind.clone(), json!(hundredths_as_number(*hundredths))))
            .collect();
        let report: Vec<Value> = resource
            .report
            .iter()
            .map(|(header, body)| json!({ "header": header, "body": body }))
            .collect();
        let components = offering
            .map(|o| o.components.as_slice())
            .unwrap_or_default();
        let has_billing = |types: &[&str]| {
            components
                .iter()
                .any(|c| types.contains(&c.billing_type.as_str()))
        };
        let order_in_progress = self
            .store
            .orders
            .values()
            .filter(|o| {
                o.resource_uuid == resource.uuid && !crate::rules::order_is_terminal(o.state)
            })
            .max_by_key(|o| o.seq)
            .map(|o| self.order(o));
        let creation_order = self
            .store
            .orders
            .values()
            .find(|o| o.resource_uuid == resource.uuid && o.kind == crate::model::OrderKind::Create)
            .map(|o| self.order(o));
        let mut body = json!({
            "url": self.link(paths::RESOURCES, &resource.uuid),
            "uuid": resource.uuid,
            "created": resource.created,
            "modified": resource.modified,
            "name": resource.name,
            "slug": resource.slug,
            "description": resource.description,
            "state": resource.state.as_str(),
            "backend_id": resource.backend_id,
            "offering": self.link(paths::PUBLIC_OFFERINGS, &resource.offering_uuid),
            "offering_uuid": resource.offering_uuid,
            "offering_name": offering.map(|o| o.name.clone()).unwrap_or_default(),
            "offering_type": offering.map(|o| o.offering_type.clone()).unwrap_or_default(),
            "offering_state": offering.map(|o| o.state.as_str()).unwrap_or("Active"),
            "offering_backend_id": offering.map(|o| o.backend_id.clone()).unwrap_or_default(),
            "offering_components": components.iter().map(|c| self.component(c)).collect::<Vec<_>>(),
            "provider_uuid": provider_uuid,
            "provider_name": self.customer_name(&provider_uuid),
            "plan_uuid": resource.plan_uuid,
            "plan_name": plan.map(|p| p.name.clone()),
            "plan_unit": plan.map(|p| p.unit.as_str()),
            "attributes": resource.attributes,
            "limits": resource.limits,
            "current_usages": current_usages,
            "report": report,
            "project": self.link(paths::PROJECTS, &resource.project_uuid),
            "project_uuid": resource.project_uuid,
            "project_name": project.map(|p| p.name.clone()).unwrap_or_default(),
            "project_slug": project.map(|p| p.slug.clone()).unwrap_or_default(),
            "customer_uuid": customer_uuid,
            "customer_name": self.customer_name(&customer_uuid),
            "customer_slug": self.customer_slug(&customer_uuid),
            "resource_uuid": null,
            "resource_type": null,
            "end_date": resource.end_date,
            "error_message": resource.error_message,
            "error_traceback": resource.error_traceback,
            "is_usage_based": has_billing(&["usage"]),
            "is_limit_based": has_billing(&["limit"]),
            "can_terminate": crate::rules::resource_can_terminate(resource.state).is_ok(),
            "paused": resource.paused,
            "downscaled": false,
            "order_in_progress": order_in_progress,
            "creation_order": creation_order,
        });
        if let (Some(plan_uuid), Value::Object(fields)) = (&resource.plan_uuid, &mut body) {
            fields.insert(
                "plan".into(),
                Value::String(self.link(paths::PLANS, plan_uuid)),
            );
        }
        body
    }

    pub fn usage(&self, usage: &UsageRecord) -> Value {
        let resource = self.store.resources.get(&usage.resource_uuid);
        let offering = resource.and_then(|r| self.store.offerings.get(&r.offering_uuid));
        let project = resource.and_then(|r| self.store.projects.get(&r.project_uuid));
        let component = offering.and_then(|o| {
            o.components
                .iter()
                .find(|c| c.component_type == usage.component_type)
        });
        let customer_uuid = project.map(|p| p.customer_uuid.clone()).unwrap_or_default();
        json!({
            "uuid": usage.uuid,
            "created": usage.created,
            "description": usage.description,
            "type": usage.component_type,
            "name": component.map(|c| c.name.clone()).unwrap_or_default(),
            "measured_unit": component.map(|c| c.measured_unit.clone()).unwrap_or_default(),
            // Waldur's model is Decimal(20,2) and DRF writes it as a string,
            // although the 8.0.5 schema calls it an integer.
            "usage": format_hundredths(usage.hundredths),
            "date": usage.date,
            "billing_period": usage.billing_period.iso(),
            "recurring": usage.recurring,
            "resource_uuid": usage.resource_uuid,
            "resource_name": resource.map(|r| r.name.clone()).unwrap_or_default(),
            "offering_uuid": offering.map(|o| o.uuid.clone()).unwrap_or_default(),
            "offering_name": offering.map(|o| o.name.clone()).unwrap_or_default(),
            "project_uuid": project.map(|p| p.uuid.clone()).unwrap_or_default(),
            "project_name": project.map(|p| p.name.clone()).unwrap_or_default(),
            "customer_uuid": customer_uuid,
            "customer_name": self.customer_name(&customer_uuid),
            "modified_by": null,
        })
    }

    pub fn allocation(&self, allocation: &AllocationRecord) -> Value {
        let project = self.store.projects.get(&allocation.project_uuid);
        let customer_uuid = project.map(|p| p.customer_uuid.clone()).unwrap_or_default();
        let resource = allocation
            .marketplace_resource_uuid
            .as_deref()
            .and_then(|uuid| self.store.resources.get(uuid));
        json!({
            "url": self.link(paths::ALLOCATIONS, &allocation.uuid),
            "uuid": allocation.uuid,
            "name": allocation.name,
            "description": allocation.description,
            "created": allocation.created,
            "modified": allocation.modified,
            "state": allocation.state.as_str(),
            "backend_id": allocation.backend_id,
            "project": self.link(paths::PROJECTS, &allocation.project_uuid),
            "project_uuid": allocation.project_uuid,
            "project_name": project.map(|p| p.name.clone()).unwrap_or_default(),
            "customer": self.link(paths::CUSTOMERS, &customer_uuid),
            "customer_uuid": customer_uuid,
            "customer_name": self.customer_name(&customer_uuid),
            "cpu_limit": allocation.cpu_limit,
            "cpu_usage": allocation.cpu_usage,
            "gpu_limit": allocation.gpu_limit,
            "gpu_usage": allocation.gpu_usage,
            "ram_limit": allocation.ram_limit,
            "ram_usage": allocation.ram_usage,
            "is_active": allocation.is_active,
            "username": allocation.username,
            "error_message": "",
            "resource_type": "SLURM.Allocation",
            "marketplace_resource_uuid": allocation.marketplace_resource_uuid,
            "marketplace_offering_uuid": resource.map(|r| r.offering_uuid.clone()),
            "marketplace_resource_state": resource.map(|r| r.state.as_str()),
        })
    }
}

/// `current_usages` values are numbers (`double`) in the schema.
fn hundredths_as_number(hundredths: i128) -> f64 {
    // Usage totals stay far below 2^53 hundredths, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let value = hundredths as f64;
    value / 100.0
}
