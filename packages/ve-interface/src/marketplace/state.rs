//! The records the marketplace stores and its queries return. The storage
//! (maps, indexes) stays in the contract.

use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, Timestamp, Uint128};
use ve_types::{
    AllocationId, AllocationState, BidId, BidState, Category, OfferingId, OfferingState, OrderId,
    OrderState, Pricing,
};
#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub callback_contract: Option<Addr>,
    /// When set, a matched order's escrow moves to this settlement contract.
    pub settlement_contract: Option<Addr>,
    /// Lifetime of an escrow opened in settlement.
    pub escrow_expiry_seconds: u64,
    pub default_bid_ttl_seconds: u64,
    pub max_bid_ttl_seconds: u64,
    pub max_bids_per_order: u32,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Offering {
    pub provider: Addr,
    pub sequence: u64,
    pub state: OfferingState,
    pub name: String,
    pub description: String,
    pub category: Category,
    pub pricing: Pricing,
    pub regions: Vec<String>,
    pub tags: Vec<String>,
    pub specifications: BTreeMap<String, String>,
    pub min_identity_score: u8,
    pub require_mfa_for_orders: bool,
    /// Why the offering was suspended or terminated, if a reason was given.
    pub state_reason: Option<String>,
    /// Bumped on every change: the relayer's sync version.
    pub version: u64,
    pub total_order_count: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Order {
    pub customer: Addr,
    pub sequence: u64,
    pub offering_provider: Addr,
    pub offering_sequence: u64,
    pub state: OrderState,
    pub quantity: u32,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub max_bid_price: Uint128,
    pub denom: String,
    /// Funds this contract holds for the order.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub escrow: Uint128,
    /// The settlement escrow (`order:{order id}`) holding the order's funds
    /// once matched, when a settlement contract is configured.
    pub settlement_escrow: Option<String>,
    pub region: Option<String>,
    pub public_metadata: BTreeMap<String, String>,
    pub encrypted_config_ref: Option<String>,
    #[serde(default, with = "ve_types::packed::opt_uint128")]
    #[schemars(with = "Option<Uint128>")]
    pub accepted_price: Option<Uint128>,
    pub allocated_provider: Option<Addr>,
    /// Bids placed on the order so far (the last bid sequence).
    pub bid_count: u32,
    pub allocation_count: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
    #[serde(default, with = "ve_types::packed::opt_timestamp")]
    #[schemars(with = "Option<Timestamp>")]
    pub matched_at: Option<Timestamp>,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Bid {
    pub customer: Addr,
    pub order_sequence: u64,
    pub sequence: u64,
    pub provider: Addr,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub price: Uint128,
    pub state: BidState,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub expires_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Allocation {
    pub customer: Addr,
    pub order_sequence: u64,
    pub sequence: u64,
    pub provider: Addr,
    pub offering_sequence: u64,
    pub state: AllocationState,
    pub quantity: u32,
    /// Accepted price per unit.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub price: Uint128,
    pub denom: String,
    /// The Waldur resource UUID, once the provider reported it.
    pub backend_id: Option<String>,
    pub reason: Option<String>,
    /// Who paused a suspended allocation: only they may resume it.
    pub suspended_by: Option<Addr>,
    pub version: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

pub type OfferingKey = (Addr, u64);
pub type OrderKey = (Addr, u64);
pub type BidKey = (Addr, u64, u64);
pub type AllocationKey = (Addr, u64, u64);

impl Offering {
    pub fn key(&self) -> OfferingKey {
        (self.provider.clone(), self.sequence)
    }
    pub fn offering_id(&self) -> OfferingId {
        OfferingId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
}

impl Order {
    pub fn key(&self) -> OrderKey {
        (self.customer.clone(), self.sequence)
    }
    pub fn order_id(&self) -> OrderId {
        OrderId {
            customer: self.customer.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
    pub fn offering_id(&self) -> OfferingId {
        OfferingId {
            provider: self.offering_provider.as_str().to_owned(),
            sequence: self.offering_sequence,
        }
    }
}

impl Bid {
    pub fn key(&self) -> BidKey {
        (self.customer.clone(), self.order_sequence, self.sequence)
    }
    pub fn bid_id(&self) -> BidId {
        BidId {
            customer: self.customer.as_str().to_owned(),
            order_sequence: self.order_sequence,
            provider: self.provider.as_str().to_owned(),
            sequence: self.sequence,
        }
    }
    /// An open bid reads as expired from its expiry on.
    pub fn effective_state(&self, now: Timestamp) -> BidState {
        if self.state == BidState::Open && now >= self.expires_at {
            BidState::Expired
        } else {
            self.state
        }
    }
}

impl Allocation {
    pub fn key(&self) -> AllocationKey {
        (self.customer.clone(), self.order_sequence, self.sequence)
    }
    pub fn allocation_id(&self) -> AllocationId {
        AllocationId {
            customer: self.customer.as_str().to_owned(),
            order_sequence: self.order_sequence,
            sequence: self.sequence,
        }
    }
    pub fn order_key(&self) -> OrderKey {
        (self.customer.clone(), self.order_sequence)
    }
    pub fn offering_id(&self) -> OfferingId {
        OfferingId {
            provider: self.provider.as_str().to_owned(),
            sequence: self.offering_sequence,
        }
    }
}

/// Encrypted material attached to an offering (e.g. provider credentials
/// for the customer). Stored apart from the offering and never returned by
/// a query. Contract state is public to anyone who reads raw storage, so it
/// must be encrypted before it is sent.
#[cw_serde]
pub struct EncryptedSecrets {
    /// The ciphertext envelope, at most 16 KiB.
    pub envelope: Binary,
    /// Key ids of the recipients able to decrypt it.
    pub recipient_key_ids: Vec<String>,
}
