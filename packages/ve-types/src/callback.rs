//! Waldur callbacks: the action types, their payloads, and the canonical
//! bytes a relayer signs and the waldur-callback contract verifies. Both
//! sides call [`signing_bytes`], so they cannot disagree.
//!
//! # Signing byte layout (version 1)
//!
//! ```text
//! offset  size  field
//! 0       26    domain tag, ASCII "virtengine:waldur-callback"
//! 26      1     layout version, 0x01
//! 27      ...   chain id          u16 big-endian length, then UTF-8 bytes
//!         ...   contract address  u16 BE length + bytes (the callback contract)
//!         ...   provider          u16 BE length + bytes (provider address)
//!         ...   signer key id     u16 BE length + bytes
//!         ...   callback id       u16 BE length + bytes
//!         ...   action type       u16 BE length + bytes ("provision", ...)
//!         ...   waldur id         u16 BE length + bytes
//!         ...   entity type       u16 BE length + bytes ("allocation", ...)
//!         ...   entity id         u16 BE length + bytes
//!         ...   nonce             u16 BE length + bytes
//!         8     timestamp         u64 big-endian, unix seconds
//!         8     expires at        u64 big-endian, unix seconds
//!         32    sha256 of the payload bytes exactly as sent
//! ```
//!
//! Every variable field is length-prefixed, so no two different callbacks
//! share signing bytes (the reference joined fields with `|` and left the
//! payload out). The chain id and contract address bind a signature to one
//! deployment on one chain; the provider and key id bind it to the signer's
//! registration, so a copied public key cannot carry it to another
//! provider. The signature is ed25519 over these bytes.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::catalog::OfferingFields;
use crate::states::{AllocationState, JobState, OfferingState};

pub const SIGNING_DOMAIN: &[u8; 26] = b"virtengine:waldur-callback";
pub const SIGNING_VERSION: u8 = 1;

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum ActionType {
    /// Allocation accepted / provisioning / active / failed.
    Provision,
    /// Allocation terminating / terminated (or failed to terminate).
    Terminate,
    /// Any other allocation state change (suspended, active again, failed).
    StatusUpdate,
    /// Usage of an allocation for one period, into settlement.
    UsageReport,
    /// HPC job status, into the hpc contract.
    JobStatus,
    /// An offering created or changed in Waldur, into the marketplace.
    OfferingIngest,
}

impl ActionType {
    pub const fn as_str(self) -> &'static str {
        match self {
            ActionType::Provision => "provision",
            ActionType::Terminate => "terminate",
            ActionType::StatusUpdate => "status_update",
            ActionType::UsageReport => "usage_report",
            ActionType::JobStatus => "job_status",
            ActionType::OfferingIngest => "offering_ingest",
        }
    }

    /// The kind of entity the action touches.
    pub const fn entity_type(self) -> EntityType {
        match self {
            ActionType::Provision
            | ActionType::Terminate
            | ActionType::StatusUpdate
            | ActionType::UsageReport => EntityType::Allocation,
            ActionType::JobStatus => EntityType::Job,
            ActionType::OfferingIngest => EntityType::Offering,
        }
    }

    /// Allocation states each allocation action may report.
    pub fn allows_allocation_state(self, state: AllocationState) -> bool {
        use AllocationState as A;
        match self {
            ActionType::Provision => matches!(
                state,
                A::Accepted | A::Provisioning | A::Active | A::Rejected | A::Failed
            ),
            ActionType::Terminate => matches!(state, A::Terminating | A::Terminated | A::Failed),
            ActionType::StatusUpdate => matches!(state, A::Active | A::Suspended | A::Failed),
            _ => false,
        }
    }
}

#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum EntityType {
    Allocation,
    Job,
    /// Entity id: the Waldur offering UUID.
    Offering,
}

impl EntityType {
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityType::Allocation => "allocation",
            EntityType::Job => "job",
            EntityType::Offering => "offering",
        }
    }
}

/// Payload of `provision`, `terminate` and `status_update`.
#[cw_serde]
pub struct AllocationStatePayload {
    pub state: AllocationState,
    /// The Waldur resource UUID.
    pub backend_id: Option<String>,
    pub reason: Option<String>,
}

/// Payload of `usage_report`: usage of the allocation for one period.
#[cw_serde]
pub struct UsagePayload {
    pub usage_type: String,
    pub units: Uint128,
    /// Unix seconds.
    pub period_start: u64,
    pub period_end: u64,
}

/// Payload of `job_status`.
#[cw_serde]
pub struct JobStatusPayload {
    pub state: JobState,
    pub exit_code: Option<i32>,
    pub node_seconds_used: Option<u64>,
    pub reason: Option<String>,
}

/// Payload of `offering_ingest`.
#[cw_serde]
pub struct OfferingIngestPayload {
    pub offering: OfferingFields,
    /// The state Waldur shows (Active -> active, Paused -> paused,
    /// Archived -> terminated).
    pub state: OfferingState,
}

/// Everything a callback signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackFields<'a> {
    pub chain_id: &'a str,
    pub contract: &'a str,
    pub provider: &'a str,
    pub signer_key_id: &'a str,
    pub callback_id: &'a str,
    pub action: ActionType,
    pub waldur_id: &'a str,
    pub entity_type: EntityType,
    pub entity_id: &'a str,
    pub nonce: &'a str,
    pub timestamp: u64,
    pub expires_at: u64,
    pub payload: &'a [u8],
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("signed field {field} is {len} bytes, more than the 65535 the layout allows")]
pub struct SigningError {
    pub field: &'static str,
    pub len: usize,
}

fn push_field(out: &mut Vec<u8>, field: &'static str, value: &str) -> Result<(), SigningError> {
    let len = u16::try_from(value.len()).map_err(|_| SigningError {
        field,
        len: value.len(),
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

pub fn payload_hash(payload: &[u8]) -> [u8; 32] {
    Sha256::digest(payload).into()
}

/// The canonical bytes of version 1 (see the module documentation).
pub fn signing_bytes(f: &CallbackFields) -> Result<Vec<u8>, SigningError> {
    let mut out = Vec::with_capacity(128 + f.callback_id.len() + f.entity_id.len());
    out.extend_from_slice(SIGNING_DOMAIN);
    out.push(SIGNING_VERSION);
    push_field(&mut out, "chain_id", f.chain_id)?;
    push_field(&mut out, "contract", f.contract)?;
    push_field(&mut out, "provider", f.provider)?;
    push_field(&mut out, "signer_key_id", f.signer_key_id)?;
    push_field(&mut out, "callback_id", f.callback_id)?;
    push_field(&mut out, "action_type", f.action.as_str())?;
    push_field(&mut out, "waldur_id", f.waldur_id)?;
    push_field(&mut out, "entity_type", f.entity_type.as_str())?;
    push_field(&mut out, "entity_id", f.entity_id)?;
    push_field(&mut out, "nonce", f.nonce)?;
    out.extend_from_slice(&f.timestamp.to_be_bytes());
    out.extend_from_slice(&f.expires_at.to_be_bytes());
    out.extend_from_slice(&payload_hash(f.payload));
    Ok(out)
}

/// Domain tag of a signer key's proof of possession. It differs from
/// [`SIGNING_DOMAIN`] at byte 26 (`:` where a callback has its version
/// byte), so no callback's signing bytes are ever a key proof's, or the
/// other way round.
pub const KEY_PROOF_DOMAIN: &[u8; 36] = b"virtengine:waldur-callback:key-proof";
pub const KEY_PROOF_VERSION: u8 = 1;

/// What a signer key's proof of possession binds: the registration of
/// `public_key` under `key_id` by `provider` on one deployment of the
/// waldur-callback contract on one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProofFields<'a> {
    pub chain_id: &'a str,
    /// The waldur-callback contract's address.
    pub contract: &'a str,
    /// The provider address that registers the key (the sender of
    /// `register_signer` / `rotate_signer`).
    pub provider: &'a str,
    pub key_id: &'a str,
    pub public_key: &'a [u8; 32],
}

/// The bytes the new key signs to prove that whoever registers it holds
/// its private half (`register_signer` and `rotate_signer` take the
/// signature as `proof`):
///
/// ```text
/// offset  size  field
/// 0       36    domain tag, ASCII "virtengine:waldur-callback:key-proof"
/// 36      1     layout version, 0x01
/// 37      ...   chain id          u16 big-endian length, then UTF-8 bytes
///         ...   contract address  u16 BE length + bytes (the callback contract)
///         ...   provider          u16 BE length + bytes (provider address)
///         ...   key id            u16 BE length + bytes
///         32    public key        the 32 bytes being registered
/// ```
pub fn key_proof_bytes(f: &KeyProofFields) -> Result<Vec<u8>, SigningError> {
    let mut out = Vec::with_capacity(
        KEY_PROOF_DOMAIN.len()
            + 1
            + 8
            + f.chain_id.len()
            + f.contract.len()
            + f.provider.len()
            + f.key_id.len()
            + 32,
    );
    out.extend_from_slice(KEY_PROOF_DOMAIN);
    out.push(KEY_PROOF_VERSION);
    push_field(&mut out, "chain_id", f.chain_id)?;
    push_field(&mut out, "contract", f.contract)?;
    push_field(&mut out, "provider", f.provider)?;
    push_field(&mut out, "key_id", f.key_id)?;
    out.extend_from_slice(f.public_key);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(payload: &[u8]) -> CallbackFields<'_> {
        CallbackFields {
            chain_id: "virtengine-1",
            contract: "ve1callback",
            provider: "ve1prov",
            signer_key_id: "k1",
            callback_id: "cb-1",
            action: ActionType::Provision,
            waldur_id: "550e8400-e29b-41d4-a716-446655440003",
            entity_type: EntityType::Allocation,
            entity_id: "ve1cust/1/1",
            nonce: "n-1",
            timestamp: 1_700_000_000,
            expires_at: 1_700_003_600,
            payload,
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let bytes = signing_bytes(&fields(b"{}")).unwrap();
        assert_eq!(&bytes[..26], b"virtengine:waldur-callback");
        assert_eq!(bytes[26], 1);
        assert_eq!(&bytes[27..29], &[0, 12]);
        assert_eq!(&bytes[29..41], b"virtengine-1");
        let tail = &bytes[bytes.len() - 48..];
        assert_eq!(&tail[..8], &1_700_000_000u64.to_be_bytes());
        assert_eq!(&tail[8..16], &1_700_003_600u64.to_be_bytes());
        assert_eq!(&tail[16..], &payload_hash(b"{}"));
    }

    #[test]
    fn every_field_changes_the_bytes() {
        let base = signing_bytes(&fields(b"{}")).unwrap();
        let mut variants: Vec<CallbackFields> = Vec::new();
        let f = fields(b"{}");
        variants.push(CallbackFields {
            chain_id: "virtengine-2",
            ..f.clone()
        });
        variants.push(CallbackFields {
            contract: "ve1other",
            ..f.clone()
        });
        variants.push(CallbackFields {
            callback_id: "cb-2",
            ..f.clone()
        });
        variants.push(CallbackFields {
            action: ActionType::Terminate,
            ..f.clone()
        });
        variants.push(CallbackFields {
            waldur_id: "x",
            ..f.clone()
        });
        variants.push(CallbackFields {
            entity_type: EntityType::Job,
            ..f.clone()
        });
        variants.push(CallbackFields {
            entity_id: "ve1cust/1/2",
            ..f.clone()
        });
        variants.push(CallbackFields {
            nonce: "n-2",
            ..f.clone()
        });
        variants.push(CallbackFields {
            timestamp: 1_700_000_001,
            ..f.clone()
        });
        variants.push(CallbackFields {
            expires_at: 1_700_003_601,
            ..f.clone()
        });
        variants.push(CallbackFields {
            payload: b"{ }",
            ..f.clone()
        });
        for v in variants {
            assert_ne!(signing_bytes(&v).unwrap(), base, "{v:?}");
        }
    }

    #[test]
    fn length_prefixes_prevent_field_shifting() {
        // "ab"+"c" and "a"+"bc" would collide if fields were just joined.
        let a = signing_bytes(&CallbackFields {
            callback_id: "ab",
            waldur_id: "c",
            ..fields(b"")
        })
        .unwrap();
        let b = signing_bytes(&CallbackFields {
            callback_id: "a",
            waldur_id: "bc",
            ..fields(b"")
        })
        .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn oversized_fields_are_refused() {
        let big = "x".repeat(65_536);
        let err = signing_bytes(&CallbackFields {
            nonce: &big,
            ..fields(b"")
        })
        .unwrap_err();
        assert_eq!(
            err,
            SigningError {
                field: "nonce",
                len: 65_536
            }
        );
    }

    fn proof_fields(public_key: &[u8; 32]) -> KeyProofFields<'_> {
        KeyProofFields {
            chain_id: "virtengine-1",
            contract: "ve1callback",
            provider: "ve1prov",
            key_id: "k1",
            public_key,
        }
    }

    #[test]
    fn key_proof_layout_is_as_documented() {
        let key = [7u8; 32];
        let bytes = key_proof_bytes(&proof_fields(&key)).unwrap();
        assert_eq!(&bytes[..36], b"virtengine:waldur-callback:key-proof");
        assert_eq!(bytes[36], 1);
        assert_eq!(&bytes[37..39], &[0, 12]);
        assert_eq!(&bytes[39..51], b"virtengine-1");
        assert_eq!(&bytes[51..53], &[0, 11]);
        assert_eq!(&bytes[53..64], b"ve1callback");
        assert_eq!(&bytes[64..66], &[0, 7]);
        assert_eq!(&bytes[66..73], b"ve1prov");
        assert_eq!(&bytes[73..75], &[0, 2]);
        assert_eq!(&bytes[75..77], b"k1");
        assert_eq!(&bytes[77..], &key);
        // Never the bytes of a callback: the domains part at byte 26.
        assert_eq!(&bytes[..26], SIGNING_DOMAIN);
        assert_ne!(bytes[26], SIGNING_VERSION);
    }

    #[test]
    fn every_key_proof_field_changes_the_bytes() {
        let (key, other) = ([7u8; 32], [8u8; 32]);
        let f = proof_fields(&key);
        let base = key_proof_bytes(&f).unwrap();
        let variants = [
            KeyProofFields {
                chain_id: "virtengine-2",
                ..f.clone()
            },
            KeyProofFields {
                contract: "ve1other",
                ..f.clone()
            },
            KeyProofFields {
                provider: "ve1thief",
                ..f.clone()
            },
            KeyProofFields {
                key_id: "k2",
                ..f.clone()
            },
            KeyProofFields {
                public_key: &other,
                ..f.clone()
            },
            // Shifting a byte between neighbours changes the prefixes.
            KeyProofFields {
                provider: "ve1pro",
                key_id: "vk1",
                ..f.clone()
            },
        ];
        for v in variants {
            assert_ne!(key_proof_bytes(&v).unwrap(), base, "{v:?}");
        }
        let big = "x".repeat(65_536);
        assert_eq!(
            key_proof_bytes(&KeyProofFields {
                key_id: &big,
                ..f.clone()
            })
            .unwrap_err(),
            SigningError {
                field: "key_id",
                len: 65_536
            }
        );
    }

    #[test]
    fn actions_and_states() {
        assert!(ActionType::Provision.allows_allocation_state(AllocationState::Active));
        assert!(!ActionType::Provision.allows_allocation_state(AllocationState::Terminated));
        assert!(ActionType::Terminate.allows_allocation_state(AllocationState::Terminated));
        assert!(!ActionType::UsageReport.allows_allocation_state(AllocationState::Active));
        assert_eq!(ActionType::JobStatus.entity_type(), EntityType::Job);
        assert_eq!(ActionType::OfferingIngest.as_str(), "offering_ingest");
    }
}
