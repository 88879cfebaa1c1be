//! The adapter's HPC job side: chain job -> Waldur SLURM job
//! (`slurm-jobs/`), and the jobs' `runtime_state` changes back.
//!
//! - A job is recorded under `hpcjob:{chain job id}` *before* the create
//!   request is sent. A record without a Waldur uuid means "an earlier
//!   attempt may have created it": the next attempt looks the job up by
//!   name (the chain job id; the endpoint has no filters, so all pages
//!   are read) before creating one. A first attempt skips the lookup.
//! - The client does not resend the create after a failure that may hide
//!   a created job (a 5xx, a timeout, a connection lost after sending;
//!   it does after a refused connection, a 429 or a 503 with
//!   `Retry-After`), so one engine pass makes at most one job; the lookup
//!   covers what an ambiguous failure left behind.
//! - A job first seen finished is reported running alone first, its final
//!   state on the next pass (`job_flow::start_first`).
//! - The last `runtime_state` seen is saved before the update is handed
//!   to the engine, as the usage marks are: after a crash an update may be
//!   lost until the state changes again, but none is reported twice.

use serde::{Deserialize, Serialize};
use waldur::{CoreState, SlurmJobCreateRequest};

use super::{api, WaldurAdapter};
use crate::flows::job_flow::{chain_state, sbatch_script, start_first};
use crate::waldur_side::port::{JobSubmission, JobUpdate, SubmittedJob, WaldurError, Watermark};

pub(super) const HPC_JOB: &str = "hpcjob:";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TrackedJob {
    /// `None` while the create's outcome is unknown.
    job_uuid: Option<String>,
    nodes: u32,
    last_runtime_state: Option<String>,
    /// Waldur's failure (ERRED, deleted) already reported.
    waldur_failed: bool,
    /// Final on chain or reported final: no longer polled.
    closed: bool,
    /// Running was reported (see `job_flow::start_first`).
    #[serde(default)]
    ran: bool,
}

fn store_error(e: impl std::fmt::Display) -> WaldurError {
    WaldurError::Api(format!("relayer database: {e}"))
}

impl WaldurAdapter {
    fn load_job(&self, job_id: &str) -> Result<Option<TrackedJob>, WaldurError> {
        let key = format!("{HPC_JOB}{job_id}");
        self.store.state::<TrackedJob>(&key).map_err(store_error)
    }

    fn save_job(&self, job_id: &str, job: &TrackedJob) -> Result<(), WaldurError> {
        self.store
            .save_state(&format!("{HPC_JOB}{job_id}"), job)
            .map_err(store_error)
    }

    /// The oldest Waldur job named `name`, if any.
    async fn find_job_by_name(&self, name: &str) -> Result<Option<String>, WaldurError> {
        let jobs = self.client.list_slurm_jobs().await.map_err(api)?;
        Ok(jobs
            .into_iter()
            .filter(|j| j.name.as_deref() == Some(name))
            .find_map(|j| j.uuid))
    }

    pub(super) async fn submit_hpc_job(
        &mut self,
        job: &JobSubmission,
    ) -> Result<SubmittedJob, WaldurError> {
        let existing = self.load_job(&job.job_id)?;
        if let Some(uuid) = existing.as_ref().and_then(|t| t.job_uuid.clone()) {
            return Ok(SubmittedJob {
                job_uuid: uuid,
                created: false,
            });
        }
        let service_settings = self.clusters.get(&job.cluster_id).cloned().ok_or_else(|| {
            WaldurError::Api(format!(
                "no Waldur service settings are mapped to cluster {}",
                job.cluster_id
            ))
        })?;
        let mut record = match existing {
            Some(record) => {
                if let Some(uuid) = self.find_job_by_name(&job.job_id).await? {
                    let found = TrackedJob {
                        job_uuid: Some(uuid.clone()),
                        ..record
                    };
                    self.save_job(&job.job_id, &found)?;
                    return Ok(SubmittedJob {
                        job_uuid: uuid,
                        created: false,
                    });
                }
                if record.closed {
                    return Err(WaldurError::Api(format!(
                        "job {} ended on chain before its Waldur job was created",
                        job.job_id
                    )));
                }
                record
            }
            None => TrackedJob {
                job_uuid: None,
                nodes: job.nodes,
                last_runtime_state: None,
                waldur_failed: false,
                closed: false,
                ran: false,
            },
        };
        // The intent is durable before the request leaves.
        self.save_job(&job.job_id, &record)?;
        let mut request = SlurmJobCreateRequest::new(
            job.job_id.clone(),
            service_settings,
            self.project_url.clone(),
            sbatch_script(job).into_bytes(),
        );
        request.description = Some(format!(
            "VirtEngine job {} on offering {}",
            job.job_id, job.hpc_offering_id
        ));
        let created = self.client.create_slurm_job(&request).await.map_err(api)?;
        let uuid = created
            .uuid
            .ok_or_else(|| WaldurError::Api("the created SLURM job has no uuid".into()))?;
        record.job_uuid = Some(uuid.clone());
        self.save_job(&job.job_id, &record)?;
        Ok(SubmittedJob {
            job_uuid: uuid,
            created: true,
        })
    }

    pub(super) async fn hpc_job_updates(&mut self) -> Result<Vec<JobUpdate>, WaldurError> {
        let mut out = Vec::new();
        let watched = self
            .store
            .states_with_prefix::<TrackedJob>(HPC_JOB)
            .map_err(store_error)?;
        for (key, mut record) in watched {
            let (Some(job_uuid), false) = (record.job_uuid.clone(), record.closed) else {
                continue;
            };
            let job_id = key[HPC_JOB.len()..].to_string();
            let (mut runtime_state, mut report, failure) =
                match self.client.get_slurm_job(&job_uuid).await {
                    Ok(job) => {
                        let failure = (job.state == Some(CoreState::Erred)).then(|| {
                            let why = job.error_message.unwrap_or_default();
                            format!(
                                "Waldur job erred: {}",
                                why.chars().take(200).collect::<String>()
                            )
                        });
                        (job.runtime_state.unwrap_or_default(), job.report, failure)
                    }
                    // Deleted in Waldur: it will not run or report again.
                    Err(waldur::Error::NotFound { .. }) => (
                        String::new(),
                        None,
                        Some(format!("Waldur job {job_uuid} no longer exists")),
                    ),
                    Err(e) => return Err(api(e)),
                };
            let unchanged = record.last_runtime_state.as_deref() == Some(runtime_state.as_str())
                && record.waldur_failed == failure.is_some();
            if unchanged {
                continue;
            }
            let target = chain_state(&runtime_state).filter(|_| failure.is_none());
            if start_first(target, record.ran, report.as_ref()) {
                // The final state waits for the next pass (a later block).
                runtime_state = "RUNNING".to_string();
                report = None;
            }
            let target = chain_state(&runtime_state).filter(|_| failure.is_none());
            record.ran |= target == Some(ve_types::JobState::Running);
            record.last_runtime_state = Some(runtime_state.clone());
            record.waldur_failed = failure.is_some();
            record.closed = failure.is_some() || target.is_some_and(is_final);
            // Saved by the engine with the job's callbacks.
            let watermark = Watermark::new(key, &record).map_err(store_error)?;
            out.push(JobUpdate {
                job_id,
                job_uuid,
                nodes: record.nodes,
                runtime_state,
                report,
                waldur_failure: failure,
                watermark: Some(watermark),
            });
        }
        Ok(out)
    }

    pub(super) fn close_hpc_job(&mut self, job_id: &str) -> Result<(), WaldurError> {
        match self.load_job(job_id)? {
            Some(record) if !record.closed => self.save_job(
                job_id,
                &TrackedJob {
                    closed: true,
                    ..record
                },
            ),
            _ => Ok(()),
        }
    }
}

fn is_final(state: ve_types::JobState) -> bool {
    use ve_types::StateMachine;
    state.is_terminal()
}
