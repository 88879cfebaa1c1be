//! ve-relayer: one per provider, beside its Waldur. It watches the
//! contracts' events, drives the provider's Waldur, and brings Waldur's
//! actions back on chain as ed25519-signed callbacks through a durable
//! outbox.
//!
//! Grouped by job: [`chain`] (clients, signing, keys), [`waldur_side`]
//! (the port the flows use, its Waldur adapter, offering sync and ingest),
//! [`flows`] (the relay engine, chain intents, HPC jobs, dead letters) and
//! [`runtime`] (config, outbox, service, HTTP, telemetry, audit log). The
//! in-process chain and the demo are the `demo` feature.

pub mod chain;
#[cfg(feature = "demo")]
pub mod demo;
pub mod flows;
pub mod runtime;
pub mod waldur_side;
