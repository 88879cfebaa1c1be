//! `marketplace-provider-resources/` (ENDPOINTS.md section 4), the
//! provider's view of resources that the site agent also uses.

use serde_json::json;

use super::NO_BODY;
use crate::client::{action_path, object_path, WaldurClient};
use crate::error::Error;
use crate::types::{OrderUuid, Resource, ResourceFilter, StatusResponse};

const RESOURCES: &str = "marketplace-provider-resources/";

impl WaldurClient {
    /// `GET marketplace-provider-resources/{uuid}/`.
    pub async fn get_resource(&self, uuid: &str) -> Result<Resource, Error> {
        self.get(&object_path(RESOURCES, uuid)?).await
    }

    /// `GET marketplace-provider-resources/`, all pages.
    pub async fn list_resources(&self, filter: &ResourceFilter) -> Result<Vec<Resource>, Error> {
        self.list_all(RESOURCES, &filter.to_query()).await
    }

    /// `terminate/`: creates a Terminate order and returns its UUID; the
    /// resource ends only when that order is done. Sent as a create (not
    /// resent after an ambiguous failure); a second terminate while the
    /// first order is pending gets [`Error::is_pending_order`].
    pub async fn terminate_resource(
        &self,
        uuid: &str,
        attributes: Option<&serde_json::Value>,
    ) -> Result<OrderUuid, Error> {
        let body = attributes.map(|attributes| json!({ "attributes": attributes }));
        self.post_create(&action_path(RESOURCES, uuid, "terminate")?, body.as_ref())
            .await
    }

    /// `set_backend_id/`. Waldur does not enforce uniqueness.
    pub async fn set_resource_backend_id(
        &self,
        uuid: &str,
        backend_id: &str,
    ) -> Result<StatusResponse, Error> {
        self.post(
            &action_path(RESOURCES, uuid, "set_backend_id")?,
            Some(&json!({ "backend_id": backend_id })),
        )
        .await
    }

    /// `set_limits/`: sets the resource's limits directly, without an
    /// Update order (the provider's own change).
    pub async fn set_resource_limits(
        &self,
        uuid: &str,
        limits: &std::collections::BTreeMap<String, i64>,
    ) -> Result<StatusResponse, Error> {
        self.post(
            &action_path(RESOURCES, uuid, "set_limits")?,
            Some(&json!({ "limits": limits })),
        )
        .await
    }

    /// `set_paused/`: Waldur allows it to staff only; a provider's token
    /// gets `Error::Forbidden`.
    pub async fn set_resource_paused(
        &self,
        uuid: &str,
        paused: bool,
    ) -> Result<StatusResponse, Error> {
        self.post(
            &action_path(RESOURCES, uuid, "set_paused")?,
            Some(&json!({ "paused": paused })),
        )
        .await
    }

    /// `set_state_ok/`: from Erred, Creating, Updating or Terminating.
    pub async fn set_resource_state_ok(&self, uuid: &str) -> Result<StatusResponse, Error> {
        self.post(&action_path(RESOURCES, uuid, "set_state_ok")?, NO_BODY)
            .await
    }

    /// `set_as_erred/` with optional `error_message` and `error_traceback`.
    pub async fn set_resource_state_erred(
        &self,
        uuid: &str,
        error_message: Option<&str>,
        error_traceback: Option<&str>,
    ) -> Result<(), Error> {
        let mut body = serde_json::Map::new();
        if let Some(message) = error_message {
            body.insert("error_message".into(), message.into());
        }
        if let Some(traceback) = error_traceback {
            body.insert("error_traceback".into(), traceback.into());
        }
        self.post_unit(&action_path(RESOURCES, uuid, "set_as_erred")?, Some(&body))
            .await
    }
}
