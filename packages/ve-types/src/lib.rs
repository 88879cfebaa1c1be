//! Types shared by the VirtEngine contracts and the relayer.
//!
//! Everything two crates must agree on lives here exactly once: entity IDs and
//! their string forms, the state enums with the specification's numeric codes,
//! the allowed-transition tables, catalogue enums, pricing and its exact
//! integer normalisation, and the chain <-> Waldur state maps.

pub mod calendar;
pub mod callback;
pub mod catalog;
pub mod ids;
pub mod packed;
pub mod price;
pub mod states;
pub mod text;
pub mod waldur;

pub use callback::{ActionType, CallbackFields, EntityType};
pub use catalog::{
    Category, OfferingFields, PriceComponent, Pricing, PricingError, PricingModel,
    MAX_PRICE_COMPONENTS, MAX_RATES,
};
pub use ids::{
    AllocationId, BidId, ClusterId, EscrowId, HpcOfferingId, IdError, JobId, OfferingId, OrderId,
};
pub use price::{from_waldur_price, to_waldur_price, PriceError};
pub use states::{
    AllocationState, BidState, ClusterState, EscrowState, JobState, OfferingState, OrderState,
    StateMachine, UsageRecordState,
};
