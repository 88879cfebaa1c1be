//! FireCREST jobs (`slurm-jobs/`): the create rules and the JSON shape.
//! The emulated backend accepts every job at once (state OK, a SLURM job
//! id as backend_id, runtime_state PENDING unless the request names one);
//! tests move it on with `EmulatorState::set_slurm_job_runtime`.

use serde_json::{json, Map, Value};

use crate::api_error::{ApiError, ApiResult};
use crate::clock::now_iso;
use crate::form_data::Parts;
use crate::ids::new_uuid;
use crate::model::{CoreState, SlurmJobRecord, Store};
use crate::render::{paths, Renderer};
use crate::validate::{hyperlink, missing_object, Body};

/// SLURM job ids start here, as on a cluster that has run a while.
const FIRST_SLURM_ID: u64 = 100_000;

/// Reads and checks a create request; all field errors are reported
/// together, as DRF does.
pub fn create(store: &mut Store, parts: &Parts) -> ApiResult<String> {
    let mut errors = Map::new();
    let mut fail = |field: &str, message: &str| {
        errors
            .entry(field.to_owned())
            .or_insert_with(|| json!([message]));
    };
    let text = |field: &str| {
        parts
            .get(field)
            .filter(|p| p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
    };
    let name = text("name").unwrap_or_default();
    if text("name").is_none() {
        fail("name", "This field is required.");
    } else if name.trim().is_empty() {
        fail("name", "This field may not be blank.");
    } else if name.chars().count() > 150 {
        fail("name", "Ensure this field has no more than 150 characters.");
    }
    let description = text("description").unwrap_or_default();
    if description.chars().count() > 4096 {
        fail(
            "description",
            "Ensure this field has no more than 4096 characters.",
        );
    }
    let runtime_state = text("runtime_state").unwrap_or_default();
    if runtime_state.chars().count() > 100 {
        fail(
            "runtime_state",
            "Ensure this field has no more than 100 characters.",
        );
    }
    let mut link = |field: &str, collection: &str| -> Option<String> {
        let Some(value) = text(field) else {
            fail(field, "This field is required.");
            return None;
        };
        let mut body = Body::new();
        body.insert(field.to_owned(), Value::String(value));
        match hyperlink(&body, field, &[collection]) {
            Ok(uuid) => uuid,
            Err(error) => {
                let message = error.body[field][0]
                    .as_str()
                    .unwrap_or("Invalid.")
                    .to_owned();
                fail(field, &message);
                None
            }
        }
    };
    let settings = link("service_settings", paths::SERVICE_SETTINGS);
    let project = link("project", paths::PROJECTS);
    if settings
        .as_ref()
        .is_some_and(|uuid| !store.service_settings.contains_key(uuid))
    {
        let error = missing_object("service_settings");
        fail(
            "service_settings",
            error.body["service_settings"][0].as_str().unwrap_or(""),
        );
    }
    if project
        .as_ref()
        .is_some_and(|uuid| !store.projects.contains_key(uuid))
    {
        let error = missing_object("project");
        fail("project", error.body["project"][0].as_str().unwrap_or(""));
    }
    let file = match parts.get("file") {
        None => {
            fail("file", "No file was submitted.");
            None
        }
        Some(part) if part.filename.is_none() => {
            fail(
                "file",
                "The submitted data was not a file. Check the encoding type on the form.",
            );
            None
        }
        Some(part) if part.bytes.is_empty() => {
            fail("file", "The submitted file is empty.");
            None
        }
        Some(part) => Some(part.clone()),
    };
    let (Some(settings), Some(project), Some(file), true) =
        (settings, project, file, errors.is_empty())
    else {
        return Err(ApiError {
            status: axum::http::StatusCode::BAD_REQUEST,
            body: Value::Object(errors),
        });
    };
    let uuid = new_uuid();
    let seq = store.next_seq();
    let now = now_iso();
    let slurm_id = FIRST_SLURM_ID.saturating_add(seq);
    store.slurm_jobs.insert(
        uuid.clone(),
        SlurmJobRecord {
            uuid: uuid.clone(),
            seq,
            created: now.clone(),
            modified: now,
            name,
            description,
            service_settings_uuid: settings,
            project_uuid: project,
            state: CoreState::Ok,
            backend_id: slurm_id.to_string(),
            runtime_state: if runtime_state.is_empty() {
                "PENDING".to_owned()
            } else {
                runtime_state
            },
            file_name: file.filename.unwrap_or_default(),
            script: file.bytes,
            report: None,
        },
    );
    Ok(uuid)
}

impl Renderer<'_> {
    /// `FirecrestJob`.
    pub fn slurm_job(&self, job: &SlurmJobRecord) -> Value {
        let project = self.store.projects.get(&job.project_uuid);
        let customer_uuid = project.map(|p| p.customer_uuid.clone()).unwrap_or_default();
        let settings = self.store.service_settings.get(&job.service_settings_uuid);
        let media = self.base_url.strip_suffix("api/").unwrap_or(self.base_url);
        json!({
            "url": self.link(paths::SLURM_JOBS, &job.uuid),
            "uuid": job.uuid,
            "name": job.name,
            "description": job.description,
            "service_name": settings.map(|s| s.name.clone()).unwrap_or_default(),
            "service_settings": self.link(paths::SERVICE_SETTINGS, &job.service_settings_uuid),
            "service_settings_uuid": job.service_settings_uuid,
            "service_settings_state": "OK",
            "service_settings_error_message": "",
            "project": self.link(paths::PROJECTS, &job.project_uuid),
            "project_name": project.map(|p| p.name.clone()).unwrap_or_default(),
            "project_uuid": job.project_uuid,
            "customer": self.link(paths::CUSTOMERS, &customer_uuid),
            "customer_uuid": customer_uuid,
            "customer_name": self.customer_name(&customer_uuid),
            "customer_native_name": "",
            "customer_abbreviation": "",
            "error_message": "",
            "error_traceback": "",
            "resource_type": "SLURM.Job",
            "state": job.state.as_str(),
            "created": job.created,
            "modified": job.modified,
            "backend_id": job.backend_id,
            "access_url": null,
            "runtime_state": job.runtime_state,
            "file": format!("{media}media/slurm_jobs/{}/{}", job.uuid, job.file_name),
            "user": null,
            "user_uuid": null,
            "user_username": null,
            "report": job.report,
        })
    }
}
