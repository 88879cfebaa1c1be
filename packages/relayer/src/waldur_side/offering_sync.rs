//! Offering sync, chain -> Waldur, for one provider (the Offering Sync
//! Guide, VE-2D): the provider's marketplace offerings appear in its Waldur
//! with the mapped fields and state, and stay that way.
//!
//! - Chain offering events ([`OfferingSync::ingest`], or
//!   [`OfferingSync::follow_chain`] with its own checkpoint) only mark an
//!   offering's record as due; [`OfferingSync::tick`] then syncs what the
//!   chain holds *at that time*, so repeated or out-of-order events cost
//!   nothing.
//! - Every record is durable (the relayer's redb database, keys
//!   `offering_sync:<offering id>`), written before the chain checkpoint
//!   moves. The Waldur offering carries `backend_id = <offering id>` and is
//!   looked up by it before anything is created, so neither a repeated
//!   event, a restart, nor a crash between the create and the record write
//!   makes a second Waldur offering.
//! - Failed syncs are retried after 30 s, doubling to at most 1 h; after
//!   `max_retries` failures the record is a dead letter until
//!   [`OfferingSync::reprocess`].
//! - [`OfferingSync::reconcile`] compares what Waldur shows with the chain
//!   by checksum, resyncs drift, and reports Waldur offerings that claim a
//!   chain offering that does not exist (orphans; never deleted).

mod mapping;
mod metrics;
mod record;
mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;
use ve_types::{OfferingId, OfferingState};
use waldur::{
    Offering as WaldurOffering, OfferingCreateRequest, OfferingOverviewUpdate,
    UpdateOfferingComponentRequest,
};

use crate::chain::{ChainClient, ChainError, ContractEvent};
use crate::runtime::outbox::{Outbox, OutboxError};
use crate::waldur_side::port::offerings::OfferingSyncWaldur;

pub use mapping::{
    CategoryProfile, ExportedComponent, ExportedOffering, MapFileError, Mapping, MappingError,
    BASE_COMPONENT_TYPE, DEFAULT_OFFERING_TYPE, DEFAULT_PLAN_NAME, NAME_MAX_CHARS,
    QUANTITY_COMPONENT_TYPE, RESERVED_ATTRIBUTES,
};
pub use metrics::{
    DurationHistogram, Metric, MetricKind, MetricValue, SyncBacklog, SyncMetrics, GUIDE_NAMES,
    LATENCY_BOUNDS, METRIC_NAMES,
};
pub use record::{Decoded, OfferingEvent, OfferingEventKind, RetryPolicy, SyncRecord, SyncState};
pub use source::OfferingReader;

use ve_interface::marketplace::msg::OfferingResponse;

/// Key prefix of the sync records in the relayer's state table.
pub const RECORD_PREFIX: &str = "offering_sync:";
/// The last chain height whose offering events were ingested (meta table).
pub const CHECKPOINT: &str = "offering_sync_checkpoint";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferingSyncConfig {
    /// The provider's chain address: only its offerings are synced.
    pub provider: String,
    /// The Waldur customer (organisation) that owns the offerings.
    pub customer_uuid: String,
    pub mapping: Mapping,
    pub retry: RetryPolicy,
    /// Most offerings synced by one `tick` (the spec batches 10).
    pub batch: usize,
}

impl OfferingSyncConfig {
    /// The guide's defaults: 5 retries, 30 s to 1 h backoff, 10 per tick.
    pub fn new(provider: impl Into<String>, customer_uuid: impl Into<String>) -> Self {
        OfferingSyncConfig {
            provider: provider.into(),
            customer_uuid: customer_uuid.into(),
            mapping: Mapping::new(),
            retry: RetryPolicy::default(),
            batch: 10,
        }
    }
}

#[derive(Error, Debug)]
pub enum SyncError {
    /// The relayer's own database: fatal for the call, never recorded.
    #[error(transparent)]
    Store(#[from] OutboxError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("Waldur: {0}")]
    Waldur(#[from] waldur::Error),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("offering {0} is not on chain")]
    NotOnChain(String),
    #[error("Waldur returned {0} without a uuid")]
    NoUuid(&'static str),
    /// Only staff may activate a Draft offering
    /// (`ProviderOfferingViewSet.activate_permissions` in waldur-mastermind
    /// `marketplace/views.py`): retried until a staff user has done it.
    #[error("Waldur offering {0} is Draft and only a Waldur staff user may activate it: ask one to activate it once")]
    NeedsStaffActivation(String),
    /// The sync wrote everything it can and Waldur still differs, e.g. a
    /// changed `type` or a removed price component, which Waldur 8.0.5's
    /// client API cannot change: an operator fixes it in Waldur.
    #[error("Waldur offering {uuid} still differs from the chain in: {fields}{hint}")]
    StillDiffers {
        uuid: String,
        fields: String,
        hint: String,
    },
}

impl SyncError {
    /// Errors that stop the whole pass instead of counting against one
    /// offering: the database, or a chain node that could not be reached
    /// (nothing is known about the offering then).
    fn is_fatal(&self) -> bool {
        matches!(
            self,
            SyncError::Store(_) | SyncError::Chain(ChainError::Unavailable(_))
        )
    }
}

/// What one sync attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    Created {
        waldur_uuid: String,
    },
    Updated {
        waldur_uuid: String,
    },
    /// Waldur already showed the chain's offering.
    Unchanged {
        waldur_uuid: String,
    },
    /// Not in Waldur and archived on chain: nothing to create (spec,
    /// "Missing in Waldur: recreate if active; ignore if terminated").
    NotNeeded,
    Failed {
        error: String,
        next_attempt_at: u64,
    },
    DeadLettered {
        error: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Offering id and outcome, in the order they were synced.
    pub outcomes: Vec<(String, SyncOutcome)>,
}

/// A Waldur offering of the customer that claims a chain offering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedOffering {
    pub waldur_uuid: String,
    pub name: String,
    pub ve_offering_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Chain offerings the relayer had no record of (e.g. after its state
    /// was lost): queued; the sync finds their Waldur offering by
    /// `backend_id` or creates it.
    pub queued: Vec<String>,
    /// Synced offerings whose Waldur offering differs from the chain.
    pub drifted: Vec<String>,
    /// Synced offerings whose Waldur offering is gone.
    pub missing_in_waldur: Vec<String>,
    /// Waldur offerings claiming a chain offering that does not exist.
    /// Reported, never deleted: an operator decides.
    pub orphans: Vec<ClaimedOffering>,
    /// Second Waldur offerings for a chain offering that already has one
    /// (a create whose answer was lost and retried). Reported only.
    pub duplicates: Vec<ClaimedOffering>,
    /// The resync of what was found.
    pub tick: TickReport,
}

/// What a successful push leaves in the record.
struct Pushed {
    outcome: SyncOutcome,
    waldur_uuid: Option<String>,
    version: u64,
    checksum: String,
}

/// Generic over its Waldur port: the adapter's client, or a scripted one.
pub struct OfferingSync<W> {
    config: OfferingSyncConfig,
    waldur: W,
    store: Arc<Outbox>,
    records: BTreeMap<String, SyncRecord>,
    metrics: SyncMetrics,
}

impl<W: OfferingSyncWaldur> OfferingSync<W> {
    /// Loads the records a previous run left in `store`.
    pub fn new(
        config: OfferingSyncConfig,
        waldur: W,
        store: Arc<Outbox>,
    ) -> Result<Self, SyncError> {
        let records = store
            .states_with_prefix::<SyncRecord>(RECORD_PREFIX)?
            .into_iter()
            .map(|(_, record)| (record.offering_id.clone(), record))
            .collect();
        let mut sync = OfferingSync {
            config,
            waldur,
            store,
            records,
            metrics: SyncMetrics::default(),
        };
        sync.refresh_gauges();
        Ok(sync)
    }

    pub fn config(&self) -> &OfferingSyncConfig {
        &self.config
    }

    pub fn metrics(&self) -> &SyncMetrics {
        &self.metrics
    }

    pub fn record(&self, offering_id: &str) -> Option<&SyncRecord> {
        self.records.get(offering_id)
    }

    pub fn records(&self) -> impl Iterator<Item = &SyncRecord> {
        self.records.values()
    }

    pub fn dead_letters(&self) -> Vec<&SyncRecord> {
        self.records
            .values()
            .filter(|r| r.state == SyncState::DeadLetter)
            .collect()
    }

    // ---- records ----

    fn save(&mut self, record: SyncRecord) -> Result<(), SyncError> {
        let key = format!("{RECORD_PREFIX}{}", record.offering_id);
        self.store.save_state(&key, &record)?;
        self.records.insert(record.offering_id.clone(), record);
        self.refresh_gauges();
        Ok(())
    }

    fn refresh_gauges(&mut self) {
        let active = self.records.values().filter(|r| !r.waldur_owned);
        let (mut queued, mut dead, mut failing) = (0, 0, 0);
        for record in active {
            if record.state.wants_sync() {
                queued += 1;
            } else if record.state == SyncState::DeadLetter {
                dead += 1;
            }
            if record.state == SyncState::Failed {
                failing += 1;
            }
        }
        self.metrics.queue_depth = queued;
        self.metrics.dead_letter_size = dead;
        self.metrics.backlog.failed_records = failing + dead;
    }

    // ---- chain events ----

    /// Marks the offerings named by this provider's offering events as due.
    /// Returns how many records changed (a repeated or older event changes
    /// none).
    pub fn ingest(&mut self, events: &[ContractEvent], now: u64) -> Result<usize, SyncError> {
        let mut changed = 0;
        for raw in events {
            let event = match OfferingEvent::decode(raw) {
                Decoded::Other => continue,
                Decoded::Malformed => {
                    self.metrics.events_dropped += 1;
                    continue;
                }
                Decoded::Offering(event) => event,
            };
            if event.provider != self.config.provider {
                continue;
            }
            self.metrics.events_received += 1;
            if self.apply_event(event, now)? {
                changed += 1;
            }
            self.metrics.events_processed += 1;
        }
        Ok(changed)
    }

    fn apply_event(&mut self, event: OfferingEvent, now: u64) -> Result<bool, SyncError> {
        let mut record = match self.records.get(&event.offering_id) {
            // Already known at this version or a newer one: a repeat.
            Some(known) if event.version <= known.chain_version => return Ok(false),
            Some(known) => {
                let mut record = known.clone();
                record.heard_version(event.version, now);
                record
            }
            None => SyncRecord::new(&event.offering_id, event.version, now),
        };
        if let Some(waldur_id) = event.waldur_id {
            record.waldur_owned = true;
            record.waldur_uuid = Some(waldur_id);
        }
        self.save(record)?;
        Ok(true)
    }

    /// Ingests the offering events of the blocks since the last call. The
    /// checkpoint moves only after the records are saved, so a crash
    /// re-reads the blocks and the repeats are no-ops. `now` is on the
    /// clock `tick` is given: it is when the new records fall due.
    pub async fn follow_chain(
        &mut self,
        chain: &impl ChainClient,
        now: u64,
    ) -> Result<usize, SyncError> {
        let from = self.store.meta(CHECKPOINT)?.map_or(1, |h| h + 1);
        let to = chain.latest_height().await?;
        if to < from {
            return Ok(0);
        }
        let changed = self.ingest(&chain.events(from, to).await?, now)?;
        self.store.set_meta(CHECKPOINT, to)?;
        Ok(changed)
    }

    // ---- the sync ----

    /// Syncs the records due at `now`, soonest first, at most `batch`.
    pub async fn tick(
        &mut self,
        chain: &impl OfferingReader,
        now: u64,
    ) -> Result<TickReport, SyncError> {
        let mut due: Vec<(u64, String)> = self
            .records
            .values()
            .filter(|r| r.is_due(now))
            .map(|r| (r.next_attempt_at.unwrap_or(0), r.offering_id.clone()))
            .collect();
        due.sort();
        let mut report = TickReport::default();
        for (_, offering_id) in due.into_iter().take(self.config.batch) {
            let outcome = self.sync_one(chain, &offering_id, now).await?;
            report.outcomes.push((offering_id, outcome));
        }
        Ok(report)
    }

    /// One attempt for one offering, recorded either way.
    async fn sync_one(
        &mut self,
        chain: &impl OfferingReader,
        offering_id: &str,
        now: u64,
    ) -> Result<SyncOutcome, SyncError> {
        self.metrics.total += 1;
        self.metrics.active_syncs = 1;
        let started = Instant::now();
        let result = self.push(chain, offering_id).await;
        self.metrics.duration.observe(started.elapsed());
        self.metrics.active_syncs = 0;
        // Read after the push: it may have saved the Waldur uuid.
        let mut record = self
            .records
            .get(offering_id)
            .cloned()
            .unwrap_or_else(|| SyncRecord::new(offering_id, 0, now));
        let outcome = match result {
            Ok(pushed) => {
                self.metrics.successful += 1;
                let waiting_since = record.pending_since;
                record.succeeded(pushed.waldur_uuid, pushed.version, pushed.checksum, now);
                if let (SyncState::Synced, Some(since)) = (record.state, waiting_since) {
                    let waited = Duration::from_secs(now.saturating_sub(since));
                    self.metrics.backlog.latency.observe(waited);
                }
                pushed.outcome
            }
            Err(error) if error.is_fatal() => return Err(error),
            Err(error) => self.record_failure(&mut record, error.to_string(), now),
        };
        self.save(record)?;
        Ok(outcome)
    }

    fn record_failure(&mut self, record: &mut SyncRecord, error: String, now: u64) -> SyncOutcome {
        self.metrics.failed += 1;
        record.failed(error.clone(), now, &self.config.retry);
        match record.next_attempt_at {
            Some(next_attempt_at) => SyncOutcome::Failed {
                error,
                next_attempt_at,
            },
            None => {
                self.metrics.dead_lettered += 1;
                SyncOutcome::DeadLettered { error }
            }
        }
    }

    /// Makes Waldur show the chain's offering: find or create it, write the
    /// fields that differ, move its state, and read it back to check.
    async fn push(
        &mut self,
        chain: &impl OfferingReader,
        offering_id: &str,
    ) -> Result<Pushed, SyncError> {
        let offering = chain
            .offering(offering_id)
            .await?
            .ok_or_else(|| SyncError::NotOnChain(offering_id.to_string()))?;
        let export = self.config.mapping.export(&offering)?;
        let version = offering.offering.version;
        let checksum = export.checksum();
        let known_uuid = self
            .records
            .get(offering_id)
            .and_then(|r| r.waldur_uuid.clone());
        let (current, created) = match self.locate(known_uuid.as_deref(), offering_id).await? {
            Some(found) => (found, false),
            None if offering.offering.state.waldur_state() == "Archived" => {
                return Ok(Pushed {
                    outcome: SyncOutcome::NotNeeded,
                    waldur_uuid: None,
                    version,
                    checksum,
                })
            }
            None => (self.create(&offering, &export).await?, true),
        };
        let uuid = current
            .uuid
            .clone()
            .ok_or(SyncError::NoUuid("an offering"))?;
        self.remember_uuid(offering_id, &uuid)?;
        let fields_changed = self.update_fields(&uuid, &current, &export).await?;
        let state_changed = self
            .move_state(&uuid, &current, offering.offering.state)
            .await?;
        self.verify(&uuid, &export).await?;
        let waldur_uuid = uuid.clone();
        let outcome = match (created, fields_changed || state_changed) {
            (true, _) => SyncOutcome::Created { waldur_uuid },
            (false, true) => SyncOutcome::Updated { waldur_uuid },
            (false, false) => SyncOutcome::Unchanged { waldur_uuid },
        };
        Ok(Pushed {
            outcome,
            waldur_uuid: Some(uuid),
            version,
            checksum,
        })
    }

    /// Saves the Waldur uuid at once, before any further call can fail.
    fn remember_uuid(&mut self, offering_id: &str, uuid: &str) -> Result<(), SyncError> {
        let Some(record) = self.records.get(offering_id) else {
            return Ok(());
        };
        if record.waldur_uuid.as_deref() == Some(uuid) {
            return Ok(());
        }
        let mut record = record.clone();
        record.waldur_uuid = Some(uuid.to_string());
        self.save(record)
    }

    /// The Waldur offering of `offering_id`: by the uuid the record knows,
    /// else by `backend_id` among the customer's offerings.
    async fn locate(
        &self,
        known_uuid: Option<&str>,
        offering_id: &str,
    ) -> Result<Option<WaldurOffering>, SyncError> {
        if let Some(uuid) = known_uuid {
            match self.waldur.get_offering(uuid).await {
                Ok(found) => return Ok(Some(found)),
                // Deleted in Waldur (a Draft can be): look again, or recreate.
                Err(waldur::Error::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let listed = self.customer_offerings().await?;
        Ok(listed.into_iter().find(|o| claims(o, offering_id)))
    }

    async fn customer_offerings(&self) -> Result<Vec<WaldurOffering>, SyncError> {
        Ok(self
            .waldur
            .customer_offerings(&self.config.customer_uuid)
            .await?)
    }

    async fn create(
        &self,
        offering: &OfferingResponse,
        export: &ExportedOffering,
    ) -> Result<WaldurOffering, SyncError> {
        let request = OfferingCreateRequest {
            name: export.name.clone(),
            category: self.waldur.category_link(&export.category_uuid)?,
            offering_type: export.offering_type.clone(),
            customer: Some(self.waldur.customer_link(&self.config.customer_uuid)?),
            description: Some(export.description.clone()),
            attributes: Some(Value::Object(export.attributes.clone())),
            components: export
                .components
                .iter()
                .map(ExportedComponent::to_request)
                .collect(),
            plans: self.config.mapping.plan(offering)?.into_iter().collect(),
            shared: Some(true),
            billable: Some(true),
            backend_id: Some(export.backend_id.clone()),
            ..OfferingCreateRequest::default()
        };
        Ok(self.waldur.create_offering(&request).await?)
    }

    /// Writes name/description, attributes and components where Waldur
    /// differs; returns whether anything was written.
    async fn update_fields(
        &self,
        uuid: &str,
        current: &WaldurOffering,
        export: &ExportedOffering,
    ) -> Result<bool, SyncError> {
        let differs = ExportedOffering::from_waldur(current).differing_fields(export);
        let mut changed = false;
        if differs.contains(&"name") || differs.contains(&"description") {
            let overview = OfferingOverviewUpdate {
                name: export.name.clone(),
                description: Some(export.description.clone()),
                ..OfferingOverviewUpdate::default()
            };
            self.waldur
                .update_offering_overview(uuid, &overview)
                .await?;
            changed = true;
        }
        if differs.contains(&"attributes") {
            self.waldur
                .update_offering_attributes(uuid, &export.attributes)
                .await?;
            changed = true;
        }
        if differs.contains(&"components") {
            changed |= self.update_components(uuid, current, export).await?;
        }
        Ok(changed)
    }

    /// Creates missing components and rewrites changed ones. Components the
    /// chain dropped stay: the client has no `remove_offering_component`,
    /// and `verify` reports them.
    async fn update_components(
        &self,
        uuid: &str,
        current: &WaldurOffering,
        export: &ExportedOffering,
    ) -> Result<bool, SyncError> {
        let mut changed = false;
        for wanted in &export.components {
            let existing = current
                .components
                .iter()
                .find(|c| c.component_type.as_deref() == Some(wanted.component_type.as_str()));
            match existing {
                Some(c) if ExportedComponent::from_waldur(c) == *wanted => continue,
                Some(c) => {
                    let request = UpdateOfferingComponentRequest {
                        uuid: c.uuid.clone().ok_or(SyncError::NoUuid("a component"))?,
                        component: wanted.to_request(),
                    };
                    self.waldur
                        .update_offering_component(uuid, &request)
                        .await?;
                }
                None => {
                    self.waldur
                        .create_offering_component(uuid, &wanted.to_request())
                        .await?;
                }
            }
            changed = true;
        }
        Ok(changed)
    }

    /// Puts the Waldur offering in the state the chain's maps to, with the
    /// guide's actions (`activate`, `pause`, `archive`). Returns whether it
    /// moved. Waldur refuses some moves with 409 (an Archived offering
    /// cannot be activated): that is a failure of this attempt.
    async fn move_state(
        &self,
        uuid: &str,
        current: &WaldurOffering,
        state: OfferingState,
    ) -> Result<bool, SyncError> {
        let shown = current.state.as_ref().map_or("", |s| s.as_str());
        if shown == state.waldur_state() {
            return Ok(false);
        }
        match state.waldur_state_action() {
            // A provider may unpause its offering; only staff may activate
            // a Draft one (`ProviderOfferingViewSet.activate_permissions`
            // in waldur-mastermind `marketplace/views.py`).
            "activate" if shown == "Paused" => {
                self.waldur.unpause_offering(uuid).await?;
            }
            "activate" => {
                self.activate_draft(uuid).await?;
            }
            "pause" => {
                // Waldur pauses only an Active offering; a new one is Draft.
                if shown != "Active" {
                    self.activate_draft(uuid).await?;
                }
                let reason = format!("{state} on VirtEngine");
                self.waldur.pause_offering(uuid, Some(&reason)).await?;
            }
            _ => {
                self.waldur.archive_offering(uuid).await?;
            }
        }
        Ok(true)
    }

    async fn activate_draft(&self, uuid: &str) -> Result<(), SyncError> {
        match self.waldur.activate_offering(uuid).await {
            Ok(()) => Ok(()),
            Err(waldur::Error::Forbidden { .. }) => {
                Err(SyncError::NeedsStaffActivation(uuid.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the offering back: the sync succeeded only if Waldur now shows
    /// exactly the exported document.
    async fn verify(&self, uuid: &str, export: &ExportedOffering) -> Result<(), SyncError> {
        let shown = ExportedOffering::from_waldur(&self.waldur.get_offering(uuid).await?);
        if shown.checksum() == export.checksum() {
            return Ok(());
        }
        let extra: Vec<&str> = shown
            .components
            .iter()
            .map(|c| c.component_type.as_str())
            .filter(|t| !export.components.iter().any(|w| w.component_type == *t))
            .collect();
        let hint = if extra.is_empty() {
            String::new()
        } else {
            format!(
                " (components {} are no longer on chain; remove them in Waldur)",
                extra.join(", ")
            )
        };
        Err(SyncError::StillDiffers {
            uuid: uuid.to_string(),
            fields: shown.differing_fields(export).join(", "),
            hint,
        })
    }

    // ---- operator actions ----

    /// Puts a dead letter back in the queue; false if it is not one.
    pub fn reprocess(&mut self, offering_id: &str, now: u64) -> Result<bool, SyncError> {
        let Some(record) = self.records.get(offering_id) else {
            return Ok(false);
        };
        if record.state != SyncState::DeadLetter {
            return Ok(false);
        }
        let mut record = record.clone();
        record.reprocess(now);
        self.save(record)?;
        Ok(true)
    }

    /// Reprocesses every dead letter; returns their offering ids.
    pub fn reprocess_all(&mut self, now: u64) -> Result<Vec<String>, SyncError> {
        let dead: Vec<String> = self
            .dead_letters()
            .iter()
            .map(|r| r.offering_id.clone())
            .collect();
        for offering_id in &dead {
            self.reprocess(offering_id, now)?;
        }
        Ok(dead)
    }

    // ---- reconciliation ----

    /// Compares Waldur with the chain for every offering of the provider,
    /// queues what differs or is unknown, reports orphans, and resyncs.
    pub async fn reconcile(
        &mut self,
        chain: &impl OfferingReader,
        now: u64,
    ) -> Result<ReconcileReport, SyncError> {
        self.metrics.reconciliations += 1;
        let on_chain = chain.provider_offerings(&self.config.provider).await?;
        let in_waldur = self.customer_offerings().await?;
        let mut report = ReconcileReport::default();
        self.queue_unknown(&on_chain, now, &mut report)?;
        self.detect_drift(&on_chain, &in_waldur, now, &mut report)?;
        self.find_strays(&on_chain, &in_waldur, &mut report);
        report.tick = self.tick(chain, now).await?;
        Ok(report)
    }

    fn queue_unknown(
        &mut self,
        on_chain: &[OfferingResponse],
        now: u64,
        report: &mut ReconcileReport,
    ) -> Result<(), SyncError> {
        for offering in on_chain {
            if !self.records.contains_key(&offering.id) {
                self.save(SyncRecord::new(
                    &offering.id,
                    offering.offering.version,
                    now,
                ))?;
                report.queued.push(offering.id.clone());
            }
        }
        Ok(())
    }

    /// Synced records whose Waldur offering no longer matches the chain's
    /// export (changed in Waldur, or a chain change whose event was missed:
    /// `ve_version` is exported, so both show as a checksum difference).
    fn detect_drift(
        &mut self,
        on_chain: &[OfferingResponse],
        in_waldur: &[WaldurOffering],
        now: u64,
        report: &mut ReconcileReport,
    ) -> Result<(), SyncError> {
        let synced: Vec<SyncRecord> = self
            .records
            .values()
            .filter(|r| r.state == SyncState::Synced && !r.waldur_owned)
            .cloned()
            .collect();
        for mut record in synced {
            let Some(offering) = on_chain.iter().find(|o| o.id == record.offering_id) else {
                continue;
            };
            let archived = offering.offering.state.waldur_state() == "Archived";
            let shown = record
                .waldur_uuid
                .as_deref()
                .and_then(|uuid| in_waldur.iter().find(|w| w.uuid.as_deref() == Some(uuid)));
            let drift = match (shown, self.config.mapping.export(offering)) {
                (None, _) if archived => false,
                (None, _) => {
                    report.missing_in_waldur.push(record.offering_id.clone());
                    true
                }
                // The sync will record the mapping error.
                (Some(_), Err(_)) => true,
                (Some(w), Ok(export)) => {
                    ExportedOffering::from_waldur(w).checksum() != export.checksum()
                }
            };
            if drift {
                self.metrics.drift_detected += 1;
                report.drifted.push(record.offering_id.clone());
                record.drifted(now);
                self.save(record)?;
            }
        }
        Ok(())
    }

    /// Waldur offerings claiming a chain offering the chain does not have
    /// (orphans), or one that another Waldur offering already stands for.
    fn find_strays(
        &self,
        on_chain: &[OfferingResponse],
        in_waldur: &[WaldurOffering],
        report: &mut ReconcileReport,
    ) {
        let chain_ids: BTreeSet<&str> = on_chain.iter().map(|o| o.id.as_str()).collect();
        for w in in_waldur {
            let (Some(claimed), Some(uuid)) = (claimed_offering_id(w), w.uuid.clone()) else {
                continue;
            };
            let entry = ClaimedOffering {
                waldur_uuid: uuid.clone(),
                name: w.name.clone().unwrap_or_default(),
                ve_offering_id: claimed.clone(),
            };
            if !chain_ids.contains(claimed.as_str()) {
                report.orphans.push(entry);
            } else if self
                .records
                .get(&claimed)
                .and_then(|r| r.waldur_uuid.as_deref())
                .is_some_and(|known| known != uuid)
            {
                report.duplicates.push(entry);
            }
        }
    }
}

/// The chain offering a Waldur offering stands for: a `backend_id` shaped
/// like an offering id (set at creation; the relayer never changes it),
/// else its `ve_offering_id` attribute. Offerings made by hand in Waldur
/// claim nothing.
pub fn claimed_offering_id(o: &WaldurOffering) -> Option<String> {
    let backend_id = o
        .backend_id
        .as_deref()
        .filter(|id| id.parse::<OfferingId>().is_ok());
    let attribute = o
        .attributes
        .get("ve_offering_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    backend_id.or(attribute).map(str::to_string)
}

/// Whether `o` was made for `offering_id`, by either of its marks.
fn claims(o: &WaldurOffering, offering_id: &str) -> bool {
    o.backend_id.as_deref() == Some(offering_id)
        || o.attributes.get("ve_offering_id").and_then(Value::as_str) == Some(offering_id)
}
