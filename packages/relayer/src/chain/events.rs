//! Contract events as the relayer reads them, and the typed ones it acts on.

use std::collections::BTreeMap;

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
            _ => return None,
        })
    }

    pub fn provider(&self) -> &str {
        match self {
            ChainEvent::AllocationCreated { provider, .. }
            | ChainEvent::TerminateRequested { provider, .. }
            | ChainEvent::Paused { provider, .. }
            | ChainEvent::Resumed { provider, .. }
            | ChainEvent::Resized { provider, .. } => provider,
        }
    }
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
}
