//! An in-process fake Waldur for tests.
//!
//! It answers the marketplace endpoints the VirtEngine relayer uses, with
//! the shapes, status codes, pagination headers and state rules recorded
//! in `shared/waldur/ENDPOINTS.md`: orders move through the provider's
//! state machine, resources follow their orders, wrong states give 409
//! `Valid states for operation: ...`, a missing or wrong token gives 401.
//!
//! It enforces waldur-mastermind's validation rules with Waldur's status
//! and error body (each rule cites its source file and class): offering
//! types limited to the installed plugins (`set_offering_types`), orders
//! taking only the public offering and public plan links, plans of the
//! offering and under their `max_amount`, limits only on `limit`
//! components within their bounds, terms of service, private offerings,
//! the consumer and provider reviews and who may do them. The token given
//! at start is the provider's (owner of every customer); tests add a
//! consumer's (`add_consumer_token`) or staff's (`add_staff_token`).
//! FireCREST SLURM jobs (`slurm-jobs/`) take multipart uploads and are moved
//! by tests with `set_slurm_job_runtime`, as SLURM would move them.
//! `EmulatorState::site_agent` stands in for Waldur's site agent beside
//! the relayer (approves, finishes and fails orders, sets backend ids,
//! reports usage).
//! Faults (429/5xx storms, delays, dropped connections) can be injected to
//! test a client's retry policy. It binds loopback addresses only:
//! `Emulator::start` takes a free port on 127.0.0.1, `Emulator::start_on`
//! a chosen loopback address.
//!
//! The `waldur-emulator` binary runs it as its own process for demos and
//! end-to-end tests, seeded as a provider's Waldur, with `/control/`
//! endpoints standing in for the SLURM cluster (see the binary's docs).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use waldur_emulator::{Emulator, Fault, OfferingSeed};
//!
//! let emulator = Emulator::start("test-token").await?;
//! let customer = emulator.state.seed_customer("Provider Ltd");
//! let category = emulator.state.seed_category("HPC");
//! let offering = emulator
//!     .state
//!     .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid));
//! emulator.inject(Fault::Status(503, 2));
//! // point a client at emulator.base_url ...
//! # let _ = offering;
//! # Ok(())
//! # }
//! ```

// The order and resource bodies are large `json!` literals.
#![recursion_limit = "256"]

mod api_error;
mod auth;
mod clock;
mod control;
mod faults;
mod form_data;
mod ids;
mod listing;
pub mod model;
mod ops;
mod plugins;
mod render;
mod roles;
mod routes;
mod rules;
mod server;
mod shared;
mod site_agent;
mod slurm_jobs;
mod validate;

pub use control::{
    AllocationSeed, ComponentSeed, EmulatorState, OfferingSeed, Seeded, SeededOrder,
};
pub use faults::Fault;
pub use model::{BillingType, CoreState, OfferingState, OrderState, ResourceState};
pub use plugins::DEFAULT_OFFERING_TYPES;
pub use server::{Emulator, EmulatorHandle};
pub use shared::RecordedRequest;
pub use site_agent::{AgentPass, SiteAgent};
