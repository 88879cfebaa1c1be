//! The relay loop end to end on the embedded chain, with a scripted Waldur:
//! provisioning, termination, usage, duplicate events, and crashes at every
//! point of the outbox cycle ending with each callback applied exactly once.

use std::collections::{BTreeMap, VecDeque};

use cosmwasm_std::Addr;
use ve_relayer::chain::embedded::EmbeddedChain;
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::{ChainClient, ChainError, ContractEvent};
use ve_relayer::flows::engine::Engine;
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::port::{
    FailureClass, ProvisionedOrder, ResourceStatus, ResourceUpdate, UsageUpdate, WaldurError,
    WaldurPort,
};
use ve_testing::{hourly_offering, Deal, OrderFlow};
use ve_types::AllocationState;
use waldur_callback::msg::{CallbackOutcome, SignedCallback};

/// A Waldur that does what it is told and records the calls.
#[derive(Default)]
struct ScriptedWaldur {
    calls: Vec<String>,
    /// Refuse to provision anything (a permanent error).
    refuse: bool,
    /// Refuse to provision these allocations.
    refuse_only: std::collections::BTreeSet<String>,
    /// Be unreachable this many times.
    down: u32,
    resources: BTreeMap<String, String>,
    updates: VecDeque<ResourceUpdate>,
    usage: VecDeque<UsageUpdate>,
}

impl WaldurPort for ScriptedWaldur {
    async fn provision(
        &mut self,
        allocation: &str,
        offering: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        self.calls
            .push(format!("provision {allocation} {offering} x{quantity}"));
        if self.down > 0 {
            self.down -= 1;
            return Err(WaldurError::Transient("503 Service Unavailable".into()));
        }
        if self.refuse || self.refuse_only.contains(allocation) {
            return Err(WaldurError::UnmappedOffering(offering.into()));
        }
        let resource = self
            .resources
            .entry(allocation.to_string())
            .or_insert_with(|| format!("res-{allocation}"))
            .clone();
        Ok(ProvisionedOrder {
            order_uuid: format!("order-{allocation}"),
            resource_uuid: resource,
        })
    }
    async fn terminate(&mut self, allocation: &str) -> Result<String, WaldurError> {
        self.calls.push(format!("terminate {allocation}"));
        self.resources
            .get(allocation)
            .cloned()
            .ok_or_else(|| WaldurError::UnknownAllocation(allocation.into()))
    }
    async fn set_paused(&mut self, allocation: &str, paused: bool) -> Result<bool, WaldurError> {
        self.calls.push(format!("paused={paused} {allocation}"));
        Ok(true)
    }
    async fn resize(&mut self, allocation: &str, quantity: u32) -> Result<(), WaldurError> {
        self.calls.push(format!("resize {allocation} {quantity}"));
        Ok(())
    }
    async fn resource_updates(&mut self, _now: u64) -> Result<Vec<ResourceUpdate>, WaldurError> {
        Ok(self.updates.drain(..).collect())
    }
    async fn usage_updates(
        &mut self,
        _now: u64,
        _chain: &mut impl ve_relayer::waldur_side::port::ChainUsage,
    ) -> Result<Vec<UsageUpdate>, WaldurError> {
        Ok(self.usage.drain(..).collect())
    }
    async fn submit_job(
        &mut self,
        job: &ve_relayer::waldur_side::port::JobSubmission,
    ) -> Result<ve_relayer::waldur_side::port::SubmittedJob, WaldurError> {
        self.calls.push(format!("submit_job {}", job.job_id));
        Ok(ve_relayer::waldur_side::port::SubmittedJob {
            job_uuid: format!("slurm-{}", job.job_id),
            created: true,
        })
    }
}

/// The embedded chain whose next `fail` submissions do not arrive, or
/// arrive without the answer reaching the relayer.
struct FlakyChain {
    inner: EmbeddedChain,
    lose_request: u32,
    lose_answer: u32,
}

impl ChainClient for FlakyChain {
    fn chain_id(&self) -> String {
        self.inner.chain_id()
    }
    fn callback_contract(&self) -> String {
        self.inner.callback_contract()
    }
    fn first_height(&self) -> u64 {
        self.inner.first_height()
    }
    fn max_callbacks_per_tx(&self) -> usize {
        self.inner.max_callbacks_per_tx()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.inner.latest_height().await
    }
    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        self.inner.events(from, to).await
    }
    async fn submit_callbacks(
        &mut self,
        cbs: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        if self.lose_request > 0 {
            self.lose_request -= 1;
            return Err(ChainError::Unavailable("connection reset".into()));
        }
        let res = self.inner.submit_callbacks(cbs).await;
        if self.lose_answer > 0 {
            self.lose_answer -= 1;
            return Err(ChainError::Unavailable(
                "timed out waiting for the tx".into(),
            ));
        }
        res
    }
    fn now(&self) -> u64 {
        self.inner.now()
    }
    async fn usage_summary(
        &self,
        allocation_id: &str,
    ) -> Result<Vec<ve_relayer::chain::BilledUsage>, ChainError> {
        self.inner.usage_summary(allocation_id).await
    }
}

struct World {
    chain: FlakyChain,
    provider: Addr,
    customer: Addr,
}

impl World {
    fn new() -> Self {
        let inner = EmbeddedChain::deploy(&["provider", "customer"]).unwrap();
        let provider = inner.addr("provider");
        let customer = inner.addr("customer");
        World {
            chain: FlakyChain {
                inner,
                lose_request: 0,
                lose_answer: 0,
            },
            provider,
            customer,
        }
    }

    fn signer(&self) -> Signer {
        Signer::new(
            [9; 32],
            "relayer-1",
            self.provider.as_str(),
            self.chain.chain_id(),
            self.chain.callback_contract(),
        )
    }

    fn register_key(&mut self) {
        let register = self.signer().register_message().unwrap();
        let (p, cb) = (self.provider.clone(), self.chain.inner.callback.clone());
        self.chain.inner.execute(&p, &cb, &register, &[]).unwrap();
    }

    /// The portal's story up to an accepted bid; returns the allocation id.
    fn allocation(&mut self) -> String {
        let (p, c) = (self.provider.clone(), self.customer.clone());
        self.chain
            .inner
            .offer_and_match(
                &p,
                &c,
                hourly_offering("Compute", 1_000),
                Deal::at(1_000, 2),
            )
            .unwrap()
            .allocation
    }
}

fn engine(
    world: World,
    dir: &std::path::Path,
    waldur: ScriptedWaldur,
) -> Engine<FlakyChain, ScriptedWaldur> {
    let signer = world.signer();
    Engine {
        chain: world.chain,
        waldur,
        signer,
        outbox: std::sync::Arc::new(Outbox::open(&dir.join("outbox.redb"), 3).unwrap()),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn allocation_lifecycle_through_the_relayer() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let (provider, customer) = (world.provider.clone(), world.customer.clone());
    let mut e = engine(world, dir.path(), ScriptedWaldur::default());

    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 1);
    assert_eq!(report.callbacks_confirmed, 2);
    assert_eq!(
        e.waldur.calls,
        vec![format!("provision {allocation} {provider}/1 x2")]
    );
    let state = |e: &Engine<FlakyChain, ScriptedWaldur>| state_of(e, &allocation);
    assert_eq!(state(&e), AllocationState::Provisioning);

    // Waldur finishes provisioning.
    e.waldur.updates.push_back(ResourceUpdate {
        allocation_id: allocation.clone(),
        resource_uuid: format!("res-{allocation}"),
        state: ResourceStatus::Ok,
        reason: None,
        watermark: None,
    });
    e.step().await.unwrap();
    assert_eq!(state(&e), AllocationState::Active);

    // Usage: two deltas of one allocation, in the two hours since (a
    // period may not start before its escrow was opened).
    e.chain.inner.advance(7_200);
    let now = e.chain.now();
    for (start, end, units) in [(now - 7_200, now - 3_600, 1u128), (now - 3_600, now, 1)] {
        e.waldur.usage.push_back(UsageUpdate {
            allocation_id: allocation.clone(),
            resource_uuid: format!("res-{allocation}"),
            usage_type: "hour".into(),
            units,
            period_start: start,
            period_end: end,
            watermark: None,
        });
    }
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 2);
    let order = allocation.rsplit_once('/').unwrap().0.to_string();
    let records: settlement::msg::UsageRecordsResponse = e
        .chain
        .inner
        .app
        .wrap()
        .query_wasm_smart(
            e.chain.inner.settlement.clone(),
            &settlement::msg::QueryMsg::UsageRecordsByEscrow {
                escrow_id: format!("order:{order}"),
                state: None,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(
        records
            .records
            .iter()
            .map(|r| r.record.units.u128())
            .collect::<Vec<_>>(),
        vec![1, 1]
    );

    // The customer terminates on chain; the relayer terminates in Waldur.
    let m = e.chain.inner.marketplace.clone();
    e.chain
        .inner
        .execute(
            &customer,
            &m,
            &marketplace::msg::ExecuteMsg::TerminateAllocation {
                allocation_id: allocation.clone(),
                reason: None,
            },
            &[],
        )
        .unwrap();
    // The 1,440 quiet blocks of those two hours take a few passes.
    let report = e.catch_up().await.unwrap();
    assert_eq!(
        e.waldur.calls.last().unwrap(),
        &format!("terminate {allocation}")
    );
    // `terminating` is already the chain's state: nothing is sent for it.
    assert_eq!(report.callbacks_confirmed, 0, "{report:?}");
    e.waldur.updates.push_back(ResourceUpdate {
        allocation_id: allocation.clone(),
        resource_uuid: format!("res-{allocation}"),
        state: ResourceStatus::Terminated,
        reason: None,
        watermark: None,
    });
    let report = e.step().await.unwrap();
    assert_eq!(
        report.callbacks_confirmed, 1,
        "only `terminated`: {report:?}"
    );
    assert_eq!(state(&e), AllocationState::Terminated);
    assert_eq!(e.outbox.counts().unwrap(), (0, 7, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn crashes_lose_nothing_and_double_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let allocation = world.allocation();

    // 1. The broadcast never reaches the node: the entries stay pending.
    world.chain.lose_request = 1;
    let mut e = engine(world, dir.path(), ScriptedWaldur::default());
    let report = e.step().await.unwrap();
    assert_eq!(
        (report.callbacks_queued, report.callbacks_confirmed),
        (2, 0)
    );
    assert_eq!(e.outbox.counts().unwrap(), (2, 0, 0));

    // 2. The next broadcast lands but the answer is lost; then the process
    // dies (the engine is dropped with its outbox).
    e.chain.lose_answer = 1;
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 0);
    let Engine {
        chain,
        waldur,
        outbox,
        ..
    } = e;
    drop(outbox);
    let world = World {
        provider: Addr::unchecked(""),
        customer: Addr::unchecked(""),
        chain,
    };
    let version_after_landing = {
        let res: marketplace::msg::AllocationResponse = world
            .chain
            .inner
            .app
            .wrap()
            .query_wasm_smart(
                world.chain.inner.marketplace.clone(),
                &marketplace::msg::QueryMsg::Allocation {
                    allocation_id: allocation.clone(),
                },
            )
            .unwrap();
        assert_eq!(res.allocation.state, AllocationState::Provisioning);
        res.allocation.version
    };

    // 3. Restarted from the same database: the re-send is answered
    // `already_processed` and nothing is applied twice.
    let signer = Signer::new(
        [9; 32],
        "relayer-1",
        world.chain.inner.addr("provider").as_str(),
        world.chain.chain_id(),
        world.chain.callback_contract(),
    );
    let mut e = Engine {
        chain: world.chain,
        waldur,
        signer,
        outbox: std::sync::Arc::new(Outbox::open(&dir.path().join("outbox.redb"), 3).unwrap()),
    };
    let report = e.step().await.unwrap();
    assert_eq!(
        (report.callbacks_confirmed, report.already_processed),
        (2, 2)
    );
    assert_eq!(e.outbox.counts().unwrap(), (0, 2, 0));
    // The event was not handled again (checkpoint), and the allocation did
    // not move twice.
    assert_eq!(report.events_handled, 0);
    let res: marketplace::msg::AllocationResponse = e
        .chain
        .inner
        .app
        .wrap()
        .query_wasm_smart(
            e.chain.inner.marketplace.clone(),
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: allocation,
            },
        )
        .unwrap();
    assert_eq!(res.allocation.version, version_after_landing);
}

#[tokio::test(flavor = "current_thread")]
async fn replayed_chain_events_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let mut e = engine(world, dir.path(), ScriptedWaldur::default());
    e.step().await.unwrap();
    // A lost checkpoint (or a re-delivered block) makes the relayer see the
    // allocation again: Waldur is asked again (it finds its order) and the
    // callbacks have the same ids, so the outbox keeps one of each.
    e.outbox
        .set_meta(ve_relayer::runtime::outbox::CHECKPOINT, 0)
        .unwrap();
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 1);
    assert_eq!(report.callbacks_queued, 0);
    assert_eq!(e.outbox.counts().unwrap(), (0, 2, 0));
    let provisions: Vec<_> = e
        .waldur
        .calls
        .iter()
        .filter(|c| c.starts_with("provision"))
        .collect();
    assert_eq!(provisions.len(), 2);
    assert!(provisions.iter().all(|c| c.contains(&allocation)));
}

/// A second allocation of the world's offering (order, bid, accept), made
/// by the customer on `e`'s chain; returns its id.
fn another_allocation(e: &mut Engine<FlakyChain, ScriptedWaldur>) -> String {
    let chain = &mut e.chain.inner;
    let (p, customer) = (chain.addr("provider"), chain.addr("customer"));
    chain
        .allocate(&customer, &p, &format!("{p}/1"), 1_000)
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreachable_waldur_moves_nothing_but_the_work_waits_and_is_done_later() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let waldur = ScriptedWaldur {
        down: 1,
        ..ScriptedWaldur::default()
    };
    let mut e = engine(world, dir.path(), waldur);

    // Waldur down: the chain event is stored as an intent and the
    // checkpoint moves past its block; nothing is lost or skipped.
    let head = e.chain.latest_height().await.unwrap();
    let report = e.step().await.unwrap();
    assert_eq!(
        (report.events_recorded, report.events_retrying),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(report.events_handled, 0);
    assert!(
        e.outbox
            .meta(ve_relayer::runtime::outbox::CHECKPOINT)
            .unwrap()
            >= Some(head)
    );
    let figures = e.outbox.intent_figures().unwrap();
    assert_eq!((figures.waiting, figures.dead_letters), (1, 0));
    let waiting = &e.outbox.intents(10).unwrap()[0];
    assert_eq!(waiting.failure, Some(FailureClass::Unavailable));
    assert!(waiting.last_error.as_deref().unwrap().contains("503"));

    // Not due yet: a pass does not call Waldur for it.
    e.waldur.calls.clear();
    e.step().await.unwrap();
    assert!(e.waldur.calls.is_empty(), "{:?}", e.waldur.calls);

    // Due (the backoff's first wait is 30 s): done, both callbacks land.
    e.chain.inner.advance(30);
    let report = e.step().await.unwrap();
    assert_eq!(
        (report.events_handled, report.callbacks_confirmed),
        (1, 2),
        "{report:?}"
    );
    assert_eq!(e.outbox.intent_figures().unwrap().waiting, 0);
    assert_eq!(state_of(&e, &allocation), AllocationState::Provisioning);
}

fn state_of(e: &Engine<FlakyChain, ScriptedWaldur>, allocation: &str) -> AllocationState {
    let answer: marketplace::msg::AllocationResponse = e
        .chain
        .inner
        .app
        .wrap()
        .query_wasm_smart(
            e.chain.inner.marketplace.clone(),
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: allocation.to_string(),
            },
        )
        .unwrap();
    answer.allocation.state
}

#[tokio::test(flavor = "current_thread")]
async fn a_refusal_is_retried_then_dead_lettered_without_blocking_others_and_can_be_reprocessed() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let first = world.allocation();
    let mut e = engine(world, dir.path(), ScriptedWaldur::default());
    e.step().await.unwrap();
    assert_eq!(state_of(&e, &first), AllocationState::Provisioning);

    // A second allocation Waldur refuses (an unmapped offering).
    e.waldur.refuse = true;
    let second = another_allocation(&mut e);
    // Meanwhile Waldur finishes the first allocation's resource.
    e.waldur.updates.push_back(ResourceUpdate {
        allocation_id: first.clone(),
        resource_uuid: format!("res-{first}"),
        state: ResourceStatus::Ok,
        reason: None,
        watermark: None,
    });
    let report = e.step().await.unwrap();
    assert_eq!(report.events_retrying, 1, "{report:?}");
    assert_eq!(
        state_of(&e, &first),
        AllocationState::Active,
        "others go on"
    );

    // Attempts 2 and 3 (max_attempts is 3), each when due; the third
    // failure makes a dead letter, with its reason.
    for wait in [30, 60] {
        e.chain.inner.advance(wait);
        e.step().await.unwrap();
    }
    let dead = e.outbox.dead_intents().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].subject(), format!("allocation:{second}"));
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].failure, Some(FailureClass::Refused));
    assert!(dead[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("no Waldur offering is mapped"));
    let provisions = |e: &Engine<FlakyChain, ScriptedWaldur>| {
        e.waldur
            .calls
            .iter()
            .filter(|c| c.starts_with(&format!("provision {second}")))
            .count()
    };
    assert_eq!(provisions(&e), 3);
    // A dead letter is not tried again by itself, however long it waits.
    e.chain.inner.advance(7_200);
    e.step().await.unwrap();
    assert_eq!(provisions(&e), 3);
    let listed = ve_relayer::flows::dead_letters::list(&e.outbox).unwrap();
    assert_eq!(listed.events.len(), 1);
    assert_eq!(listed.events[0].event_id, dead[0].id());

    // The operator maps the offering and reprocesses: done.
    e.waldur.refuse = false;
    let target = ve_relayer::runtime::service::summary::ReprocessTarget::One { id: dead[0].id() };
    let now = e.chain.now();
    let requeued =
        ve_relayer::flows::dead_letters::reprocess_events(&e.outbox, &target, now).unwrap();
    assert_eq!(requeued, vec![dead[0].id()]);
    e.step().await.unwrap();
    assert_eq!(provisions(&e), 4);
    assert_eq!(e.outbox.intent_figures().unwrap().dead_letters, 0);
    assert_ne!(state_of(&e, &second), AllocationState::Pending);
}

#[tokio::test(flavor = "current_thread")]
async fn pause_resume_and_resize_on_chain_reach_waldur() {
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let customer = world.customer.clone();
    let mut e = engine(world, dir.path(), ScriptedWaldur::default());
    e.step().await.unwrap();
    e.waldur.updates.push_back(ResourceUpdate {
        allocation_id: allocation.clone(),
        resource_uuid: format!("res-{allocation}"),
        state: ResourceStatus::Ok,
        reason: None,
        watermark: None,
    });
    e.step().await.unwrap();
    e.waldur.calls.clear();

    let m = e.chain.inner.marketplace.clone();
    let customer_does = |e: &mut Engine<FlakyChain, ScriptedWaldur>,
                         msg: marketplace::msg::ExecuteMsg| {
        e.chain.inner.execute(&customer, &m, &msg, &[]).unwrap();
    };
    let id = || allocation.clone();
    customer_does(
        &mut e,
        marketplace::msg::ExecuteMsg::PauseAllocation {
            allocation_id: id(),
        },
    );
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 1);
    assert!(
        report.notes[0].contains("paused; Waldur resource flag set"),
        "{:?}",
        report.notes
    );
    customer_does(
        &mut e,
        marketplace::msg::ExecuteMsg::ResumeAllocation {
            allocation_id: id(),
        },
    );
    customer_does(
        &mut e,
        marketplace::msg::ExecuteMsg::ResizeAllocation {
            allocation_id: id(),
            quantity: 1,
        },
    );
    e.step().await.unwrap();
    assert_eq!(
        e.waldur.calls,
        vec![
            format!("paused=true {allocation}"),
            format!("paused=false {allocation}"),
            format!("resize {allocation} 1"),
        ]
    );
}

/// A chain played from a script, for the engine's flow control: blocks of
/// `allocation_created` events, a limit per transaction, refusals of named
/// callbacks; every transaction's callback ids are recorded.
struct ScriptedChain {
    head: u64,
    events: Vec<ContractEvent>,
    capacity: usize,
    refuse: std::collections::BTreeSet<String>,
    down: bool,
    now: u64,
    sent: Vec<Vec<String>>,
    /// Every `events(from, to)` asked for.
    reads: std::cell::RefCell<Vec<(u64, u64)>>,
}

const SCRIPTED_PROVIDER: &str = "provider-1";

impl ScriptedChain {
    /// `per_block[i]` new allocations in block `i + 1`.
    fn with_blocks(per_block: &[u32]) -> Self {
        let mut events = Vec::new();
        for (block, count) in per_block.iter().enumerate() {
            for index in 0..*count {
                let height = block as u64 + 1;
                events.push(ContractEvent {
                    height,
                    index,
                    contract: "marketplace".into(),
                    kind: "allocation_created".into(),
                    attributes: [
                        ("allocation_id", format!("a/{height}/{index}")),
                        ("offering_id", "o/1".into()),
                        ("provider", SCRIPTED_PROVIDER.into()),
                        ("quantity", "1".into()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                });
            }
        }
        ScriptedChain {
            head: per_block.len() as u64,
            events,
            capacity: 50,
            refuse: Default::default(),
            down: false,
            now: 1_000,
            sent: Vec::new(),
            reads: Default::default(),
        }
    }
}

impl ChainClient for ScriptedChain {
    fn chain_id(&self) -> String {
        "scripted-1".into()
    }
    fn callback_contract(&self) -> String {
        "callback".into()
    }
    async fn latest_height(&self) -> Result<u64, ChainError> {
        Ok(self.head)
    }
    async fn events(&self, from: u64, to: u64) -> Result<Vec<ContractEvent>, ChainError> {
        self.reads.borrow_mut().push((from, to));
        Ok(self
            .events
            .iter()
            .filter(|e| (from..=to).contains(&e.height))
            .cloned()
            .collect())
    }
    fn first_height(&self) -> u64 {
        1
    }
    fn max_callbacks_per_tx(&self) -> usize {
        self.capacity
    }
    async fn submit_callbacks(
        &mut self,
        cbs: &[SignedCallback],
    ) -> Result<Vec<CallbackOutcome>, ChainError> {
        self.sent
            .push(cbs.iter().map(|c| c.callback_id.clone()).collect());
        if self.down {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        if cbs.len() > self.capacity {
            return Err(ChainError::Refused(format!("{} callbacks", cbs.len())));
        }
        if let Some(bad) = cbs.iter().find(|c| self.refuse.contains(&c.callback_id)) {
            return Err(ChainError::Refused(format!("{}: refused", bad.callback_id)));
        }
        if let Some(old) = cbs.iter().find(|c| c.expires_at <= self.now) {
            return Err(ChainError::Refused(format!("{}: expired", old.callback_id)));
        }
        Ok(vec![CallbackOutcome::Processed; cbs.len()])
    }
    fn now(&self) -> u64 {
        self.now
    }
    async fn usage_summary(
        &self,
        _allocation_id: &str,
    ) -> Result<Vec<ve_relayer::chain::BilledUsage>, ChainError> {
        Ok(Vec::new())
    }
}

fn attributes(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn scripted_engine(
    chain: ScriptedChain,
    dir: &std::path::Path,
) -> Engine<ScriptedChain, ScriptedWaldur> {
    let signer = Signer::new(
        [9; 32],
        "relayer-1",
        SCRIPTED_PROVIDER,
        "scripted-1",
        "callback",
    );
    Engine {
        chain,
        waldur: ScriptedWaldur::default(),
        signer,
        outbox: std::sync::Arc::new(Outbox::open(&dir.join("outbox.redb"), 3).unwrap()),
    }
}

fn checkpoint(e: &Engine<ScriptedChain, ScriptedWaldur>) -> Option<u64> {
    e.outbox
        .meta(ve_relayer::runtime::outbox::CHECKPOINT)
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn the_outbox_goes_out_in_transactions_as_large_as_the_chain_takes() {
    let dir = tempfile::tempdir().unwrap();
    // 90 allocations in one block: 180 callbacks.
    let mut chain = ScriptedChain::with_blocks(&[90]);
    chain.capacity = 200;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 180);
    assert_eq!(report.transactions_sent, 1);
    assert_eq!(e.chain.sent.len(), 1);
    // Each allocation's accepted comes before its provisioning.
    let first = &e.chain.sent[0];
    assert_eq!(first[0], "provision:a/1/0:accepted");
    assert_eq!(first[1], "provision:a/1/0:provisioning");

    // With the contract's 50 a transaction, the same outbox takes 4, all
    // in the one pass.
    let dir = tempfile::tempdir().unwrap();
    let mut e = scripted_engine(ScriptedChain::with_blocks(&[90]), dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 180);
    let sizes: Vec<usize> = e.chain.sent.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![50, 50, 50, 30]);
    assert_eq!(e.outbox.counts().unwrap(), (0, 180, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_callback_is_found_by_halving_and_the_rest_lands() {
    let dir = tempfile::tempdir().unwrap();
    // 32 allocations: one batch of 64 callbacks under a limit of 64.
    let mut chain = ScriptedChain::with_blocks(&[32]);
    chain.capacity = 64;
    chain.refuse.insert("provision:a/1/20:provisioning".into());
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 63);
    assert_eq!(report.failed, 1);
    // The whole, then halves down to the one: 1 + 2 per level of 6 levels.
    assert_eq!(report.transactions_sent, 13);
    let (pending, done, dead) = e.outbox.counts().unwrap();
    assert_eq!((pending, done, dead), (1, 63, 0));
    let entry = e
        .outbox
        .get("provision:a/1/20:provisioning")
        .unwrap()
        .unwrap();
    assert_eq!(entry.attempts, 1);
    assert!(
        entry
            .last_error
            .as_deref()
            .is_some_and(|err| err.contains("a/1/20:provisioning: refused")),
        "{entry:?}"
    );
    // The transactions that landed carried the other 63 in queue order.
    let refused = "provision:a/1/20:provisioning".to_string();
    let landed: Vec<&String> = e
        .chain
        .sent
        .iter()
        .filter(|t| !t.contains(&refused))
        .flatten()
        .collect();
    let expected: Vec<String> = (0..32)
        .flat_map(|i| {
            ["accepted", "provisioning"].map(|state| format!("provision:a/1/{i}:{state}"))
        })
        .filter(|id| *id != refused)
        .collect();
    assert_eq!(landed, expected.iter().collect::<Vec<_>>());

    // Refused until its attempts run out: a dead letter naming the reason.
    e.step().await.unwrap();
    e.step().await.unwrap();
    assert_eq!(e.outbox.counts().unwrap(), (0, 63, 1));
}

#[tokio::test(flavor = "current_thread")]
async fn a_backlog_is_worked_off_in_short_passes_that_send_as_they_go() {
    let dir = tempfile::tempdir().unwrap();
    // 8 blocks of 30 allocations: 240 events, 480 callbacks.
    let mut e = scripted_engine(ScriptedChain::with_blocks(&[30; 8]), dir.path());
    let report = e.step().await.unwrap();
    // The pass records the blocks' events up to the first block boundary
    // at or after 100 events, and does the Waldur work of 100 of them.
    assert_eq!(report.events_recorded, 120);
    assert_eq!(report.blocks_read, 4);
    assert_eq!(report.events_handled, 100);
    assert!(report.behind);
    assert_eq!(checkpoint(&e), Some(4));
    // What it handled went out in the pass, 50 a transaction, some before
    // later events were handled.
    assert_eq!(report.callbacks_confirmed, 200);
    assert_eq!(e.outbox.counts().unwrap(), (0, 200, 0));
    let report = e.step().await.unwrap();
    assert_eq!((report.events_recorded, report.events_handled), (120, 100));
    assert!(report.behind);
    assert_eq!(checkpoint(&e), Some(8));
    let report = e.step().await.unwrap();
    assert_eq!((report.events_handled, report.behind), (40, false));
    assert_eq!(e.outbox.counts().unwrap(), (0, 480, 0));
    // Nothing read twice: one provision per allocation.
    assert_eq!(e.waldur.calls.len(), 240);
    let report = e.step().await.unwrap();
    assert_eq!((report.events_handled, report.behind), (0, false));
}

#[tokio::test(flavor = "current_thread")]
async fn a_callback_about_to_expire_is_signed_again_before_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ScriptedChain::with_blocks(&[1]);
    chain.down = true;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 0);
    assert!(report.submit_error.is_some());
    let before = e.outbox.get("provision:a/1/0:accepted").unwrap().unwrap();
    assert_eq!(before.callback.expires_at, 1_000 + 600);

    // The node comes back 590 s later: 10 s of validity would be left.
    e.chain.down = false;
    e.chain.now = 1_590;
    let report = e.step().await.unwrap();
    assert_eq!((report.callbacks_confirmed, report.resigned), (2, 2));
    let after = e.outbox.get("provision:a/1/0:accepted").unwrap().unwrap();
    assert_eq!(after.callback.expires_at, 1_590 + 600);
    assert_ne!(after.callback.nonce, before.callback.nonce);
    assert_eq!(after.callback.payload, before.callback.payload);
    // What was sent is what the outbox holds now.
    assert_eq!(e.chain.sent.last().unwrap().len(), 2);

    // A young signature is sent as it is.
    let dir = tempfile::tempdir().unwrap();
    let mut e = scripted_engine(ScriptedChain::with_blocks(&[1]), dir.path());
    let report = e.step().await.unwrap();
    assert_eq!((report.callbacks_confirmed, report.resigned), (2, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn an_unreachable_node_is_tried_once_a_pass_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ScriptedChain::with_blocks(&[30; 4]);
    chain.down = true;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    // The first full transaction found the node down; the rest of the
    // pass (100 events' work: 200 callbacks) did not try again.
    assert_eq!(e.chain.sent.len(), 1);
    assert_eq!(report.callbacks_confirmed, 0);
    assert_eq!(e.outbox.counts().unwrap(), (200, 0, 0));
    e.chain.down = false;
    let report = e.step().await.unwrap();
    assert_eq!(report.callbacks_confirmed, 240);
    assert_eq!(e.outbox.counts().unwrap(), (0, 240, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn a_pass_reads_a_bounded_range_of_blocks() {
    let dir = tempfile::tempdir().unwrap();
    // A relayer that was down for 1,200 quiet blocks, then one allocation.
    let mut blocks = vec![0; 1_200];
    blocks.push(1);
    let mut e = scripted_engine(ScriptedChain::with_blocks(&blocks), dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(
        report.blocks_read,
        ve_relayer::flows::engine::BLOCKS_PER_PASS
    );
    assert!(report.behind);
    assert_eq!(
        checkpoint(&e),
        Some(ve_relayer::flows::engine::BLOCKS_PER_PASS)
    );
    // Read a page at a time: only a page of blocks is held at once.
    let page = ve_relayer::flows::engine::READ_PAGE;
    let reads = e.chain.reads.borrow().clone();
    assert_eq!(
        reads.len() as u64,
        ve_relayer::flows::engine::BLOCKS_PER_PASS / page
    );
    assert!(
        reads.iter().all(|(from, to)| to - from + 1 == page),
        "{reads:?}"
    );
    assert!(reads.windows(2).all(|w| w[1].0 == w[0].1 + 1), "{reads:?}");
    // `catch_up` is what `run` does: the next passes follow at once.
    let report = e.catch_up().await.unwrap();
    assert_eq!(
        report.blocks_read,
        1_201 - ve_relayer::flows::engine::BLOCKS_PER_PASS
    );
    assert_eq!((report.events_handled, report.callbacks_confirmed), (1, 2));
    assert!(!report.behind);
    assert_eq!(checkpoint(&e), Some(1_201));
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_closed_in_the_block_it_was_submitted_in_sends_no_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ScriptedChain::with_blocks(&[1]);
    // Block 2: a job submitted and cancelled by its customer at once.
    for (index, kind, extra) in [
        (
            0,
            "job_submitted",
            vec![
                ("hpc_offering_id", "h/1"),
                ("cluster_id", "c/1"),
                ("queue", "batch"),
                ("nodes", "1"),
                ("max_runtime_seconds", "3600"),
            ],
        ),
        (1, "job_state_changed", vec![("state", "cancelled")]),
    ] {
        let mut pairs = vec![("job_id", "j/1"), ("provider", SCRIPTED_PROVIDER)];
        pairs.extend(extra);
        chain.events.push(ContractEvent {
            height: 2,
            index,
            contract: "hpc".into(),
            kind: kind.into(),
            attributes: attributes(&pairs),
        });
    }
    chain.head = 2;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 3);
    assert!(e.waldur.calls.contains(&"submit_job j/1".to_string()));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("job j/1 closed on chain")),
        "{:?}",
        report.notes
    );
    // Only the allocation's two callbacks of block 1 were sent: the job's
    // `queued` report was dropped unsent (the contract refuses any change
    // to a final job).
    let queued = e.outbox.get("job_status:j/1:queued").unwrap().unwrap();
    assert_eq!(
        queued.state,
        ve_relayer::runtime::outbox::EntryState::Superseded
    );
    let sent: Vec<&String> = e.chain.sent.iter().flatten().collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent.iter().all(|id| !id.contains("j/1")), "{sent:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn an_allocations_later_events_wait_behind_one_that_waits_and_a_restart_retries_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = ScriptedChain::with_blocks(&[2]);
    // Block 2: the customer pauses the first allocation.
    chain.events.push(ContractEvent {
        height: 2,
        index: 0,
        contract: "marketplace".into(),
        kind: "allocation_paused".into(),
        attributes: attributes(&[("allocation_id", "a/1/0"), ("provider", SCRIPTED_PROVIDER)]),
    });
    chain.head = 2;
    let mut e = scripted_engine(chain, dir.path());
    e.waldur.refuse_only.insert("a/1/0".into());
    let report = e.step().await.unwrap();
    assert_eq!(
        (report.events_recorded, report.events_retrying),
        (3, 1),
        "{report:?}"
    );
    // The other allocation went on; the pause waits behind the creation.
    assert_eq!(
        e.waldur.calls,
        ["provision a/1/0 o/1 x1", "provision a/1/1 o/1 x1"]
    );
    assert_eq!(e.outbox.intent_figures().unwrap().waiting, 2);
    // Not due for 30 s; a restart (the operator fixed the offering map)
    // makes it due at once, and the pause follows the creation.
    e.waldur.calls.clear();
    e.waldur.refuse_only.clear();
    e.step().await.unwrap();
    assert!(e.waldur.calls.is_empty(), "{:?}", e.waldur.calls);
    assert_eq!(e.outbox.make_intents_due().unwrap().len(), 2);
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 2, "{report:?}");
    assert_eq!(
        e.waldur.calls,
        ["provision a/1/0 o/1 x1", "paused=true a/1/0"]
    );
    assert_eq!(e.outbox.intent_figures().unwrap(), Default::default());
}

#[tokio::test(flavor = "current_thread")]
async fn a_thousand_allocations_at_once_and_a_fifteen_minute_outage_end_with_no_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    // 1,000 allocations accepted in one block while the node cannot take
    // a transaction.
    let mut chain = ScriptedChain::with_blocks(&[1_000]);
    chain.down = true;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.step().await.unwrap();
    assert_eq!(report.events_recorded, 1_000);
    assert!(report.submit_error.is_some());
    // The relayer is stopped for 15 minutes (what it signed expires after
    // 10) and the node comes back meanwhile.
    let Engine {
        mut chain,
        waldur,
        outbox,
        ..
    } = e;
    drop(outbox);
    let ordered_before = waldur.calls.len();
    chain.down = false;
    chain.now += 900;
    let mut e = scripted_engine(chain, dir.path());
    let report = e.catch_up().await.unwrap();
    assert!(report.resigned > 0, "{report:?}");
    assert_eq!(e.outbox.counts().unwrap(), (0, 2_000, 0), "{report:?}");
    assert_eq!(e.outbox.intent_figures().unwrap(), Default::default());
    // Each callback landed once, and each allocation was ordered once.
    let landed: std::collections::BTreeSet<&String> =
        e.chain.sent.iter().skip(1).flatten().collect();
    assert_eq!(landed.len(), 2_000);
    assert_eq!(ordered_before + e.waldur.calls.len(), 1_000);
}

#[tokio::test(flavor = "current_thread")]
async fn when_waldur_answers_again_what_waited_for_it_goes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = scripted_engine(ScriptedChain::with_blocks(&[2]), dir.path());
    e.waldur.down = 3;
    // Each pass tries one intent while Waldur is unreachable.
    e.step().await.unwrap();
    e.step().await.unwrap();
    e.chain.now += 30;
    let report = e.step().await.unwrap();
    assert_eq!(report.events_retrying, 1, "{report:?}");
    let backoffs: Vec<u64> = e
        .outbox
        .intents(10)
        .unwrap()
        .iter()
        .map(|i| i.next_attempt_at)
        .collect();
    assert_eq!(backoffs, [1_030 + 60, 1_030], "the first failed twice");
    // Waldur is back: the second succeeds, and the first, though its
    // backoff has 60 s to run, goes in the next pass.
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 1, "{report:?}");
    let report = e.step().await.unwrap();
    assert_eq!(report.events_handled, 1, "{report:?}");
    assert_eq!(e.chain.now, 1_030);
    assert_eq!(e.outbox.intent_figures().unwrap(), Default::default());
}
