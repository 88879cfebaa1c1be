//! The HPC job flow's rules, as pure functions: the sbatch script a chain
//! job becomes, how SLURM's `runtime_state` maps to the chain's
//! `JobState`, which states to report so the hpc contract accepts every
//! one, and how the job's report becomes `node_seconds_used`.
//!
//! | Waldur `runtime_state` | chain `JobState` |
//! |---|---|
//! | `PENDING`, `CONFIGURING` | queued (already reported at submission, never re-sent) |
//! | `RUNNING`, `COMPLETING` | running |
//! | `COMPLETED` | completed (running is sent first if it was not) |
//! | `FAILED`, `NODE_FAIL`, `OUT_OF_MEMORY`, `BOOT_FAIL` | failed |
//! | `CANCELLED` (also `CANCELLED by <uid>`, `CANCELLED+`) | cancelled |
//! | `TIMEOUT` | timeout (running is sent first if it was not) |
//! | Waldur job `state` ERRED, or the job deleted in Waldur | failed |
//! | anything else (`SUSPENDED`, `PREEMPTED`, `REQUEUED`, ...) | ignored, with a note |
//!
//! Final states carry `exit_code` and `node_seconds_used = nodes x
//! elapsed seconds` from the report. Without an elapsed time the report
//! gives no usage and none is invented: the contract then refunds a
//! completed, failed or cancelled job and bills a timeout in full (its own
//! rules for a final state without usage).

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use ve_types::callback::JobStatusPayload;
use ve_types::{ActionType, JobState, StateMachine};

use crate::chain::signer::CallbackDraft;
use crate::waldur_side::port::{JobSubmission, JobUpdate};

/// SLURM's job state, as Waldur's `runtime_state` shows it, on chain.
/// `None`: not a state the chain has (see the module table).
pub fn chain_state(runtime_state: &str) -> Option<JobState> {
    // sacct writes "CANCELLED by 1000" and marks truncation with "+".
    let word = runtime_state
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches('+')
        .to_ascii_uppercase();
    Some(match word.as_str() {
        "PENDING" | "CONFIGURING" => JobState::Queued,
        "RUNNING" | "COMPLETING" => JobState::Running,
        "COMPLETED" => JobState::Completed,
        "FAILED" | "NODE_FAIL" | "OUT_OF_MEMORY" | "BOOT_FAIL" => JobState::Failed,
        "CANCELLED" => JobState::Cancelled,
        "TIMEOUT" => JobState::Timeout,
        _ => return None,
    })
}

/// The states to report, in order, for a job Waldur shows in `target`,
/// such that each is accepted whether the chain has the job queued or
/// running (a repeat of the current state is a no-op there). Queued is
/// only ever sent at submission: after running the chain cannot go back.
pub fn report_path(target: JobState) -> Vec<JobState> {
    match target {
        JobState::Pending | JobState::Queued => vec![],
        // Completed and timeout are reachable from running only.
        t if !JobState::Queued.can_transition_to(t) && JobState::Running.can_transition_to(t) => {
            vec![JobState::Running, t]
        }
        t => vec![t],
    }
}

/// Whether a job Waldur shows in final state `target` must first be
/// reported as running, alone, with the final state left for the next
/// pass. The contract bills a job only for the period from the block it
/// started running in to the block it ended in: running and the final
/// state in one transaction would make that period empty and refund the
/// whole escrow. So running goes first whenever the job needs it to reach
/// `target` (completed, timeout) or the report shows it ran (elapsed > 0),
/// unless running was already reported (`ran`).
pub fn start_first(target: Option<JobState>, ran: bool, report: Option<&Value>) -> bool {
    let Some(target) = target else {
        return false;
    };
    let needs_running = report_path(target).first() == Some(&JobState::Running);
    let did_run = read_report(report).0.is_some_and(|s| s > 0);
    target.is_terminal() && !ran && (needs_running || did_run)
}

/// Elapsed seconds and exit code from a job's report. The report is
/// untyped in Waldur's schema; read, in order: `elapsed_seconds` (number),
/// `elapsed`/`Elapsed` (seconds, or SLURM's `[D-]HH:MM:SS`); `exit_code`
/// (number) or `ExitCode`/`exit_code` as SLURM's `code:signal`.
pub fn read_report(report: Option<&Value>) -> (Option<u64>, Option<i32>) {
    let Some(Value::Object(fields)) = report else {
        return (None, None);
    };
    let elapsed = ["elapsed_seconds", "elapsed", "Elapsed"]
        .iter()
        .find_map(|key| match fields.get(*key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(text) => slurm_duration(text),
            _ => None,
        });
    let exit_code = ["exit_code", "ExitCode"]
        .iter()
        .find_map(|key| match fields.get(*key)? {
            Value::Number(n) => n.as_i64().and_then(|c| i32::try_from(c).ok()),
            Value::String(text) => text.split(':').next()?.trim().parse().ok(),
            _ => None,
        });
    (elapsed, exit_code)
}

/// `SS`, `MM:SS`, `HH:MM:SS` or `D-HH:MM:SS` in seconds.
fn slurm_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (days, clock) = match text.split_once('-') {
        Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
        None => (0, text),
    };
    let mut seconds = days.checked_mul(86_400)?;
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut unit = 1u64;
    for part in parts.iter().rev() {
        let value: u64 = part.parse().ok()?;
        seconds = seconds.checked_add(value.checked_mul(unit)?)?;
        unit = unit.checked_mul(60)?;
    }
    Some(seconds)
}

/// `nodes x elapsed`; `None` without an elapsed time or on overflow (a
/// report that large is nonsense, and the contract caps billing anyway).
pub fn node_seconds(nodes: u32, elapsed: Option<u64>) -> Option<u64> {
    elapsed?.checked_mul(u64::from(nodes))
}

fn payload<T: Serialize>(p: &T) -> Vec<u8> {
    // Serialising our own payload struct cannot fail.
    serde_json::to_vec(p).unwrap_or_default()
}

/// The callback reporting `state` for a chain job. Its id depends only on
/// the job and the state, so a repeat is recognised by the outbox and the
/// contract.
pub fn status_draft(job_id: &str, job_uuid: &str, status: JobStatusPayload) -> CallbackDraft {
    CallbackDraft {
        callback_id: format!(
            "{}:{job_id}:{}",
            ActionType::JobStatus.as_str(),
            status.state
        ),
        action: ActionType::JobStatus,
        waldur_id: job_uuid.to_string(),
        entity_id: job_id.to_string(),
        payload: payload(&status),
    }
}

/// A Waldur job update the chain has no state for: told to operators,
/// nothing sent.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("job {job_id}: Waldur runtime_state {runtime_state:?} has no chain state, ignored")]
pub struct UnmappedJobState {
    pub job_id: String,
    pub runtime_state: String,
}

/// The callbacks of one Waldur job update, or why there are none.
pub fn drafts_for(update: &JobUpdate) -> Result<Vec<CallbackDraft>, UnmappedJobState> {
    let target = match &update.waldur_failure {
        Some(_) => JobState::Failed,
        None => chain_state(&update.runtime_state).ok_or_else(|| UnmappedJobState {
            job_id: update.job_id.clone(),
            runtime_state: update.runtime_state.clone(),
        })?,
    };
    let (elapsed, exit_code) = read_report(update.report.as_ref());
    Ok(report_path(target)
        .into_iter()
        .map(|state| {
            let status = if state.is_terminal() {
                let used = node_seconds(update.nodes, elapsed);
                let reason = match (&update.waldur_failure, used) {
                    (Some(why), _) => Some(why.clone()),
                    (None, None) => Some("no elapsed time in the Waldur job report".to_string()),
                    (None, Some(_)) => None,
                };
                JobStatusPayload {
                    state,
                    exit_code,
                    node_seconds_used: used,
                    reason,
                }
            } else {
                JobStatusPayload {
                    state,
                    exit_code: None,
                    node_seconds_used: None,
                    reason: None,
                }
            };
            status_draft(&update.job_id, &update.job_uuid, status)
        })
        .collect())
}

/// Keeps a value safe inside an `#SBATCH` line: letters, digits and
/// `. _ / : -` pass, anything else becomes `_`.
fn sbatch_safe(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._/:-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The batch script uploaded with the Waldur job: the limits the customer
/// paid for. What runs is the provider's site wrapper (`ve-job-run`),
/// which fetches the job's `script_ref` from the chain: the event the
/// relayer reads does not carry it.
pub fn sbatch_script(job: &JobSubmission) -> String {
    let seconds = job.max_runtime_seconds;
    let time = format!(
        "{}-{:02}:{:02}:{:02}",
        seconds / 86_400,
        (seconds % 86_400) / 3_600,
        (seconds % 3_600) / 60,
        seconds % 60
    );
    format!(
        "#!/bin/bash\n\
         #SBATCH --job-name={name}\n\
         #SBATCH --partition={queue}\n\
         #SBATCH --nodes={nodes}\n\
         #SBATCH --time={time}\n\
         # VirtEngine job {name} (offering {offering}, cluster {cluster})\n\
         exec ve-job-run {name}\n",
        name = sbatch_safe(&job.job_id),
        queue = sbatch_safe(&job.queue),
        nodes = job.nodes,
        offering = sbatch_safe(&job.hpc_offering_id),
        cluster = sbatch_safe(&job.cluster_id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn runtime_states_map_as_documented() {
        for (runtime, state) in [
            ("PENDING", Some(JobState::Queued)),
            ("RUNNING", Some(JobState::Running)),
            ("COMPLETED", Some(JobState::Completed)),
            ("FAILED", Some(JobState::Failed)),
            ("NODE_FAIL", Some(JobState::Failed)),
            ("OUT_OF_MEMORY", Some(JobState::Failed)),
            ("CANCELLED", Some(JobState::Cancelled)),
            ("CANCELLED by 1000", Some(JobState::Cancelled)),
            ("cancelled+", Some(JobState::Cancelled)),
            ("TIMEOUT", Some(JobState::Timeout)),
            ("SUSPENDED", None),
            ("", None),
        ] {
            assert_eq!(chain_state(runtime), state, "{runtime}");
        }
    }

    #[test]
    fn every_report_path_is_legal_from_queued_and_from_running() {
        for target in JobState::ALL.iter().copied() {
            for start in [JobState::Pending, JobState::Queued, JobState::Running] {
                let mut at = start;
                for step in report_path(target) {
                    assert!(
                        step == at || at.can_transition_to(step),
                        "{start} -> {target}: {at} -> {step} refused"
                    );
                    at = step;
                }
            }
        }
        assert_eq!(
            report_path(JobState::Completed),
            vec![JobState::Running, JobState::Completed]
        );
        assert_eq!(report_path(JobState::Failed), vec![JobState::Failed]);
        assert_eq!(report_path(JobState::Queued), vec![]);
    }

    #[test]
    fn running_is_reported_alone_before_a_final_state_that_billed_time() {
        let ran_for = json!({"elapsed_seconds": 60});
        let none = json!({});
        let start = |t: JobState, ran: bool, r: &Value| start_first(Some(t), ran, Some(r));
        assert!(start(JobState::Completed, false, &none));
        assert!(start(JobState::Timeout, false, &none));
        assert!(start(JobState::Failed, false, &ran_for));
        assert!(start(JobState::Cancelled, false, &ran_for));
        assert!(!start(JobState::Failed, false, &none));
        assert!(!start(JobState::Cancelled, false, &none));
        assert!(!start(JobState::Completed, true, &none));
        assert!(!start(JobState::Running, false, &ran_for));
        assert!(!start_first(None, false, None));
    }

    #[test]
    fn reports_give_elapsed_time_and_exit_code() {
        let r = |v: Value| read_report(Some(&v));
        assert_eq!(
            r(json!({"elapsed_seconds": 5400, "exit_code": 0})),
            (Some(5400), Some(0))
        );
        assert_eq!(
            r(json!({"Elapsed": "1-02:03:04", "ExitCode": "137:9"})),
            (Some(93_784), Some(137))
        );
        assert_eq!(r(json!({"elapsed": "05:00"})), (Some(300), None));
        assert_eq!(r(json!({"elapsed": "x:1"})), (None, None));
        assert_eq!(r(json!("free text")), (None, None));
        assert_eq!(read_report(None), (None, None));
        assert_eq!(node_seconds(4, Some(5400)), Some(21_600));
        assert_eq!(node_seconds(4, None), None);
        assert_eq!(node_seconds(u32::MAX, Some(u64::MAX)), None);
    }

    fn update(runtime: &str, report: Value) -> JobUpdate {
        JobUpdate {
            job_id: "c/1".into(),
            job_uuid: "u1".into(),
            nodes: 2,
            runtime_state: runtime.into(),
            report: Some(report),
            waldur_failure: None,
            watermark: None,
        }
    }

    #[test]
    fn final_states_carry_usage_and_go_through_running() {
        let drafts = drafts_for(&update(
            "COMPLETED",
            json!({"elapsed_seconds": 100, "exit_code": 0}),
        ))
        .unwrap();
        let ids: Vec<&str> = drafts.iter().map(|d| d.callback_id.as_str()).collect();
        assert_eq!(ids, ["job_status:c/1:running", "job_status:c/1:completed"]);
        let last: JobStatusPayload = serde_json::from_slice(&drafts[1].payload).unwrap();
        assert_eq!(last.node_seconds_used, Some(200));
        assert_eq!(last.exit_code, Some(0));
        assert_eq!(last.reason, None);
        let first: JobStatusPayload = serde_json::from_slice(&drafts[0].payload).unwrap();
        assert_eq!((first.exit_code, first.node_seconds_used), (None, None));
        // No elapsed time: no usage, and the reason says so.
        let drafts = drafts_for(&update("FAILED", json!({"exit_code": 1}))).unwrap();
        let failed: JobStatusPayload = serde_json::from_slice(&drafts[0].payload).unwrap();
        assert_eq!(failed.node_seconds_used, None);
        assert_eq!(failed.exit_code, Some(1));
        assert!(failed.reason.is_some());
        assert!(drafts_for(&update("PREEMPTED", json!({}))).is_err());
    }

    #[test]
    fn the_script_holds_the_limits_and_nothing_injectable() {
        let script = sbatch_script(&JobSubmission {
            job_id: "c1/7".into(),
            hpc_offering_id: "p/1/1".into(),
            cluster_id: "p/1".into(),
            queue: "gpu\n#SBATCH --nodes=99".into(),
            nodes: 4,
            max_runtime_seconds: 93_784,
        });
        assert!(script.starts_with("#!/bin/bash\n"));
        assert!(script.contains("#SBATCH --nodes=4\n"));
        assert!(script.contains("#SBATCH --time=1-02:03:04\n"));
        assert!(!script.contains("--nodes=99\n"));
        assert_eq!(script.matches("#SBATCH --nodes").count(), 1);
    }
}
