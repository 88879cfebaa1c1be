//! The relay loop: chain events in, Waldur actions out, signed callbacks
//! back through the outbox. One `step` is one pass; `run` repeats it.
//!
//! Delivery is at least once everywhere and exactly once in effect:
//! - the checkpoint moves only in the commit that stores a block's events
//!   as intents (`crate::flows::intents`), so a crash re-reads the block and
//!   finds them stored;
//! - an intent leaves the database only in the commit that queues the
//!   callbacks of its Waldur work; a failure keeps it, to be retried by
//!   its class or given up on as a visible dead letter;
//! - Waldur calls are idempotent per allocation (the Waldur side looks up
//!   what an earlier attempt made before creating anything), and the
//!   deterministic callback ids turn a repeat into `already_processed`
//!   (and a repeat signed anew after a lost database, which the contract
//!   refuses as an id already used, into done as well);
//! - an outbox entry is done only once the chain answered for it.

use serde::Serialize;
use thiserror::Error;
use ve_interface::waldur_callback::msg::{CallbackOutcome, SignedCallback};
use ve_types::callback::{AllocationStatePayload, UsagePayload};
use ve_types::{ActionType, AllocationState, EntityType};

use crate::chain::signer::{CallbackDraft, Signer};
use crate::chain::{BilledUsage, ChainClient, ChainError, ChainEvent};
use crate::flows::intents::{Intent, IntentState};
use crate::runtime::outbox::{EntryState, Outbox, OutboxError, CHECKPOINT};
use crate::waldur_side::offering_ingest::OfferingIngest;
use crate::waldur_side::port::offerings::OfferingListing;
use crate::waldur_side::port::{ChainUsage, ResourceStatus, WaldurError, WaldurPort, Watermark};

/// Most blocks one pass reads. With [`EVENTS_PER_PASS`] it keeps a pass
/// short while a backlog is worked off: callbacks go out as the backlog is
/// handled, signatures are young when they land, and a stop request or a
/// health probe never waits for the whole backlog.
pub const BLOCKS_PER_PASS: u64 = 500;
/// A pass records the intents of blocks up to the first block boundary
/// after this many (a block is never split: the checkpoint is a block
/// height), and does the Waldur work of at most this many.
pub const EVENTS_PER_PASS: u64 = 100;
/// Blocks whose events are read (and held) at once.
pub const READ_PAGE: u64 = 20;
/// A pending callback whose signature expires sooner than this is signed
/// again before it is sent: it may wait this long for its block.
pub const RESIGN_MARGIN_SECONDS: u64 = 120;

#[derive(Error, Debug)]
pub enum EngineError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Waldur(#[from] WaldurError),
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What one step did, for logs, metrics and the demo's progress display.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    pub blocks_read: u64,
    pub events_handled: u64,
    pub callbacks_queued: u64,
    pub callbacks_confirmed: u64,
    pub already_processed: u64,
    pub failed: u64,
    /// Chain events stored as intents (see [`crate::flows::intents`]).
    pub events_recorded: u64,
    /// Intents whose Waldur work failed this pass and will be tried again.
    pub events_retrying: u64,
    /// Intents given up on this pass (dead letters).
    pub events_failed: u64,
    /// Why the outbox could not be sent this step (node down, fee account
    /// unfunded, ...): nothing was lost, but nothing landed either.
    pub submit_error: Option<String>,
    /// The pass stopped short of the chain head (see [`EVENTS_PER_PASS`]):
    /// the next one should follow at once.
    pub behind: bool,
    /// Transactions sent for the outbox (refused batches are split and
    /// sent again, so this can exceed the batches).
    pub transactions_sent: u64,
    /// Pending callbacks signed again because their signature was about
    /// to expire.
    pub resigned: u64,
    /// Failures Waldur reported that the chain cannot record (an active
    /// allocation's resource erred): told to operators in `notes`.
    pub waldur_failures_not_on_chain: u64,
    pub notes: Vec<String>,
}

impl StepReport {
    /// Whether the next pass should follow at once: this one stopped
    /// short of the head, or handled events (more may have arrived while
    /// it worked; an idle pass then waits the poll interval).
    pub fn more_may_be_waiting(&self) -> bool {
        self.behind || self.events_handled > 0
    }

    /// Adds a later pass's report to this one.
    pub fn absorb(&mut self, later: StepReport) {
        self.blocks_read += later.blocks_read;
        self.events_handled += later.events_handled;
        self.callbacks_queued += later.callbacks_queued;
        self.callbacks_confirmed += later.callbacks_confirmed;
        self.already_processed += later.already_processed;
        self.failed += later.failed;
        self.events_failed += later.events_failed;
        self.events_recorded += later.events_recorded;
        self.events_retrying += later.events_retrying;
        self.transactions_sent += later.transactions_sent;
        self.resigned += later.resigned;
        self.waldur_failures_not_on_chain += later.waldur_failures_not_on_chain;
        self.submit_error = later.submit_error.or(self.submit_error.take());
        self.behind = later.behind;
        self.notes.extend(later.notes);
    }
}

/// The waldur-callback contract's refusal of an id it holds under
/// another signature (`ContractError::CallbackIdReused`).
const CALLBACK_ID_TAKEN: &str = "was already used for a different callback";

/// Intents read per pass to find the due ones (see `work_intents`): a
/// bound on each pass's reading; beyond it, newer intents wait for older
/// ones to clear.
pub const INTENTS_SCANNED: usize = 10_000;

/// The callbacks one intent's Waldur work produced.
#[derive(Default)]
struct Work {
    /// To send.
    send: Vec<CallbackDraft>,
    /// States the chain already has (recorded done, never sent).
    settled: Vec<CallbackDraft>,
}

/// The chain as a usage pass reads it: the settlement contract's record
/// of each allocation's usage; what the port tells operators, and every
/// read that failed, become the pass's notes.
struct ChainUsageReader<'a, C: ChainClient> {
    chain: &'a C,
    notes: Vec<String>,
}

impl<C: ChainClient> ChainUsage for ChainUsageReader<'_, C> {
    async fn billed_usage(&mut self, allocation_id: &str) -> Result<Vec<BilledUsage>, ChainError> {
        self.chain
            .usage_summary(allocation_id)
            .await
            .inspect_err(|why| {
                self.notes.push(format!(
                    "usage of allocation {allocation_id} waits: the chain's usage record \
                 cannot be read ({why})"
                ));
            })
    }

    fn tell_operators(&mut self, note: String) {
        self.notes.push(note);
    }
}

pub struct Engine<C: ChainClient, W: WaldurPort> {
    pub chain: C,
    pub waldur: W,
    pub signer: Signer,
    pub outbox: std::sync::Arc<Outbox>,
}

fn payload<T: Serialize>(p: &T) -> Vec<u8> {
    // Serialising our own payload structs cannot fail.
    serde_json::to_vec(p).unwrap_or_default()
}

fn state_draft(
    action: ActionType,
    allocation: &str,
    waldur_id: &str,
    state: AllocationState,
) -> CallbackDraft {
    CallbackDraft {
        callback_id: format!("{}:{allocation}:{state}", action.as_str()),
        action,
        waldur_id: waldur_id.to_string(),
        entity_id: allocation.to_string(),
        payload: payload(&AllocationStatePayload {
            state,
            backend_id: None,
            reason: None,
        }),
    }
}

impl<C: ChainClient, W: WaldurPort> Engine<C, W> {
    fn queue(&mut self, draft: &CallbackDraft, report: &mut StepReport) -> Result<(), EngineError> {
        self.queue_all(std::slice::from_ref(draft), None, report)
    }

    /// Signs and stores the drafts, with the watermark that produced them,
    /// in one database transaction.
    fn queue_all(
        &mut self,
        drafts: &[CallbackDraft],
        watermark: Option<&Watermark>,
        report: &mut StepReport,
    ) -> Result<(), EngineError> {
        let (signed, now) = self.sign_all(drafts)?;
        report.callbacks_queued += self.outbox.enqueue_with(signed, now, watermark)?;
        Ok(())
    }

    /// The drafts signed at the chain's time, and that time.
    fn sign_all(
        &self,
        drafts: &[CallbackDraft],
    ) -> Result<(Vec<SignedCallback>, u64), EngineError> {
        let now = self.chain.now();
        let signed = drafts
            .iter()
            .map(|d| self.signer.sign(d, now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Signing(e.to_string()))?;
        Ok((signed, now))
    }

    /// Does the Waldur work of one chain event of this provider; the
    /// callbacks it causes go to `work`.
    async fn handle(
        &mut self,
        event: &ChainEvent,
        work: &mut Work,
        report: &mut StepReport,
    ) -> Result<(), EngineError> {
        match event {
            ChainEvent::AllocationCreated {
                allocation_id,
                offering_id,
                quantity,
                ..
            } => {
                let order = self
                    .waldur
                    .provision(allocation_id, offering_id, *quantity)
                    .await?;
                report.notes.push(format!(
                    "Waldur order {} for allocation {allocation_id} approved",
                    order.order_uuid
                ));
                for state in [AllocationState::Accepted, AllocationState::Provisioning] {
                    let mut draft = state_draft(
                        ActionType::Provision,
                        allocation_id,
                        &order.resource_uuid,
                        state,
                    );
                    if state == AllocationState::Accepted {
                        // Bind the Waldur resource to the allocation at once.
                        draft.payload = payload(&AllocationStatePayload {
                            state,
                            backend_id: Some(order.resource_uuid.clone()),
                            reason: None,
                        });
                    }
                    work.send.push(draft);
                }
            }
            ChainEvent::TerminateRequested { allocation_id, .. } => {
                let resource = self.waldur.terminate(allocation_id).await?;
                report
                    .notes
                    .push(format!("Waldur resource {resource} terminating"));
                let draft = state_draft(
                    ActionType::Terminate,
                    allocation_id,
                    &resource,
                    AllocationState::Terminating,
                );
                // The marketplace already moved the allocation to
                // terminating: sending it would cost a transaction for
                // nothing. Recorded as done, it is not sent either when
                // Waldur reports the resource terminated.
                work.settled.push(draft);
            }
            ChainEvent::Paused { allocation_id, .. }
            | ChainEvent::Resumed { allocation_id, .. } => {
                let pause = matches!(event, ChainEvent::Paused { .. });
                let flagged = self.waldur.set_paused(allocation_id, pause).await?;
                let verb = if pause { "paused" } else { "resumed" };
                report.notes.push(if flagged {
                    format!("allocation {allocation_id} {verb}; Waldur resource flag set")
                } else {
                    format!("allocation {allocation_id} {verb} on chain (Waldur allows the flag to staff only)")
                });
            }
            ChainEvent::Resized {
                allocation_id,
                quantity,
                ..
            } => {
                self.waldur.resize(allocation_id, *quantity).await?;
                report.notes.push(format!(
                    "allocation {allocation_id} resized to {quantity}; Waldur limit set"
                ));
            }
            ChainEvent::JobSubmitted {
                job_id,
                hpc_offering_id,
                cluster_id,
                queue,
                nodes,
                max_runtime_seconds,
                ..
            } => {
                let submission = crate::waldur_side::port::JobSubmission {
                    job_id: job_id.clone(),
                    hpc_offering_id: hpc_offering_id.clone(),
                    cluster_id: cluster_id.clone(),
                    queue: queue.clone(),
                    nodes: *nodes,
                    max_runtime_seconds: *max_runtime_seconds,
                };
                let job = self.waldur.submit_job(&submission).await?;
                report.notes.push(format!(
                    "Waldur SLURM job {} {} for chain job {job_id}",
                    job.job_uuid,
                    if job.created { "created" } else { "found" }
                ));
                // Waldur accepted it: SLURM has it queued.
                let draft = crate::flows::job_flow::status_draft(
                    job_id,
                    &job.job_uuid,
                    ve_types::callback::JobStatusPayload {
                        state: ve_types::JobState::Queued,
                        exit_code: None,
                        node_seconds_used: None,
                        reason: None,
                    },
                );
                work.send.push(draft);
            }
            ChainEvent::JobStateChanged { job_id, state, .. } => {
                use ve_types::StateMachine;
                if state.is_terminal() {
                    self.waldur.job_closed_on_chain(job_id, *state).await?;
                    // Status reports still queued for the job would only
                    // be refused (the contract allows no change to a final
                    // job) and end as dead letters.
                    let of_this_job = |entity: EntityType, id: &str| {
                        entity == EntityType::Job && id == job_id.as_str()
                    };
                    let dropped = self.outbox.supersede_pending(
                        |cb| of_this_job(cb.entity_type, &cb.entity_id),
                        &format!("job {job_id} closed on chain ({})", state.as_str()),
                        self.chain.now(),
                    )?;
                    if dropped > 0 {
                        report.notes.push(format!(
                            "job {job_id} closed on chain: {dropped} queued status report(s) dropped"
                        ));
                    }
                }
            }
        }
        report.events_handled += 1;
        Ok(())
    }

    /// Waldur resource states that changed since the last look become
    /// callbacks (OK -> active, Erred -> failed, Terminated -> terminated,
    /// an erred Terminate order -> failed), and new usage becomes usage
    /// reports.
    async fn poll_waldur(&mut self, report: &mut StepReport) -> Result<(), EngineError> {
        for status in self.waldur.resource_updates(self.chain.now()).await? {
            let steps: &[(ActionType, AllocationState)] = match status.state {
                ResourceStatus::Ok => &[(ActionType::Provision, AllocationState::Active)],
                ResourceStatus::Erred => &[(ActionType::Provision, AllocationState::Failed)],
                // Terminated in Waldur without a request on chain passes
                // through terminating (a no-op when already there).
                ResourceStatus::Terminated => &[
                    (ActionType::Terminate, AllocationState::Terminating),
                    (ActionType::Terminate, AllocationState::Terminated),
                ],
                ResourceStatus::TerminateFailed => {
                    &[(ActionType::Terminate, AllocationState::Failed)]
                }
                ResourceStatus::ErredWhileActive => &[],
            };
            if steps.is_empty() {
                report.waldur_failures_not_on_chain += 1;
                report.notes.push(format!(
                    "allocation {} (Waldur resource {}) failed in Waldur while active on chain, \
                     which has no such transition; an operator must act: {}",
                    status.allocation_id,
                    status.resource_uuid,
                    status.reason.as_deref().unwrap_or("no reason given"),
                ));
                if let Some(w) = &status.watermark {
                    self.outbox.save_watermark(w)?;
                }
                continue;
            }
            let drafts: Vec<_> = steps
                .iter()
                .map(|(action, state)| {
                    let mut draft = state_draft(
                        *action,
                        &status.allocation_id,
                        &status.resource_uuid,
                        *state,
                    );
                    if *state == AllocationState::Failed {
                        draft.payload = payload(&AllocationStatePayload {
                            state: *state,
                            backend_id: None,
                            reason: status.reason.clone(),
                        });
                    }
                    draft
                })
                .collect();
            self.queue_all(&drafts, status.watermark.as_ref(), report)?;
        }
        let mut chain_usage = ChainUsageReader {
            chain: &self.chain,
            notes: Vec::new(),
        };
        let usages = self
            .waldur
            .usage_updates(self.chain.now(), &mut chain_usage)
            .await;
        report.notes.append(&mut chain_usage.notes);
        for usage in usages? {
            let draft = CallbackDraft {
                callback_id: format!(
                    "usage:{}:{}:{}",
                    usage.allocation_id, usage.usage_type, usage.period_end
                ),
                action: ActionType::UsageReport,
                waldur_id: usage.resource_uuid.clone(),
                entity_id: usage.allocation_id.clone(),
                payload: payload(&UsagePayload {
                    usage_type: usage.usage_type.clone(),
                    units: usage.units.into(),
                    period_start: usage.period_start,
                    period_end: usage.period_end,
                }),
            };
            self.queue_all(&[draft], usage.watermark.as_ref(), report)?;
        }
        // HPC jobs: runtime_state changes become job_status callbacks
        // (the mapping and the order of states are in `job_flow`).
        for update in self.waldur.job_updates(self.chain.now()).await? {
            match crate::flows::job_flow::drafts_for(&update) {
                Ok(drafts) => self.queue_all(&drafts, update.watermark.as_ref(), report)?,
                Err(unmapped) => {
                    if let Some(w) = &update.watermark {
                        self.outbox.save_watermark(w)?;
                    }
                    report.notes.push(unmapped.to_string());
                }
            }
        }
        Ok(())
    }

    /// Sends the whole outbox, in transactions of up to
    /// `max_callbacks_per_tx`, oldest first, and records the answers.
    async fn flush(&mut self, report: &mut StepReport) -> Result<(), EngineError> {
        // After an unreachable chain or a refusal, the rest of the pass
        // sends nothing: the node is not hammered, and a refused callback
        // is tried again a pass later, not at once.
        if report.submit_error.is_some() || report.failed > 0 {
            return Ok(());
        }
        let capacity = self.chain.max_callbacks_per_tx().max(1);
        loop {
            let pending = self.outbox.in_state(EntryState::Pending, capacity)?;
            if pending.is_empty() {
                return Ok(());
            }
            let full = pending.len() == capacity;
            let mut callbacks = Vec::with_capacity(pending.len());
            for entry in pending {
                callbacks.push(self.fresh(entry.callback, report)?);
            }
            let all_confirmed = self.send(callbacks, report).await?;
            if !(full && all_confirmed) {
                return Ok(());
            }
        }
    }

    /// The callback as it will be sent: signed again (and stored so) when
    /// its signature would expire before it could land.
    fn fresh(
        &mut self,
        callback: SignedCallback,
        report: &mut StepReport,
    ) -> Result<SignedCallback, EngineError> {
        let now = self.chain.now();
        if callback.expires_at >= now.saturating_add(RESIGN_MARGIN_SECONDS) {
            return Ok(callback);
        }
        let resigned = self
            .signer
            .sign(&CallbackDraft::of(&callback), now)
            .map_err(|e| EngineError::Signing(e.to_string()))?;
        self.outbox.refresh_signature(resigned.clone(), now)?;
        report.resigned += 1;
        Ok(resigned)
    }

    /// Sends one batch. A refused transaction is split in halves and each
    /// half sent again, down to the single callbacks the chain refuses
    /// (their attempts are counted; the last one makes a dead letter):
    /// one bad callback costs about 2 log2(n) transactions, not n.
    /// Returns whether every callback was confirmed.
    async fn send(
        &mut self,
        callbacks: Vec<SignedCallback>,
        report: &mut StepReport,
    ) -> Result<bool, EngineError> {
        let mut all_confirmed = true;
        // Last in, first out: the first half goes before the second.
        let mut batches = vec![callbacks];
        while let Some(mut batch) = batches.pop() {
            report.transactions_sent += 1;
            let now = self.chain.now();
            match self.chain.submit_callbacks(&batch).await {
                Ok(outcomes) => {
                    let ids: Vec<&str> = batch.iter().map(|cb| cb.callback_id.as_str()).collect();
                    self.outbox.mark_all_done(&ids, now)?;
                    report.callbacks_confirmed += ids.len() as u64;
                    report.already_processed += outcomes
                        .iter()
                        .filter(|o| **o == CallbackOutcome::AlreadyProcessed)
                        .count() as u64;
                }
                Err(ChainError::Unavailable(e)) => {
                    // Nothing is known: the whole rest waits for the next
                    // step.
                    report
                        .notes
                        .push(format!("chain unavailable, will retry: {e}"));
                    report.submit_error = Some(e);
                    return Ok(false);
                }
                // The chain holds another signing of this id (the relayer
                // lost its database and signed the same transition anew:
                // new nonce, new timestamp). Ids are deterministic (action,
                // allocation and state; or usage type and period end), so
                // the chain already has this transition: done, as an
                // `already_processed` (waldur-callback
                // `execute/callbacks.rs`, `CallbackIdReused`).
                Err(ChainError::Refused(e))
                    if batch.len() == 1 && e.contains(CALLBACK_ID_TAKEN) =>
                {
                    let id = batch[0].callback_id.as_str();
                    self.outbox.mark_all_done(&[id], now)?;
                    report.callbacks_confirmed += 1;
                    report.already_processed += 1;
                    report
                        .notes
                        .push(format!("{id} was already on chain (signed earlier)"));
                }
                Err(ChainError::Refused(e)) if batch.len() == 1 => {
                    all_confirmed = false;
                    report.failed += 1;
                    let id = &batch[0].callback_id;
                    let error = ChainError::Refused(e).to_string();
                    if self.outbox.mark_failed(id, &error, now)? == EntryState::DeadLetter {
                        report.notes.push(format!("dead letter {id}: {error}"));
                    }
                }
                Err(ChainError::Refused(_)) => {
                    let second = batch.split_off(batch.len() / 2);
                    batches.push(second);
                    batches.push(batch);
                }
            }
        }
        Ok(all_confirmed)
    }

    /// Queues `offering_ingest` callbacks for the Waldur offerings that are
    /// new or changed (sent with the next flush); returns how many.
    pub async fn ingest_offerings<L: OfferingListing>(
        &mut self,
        ingest: &mut OfferingIngest<L>,
    ) -> Result<u64, EngineError> {
        let mut report = StepReport::default();
        for draft in ingest.poll().await? {
            self.queue(&draft, &mut report)?;
        }
        ingest.commit()?;
        Ok(report.callbacks_queued)
    }

    /// Sends what the outbox holds, reading neither the chain nor Waldur:
    /// the last act of a graceful shutdown.
    pub async fn flush_pending(&mut self) -> Result<StepReport, EngineError> {
        let mut report = StepReport::default();
        self.flush(&mut report).await?;
        Ok(report)
    }

    /// One pass: new blocks (at most [`BLOCKS_PER_PASS`] and about
    /// [`EVENTS_PER_PASS`] events), Waldur changes, outbox. The checkpoint
    /// moves block by block, and the outbox is sent as soon as it holds a
    /// full transaction, so a long backlog flows out while it is handled.
    pub async fn step(&mut self) -> Result<StepReport, EngineError> {
        let mut report = StepReport::default();
        // Blocks before the first one worth reading hold nothing of ours.
        let from = match self.outbox.meta(CHECKPOINT)? {
            Some(done) => done.saturating_add(1),
            None => 1,
        }
        .max(self.chain.first_height());
        let head = self.chain.latest_height().await?;
        if head >= from {
            let to = head.min(from.saturating_add(BLOCKS_PER_PASS - 1));
            let checkpoint = self.relay_blocks(from, to, &mut report).await?;
            report.blocks_read = checkpoint + 1 - from;
            report.behind = checkpoint < head;
            self.outbox.set_meta(CHECKPOINT, checkpoint)?;
        }
        self.work_intents(&mut report).await?;
        self.poll_waldur(&mut report).await?;
        self.flush(&mut report).await?;
        Ok(report)
    }

    /// Records the intents of blocks `from..=to` (see [`crate::flows::intents`]),
    /// read [`READ_PAGE`] blocks at a time (only those are held in memory),
    /// until [`EVENTS_PER_PASS`] is reached at a block boundary; returns the
    /// last block done. No Waldur call is made here: the checkpoint moves
    /// whatever Waldur does.
    async fn relay_blocks(
        &mut self,
        from: u64,
        to: u64,
        report: &mut StepReport,
    ) -> Result<u64, EngineError> {
        let now = self.chain.now();
        let mut recorded = 0u64;
        let mut page_start = from;
        while page_start <= to {
            let page_end = page_start.saturating_add(READ_PAGE - 1).min(to);
            let events = self.chain.events(page_start, page_end).await?;
            for block in events.chunk_by(|a, b| a.height == b.height) {
                if recorded >= EVENTS_PER_PASS {
                    // Blocks before this one are done; this one is next.
                    return Ok(block[0].height.saturating_sub(1));
                }
                let intents: Vec<Intent> = block
                    .iter()
                    .filter_map(|raw| Intent::of(raw, &self.signer.provider, now))
                    .collect();
                if !intents.is_empty() {
                    recorded += intents.len() as u64;
                    report.events_recorded +=
                        self.outbox.record_block(&intents, block[0].height)?;
                }
            }
            self.outbox.set_meta(CHECKPOINT, page_end)?;
            page_start = page_end.saturating_add(1);
        }
        Ok(to)
    }

    /// Does the due intents' Waldur work, in chain order, at most
    /// [`EVENTS_PER_PASS`] of them: each done one leaves the database with
    /// its callbacks (one commit), each failed one is kept with its next
    /// attempt or goes to the dead letters. An allocation's later intents
    /// wait behind one that waits. When Waldur is out of reach the rest
    /// wait for the next pass (they would fail the same way).
    async fn work_intents(&mut self, report: &mut StepReport) -> Result<(), EngineError> {
        let now = self.chain.now();
        let mut waiting_subjects = std::collections::BTreeSet::new();
        let mut tried = 0u64;
        let mut woken = false;
        for mut intent in self.outbox.intents(INTENTS_SCANNED)? {
            let subject = intent.subject();
            if !intent.is_due(now) || waiting_subjects.contains(&subject) {
                waiting_subjects.insert(subject);
                continue;
            }
            if tried >= EVENTS_PER_PASS {
                report.behind = true;
                break;
            }
            tried += 1;
            let mut work = Work::default();
            match self.handle(&intent.event, &mut work, report).await {
                Ok(()) => {
                    let (send, now) = self.sign_all(&work.send)?;
                    let (settled, _) = self.sign_all(&work.settled)?;
                    report.callbacks_queued +=
                        self.outbox
                            .complete_intent(&intent.key, send, settled, now)?;
                    if !woken {
                        // Waldur answers: what waits only for it goes next
                        // pass, not when a long backoff ends.
                        woken = true;
                        self.outbox.wake_intents_waiting_for_waldur()?;
                    }
                    if self.outbox_holds_a_full_transaction()? {
                        self.flush(report).await?;
                    }
                }
                Err(EngineError::Waldur(error)) => {
                    waiting_subjects.insert(subject);
                    self.outbox.intent_retry.failed(&mut intent, &error, now);
                    self.outbox.save_intent(&intent)?;
                    let id = intent.id();
                    if intent.state == IntentState::DeadLetter {
                        report.events_failed += 1;
                        report
                            .notes
                            .push(format!("dead letter {id} ({}): {error}", intent.subject()));
                    } else {
                        report.events_retrying += 1;
                        report.notes.push(format!(
                            "{id} ({}) failed, attempt {} at {}: {error}",
                            intent.subject(),
                            intent.attempts + 1,
                            intent.next_attempt_at
                        ));
                    }
                    if error.is_transient() {
                        break;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Passes until the chain head is reached (what `run` does by starting
    /// the next pass at once), as one report.
    pub async fn catch_up(&mut self) -> Result<StepReport, EngineError> {
        let mut report = self.step().await?;
        while report.behind {
            let next = self.step().await?;
            report.absorb(next);
        }
        Ok(report)
    }

    fn outbox_holds_a_full_transaction(&self) -> Result<bool, EngineError> {
        let capacity = self.chain.max_callbacks_per_tx().max(1) as u64;
        Ok(self.outbox.pending_len()? >= capacity)
    }
}
