//! The relay loop's Waldur side, on the typed Waldur client.
//!
//! - Every write is safe to repeat after any failure, including one where
//!   Waldur did the work and the answer was lost (`waldur_adapter/orders.rs`
//!   cites the Waldur code each step relies on). An allocation's order
//!   carries the allocation id in its `ve_allocation_id` attribute (and as
//!   its `name`, which becomes the resource's name): a retried `provision`
//!   adopts the order an earlier attempt made instead of creating a second
//!   one (Waldur has no idempotency key), then approves it. The resource
//!   is found through that order, never through its `backend_id`: the
//!   provider's site agent (waldur-site-agent) owns `backend_id` and sets
//!   it to its backend's id (e.g. the SLURM account).
//! - The orders the relayer makes (Create, Terminate) are watched until
//!   done or erred, a bounded number per pass: an erred Create fails the
//!   allocation and an erred Terminate fails the terminating allocation,
//!   each with the order's `error_message` as the reason; never silence.
//! - Orders go to the offering's public link with its plan; the allocation's
//!   quantity is the limit of the offering's `limit` component
//!   `ve-quantity` (which the offering sync exports), and nothing else is
//!   ever put in `limits`; a resize sets it with `set_limits`. Terms of
//!   service are accepted only when configured (`waldur_adapter/offerings.rs`
//!   has the rules and their sources). A pause sets the resource's `paused`
//!   flag where Waldur
//!   allows it (staff only); otherwise the pause holds on chain alone.
//! - Waldur reports usage as month-to-date `Decimal(20,2)` totals, one row
//!   per plan period and month, overwritten by each report. The adapter
//!   keeps the exact all-time total in hundredths per resource and
//!   component and bills the chain the whole units it has not billed yet,
//!   as a new period: fractions are carried across months, plan periods
//!   add up, nothing is counted twice (`waldur_adapter/usage_ledger.rs`
//!   says why whole units and what a correction does).
//! - A usage ledger the store does not hold (a first report, or the
//!   relayer lost its database) starts from the chain, the record of what
//!   was billed: settlement's `UsageSummary` gives the units billed and
//!   where the last period ended, Waldur's whole usage history of the
//!   resource the months no longer listed. Usage already on chain is not
//!   billed again; a chain that cannot be read holds that usage for a
//!   later pass, never billed blind.
//! - A terminated resource's usage is listed until a pass finds nothing
//!   left to bill for it, then never again. Its periods end when it was
//!   seen Terminated, before the chain ends its escrow (settlement refuses
//!   usage ending after that); units with no room left in that window are
//!   told to operators.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use ve_types::calendar::Date;
use waldur::{
    ComponentUsage, OrderState, ResourceFilter, ResourceState, UsageFilter, WaldurClient,
};

use crate::chain::BilledUsage;
use crate::runtime::outbox::Outbox;
use crate::waldur_side::offering_sync::QUANTITY_COMPONENT_TYPE;
use crate::waldur_side::port::{
    ChainUsage, ProvisionedOrder, ResourceStatus, ResourceUpdate, UsageUpdate, WaldurError,
    WaldurPort, Watermark,
};
use usage_ledger::{parse_hundredths, UsageLedger, UsageRow};

/// The last path segment of a hyperlink (`.../offerings/<uuid>/`).
fn uuid_of_link(link: &str) -> Option<String> {
    link.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|segment| !segment.is_empty() && !segment.contains(':'))
        .map(str::to_string)
}

fn api(e: waldur::Error) -> WaldurError {
    // Waldur refuses a second order for a resource with 400, not 409, but
    // it is a state to wait on, not a bad request.
    if e.is_pending_order() {
        return WaldurError::Conflict(e.to_string());
    }
    WaldurError::from_client(e)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    resource_uuid: String,
    last_state: Option<ResourceState>,
    /// Block time when the resource was first seen OK: usage starts there.
    active_since: Option<u64>,
    /// Set once the resource is Terminated and a later usage pass found
    /// nothing left to bill: its usage is not listed again.
    #[serde(default)]
    usage_final: bool,
    /// Block time when the resource was first seen Terminated. The chain
    /// ends the escrow at the block of the terminated callback, which
    /// lands after this, and refuses usage periods ending past that
    /// (settlement `execute/usage.rs`, `UsageAfterEnd`): a terminated
    /// resource's last usage periods end here.
    #[serde(default)]
    terminated_at: Option<u64>,
}

/// The kinds of order the relayer makes. (A resize uses the provider's
/// `set_limits`, which makes no order: its answer is the outcome.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum WatchedKind {
    Create,
    Terminate,
}

/// An order the relayer made, followed until done or erred.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OrderWatch {
    allocation_id: String,
    resource_uuid: String,
    kind: WatchedKind,
}

/// Orders read back per pass (one request each): a bound on each pass's
/// work; the rest are read on the next passes, in turn.
pub const ORDERS_POLLED_PER_PASS: usize = 16;

/// The durable usage state of one resource and component, saved with the
/// usage report it led to (or alone after a pass with nothing to bill).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct UsageMark {
    /// End of the last period reported for this resource and component:
    /// the next one starts there, so periods never overlap.
    last_end: u64,
    /// The exact totals and the units billed; `None` in a mark saved
    /// before the ledger existed.
    #[serde(default)]
    ledger: Option<UsageLedger>,
    /// The format before the ledger: billing period -> whole units
    /// reported. Read once to build the ledger, never written again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    reported: BTreeMap<String, u128>,
}

/// An offering as orders for it need it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OrderableOffering {
    /// The public offering link, `OrderCreateRequest.offering`.
    url: String,
    /// The public link of the plan orders use, if the offering has one.
    plan_url: Option<String>,
    /// Component types whose `billing_type` is `limit`.
    limit_components: BTreeSet<String>,
    /// Orders must accept terms of service (shared offering with terms).
    terms_required: bool,
    /// Waldur 8: an active terms version lacks the relayer's user's
    /// consent, which is given (`marketplace-user-offering-consents/`)
    /// before ordering when the operator accepts terms.
    consent_needed: bool,
}

pub struct WaldurAdapter {
    client: WaldurClient,
    project_url: String,
    /// Chain offering id -> Waldur offering URL.
    offerings: BTreeMap<String, String>,
    /// Durable copies of `tracked` and the usage marks: a restart must not
    /// forget an allocation or report usage twice.
    store: Arc<Outbox>,
    tracked: BTreeMap<String, Tracked>,
    /// The Waldur component whose limit is the allocation's quantity.
    quantity_component: String,
    /// Waldur offering uuid -> what orders for it need (public view).
    orderable: BTreeMap<String, OrderableOffering>,
    /// Orders accept offerings' terms of service
    /// (`waldur_accept_terms_of_service`).
    accept_terms_of_service: bool,
    /// Name of the plan orders use (`waldur_order_plan`); `None`: the
    /// offering's first live plan.
    order_plan: Option<String>,
    /// Chain cluster id -> Waldur SLURM service settings URL (where the
    /// cluster's jobs are created); see `with_clusters`.
    clusters: BTreeMap<String, String>,
    /// Order UUID -> the order being followed (durable under
    /// `ORDER_WATCH`; a settled one is saved as `null`).
    watched_orders: BTreeMap<String, OrderWatch>,
    /// The last order read back: the next pass starts after it.
    order_poll_cursor: String,
}

/// The other jobs' ports on the client: `adapter/client_ports.rs`.
mod client_ports;
/// HPC jobs: `waldur_adapter/jobs.rs`.
mod jobs;
/// An offering's public link, plan, limit components, terms:
/// `waldur_adapter/offerings.rs`.
mod offerings;
/// Order writes safe to repeat: `waldur_adapter/orders.rs`.
mod orders;
/// Exact usage accounting, carried across months: `waldur_adapter/usage_ledger.rs`.
pub mod usage_ledger;

const TRACK: &str = "track:";
const USAGE: &str = "usage_mark:";
const ORDER_WATCH: &str = "order_watch:";

impl WaldurAdapter {
    /// Loads what a previous run tracked from `store`.
    pub fn new(
        client: WaldurClient,
        project_url: String,
        offerings: BTreeMap<String, String>,
        store: Arc<Outbox>,
    ) -> Result<Self, WaldurError> {
        let tracked = store
            .states_with_prefix::<Tracked>(TRACK)
            .map_err(|e| WaldurError::Api(e.to_string()))?
            .into_iter()
            .map(|(k, t)| (k[TRACK.len()..].to_string(), t))
            .collect();
        let watched_orders = store
            .states_with_prefix::<Option<OrderWatch>>(ORDER_WATCH)
            .map_err(|e| WaldurError::Api(e.to_string()))?
            .into_iter()
            .filter_map(|(k, w)| Some((k[ORDER_WATCH.len()..].to_string(), w?)))
            .collect();
        Ok(WaldurAdapter {
            client,
            project_url,
            offerings,
            store,
            tracked,
            quantity_component: QUANTITY_COMPONENT_TYPE.to_string(),
            orderable: BTreeMap::new(),
            accept_terms_of_service: false,
            order_plan: None,
            clusters: BTreeMap::new(),
            watched_orders,
            order_poll_cursor: String::new(),
        })
    }

    /// Maps the allocation quantity to another `limit` component's limit
    /// (for offerings not created by the offering sync).
    pub fn with_quantity_component(mut self, component_type: &str) -> Self {
        self.quantity_component = component_type.to_string();
        self
    }

    /// Orders use the offering's live plan of this name
    /// (`waldur_order_plan`) instead of its first live plan.
    pub fn with_order_plan(mut self, plan_name: Option<String>) -> Self {
        self.order_plan = plan_name;
        self
    }

    /// Accept the terms of service of offerings that have them
    /// (`waldur_accept_terms_of_service`); without it, orders for such
    /// offerings are refused by the relayer.
    pub fn accepting_terms_of_service(mut self, accept: bool) -> Self {
        self.accept_terms_of_service = accept;
        self
    }

    /// Maps (or re-maps) a chain offering to a Waldur offering link, e.g.
    /// one the offering sync has just created.
    pub fn map_offering(&mut self, offering_id: &str, waldur_offering_url: String) {
        // Read the offering again at the next order: it may have changed.
        if let Some(uuid) = uuid_of_link(&waldur_offering_url) {
            self.orderable.remove(&uuid);
        }
        self.offerings
            .insert(offering_id.to_string(), waldur_offering_url);
    }

    /// Maps chain cluster ids to Waldur service settings URLs; a job on
    /// an unmapped cluster is refused (recorded as a failed event).
    pub fn with_clusters(mut self, clusters: BTreeMap<String, String>) -> Self {
        self.clusters = clusters;
        self
    }

    /// Adds or replaces one cluster mapping.
    pub fn map_cluster(&mut self, cluster_id: &str, service_settings_url: &str) {
        self.clusters
            .insert(cluster_id.to_string(), service_settings_url.to_string());
    }

    /// The project the relayer's orders go to, as a list filter (`None`
    /// when no project is configured).
    fn project_uuid(&self) -> Option<String> {
        uuid_of_link(&self.project_url)
    }

    /// The project's usage records of the last month and this one, and
    /// those two billing periods (Waldur's, by its calendar, which the
    /// relayer's clock shares; the last month's totals can still grow just
    /// after the month turns). One listing per month, not one per resource.
    async fn recent_usages(&self) -> Result<(Vec<String>, Vec<ComponentUsage>), WaldurError> {
        let wall_clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let today = Date::from_unix_seconds(wall_clock);
        let periods = [today.previous_month_start(), today.month_start()].map(|p| p.iso());
        let mut usages = Vec::new();
        for period in &periods {
            let filter = UsageFilter {
                project_uuid: self.project_uuid(),
                billing_period: Some(period.clone()),
                ..UsageFilter::default()
            };
            usages.extend(
                self.client
                    .list_component_usages(&filter)
                    .await
                    .map_err(api)?,
            );
        }
        Ok((periods.to_vec(), usages))
    }

    /// The stored usage mark of `key`, if any.
    fn load_usage_mark(&self, key: &str) -> Result<Option<UsageMark>, WaldurError> {
        self.store
            .state::<UsageMark>(key)
            .map_err(|e| WaldurError::Api(e.to_string()))
    }

    /// The usage mark of a (resource, component) the store holds nothing
    /// of (its first report, or the relayer lost its database), started
    /// from the chain, which is the record of what was billed: the units
    /// it holds count as billed, and the next period starts after its last
    /// one (and not before the resource was seen active). The months
    /// Waldur no longer lists are added from the resource's whole usage
    /// history, so the ledger's all-time total is whole again and only
    /// what Waldur shows beyond the billed units is billed.
    async fn recovered_usage_mark(
        &self,
        resource_uuid: &str,
        component: &str,
        since: u64,
        listed_periods: &[String],
        billed: &[BilledUsage],
    ) -> Result<UsageMark, WaldurError> {
        let on_chain = billed.iter().find(|b| b.usage_type == component);
        let mut ledger = UsageLedger {
            units_billed: on_chain.map_or(0, |b| b.units),
            ..UsageLedger::default()
        };
        if let Some(oldest_listed) = listed_periods.iter().min() {
            let filter = UsageFilter {
                resource_uuid: Some(resource_uuid.to_string()),
                component_type: Some(component.to_string()),
                ..UsageFilter::default()
            };
            let history = self
                .client
                .list_component_usages(&filter)
                .await
                .map_err(api)?;
            for usage in history {
                let (Some(amount), Some(period)) = (usage.usage, usage.billing_period) else {
                    continue;
                };
                // The listed months are the ledger's `open` ones: observed
                // by the pass itself.
                if period.as_str() >= oldest_listed.as_str() {
                    continue;
                }
                let Some(hundredths) = parse_hundredths(amount.as_str()) else {
                    continue;
                };
                ledger.closed_hundredths = ledger
                    .closed_hundredths
                    .checked_add(hundredths)
                    .ok_or_else(|| {
                        WaldurError::Api(format!(
                            "usage history of resource {resource_uuid} overflows"
                        ))
                    })?;
            }
        }
        Ok(UsageMark {
            last_end: on_chain.map_or(since, |b| b.last_period_end.max(since)),
            ledger: Some(ledger),
            reported: BTreeMap::new(),
        })
    }

    /// The allocation's tracking record, to be saved with its callbacks.
    fn watermark_of(&self, allocation_id: &str) -> Result<Option<Watermark>, WaldurError> {
        self.tracked
            .get(allocation_id)
            .map(|t| Watermark::new(format!("{TRACK}{allocation_id}"), t))
            .transpose()
            .map_err(|e| WaldurError::Api(e.to_string()))
    }

    fn persist(&self, allocation_id: &str) -> Result<(), WaldurError> {
        if let Some(t) = self.tracked.get(allocation_id) {
            self.store
                .save_state(&format!("{TRACK}{allocation_id}"), t)
                .map_err(|e| WaldurError::Api(e.to_string()))?;
        }
        Ok(())
    }

    /// The allocation's resource: tracked, or found through the Create
    /// order made for the allocation (after a lost database), which is
    /// tracked now. Not through `backend_id`: the site agent owns it.
    async fn find_resource(&mut self, allocation_id: &str) -> Result<Option<String>, WaldurError> {
        if let Some(t) = self.tracked.get(allocation_id) {
            return Ok(Some(t.resource_uuid.clone()));
        }
        let found = self
            .find_create_order(allocation_id)
            .await?
            .and_then(|order| order.marketplace_resource_uuid);
        if let Some(uuid) = &found {
            self.track(allocation_id, uuid)?;
        }
        Ok(found)
    }

    /// The resource's erred Terminate order, if it has one and no order
    /// is open for it.
    async fn erred_terminate_order(
        &self,
        resource_uuid: &str,
    ) -> Result<Option<String>, WaldurError> {
        let filter = waldur::OrderFilter {
            resource_uuid: Some(resource_uuid.to_string()),
            types: vec![waldur::OrderType::Terminate],
            ..waldur::OrderFilter::default()
        };
        let orders = self.client.list_orders(&filter).await.map_err(api)?;
        let open = orders.iter().any(|o| {
            matches!(
                o.state,
                Some(
                    OrderState::PendingConsumer
                        | OrderState::PendingProvider
                        | OrderState::Executing
                )
            )
        });
        if open {
            return Ok(None);
        }
        Ok(orders
            .into_iter()
            .filter(|o| o.state == Some(OrderState::Erred))
            .find_map(|o| o.uuid))
    }

    /// Follows an order the relayer made (or adopted) until it is done or
    /// erred; saved at once, so a restart keeps following it.
    fn watch_order(
        &mut self,
        order_uuid: &str,
        allocation_id: &str,
        resource_uuid: &str,
        kind: WatchedKind,
    ) -> Result<(), WaldurError> {
        if self.watched_orders.contains_key(order_uuid) {
            return Ok(());
        }
        let watch = OrderWatch {
            allocation_id: allocation_id.to_string(),
            resource_uuid: resource_uuid.to_string(),
            kind,
        };
        self.store
            .save_state(&format!("{ORDER_WATCH}{order_uuid}"), &Some(&watch))
            .map_err(|e| WaldurError::Api(e.to_string()))?;
        self.watched_orders.insert(order_uuid.to_string(), watch);
        Ok(())
    }

    /// Stops following an order; the `null` is saved with the callbacks
    /// its outcome produced (or at once, with none).
    fn settle_order(&mut self, order_uuid: &str) -> Result<Watermark, WaldurError> {
        self.watched_orders.remove(order_uuid);
        Watermark::new(
            format!("{ORDER_WATCH}{order_uuid}"),
            &Option::<OrderWatch>::None,
        )
        .map_err(|e| WaldurError::Api(e.to_string()))
    }

    /// Follows the watched orders through their resources' states, from
    /// the pass's one listing: a resource that reached what the order asks
    /// (OK for a Create, Terminated for a Terminate) ends the watch without
    /// a request. Only an order whose resource shows something else (Erred;
    /// OK again, or Erred, under a Terminate; gone from the listing) is
    /// read back, at most [`ORDERS_POLLED_PER_PASS`] a pass, in turn.
    /// Erred: a Create fails the allocation, a Terminate fails the
    /// terminating allocation, with the order's `error_message`. Done,
    /// canceled, rejected or gone (404): the resource state poll speaks.
    async fn order_updates(
        &mut self,
        states: &BTreeMap<String, ResourceState>,
    ) -> Result<Vec<ResourceUpdate>, WaldurError> {
        let mut reached = Vec::new();
        let mut suspect = Vec::new();
        for (order_uuid, watch) in &self.watched_orders {
            let state = states.get(&watch.resource_uuid);
            match (watch.kind, state) {
                (WatchedKind::Create, Some(ResourceState::Ok))
                | (WatchedKind::Terminate, Some(ResourceState::Terminated)) => {
                    reached.push(order_uuid.clone())
                }
                (WatchedKind::Create, Some(ResourceState::Creating))
                | (WatchedKind::Terminate, Some(ResourceState::Terminating)) => {}
                // States in between (an update under way, or one this
                // client does not know): read again on a later pass.
                (_, Some(ResourceState::Updating | ResourceState::Other(_))) => {}
                _ => suspect.push(order_uuid.clone()),
            }
        }
        for order_uuid in reached {
            let settled = self.settle_order(&order_uuid)?;
            self.store
                .save_watermark(&settled)
                .map_err(|e| WaldurError::Api(e.to_string()))?;
        }
        // In turn: those after the last one read first.
        let cursor = self.order_poll_cursor.clone();
        suspect.sort_by_key(|uuid| (uuid.as_str() <= cursor.as_str(), uuid.clone()));
        suspect.truncate(ORDERS_POLLED_PER_PASS);
        let mut out = Vec::new();
        for order_uuid in suspect {
            self.order_poll_cursor = order_uuid.clone();
            let Some(watch) = self.watched_orders.get(&order_uuid).cloned() else {
                continue;
            };
            let order = match self.client.get_order(&order_uuid).await {
                Ok(order) => order,
                Err(waldur::Error::NotFound { .. }) => {
                    let settled = self.settle_order(&order_uuid)?;
                    self.store
                        .save_watermark(&settled)
                        .map_err(|e| WaldurError::Api(e.to_string()))?;
                    continue;
                }
                Err(e) => return Err(api(e)),
            };
            match order.state {
                Some(OrderState::Done | OrderState::Canceled | OrderState::Rejected) => {
                    // Done: the resource state poll reports it. Canceled or
                    // rejected: the resource follows (Terminated, or back
                    // to OK) and the poll reports that.
                    let settled = self.settle_order(&order_uuid)?;
                    self.store
                        .save_watermark(&settled)
                        .map_err(|e| WaldurError::Api(e.to_string()))?;
                }
                Some(OrderState::Erred) => {
                    let reason = Some(
                        order
                            .error_message
                            .filter(|m| !m.trim().is_empty())
                            .unwrap_or_else(|| format!("Waldur order {order_uuid} erred")),
                    );
                    let state = match watch.kind {
                        WatchedKind::Create => {
                            // Told now, with the reason: the resource
                            // state poll must not tell it again.
                            if let Some(t) = self.tracked.get_mut(&watch.allocation_id) {
                                t.last_state = Some(ResourceState::Erred);
                            }
                            self.persist(&watch.allocation_id)?;
                            ResourceStatus::Erred
                        }
                        WatchedKind::Terminate => ResourceStatus::TerminateFailed,
                    };
                    out.push(ResourceUpdate {
                        allocation_id: watch.allocation_id,
                        resource_uuid: watch.resource_uuid,
                        state,
                        reason,
                        watermark: Some(self.settle_order(&order_uuid)?),
                    });
                }
                // Still open: read again on a later pass.
                _ => {}
            }
        }
        Ok(out)
    }

    async fn require_resource(&mut self, allocation_id: &str) -> Result<String, WaldurError> {
        self.find_resource(allocation_id)
            .await?
            .ok_or_else(|| WaldurError::UnknownAllocation(allocation_id.to_string()))
    }

    fn track(&mut self, allocation_id: &str, resource_uuid: &str) -> Result<(), WaldurError> {
        self.tracked
            .entry(allocation_id.to_string())
            .or_insert_with(|| Tracked {
                resource_uuid: resource_uuid.to_string(),
                last_state: None,
                active_since: None,
                usage_final: false,
                terminated_at: None,
            });
        self.persist(allocation_id)
    }
}

impl WaldurPort for WaldurAdapter {
    async fn provision(
        &mut self,
        allocation_id: &str,
        offering_id: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        self.provision_once(allocation_id, offering_id, quantity)
            .await
    }

    async fn terminate(&mut self, allocation_id: &str) -> Result<String, WaldurError> {
        let resource = self.require_resource(allocation_id).await?;
        // An allocation is terminated once (terminating ends it), so an
        // erred Terminate order of its resource is the one this request
        // made: seen again only when the request is read again (the
        // relayer lost its database). It is followed again (the chain
        // hears `failed`, or has it already), never ordered a second time.
        if let Some(erred) = self.erred_terminate_order(&resource).await? {
            self.watch_order(&erred, allocation_id, &resource, WatchedKind::Terminate)?;
            return Ok(resource);
        }
        if let Some(order_uuid) = self.terminate_once(&resource).await? {
            self.watch_order(
                &order_uuid,
                allocation_id,
                &resource,
                WatchedKind::Terminate,
            )?;
        }
        Ok(resource)
    }

    async fn set_paused(&mut self, allocation_id: &str, paused: bool) -> Result<bool, WaldurError> {
        let resource = self.require_resource(allocation_id).await?;
        match self.client.set_resource_paused(&resource, paused).await {
            Ok(_) => Ok(true),
            // Only staff may set the flag: the chain's pause (which stops
            // usage being accepted) is what counts.
            Err(waldur::Error::Forbidden { .. }) => Ok(false),
            Err(e) => Err(api(e)),
        }
    }

    async fn resize(&mut self, allocation_id: &str, quantity: u32) -> Result<(), WaldurError> {
        let resource = self.require_resource(allocation_id).await?;
        let offering_uuid = self
            .client
            .get_resource(&resource)
            .await
            .map_err(api)?
            .offering_uuid
            .ok_or_else(|| WaldurError::Api(format!("resource {resource} has no offering")))?;
        let limits = self
            .orderable_by_uuid(&offering_uuid)
            .await?
            .quantity_limits(&self.quantity_component, quantity);
        // No `limit` component for the quantity: Waldur does not carry it.
        if limits.is_empty() {
            return Ok(());
        }
        self.client
            .set_resource_limits(&resource, &limits)
            .await
            .map_err(api)?;
        Ok(())
    }

    async fn resource_updates(&mut self, now: u64) -> Result<Vec<ResourceUpdate>, WaldurError> {
        let mut out = Vec::new();
        // A terminated resource has nothing more to say.
        let watched: Vec<(String, Tracked)> = self
            .tracked
            .iter()
            .filter(|(_, t)| t.last_state != Some(ResourceState::Terminated))
            .map(|(a, t)| (a.clone(), t.clone()))
            .collect();
        if watched.is_empty() && self.watched_orders.is_empty() {
            return Ok(out);
        }
        // One listing of the project (a request per 100 resources), not a
        // request per resource.
        let filter = ResourceFilter {
            project_uuid: self.project_uuid(),
            ..ResourceFilter::default()
        };
        let states: BTreeMap<String, ResourceState> = self
            .client
            .list_resources(&filter)
            .await
            .map_err(api)?
            .into_iter()
            .filter_map(|r| Some((r.uuid?, r.state?)))
            .collect();
        out.extend(self.order_updates(&states).await?);
        for (allocation_id, t) in watched {
            let Some(state) = states.get(&t.resource_uuid).cloned() else {
                continue;
            };
            if t.last_state.as_ref() == Some(&state) {
                continue;
            }
            let was_active = t.active_since.is_some();
            let status = match state {
                // OK again after an erred Terminate (Waldur's
                // `resource_deletion_failed`), a canceled order or an
                // update: the chain heard `active` once, an allocation is
                // never provisioned twice.
                ResourceState::Ok if was_active => None,
                ResourceState::Ok => Some(ResourceStatus::Ok),
                ResourceState::Erred if was_active => Some(ResourceStatus::ErredWhileActive),
                ResourceState::Erred => Some(ResourceStatus::Erred),
                ResourceState::Terminated => Some(ResourceStatus::Terminated),
                _ => None,
            };
            if let Some(entry) = self.tracked.get_mut(&allocation_id) {
                if status == Some(ResourceStatus::Ok) && entry.active_since.is_none() {
                    entry.active_since = Some(now);
                }
                if state == ResourceState::Terminated && entry.terminated_at.is_none() {
                    entry.terminated_at = Some(now);
                }
                entry.last_state = Some(state);
            }
            match status {
                // Saved by the engine with the update's callbacks.
                Some(state) => {
                    let watermark = self.watermark_of(&allocation_id)?;
                    out.push(ResourceUpdate {
                        allocation_id,
                        resource_uuid: t.resource_uuid,
                        state,
                        reason: None,
                        watermark,
                    });
                }
                // A state the chain does not hear about: nothing to lose.
                None => self.persist(&allocation_id)?,
            }
        }
        Ok(out)
    }

    async fn usage_updates(
        &mut self,
        now: u64,
        chain: &mut impl ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError> {
        let mut out = Vec::new();
        // Resource -> (allocation, when usage starts, terminated: when it
        // was seen so), for the resources that have been active and may
        // still have usage to bill.
        let active: BTreeMap<String, (String, u64, Option<u64>)> = self
            .tracked
            .iter()
            .filter(|(_, t)| !t.usage_final)
            .filter_map(|(a, t)| {
                let terminated = (t.last_state == Some(ResourceState::Terminated))
                    .then(|| t.terminated_at.unwrap_or(u64::MAX));
                t.active_since
                    .map(|since| (t.resource_uuid.clone(), (a.clone(), since, terminated)))
            })
            .collect();
        if active.is_empty() {
            return Ok(out);
        }
        let (listed_periods, usages) = self.recent_usages().await?;
        // (resource, component) -> every listed row: one per plan period
        // and billing period, added up by the ledger.
        let mut rows: BTreeMap<(String, String), Vec<UsageRow>> = BTreeMap::new();
        for usage in usages {
            let (Some(resource), Some(component), Some(amount), Some(billing_period)) = (
                usage.resource_uuid,
                usage.component_type,
                usage.usage,
                usage.billing_period,
            ) else {
                continue;
            };
            if !active.contains_key(&resource) {
                continue;
            }
            // Waldur's usage is Decimal(20,2): anything else cannot be its
            // row, and no amount is invented for it.
            let Some(hundredths) = parse_hundredths(amount.as_str()) else {
                continue;
            };
            rows.entry((resource, component))
                .or_default()
                .push(UsageRow {
                    billing_period,
                    hundredths,
                });
        }
        // Components seen before but not listed now (their rows were
        // removed) still get a pass, so their ledgers see the empty months.
        for resource_uuid in active.keys() {
            let prefix = format!("{USAGE}{resource_uuid}:");
            let known = self
                .store
                .states_with_prefix::<UsageMark>(&prefix)
                .map_err(|e| WaldurError::Api(e.to_string()))?;
            for (key, _) in known {
                let component = key[prefix.len()..].to_string();
                rows.entry((resource_uuid.clone(), component)).or_default();
            }
        }
        // Resources with something billed (or left to bill) in this pass:
        // a terminated one is listed again until a pass bills nothing.
        let mut billed_now: Vec<String> = Vec::new();
        // Allocation -> the chain's record of its usage, read once a pass
        // and only for usage the store holds no mark of; `None`: the
        // chain could not be read.
        let mut chain_records: BTreeMap<String, Option<Vec<BilledUsage>>> = BTreeMap::new();
        for ((resource_uuid, component), component_rows) in rows {
            let Some((allocation_id, since, terminated_at)) = active.get(&resource_uuid).cloned()
            else {
                continue;
            };
            let key = format!("{USAGE}{resource_uuid}:{component}");
            let stored = self.load_usage_mark(&key)?;
            let mut mark = match &stored {
                Some(mark) => mark.clone(),
                None => {
                    if !chain_records.contains_key(&allocation_id) {
                        let record = chain.billed_usage(&allocation_id).await.ok();
                        chain_records.insert(allocation_id.clone(), record);
                    }
                    let Some(Some(billed)) = chain_records.get(&allocation_id) else {
                        // Not billed blind: the next pass reads the chain
                        // again (the engine notes why it waits).
                        billed_now.push(resource_uuid);
                        continue;
                    };
                    self.recovered_usage_mark(
                        &resource_uuid,
                        &component,
                        since,
                        &listed_periods,
                        billed,
                    )
                    .await?
                }
            };
            let stored = stored.unwrap_or_default();
            let mut ledger = match mark.ledger.take() {
                Some(ledger) => ledger,
                None => UsageLedger::from_whole_units_reported(&mark.reported),
            };
            mark.reported = BTreeMap::new();
            // Overflow needs totals far beyond Decimal(20,2): the mark is
            // left as it was rather than billing a wrong amount.
            let Some(units) = ledger.observe(&listed_periods, &component_rows) else {
                continue;
            };
            // A terminated resource's periods end when it was seen
            // Terminated: the chain refuses any that ends after its
            // escrow ended (see `Tracked::terminated_at`).
            let period_end = terminated_at.map_or(now, |ended| ended.min(now));
            if units > 0 && period_end <= mark.last_end {
                if terminated_at.is_some_and(|ended| ended <= mark.last_end) {
                    // The allocation's window is closed and the last
                    // period already ends at its end: these units can
                    // never be billed. Operators must hear it, with the
                    // units; the resource's usage is final.
                    chain.tell_operators(format!(
                        "allocation {allocation_id} (Waldur resource {resource_uuid}): \
                         {units} unit(s) of {component} reported after its last billable \
                         period (ending {}) cannot be billed: the allocation ended",
                        mark.last_end
                    ));
                    continue;
                }
                // No room for a period yet: the next pass bills it.
                billed_now.push(resource_uuid);
                continue;
            }
            mark.ledger = Some(ledger);
            if units == 0 {
                // Nothing to bill, but the totals seen must outlive a month
                // leaving the listing: saved now, no callback depends on it.
                if mark != stored {
                    self.store
                        .save_state(&key, &mark)
                        .map_err(|e| WaldurError::Api(e.to_string()))?;
                }
                continue;
            }
            let period_start = mark.last_end;
            mark.last_end = period_end;
            billed_now.push(resource_uuid.clone());
            out.push(UsageUpdate {
                allocation_id,
                resource_uuid,
                usage_type: component,
                units,
                period_start,
                period_end,
                // Saved by the engine with the usage report: never lost,
                // never reported twice.
                watermark: Some(
                    Watermark::new(key, &mark).map_err(|e| WaldurError::Api(e.to_string()))?,
                ),
            });
        }
        // A terminated resource takes no more usage in Waldur (set_usage
        // refuses it): once a pass after termination has nothing to bill,
        // its usage is final and it is not listed again.
        // Saving the record here also saves its `Terminated` state, so
        // only once that state is stored (the engine queues a resource
        // update's callbacks with its watermark before asking for usage):
        // an unstored Terminated callback must still be seen again.
        for (resource_uuid, (allocation_id, _, terminated_at)) in &active {
            if terminated_at.is_none() || billed_now.contains(resource_uuid) {
                continue;
            }
            let key = format!("{TRACK}{allocation_id}");
            let stored_terminated = self
                .store
                .state::<Tracked>(&key)
                .map_err(|e| WaldurError::Api(e.to_string()))?
                .is_some_and(|t| t.last_state == Some(ResourceState::Terminated));
            if !stored_terminated {
                continue;
            }
            if let Some(entry) = self.tracked.get_mut(allocation_id) {
                entry.usage_final = true;
            }
            self.persist(allocation_id)?;
        }
        Ok(out)
    }

    async fn submit_job(
        &mut self,
        job: &crate::waldur_side::port::JobSubmission,
    ) -> Result<crate::waldur_side::port::SubmittedJob, WaldurError> {
        self.submit_hpc_job(job).await
    }

    async fn job_updates(
        &mut self,
        _now: u64,
    ) -> Result<Vec<crate::waldur_side::port::JobUpdate>, WaldurError> {
        self.hpc_job_updates().await
    }

    async fn job_closed_on_chain(
        &mut self,
        job_id: &str,
        _state: ve_types::JobState,
    ) -> Result<(), WaldurError> {
        self.close_hpc_job(job_id)
    }
}
