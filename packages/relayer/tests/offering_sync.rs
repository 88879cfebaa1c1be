//! Offering sync chain -> Waldur against the real Waldur emulator and the
//! embedded chain: mapping, updates, state actions, idempotency across
//! repeats, restarts and lost state, the retry schedule and dead letters,
//! and drift repair by reconciliation.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{Addr, Binary, Uint128};
use marketplace::msg::{EncryptedSecrets, ExecuteMsg, OfferingResponse, OfferingUpdate, QueryMsg};
use ve_relayer::chain::embedded::{EmbeddedChain, DENOM};
use ve_relayer::chain::{ChainClient, ContractEvent};
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::offering_sync::{
    CategoryProfile, ExportedOffering, OfferingSync, OfferingSyncConfig, SyncOutcome, SyncState,
};
use ve_types::{Category, OfferingFields, PriceComponent, Pricing, PricingModel};
use waldur::{BillingUnit, Config, Offering, OfferingFilter, OfferingOverviewUpdate, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, Fault, OfferingSeed};

const TOKEN: &str = "sync-token";
/// Unix seconds the tests pass as `now`.
const T0: u64 = 1_700_000_000;
const SECRET_KEY_ID: &str = "recipient-key-never-in-waldur";

struct World {
    chain: EmbeddedChain,
    provider: Addr,
    waldur: EmulatorHandle,
    customer_uuid: String,
    compute_uuid: String,
    /// The tests' own view of Waldur (as an operator or the backend).
    client: WaldurClient,
    dir: tempfile::TempDir,
}

fn fast_client(base_url: &str) -> WaldurClient {
    let mut config = Config::new(base_url, TOKEN);
    // One retry, a few ms apart: a 500 storm fails a call quickly.
    config.max_retries = 1;
    config.retry_wait_min = Duration::from_millis(1);
    config.retry_wait_max = Duration::from_millis(5);
    config.rate_limit_per_second = 0.0;
    config.timeout = Duration::from_secs(5);
    WaldurClient::new(config).expect("client")
}

impl World {
    async fn new() -> World {
        let waldur = Emulator::start(TOKEN).await.expect("emulator");
        // Only staff activates a Draft offering: here the relayer's user is
        // staff, so a synced offering becomes Active in one pass.
        waldur.state.set_token_is_staff(true);
        let customer = waldur.state.seed_customer("Provider Org");
        let compute = waldur.state.seed_category("Compute");
        let chain = EmbeddedChain::deploy(&["provider", "other"]).expect("chain");
        World {
            provider: chain.addr("provider"),
            chain,
            client: fast_client(&waldur.base_url),
            customer_uuid: customer.uuid,
            compute_uuid: compute.uuid,
            waldur,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn config(&self) -> OfferingSyncConfig {
        let mut config = OfferingSyncConfig::new(self.provider.as_str(), &self.customer_uuid);
        config
            .mapping
            .category_uuids
            .insert(Category::Compute, self.compute_uuid.clone());
        config
    }

    /// The sync on the relayer database in `db` (dropping the returned
    /// value closes the database, as a stopped relayer would).
    fn open_in(&self, db: &Path, config: OfferingSyncConfig) -> OfferingSync<WaldurClient> {
        let outbox = Arc::new(Outbox::open(&db.join("relayer.redb"), 5).expect("outbox"));
        OfferingSync::new(config, fast_client(&self.waldur.base_url), outbox).expect("sync")
    }

    fn open(&self, config: OfferingSyncConfig) -> OfferingSync<WaldurClient> {
        self.open_in(self.dir.path(), config)
    }

    fn execute_as(&mut self, who: &str, msg: &ExecuteMsg) -> Option<Binary> {
        let sender = self.chain.addr(who);
        let marketplace = self.chain.marketplace.clone();
        self.chain
            .execute(&sender, &marketplace, msg, &[])
            .expect("marketplace execute")
            .data
    }

    fn execute(&mut self, msg: &ExecuteMsg) {
        self.execute_as("provider", msg);
    }

    fn create_offering_as(&mut self, who: &str, secrets: Option<EncryptedSecrets>) -> String {
        let data = self.execute_as(
            who,
            &ExecuteMsg::CreateOffering {
                offering: compute_fields(),
                encrypted_secrets: secrets,
            },
        );
        cosmwasm_std::from_json(data.expect("offering id")).expect("offering id")
    }

    fn create_offering(&mut self) -> String {
        self.create_offering_as("provider", None)
    }

    fn chain_offering(&self, id: &str) -> OfferingResponse {
        self.chain
            .app
            .wrap()
            .query_wasm_smart(
                self.chain.marketplace.clone(),
                &QueryMsg::Offering {
                    offering_id: id.to_string(),
                },
            )
            .expect("offering")
    }

    /// The customer's Waldur offerings made for `id`.
    async fn waldur_offerings_for(&self, id: &str) -> Vec<Offering> {
        let filter = OfferingFilter {
            customer_uuid: Some(self.customer_uuid.clone()),
            ..OfferingFilter::default()
        };
        let all = self.client.list_offerings(&filter).await.expect("list");
        all.into_iter()
            .filter(|o| o.backend_id.as_deref() == Some(id))
            .collect()
    }

    /// The one Waldur offering made for `id` (fails on none or two).
    async fn the_waldur_offering(&self, id: &str) -> Offering {
        let mut found = self.waldur_offerings_for(id).await;
        assert_eq!(found.len(), 1, "Waldur offerings for {id}: {found:#?}");
        found.remove(0)
    }
}

fn compute_fields() -> OfferingFields {
    OfferingFields {
        name: "Standard Compute Instance".into(),
        description: "General-purpose compute".into(),
        category: Category::Compute,
        pricing: Pricing {
            model: PricingModel::Hourly,
            denom: DENOM.into(),
            base_price: Uint128::new(50_000),
            components: vec![],
            minimum_commitment_seconds: 3_600,
        },
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        tags: vec!["compute".into(), "linux".into()],
        specifications: BTreeMap::from([
            ("vcpu".to_string(), "4".to_string()),
            ("memory_gb".to_string(), "16".to_string()),
        ]),
        min_identity_score: 30,
        require_mfa_for_orders: true,
    }
}

fn state_of(o: &Offering) -> &str {
    o.state.as_ref().map_or("", |s| s.as_str())
}

fn only_outcome(outcomes: &[(String, SyncOutcome)], id: &str) -> SyncOutcome {
    match outcomes {
        [(synced, outcome)] if synced == id => outcome.clone(),
        other => panic!("expected one outcome for {id}, got {other:#?}"),
    }
}

/// One chain change picked up and pushed, as a relayer pass does it.
async fn pass(
    sync: &mut OfferingSync<WaldurClient>,
    world: &World,
    now: u64,
) -> Vec<(String, SyncOutcome)> {
    sync.follow_chain(&world.chain, now)
        .await
        .expect("follow chain");
    sync.tick(&world.chain, now).await.expect("tick").outcomes
}

#[tokio::test(flavor = "current_thread")]
async fn a_new_offering_appears_in_waldur_mapped_and_active() {
    let mut w = World::new().await;
    let secrets = EncryptedSecrets {
        envelope: Binary::from(b"TOP-SECRET-ENVELOPE".to_vec()),
        recipient_key_ids: vec![SECRET_KEY_ID.into()],
    };
    let id = w.create_offering_as("provider", Some(secrets.clone()));
    let foreign = w.create_offering_as("other", None);
    let mut sync = w.open(w.config());

    let outcomes = pass(&mut sync, &w, T0).await;
    assert!(matches!(
        only_outcome(&outcomes, &id),
        SyncOutcome::Created { .. }
    ));

    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.name.as_deref(), Some("Standard Compute Instance"));
    assert_eq!(o.description.as_deref(), Some("General-purpose compute"));
    // No profile for Compute: the type every Waldur has.
    assert_eq!(o.offering_type.as_deref(), Some("Marketplace.Basic"));
    assert_eq!(o.category_uuid.as_deref(), Some(w.compute_uuid.as_str()));
    assert_eq!(o.customer_uuid.as_deref(), Some(w.customer_uuid.as_str()));
    assert_eq!(state_of(&o), "Active");
    let a = &o.attributes;
    assert_eq!(a["ve_offering_id"], id.as_str());
    assert_eq!(a["ve_version"], 1);
    assert_eq!(a["min_identity_score"], 30);
    assert_eq!(a["require_mfa"], true);
    assert_eq!(a["tags"], serde_json::json!(["compute", "linux"]));
    assert_eq!(a["regions"], serde_json::json!(["us-east-1", "eu-west-1"]));
    assert_eq!(a["vcpu"], "4");
    assert_eq!(a["memory_gb"], "16");
    assert_eq!(a["ve_pricing"]["base_price"], "0.050000");
    assert_eq!(a["ve_pricing"]["model"], "hourly");
    assert_eq!(o.components.len(), 2);
    let component = |kind: &str| {
        o.components
            .iter()
            .find(|c| c.component_type.as_deref() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} component"))
    };
    // The allocation's quantity: the only `limit` component.
    let q = component("ve-quantity");
    assert_eq!(q.billing_type.as_ref().map(|b| b.as_str()), Some("limit"));
    let c = component("base-price");
    assert_eq!(c.billing_type.as_ref().map(|b| b.as_str()), Some("usage"));
    assert_eq!(c.measured_unit.as_deref(), Some("hour"));
    assert_eq!(c.limit_period.as_deref(), Some("month"));
    assert_eq!(
        o.plans[0].unit_price.as_ref().map(|p| p.as_str()),
        Some("0.050000")
    );
    assert_eq!(o.plans[0].name.as_deref(), Some("Standard"));
    assert_eq!(o.plans[0].unit.as_ref().map(|u| u.as_str()), Some("hour"));

    // Encrypted secrets never reach Waldur.
    let uuid = o.uuid.clone().expect("uuid");
    let shown = w
        .waldur
        .state
        .offering_json(&uuid)
        .expect("offering")
        .to_string();
    assert!(!shown.contains(SECRET_KEY_ID), "{shown}");
    assert!(!shown.contains(&secrets.envelope.to_base64()), "{shown}");
    assert!(!shown.contains("TOP-SECRET"), "{shown}");

    let record = sync.record(&id).expect("record");
    assert_eq!(record.state, SyncState::Synced);
    assert_eq!(record.waldur_uuid.as_deref(), Some(uuid.as_str()));
    assert_eq!((record.chain_version, record.synced_version), (1, 1));
    assert_eq!(
        record.checksum.as_deref(),
        Some(ExportedOffering::from_waldur(&o).checksum().as_str())
    );
    assert_eq!(record.last_synced_at, Some(T0));
    // Another provider's offering is not this relayer's business.
    assert!(sync.record(&foreign).is_none());
    assert!(w.waldur_offerings_for(&foreign).await.is_empty());

    let m = sync.metrics();
    assert_eq!((m.total, m.successful, m.failed), (1, 1, 0));
    assert_eq!((m.events_received, m.events_processed), (1, 1));
    assert_eq!(
        (m.queue_depth, m.dead_letter_size, m.active_syncs),
        (0, 0, 0)
    );
    assert_eq!(m.duration.count, 1);
    // Synced in the tick at the time the event was seen.
    assert_eq!(m.backlog.latency.count, 1);
    assert_eq!(m.backlog.latency.sum_seconds, 0.0);
}

#[tokio::test(flavor = "current_thread")]
async fn an_update_changes_version_checksum_and_waldur() {
    let mut w = World::new().await;
    let id = w.create_offering();
    let mut sync = w.open(w.config());
    pass(&mut sync, &w, T0).await;
    let before = sync.record(&id).expect("record").clone();

    let mut pricing = compute_fields().pricing;
    pricing.base_price = Uint128::new(75_000);
    pricing.components = vec![PriceComponent {
        resource_type: "gpu".into(),
        unit: "gpu_hour".into(),
        price: Uint128::new(1_250_000),
    }];
    w.execute(&ExecuteMsg::UpdateOffering(OfferingUpdate {
        offering_id: id.clone(),
        name: Some("Bigger Compute".into()),
        description: None,
        pricing: Some(pricing),
        regions: None,
        tags: Some(vec!["gpu".into()]),
        specifications: None,
        min_identity_score: None,
        require_mfa_for_orders: None,
        encrypted_secrets: None,
    }));
    let outcomes = pass(&mut sync, &w, T0 + 60).await;
    assert!(matches!(
        only_outcome(&outcomes, &id),
        SyncOutcome::Updated { .. }
    ));

    let after = sync.record(&id).expect("record").clone();
    assert_eq!((after.chain_version, after.synced_version), (2, 2));
    assert_ne!(after.checksum, before.checksum);
    assert_eq!(after.waldur_uuid, before.waldur_uuid);
    assert_eq!(after.last_synced_at, Some(T0 + 60));

    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.name.as_deref(), Some("Bigger Compute"));
    assert_eq!(o.attributes["ve_version"], 2);
    assert_eq!(o.attributes["tags"], serde_json::json!(["gpu"]));
    assert_eq!(o.attributes["ve_pricing"]["base_price"], "0.075000");
    assert_eq!(
        o.attributes["ve_pricing"]["components"]["gpu"]["price"],
        "1.250000"
    );
    let mut types: Vec<_> = o
        .components
        .iter()
        .filter_map(|c| c.component_type.clone())
        .collect();
    types.sort();
    assert_eq!(types, ["base-price", "gpu", "ve-quantity"]);
    assert_eq!(
        after.checksum,
        Some(ExportedOffering::from_waldur(&o).checksum())
    );

    // Dropping a price component: Waldur 8.0.5's client cannot remove one,
    // so the attempt fails and says what an operator must do.
    let mut pricing = compute_fields().pricing;
    pricing.base_price = Uint128::new(75_000);
    w.execute(&ExecuteMsg::UpdateOffering(OfferingUpdate {
        offering_id: id.clone(),
        name: None,
        description: None,
        pricing: Some(pricing),
        regions: None,
        tags: None,
        specifications: None,
        min_identity_score: None,
        require_mfa_for_orders: None,
        encrypted_secrets: None,
    }));
    let outcomes = pass(&mut sync, &w, T0 + 120).await;
    match only_outcome(&outcomes, &id) {
        SyncOutcome::Failed { error, .. } => {
            assert!(error.contains("components gpu"), "{error}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // Everything else was still written.
    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.attributes["ve_version"], 3);
}

#[tokio::test(flavor = "current_thread")]
async fn chain_state_changes_become_waldur_state_actions() {
    let mut w = World::new().await;
    let id = w.create_offering();
    let mut sync = w.open(w.config());
    pass(&mut sync, &w, T0).await;

    let steps = [
        (
            ExecuteMsg::PauseOffering {
                offering_id: id.clone(),
            },
            "Paused",
        ),
        (
            ExecuteMsg::ResumeOffering {
                offering_id: id.clone(),
            },
            "Active",
        ),
        (
            ExecuteMsg::DeprecateOffering {
                offering_id: id.clone(),
            },
            "Paused",
        ),
        (
            ExecuteMsg::TerminateOffering {
                offering_id: id.clone(),
                reason: Some("retired".into()),
            },
            "Archived",
        ),
    ];
    for (i, (msg, waldur_state)) in steps.iter().enumerate() {
        w.execute(msg);
        let now = T0 + 10 * (i as u64 + 1);
        let outcomes = pass(&mut sync, &w, now).await;
        assert!(
            matches!(only_outcome(&outcomes, &id), SyncOutcome::Updated { .. }),
            "{msg:?}"
        );
        let o = w.the_waldur_offering(&id).await;
        assert_eq!(state_of(&o), *waldur_state, "after {msg:?}");
        let version = w.chain_offering(&id).offering.version;
        let record = sync.record(&id).expect("record");
        assert_eq!(record.synced_version, version);
        assert_eq!(record.state, SyncState::Synced);
    }
    assert_eq!(
        w.waldur
            .state
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/pause/"))
            .count(),
        2
    );
}

#[tokio::test(flavor = "current_thread")]
async fn repeated_events_restarts_and_lost_state_make_no_second_offering() {
    let mut w = World::new().await;
    let id = w.create_offering();
    let height = w.chain.latest_height().await.expect("height");
    let events: Vec<ContractEvent> = w.chain.events(1, height).await.expect("events");

    let uuid = {
        let mut sync = w.open(w.config());
        // The same event twice before the sync runs: one record, one create.
        assert_eq!(sync.ingest(&events, T0).expect("ingest"), 1);
        assert_eq!(sync.ingest(&events, T0).expect("ingest"), 0);
        let outcomes = sync.tick(&w.chain, T0).await.expect("tick").outcomes;
        let SyncOutcome::Created { waldur_uuid } = only_outcome(&outcomes, &id) else {
            panic!("expected a create: {outcomes:?}");
        };
        // And again after the sync: nothing to do.
        assert_eq!(sync.ingest(&events, T0 + 1).expect("ingest"), 0);
        assert!(sync
            .tick(&w.chain, T0 + 1)
            .await
            .expect("tick")
            .outcomes
            .is_empty());
        waldur_uuid
    };

    // A restart: the records come back from the database.
    {
        let mut sync = w.open(w.config());
        let record = sync.record(&id).expect("record survives a restart");
        assert_eq!(record.state, SyncState::Synced);
        assert_eq!(record.waldur_uuid.as_deref(), Some(uuid.as_str()));
        assert_eq!(sync.ingest(&events, T0 + 2).expect("ingest"), 0);
        assert!(sync
            .tick(&w.chain, T0 + 2)
            .await
            .expect("tick")
            .outcomes
            .is_empty());
    }

    // The database is lost (the guide's "Full Resync"): reconciliation
    // finds the Waldur offering by its backend_id instead of creating one.
    let fresh = tempfile::tempdir().expect("tempdir");
    let mut sync = w.open_in(fresh.path(), w.config());
    let report = sync.reconcile(&w.chain, T0 + 3).await.expect("reconcile");
    assert_eq!(report.queued, vec![id.clone()]);
    assert_eq!(
        only_outcome(&report.tick.outcomes, &id),
        SyncOutcome::Unchanged {
            waldur_uuid: uuid.clone()
        }
    );
    // Replaying the whole chain into the fresh database changes nothing.
    assert_eq!(sync.follow_chain(&w.chain, T0).await.expect("follow"), 0);
    assert!(sync
        .tick(&w.chain, T0 + 4)
        .await
        .expect("tick")
        .outcomes
        .is_empty());

    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.uuid.as_deref(), Some(uuid.as_str()));
    assert!(report.orphans.is_empty() && report.duplicates.is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn waldur_failures_back_off_to_an_hour_then_dead_letter_until_reprocessed() {
    let mut w = World::new().await;
    let id = w.create_offering();
    let mut config = w.config();
    // Enough attempts to reach the one-hour cap.
    config.retry.max_retries = 9;
    let mut sync = w.open(config);
    sync.follow_chain(&w.chain, T0).await.expect("follow");

    // More 500s than the client's own retries, for every call.
    w.waldur.inject(Fault::Status(500, 10_000));
    let mut now = T0;
    for (i, delay) in [30, 60, 120, 240, 480, 960, 1920, 3600]
        .into_iter()
        .enumerate()
    {
        let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
        match only_outcome(&outcomes, &id) {
            SyncOutcome::Failed {
                next_attempt_at, ..
            } => assert_eq!(next_attempt_at, now + delay, "failure {}", i + 1),
            other => panic!("expected a failure, got {other:?}"),
        }
        let record = sync.record(&id).expect("record");
        assert_eq!(record.state, SyncState::Failed);
        assert_eq!(sync.metrics().backlog.failed_records, 1);
        assert_eq!(record.failure_count, i as u32 + 1);
        assert_eq!(record.next_attempt_at, Some(now + delay));
        assert!(
            record.last_error.as_deref().unwrap_or("").contains("500"),
            "{record:?}"
        );
        // Not a second early.
        let early = sync.tick(&w.chain, now + delay - 1).await.expect("tick");
        assert!(early.outcomes.is_empty());
        now += delay;
    }
    let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
    assert!(matches!(
        only_outcome(&outcomes, &id),
        SyncOutcome::DeadLettered { .. }
    ));
    let record = sync.record(&id).expect("record");
    assert_eq!(record.state, SyncState::DeadLetter);
    assert_eq!((record.failure_count, record.next_attempt_at), (9, None));
    assert_eq!(record.dead_lettered_at, Some(now));
    assert_eq!(sync.dead_letters().len(), 1);
    // Dead letters wait for an operator.
    let later = sync.tick(&w.chain, now + 100_000).await.expect("tick");
    assert!(later.outcomes.is_empty());
    let m = sync.metrics();
    assert_eq!((m.total, m.failed, m.successful), (9, 9, 0));
    assert_eq!(
        (m.dead_lettered, m.dead_letter_size, m.queue_depth),
        (1, 1, 0)
    );
    assert_eq!(m.backlog.failed_records, 1, "a dead letter is failed too");
    assert_eq!(m.backlog.latency.count, 0, "not in sync yet");

    // Waldur recovers (nothing was created meanwhile); the operator
    // reprocesses.
    w.waldur.state.clear_faults();
    assert!(w.waldur_offerings_for(&id).await.is_empty());
    assert!(sync.reprocess(&id, now).expect("reprocess"));
    assert!(
        !sync.reprocess(&id, now).expect("reprocess"),
        "no longer a dead letter"
    );
    assert_eq!(sync.metrics().queue_depth, 1);
    let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
    assert!(matches!(
        only_outcome(&outcomes, &id),
        SyncOutcome::Created { .. }
    ));
    let record = sync.record(&id).expect("record");
    assert_eq!(record.state, SyncState::Synced);
    assert_eq!((record.failure_count, record.last_error.clone()), (0, None));
    assert_eq!(state_of(&w.the_waldur_offering(&id).await), "Active");
    assert_eq!(sync.metrics().dead_letter_size, 0);
    // The latency runs from the event seen at T0, backoffs included.
    let m = sync.metrics();
    assert_eq!(m.backlog.failed_records, 0);
    assert_eq!(
        (m.backlog.latency.count, m.backlog.latency.sum_seconds),
        (1, (now - T0) as f64)
    );
    assert_eq!(now - T0, 7_410);
    assert_eq!(
        m.backlog.latency.cumulative.last(),
        Some(&0),
        "over an hour"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_default_policy_dead_letters_after_five_failures_and_reprocess_all_recovers() {
    let mut w = World::new().await;
    let first = w.create_offering();
    let second = w.create_offering();
    let mut sync = w.open(w.config());
    sync.follow_chain(&w.chain, T0).await.expect("follow");

    w.waldur.inject(Fault::Status(500, 10_000));
    let mut now = T0;
    for delay in [30, 60, 120, 240] {
        let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
        assert_eq!(outcomes.len(), 2);
        for (_, outcome) in &outcomes {
            assert!(
                matches!(outcome, SyncOutcome::Failed { next_attempt_at, .. } if *next_attempt_at == now + delay),
                "{outcome:?}"
            );
        }
        now += delay;
    }
    let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
    assert!(outcomes
        .iter()
        .all(|(_, o)| matches!(o, SyncOutcome::DeadLettered { .. })));
    assert_eq!(sync.dead_letters().len(), 2);

    w.waldur.state.clear_faults();
    let mut revived = sync.reprocess_all(now).expect("reprocess all");
    revived.sort();
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(revived, both);
    let outcomes = sync.tick(&w.chain, now).await.expect("tick").outcomes;
    assert_eq!(outcomes.len(), 2);
    for id in [&first, &second] {
        assert_eq!(sync.record(id).expect("record").state, SyncState::Synced);
        w.the_waldur_offering(id).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn reconcile_repairs_drift_and_reports_orphans_without_deleting_them() {
    let mut w = World::new().await;
    let id = w.create_offering();
    let mut sync = w.open(w.config());
    pass(&mut sync, &w, T0).await;
    let synced = sync.record(&id).expect("record").clone();
    let uuid = synced.waldur_uuid.clone().expect("uuid");

    // Nothing to repair yet.
    let report = sync.reconcile(&w.chain, T0 + 300).await.expect("reconcile");
    assert!(report.drifted.is_empty() && report.tick.outcomes.is_empty());

    // Someone edits the offering in Waldur behind the relayer's back, and
    // an old export of a chain offering that no longer exists lingers.
    w.client
        .update_offering_overview(
            &uuid,
            &OfferingOverviewUpdate {
                name: "Renamed in Waldur".into(),
                ..OfferingOverviewUpdate::default()
            },
        )
        .await
        .expect("rename");
    assert!(w
        .waldur
        .state
        .set_offering_state(&uuid, waldur_emulator::OfferingState::Paused));
    let mut stray = OfferingSeed::new(&w.customer_uuid, &w.compute_uuid);
    stray.backend_id = format!("{}/99", w.provider);
    let orphan = w.waldur.state.seed_offering(stray).expect("orphan");
    // An offering made by hand in Waldur claims nothing.
    w.waldur
        .state
        .seed_offering(OfferingSeed::new(&w.customer_uuid, &w.compute_uuid))
        .expect("hand-made");

    let report = sync.reconcile(&w.chain, T0 + 600).await.expect("reconcile");
    assert_eq!(report.drifted, vec![id.clone()]);
    assert_eq!(report.orphans.len(), 1, "{:?}", report.orphans);
    assert_eq!(report.orphans[0].waldur_uuid, orphan.uuid);
    assert_eq!(
        report.orphans[0].ve_offering_id,
        format!("{}/99", w.provider)
    );
    assert!(matches!(
        only_outcome(&report.tick.outcomes, &id),
        SyncOutcome::Updated { .. }
    ));

    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.name.as_deref(), Some("Standard Compute Instance"));
    assert_eq!(state_of(&o), "Active");
    let record = sync.record(&id).expect("record");
    assert_eq!(record.state, SyncState::Synced);
    assert_eq!(record.checksum, synced.checksum, "the chain did not change");
    assert!(
        w.waldur.state.offering_json(&orphan.uuid).is_some(),
        "never deleted"
    );
    let m = sync.metrics();
    assert_eq!((m.drift_detected, m.reconciliations), (1, 2));

    // Repaired: the next run finds nothing.
    let report = sync.reconcile(&w.chain, T0 + 900).await.expect("reconcile");
    assert!(report.drifted.is_empty() && report.tick.outcomes.is_empty());
    assert_eq!(report.orphans.len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn offerings_ingested_from_waldur_are_left_to_waldur() {
    let w = World::new().await;
    let mut sync = w.open(w.config());
    let ingested = ContractEvent {
        height: 1,
        index: 0,
        contract: w.chain.marketplace.to_string(),
        kind: "offering_created".into(),
        attributes: [
            ("offering_id", format!("{}/7", w.provider)),
            ("provider", w.provider.to_string()),
            ("version", "1".to_string()),
            ("waldur_id", "0123abcd".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    };
    let mut malformed = ingested.clone();
    malformed.attributes.remove("version");
    assert_eq!(sync.ingest(&[ingested, malformed], T0).expect("ingest"), 1);
    let record = sync.record(&format!("{}/7", w.provider)).expect("record");
    assert!(record.waldur_owned);
    assert!(sync
        .tick(&w.chain, T0)
        .await
        .expect("tick")
        .outcomes
        .is_empty());
    let m = sync.metrics();
    assert_eq!(
        (m.events_received, m.events_dropped, m.queue_depth),
        (1, 1, 0)
    );
}

/// The category's profile sets the Waldur offering type and the plan. A
/// type no installed plugin provides (the mapping spec's `Support.PerHour`)
/// is refused by Waldur with 400 `{"type": ["Invalid value."]}`
/// (`OfferingCreateSerializer`'s type choices are the registered plugins'):
/// the attempt fails with Waldur's answer and creates nothing.
#[tokio::test(flavor = "current_thread")]
async fn the_category_profile_sets_type_and_plan_and_an_uninstalled_type_is_refused() {
    let mut w = World::new().await;
    let id = w.create_offering();

    let mut config = w.config();
    config.mapping.profiles.insert(
        Category::Compute,
        CategoryProfile {
            offering_type: "Support.PerHour".into(),
            ..CategoryProfile::default()
        },
    );
    let mut sync = w.open(config);
    let outcomes = pass(&mut sync, &w, T0).await;
    match only_outcome(&outcomes, &id) {
        SyncOutcome::Failed { error, .. } => {
            assert!(error.contains("400"), "{error}");
            assert!(error.contains("Invalid value."), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(w.waldur_offerings_for(&id).await.is_empty());
    drop(sync);

    // Another relayer database, a profile naming an installed plugin's
    // type and a plan of its own.
    let mut config = w.config();
    config.mapping.profiles.insert(
        Category::Compute,
        CategoryProfile {
            offering_type: "Marketplace.Script".into(),
            plan_name: "Daily".into(),
            plan_unit: Some(BillingUnit::Day),
        },
    );
    let other_db = tempfile::tempdir().expect("tempdir");
    let mut sync = w.open_in(other_db.path(), config);
    let outcomes = pass(&mut sync, &w, T0).await;
    assert!(
        matches!(only_outcome(&outcomes, &id), SyncOutcome::Created { .. }),
        "{outcomes:?}"
    );
    let o = w.the_waldur_offering(&id).await;
    assert_eq!(o.offering_type.as_deref(), Some("Marketplace.Script"));
    assert_eq!(o.plans.len(), 1);
    assert_eq!(o.plans[0].name.as_deref(), Some("Daily"));
    assert_eq!(o.plans[0].unit.as_ref().map(|u| u.as_str()), Some("day"));
}

/// Only staff may activate a Draft offering (`ProviderOfferingViewSet.
/// activate_permissions`): a relayer whose user is not staff creates the
/// offering, fails the attempt saying a staff user must activate it, and
/// succeeds once one has.
#[tokio::test(flavor = "current_thread")]
async fn a_draft_offering_waits_for_a_staff_user_to_activate_it() {
    let mut w = World::new().await;
    w.waldur.state.set_token_is_staff(false);
    let id = w.create_offering();
    let mut sync = w.open(w.config());
    let outcomes = pass(&mut sync, &w, T0).await;
    let next_attempt = match only_outcome(&outcomes, &id) {
        SyncOutcome::Failed {
            error,
            next_attempt_at,
        } => {
            assert!(
                error.contains("only a Waldur staff user may activate it"),
                "{error}"
            );
            next_attempt_at
        }
        other => panic!("expected a failure, got {other:?}"),
    };
    let o = w.the_waldur_offering(&id).await;
    assert_eq!(state_of(&o), "Draft");

    // A staff user activates it; the next attempt finds it as the chain says.
    let uuid = o.uuid.expect("uuid");
    w.waldur.state.set_token_is_staff(true);
    w.client.activate_offering(&uuid).await.expect("activate");
    w.waldur.state.set_token_is_staff(false);
    let report = sync.tick(&w.chain, next_attempt).await.expect("tick");
    assert!(
        matches!(
            only_outcome(&report.outcomes, &id),
            SyncOutcome::Unchanged { .. }
        ),
        "{report:?}"
    );
    assert_eq!(state_of(&w.the_waldur_offering(&id).await), "Active");
    assert_eq!(
        w.waldur_offerings_for(&id).await.len(),
        1,
        "no second offering"
    );
}
