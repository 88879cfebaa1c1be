//! What the offering jobs call on the provider's Waldur: the ingest reads
//! the customer's offerings, the sync (chain -> Waldur) also writes them.
//! The adapter implements these on the Waldur client; tests may script
//! them. Answers and errors are the Waldur client's own types, so the
//! jobs keep their wording and their handling of each HTTP outcome.

use serde_json::{Map, Value};
use waldur::{
    Error, Offering, OfferingComponentRequest, OfferingCreateRequest, OfferingOverviewUpdate,
    UpdateOfferingComponentRequest,
};

/// What the offering ingest (Waldur -> chain) reads.
#[allow(async_fn_in_trait)]
pub trait OfferingListing {
    /// Every offering of the Waldur customer (organisation).
    async fn customer_offerings(&self, customer_uuid: &str) -> Result<Vec<Offering>, Error>;
}

/// What the offering sync (chain -> Waldur) reads and writes.
#[allow(async_fn_in_trait)]
pub trait OfferingSyncWaldur: OfferingListing {
    async fn get_offering(&self, uuid: &str) -> Result<Offering, Error>;
    async fn create_offering(&self, request: &OfferingCreateRequest) -> Result<Offering, Error>;
    async fn update_offering_overview(
        &self,
        uuid: &str,
        overview: &OfferingOverviewUpdate,
    ) -> Result<(), Error>;
    async fn update_offering_attributes(
        &self,
        uuid: &str,
        attributes: &Map<String, Value>,
    ) -> Result<(), Error>;
    async fn create_offering_component(
        &self,
        uuid: &str,
        component: &OfferingComponentRequest,
    ) -> Result<(), Error>;
    async fn update_offering_component(
        &self,
        uuid: &str,
        component: &UpdateOfferingComponentRequest,
    ) -> Result<(), Error>;
    /// Draft -> Active (Waldur lets only staff do it).
    async fn activate_offering(&self, uuid: &str) -> Result<(), Error>;
    async fn pause_offering(&self, uuid: &str, reason: Option<&str>) -> Result<(), Error>;
    async fn unpause_offering(&self, uuid: &str) -> Result<(), Error>;
    async fn archive_offering(&self, uuid: &str) -> Result<(), Error>;
    /// The hyperlink a create request names a category by.
    fn category_link(&self, category_uuid: &str) -> Result<String, Error>;
    /// The hyperlink a create request names a customer by.
    fn customer_link(&self, customer_uuid: &str) -> Result<String, Error>;
}
