use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Binary, StdResult, Storage, Timestamp, Uint128};
use cw_storage_plus::{Index, IndexList};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
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

pub const CONFIG: Item<Config> = Item::new("config");
/// Last offering sequence used per provider.
pub const OFFERING_SEQ: Map<&Addr, u64> = Map::new("offering_seq");
/// Last order sequence used per customer.
pub const ORDER_SEQ: Map<&Addr, u64> = Map::new("order_seq");
/// Offerings ingested from Waldur: (provider, Waldur UUID) -> sequence.
pub const WALDUR_OFFERINGS: Map<(&Addr, &str), u64> = Map::new("waldur_offerings");

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

/// Kept apart from offerings so no offering query can ever return them.
pub const OFFERING_SECRETS: Map<OfferingKey, EncryptedSecrets> = Map::new("offering_secrets");

pub struct OfferingIndexes<'a> {
    pub provider_state: MultiIndex<'a, (Addr, u8), Offering, OfferingKey>,
    pub category: MultiIndex<'a, String, Offering, OfferingKey>,
    pub category_state: MultiIndex<'a, (String, u8), Offering, OfferingKey>,
    pub state: MultiIndex<'a, u8, Offering, OfferingKey>,
}

impl IndexList<Offering> for OfferingIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Offering>> + '_> {
        let v: Vec<&dyn Index<Offering>> = vec![
            &self.provider_state,
            &self.category,
            &self.category_state,
            &self.state,
        ];
        Box::new(v.into_iter())
    }
}

pub fn offerings<'a>() -> IndexedMap<OfferingKey, Offering, OfferingIndexes<'a>> {
    IndexedMap::new(
        "offerings",
        OfferingIndexes {
            provider_state: MultiIndex::new(
                |_, o: &Offering| (o.provider.clone(), o.state.code()),
                "offerings",
                "offerings__provider_state",
            ),
            category: MultiIndex::new(
                |_, o: &Offering| o.category.as_str().to_string(),
                "offerings",
                "offerings__category",
            ),
            category_state: MultiIndex::new(
                |_, o: &Offering| (o.category.as_str().to_string(), o.state.code()),
                "offerings",
                "offerings__category_state",
            ),
            state: MultiIndex::new(
                |_, o: &Offering| o.state.code(),
                "offerings",
                "offerings__state",
            ),
        },
    )
}

pub struct OrderIndexes<'a> {
    pub offering: MultiIndex<'a, (Addr, u64), Order, OrderKey>,
}

impl IndexList<Order> for OrderIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Order>> + '_> {
        let v: Vec<&dyn Index<Order>> = vec![&self.offering];
        Box::new(v.into_iter())
    }
}

pub fn orders<'a>() -> IndexedMap<OrderKey, Order, OrderIndexes<'a>> {
    IndexedMap::new(
        "orders",
        OrderIndexes {
            offering: MultiIndex::new(
                |_, o: &Order| (o.offering_provider.clone(), o.offering_sequence),
                "orders",
                "orders__offering",
            ),
        },
    )
}

/// Bids of an order are a prefix of the key; no index needed.
pub const BIDS: Map<BidKey, Bid> = Map::new("bids");

pub struct AllocationIndexes<'a> {
    pub provider: MultiIndex<'a, Addr, Allocation, AllocationKey>,
}

impl IndexList<Allocation> for AllocationIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Allocation>> + '_> {
        let v: Vec<&dyn Index<Allocation>> = vec![&self.provider];
        Box::new(v.into_iter())
    }
}

pub fn allocations<'a>() -> IndexedMap<AllocationKey, Allocation, AllocationIndexes<'a>> {
    IndexedMap::new(
        "allocations",
        AllocationIndexes {
            provider: MultiIndex::new(
                |_, a: &Allocation| a.provider.clone(),
                "allocations",
                "allocations__provider",
            ),
        },
    )
}

/// Stores a new offering (its key was never used) with its index entries.
pub fn insert_offering(storage: &mut dyn Storage, offering: &Offering) -> StdResult<()> {
    offerings().replace(storage, offering.key(), Some(offering), None)
}

/// Stores a changed offering that was stored with `old_state` and
/// `old_category` (the only indexed fields that can change): the index
/// entries are rewritten only when one of them changed. Otherwise, as for
/// orders and allocations below, the record goes to the primary map alone:
/// `IndexedMap::save` would load and decode the old record and rewrite
/// every index entry, which costs more gas than the write itself.
pub fn update_offering(
    storage: &mut dyn Storage,
    offering: &Offering,
    old_state: OfferingState,
    old_category: Category,
) -> StdResult<()> {
    if offering.state == old_state && offering.category == old_category {
        return offerings()
            .primary()
            .save(storage, offering.key(), offering);
    }
    // The index functions read provider, state and category only.
    let mut old = offering.clone();
    old.state = old_state;
    old.category = old_category;
    offerings().replace(storage, offering.key(), Some(offering), Some(&old))
}

/// Stores a new order with its index entry.
pub fn insert_order(storage: &mut dyn Storage, order: &Order) -> StdResult<()> {
    orders().replace(storage, order.key(), Some(order), None)
}

/// Stores a changed order. Its only index key (the offering) never
/// changes, so the index entry stays as it is.
pub fn update_order(storage: &mut dyn Storage, order: &Order) -> StdResult<()> {
    orders().primary().save(storage, order.key(), order)
}

/// Stores a new allocation with its index entry.
pub fn insert_allocation(storage: &mut dyn Storage, allocation: &Allocation) -> StdResult<()> {
    allocations().replace(storage, allocation.key(), Some(allocation), None)
}

/// Stores a changed allocation. Its only index key (the provider) never
/// changes, so the index entry stays as it is.
pub fn update_allocation(storage: &mut dyn Storage, allocation: &Allocation) -> StdResult<()> {
    allocations()
        .primary()
        .save(storage, allocation.key(), allocation)
}

impl ve_cw::admin::AdminConfig for Config {
    fn admin(&self) -> &Addr {
        &self.admin
    }
    fn set_admin(&mut self, admin: Addr) {
        self.admin = admin;
    }
}
