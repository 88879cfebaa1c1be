//! The health monitor: a task beside the relay loop that, every few
//! seconds, probes Waldur (`GET users/me/`, which needs the token) and the
//! chain (latest height, the fee account's balance), reads the backlog from
//! the outbox, and writes all of it to the telemetry. The loop publishes
//! its figures only between passes and, with the offering sync and ingest
//! off, may not call Waldur for a long time: without this, `/healthz`
//! would be silent during a long pass and 200 against a dead Waldur.
//!
//! It holds the outbox weakly and only for one synchronous read at a time
//! (redb lets readers run beside the loop's writes), so the relayer's
//! shutdown still closes the database.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::chain::probe::SharedProbe;
use crate::runtime::outbox::{EntryState, Outbox, OutboxError};
use crate::runtime::telemetry::{Backlog, FeeBalance, Probe, Telemetry};
use crate::waldur_side::port::runtime::SharedWaldurProbe;

/// The probe period: the poll interval, kept between a tenth of a second
/// (tests poll fast) and 15 s (a slow poll must not hide an outage).
pub fn probe_interval(poll: Duration) -> Duration {
    poll.clamp(Duration::from_millis(100), Duration::from_secs(15))
}

pub struct Monitor {
    /// A client of its own, without retries: the probe is one attempt, and
    /// shares neither retries nor the rate limiter with the loop.
    pub waldur: SharedWaldurProbe,
    pub chain: Option<SharedProbe>,
    pub outbox: Weak<Outbox>,
    pub telemetry: Arc<Telemetry>,
    pub interval: Duration,
}

/// An operator's wording of a failed probe.
fn waldur_problem(error: &waldur::Error) -> String {
    match error {
        waldur::Error::Unauthorized { .. } | waldur::Error::Forbidden { .. } => {
            format!("Waldur refuses the relayer's token: {error}")
        }
        _ => format!("Waldur unreachable: {error}"),
    }
}

/// The backlog: the pending index's length and first entry, the intents
/// (a scan of the waiting ones only; done callbacks are not read).
pub fn read_backlog(outbox: &Outbox) -> Result<Backlog, OutboxError> {
    let intents = outbox.intent_figures()?;
    let oldest_callback = outbox.in_state(EntryState::Pending, 1)?;
    Ok(Backlog {
        callbacks_pending: outbox.pending_len()?,
        intents_waiting: intents.waiting,
        intents_dead_letters: intents.dead_letters,
        oldest_intent_recorded_at: intents.oldest_waiting_since,
        oldest_callback_queued_at: oldest_callback.first().map(|e| e.created_at),
    })
}

impl Monitor {
    /// Checks at once, then every interval, until `shutdown` turns true (or
    /// its sender goes).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = ticks.tick() => self.check_once().await,
            }
        }
    }

    pub async fn check_once(&self) {
        // The database first: it is local and cheap, and shows the backlog
        // even while a probe waits for its timeout.
        self.read_outbox();
        let waldur = self.waldur.check_token().await;
        self.telemetry.set_waldur_probe(Probe {
            ok: waldur.is_ok(),
            problem: waldur.as_ref().err().map(waldur_problem),
            at: SystemTime::now(),
        });
        if let Some(chain) = &self.chain {
            let head = chain.head().await;
            let probe = Probe {
                ok: head.is_ok(),
                problem: head
                    .as_ref()
                    .err()
                    .map(|e| format!("chain unreachable: {e}")),
                at: SystemTime::now(),
            };
            let head = head.ok();
            self.telemetry.set_chain_probe(
                probe,
                head.map(|h| h.height),
                head.map(|h| h.block_time),
            );
            // A balance that cannot be read leaves the last one shown; the
            // chain probe above already tells an unreachable node.
            if head.is_some() {
                if let Ok(balance) = chain.fee_balance().await {
                    self.telemetry.set_fee_balance(FeeBalance {
                        address: balance.address,
                        denom: balance.denom,
                        amount: balance.amount,
                    });
                }
            }
        }
    }

    fn read_outbox(&self) {
        // Gone: the relayer is shutting down.
        let Some(outbox) = self.outbox.upgrade() else {
            return;
        };
        // A failed read keeps the last figures; the loop logs database
        // errors when it meets them.
        if let Ok(backlog) = read_backlog(&outbox) {
            self.telemetry.set_backlog(backlog);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::future::BoxFuture;
    use futures_util::FutureExt;

    use super::*;
    use crate::waldur_side::port::runtime::WaldurProbe;

    /// A Waldur that answers the probe with 403, which the emulator never
    /// sends for `users/me`.
    struct Forbidding;

    impl WaldurProbe for Forbidding {
        fn check_token(&self) -> BoxFuture<'_, Result<(), waldur::Error>> {
            async {
                Err(waldur::Error::Forbidden {
                    detail: "no permission".into(),
                })
            }
            .boxed()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_forbidden_probe_blames_the_token() {
        let telemetry = Arc::new(Telemetry::new(Duration::from_secs(10), 3));
        let monitor = Monitor {
            waldur: Arc::new(Forbidding),
            chain: None,
            outbox: Weak::new(),
            telemetry: telemetry.clone(),
            interval: Duration::from_secs(1),
        };
        monitor.check_once().await;
        let probe = telemetry.snapshot().waldur_probe.expect("probed");
        assert!(!probe.ok);
        assert_eq!(
            probe.problem.as_deref(),
            Some(
                "Waldur refuses the relayer's token: \
                 Waldur denied the operation (403): no permission"
            )
        );
    }
}
