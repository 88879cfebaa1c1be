//! The relay loop (embedded chain, real Waldur adapter and client) against
//! a Waldur emulator that misbehaves the ways a real one does: an answer
//! slower than the client waits (the request still takes effect), a single
//! 400/401/403/404/409, a 409 on terminate, a long outage, a large backlog.
//! Each run ends with every allocation in its right state on chain and in
//! Waldur, one Waldur order per allocation, and no dead letter.

use std::collections::BTreeMap;
use std::time::Duration;

use cosmwasm_std::Addr;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::Engine;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_types::AllocationState;
use waldur::{OrderFilter, OrderState, WaldurClient};
use waldur_emulator::{EmulatorHandle, Fault};

#[allow(dead_code)]
#[path = "support/site.rs"]
mod site;

use site::{chain_with_relayer_key, create_offering, impatient_client, relay_engine};

const TOKEN: &str = "faults-token";

fn client(base: &str) -> WaldurClient {
    impatient_client(base, TOKEN)
}

struct World {
    waldur: EmulatorHandle,
    /// The provider's backend (its site agent), finishing Waldur orders.
    backend: WaldurClient,
    engine: Engine<EmbeddedChain, WaldurAdapter>,
    provider: Addr,
    customer: Addr,
    offering: String,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let seeded = site::seeded_waldur(TOKEN, "Provider Org", "Compute").await;
        let (mut chain, signer) = chain_with_relayer_key([7; 32], "relayer-1");
        let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
        let offering = create_offering(
            &mut chain,
            &provider,
            "Compute",
            ve_types::Category::Compute,
            ve_types::PricingModel::Hourly,
            vec![],
        );
        let dir = tempfile::tempdir().expect("dir");
        let waldur = seeded.waldur;
        let relayer_client = client(&waldur.base_url);
        let project_url = relayer_client
            .urls()
            .project(&seeded.project.uuid)
            .expect("url");
        let offerings = BTreeMap::from([(offering.clone(), seeded.offering.url.clone())]);
        let engine = relay_engine(
            chain,
            signer,
            relayer_client,
            project_url,
            offerings,
            &dir.path().join("relayer.redb"),
            5,
        );
        World {
            backend: client(&waldur.base_url),
            waldur,
            engine,
            provider,
            customer,
            offering,
            _dir: dir,
        }
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

    /// The backend finishes every executing order (Waldur then moves the
    /// resource to OK, or to Terminated). Its own calls may meet the
    /// injected faults too: it tries again next round.
    async fn backend_finishes_orders(&self) {
        let filter = OrderFilter {
            states: vec![OrderState::Executing],
            ..OrderFilter::default()
        };
        let Ok(orders) = self.backend.list_orders(&filter).await else {
            return;
        };
        for uuid in orders.into_iter().filter_map(|o| o.uuid) {
            let _ = self.backend.set_order_state_done(&uuid).await;
        }
    }

    /// Relayer passes, the backend finishing orders between them and the
    /// chain's clock moved on to the next retry of whatever waits, until
    /// every one of `allocations` is in `wanted` (or 60 rounds pass).
    async fn relay_until(&mut self, allocations: &[String], wanted: AllocationState) {
        for _ in 0..60 {
            // A pass cut short by Waldur's own polls failing is run again.
            let _ = self.engine.catch_up().await;
            self.backend_finishes_orders().await;
            if allocations.iter().all(|a| self.state(a) == wanted) {
                return;
            }
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
        let states: Vec<_> = allocations.iter().map(|a| self.state(a)).collect();
        panic!(
            "not all {wanted:?}: {states:?}; intents {:?}",
            self.engine.outbox.intents(10)
        );
    }

    /// What every run must end with: one Waldur order per allocation and
    /// per terminate, each resource in `resource_state`, nothing waiting or
    /// given up on.
    fn assert_clean_end(&self, allocations: usize, orders: usize, resource_state: &str) {
        assert_eq!(self.waldur.state.order_count(), orders, "Waldur orders");
        assert_eq!(
            self.waldur.state.resource_count(),
            allocations,
            "Waldur resources"
        );
        for uuid in self.waldur.state.resource_uuids() {
            let resource = self.waldur.state.resource_json(&uuid).expect("resource");
            assert_eq!(resource["state"], resource_state, "{resource}");
        }
        let intents = self.engine.outbox.intent_figures().expect("figures");
        assert_eq!(
            (intents.waiting, intents.dead_letters),
            (0, 0),
            "{intents:?}"
        );
        let (pending, _, dead) = self.engine.outbox.counts().expect("counts");
        assert_eq!((pending, dead), (0, 0), "outbox");
    }
}

async fn provisioned_despite(scope: &str, fault: Fault) {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.waldur.state.inject_at(scope, fault.clone());
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    assert_eq!(
        w.waldur.state.pending_faults(),
        0,
        "{scope} {fault:?} was met"
    );
    w.assert_clean_end(1, 1, "OK");
}

#[tokio::test(flavor = "current_thread")]
async fn an_order_create_slower_than_the_timeout_makes_one_order() {
    // Carried out at once, answered after the client gave up.
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.waldur.state.inject_on(
        "POST",
        "marketplace-orders/",
        Fault::LateAnswer(Duration::from_millis(800), 1),
    );
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    assert_eq!(
        w.waldur.state.pending_faults(),
        0,
        "the late answer was met"
    );
    w.assert_clean_end(1, 1, "OK");
}

#[tokio::test(flavor = "current_thread")]
async fn a_single_4xx_of_each_kind_on_the_order_is_retried_to_one_order() {
    for status in [400, 401, 403, 404, 409] {
        provisioned_despite("marketplace-orders/", Fault::Status(status, 1)).await;
        // The same on the create itself (the prefix also matches the
        // lookup of an earlier attempt's order, a GET).
        let mut w = World::new().await;
        let allocation = w.allocate();
        w.waldur
            .state
            .inject_on("POST", "marketplace-orders/", Fault::Status(status, 1));
        w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
            .await;
        assert_eq!(w.waldur.state.pending_faults(), 0);
        w.assert_clean_end(1, 1, "OK");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_single_4xx_on_the_resource_listing_is_retried() {
    for status in [400, 401, 403, 404, 409] {
        provisioned_despite("marketplace-provider-resources/", Fault::Status(status, 1)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_409_on_terminate_is_waited_out() {
    let mut w = World::new().await;
    let allocation = w.allocate();
    w.relay_until(std::slice::from_ref(&allocation), AllocationState::Active)
        .await;
    w.terminate(&allocation);
    let resource = w.waldur.state.resource_uuids().remove(0);
    w.waldur.state.inject_at(
        &format!("marketplace-provider-resources/{resource}/terminate/"),
        Fault::Status(409, 2),
    );
    w.relay_until(
        std::slice::from_ref(&allocation),
        AllocationState::Terminated,
    )
    .await;
    w.assert_clean_end(1, 2, "Terminated");
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_outage_loses_nothing() {
    let mut w = World::new().await;
    let allocations: Vec<String> = (0..5).map(|_| w.allocate()).collect();
    // Waldur answers 503 to everything for a long while: more failed
    // requests than many passes of client retries make.
    w.waldur.state.inject(Fault::Status(503, 200));
    w.relay_until(&allocations, AllocationState::Active).await;
    assert_eq!(w.waldur.state.pending_faults(), 0, "the outage ended");
    w.assert_clean_end(5, 5, "OK");
}

#[tokio::test(flavor = "current_thread")]
async fn a_backlog_under_storms_ends_with_one_order_each() {
    let mut w = World::new().await;
    let allocations: Vec<String> = (0..60).map(|_| w.allocate()).collect();
    w.waldur.state.inject(Fault::Status(500, 5));
    w.waldur.state.inject(Fault::Status(429, 5));
    w.waldur.state.inject(Fault::DropConnection(3));
    w.waldur.state.inject_on(
        "POST",
        "marketplace-orders/",
        Fault::LateAnswer(Duration::from_millis(800), 2),
    );
    w.relay_until(&allocations, AllocationState::Active).await;
    assert_eq!(w.waldur.state.pending_faults(), 0, "every fault was met");
    w.assert_clean_end(60, 60, "OK");
}
