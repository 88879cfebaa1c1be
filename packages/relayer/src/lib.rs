//! ve-relayer: one per provider, beside its Waldur. It watches the
//! contracts' events, drives the provider's Waldur, and brings Waldur's
//! actions back on chain as ed25519-signed callbacks through a durable
//! outbox.

pub mod audit;
pub mod chain;
pub mod config;
pub mod dead_letters;
pub mod demo;
pub mod engine;
pub mod http;
pub mod intents;
pub mod job_flow;
pub mod keys;
pub mod offering_ingest;
pub mod offering_sync;
pub mod outbox;
pub mod service;
pub mod signer;
pub mod telemetry;
pub mod waldur_adapter;
pub mod waldur_port;
