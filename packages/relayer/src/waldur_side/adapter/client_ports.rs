//! The offering jobs', the service loop's and the health monitor's ports
//! (`port/offerings.rs`, `port/runtime.rs`) on the typed Waldur client:
//! each method is the one client call of the same name.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use serde_json::{Map, Value};
use waldur::{
    Error, Offering, OfferingComponentRequest, OfferingCreateRequest, OfferingFilter,
    OfferingOverviewUpdate, UpdateOfferingComponentRequest, WaldurClient,
};

use crate::waldur_side::port::offerings::{OfferingListing, OfferingSyncWaldur};
use crate::waldur_side::port::runtime::{ServiceWaldur, WaldurProbe};

impl OfferingListing for WaldurClient {
    async fn customer_offerings(&self, customer_uuid: &str) -> Result<Vec<Offering>, Error> {
        let filter = OfferingFilter {
            customer_uuid: Some(customer_uuid.to_string()),
            ..OfferingFilter::default()
        };
        self.list_offerings(&filter).await
    }
}

impl OfferingSyncWaldur for WaldurClient {
    async fn get_offering(&self, uuid: &str) -> Result<Offering, Error> {
        WaldurClient::get_offering(self, uuid).await
    }

    async fn create_offering(&self, request: &OfferingCreateRequest) -> Result<Offering, Error> {
        WaldurClient::create_offering(self, request).await
    }

    async fn update_offering_overview(
        &self,
        uuid: &str,
        overview: &OfferingOverviewUpdate,
    ) -> Result<(), Error> {
        WaldurClient::update_offering_overview(self, uuid, overview).await
    }

    async fn update_offering_attributes(
        &self,
        uuid: &str,
        attributes: &Map<String, Value>,
    ) -> Result<(), Error> {
        WaldurClient::update_offering_attributes(self, uuid, attributes).await
    }

    async fn create_offering_component(
        &self,
        uuid: &str,
        component: &OfferingComponentRequest,
    ) -> Result<(), Error> {
        WaldurClient::create_offering_component(self, uuid, component).await
    }

    async fn update_offering_component(
        &self,
        uuid: &str,
        component: &UpdateOfferingComponentRequest,
    ) -> Result<(), Error> {
        WaldurClient::update_offering_component(self, uuid, component).await
    }

    async fn activate_offering(&self, uuid: &str) -> Result<(), Error> {
        WaldurClient::activate_offering(self, uuid).await.map(drop)
    }

    async fn pause_offering(&self, uuid: &str, reason: Option<&str>) -> Result<(), Error> {
        WaldurClient::pause_offering(self, uuid, reason)
            .await
            .map(drop)
    }

    async fn unpause_offering(&self, uuid: &str) -> Result<(), Error> {
        WaldurClient::unpause_offering(self, uuid).await.map(drop)
    }

    async fn archive_offering(&self, uuid: &str) -> Result<(), Error> {
        WaldurClient::archive_offering(self, uuid).await.map(drop)
    }

    fn category_link(&self, category_uuid: &str) -> Result<String, Error> {
        self.urls().category(category_uuid)
    }

    fn customer_link(&self, customer_uuid: &str) -> Result<String, Error> {
        self.urls().customer(customer_uuid)
    }
}

impl ServiceWaldur for WaldurClient {
    fn public_offering_link(&self, offering_uuid: &str) -> Result<String, Error> {
        self.urls().public_offering(offering_uuid)
    }

    fn rate_limit_hits(&self) -> u64 {
        WaldurClient::rate_limit_hits(self)
    }
}

impl WaldurProbe for WaldurClient {
    fn check_token(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.current_user().map(|answer| answer.map(drop)).boxed()
    }
}
