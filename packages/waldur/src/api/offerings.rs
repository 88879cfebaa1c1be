//! `marketplace-provider-offerings/` (ENDPOINTS.md section 2).

use serde_json::json;

use super::NO_BODY;
use crate::client::{action_path, object_path, WaldurClient};
use crate::error::Error;
use crate::types::QueryPairs;
use crate::types::{
    DetailState, Offering, OfferingComponentRequest, OfferingCreateRequest, OfferingFilter,
    OfferingOverviewUpdate, OfferingTermsOfService, UpdateOfferingComponentRequest,
};

const OFFERINGS: &str = "marketplace-provider-offerings/";
const TERMS_OF_SERVICE: &str = "marketplace-offering-terms-of-service/";
const CONSENTS: &str = "marketplace-user-offering-consents/";

impl WaldurClient {
    /// `GET marketplace-provider-offerings/`, all pages.
    pub async fn list_offerings(&self, filter: &OfferingFilter) -> Result<Vec<Offering>, Error> {
        self.list_all(OFFERINGS, &filter.to_query()).await
    }

    /// `GET marketplace-provider-offerings/{uuid}/`.
    pub async fn get_offering(&self, uuid: &str) -> Result<Offering, Error> {
        self.get(&object_path(OFFERINGS, uuid)?).await
    }

    /// `GET marketplace-offering-terms-of-service/?offering_uuid=&is_active=true`,
    /// all pages: the offering's active terms (Waldur 8; a Waldur without
    /// the endpoint answers 404).
    pub async fn list_active_terms_of_service(
        &self,
        offering_uuid: &str,
    ) -> Result<Vec<OfferingTermsOfService>, Error> {
        let mut query = QueryPairs::default();
        query.opt("offering_uuid", Some(offering_uuid));
        query.opt_bool("is_active", Some(true));
        self.list_all(TERMS_OF_SERVICE, &query).await
    }

    /// `POST marketplace-user-offering-consents/ {offering}` → 201: the
    /// token's user consents to the offering's active terms of service
    /// (Waldur 8, where consent is an object of its own). Resent like any
    /// POST: a second consent to the same terms changes nothing.
    pub async fn give_offering_consent(
        &self,
        offering_uuid: &str,
    ) -> Result<serde_json::Value, Error> {
        self.post(CONSENTS, Some(&json!({ "offering": offering_uuid })))
            .await
    }

    /// `POST marketplace-provider-offerings/` → 201 with the new offering,
    /// in state `Draft`. Not resent after a failure that may hide a created
    /// offering; the caller looks it up by `backend_id` first.
    pub async fn create_offering(
        &self,
        request: &OfferingCreateRequest,
    ) -> Result<Offering, Error> {
        self.post_create(OFFERINGS, Some(request)).await
    }

    /// `activate/`: Draft or Paused → Active; 409 from other states.
    pub async fn activate_offering(&self, uuid: &str) -> Result<DetailState, Error> {
        self.post(&action_path(OFFERINGS, uuid, "activate")?, NO_BODY)
            .await
    }

    /// `pause/` with an optional `paused_reason`: Active → Paused.
    pub async fn pause_offering(
        &self,
        uuid: &str,
        reason: Option<&str>,
    ) -> Result<DetailState, Error> {
        let body = reason.map(|reason| json!({ "paused_reason": reason }));
        self.post(&action_path(OFFERINGS, uuid, "pause")?, body.as_ref())
            .await
    }

    /// `unpause/`: Paused → Active.
    pub async fn unpause_offering(&self, uuid: &str) -> Result<DetailState, Error> {
        self.post(&action_path(OFFERINGS, uuid, "unpause")?, NO_BODY)
            .await
    }

    /// `archive/`: any state → Archived.
    pub async fn archive_offering(&self, uuid: &str) -> Result<DetailState, Error> {
        self.post(&action_path(OFFERINGS, uuid, "archive")?, NO_BODY)
            .await
    }

    /// `update_overview/`: name, descriptions and links. There is no
    /// PUT/PATCH on offerings; edits go through the `update_*` actions.
    pub async fn update_offering_overview(
        &self,
        uuid: &str,
        overview: &OfferingOverviewUpdate,
    ) -> Result<(), Error> {
        self.post_unit(
            &action_path(OFFERINGS, uuid, "update_overview")?,
            Some(overview),
        )
        .await
    }

    /// `update_attributes/`: replaces the free-form attributes object.
    pub async fn update_offering_attributes(
        &self,
        uuid: &str,
        attributes: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), Error> {
        self.post_unit(
            &action_path(OFFERINGS, uuid, "update_attributes")?,
            Some(attributes),
        )
        .await
    }

    /// `create_offering_component/` → 201, no body.
    pub async fn create_offering_component(
        &self,
        uuid: &str,
        component: &OfferingComponentRequest,
    ) -> Result<(), Error> {
        self.post_unit(
            &action_path(OFFERINGS, uuid, "create_offering_component")?,
            Some(component),
        )
        .await
    }

    /// `update_offering_component/`: the component is named by its `uuid`.
    pub async fn update_offering_component(
        &self,
        uuid: &str,
        component: &UpdateOfferingComponentRequest,
    ) -> Result<(), Error> {
        self.post_unit(
            &action_path(OFFERINGS, uuid, "update_offering_component")?,
            Some(component),
        )
        .await
    }
}
