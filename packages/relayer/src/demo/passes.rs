//! The relayer's passes as the demo drives them, and the small helpers
//! the story's parts share.

use cosmwasm_std::from_json;
use waldur_emulator::{EmulatorState, Fault};

use crate::chain::embedded::EmbeddedChain;
use crate::chain::ChainClient;
use crate::flows::engine::{Engine, StepReport};
use crate::waldur_side::adapter::WaldurAdapter;

use super::error::DemoError;

/// How the story runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoOptions {
    /// Before every relayer pass, Waldur answers with 429 and 503 storms
    /// and drops a connection; the first pass also meets more 500s than the
    /// client retries, so it fails and is run again.
    pub waldur_faults: bool,
}

/// Relayer passes until nothing waits (at most 8): what an operator's
/// `run` loop does. A Waldur call that failed leaves its chain event
/// waiting for its next attempt; the demo's chain clock is moved on to it
/// rather than waited for.
pub(super) async fn relay(
    engine: &mut Engine<EmbeddedChain, WaldurAdapter>,
    waldur: &EmulatorState,
    options: DemoOptions,
    first: bool,
) -> Result<String, DemoError> {
    if options.waldur_faults {
        waldur.inject(Fault::Status(429, 2));
        waldur.inject(Fault::Status(503, 2));
        waldur.inject(Fault::DropConnection(1));
        if first {
            waldur.inject(Fault::Status(500, 9));
        }
    }
    let mut retried = Vec::new();
    for _ in 0..8 {
        let report = match engine.catch_up().await {
            Ok(report) => report,
            // Waldur's answers to the pass's own polls: the pass is run
            // again.
            Err(e) => {
                retried.push(e.to_string());
                continue;
            }
        };
        let intents = engine.outbox.intent_figures()?;
        if intents.dead_letters > 0 {
            return Err(DemoError::GaveUp(report.notes.join("; ")));
        }
        let Some(next) = intents.next_attempt_at else {
            let mut text = describe(&report);
            if !retried.is_empty() {
                text = format!(
                    "{text} (after {} failed pass(es), retried: {})",
                    retried.len(),
                    retried.join(" / ")
                );
            }
            return Ok(text);
        };
        retried.extend(report.notes);
        engine
            .chain
            .advance(next.saturating_sub(engine.chain.now()).max(1));
    }
    Err(DemoError::KeptFailing(retried.join(" / ")))
}

pub(super) fn returned_id(res: &cw_multi_test::AppResponse) -> Result<String, DemoError> {
    let data = res
        .data
        .as_ref()
        .ok_or(DemoError::Missing("no id in the response"))?;
    Ok(from_json(data)?)
}

fn describe(step: &StepReport) -> String {
    let mut parts = step.notes.clone();
    if step.callbacks_confirmed > 0 {
        parts.push(format!(
            "{} callback(s) confirmed on chain{}",
            step.callbacks_confirmed,
            if step.already_processed > 0 {
                format!(" ({} already processed)", step.already_processed)
            } else {
                String::new()
            }
        ));
    }
    if parts.is_empty() {
        "nothing to do".into()
    } else {
        parts.join("; ")
    }
}
