//! Customers (`customers/`) and projects (`projects/`).

use serde::{Deserialize, Serialize};

use super::query::QueryPairs;

/// The subset of `Customer` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub abbreviation: Option<String>,
    pub backend_id: Option<String>,
    pub is_service_provider: Option<bool>,
    pub service_provider_uuid: Option<String>,
    pub archived: Option<bool>,
    pub blocked: Option<bool>,
}

/// The subset of `Project` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub customer: Option<String>,
    pub customer_uuid: Option<String>,
    pub customer_name: Option<String>,
    pub backend_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub is_removed: Option<bool>,
}

/// Filters of `GET customers/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerFilter {
    pub name_exact: Option<String>,
    pub backend_id: Option<String>,
    pub is_service_provider: Option<bool>,
}

impl CustomerFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.opt("name_exact", self.name_exact.as_deref());
        query.opt("backend_id", self.backend_id.as_deref());
        query.opt_bool("is_service_provider", self.is_service_provider);
        query
    }
}

/// Filters of `GET projects/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectFilter {
    /// Customer UUIDs, sent as repeated `customer=` parameters.
    pub customers: Vec<String>,
    pub name_exact: Option<String>,
    pub backend_id: Option<String>,
}

impl ProjectFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.repeated("customer", self.customers.iter().map(String::as_str));
        query.opt("name_exact", self.name_exact.as_deref());
        query.opt("backend_id", self.backend_id.as_deref());
        query
    }
}
