//! `marketplace-orders/` (ENDPOINTS.md section 3).

use serde_json::json;

use super::NO_BODY;
use crate::client::{action_path, object_path, WaldurClient};
use crate::error::Error;
use crate::types::{DetailResponse, Order, OrderCreateRequest, OrderFilter, StatusResponse};

const ORDERS: &str = "marketplace-orders/";

impl WaldurClient {
    /// `POST marketplace-orders/` → 201 with the order. For
    /// `Marketplace.Slurm` and `Marketplace.Basic` it waits in
    /// `pending-provider`; its `marketplace_resource_uuid` exists already.
    ///
    /// Not resent after a failure that may hide a created order (see
    /// [`ResendPolicy::OnlyIfUnprocessed`](crate::retry::ResendPolicy)):
    /// the caller finds what an earlier attempt made (e.g. by an
    /// attribute of its own, with `list_orders`) before creating again.
    pub async fn create_order(&self, request: &OrderCreateRequest) -> Result<Order, Error> {
        self.post_create(ORDERS, Some(request)).await
    }

    /// `GET marketplace-orders/{uuid}/`.
    pub async fn get_order(&self, uuid: &str) -> Result<Order, Error> {
        self.get(&object_path(ORDERS, uuid)?).await
    }

    /// `GET marketplace-orders/`, all pages; `state` is repeated.
    pub async fn list_orders(&self, filter: &OrderFilter) -> Result<Vec<Order>, Error> {
        self.list_all(ORDERS, &filter.to_query()).await
    }

    /// `approve_by_provider/`: pending-provider → executing, else 409.
    pub async fn approve_order_by_provider(
        &self,
        uuid: &str,
        attributes: Option<&serde_json::Value>,
    ) -> Result<DetailResponse, Error> {
        let body = attributes.map(|attributes| json!({ "attributes": attributes }));
        self.post(
            &action_path(ORDERS, uuid, "approve_by_provider")?,
            body.as_ref(),
        )
        .await
    }

    /// `reject_by_provider/`: pending-provider → rejected, else 409.
    pub async fn reject_order_by_provider(
        &self,
        uuid: &str,
        comment: Option<&str>,
    ) -> Result<(), Error> {
        let body = comment.map(|comment| json!({ "provider_rejection_comment": comment }));
        self.post_unit(
            &action_path(ORDERS, uuid, "reject_by_provider")?,
            body.as_ref(),
        )
        .await
    }

    /// `set_state_executing/`: from pending-consumer, pending-provider or
    /// erred; `Marketplace.Slurm` offerings only.
    pub async fn set_order_state_executing(&self, uuid: &str) -> Result<(), Error> {
        self.post_unit(&action_path(ORDERS, uuid, "set_state_executing")?, NO_BODY)
            .await
    }

    /// `set_state_done/`: executing → done; the resource follows (Create →
    /// OK, Update → new limits, Terminate → Terminated).
    pub async fn set_order_state_done(&self, uuid: &str) -> Result<(), Error> {
        self.post_unit(&action_path(ORDERS, uuid, "set_state_done")?, NO_BODY)
            .await
    }

    /// `set_state_erred/` with optional `error_message` and `error_traceback`.
    pub async fn set_order_state_erred(
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
        self.post_unit(&action_path(ORDERS, uuid, "set_state_erred")?, Some(&body))
            .await
    }

    /// `set_backend_id/` with `{backend_id}` (1 to 255 characters).
    pub async fn set_order_backend_id(
        &self,
        uuid: &str,
        backend_id: &str,
    ) -> Result<StatusResponse, Error> {
        self.post(
            &action_path(ORDERS, uuid, "set_backend_id")?,
            Some(&json!({ "backend_id": backend_id })),
        )
        .await
    }
}
