//! Contract events as the relayer reads them, and the typed ones it acts on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ve_types::JobState;

/// One `wasm-ve.*` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractEvent {
    pub height: u64,
    /// Position in the block, to order and de-duplicate.
    pub index: u32,
    pub contract: String,
    /// The name without the `wasm-ve.` prefix, e.g. `allocation_created`.
    pub kind: String,
    pub attributes: BTreeMap<String, String>,
}

impl ContractEvent {
    fn attr(&self, key: &str) -> Option<String> {
        self.attributes.get(key).cloned()
    }
}

/// The events a provider's relayer acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainEvent {
    AllocationCreated {
        allocation_id: String,
        offering_id: String,
        provider: String,
        quantity: u32,
    },
    TerminateRequested {
        allocation_id: String,
        provider: String,
    },
    Paused {
        allocation_id: String,
        provider: String,
    },
    Resumed {
        allocation_id: String,
        provider: String,
    },
    Resized {
        allocation_id: String,
        provider: String,
        quantity: u32,
    },
    /// hpc `job_submitted`: a customer's job on one of this provider's
    /// clusters, escrow paid, state pending.
    JobSubmitted {
        job_id: String,
        hpc_offering_id: String,
        cluster_id: String,
        provider: String,
        queue: String,
        nodes: u32,
        max_runtime_seconds: u64,
    },
    /// hpc `job_state_changed`, whoever caused it (the relayer's own
    /// callbacks, a customer's cancel, anyone's `TimeoutJob`).
    JobStateChanged {
        job_id: String,
        provider: String,
        state: JobState,
    },
}

impl ChainEvent {
    /// Decodes the events a relayer acts on; `None` for the others or for
    /// an event missing an attribute (logged by the caller).
    pub fn decode(e: &ContractEvent) -> Option<ChainEvent> {
        let allocation_id = e.attr("allocation_id");
        let provider = e.attr("provider");
        let quantity = e.attr("quantity").and_then(|q| q.parse().ok());
        Some(match e.kind.as_str() {
            "allocation_created" => ChainEvent::AllocationCreated {
                allocation_id: allocation_id?,
                offering_id: e.attr("offering_id")?,
                provider: provider?,
                quantity: quantity?,
            },
            "allocation_terminate_requested" => ChainEvent::TerminateRequested {
                allocation_id: allocation_id?,
                provider: provider?,
            },
            "allocation_paused" => ChainEvent::Paused {
                allocation_id: allocation_id?,
                provider: provider?,
            },
            "allocation_resumed" => ChainEvent::Resumed {
                allocation_id: allocation_id?,
                provider: provider?,
            },
            "allocation_resized" => ChainEvent::Resized {
                allocation_id: allocation_id?,
                provider: provider?,
                quantity: quantity?,
            },
            "job_submitted" => ChainEvent::JobSubmitted {
                job_id: e.attr("job_id")?,
                hpc_offering_id: e.attr("hpc_offering_id")?,
                cluster_id: e.attr("cluster_id")?,
                provider: provider?,
                queue: e.attr("queue")?,
                nodes: e.attr("nodes")?.parse().ok()?,
                max_runtime_seconds: e.attr("max_runtime_seconds")?.parse().ok()?,
            },
            "job_state_changed" => ChainEvent::JobStateChanged {
                job_id: e.attr("job_id")?,
                provider: provider?,
                state: job_state(&e.attr("state")?)?,
            },
            _ => return None,
        })
    }

    /// Whether the relayer has Waldur work to do for it: a job's state
    /// change matters only when the chain closed the job (the other
    /// changes are the relayer's own reports coming back).
    pub fn needs_action(&self) -> bool {
        use ve_types::StateMachine;
        match self {
            ChainEvent::JobStateChanged { state, .. } => state.is_terminal(),
            _ => true,
        }
    }

    /// The allocation or job the event is about.
    pub fn subject(&self) -> String {
        match self {
            ChainEvent::AllocationCreated { allocation_id, .. }
            | ChainEvent::TerminateRequested { allocation_id, .. }
            | ChainEvent::Paused { allocation_id, .. }
            | ChainEvent::Resumed { allocation_id, .. }
            | ChainEvent::Resized { allocation_id, .. } => format!("allocation:{allocation_id}"),
            ChainEvent::JobSubmitted { job_id, .. }
            | ChainEvent::JobStateChanged { job_id, .. } => {
                format!("job:{job_id}")
            }
        }
    }

    pub fn provider(&self) -> &str {
        match self {
            ChainEvent::AllocationCreated { provider, .. }
            | ChainEvent::TerminateRequested { provider, .. }
            | ChainEvent::Paused { provider, .. }
            | ChainEvent::Resumed { provider, .. }
            | ChainEvent::Resized { provider, .. }
            | ChainEvent::JobSubmitted { provider, .. }
            | ChainEvent::JobStateChanged { provider, .. } => provider,
        }
    }
}

fn job_state(name: &str) -> Option<JobState> {
    use ve_types::StateMachine;
    JobState::ALL.iter().copied().find(|s| s.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, attrs: &[(&str, &str)]) -> ContractEvent {
        ContractEvent {
            height: 1,
            index: 0,
            contract: "m".into(),
            kind: kind.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn decodes_what_the_relayer_needs() {
        let e = event(
            "allocation_created",
            &[
                ("allocation_id", "c/1/1"),
                ("offering_id", "p/1"),
                ("provider", "p"),
                ("quantity", "2"),
            ],
        );
        assert_eq!(
            ChainEvent::decode(&e),
            Some(ChainEvent::AllocationCreated {
                allocation_id: "c/1/1".into(),
                offering_id: "p/1".into(),
                provider: "p".into(),
                quantity: 2
            })
        );
        assert_eq!(ChainEvent::decode(&event("offering_created", &[])), None);
        // A malformed event is skipped, not guessed.
        assert_eq!(
            ChainEvent::decode(&event("allocation_created", &[("allocation_id", "x")])),
            None
        );
        let e = event(
            "allocation_resized",
            &[("allocation_id", "a"), ("provider", "p"), ("quantity", "x")],
        );
        assert_eq!(ChainEvent::decode(&e), None);
    }

    #[test]
    fn decodes_job_events() {
        let submitted = event(
            "job_submitted",
            &[
                ("job_id", "c/1"),
                ("hpc_offering_id", "p/1/1"),
                ("cluster_id", "p/1"),
                ("customer", "c"),
                ("provider", "p"),
                ("queue", "batch"),
                ("nodes", "4"),
                ("max_runtime_seconds", "7200"),
                ("state", "pending"),
            ],
        );
        assert_eq!(
            ChainEvent::decode(&submitted),
            Some(ChainEvent::JobSubmitted {
                job_id: "c/1".into(),
                hpc_offering_id: "p/1/1".into(),
                cluster_id: "p/1".into(),
                provider: "p".into(),
                queue: "batch".into(),
                nodes: 4,
                max_runtime_seconds: 7200,
            })
        );
        let changed = event(
            "job_state_changed",
            &[("job_id", "c/1"), ("provider", "p"), ("state", "cancelled")],
        );
        assert_eq!(
            ChainEvent::decode(&changed),
            Some(ChainEvent::JobStateChanged {
                job_id: "c/1".into(),
                provider: "p".into(),
                state: JobState::Cancelled,
            })
        );
        let odd = event(
            "job_state_changed",
            &[("job_id", "c/1"), ("provider", "p"), ("state", "exploded")],
        );
        assert_eq!(ChainEvent::decode(&odd), None);
    }
}
