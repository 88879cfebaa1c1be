//! Jobs: submission with escrowed funds, cancellation, status reports and
//! timeouts. Every state change goes through the `JobState` table; the
//! escrow rules are in `crate::escrow`.

use cosmwasm_std::{
    from_json, Addr, Coin, DepsMut, Env, MessageInfo, Reply, Response, SubMsgResult,
};
use ve_cw::CommonError;
use ve_types::{ClusterState, JobState, StateMachine};

use super::{ensure_transition, load_cluster, load_job, load_offering, next_sequence};
use crate::error::ContractError;
use crate::escrow::{self, Usage};
use crate::events;
use crate::funds;
use crate::keys;
use crate::state::{insert_job, update_job, EscrowOutcome, Job, CONFIG, JOB_SEQ};
use crate::validation;

/// What a job submission asks for.
pub struct NewJob {
    pub offering_id: String,
    pub queue: String,
    pub nodes: u32,
    pub max_runtime_seconds: u64,
    pub script_ref: Option<String>,
}

pub fn submit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    new: NewJob,
) -> Result<Response, ContractError> {
    validation::script_ref(&new.script_ref)?;
    let offering_key = keys::offering(deps.api, &new.offering_id)?;
    let offering = load_offering(deps.storage, &offering_key)?;
    let offering_id = offering.offering_id().text();
    if !offering.active {
        return Err(ContractError::OfferingInactive(offering_id));
    }
    let cluster = load_cluster(deps.storage, &offering.cluster_key())?;
    if cluster.state != ClusterState::Active {
        return Err(CommonError::WrongState {
            entity: "cluster",
            id: cluster.cluster_id().text(),
            state: cluster.state.to_string(),
            expected: "an active cluster",
        }
        .into());
    }
    if info.sender == offering.provider {
        return Err(ContractError::SelfDealing(offering_id));
    }
    let queue = offering
        .queue(&new.queue)
        .ok_or_else(|| ContractError::UnknownQueue {
            offering: offering_id.clone(),
            queue: new.queue.clone(),
        })?;
    if new.nodes == 0 || new.nodes > queue.max_nodes {
        return Err(ContractError::invalid(
            "nodes",
            format!(
                "{} must be 1-{} (max_nodes of queue {:?})",
                new.nodes, queue.max_nodes, queue.name
            ),
        ));
    }
    let max_runtime = queue.max_runtime_seconds.min(offering.max_runtime_seconds);
    if !(validation::MIN_RUNTIME_SECONDS..=max_runtime).contains(&new.max_runtime_seconds) {
        return Err(ContractError::invalid(
            "max_runtime_seconds",
            format!(
                "{} s must be {}-{max_runtime} (the queue's and the offering's limit)",
                new.max_runtime_seconds,
                validation::MIN_RUNTIME_SECONDS
            ),
        ));
    }
    let cost = escrow::job_cost(
        offering.price_per_node_hour,
        new.nodes,
        new.max_runtime_seconds,
    )?;
    funds::exact(&info, Coin::new(cost, &offering.denom))?;

    let config = CONFIG.load(deps.storage)?;
    let customer = info.sender;
    let sequence = next_sequence(deps.storage, &JOB_SEQ, &customer, "job sequence")?;
    let job = Job {
        customer,
        sequence,
        provider: offering.provider.clone(),
        offering_sequence: offering.sequence,
        cluster_sequence: offering.cluster_sequence,
        queue: new.queue,
        nodes: new.nodes,
        max_runtime_seconds: new.max_runtime_seconds,
        script_ref: new.script_ref,
        state: JobState::Pending,
        denom: offering.denom,
        price_per_node_hour: offering.price_per_node_hour,
        escrow_amount: cost,
        settlement_contract: config.settlement_contract,
        exit_code: None,
        node_seconds_used: None,
        reason: None,
        escrow_outcome: None,
        version: 1,
        created_at: env.block.time,
        updated_at: env.block.time,
        started_at: None,
        ended_at: None,
    };
    insert_job(deps.storage, &job)?;
    let (create_escrow, expires_at) =
        escrow::create(&job, config.escrow_grace_seconds, env.block.time)?;
    let id = job.job_id().text();
    let response = Response::new()
        .add_message(create_escrow)
        .add_attribute("action", "submit_job")
        .add_event(events::job_submitted(&job, expires_at.seconds()))
        .set_data(cosmwasm_std::to_json_binary(&id)?);
    Ok(response)
}

/// Moves a job to `to` through the table, saves it and, for a final state,
/// closes its escrow (see `crate::escrow`). Entering running records
/// `started_at`, the start of the billed period.
fn transition(
    deps: &mut DepsMut,
    env: &Env,
    job: &mut Job,
    to: JobState,
    usage: Usage,
    exit_code: Option<i32>,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    let from = job.state;
    ensure_transition("job", job.job_id(), from, to)?;
    let now = env.block.time;
    job.state = to;
    job.version += 1;
    job.updated_at = now;
    if reason.is_some() {
        job.reason = reason;
    }
    if to == JobState::Running {
        job.started_at = Some(now);
    }
    let mut response = Response::new();
    if to.is_terminal() {
        job.ended_at = Some(now);
        job.exit_code = exit_code;
        job.node_seconds_used = match usage {
            Usage::NodeSeconds(s) => Some(s),
            Usage::Full => Some(u64::from(job.nodes).saturating_mul(job.max_runtime_seconds)),
            Usage::Unknown => None,
        };
        let (msgs, outcome) = escrow::close(job, now, usage)?;
        job.escrow_outcome = Some(outcome);
        response = response.add_submessages(msgs);
    }
    update_job(deps.storage, job, from)?;
    Ok(response.add_event(events::job_state_changed(job, from)))
}

fn require_party(job: &Job, sender: &Addr) -> Result<(), ContractError> {
    if *sender == job.customer || *sender == job.provider {
        Ok(())
    } else {
        Err(CommonError::Unauthorized {
            action: "cancel a job",
            allowed: "the job's customer or provider",
        }
        .into())
    }
}

/// Customer or provider: pending/queued/running -> cancelled. A job that
/// never ran is refunded whole; a running job is billed for its wall-clock
/// time so far on all its nodes (`(now - started_at) x nodes`
/// node-seconds, rounded up to node-hours and capped as always).
pub fn cancel(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: String,
    reason: Option<String>,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    validation::reason(&reason)?;
    let key = keys::job(deps.api, &job_id)?;
    let mut job = load_job(deps.storage, &key)?;
    require_party(&job, &info.sender)?;
    let usage = match job.started_at {
        Some(start) if job.state == JobState::Running => {
            let elapsed = env.block.time.seconds().saturating_sub(start.seconds());
            Usage::NodeSeconds(elapsed.saturating_mul(u64::from(job.nodes)))
        }
        _ => Usage::Unknown,
    };
    let response = transition(
        &mut deps,
        &env,
        &mut job,
        JobState::Cancelled,
        usage,
        None,
        reason,
    )?;
    Ok(response.add_attribute("action", "cancel_job"))
}

/// The fields of `ReportJobStatus` besides the job ID.
pub struct StatusReport {
    /// Whom the callback contract reports for.
    pub provider: Option<String>,
    pub state: JobState,
    pub exit_code: Option<i32>,
    pub node_seconds_used: Option<u64>,
    pub reason: Option<String>,
}

/// A status report from the job's provider or the callback contract.
///
/// - Reporting the current state again changes nothing (`result=unchanged`).
/// - `exit_code` and `node_seconds_used` are accepted with final states
///   only (completed, failed, cancelled, timeout).
/// - Billing of a final state: `node_seconds_used` if given and the job
///   ran; a `timeout` without it is billed in full, as `TimeoutJob` does;
///   any other final state without it is refunded.
pub fn report_status(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: String,
    report: StatusReport,
) -> Result<Response, ContractError> {
    let StatusReport {
        provider,
        state: to,
        exit_code,
        node_seconds_used,
        reason,
    } = report;
    funds::none(&info)?;
    validation::reason(&reason)?;
    let key = keys::job(deps.api, &job_id)?;
    let mut job = load_job(deps.storage, &key)?;
    let callback = CONFIG.load(deps.storage)?.callback_contract;
    let from_callback = Some(&info.sender) == callback.as_ref();
    if info.sender != job.provider && !from_callback {
        return Err(CommonError::Unauthorized {
            action: "report a job status",
            allowed: "the job's provider or the callback contract",
        }
        .into());
    }
    ve_cw::ensure_reported_for::<ContractError>(
        "job",
        &job_id,
        &job.provider,
        provider.as_deref(),
        from_callback,
        "reports",
    )?;
    if !to.is_terminal() {
        if exit_code.is_some() {
            return Err(ContractError::invalid(
                "exit_code",
                format!("only a final state carries one, not {to}"),
            ));
        }
        if node_seconds_used.is_some() {
            return Err(ContractError::invalid(
                "node_seconds_used",
                format!("only a final state carries it, not {to}"),
            ));
        }
    }
    // A re-sent status (the relayer retries) is a no-op.
    if to == job.state {
        return Ok(Response::new()
            .add_attribute("action", "report_job_status")
            .add_attribute("job_id", job_id)
            .add_attribute("result", "unchanged"));
    }
    let usage = match (node_seconds_used, to) {
        (Some(s), _) => Usage::NodeSeconds(s),
        (None, JobState::Timeout) => Usage::Full,
        (None, _) => Usage::Unknown,
    };
    let response = transition(&mut deps, &env, &mut job, to, usage, exit_code, reason)?;
    Ok(response
        .add_attribute("action", "report_job_status")
        .add_attribute("result", "changed"))
}

/// Anyone, once a running job is past `started_at + max_runtime_seconds`
/// (strictly after): -> timeout, billed for everything it paid for
/// (`nodes x ceil(max_runtime_seconds / 3600)` node-hours).
pub fn timeout(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: String,
) -> Result<Response, ContractError> {
    funds::none(&info)?;
    let key = keys::job(deps.api, &job_id)?;
    let mut job = load_job(deps.storage, &key)?;
    let started_at = match (job.state, job.started_at) {
        (JobState::Running, Some(start)) => start,
        _ => {
            return Err(CommonError::WrongState {
                entity: "job",
                id: job_id,
                state: job.state.to_string(),
                expected: "a running job",
            }
            .into())
        }
    };
    let deadline = started_at.seconds().saturating_add(job.max_runtime_seconds);
    let now = env.block.time.seconds();
    if now <= deadline {
        return Err(ContractError::NotTimedOut {
            id: job_id,
            deadline,
            now,
        });
    }
    let response = transition(
        &mut deps,
        &env,
        &mut job,
        JobState::Timeout,
        Usage::Full,
        None,
        Some("max runtime exceeded".to_string()),
    )?;
    Ok(response.add_attribute("action", "timeout_job"))
}

/// The settlement contract refused a tolerated `Settle` or `RefundEscrow`
/// (see `crate::escrow`): the job keeps its final state and records that
/// its escrow is left open.
pub fn escrow_refused(deps: DepsMut, env: Env, reply: Reply) -> Result<Response, ContractError> {
    let error = match reply.result {
        SubMsgResult::Err(e) => e,
        SubMsgResult::Ok(_) => {
            return Err(ContractError::invalid(
                "reply",
                format!("unexpected success reply {}", reply.id),
            ))
        }
    };
    let job_id: String = from_json(&reply.payload)?;
    let key = keys::job(deps.api, &job_id)?;
    let mut job = load_job(deps.storage, &key)?;
    let (step, outcome) = match (reply.id, &job.escrow_outcome) {
        (escrow::REPLY_SETTLE, Some(EscrowOutcome::Settled { node_hours })) => (
            "settle",
            EscrowOutcome::UsageRecorded {
                node_hours: *node_hours,
            },
        ),
        (escrow::REPLY_REFUND, Some(EscrowOutcome::Refunded)) => {
            ("refund", EscrowOutcome::RefundRefused)
        }
        (id, outcome) => {
            return Err(ContractError::invalid(
                "reply",
                format!("reply {id} does not match job {job_id} with escrow outcome {outcome:?}"),
            ))
        }
    };
    job.escrow_outcome = Some(outcome);
    job.updated_at = env.block.time;
    let state = job.state;
    update_job(deps.storage, &job, state)?;
    Ok(Response::new()
        .add_attribute("action", "escrow_deferred")
        .add_event(events::job_escrow_deferred(&job, step, &error)))
}
