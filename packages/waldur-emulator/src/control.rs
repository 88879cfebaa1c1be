//! The test-facing control surface: seed objects, move them as a backend
//! would, inject faults and read the request log.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::clock::now_iso;
use crate::faults::Fault;
use crate::ids::{new_uuid, normalize_uuid};
use crate::model::{
    AllocationRecord, BillingType, ComponentRecord, CoreState, OfferingState, OrderState,
    ResourceState,
};
use crate::ops::{self, NewOffering, NewOrder, UsageItem};
use crate::render::paths;
use crate::roles::{Caller, Role};
use crate::shared::{AppState, RecordedRequest};

/// A created object: its UUID and its hyperlink URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub uuid: String,
    pub url: String,
}

/// A seeded order and the resource it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededOrder {
    pub order_uuid: String,
    pub resource_uuid: String,
}

/// A component of a seeded offering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSeed {
    pub component_type: String,
    pub name: String,
    pub billing_type: BillingType,
    pub measured_unit: String,
}

impl ComponentSeed {
    pub fn new(component_type: &str, billing_type: BillingType, measured_unit: &str) -> Self {
        Self {
            component_type: component_type.to_owned(),
            name: component_type.to_uppercase(),
            billing_type,
            measured_unit: measured_unit.to_owned(),
        }
    }
}

/// An offering created directly in the store, Active by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferingSeed {
    pub customer_uuid: String,
    pub category_uuid: String,
    pub name: String,
    pub offering_type: String,
    pub state: OfferingState,
    pub components: Vec<ComponentSeed>,
    pub backend_id: String,
    /// Non-empty: orders must send `accepting_terms_of_service: true`.
    pub terms_of_service: String,
}

impl OfferingSeed {
    /// An Active `Marketplace.Slurm` offering with `cpu` and `gpu` usage
    /// components and a `ram` limit component.
    pub fn new(customer_uuid: &str, category_uuid: &str) -> Self {
        Self {
            customer_uuid: customer_uuid.to_owned(),
            category_uuid: category_uuid.to_owned(),
            name: "Emulated HPC".to_owned(),
            offering_type: "Marketplace.Slurm".to_owned(),
            state: OfferingState::Active,
            components: vec![
                ComponentSeed::new("cpu", BillingType::Usage, "hours"),
                ComponentSeed::new("gpu", BillingType::Usage, "hours"),
                ComponentSeed::new("ram", BillingType::Limit, "GB"),
            ],
            backend_id: String::new(),
            terms_of_service: String::new(),
        }
    }
}

/// A SLURM allocation created directly in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationSeed {
    pub project_uuid: String,
    pub name: String,
    pub backend_id: String,
    pub cpu_limit: i64,
    pub gpu_limit: i64,
    pub ram_limit: i64,
    pub marketplace_resource_uuid: Option<String>,
}

/// A cloneable handle on the emulator's state.
#[derive(Debug, Clone)]
pub struct EmulatorState {
    shared: AppState,
}

impl EmulatorState {
    pub(crate) fn new(shared: AppState) -> Self {
        Self { shared }
    }

    /// The API root, `http://127.0.0.1:<port>/api/`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The only token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Makes the token's user staff (or not): Waldur lets only staff set a
    /// resource's `paused` flag.
    pub fn set_token_is_staff(&self, staff: bool) {
        self.shared
            .token_is_staff
            .store(staff, std::sync::atomic::Ordering::Relaxed);
    }

    /// Adds a consumer's token: a member of `project_uuids` only, without
    /// the owner permissions (`APPROVE_ORDER`, `REJECT_ORDER`,
    /// `CANCEL_ORDER`, `TERMINATE_RESOURCE`). Its orders wait in
    /// `pending-consumer`; it sees only its projects' orders and
    /// resources. Adding a token again replaces its projects.
    pub fn add_consumer_token(&self, token: &str, username: &str, project_uuids: &[&str]) {
        let caller = Caller {
            username: username.to_owned(),
            role: Role::Consumer {
                projects: project_uuids.iter().map(|u| normalize_uuid(u)).collect(),
            },
        };
        self.other_tokens().insert(token.to_owned(), caller);
    }

    /// Adds a staff user's token: allowed everything.
    pub fn add_staff_token(&self, token: &str, username: &str) {
        let caller = Caller {
            username: username.to_owned(),
            role: Role::Staff,
        };
        self.other_tokens().insert(token.to_owned(), caller);
    }

    fn other_tokens(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, Caller>> {
        self.shared
            .other_tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the installed offering types (default
    /// [`crate::DEFAULT_OFFERING_TYPES`]): creating an offering of another
    /// type gets 400 `{"type": ["Invalid value."]}`.
    pub fn set_offering_types(&self, types: &[&str]) {
        *self
            .shared
            .offering_types
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            types.iter().map(|t| (*t).to_owned()).collect();
    }

    /// The installed offering types.
    pub fn offering_types(&self) -> Vec<String> {
        self.shared
            .offering_types
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The offering's public URL, the only offering link orders take
    /// (`seed_offering` returns the provider-offering URL).
    pub fn public_offering_url(&self, offering_uuid: &str) -> String {
        format!(
            "{}{}{}/",
            self.shared.base_url,
            paths::PUBLIC_OFFERINGS,
            normalize_uuid(offering_uuid)
        )
    }

    /// The plan link orders take:
    /// `marketplace-public-offerings/<offering>/plans/<plan>/`.
    pub fn public_plan_url(&self, offering_uuid: &str, plan_uuid: &str) -> String {
        format!(
            "{}plans/{}/",
            self.public_offering_url(offering_uuid),
            normalize_uuid(plan_uuid)
        )
    }

    fn seeded(&self, collection: &str, uuid: String) -> Seeded {
        Seeded {
            url: format!("{}{collection}{uuid}/", self.shared.base_url),
            uuid,
        }
    }

    // ---- seeding ----

    pub fn seed_customer(&self, name: &str) -> Seeded {
        let uuid = ops::insert_customer(&mut self.shared.store(), name);
        self.seeded(paths::CUSTOMERS, uuid)
    }

    /// `None` when the customer does not exist.
    pub fn seed_project(&self, customer_uuid: &str, name: &str) -> Option<Seeded> {
        let uuid = ops::insert_project(
            &mut self.shared.store(),
            &normalize_uuid(customer_uuid),
            name,
        )?;
        Some(self.seeded(paths::PROJECTS, uuid))
    }

    pub fn seed_category(&self, title: &str) -> Seeded {
        let uuid = ops::insert_category(&mut self.shared.store(), title);
        self.seeded(paths::CATEGORIES, uuid)
    }

    /// `None` when the customer or category does not exist. The URL is
    /// the provider-offering link.
    pub fn seed_offering(&self, seed: OfferingSeed) -> Option<Seeded> {
        let mut store = self.shared.store();
        let customer_uuid = normalize_uuid(&seed.customer_uuid);
        let category_uuid = normalize_uuid(&seed.category_uuid);
        if !store.customers.contains_key(&customer_uuid)
            || !store.categories.contains_key(&category_uuid)
        {
            return None;
        }
        let components = seed
            .components
            .into_iter()
            .map(|c| ComponentRecord {
                uuid: new_uuid(),
                billing_type: c.billing_type,
                component_type: c.component_type,
                name: c.name,
                description: String::new(),
                measured_unit: c.measured_unit,
                unit_factor: 1,
                limit_period: None,
                limit_amount: None,
                article_code: String::new(),
                min_value: None,
                max_value: None,
                max_available_limit: None,
                default_limit: None,
                is_boolean: false,
                is_prepaid: false,
            })
            .collect();
        let uuid = ops::insert_offering(
            &mut store,
            NewOffering {
                name: seed.name,
                slug: None,
                customer_uuid,
                category_uuid,
                offering_type: seed.offering_type,
                state: seed.state,
                description: String::new(),
                full_description: String::new(),
                terms_of_service: seed.terms_of_service,
                terms_of_service_link: String::new(),
                attributes: json!({}),
                plugin_options: json!({}),
                backend_metadata: json!({}),
                components,
                plans: Vec::new(),
                shared: true,
                billable: true,
                backend_id: seed.backend_id,
            },
        );
        Some(self.seeded(paths::PROVIDER_OFFERINGS, uuid))
    }

    /// Creates a Create order as `POST marketplace-orders/` would, with the
    /// same rules; the error is the 400 body the API would have sent.
    pub fn seed_order(
        &self,
        offering_uuid: &str,
        project_uuid: &str,
        limits: BTreeMap<String, i64>,
    ) -> Result<SeededOrder, Value> {
        let mut store = self.shared.store();
        let order_uuid = ops::create_order(
            &mut store,
            NewOrder {
                offering_uuid: normalize_uuid(offering_uuid),
                project_uuid: normalize_uuid(project_uuid),
                limits,
                attributes: json!({}),
                ..NewOrder::default()
            },
            &ops::provider_caller(),
        )
        .map_err(|error| error.body)?;
        let resource_uuid = store
            .orders
            .get(&order_uuid)
            .map(|order| order.resource_uuid.clone())
            .unwrap_or_default();
        Ok(SeededOrder {
            order_uuid,
            resource_uuid,
        })
    }

    /// `None` when the project does not exist.
    pub fn seed_slurm_allocation(&self, seed: AllocationSeed) -> Option<Seeded> {
        let mut store = self.shared.store();
        let project_uuid = normalize_uuid(&seed.project_uuid);
        if !store.projects.contains_key(&project_uuid) {
            return None;
        }
        let uuid = new_uuid();
        let seq = store.next_seq();
        let now = now_iso();
        store.allocations.insert(
            uuid.clone(),
            AllocationRecord {
                uuid: uuid.clone(),
                seq,
                created: now.clone(),
                modified: now,
                name: seed.name,
                description: String::new(),
                project_uuid,
                state: CoreState::Ok,
                backend_id: seed.backend_id,
                cpu_limit: seed.cpu_limit,
                cpu_usage: 0,
                gpu_limit: seed.gpu_limit,
                gpu_usage: 0,
                ram_limit: seed.ram_limit,
                ram_usage: 0,
                is_active: true,
                username: None,
                marketplace_resource_uuid: seed
                    .marketplace_resource_uuid
                    .map(|u| normalize_uuid(&u)),
            },
        );
        drop(store);
        Some(self.seeded(paths::ALLOCATIONS, uuid))
    }

    /// A SLURM cluster's service settings, the target of `slurm-jobs/`.
    pub fn seed_service_settings(&self, name: &str) -> Seeded {
        let uuid = new_uuid();
        self.shared.store().service_settings.insert(
            uuid.clone(),
            crate::model::ServiceSettingsRecord {
                uuid: uuid.clone(),
                name: name.to_owned(),
            },
        );
        self.seeded(paths::SERVICE_SETTINGS, uuid)
    }

    // ---- backend moves (no API rules) ----

    /// Moves a FireCREST job as SLURM would: its `runtime_state`
    /// (`RUNNING`, `COMPLETED`, ...) and, when given, its `report` (the job
    /// output, any JSON, e.g. `{"elapsed_seconds": 5400, "exit_code": 0}`);
    /// false if unknown.
    pub fn set_slurm_job_runtime(
        &self,
        uuid: &str,
        runtime_state: &str,
        report: Option<Value>,
    ) -> bool {
        let mut store = self.shared.store();
        match store.slurm_jobs.get_mut(&normalize_uuid(uuid)) {
            Some(job) => {
                job.runtime_state = runtime_state.to_owned();
                if report.is_some() {
                    job.report = report;
                }
                job.modified = now_iso();
                true
            }
            None => false,
        }
    }

    /// A site agent processing the orders of `offering_uuid` (see
    /// [`crate::SiteAgent`]).
    pub fn site_agent(&self, offering_uuid: &str) -> crate::SiteAgent {
        crate::SiteAgent::new(self.shared.clone(), offering_uuid)
    }

    /// Sets a resource's state as the backend would; false if unknown.
    pub fn set_resource_state(&self, uuid: &str, state: ResourceState) -> bool {
        let mut store = self.shared.store();
        match store.resources.get_mut(&normalize_uuid(uuid)) {
            Some(resource) => {
                resource.state = state;
                resource.modified = now_iso();
                true
            }
            None => false,
        }
    }

    /// Sets an order's state directly; false if unknown. An order put
    /// back to `pending-consumer` loses its consumer review.
    pub fn set_order_state(&self, uuid: &str, state: OrderState) -> bool {
        let mut store = self.shared.store();
        match store.orders.get_mut(&normalize_uuid(uuid)) {
            Some(order) => {
                order.state = state;
                if state == OrderState::PendingConsumer {
                    order.consumer_reviewed_by = None;
                    order.consumer_reviewed_at = None;
                }
                order.modified = now_iso();
                true
            }
            None => false,
        }
    }

    /// Sets an offering's state directly; false if unknown.
    pub fn set_offering_state(&self, uuid: &str, state: OfferingState) -> bool {
        let mut store = self.shared.store();
        match store.offerings.get_mut(&normalize_uuid(uuid)) {
            Some(offering) => {
                offering.state = state;
                true
            }
            None => false,
        }
    }

    /// Records a month-to-date usage for the current period with the
    /// `set_usage` rules; the error is the 400 body the API would send.
    pub fn record_usage(
        &self,
        resource_uuid: &str,
        component_type: &str,
        amount: &str,
    ) -> Result<(), Value> {
        let hundredths = crate::model::parse_hundredths(amount)
            .ok_or_else(|| json!({ "amount": ["Not a decimal with at most 2 places."] }))?;
        let item = UsageItem {
            component_type: component_type.to_owned(),
            hundredths,
            description: String::new(),
            recurring: false,
        };
        ops::set_usage(
            &mut self.shared.store(),
            &normalize_uuid(resource_uuid),
            None,
            &[item],
            None,
        )
        .map_err(|error| error.body)
    }

    /// Switches a resource's plan as a done Update order from
    /// `switch_plan` would: a new plan period starts now, so later usage
    /// of this month goes to a second row. Returns the new plan period's
    /// UUID, or the 400/404 body.
    pub fn switch_plan(&self, resource_uuid: &str, plan_uuid: &str) -> Result<String, Value> {
        ops::switch_plan(
            &mut self.shared.store(),
            &normalize_uuid(resource_uuid),
            &normalize_uuid(plan_uuid),
        )
        .map_err(|error| error.body)
    }

    /// Adds a free monthly plan to an offering, so that a resource can
    /// switch to it; `None` if the offering is unknown.
    pub fn seed_plan(&self, offering_uuid: &str, name: &str) -> Option<Seeded> {
        let mut store = self.shared.store();
        let offering = store.offerings.get_mut(&normalize_uuid(offering_uuid))?;
        let uuid = new_uuid();
        offering.plans.push(crate::model::PlanRecord {
            uuid: uuid.clone(),
            name: name.to_owned(),
            description: String::new(),
            article_code: String::new(),
            max_amount: None,
            archived: false,
            unit_price: "0.00".to_owned(),
            unit: crate::model::BillingUnit::Month,
            backend_id: String::new(),
        });
        Some(self.seeded(paths::PLANS, uuid))
    }

    /// The resource's plan period in force now (opened if it has none).
    pub fn current_plan_period(&self, resource_uuid: &str) -> Option<String> {
        ops::ensure_plan_period(&mut self.shared.store(), &normalize_uuid(resource_uuid))
    }

    /// Sets the month-to-date total of an earlier billing period
    /// (`YYYY-MM-01`), as Waldur holds it when a submission arrived just
    /// before the month turned (the API refuses closed periods).
    pub fn set_usage_in_period(
        &self,
        resource_uuid: &str,
        component_type: &str,
        amount: &str,
        billing_period: &str,
    ) -> Result<(), Value> {
        let hundredths = crate::model::parse_hundredths(amount)
            .ok_or_else(|| json!({ "amount": ["Not a decimal with at most 2 places."] }))?;
        let period = crate::clock::Date::parse_prefix(billing_period)
            .ok_or_else(|| json!({ "billing_period": ["Not a date."] }))?
            .month_start();
        let resource_uuid = normalize_uuid(resource_uuid);
        let mut store = self.shared.store();
        let plan_period = ops::ensure_plan_period(&mut store, &resource_uuid);
        let existing = store.usages.values_mut().find(|u| {
            u.resource_uuid == resource_uuid
                && u.component_type == component_type
                && u.plan_period_uuid == plan_period
                && u.billing_period == period
        });
        if let Some(record) = existing {
            record.hundredths = hundredths;
            return Ok(());
        }
        let (uuid, seq) = (crate::ids::new_uuid(), store.next_seq());
        store.usages.insert(
            uuid.clone(),
            crate::model::UsageRecord {
                uuid,
                seq,
                created: now_iso(),
                resource_uuid,
                component_type: component_type.to_owned(),
                hundredths,
                description: String::new(),
                date: format!("{}T23:59:00Z", period.iso()),
                billing_period: period,
                recurring: false,
                plan_period_uuid: plan_period,
            },
        );
        Ok(())
    }

    /// Sets a SLURM allocation's usage counters; false if unknown.
    pub fn set_allocation_usage(&self, uuid: &str, cpu: i64, gpu: i64, ram: i64) -> bool {
        let mut store = self.shared.store();
        match store.allocations.get_mut(&normalize_uuid(uuid)) {
            Some(allocation) => {
                allocation.cpu_usage = cpu;
                allocation.gpu_usage = gpu;
                allocation.ram_usage = ram;
                allocation.modified = now_iso();
                true
            }
            None => false,
        }
    }

    /// Sets a SLURM allocation's state; false if unknown.
    pub fn set_allocation_state(&self, uuid: &str, state: CoreState) -> bool {
        let mut store = self.shared.store();
        match store.allocations.get_mut(&normalize_uuid(uuid)) {
            Some(allocation) => {
                allocation.state = state;
                allocation.modified = now_iso();
                true
            }
            None => false,
        }
    }

    // ---- snapshots, rendered exactly as the API would ----

    pub fn offering_json(&self, uuid: &str) -> Option<Value> {
        let store = self.shared.store();
        let offering = store.offerings.get(&normalize_uuid(uuid))?;
        Some(self.shared.renderer(&store).offering(offering))
    }

    pub fn order_json(&self, uuid: &str) -> Option<Value> {
        let store = self.shared.store();
        let order = store.orders.get(&normalize_uuid(uuid))?;
        Some(self.shared.renderer(&store).order(order))
    }

    /// Every order as the API renders it, oldest first.
    pub fn orders_json(&self) -> Vec<Value> {
        let store = self.shared.store();
        let mut orders: Vec<_> = store.orders.values().collect();
        orders.sort_by_key(|o| o.seq);
        let renderer = self.shared.renderer(&store);
        orders.into_iter().map(|o| renderer.order(o)).collect()
    }

    pub fn resource_json(&self, uuid: &str) -> Option<Value> {
        let store = self.shared.store();
        let resource = store.resources.get(&normalize_uuid(uuid))?;
        Some(self.shared.renderer(&store).resource(resource))
    }

    /// Usage records of a resource, oldest first.
    pub fn usages_json(&self, resource_uuid: &str) -> Vec<Value> {
        let store = self.shared.store();
        let resource_uuid = normalize_uuid(resource_uuid);
        let mut records: Vec<_> = store
            .usages
            .values()
            .filter(|u| u.resource_uuid == resource_uuid)
            .collect();
        records.sort_by_key(|u| u.seq);
        let renderer = self.shared.renderer(&store);
        records.into_iter().map(|u| renderer.usage(u)).collect()
    }

    pub fn slurm_job_json(&self, uuid: &str) -> Option<Value> {
        let store = self.shared.store();
        let job = store.slurm_jobs.get(&normalize_uuid(uuid))?;
        Some(self.shared.renderer(&store).slurm_job(job))
    }

    /// Every FireCREST job, oldest first.
    pub fn slurm_jobs_json(&self) -> Vec<Value> {
        let store = self.shared.store();
        let mut jobs: Vec<_> = store.slurm_jobs.values().collect();
        jobs.sort_by_key(|j| j.seq);
        let renderer = self.shared.renderer(&store);
        jobs.into_iter().map(|j| renderer.slurm_job(j)).collect()
    }

    /// The batch script a job was submitted with.
    pub fn slurm_job_script(&self, uuid: &str) -> Option<Vec<u8>> {
        let store = self.shared.store();
        store
            .slurm_jobs
            .get(&normalize_uuid(uuid))
            .map(|j| j.script.clone())
    }

    pub fn slurm_job_count(&self) -> usize {
        self.shared.store().slurm_jobs.len()
    }

    pub fn offering_count(&self) -> usize {
        self.shared.store().offerings.len()
    }

    pub fn order_count(&self) -> usize {
        self.shared.store().orders.len()
    }

    pub fn resource_count(&self) -> usize {
        self.shared.store().resources.len()
    }

    /// Every resource's UUID, oldest first.
    pub fn resource_uuids(&self) -> Vec<String> {
        let store = self.shared.store();
        let mut resources: Vec<_> = store.resources.values().collect();
        resources.sort_by_key(|r| r.seq);
        resources.iter().map(|r| r.uuid.clone()).collect()
    }

    // ---- faults ----

    /// Plays `fault` on the next matching requests to any path.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.arm("", fault);
    }

    /// Plays `fault` only on paths starting with `path_prefix`, written
    /// relative to the API root (`marketplace-orders/`) or absolute
    /// (`/api/marketplace-orders/`).
    pub fn inject_at(&self, path_prefix: &str, fault: Fault) {
        self.shared.faults.arm(path_prefix, fault);
    }

    /// Plays `fault` only on `method` requests to the endpoint `pattern`,
    /// matched whole and segment by segment, `*` standing for any one
    /// segment (a UUID): `marketplace-orders/` (create, not the actions),
    /// `marketplace-orders/*/approve_by_provider/`.
    pub fn inject_on(&self, method: &str, pattern: &str, fault: Fault) {
        self.shared.faults.arm_endpoint(method, pattern, fault);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Fault plays still armed.
    pub fn pending_faults(&self) -> u32 {
        self.shared.faults.pending()
    }

    // ---- request log ----

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log().clone()
    }

    pub fn clear_requests(&self) {
        self.shared.log().clear();
    }

    /// Requests whose path starts with `path_prefix` (absolute, `/api/...`).
    pub fn request_count(&self, path_prefix: &str) -> usize {
        self.shared
            .log()
            .iter()
            .filter(|r| r.path.starts_with(path_prefix))
            .count()
    }
}
