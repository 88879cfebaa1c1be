//! Request and response types of the Waldur API.
//!
//! Every response field is optional: Waldur's `?field=` parameter can drop
//! any of them and the schema marks none as required. Unknown fields are
//! ignored so that a newer server does not break this client.

mod common;
mod offering;
mod order;
mod query;
mod resource;
mod slurm;
mod slurm_job;
mod states;
mod structure;
mod usage;

pub use common::{Decimal, DetailResponse, DetailState, OrderUuid, ReportSection, StatusResponse};
pub use offering::{
    Offering, OfferingComponent, OfferingComponentRequest, OfferingCreateRequest, OfferingFilter,
    OfferingOverviewUpdate, OfferingTermsOfService, Plan, PlanRequest,
    UpdateOfferingComponentRequest,
};
pub use order::{Order, OrderCreateRequest, OrderFilter};
pub use query::QueryPairs;
pub use resource::{Resource, ResourceFilter};
pub use slurm::{SlurmAllocation, SlurmAllocationFilter};
pub use slurm_job::{FirecrestJob, SlurmJobCreateRequest};
pub use states::{
    BillingType, BillingUnit, CoreState, OfferingState, OrderState, OrderType, ResourceState,
};
pub use structure::{Customer, CustomerFilter, Project, ProjectFilter};
pub use usage::{ComponentUsage, ComponentUsageItem, SetUsageRequest, UsageFilter};
