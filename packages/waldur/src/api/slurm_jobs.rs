//! `slurm-jobs/`: FireCREST batch jobs (ENDPOINTS.md section 6).

use crate::client::{object_path, Page, WaldurClient};
use crate::error::Error;
use crate::multipart::Form;
use crate::types::{FirecrestJob, QueryPairs, SlurmJobCreateRequest};

const JOBS: &str = "slurm-jobs/";

impl WaldurClient {
    /// `POST slurm-jobs/` (multipart) → 201 `FirecrestJob`.
    ///
    /// Not resent after a failure that may hide a created job (a 5xx, a
    /// timeout, a connection lost after sending): Waldur has no
    /// idempotency key. The caller looks it up (by name) before trying
    /// again; a refused connection, a 429 or a 503 with `Retry-After` are
    /// retried here.
    pub async fn create_slurm_job(
        &self,
        request: &SlurmJobCreateRequest,
    ) -> Result<FirecrestJob, Error> {
        let mut form = Form::new();
        form.text("name", &request.name)
            .text("service_settings", &request.service_settings)
            .text("project", &request.project);
        if let Some(description) = &request.description {
            form.text("description", description);
        }
        if let Some(runtime_state) = &request.runtime_state {
            form.text("runtime_state", runtime_state);
        }
        form.file(
            "file",
            &request.script_name,
            "text/x-shellscript",
            &request.script,
        );
        self.post_multipart_create(JOBS, form).await
    }

    /// `GET slurm-jobs/{uuid}/`.
    pub async fn get_slurm_job(&self, uuid: &str) -> Result<FirecrestJob, Error> {
        self.get(&object_path(JOBS, uuid)?).await
    }

    /// `GET slurm-jobs/`, all pages. The endpoint has no filters besides
    /// `page`/`page_size`.
    pub async fn list_slurm_jobs(&self) -> Result<Vec<FirecrestJob>, Error> {
        self.list_all(JOBS, &QueryPairs::default()).await
    }

    /// One page (1-based) of `GET slurm-jobs/`.
    pub async fn list_slurm_jobs_page(&self, page: u32) -> Result<Page<FirecrestJob>, Error> {
        self.list_page(JOBS, &QueryPairs::default(), page).await
    }
}
