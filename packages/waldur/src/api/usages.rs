//! `marketplace-component-usages/` (ENDPOINTS.md section 5).

use crate::client::{object_path, WaldurClient};
use crate::error::Error;
use crate::types::{ComponentUsage, SetUsageRequest, UsageFilter};

const USAGES: &str = "marketplace-component-usages/";

impl WaldurClient {
    /// `POST marketplace-component-usages/set_usage/` → 201, no body.
    ///
    /// Upserts per (resource, component, billing period) and replaces the
    /// amount: report the month-to-date total. A resource not in OK,
    /// Updating or Terminating gives 400 (`Error::Validation`).
    pub async fn set_usage(&self, request: &SetUsageRequest) -> Result<(), Error> {
        self.post_unit(&format!("{USAGES}set_usage/"), Some(request))
            .await
    }

    /// `GET marketplace-component-usages/`, all pages.
    pub async fn list_component_usages(
        &self,
        filter: &UsageFilter,
    ) -> Result<Vec<ComponentUsage>, Error> {
        self.list_all(USAGES, &filter.to_query()).await
    }

    /// `GET marketplace-component-usages/{uuid}/`.
    pub async fn get_component_usage(&self, uuid: &str) -> Result<ComponentUsage, Error> {
        self.get(&object_path(USAGES, uuid)?).await
    }
}
