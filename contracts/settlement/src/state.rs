//! Settlement's storage. The records it stores are the interface's
//! (`ve_interface::settlement::state`), re-exported here, but for the fee
//! tally, which no message shows.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage, Uint128};
use cw_storage_plus::{Index, IndexList, PrimaryKey};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
use ve_types::{EscrowState, UsageRecordState};

pub use ve_interface::settlement::state::*;

/// The fees an escrow's settlements have charged, so that fees follow the
/// escrow's cumulative gross: after each settlement a fee share has charged
/// `floor(gross x bps / 10,000)` of all the gross settled under the fee
/// schedule (`bps`, in `Config::fee_shares` order) in force, whatever the
/// number of settlements it took. A changed schedule starts a new tally.
/// Kept apart from the escrow, which every usage record rewrites.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct FeeTally {
    /// The schedule the tally is for: each fee share's bps, in order.
    pub bps: Vec<u16>,
    /// Gross settled under it.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub gross: Uint128,
    /// Charged per fee share, in the same order (integers, packed as such).
    pub charged: Vec<u128>,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const RECORD_SEQ: Item<u64> = Item::new("record_seq");

pub struct EscrowIndexes<'a> {
    pub customer: MultiIndex<'a, Addr, Escrow, String>,
    pub provider: MultiIndex<'a, Addr, Escrow, String>,
    pub state: MultiIndex<'a, u8, Escrow, String>,
}

impl IndexList<Escrow> for EscrowIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<Escrow>> + '_> {
        let v: Vec<&dyn Index<Escrow>> = vec![&self.customer, &self.provider, &self.state];
        Box::new(v.into_iter())
    }
}

/// Escrows keyed by their ID string (`order:…` / `job:…`).
pub fn escrows<'a>() -> IndexedMap<String, Escrow, EscrowIndexes<'a>> {
    IndexedMap::new(
        "escrows",
        EscrowIndexes {
            customer: MultiIndex::new(|_, e| e.customer.clone(), "escrows", "escrows__customer"),
            provider: MultiIndex::new(|_, e| e.provider.clone(), "escrows", "escrows__provider"),
            state: MultiIndex::new(|_, e| e.state.code(), "escrows", "escrows__state"),
        },
    )
}

pub struct RecordIndexes<'a> {
    pub escrow_state: MultiIndex<'a, (String, u8), UsageRecord, u64>,
    pub escrow: MultiIndex<'a, String, UsageRecord, u64>,
    pub allocation: MultiIndex<'a, String, UsageRecord, u64>,
}

impl IndexList<UsageRecord> for RecordIndexes<'_> {
    fn get_indexes(&'_ self) -> Box<dyn Iterator<Item = &'_ dyn Index<UsageRecord>> + '_> {
        let v: Vec<&dyn Index<UsageRecord>> =
            vec![&self.escrow_state, &self.escrow, &self.allocation];
        Box::new(v.into_iter())
    }
}

pub fn records<'a>() -> IndexedMap<u64, UsageRecord, RecordIndexes<'a>> {
    IndexedMap::new(
        "records",
        RecordIndexes {
            escrow_state: MultiIndex::new(
                |_, r| (r.escrow_id(), r.state.code()),
                "records",
                "records__escrow_state",
            ),
            escrow: MultiIndex::new(|_, r| r.escrow_id(), "records", "records__escrow"),
            allocation: MultiIndex::new(
                |_, r| r.allocation_id.clone(),
                "records",
                "records__allocation",
            ),
        },
    )
}

/// Totals and the last period's end per (allocation, usage type); an
/// allocation's records all belong to one escrow.
pub const SUMMARIES: Map<(&str, &str), UsageSummary> = Map::new("summaries");
/// Fees charged per escrow (see [`FeeTally`]).
pub const FEE_TALLIES: Map<&str, FeeTally> = Map::new("fee_tallies");
/// Settlements per escrow, in order.
pub const SETTLEMENTS: Map<(&str, u64), Settlement> = Map::new("settlements");

/// Stores a new escrow (its id was never used) with its index entries.
pub fn insert_escrow(storage: &mut dyn Storage, key: &str, escrow: &Escrow) -> StdResult<()> {
    escrows().replace(storage, key.to_string(), Some(escrow), None)
}

/// Stores a changed escrow that was stored with `old_state`. Customer and
/// provider never change; the state index entry moves when the state did.
/// The escrow goes to the primary map alone (`IndexedMap::save` would load
/// and decode the old escrow and rewrite every index entry, which costs
/// more gas than the write); `update_record` works the same way.
pub fn update_escrow(
    storage: &mut dyn Storage,
    key: &str,
    escrow: &Escrow,
    old_state: EscrowState,
) -> StdResult<()> {
    if escrow.state != old_state {
        let pk = key.to_string().joined_key();
        // The state index reads the state only.
        escrows()
            .idx
            .state
            .move_entry(storage, &pk, old_state.code(), escrow.state.code())?;
    }
    escrows().primary().save(storage, key.to_string(), escrow)
}

/// Stores a new usage record with its index entries.
pub fn insert_record(storage: &mut dyn Storage, id: u64, record: &UsageRecord) -> StdResult<()> {
    records().replace(storage, id, Some(record), None)
}

/// Stores a changed usage record that was stored with `old_state`. Its
/// escrow and allocation never change; the (escrow, state) index entry
/// moves when the state did.
pub fn update_record(
    storage: &mut dyn Storage,
    id: u64,
    record: &UsageRecord,
    old_state: UsageRecordState,
) -> StdResult<()> {
    if record.state != old_state {
        let pk = id.joined_key();
        let escrow_id = record.escrow_id();
        records().idx.escrow_state.move_entry(
            storage,
            &pk,
            (escrow_id.clone(), old_state.code()),
            (escrow_id, record.state.code()),
        )?;
    }
    records().primary().save(storage, id, record)
}
