//! The relayer beside Waldur's own site agent (waldur-site-agent), which
//! approves the offering's orders, finishes or fails them, sets each
//! resource's `backend_id` to its own backend's id and reports usage: the
//! emulator's `SiteAgent` stand-in does all of it, in a task of its own
//! that races the relayer. Each run ends with one Create order per
//! allocation, the agent's backend ids untouched, every callback landed
//! once; also after the relayer loses its database; and an erred
//! Terminate ends as a failed allocation on chain, with the agent's reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::Addr;
use serde_json::Value;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::{Engine, StepReport};
use ve_relayer::runtime::outbox::{EntryState, Outbox};
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_types::callback::AllocationStatePayload;
use ve_types::AllocationState;
use waldur::WaldurClient;
use waldur_emulator::{EmulatorHandle, Fault, SiteAgent};

#[allow(dead_code)]
#[path = "support/site.rs"]
mod site;

use site::{
    chain_with_relayer_key, create_offering, impatient_client, relay_engine, relayer_signer,
};

const TOKEN: &str = "site-agent-token";
const SIGNER_SEED: [u8; 32] = [9; 32];
const KEY_ID: &str = "relayer-1";

fn client(base: &str) -> WaldurClient {
    impatient_client(base, TOKEN)
}

struct World {
    waldur: EmulatorHandle,
    agent: Arc<SiteAgent>,
    /// The agent's order processor, polling on its own.
    agent_loop: tokio::task::JoinHandle<()>,
    /// Orders the agent approved.
    agent_approved: Arc<std::sync::Mutex<Vec<String>>>,
    engine: Engine<EmbeddedChain, WaldurAdapter>,
    project_url: String,
    offerings: BTreeMap<String, String>,
    provider: Addr,
    customer: Addr,
    offering: String,
    /// Every pass's report, summed.
    totals: StepReport,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let seeded = site::seeded_waldur(TOKEN, "Provider Org", "HPC").await;
        let (waldur, project, waldur_offering) = (seeded.waldur, seeded.project, seeded.offering);
        let agent = Arc::new(waldur.state.site_agent(&waldur_offering.uuid));
        let polling = agent.clone();
        let agent_approved = Arc::new(std::sync::Mutex::new(Vec::new()));
        let approved = agent_approved.clone();
        let agent_loop = tokio::spawn(async move {
            loop {
                let pass = polling.process_orders();
                if let Ok(mut seen) = approved.lock() {
                    seen.extend(pass.approved);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        let (mut chain, signer) = chain_with_relayer_key(SIGNER_SEED, KEY_ID);
        let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
        let offering = create_offering(
            &mut chain,
            &provider,
            "HPC",
            ve_types::Category::Hpc,
            ve_types::PricingModel::Hourly,
            // A rate for the usage the agent reports.
            vec![ve_types::PriceComponent {
                resource_type: "cpu".into(),
                unit: "hours".into(),
                price: cosmwasm_std::Uint128::new(1),
            }],
        );
        let dir = tempfile::tempdir().expect("dir");
        let relayer_client = client(&waldur.base_url);
        let project_url = relayer_client.urls().project(&project.uuid).expect("url");
        let offerings = BTreeMap::from([(offering.clone(), waldur_offering.url.clone())]);
        let engine = relay_engine(
            chain,
            signer,
            relayer_client,
            project_url.clone(),
            offerings.clone(),
            &dir.path().join("relayer-1.redb"),
            5,
        );
        World {
            waldur,
            agent,
            agent_loop,
            agent_approved,
            engine,
            project_url,
            offerings,
            provider,
            customer,
            offering,
            totals: StepReport::default(),
            dir,
        }
    }

    /// The relayer restarts on an empty database file (its disk was
    /// lost): it reads the chain from the start again and finds its
    /// Waldur work through Waldur alone.
    fn lose_database(&mut self, generation: u32) {
        let path = self.dir.path().join(format!("relayer-{generation}.redb"));
        let outbox = Arc::new(Outbox::open(&path, 5).expect("new db"));
        self.engine.waldur = WaldurAdapter::new(
            client(&self.waldur.base_url),
            self.project_url.clone(),
            self.offerings.clone(),
            outbox.clone(),
        )
        .expect("adapter");
        self.engine.signer = relayer_signer(&self.engine.chain, SIGNER_SEED, KEY_ID);
        self.engine.outbox = outbox;
    }

    /// A customer's order, the provider's bid, the acceptance: an
    /// allocation the relayer must provision.
    fn allocate(&mut self) -> String {
        self.engine
            .chain
            .allocate(&self.customer, &self.provider, &self.offering, 1_000)
            .expect("allocation")
    }

    fn terminate(&mut self, allocation: &str) {
        self.engine
            .chain
            .request_termination(&self.customer, allocation)
            .expect("terminate requested");
    }

    fn state(&self, allocation: &str) -> AllocationState {
        self.engine
            .chain
            .allocation_state(allocation)
            .expect("allocation")
    }

    /// One relayer pass, then the chain's clock moved on to the next
    /// retry of whatever waits; the agent works meanwhile.
    async fn pass(&mut self) {
        if let Ok(report) = self.engine.catch_up().await {
            self.totals.absorb(report);
        }
        // The agent's next polls.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = self.engine.chain.now();
        let next = self
            .engine
            .outbox
            .intent_figures()
            .expect("intents")
            .next_attempt_at
            .unwrap_or(now);
        self.engine.chain.advance(next.saturating_sub(now).max(5));
    }

    async fn relay_until(&mut self, allocations: &[String], wanted: AllocationState) {
        for _ in 0..60 {
            self.pass().await;
            if allocations.iter().all(|a| self.state(a) == wanted) {
                return;
            }
        }
        let states: Vec<_> = allocations.iter().map(|a| self.state(a)).collect();
        panic!(
            "not all {wanted:?}: {states:?}; intents {:?}",
            self.engine.outbox.intents(10)
        );
    }

    /// Create orders per allocation (`attributes.ve_allocation_id`).
    fn create_orders_per_allocation(&self) -> BTreeMap<String, usize> {
        let mut per = BTreeMap::new();
        for order in self.waldur.state.orders_json() {
            if order["type"] == "Create" {
                let allocation = order["attributes"]["ve_allocation_id"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_string();
                *per.entry(allocation).or_insert(0) += 1;
            }
        }
        per
    }

    /// Units of `usage_type` the settlement contract holds for the
    /// allocation (its `UsageSummary`, rejected records excluded).
    fn billed_units(&self, allocation: &str, usage_type: &str) -> u128 {
        let answer: settlement::msg::UsageSummaryResponse = self
            .engine
            .chain
            .app
            .wrap()
            .query_wasm_smart(
                self.engine.chain.settlement.clone(),
                &settlement::msg::QueryMsg::UsageSummary {
                    allocation_id: allocation.to_string(),
                },
            )
            .expect("usage summary");
        answer
            .usage
            .iter()
            .filter(|u| u.usage_type == usage_type)
            .map(|u| u.units.u128())
            .sum()
    }

    /// Callback ids the outbox holds in `state`.
    fn callbacks(&self, state: EntryState) -> Vec<String> {
        self.engine
            .outbox
            .in_state(state, 10_000)
            .expect("outbox")
            .into_iter()
            .map(|e| e.callback.callback_id)
            .collect()
    }

    /// Nothing waiting, nothing given up on, nothing refused.
    fn assert_nothing_lost(&self) {
        let intents = self.engine.outbox.intent_figures().expect("figures");
        assert_eq!(
            (intents.waiting, intents.dead_letters),
            (0, 0),
            "{intents:?}"
        );
        let (pending, _, dead) = self.engine.outbox.counts().expect("counts");
        assert_eq!((pending, dead), (0, 0), "outbox");
    }

    /// The agent's backend ids, by resource: the relayer never wrote one.
    fn backend_ids(&self) -> BTreeMap<String, String> {
        self.waldur
            .state
            .resource_uuids()
            .into_iter()
            .map(|uuid| {
                let resource = self.waldur.state.resource_json(&uuid).expect("resource");
                let id = resource["backend_id"].as_str().unwrap_or("").to_string();
                (uuid, id)
            })
            .collect()
    }

    fn relayer_set_backend_ids(&self) -> usize {
        self.waldur
            .state
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/set_backend_id/"))
            .count()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.agent_loop.abort();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn beside_the_site_agent_one_order_each_and_every_callback_once_also_after_a_lost_database() {
    let mut w = World::new().await;
    let allocations: Vec<String> = (0..3).map(|_| w.allocate()).collect();
    // The relayer's first approval is held while the agent approves: it
    // meets 409 and reads the order back (executing or done: success).
    w.waldur.state.inject_on(
        "POST",
        "marketplace-orders/*/approve_by_provider/",
        Fault::Delay(Duration::from_millis(200), 1),
    );
    w.relay_until(&allocations, AllocationState::Active).await;
    assert_eq!(w.waldur.state.pending_faults(), 0, "the delay was met");
    // The agent approved at least the order whose approval was held; the
    // relayer asked for every one, so at least one met 409 and was read
    // back as a success.
    let by_agent = w.agent_approved.lock().map(|v| v.len()).unwrap_or(0);
    let relayer_approvals = w
        .waldur
        .state
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/approve_by_provider/"))
        .count();
    assert!(by_agent >= 1, "the agent approved {by_agent}");
    assert_eq!(relayer_approvals, 3, "the relayer approved each once");

    let per_allocation = w.create_orders_per_allocation();
    let expected: BTreeMap<String, usize> = allocations.iter().map(|a| (a.clone(), 1)).collect();
    assert_eq!(per_allocation, expected, "one Create order per allocation");
    assert_eq!(w.waldur.state.order_count(), 3);
    assert_eq!(w.waldur.state.resource_count(), 3);
    for order in w.waldur.state.orders_json() {
        assert_eq!(order["state"], "done", "{order}");
    }
    let agent_ids = w.backend_ids();
    assert!(
        agent_ids.values().all(|id| id.starts_with("slurm-acct-")),
        "{agent_ids:?}"
    );
    assert_eq!(w.relayer_set_backend_ids(), 0, "backend_id is the agent's");

    // The agent reports usage; the relayer carries it.
    assert_eq!(w.agent.report_usage("cpu", "4.00"), 3);
    for _ in 0..3 {
        w.pass().await;
    }
    let done = w.callbacks(EntryState::Done);
    for allocation in &allocations {
        let active = format!("provision:{allocation}:active");
        assert_eq!(
            done.iter().filter(|id| **id == active).count(),
            1,
            "{done:?}"
        );
        let usage = format!("usage:{allocation}:cpu:");
        assert_eq!(
            done.iter().filter(|id| id.starts_with(&usage)).count(),
            1,
            "{done:?}"
        );
    }
    assert_eq!(w.totals.already_processed, 0, "nothing sent twice");
    w.assert_nothing_lost();

    // The relayer loses its database and runs again from the chain's start.
    w.lose_database(2);
    let before = w.totals.clone();
    for _ in 0..6 {
        w.pass().await;
    }
    for allocation in &allocations {
        assert_eq!(w.state(allocation), AllocationState::Active);
    }
    assert_eq!(
        w.create_orders_per_allocation(),
        expected,
        "still one order each"
    );
    assert_eq!(w.waldur.state.order_count(), 3, "no order of any kind");
    assert_eq!(w.backend_ids(), agent_ids, "the agent's ids untouched");
    assert_eq!(w.relayer_set_backend_ids(), 0);
    // The replay signs the allocations' states again (a new nonce): the
    // chain holds each id already, so each is recognised as already on
    // chain, none applied twice, none refused or left as a dead letter.
    let replayed: Vec<String> = w
        .callbacks(EntryState::Done)
        .into_iter()
        .filter(|id| !id.starts_with("usage:"))
        .collect();
    assert_eq!(
        w.totals.already_processed - before.already_processed,
        replayed.len() as u64,
        "{replayed:?}"
    );
    assert_eq!(w.totals.failed, before.failed, "no callback refused");
    w.assert_nothing_lost();

    // The allocations are still the relayer's to end: found by their
    // orders (not by backend_id), each terminated once.
    for allocation in &allocations {
        w.terminate(allocation);
    }
    w.relay_until(&allocations, AllocationState::Terminated)
        .await;
    let terminates = w
        .waldur
        .state
        .orders_json()
        .into_iter()
        .filter(|o| o["type"] == "Terminate")
        .count();
    assert_eq!(terminates, 3);
    w.assert_nothing_lost();
}

#[tokio::test(flavor = "current_thread")]
async fn an_erred_terminate_fails_the_allocation_with_the_agents_reason() {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    let reason = "sacctmgr: account has running jobs";
    w.agent.fail_next_terminates(1, reason);
    w.terminate(&allocation);
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Failed)
        .await;

    // Waldur put the resource back to OK (`resource_deletion_failed`).
    let resource = w.waldur.state.resource_uuids().remove(0);
    let resource_json = w.waldur.state.resource_json(&resource).expect("resource");
    assert_eq!(resource_json["state"], "OK");
    let terminate: Vec<Value> = w
        .waldur
        .state
        .orders_json()
        .into_iter()
        .filter(|o| o["type"] == "Terminate")
        .collect();
    assert_eq!(terminate.len(), 1);
    assert_eq!(terminate[0]["state"], "erred");

    // The failure went on chain with the agent's message as the reason.
    let failed_id = format!("terminate:{allocation}:failed");
    let entry = w
        .engine
        .outbox
        .get(&failed_id)
        .expect("outbox")
        .expect("the failed callback");
    assert_eq!(entry.state, EntryState::Done);
    let payload: AllocationStatePayload =
        serde_json::from_slice(entry.callback.payload.as_slice()).expect("payload");
    assert_eq!(payload.state, AllocationState::Failed);
    assert_eq!(payload.reason.as_deref(), Some(reason));

    // The resource back to OK is not a second `active`: later passes send
    // nothing.
    let queued = w.totals.callbacks_queued;
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(w.totals.callbacks_queued, queued, "nothing more to say");
    assert_eq!(w.state(&allocation), AllocationState::Failed);
    w.assert_nothing_lost();
}

#[tokio::test(flavor = "current_thread")]
async fn an_erred_create_fails_the_allocation_with_the_agents_reason() {
    let mut w = World::new().await;
    // The backend fails the order before the agent's loop sees it.
    w.agent_loop.abort();
    let allocation = w.allocate();
    w.pass().await;
    let order = w.waldur.state.orders_json().remove(0);
    let order_uuid = order["uuid"].as_str().expect("uuid").to_string();
    let backend = client(&w.waldur.base_url);
    backend
        .set_order_state_erred(&order_uuid, Some("no such QoS: gpu-large"), None)
        .await
        .expect("erred");
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Failed)
        .await;
    let entry = w
        .engine
        .outbox
        .get(&format!("provision:{allocation}:failed"))
        .expect("outbox")
        .expect("the failed callback");
    let payload: AllocationStatePayload =
        serde_json::from_slice(entry.callback.payload.as_slice()).expect("payload");
    assert_eq!(payload.reason.as_deref(), Some("no such QoS: gpu-large"));
    w.assert_nothing_lost();
}

/// After a lost database the usage ledgers start from the chain's record
/// (settlement's `UsageSummary`): what was billed is not billed again,
/// and usage that grows further is billed exactly once more, so the chain
/// ends with floor(Waldur's total) units.
#[tokio::test(flavor = "current_thread")]
async fn a_lost_database_does_not_report_usage_twice() {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    assert_eq!(w.agent.report_usage("cpu", "4.50"), 1);
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(w.billed_units(&allocation, "cpu"), 4);
    let usage_reports = |w: &World| {
        w.callbacks(EntryState::Done)
            .into_iter()
            .filter(|id| id.starts_with("usage:"))
            .count()
    };
    assert_eq!(usage_reports(&w), 1);
    w.lose_database(2);
    // The chain is read from its start again: the allocation is found
    // through its Create order, its resource is OK.
    for _ in 0..4 {
        w.pass().await;
    }
    assert_eq!(usage_reports(&w), 0, "the 4 cpu hours were reported again");
    assert_eq!(w.billed_units(&allocation, "cpu"), 4);
    // The month-to-date total grows: only the new whole units are billed,
    // the half hour carried from before the loss included.
    assert_eq!(w.agent.report_usage("cpu", "7.75"), 1);
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(usage_reports(&w), 1);
    assert_eq!(w.billed_units(&allocation, "cpu"), 7, "floor(7.75)");
    assert_eq!(w.totals.failed, 0, "no usage report refused");
    w.assert_nothing_lost();
}

/// When the chain's usage record cannot be read, a usage pass bills
/// nothing (never blind) and says why; once it can, the next pass bills.
/// Here the record stays unreadable until after the allocation is
/// terminated: its usage is first billed in a pass after the one that saw
/// the resource Terminated, after the chain ended the escrow. The period
/// ends when the resource was seen Terminated, inside the escrow's window
/// (settlement refuses periods ending after `ended_at`): accepted, nothing
/// lost. Usage that shows up after that last period can never be billed:
/// operators are told, with the units, and nothing is sent.
#[tokio::test(flavor = "current_thread")]
async fn usage_waits_for_a_readable_chain_and_a_terminated_resources_last_usage_is_billed() {
    use std::sync::atomic::Ordering;
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    w.engine
        .chain
        .unreadable_usage_summaries
        .store(u32::MAX, Ordering::SeqCst);
    assert_eq!(w.agent.report_usage("cpu", "3.60"), 1);
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(w.billed_units(&allocation, "cpu"), 0, "not billed blind");
    assert!(
        w.totals.notes.iter().any(|n| n.contains(&allocation)
            && n.contains("waits")
            && n.contains("connection refused")),
        "{:?}",
        w.totals.notes
    );
    w.terminate(&allocation);
    w.relay_until(
        std::slice::from_ref(&allocation),
        AllocationState::Terminated,
    )
    .await;
    // Later passes: the chain's clock moves past the escrow's end.
    for _ in 0..2 {
        w.pass().await;
    }
    assert_eq!(w.billed_units(&allocation, "cpu"), 0);
    w.engine
        .chain
        .unreadable_usage_summaries
        .store(0, Ordering::SeqCst);
    w.pass().await;
    assert_eq!(
        w.billed_units(&allocation, "cpu"),
        3,
        "floor(3.60), accepted"
    );
    // A total Waldur shows only after that (set here behind Waldur's
    // back: it takes no usage for a Terminated resource) has no billable
    // period left: nothing is sent for the chain to refuse.
    let resource = w.waldur.state.resource_uuids().remove(0);
    let queued = w.totals.callbacks_queued;
    assert!(w
        .waldur
        .state
        .set_resource_state(&resource, waldur_emulator::ResourceState::Terminating));
    w.waldur
        .state
        .record_usage(&resource, "cpu", "6.60")
        .expect("late usage");
    assert!(w
        .waldur
        .state
        .set_resource_state(&resource, waldur_emulator::ResourceState::Terminated));
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(w.billed_units(&allocation, "cpu"), 3);
    assert_eq!(w.totals.callbacks_queued, queued, "nothing sent");
    let told: Vec<&String> = w
        .totals
        .notes
        .iter()
        .filter(|n| n.contains("3 unit(s) of cpu") && n.contains("cannot be billed"))
        .collect();
    assert_eq!(told.len(), 1, "told once: {:?}", w.totals.notes);
    assert_eq!(w.totals.failed, 0, "{:?}", w.totals.notes);
    w.assert_nothing_lost();
}

/// An active allocation whose resource errs in Waldur (on the backend, or
/// an Update order erred: `resource_update_failed`) cannot become failed
/// on chain (no Active -> Failed): nothing is sent, operators are told.
#[tokio::test(flavor = "current_thread")]
async fn an_active_allocations_erred_resource_is_told_to_operators_not_sent() {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    let resource = w.waldur.state.resource_uuids().remove(0);
    assert!(w
        .waldur
        .state
        .set_resource_state(&resource, waldur_emulator::ResourceState::Erred));
    let (queued, told) = (
        w.totals.callbacks_queued,
        w.totals.waldur_failures_not_on_chain,
    );
    for _ in 0..3 {
        w.pass().await;
    }
    assert_eq!(w.totals.callbacks_queued, queued, "nothing sent");
    assert_eq!(w.totals.waldur_failures_not_on_chain, told + 1, "told once");
    assert!(
        w.totals
            .notes
            .iter()
            .any(|n| n.contains(&allocation) && n.contains("an operator must act")),
        "{:?}",
        w.totals.notes
    );
    assert_eq!(w.state(&allocation), AllocationState::Active);
    w.assert_nothing_lost();
}

/// Orders whose resources show no success are read back at most
/// `ORDERS_POLLED_PER_PASS` a pass, in turn; the others cost nothing
/// beyond the pass's one resource listing.
#[tokio::test(flavor = "current_thread")]
async fn order_read_backs_are_bounded_and_taken_in_turn() {
    use ve_relayer::waldur_side::adapter::ORDERS_POLLED_PER_PASS;
    use ve_relayer::waldur_side::port::WaldurPort;
    let mut w = World::new().await;
    // No agent: the orders stay executing.
    w.agent_loop.abort();
    let count = ORDERS_POLLED_PER_PASS + 4;
    for n in 0..count {
        w.engine
            .waldur
            .provision(&format!("alloc-{n}"), &w.offering, 1)
            .await
            .expect("provision");
    }
    // Creating resources: nothing to read back.
    let reads = |w: &World, from: usize| -> Vec<String> {
        w.waldur.state.requests()[from..]
            .iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/api/marketplace-orders/"))
            .map(|r| r.path.clone())
            .collect()
    };
    let before = w.waldur.state.requests().len();
    w.engine.waldur.resource_updates(1_000).await.expect("poll");
    assert_eq!(reads(&w, before), Vec::<String>::new());
    // The backend errs every resource while its order stays executing.
    for uuid in w.waldur.state.resource_uuids() {
        w.waldur
            .state
            .set_resource_state(&uuid, waldur_emulator::ResourceState::Erred);
    }
    let before = w.waldur.state.requests().len();
    w.engine.waldur.resource_updates(1_010).await.expect("poll");
    let first = reads(&w, before);
    assert_eq!(first.len(), ORDERS_POLLED_PER_PASS);
    let before = w.waldur.state.requests().len();
    w.engine.waldur.resource_updates(1_020).await.expect("poll");
    let second = reads(&w, before);
    assert_eq!(second.len(), ORDERS_POLLED_PER_PASS);
    let all: std::collections::BTreeSet<&String> = first.iter().chain(&second).collect();
    assert_eq!(all.len(), count, "every order read within two passes");
}

/// After a lost database the chain's terminate request is read again; the
/// resource's erred Terminate order is that request's: no second order,
/// and the chain's `failed` stands (the re-signed report is recognised).
#[tokio::test(flavor = "current_thread")]
async fn a_lost_database_does_not_terminate_again_after_an_erred_terminate() {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    w.agent.fail_next_terminates(1, "account has running jobs");
    w.terminate(&allocation);
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Failed)
        .await;
    w.lose_database(2);
    let before = w.totals.clone();
    for _ in 0..6 {
        w.pass().await;
    }
    let orders: Vec<(String, String)> = w
        .waldur
        .state
        .orders_json()
        .into_iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap_or("?").to_string(),
                o["state"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    assert_eq!(
        orders,
        vec![
            ("Create".to_string(), "done".to_string()),
            ("Terminate".to_string(), "erred".to_string())
        ]
    );
    assert_eq!(w.state(&allocation), AllocationState::Failed);
    assert_eq!(w.totals.failed, before.failed, "nothing refused");
    let failed_id = format!("terminate:{allocation}:failed");
    assert!(w.callbacks(EntryState::Done).contains(&failed_id));
    w.assert_nothing_lost();
}
