//! What the relayer's audit log (JSON lines) says about one phase: every
//! submission of callbacks (one transaction each: the engine sends one
//! batch per pass and logs a `callback.sent` line per callback with the
//! batch's size), their outcomes, dead letters, failed passes, and any
//! other warning or error.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

/// One `submit_callbacks` transaction as the relayer logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub size: u64,
    /// `processed`, `already_processed`, `refused` or `unknown` (a batch's
    /// callbacks share it, except processed / already processed mixes,
    /// which count as processed).
    pub outcome: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditSummary {
    pub lines: u64,
    pub submissions: Vec<Submission>,
    /// `callback.sent` lines by outcome.
    pub sent_by_outcome: BTreeMap<String, u64>,
    /// (callback id, error) of `callback.dead_letter` lines.
    pub dead_letters: Vec<(String, String)>,
    /// `relayer.pass_failed` errors (first 160 characters) -> count.
    pub pass_failures: BTreeMap<String, u64>,
    /// Events logged at warn or error -> count.
    pub warnings: BTreeMap<String, u64>,
    /// Errors of submissions that failed (first 160 characters) -> count.
    pub submission_errors: BTreeMap<String, u64>,
    /// `engine.step` lines, and those that confirmed callbacks.
    pub steps: u64,
    pub steps_confirming: u64,
    /// Step notes that are not per-allocation progress (first 160
    /// characters) -> count.
    pub notable_notes: BTreeMap<String, u64>,
    /// `waldur.provision` lines: count, failed, mean and max `duration_ms`.
    pub provisions: u64,
    pub provisions_failed: u64,
    pub provision_ms_mean: f64,
    pub provision_ms_max: f64,
    /// The longest pass (seconds between an `engine.step` line and the
    /// one before, or the loop's start), with the events it handled and
    /// the callbacks it queued.
    pub longest_pass: Option<(f64, u64, u64)>,
    /// For each pass that confirmed callbacks right after one that did too:
    /// seconds since that one, and the blocks it read.
    pub sending_passes: Vec<(f64, u64)>,
}

/// Unix seconds of an audit line's `timestamp`.
fn seconds(v: &Value) -> Option<f64> {
    let text = v["timestamp"].as_str()?;
    let t = cosmrs::tendermint::Time::parse_from_rfc3339(text).ok()?;
    Some(t.unix_timestamp_nanos() as f64 / 1e9)
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(160).collect();
    if s.len() < text.len() {
        s.push_str("...");
    }
    s
}

impl AuditSummary {
    /// The lines of `log` from byte `offset` on.
    pub fn read(log: &Path, offset: u64) -> Result<AuditSummary> {
        let bytes = std::fs::read(log).with_context(|| format!("reading {}", log.display()))?;
        let start = usize::try_from(offset)?.min(bytes.len());
        let text = String::from_utf8_lossy(&bytes[start..]);
        Ok(AuditSummary::parse(&text))
    }

    pub fn parse(text: &str) -> AuditSummary {
        let mut s = AuditSummary::default();
        // Lines still expected for the submission being read.
        let mut remaining = 0u64;
        let mut pass_started: Option<f64> = None;
        let mut previous_confirmed = false;
        let mut provision_ms = 0.0;
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            s.lines += 1;
            let event = v["event"].as_str().unwrap_or_default();
            let level = v["level"].as_str().unwrap_or_default();
            if level == "warn" || level == "error" {
                *s.warnings.entry(event.to_string()).or_default() += 1;
            }
            match event {
                "callback.sent" => {
                    let outcome = v["outcome"].as_str().unwrap_or("?").to_string();
                    *s.sent_by_outcome.entry(outcome.clone()).or_default() += 1;
                    let error = v["error"].as_str().map(short);
                    if remaining == 0 {
                        remaining = v["batch_size"].as_u64().unwrap_or(1).max(1);
                        s.submissions.push(Submission {
                            size: remaining,
                            outcome: outcome.clone(),
                            error: error.clone(),
                        });
                        if let Some(e) = &error {
                            *s.submission_errors.entry(e.clone()).or_default() += 1;
                        }
                    } else if let Some(last) = s.submissions.last_mut() {
                        if outcome == "processed" {
                            last.outcome = outcome;
                        }
                    }
                    remaining -= 1;
                }
                "callback.dead_letter" => s.dead_letters.push((
                    v["callback_id"].as_str().unwrap_or("?").to_string(),
                    v["error"].as_str().unwrap_or_default().to_string(),
                )),
                "relayer.pass_failed" => {
                    let error = v["error"].as_str().unwrap_or_default();
                    *s.pass_failures.entry(short(error)).or_default() += 1;
                }
                "relayer.loop_started" => pass_started = seconds(&v),
                "waldur.provision" => {
                    s.provisions += 1;
                    if v["success"] == Value::Bool(false) {
                        s.provisions_failed += 1;
                    }
                    let ms = v["duration_ms"].as_f64().unwrap_or(0.0);
                    provision_ms += ms;
                    s.provision_ms_max = s.provision_ms_max.max(ms);
                }
                "engine.step" => {
                    s.steps += 1;
                    if let (Some(before), Some(now)) = (pass_started, seconds(&v)) {
                        let took = now - before;
                        if s.longest_pass.is_none_or(|(t, _, _)| took > t) {
                            s.longest_pass = Some((
                                took,
                                v["events_handled"].as_u64().unwrap_or(0),
                                v["callbacks_queued"].as_u64().unwrap_or(0),
                            ));
                        }
                    }
                    let confirmed = v["callbacks_confirmed"].as_u64().unwrap_or(0) > 0;
                    if let (true, true, Some(before), Some(now)) =
                        (confirmed, previous_confirmed, pass_started, seconds(&v))
                    {
                        s.sending_passes
                            .push((now - before, v["blocks_read"].as_u64().unwrap_or(0)));
                    }
                    previous_confirmed = confirmed;
                    pass_started = seconds(&v);
                    if v["callbacks_confirmed"].as_u64().unwrap_or(0) > 0 {
                        s.steps_confirming += 1;
                    }
                    for note in v["notes"].as_array().into_iter().flatten() {
                        let note = note.as_str().unwrap_or_default();
                        // One per allocation: progress, not news.
                        if note.starts_with("Waldur order ") && note.ends_with(" approved") {
                            continue;
                        }
                        *s.notable_notes.entry(short(note)).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        if s.provisions > 0 {
            s.provision_ms_mean = provision_ms / s.provisions as f64;
        }
        s
    }

    /// Sizes of the submissions the chain confirmed (one transaction each).
    pub fn confirmed_sizes(&self) -> Vec<u64> {
        self.submissions
            .iter()
            .filter(|b| b.outcome == "processed" || b.outcome == "already_processed")
            .map(|b| b.size)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_callback_lines_into_submissions() {
        let log = [
            r#"{"level":"info","event":"relayer.started"}"#,
            r#"{"level":"info","event":"callback.sent","outcome":"processed","batch_size":2}"#,
            r#"{"level":"info","event":"callback.sent","outcome":"already_processed","batch_size":2}"#,
            r#"{"level":"warn","event":"callback.sent","outcome":"unknown","batch_size":1,"error":"timeout"}"#,
            r#"{"level":"info","event":"callback.sent","outcome":"already_processed","batch_size":1}"#,
            r#"{"level":"info","event":"engine.step","callbacks_confirmed":2,"notes":["Waldur order x for allocation y approved","chain unavailable, will retry: z"]}"#,
            r#"{"level":"error","event":"callback.dead_letter","callback_id":"a:b","error":"refused"}"#,
        ]
        .join("\n");
        let s = AuditSummary::parse(&log);
        assert_eq!(s.submissions.len(), 3);
        assert_eq!(s.submissions[0].size, 2);
        assert_eq!(s.submissions[0].outcome, "processed");
        assert_eq!(s.submissions[1].outcome, "unknown");
        assert_eq!(s.confirmed_sizes(), vec![2, 1]);
        assert_eq!(s.sent_by_outcome["already_processed"], 2);
        assert_eq!(s.dead_letters.len(), 1);
        assert_eq!(s.warnings["callback.sent"], 1);
        assert_eq!(s.warnings["callback.dead_letter"], 1);
        assert_eq!(s.steps_confirming, 1);
        assert_eq!(s.notable_notes.len(), 1);
        assert_eq!(s.provisions, 0);
        assert!(s.longest_pass.is_none());
    }

    #[test]
    fn times_passes_and_provisions() {
        let log = [
            r#"{"level":"info","event":"relayer.loop_started","timestamp":"2026-12-02T18:23:35.700Z"}"#,
            r#"{"level":"info","event":"waldur.provision","duration_ms":400.0,"success":true}"#,
            r#"{"level":"info","event":"waldur.provision","duration_ms":600.0,"success":false}"#,
            r#"{"level":"info","event":"engine.step","timestamp":"2026-12-02T18:23:45.700Z","events_handled":2,"callbacks_queued":4}"#,
            r#"{"level":"info","event":"engine.step","timestamp":"2026-12-02T18:23:46.700Z","events_handled":0,"callbacks_queued":0}"#,
        ]
        .join("\n");
        let s = AuditSummary::parse(&log);
        assert_eq!((s.provisions, s.provisions_failed), (2, 1));
        assert_eq!((s.provision_ms_mean, s.provision_ms_max), (500.0, 600.0));
        let (took, events, queued) = s.longest_pass.expect("a pass");
        assert!((took - 10.0).abs() < 1e-6);
        assert_eq!((events, queued), (2, 4));
        assert!(s.sending_passes.is_empty());
    }
}
