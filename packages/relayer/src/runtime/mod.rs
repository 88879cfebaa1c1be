//! Running the relayer as a service: settings, the durable outbox, the
//! service loop and its wiring, the HTTP listeners, telemetry and the
//! audit log.

pub mod audit;
pub mod config;
pub mod http;
pub mod outbox;
pub mod service;
pub mod telemetry;
