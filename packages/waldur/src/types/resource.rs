//! Marketplace resources (`marketplace-provider-resources/`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::common::{null_as_default, Decimal, ReportSection};
use super::query::QueryPairs;
use super::states::{OfferingState, ResourceState};

/// The subset of `Resource` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Resource {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub state: Option<ResourceState>,
    pub offering: Option<String>,
    pub offering_uuid: Option<String>,
    pub offering_type: Option<String>,
    pub offering_state: Option<OfferingState>,
    pub project: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub plan_uuid: Option<String>,
    /// Read-only here; change it with `set_backend_id`.
    pub backend_id: Option<String>,
    pub paused: Option<bool>,
    #[serde(deserialize_with = "null_as_default")]
    pub limits: BTreeMap<String, i64>,
    /// The values of the last usage submission, per component type.
    #[serde(deserialize_with = "null_as_default")]
    pub current_usages: BTreeMap<String, Decimal>,
    pub attributes: serde_json::Value,
    #[serde(deserialize_with = "null_as_default")]
    pub report: Vec<ReportSection>,
    pub end_date: Option<String>,
    pub error_message: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
}

/// Filters of `GET marketplace-provider-resources/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceFilter {
    /// Sent comma-separated (`explode: false` in the schema).
    pub offering_uuids: Vec<String>,
    /// Repeated `state=` parameters; empty means any state.
    pub states: Vec<ResourceState>,
    /// Exact match.
    pub backend_id: Option<String>,
    /// Exact resource name.
    pub name_exact: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
}

impl ResourceFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.comma_separated(
            "offering_uuid",
            self.offering_uuids.iter().map(String::as_str),
        );
        query.repeated("state", self.states.iter().map(ResourceState::as_str));
        query.opt("backend_id", self.backend_id.as_deref());
        query.opt("name_exact", self.name_exact.as_deref());
        query.opt("project_uuid", self.project_uuid.as_deref());
        query.opt("customer_uuid", self.customer_uuid.as_deref());
        query
    }
}
