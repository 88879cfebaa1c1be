//! No usage is lost between Waldur and the chain: fractions carried across
//! months, plan periods of one month added up, and a terminated resource's
//! usage listed until its last units are billed, then never again. Against
//! the emulator; the ledger's own property test is in
//! `src/waldur_side/adapter/usage_ledger.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_relayer::waldur_side::port::{RecordedUsage, UsageUpdate, WaldurPort};
use waldur::WaldurClient;
use waldur_emulator::{EmulatorHandle, ResourceState};

#[allow(dead_code)]
#[path = "support/site.rs"]
mod site;

const ALLOCATION: &str = "cust1/1/prov1";
const CHAIN_OFFERING: &str = "prov1/1";
const USAGES: &str = "/api/marketplace-component-usages/";

fn client(base: &str) -> WaldurClient {
    site::quick_client(base, "t")
}

struct World {
    waldur: EmulatorHandle,
    adapter: WaldurAdapter,
    offering_uuid: String,
    offering_url: String,
    project_url: String,
    outbox: Arc<Outbox>,
    resource: String,
    /// The chain's record the usage passes start new ledgers from.
    chain: RecordedUsage,
    _dir: tempfile::TempDir,
}

impl World {
    /// The relayer restarted: a new adapter over the same database.
    fn restart(&mut self) {
        self.adapter = WaldurAdapter::new(
            client(&self.waldur.base_url),
            self.project_url.clone(),
            BTreeMap::from([(CHAIN_OFFERING.to_string(), self.offering_url.clone())]),
            self.outbox.clone(),
        )
        .expect("adapter");
    }

    fn record(&self, amount: &str) {
        self.waldur
            .state
            .record_usage(&self.resource, "cpu", amount)
            .expect("usage");
    }

    /// One usage pass whose reports the engine stores (with their
    /// watermarks, in one commit); the units billed per component.
    async fn billed(&mut self, now: u64) -> Vec<(String, u128)> {
        let updates: Vec<UsageUpdate> = self
            .adapter
            .usage_updates(now, &mut self.chain)
            .await
            .expect("usage");
        for update in &updates {
            self.outbox
                .enqueue_with(Vec::new(), now, update.watermark.as_ref())
                .expect("stored");
        }
        updates
            .into_iter()
            .map(|u| (u.usage_type, u.units))
            .collect()
    }
}

/// A provisioned allocation whose resource is OK and seen so.
async fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let seeded = site::seeded_waldur("t", "Org", "Compute").await;
    let (waldur, project, offering) = (seeded.waldur, seeded.project, seeded.offering);
    let project_url = client(&waldur.base_url)
        .urls()
        .project(&project.uuid)
        .expect("project url");
    let outbox = Arc::new(Outbox::open(&dir.path().join("relayer.redb"), 5).expect("outbox"));
    let mut adapter = WaldurAdapter::new(
        client(&waldur.base_url),
        project_url.clone(),
        BTreeMap::from([(CHAIN_OFFERING.to_string(), offering.url.clone())]),
        outbox.clone(),
    )
    .expect("adapter");
    let order = adapter
        .provision(ALLOCATION, CHAIN_OFFERING, 1)
        .await
        .expect("provision");
    waldur
        .state
        .set_resource_state(&order.resource_uuid, ResourceState::Ok);
    // The engine stores the OK callback with its watermark.
    let seen = adapter.resource_updates(1_000).await.expect("poll");
    assert_eq!(seen.len(), 1);
    outbox
        .enqueue_with(Vec::new(), 1_000, seen[0].watermark.as_ref())
        .expect("stored");
    World {
        waldur,
        adapter,
        offering_uuid: offering.uuid,
        offering_url: offering.url,
        project_url,
        outbox,
        resource: order.resource_uuid,
        chain: RecordedUsage::default(),
        _dir: dir,
    }
}

fn last_month() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    ve_types::calendar::Date::from_unix_seconds(i64::try_from(now).expect("seconds"))
        .previous_month_start()
        .iso()
}

fn cpu(units: u128) -> Vec<(String, u128)> {
    vec![("cpu".to_string(), units)]
}

#[tokio::test(flavor = "current_thread")]
async fn twelve_and_a_half_hours_then_half_an_hour_next_month_bill_thirteen() {
    let mut w = world().await;
    w.waldur
        .state
        .set_usage_in_period(&w.resource, "cpu", "12.50", &last_month())
        .expect("usage");
    assert_eq!(w.billed(2_000).await, cpu(12));
    // The half hour is carried, across a restart too.
    w.restart();
    assert_eq!(w.billed(2_500).await, vec![]);
    w.record("0.50");
    assert_eq!(w.billed(3_000).await, cpu(1));
    w.restart();
    assert_eq!(w.billed(4_000).await, vec![]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_plan_switch_mid_month_adds_the_second_plan_periods_usage() {
    let mut w = world().await;
    let small = w
        .waldur
        .state
        .seed_plan(&w.offering_uuid, "Small")
        .expect("plan");
    let large = w
        .waldur
        .state
        .seed_plan(&w.offering_uuid, "Large")
        .expect("plan");
    w.waldur
        .state
        .switch_plan(&w.resource, &small.uuid)
        .expect("plan");
    w.record("3.60");
    assert_eq!(w.billed(2_000).await, cpu(3));
    w.waldur
        .state
        .switch_plan(&w.resource, &large.uuid)
        .expect("switch");
    w.record("2.40");
    // Two rows this month: 3.60 + 2.40 = 6, of which 3 are billed.
    assert_eq!(w.waldur.state.usages_json(&w.resource).len(), 2);
    assert_eq!(w.billed(3_000).await, cpu(3));
    // The same total again bills nothing.
    w.record("2.40");
    assert_eq!(w.billed(4_000).await, vec![]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_correction_down_is_not_billed_again_when_usage_climbs_back() {
    let mut w = world().await;
    w.record("10");
    assert_eq!(w.billed(2_000).await, cpu(10));
    w.record("8.50");
    assert_eq!(w.billed(3_000).await, vec![]);
    w.record("10.99");
    assert_eq!(w.billed(4_000).await, vec![]);
    w.record("12");
    assert_eq!(w.billed(5_000).await, cpu(2));
}

#[tokio::test(flavor = "current_thread")]
async fn usage_is_not_listed_after_termination_once_the_last_units_are_billed() {
    let mut w = world().await;
    w.record("2.50");
    assert_eq!(w.billed(2_000).await, cpu(2));
    // Terminating still takes usage in Waldur; Terminated does not.
    w.waldur
        .state
        .set_resource_state(&w.resource, ResourceState::Terminating);
    w.record("3.75");
    w.waldur
        .state
        .set_resource_state(&w.resource, ResourceState::Terminated);
    let seen = w.adapter.resource_updates(2_500).await.expect("poll");
    assert_eq!(seen.len(), 1);
    w.outbox
        .enqueue_with(Vec::new(), 2_500, seen[0].watermark.as_ref())
        .expect("stored");

    assert_eq!(w.billed(3_000).await, cpu(1));
    // One more listing finds nothing left: the usage is final.
    let before = w.waldur.state.request_count(USAGES);
    assert_eq!(w.billed(4_000).await, vec![]);
    assert!(w.waldur.state.request_count(USAGES) > before);
    let before = w.waldur.state.request_count(USAGES);
    assert_eq!(w.billed(5_000).await, vec![]);
    w.restart();
    assert_eq!(w.billed(6_000).await, vec![]);
    assert_eq!(
        w.waldur.state.request_count(USAGES),
        before,
        "a terminated resource's usage was listed again"
    );
}

/// A Terminated state seen but not yet stored by the engine is not saved
/// behind its back by the usage pass: after a restart it is seen again.
#[tokio::test(flavor = "current_thread")]
async fn the_usage_pass_does_not_store_an_unqueued_termination() {
    let mut w = world().await;
    w.waldur
        .state
        .set_resource_state(&w.resource, ResourceState::Terminated);
    let seen = w.adapter.resource_updates(2_000).await.expect("poll");
    assert_eq!(seen.len(), 1);
    // Not queued: the engine stopped here.
    assert_eq!(w.billed(2_100).await, vec![]);
    assert_eq!(w.billed(2_200).await, vec![]);
    w.restart();
    let again = w.adapter.resource_updates(3_000).await.expect("poll");
    assert_eq!(again.len(), 1, "the termination was lost");
}

fn months_ago(months: u32) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut month =
        ve_types::calendar::Date::from_unix_seconds(i64::try_from(now).expect("seconds"))
            .month_start();
    for _ in 0..months {
        month = month.previous_month_start();
    }
    month.iso()
}

/// A ledger the store does not hold (the relayer lost its database)
/// starts from the chain's record: its units count as billed, the next
/// period starts after its last one, and the months Waldur no longer
/// lists are read from the resource's usage history, so only what
/// Waldur's all-time total holds beyond the billed units is billed.
#[tokio::test(flavor = "current_thread")]
async fn a_lost_ledger_starts_from_the_chains_record_and_the_whole_history() {
    use ve_relayer::chain::BilledUsage;
    let mut w = world().await;
    // Before the loss: 10.30 three months ago and 2.00 last month, 12
    // units billed, the last period ending at 1_500.
    w.waldur
        .state
        .set_usage_in_period(&w.resource, "cpu", "10.30", &months_ago(3))
        .expect("usage");
    w.waldur
        .state
        .set_usage_in_period(&w.resource, "cpu", "2.50", &last_month())
        .expect("usage");
    w.record("1.40");
    w.chain.billed.insert(
        ALLOCATION.to_string(),
        vec![BilledUsage {
            usage_type: "cpu".into(),
            units: 12,
            last_period_end: 1_500,
        }],
    );
    let updates = w
        .adapter
        .usage_updates(2_000, &mut w.chain)
        .await
        .expect("usage");
    // 10.30 + 2.50 + 1.40 = 14.20: 2 units beyond the 12 on chain, in a
    // period after the chain's last one.
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(
        (
            updates[0].units,
            updates[0].period_start,
            updates[0].period_end
        ),
        (2, 1_500, 2_000)
    );
    for update in &updates {
        w.outbox
            .enqueue_with(Vec::new(), 2_000, update.watermark.as_ref())
            .expect("stored");
    }
    // The ledger is stored now: the chain is not asked again.
    w.chain.unreadable = Some("not asked".into());
    assert_eq!(w.billed(2_500).await, vec![]);
    // This month's total replaced: 10.30 + 2.50 + 2.60 = 15.40.
    w.record("2.60");
    assert_eq!(w.billed(3_000).await, cpu(1), "15: one more");
}

/// A chain that cannot be read holds a new ledger's usage: nothing is
/// billed or stored, and the next pass with the chain readable bills it.
#[tokio::test(flavor = "current_thread")]
async fn an_unreadable_chain_holds_a_new_ledgers_usage() {
    let mut w = world().await;
    w.record("2.00");
    w.chain.unreadable = Some("connection refused".into());
    assert_eq!(w.billed(2_000).await, vec![]);
    w.chain.unreadable = None;
    assert_eq!(w.billed(2_500).await, cpu(2));
    assert_eq!(w.billed(3_000).await, vec![]);
}
