//! SLURM allocations (`slurm-allocations/`).

use serde::{Deserialize, Serialize};

use super::query::QueryPairs;
use super::states::CoreState;

/// The subset of `SlurmAllocation` that the relayer needs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlurmAllocation {
    pub uuid: Option<String>,
    pub url: Option<String>,
    pub name: Option<String>,
    pub state: Option<CoreState>,
    pub backend_id: Option<String>,
    pub cpu_limit: Option<i64>,
    pub cpu_usage: Option<i64>,
    pub gpu_limit: Option<i64>,
    pub gpu_usage: Option<i64>,
    pub ram_limit: Option<i64>,
    pub ram_usage: Option<i64>,
    pub is_active: Option<bool>,
    pub username: Option<String>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub marketplace_resource_uuid: Option<String>,
    pub marketplace_offering_uuid: Option<String>,
    pub marketplace_resource_state: Option<String>,
}

/// Filters of `GET slurm-allocations/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlurmAllocationFilter {
    pub backend_id: Option<String>,
    pub state: Option<CoreState>,
    pub project_uuid: Option<String>,
    pub customer_uuid: Option<String>,
    pub is_active: Option<bool>,
    pub name: Option<String>,
}

impl SlurmAllocationFilter {
    pub(crate) fn to_query(&self) -> QueryPairs {
        let mut query = QueryPairs::default();
        query.opt("backend_id", self.backend_id.as_deref());
        query.opt("state", self.state.as_ref().map(CoreState::as_str));
        query.opt("project_uuid", self.project_uuid.as_deref());
        query.opt("customer_uuid", self.customer_uuid.as_deref());
        query.opt_bool("is_active", self.is_active);
        query.opt("name", self.name.as_deref());
        query
    }
}
