//! What the relayer does with what it reads: the relay engine, the chain
//! intents it works off, HPC jobs and the dead letters.

pub mod dead_letters;
pub mod engine;
pub mod intents;
pub mod job_flow;
