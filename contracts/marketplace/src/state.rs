//! The marketplace's storage. The records it stores are the interface's
//! (`ve_interface::marketplace::state`), re-exported here.

use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::{Index, IndexList};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
use ve_types::{Category, OfferingState};

pub use ve_interface::marketplace::state::*;

pub const CONFIG: Item<Config> = Item::new("config");
/// Last offering sequence used per provider.
pub const OFFERING_SEQ: Map<&Addr, u64> = Map::new("offering_seq");
/// Last order sequence used per customer.
pub const ORDER_SEQ: Map<&Addr, u64> = Map::new("order_seq");
/// Offerings ingested from Waldur: (provider, Waldur UUID) -> sequence.
pub const WALDUR_OFFERINGS: Map<(&Addr, &str), u64> = Map::new("waldur_offerings");

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
