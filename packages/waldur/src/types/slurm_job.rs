//! FireCREST SLURM jobs (`slurm-jobs/`, ENDPOINTS.md section 6).

use serde::{Deserialize, Serialize};

use super::states::CoreState;

/// `FirecrestJob`, every field optional as the schema marks none required.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FirecrestJob {
    pub url: Option<String>,
    pub uuid: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub service_name: Option<String>,
    pub service_settings: Option<String>,
    pub service_settings_uuid: Option<String>,
    pub service_settings_state: Option<String>,
    pub service_settings_error_message: Option<String>,
    pub project: Option<String>,
    pub project_name: Option<String>,
    pub project_uuid: Option<String>,
    pub customer: Option<String>,
    pub customer_uuid: Option<String>,
    pub customer_name: Option<String>,
    pub customer_native_name: Option<String>,
    pub customer_abbreviation: Option<String>,
    pub error_message: Option<String>,
    pub error_traceback: Option<String>,
    pub resource_type: Option<String>,
    /// The Waldur object's state, not the job's.
    pub state: Option<CoreState>,
    pub created: Option<String>,
    pub modified: Option<String>,
    /// The SLURM job id once submitted.
    pub backend_id: Option<String>,
    pub access_url: Option<String>,
    /// SLURM's job state (`PENDING`, `RUNNING`, `COMPLETED`, ...), free
    /// text in the schema (at most 100 characters).
    pub runtime_state: Option<String>,
    /// Link to the uploaded batch script.
    pub file: Option<String>,
    pub user: Option<String>,
    pub user_uuid: Option<String>,
    pub user_username: Option<String>,
    /// "Job output": untyped in the schema.
    pub report: Option<serde_json::Value>,
}

/// The multipart body of `POST slurm-jobs/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmJobCreateRequest {
    /// 1-150 characters.
    pub name: String,
    /// Hyperlink to the SLURM service settings (the cluster).
    pub service_settings: String,
    /// Hyperlink to the project.
    pub project: String,
    /// The batch script, uploaded as the `file` part.
    pub script: Vec<u8>,
    /// The uploaded file's name, e.g. `job.sh`.
    pub script_name: String,
    pub description: Option<String>,
    pub runtime_state: Option<String>,
}

impl SlurmJobCreateRequest {
    pub fn new(
        name: impl Into<String>,
        service_settings: impl Into<String>,
        project: impl Into<String>,
        script: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            name: name.into(),
            service_settings: service_settings.into(),
            project: project.into(),
            script: script.into(),
            script_name: "job.sh".to_owned(),
            description: None,
            runtime_state: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_unknown_fields_decode() {
        let job: FirecrestJob = serde_json::from_str(
            r#"{"uuid":"ab","runtime_state":"RUNNING","state":"OK","report":{"elapsed_seconds":5},
                "user":null,"future_field":1}"#,
        )
        .unwrap();
        assert_eq!(job.runtime_state.as_deref(), Some("RUNNING"));
        assert_eq!(job.state, Some(CoreState::Ok));
        assert_eq!(job.user, None);
        assert_eq!(job.report, Some(serde_json::json!({"elapsed_seconds": 5})));
        let empty: FirecrestJob = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, FirecrestJob::default());
    }
}
