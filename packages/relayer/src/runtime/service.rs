//! `ve-relayer run`: the long-running relayer.
//!
//! One loop owns the engine, the offering sync and the offering ingest
//! (they share the database and are not thread-safe), and does, in turn:
//! - every poll interval, a pass: the offering sync follows the chain and
//!   pushes due offerings to Waldur, then the engine steps (chain events ->
//!   Waldur -> callbacks -> outbox -> chain);
//! - every reconcile interval, an offering reconcile (drift repair);
//! - every ingest interval, the Waldur -> chain offering ingest;
//! - between those, the admin API's requests, sent to it over a channel
//!   (reconcile now, dead letters).
//!
//! A shutdown request also reaches the one in progress: it gets
//! [`SHUTDOWN_GRACE`] to finish and is then abandoned (its Waldur or node
//! requests dropped), so a hung Waldur cannot hold the process. Nothing is
//! lost by that: the checkpoint moves only with a block's work stored (as
//! waiting intents), so what an abandoned pass left undone is still in the
//! database and is done after a restart. Then the outbox is
//! flushed once more, for at most [`FINAL_FLUSH_DEADLINE`], and the
//! database closed before [`Relayer::run`] returns.

pub mod admin;
pub mod audited;
pub mod error;
pub mod monitor;
pub mod summary;
pub mod wiring;

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::{interval_at, Instant as TokioInstant, MissedTickBehavior};

use crate::chain::ChainClient;
use crate::flows::dead_letters;
use crate::flows::engine::{Engine, StepReport};
use crate::runtime::audit::{unix_now, AuditLog};
use crate::runtime::outbox::{EntryState, CHECKPOINT};
use crate::runtime::telemetry::{OutboxFigures, Telemetry};
use crate::waldur_side::adapter::WaldurAdapter;
use crate::waldur_side::offering_ingest::OfferingIngest;
use crate::waldur_side::offering_sync::{
    OfferingReader, OfferingSync, SyncOutcome, CHECKPOINT as SYNC_CHECKPOINT,
};
use crate::waldur_side::port::offerings::OfferingSyncWaldur;
use crate::waldur_side::port::runtime::{ServiceWaldur, SharedWaldurProbe, WaldurProbe};

use admin::AdminCommand;
use audited::{AuditedChain, AuditedWaldur};
use error::ServiceError;
use summary::{DeadLetters, ReconcileSummary, ReprocessTarget, Reprocessed, Resync};

/// How often the loop does each thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub poll: Duration,
    /// `None`: offering sync off.
    pub reconcile: Option<Duration>,
    /// `None`: offering ingest off.
    pub ingest: Option<Duration>,
}

/// The period of a timer whose branch is switched off (never polled).
const IDLE: Duration = Duration::from_secs(86_400);

/// How long the work in progress at a stop signal (a pass, a reconcile,
/// an ingest poll, an admin request) may still run before it is abandoned.
/// With [`FINAL_FLUSH_DEADLINE`] and the HTTP servers' stop, the process
/// ends well within the 10 s an operator (or systemd) waits.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// The final outbox flush's deadline: what it did not send stays pending
/// in the outbox and goes out after a restart.
pub const FINAL_FLUSH_DEADLINE: Duration = Duration::from_secs(4);

/// Resolves once a stop is asked (or the sender is gone, which means the
/// same).
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// `work`'s output, unless a stop is asked meanwhile and `work` does not
/// end within [`SHUTDOWN_GRACE`] after it: then `None`, `work` dropped.
async fn unless_stopped<F: Future>(
    work: F,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<F::Output> {
    tokio::pin!(work);
    tokio::select! {
        output = &mut work => return Some(output),
        () = stop_requested(shutdown) => {}
    }
    tokio::time::timeout(SHUTDOWN_GRACE, work).await.ok()
}

pub type RelayEngine<C> = Engine<AuditedChain<C>, AuditedWaldur<WaldurAdapter>>;

/// `W`: the Waldur port of the offering sync and ingest, which also gives
/// the loop its offering links (the adapter's client, in `wiring`).
pub struct Relayer<C: ChainClient, W> {
    pub engine: RelayEngine<C>,
    pub offering_sync: Option<OfferingSync<W>>,
    pub ingest: Option<OfferingIngest<W>>,
    /// Builds Waldur offering links for the engine's offering map.
    waldur_links: W,
    /// What the health monitor probes Waldur with (`wiring::build` gives
    /// it a client without retries).
    pub health_probe: SharedWaldurProbe,
    pub telemetry: Arc<Telemetry>,
    pub audit: AuditLog,
    pub timing: Timing,
    /// Dead callbacks already reported, so each is logged once.
    known_dead: BTreeSet<String>,
}

fn resync_error(outcome: &SyncOutcome) -> Option<&str> {
    match outcome {
        SyncOutcome::Failed { error, .. } | SyncOutcome::DeadLettered { error } => Some(error),
        _ => None,
    }
}

impl<C: ChainClient + OfferingReader, W: OfferingSyncWaldur + ServiceWaldur> Relayer<C, W> {
    /// The health monitor probes Waldur with a clone of `waldur_links`
    /// until [`Relayer::health_probe`] is set.
    pub fn new(
        engine: RelayEngine<C>,
        offering_sync: Option<OfferingSync<W>>,
        ingest: Option<OfferingIngest<W>>,
        waldur_links: W,
        telemetry: Arc<Telemetry>,
        audit: AuditLog,
        timing: Timing,
    ) -> Result<Self, ServiceError>
    where
        W: WaldurProbe + Clone + 'static,
    {
        let known_dead = engine
            .outbox
            .in_state(EntryState::DeadLetter, usize::MAX)?
            .into_iter()
            .map(|e| e.callback.callback_id)
            .collect();
        // A restart is the operator's sign that something was fixed (a
        // token, an offering map): what waits is tried at once.
        engine.outbox.make_intents_due()?;
        let mut relayer = Relayer {
            engine,
            offering_sync,
            ingest,
            health_probe: Arc::new(waldur_links.clone()),
            waldur_links,
            telemetry,
            audit,
            timing,
            known_dead,
        };
        relayer.map_synced_offerings();
        relayer.publish_figures();
        Ok(relayer)
    }

    /// The chain client (e.g. for queries in tests).
    pub fn chain(&self) -> &C {
        &self.engine.chain.inner
    }

    /// Offerings the sync has put in Waldur are offerings the engine can
    /// order: their Waldur link goes into the engine's offering map (the
    /// guide: with the sync on, the manual map is not needed).
    fn map_synced_offerings(&mut self) {
        let Some(sync) = &self.offering_sync else {
            return;
        };
        let links = &self.waldur_links;
        for record in sync.records().filter(|r| !r.waldur_owned) {
            if let Some(link) = record
                .waldur_uuid
                .as_deref()
                .and_then(|uuid| links.public_offering_link(uuid).ok())
            {
                self.engine
                    .waldur
                    .inner
                    .map_offering(&record.offering_id, link);
            }
        }
    }

    /// Copies outbox counts, checkpoints and sync metrics to the telemetry.
    fn publish_figures(&mut self) {
        let outbox = &self.engine.outbox;
        // The backlog is read as the health monitor reads it; the counts
        // add the done callbacks (a scan, so only between passes).
        match outbox
            .counts()
            .and_then(|c| Ok((c, monitor::read_backlog(outbox)?)))
        {
            Ok(((pending, done, dead_letters), backlog)) => {
                self.telemetry.set_outbox(OutboxFigures {
                    pending,
                    done,
                    dead_letters,
                    chain_checkpoint: outbox.meta(CHECKPOINT).ok().flatten(),
                    offering_sync_checkpoint: outbox.meta(SYNC_CHECKPOINT).ok().flatten(),
                    intents_waiting: backlog.intents_waiting,
                    intents_dead_letters: backlog.intents_dead_letters,
                    oldest_intent_recorded_at: backlog.oldest_intent_recorded_at,
                    oldest_callback_queued_at: backlog.oldest_callback_queued_at,
                })
            }
            Err(e) => self
                .audit
                .error("relayer.database", json!({ "error": e.to_string() })),
        }
        // The backlog's timestamps are chain time: its age is read on the
        // chain's clock.
        self.telemetry
            .set_chain_time(self.engine.chain.now(), SystemTime::now());
        if let Some(sync) = &self.offering_sync {
            self.telemetry.set_offering_sync(sync.metrics().clone());
        }
        // Every Waldur client of the relayer is a clone of this one.
        self.telemetry
            .set_rate_limit_hits(self.waldur_links.rate_limit_hits());
        if let Some(ingest) = self.ingest.as_mut() {
            if let Err(e) = ingest.settle() {
                self.audit
                    .error("relayer.database", json!({ "error": e.to_string() }));
            }
            self.telemetry.set_ingest(ingest.stats().clone());
        }
    }

    /// Logs callbacks that reached the dead letters since the last look
    /// (read only when the count says there are new ones: it is a scan).
    fn report_new_dead_letters(&mut self) {
        let dead_now = self.telemetry.snapshot().outbox.dead_letters;
        if dead_now <= self.known_dead.len() as u64 {
            return;
        }
        let Ok(dead) = self
            .engine
            .outbox
            .in_state(EntryState::DeadLetter, usize::MAX)
        else {
            return;
        };
        for entry in dead {
            let id = entry.callback.callback_id.clone();
            if self.known_dead.insert(id.clone()) {
                self.audit.error(
                    "callback.dead_letter",
                    json!({
                        "callback_id": id,
                        "action_type": entry.callback.action_type.as_str(),
                        "entity_id": entry.callback.entity_id,
                        "attempts": entry.attempts,
                        "error": entry.last_error,
                    }),
                );
            }
        }
    }

    fn log_sync_outcomes(&self, outcomes: &[(String, SyncOutcome)], trigger: &str) {
        let Some(sync) = &self.offering_sync else {
            return;
        };
        for (offering_id, outcome) in outcomes {
            let resync = Resync::new(offering_id, outcome);
            let record = sync.record(offering_id);
            let fields = json!({
                "offering_id": offering_id,
                "action": resync.action,
                "success": resync.success,
                "waldur_uuid": resync.waldur_uuid.or_else(|| record.and_then(|r| r.waldur_uuid.clone())),
                "error": resync.error,
                "retry_count": record.map_or(0, |r| r.failure_count),
                "checksum": record.and_then(|r| r.checksum.clone()),
                "provider_address": sync.config().provider,
                "trigger": trigger,
            });
            if resync_error(outcome).is_some() {
                self.audit.warn("offering_sync.sync", fields);
            } else {
                self.audit.info("offering_sync.sync", fields);
            }
            if matches!(outcome, SyncOutcome::DeadLettered { .. }) {
                self.audit.error(
                    "offering_sync.dead_letter",
                    json!({ "offering_id": offering_id, "error": resync_error(outcome) }),
                );
            }
            // `SyncError::Waldur` shows as "Waldur: …" (a request failed);
            // other failures are mapping or verification problems, which
            // say nothing about Waldur's health.
            match resync_error(outcome) {
                None => self.telemetry.waldur_call_succeeded(),
                Some(e) if e.starts_with("Waldur: ") => {
                    self.telemetry.waldur_error("offering_sync")
                }
                Some(_) => {}
            }
        }
    }

    /// The offering sync's share of a pass: new chain events, then the
    /// syncs that are due.
    async fn sync_offerings(&mut self) -> Result<(), ServiceError> {
        let Some(sync) = self.offering_sync.as_mut() else {
            return Ok(());
        };
        let now = unix_now();
        let result = async {
            sync.follow_chain(&self.engine.chain, now).await?;
            sync.tick(&self.engine.chain, now).await
        }
        .await;
        match result {
            Ok(report) => {
                self.log_sync_outcomes(&report.outcomes, "pass");
                self.map_synced_offerings();
                Ok(())
            }
            Err(error) => {
                let error = ServiceError::OfferingSync(error);
                if error.is_waldur() {
                    self.telemetry.waldur_error("offering_sync");
                }
                Err(error)
            }
        }
    }

    fn log_step(&self, report: &StepReport) {
        let busy = report.blocks_read > 0
            || report.events_handled > 0
            || report.events_retrying > 0
            || report.callbacks_queued > 0
            || report.callbacks_confirmed > 0
            || report.failed > 0
            || !report.notes.is_empty();
        if !busy {
            return;
        }
        self.audit.info(
            "engine.step",
            json!({
                "blocks_read": report.blocks_read,
                "events_recorded": report.events_recorded,
                "events_handled": report.events_handled,
                "events_retrying": report.events_retrying,
                "events_failed": report.events_failed,
                "callbacks_queued": report.callbacks_queued,
                "callbacks_confirmed": report.callbacks_confirmed,
                "already_processed": report.already_processed,
                "failed": report.failed,
                "transactions_sent": report.transactions_sent,
                "resigned": report.resigned,
                "waldur_failures_not_on_chain": report.waldur_failures_not_on_chain,
                "behind": report.behind,
                "notes": report.notes,
            }),
        );
    }

    /// One pass (offering sync, then an engine step); its outcome goes to
    /// the telemetry (health, metrics) and the audit log.
    pub async fn pass(&mut self) -> Result<StepReport, ServiceError> {
        let started = Instant::now();
        self.telemetry.pass_started(SystemTime::now());
        let synced = self.sync_offerings().await;
        let stepped = self.engine.step().await;
        if let Ok(report) = &stepped {
            self.telemetry.add_report(report);
            self.log_step(report);
        }
        let outcome = match (synced, stepped) {
            // Callbacks that cannot be sent make the pass a failure for
            // /healthz, whatever the cause (a node down looks the same as
            // an unfunded fee account from here).
            (Ok(()), Ok(report)) => match &report.submit_error {
                None => Ok(report),
                Some(e) => Err(ServiceError::OutboxNotSent(e.clone())),
            },
            (Err(e), _) => Err(e),
            (Ok(()), Err(e)) => Err(ServiceError::RelayStep(e)),
        };
        if let Err(error) = &outcome {
            self.audit
                .error("relayer.pass_failed", json!({ "error": error.to_string() }));
        }
        self.telemetry.step_finished(
            outcome.as_ref().map(drop).map_err(|e| e as _),
            started.elapsed(),
            SystemTime::now(),
        );
        self.publish_figures();
        self.report_new_dead_letters();
        outcome
    }

    /// One reconcile pass (chain events first, so the records are fresh).
    pub async fn reconcile(&mut self) -> Result<ReconcileSummary, ServiceError> {
        let Some(sync) = self.offering_sync.as_mut() else {
            return Err(ServiceError::SyncDisabled);
        };
        let now = unix_now();
        let result = async {
            sync.follow_chain(&self.engine.chain, now).await?;
            sync.reconcile(&self.engine.chain, now).await
        }
        .await;
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                let error = ServiceError::Reconcile(error);
                if error.is_waldur() {
                    self.telemetry.waldur_error("offering_sync");
                }
                self.audit.error(
                    "offering_sync.reconcile",
                    json!({ "success": false, "error": error.to_string() }),
                );
                self.publish_figures();
                return Err(error);
            }
        };
        // Its listing of the customer's Waldur offerings.
        self.telemetry.waldur_call_succeeded();
        let summary = ReconcileSummary::from(&report);
        let fields = json!({
            "success": true,
            "drift_found": summary.drift_found,
            "queued": summary.queued,
            "drifted": summary.drifted,
            "missing_in_waldur": summary.missing_in_waldur,
            "orphans": summary.orphans.iter().map(|o| &o.waldur_uuid).collect::<Vec<_>>(),
            "duplicates": summary.duplicates.iter().map(|o| &o.waldur_uuid).collect::<Vec<_>>(),
            "resynced": summary.resynced.len(),
        });
        if summary.drift_found {
            self.audit.warn("offering_sync.reconcile", fields);
        } else {
            self.audit.info("offering_sync.reconcile", fields);
        }
        self.log_sync_outcomes(&report.tick.outcomes, "reconcile");
        self.map_synced_offerings();
        self.publish_figures();
        Ok(summary)
    }

    /// One Waldur -> chain offering ingest pass (sent with the next flush).
    pub async fn ingest_offerings(&mut self) -> Result<u64, ServiceError> {
        let Some(ingest) = self.ingest.as_mut() else {
            return Err(ServiceError::IngestDisabled);
        };
        match self.engine.ingest_offerings(ingest).await {
            Ok(queued) => {
                self.telemetry.waldur_call_succeeded();
                self.telemetry.add_ingested(queued);
                if queued > 0 {
                    self.audit.info(
                        "offering_ingest.queued",
                        json!({ "callbacks_queued": queued }),
                    );
                }
                self.publish_figures();
                Ok(queued)
            }
            Err(error) => {
                let error = ServiceError::Ingest(error);
                if error.is_waldur() {
                    self.telemetry.waldur_error("offering_ingest");
                }
                self.audit.warn(
                    "offering_ingest.failed",
                    json!({ "error": error.to_string() }),
                );
                // The poll's duration is in the figures.
                self.publish_figures();
                Err(error)
            }
        }
    }

    pub fn dead_letters(&self) -> Result<DeadLetters, ServiceError> {
        let mut listed = dead_letters::list(&self.engine.outbox)?;
        // The running sync's records are the live ones.
        if let Some(sync) = &self.offering_sync {
            listed.offerings = sync
                .dead_letters()
                .into_iter()
                .map(summary::DeadOffering::from)
                .collect();
        }
        Ok(listed)
    }

    pub fn reprocess(&mut self, target: &ReprocessTarget) -> Result<Reprocessed, ServiceError> {
        let now = unix_now();
        let callbacks = dead_letters::reprocess_callbacks(
            &self.engine.outbox,
            &self.engine.signer,
            target,
            self.engine.chain.now(),
        )?;
        let offerings = match (self.offering_sync.as_mut(), target) {
            (None, _) => Vec::new(),
            (Some(sync), ReprocessTarget::All { all: true }) => {
                sync.reprocess_all(now).map_err(ServiceError::SyncRecords)?
            }
            (Some(sync), ReprocessTarget::One { id }) => {
                if sync.reprocess(id, now).map_err(ServiceError::SyncRecords)? {
                    vec![id.clone()]
                } else {
                    Vec::new()
                }
            }
            (Some(_), ReprocessTarget::All { all: false }) => Vec::new(),
        };
        let events =
            dead_letters::reprocess_events(&self.engine.outbox, target, self.engine.chain.now())?;
        let done = Reprocessed {
            events,
            callbacks,
            offerings,
        };
        dead_letters::check_found(target, &done)?;
        for id in &done.events {
            self.audit
                .info("event.reprocessed", json!({ "event_id": id }));
        }
        for id in &done.callbacks {
            self.known_dead.remove(id);
            self.audit
                .info("callback.reprocessed", json!({ "callback_id": id }));
        }
        for id in &done.offerings {
            self.audit
                .info("offering_sync.reprocessed", json!({ "offering_id": id }));
        }
        self.publish_figures();
        Ok(done)
    }

    async fn handle(&mut self, command: AdminCommand) {
        // A dropped receiver means the HTTP client went away: nothing to do.
        match command {
            AdminCommand::Reconcile(reply) => {
                let _ = reply.send(self.reconcile().await);
            }
            AdminCommand::DeadLetters(reply) => {
                let _ = reply.send(self.dead_letters());
            }
            AdminCommand::Reprocess(target, reply) => {
                let _ = reply.send(self.reprocess(&target));
            }
        }
    }

    /// Runs until `shutdown` turns true (or its sender is dropped). The
    /// first pass starts at once. Returns the chain client; everything
    /// else, the database included, is closed by then.
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<AdminCommand>,
        mut shutdown: watch::Receiver<bool>,
    ) -> C {
        self.audit.info(
            "relayer.loop_started",
            json!({
                "provider_address": self.engine.signer.provider,
                "chain_id": self.engine.chain.chain_id(),
                "poll_interval_seconds": self.timing.poll.as_secs_f64(),
                "offering_sync": self.offering_sync.is_some(),
                "offering_ingest": self.ingest.is_some(),
            }),
        );
        let start = TokioInstant::now();
        let mut poll = interval_at(start, self.timing.poll);
        // Reconcile at start too: after lost state (the guide's recovery
        // procedures) it rebuilds the records without waiting an interval.
        let mut reconcile = interval_at(start, self.timing.reconcile.unwrap_or(IDLE));
        let mut ingest = interval_at(start, self.timing.ingest.unwrap_or(IDLE));
        for timer in [&mut poll, &mut reconcile, &mut ingest] {
            // A pass that overran its interval is not followed by a burst.
            timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        }
        let (sync_on, ingest_on) = (
            self.timing.reconcile.is_some(),
            self.timing.ingest.is_some(),
        );
        // What a stop signal abandoned, for the log.
        let mut cut_short = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                // Shutdown first: a busy loop must still stop promptly.
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(command) = commands.recv() => {
                    // Cut short, the request's reply is dropped: the HTTP
                    // client hears that the loop stopped before answering.
                    if unless_stopped(self.handle(command), &mut shutdown).await.is_none() {
                        cut_short = Some("admin request");
                        break;
                    }
                }
                _ = poll.tick() => {
                    // Failures are in the telemetry and the log; the next
                    // pass retries. A pass that stopped short of the chain
                    // head, or found work, is followed at once.
                    match unless_stopped(self.pass(), &mut shutdown).await {
                        Some(outcome) => {
                            if outcome.is_ok_and(|r| r.more_may_be_waiting()) {
                                poll.reset_immediately();
                            }
                        }
                        None => {
                            cut_short = Some("relay pass");
                            break;
                        }
                    }
                }
                _ = reconcile.tick(), if sync_on => {
                    if unless_stopped(self.reconcile(), &mut shutdown).await.is_none() {
                        cut_short = Some("offering reconcile");
                        break;
                    }
                }
                _ = ingest.tick(), if ingest_on => {
                    if unless_stopped(self.ingest_offerings(), &mut shutdown).await.is_none() {
                        cut_short = Some("offering ingest");
                        break;
                    }
                }
            }
        }
        self.shut_down(cut_short).await
    }

    /// Sends what is still pending (for at most [`FINAL_FLUSH_DEADLINE`]),
    /// then closes everything but the chain. `cut_short`: the work a stop
    /// signal abandoned, if any.
    async fn shut_down(mut self, cut_short: Option<&'static str>) -> C {
        let mut abandoned: Vec<&str> = Vec::new();
        if let Some(work) = cut_short {
            abandoned.push(work);
            self.audit.warn(
                "relayer.cut_short",
                json!({
                    "work": work,
                    "grace_seconds": SHUTDOWN_GRACE.as_secs_f64(),
                    "why": "still running when the stop's grace period ended (Waldur or the node not answering)",
                    "effect": "abandoned; what it left undone is still recorded in the database and is done after a restart",
                }),
            );
        }
        match tokio::time::timeout(FINAL_FLUSH_DEADLINE, self.engine.flush_pending()).await {
            Ok(Ok(report)) => {
                self.telemetry.add_report(&report);
                self.audit.info(
                    "relayer.stopping",
                    json!({ "callbacks_confirmed": report.callbacks_confirmed }),
                );
            }
            Ok(Err(error)) => self.audit.warn(
                "relayer.stopping",
                json!({ "error": format!("final outbox flush: {error}") }),
            ),
            Err(_) => {
                abandoned.push("final outbox flush");
                self.audit.warn(
                    "relayer.cut_short",
                    json!({
                        "work": "final outbox flush",
                        "deadline_seconds": FINAL_FLUSH_DEADLINE.as_secs_f64(),
                        "effect": "unsent callbacks stay pending in the outbox and are sent after a restart",
                    }),
                );
            }
        }
        self.publish_figures();
        let Relayer {
            engine,
            offering_sync,
            ingest,
            audit,
            ..
        } = self;
        let Engine {
            chain,
            waldur,
            outbox,
            ..
        } = engine;
        // Every holder of the database goes before the log says so.
        drop((waldur, offering_sync, ingest, outbox));
        audit.info(
            "relayer.stopped",
            json!({ "database": "closed", "cut_short": abandoned }),
        );
        chain.inner
    }
}
