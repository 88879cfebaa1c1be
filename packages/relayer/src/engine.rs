//! The relay loop: chain events in, Waldur actions out, signed callbacks
//! back through the outbox. One `step` is one pass; `run` repeats it.
//!
//! Delivery is at least once everywhere and exactly once in effect:
//! - the checkpoint moves only after a block's callbacks are in the outbox,
//!   so a crash re-reads the block, and the deterministic callback ids turn
//!   the repeat into `already_processed`;
//! - Waldur calls are idempotent per allocation (the Waldur side looks up
//!   the order by the allocation id before creating one);
//! - an outbox entry is done only once the chain answered for it.

use serde::Serialize;
use thiserror::Error;
use ve_types::callback::{AllocationStatePayload, UsagePayload};
use ve_types::{ActionType, AllocationState, EntityType};
use waldur_callback::msg::CallbackOutcome;

use crate::chain::{ChainClient, ChainError, ChainEvent};
use crate::outbox::{EntryState, Outbox, OutboxError, Watermark, CHECKPOINT};
use crate::signer::{CallbackDraft, Signer};
use crate::waldur_port::{ResourceStatus, WaldurError, WaldurPort};

/// Most callbacks sent in one transaction (the contract takes 50).
pub const BATCH: usize = 50;

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
    /// Events Waldur refused for good (not retried; see `events_failed:`
    /// in the relayer database).
    pub events_failed: u64,
    /// Why the outbox could not be sent this step (node down, fee account
    /// unfunded, ...): nothing was lost, but nothing landed either.
    pub submit_error: Option<String>,
    pub notes: Vec<String>,
}

/// Prefix of the records of events the relayer gave up on.
pub const EVENT_FAILURES: &str = "events_failed:";

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
        let now = self.chain.now();
        let signed = drafts
            .iter()
            .map(|d| self.signer.sign(d, now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Signing(e.to_string()))?;
        report.callbacks_queued += self.outbox.enqueue_with(signed, now, watermark)?;
        Ok(())
    }

    /// Acts on one chain event of this provider.
    async fn handle(
        &mut self,
        event: &ChainEvent,
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
                    self.queue(&draft, report)?;
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
                // terminating; the callback is a no-op confirmation.
                self.queue(&draft, report)?;
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
                let submission = crate::job_flow::JobSubmission {
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
                let draft = crate::job_flow::status_draft(
                    job_id,
                    &job.job_uuid,
                    ve_types::callback::JobStatusPayload {
                        state: ve_types::JobState::Queued,
                        exit_code: None,
                        node_seconds_used: None,
                        reason: None,
                    },
                );
                self.queue(&draft, report)?;
            }
            ChainEvent::JobStateChanged { job_id, state, .. } => {
                use ve_types::StateMachine;
                if state.is_terminal() {
                    self.waldur.job_closed_on_chain(job_id, *state).await?;
                    // Status reports still queued for the job would only
                    // be refused (the contract allows no change to a final
                    // job) and end as dead letters.
                    let dropped = self.outbox.supersede_pending(
                        |cb| cb.entity_type == EntityType::Job && cb.entity_id == *job_id,
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
    /// callbacks (OK -> active, Erred -> failed, Terminated -> terminated),
    /// and new usage becomes usage reports.
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
            };
            let drafts: Vec<_> = steps
                .iter()
                .map(|(action, state)| {
                    state_draft(
                        *action,
                        &status.allocation_id,
                        &status.resource_uuid,
                        *state,
                    )
                })
                .collect();
            self.queue_all(&drafts, status.watermark.as_ref(), report)?;
        }
        for usage in self.waldur.usage_updates(self.chain.now()).await? {
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
            match crate::job_flow::drafts_for(&update) {
                Ok(drafts) => self.queue_all(&drafts, update.watermark.as_ref(), report)?,
                Err(note) => {
                    if let Some(w) = &update.watermark {
                        self.outbox.save_watermark(w)?;
                    }
                    report.notes.push(note);
                }
            }
        }
        Ok(())
    }

    /// Sends pending outbox entries in batches and records the answers.
    async fn flush(&mut self, report: &mut StepReport) -> Result<(), EngineError> {
        let pending = self.outbox.in_state(EntryState::Pending, BATCH)?;
        if pending.is_empty() {
            return Ok(());
        }
        let callbacks: Vec<_> = pending.iter().map(|e| e.callback.clone()).collect();
        let now = self.chain.now();
        match self.chain.submit_callbacks(&callbacks).await {
            Ok(outcomes) => {
                for (cb, outcome) in callbacks.iter().zip(outcomes) {
                    self.outbox.mark_done(&cb.callback_id, now)?;
                    report.callbacks_confirmed += 1;
                    if outcome == CallbackOutcome::AlreadyProcessed {
                        report.already_processed += 1;
                    }
                }
            }
            Err(ChainError::Unavailable(e)) => {
                // Nothing is known: try again next step.
                report
                    .notes
                    .push(format!("chain unavailable, will retry: {e}"));
                report.submit_error = Some(e);
            }
            Err(ChainError::Refused(_)) => {
                // One bad callback refuses the whole batch: find it by
                // sending one at a time.
                for cb in &callbacks {
                    match self.chain.submit_callbacks(std::slice::from_ref(cb)).await {
                        Ok(_) => {
                            self.outbox.mark_done(&cb.callback_id, now)?;
                            report.callbacks_confirmed += 1;
                        }
                        Err(e) => {
                            report.failed += 1;
                            let state =
                                self.outbox
                                    .mark_failed(&cb.callback_id, &e.to_string(), now)?;
                            if state == EntryState::DeadLetter {
                                report
                                    .notes
                                    .push(format!("dead letter {}: {e}", cb.callback_id));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Queues `offering_ingest` callbacks for the Waldur offerings that are
    /// new or changed (sent with the next flush); returns how many.
    pub async fn ingest_offerings(
        &mut self,
        ingest: &mut crate::offering_ingest::OfferingIngest,
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

    /// One pass: new blocks, Waldur changes, outbox.
    pub async fn step(&mut self) -> Result<StepReport, EngineError> {
        let mut report = StepReport::default();
        let from = self.outbox.meta(CHECKPOINT)?.map_or(1, |h| h + 1);
        let to = self.chain.latest_height().await?;
        if to >= from {
            let events = self.chain.events(from, to).await?;
            for raw in &events {
                let Some(event) = ChainEvent::decode(raw) else {
                    continue;
                };
                if event.provider() != self.signer.provider {
                    continue;
                }
                match self.handle(&event, &mut report).await {
                    Ok(()) => {}
                    // Waldur is down: stop here, the checkpoint stays, the
                    // whole range is read again next pass.
                    Err(EngineError::Waldur(e)) if e.is_transient() => return Err(e.into()),
                    // A refusal would block every later event if retried
                    // forever: record it for the operator and go on.
                    Err(EngineError::Waldur(e)) => {
                        report.events_failed += 1;
                        report.notes.push(format!(
                            "event {}/{} not applied: {e}",
                            raw.height, raw.index
                        ));
                        self.outbox.save_state(
                            &format!("{EVENT_FAILURES}{:012}:{:04}", raw.height, raw.index),
                            &serde_json::json!({ "event": raw.kind, "attributes": raw.attributes, "error": e.to_string() }),
                        )?;
                    }
                    Err(e) => return Err(e),
                }
            }
            report.blocks_read = to - from + 1;
            self.outbox.set_meta(CHECKPOINT, to)?;
        }
        self.poll_waldur(&mut report).await?;
        self.flush(&mut report).await?;
        Ok(report)
    }
}
