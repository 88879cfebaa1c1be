use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Storage, Timestamp, Uint128};
use cw_storage_plus::{Index, IndexList, PrimaryKey};
use ve_cw::store::{IndexedMap, Item, Map, MultiIndex};
use ve_types::{EscrowState, UsageRecordState};

#[cw_serde]
pub struct FeeShare {
    pub name: String,
    pub recipient: Addr,
    pub bps: u16,
}

#[cw_serde]
pub struct Config {
    pub admin: Addr,
    pub arbiter: Addr,
    pub marketplace: Option<Addr>,
    pub hpc: Option<Addr>,
    pub callback_contract: Option<Addr>,
    pub fee_shares: Vec<FeeShare>,
    pub ack_window_seconds: u64,
}

/// A price per unit of one usage type (e.g. `cpu_hour` at 50 uvirt), in the
/// escrow's denom.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct UsageRate {
    pub usage_type: String,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub unit_price: Uint128,
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Escrow {
    pub customer: Addr,
    pub provider: Addr,
    pub denom: String,
    /// Everything ever paid in.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub deposited: Uint128,
    /// Everything paid out to the provider, fees excluded.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub paid_provider: Uint128,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub paid_fees: Uint128,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub refunded: Uint128,
    /// Cost of usage records recorded but not settled or rejected.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub reserved: Uint128,
    pub rates: Vec<UsageRate>,
    pub state: EscrowState,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub expires_at: Timestamp,
    /// When the allocation it pays for ended (terminated, rejected, failed)
    /// or its order was cancelled, as the marketplace reported it
    /// (`end_order_escrow`): no usage period ends after it, and once the
    /// acknowledgement window has passed since, the customer may take back
    /// what no usage record holds (`reclaim_unreserved`).
    #[serde(default, with = "ve_types::packed::opt_timestamp")]
    #[schemars(with = "Option<Timestamp>")]
    pub ended_at: Option<Timestamp>,
    /// The marketplace/hpc contract, or the customer for a direct deposit.
    pub created_by: Addr,
    pub unsettled_records: u32,
    pub disputed_records: u32,
    pub settlement_count: u64,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub created_at: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub updated_at: Timestamp,
}

impl Escrow {
    /// Funds this escrow still holds: deposits less everything paid out.
    pub fn balance(&self) -> StdResult<Uint128> {
        Ok(self
            .deposited
            .checked_sub(self.paid_provider)?
            .checked_sub(self.paid_fees)?
            .checked_sub(self.refunded)?)
    }

    pub fn rate(&self, usage_type: &str) -> Option<Uint128> {
        self.rates
            .iter()
            .find(|r| r.usage_type == usage_type)
            .map(|r| r.unit_price)
    }
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct UsageRecord {
    /// Its escrow is the allocation's (see [`UsageRecord::escrow_id`]).
    pub allocation_id: String,
    pub usage_type: String,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub units: Uint128,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub unit_price: Uint128,
    /// `unit_price x units`.
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub cost: Uint128,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub period_start: Timestamp,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub period_end: Timestamp,
    pub state: UsageRecordState,
    pub recorded_by: Addr,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub recorded_at: Timestamp,
    pub dispute_reason: Option<String>,
    /// The settlement that paid it.
    pub settlement: Option<u64>,
}

impl UsageRecord {
    /// The escrow the record belongs to, from its allocation: usage is
    /// recorded only for the escrow's own allocations (`order:c/1` takes
    /// `c/1/k`, `job:c/7` takes `c/7`), and IDs have one string form, so
    /// the escrow ID is not stored with every record (76 bytes of a
    /// 256-byte record, 30 gas a byte on each write).
    pub fn escrow_id(&self) -> String {
        escrow_id_of(&self.allocation_id)
    }
}

/// `c/1/k` -> `order:c/1`; `c/7` -> `job:c/7` (joined without `format!`,
/// whose machinery costs several times more VM gas).
pub fn escrow_id_of(allocation_id: &str) -> String {
    match allocation_id.rsplit_once('/') {
        Some((order, _)) if order.contains('/') => ["order:", order].concat(),
        _ => ["job:", allocation_id].concat(),
    }
}

#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct FeePayout {
    pub name: String,
    pub recipient: Addr,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub amount: Uint128,
}

/// One payout: `gross = provider_amount + sum(fees)`, exactly.
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct Settlement {
    pub escrow_id: String,
    pub sequence: u64,
    pub record_ids: Vec<u64>,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub gross: Uint128,
    pub fees: Vec<FeePayout>,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub provider_amount: Uint128,
    /// Returned to the customer by a final settlement, an expiry or a
    /// reclaim of the unreserved balance (`finalize` false while records
    /// are still unsettled).
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub refund: Uint128,
    pub finalize: bool,
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub settled_at: Timestamp,
}

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

/// Running totals of one usage type of one allocation (rejected records
/// excluded).
#[cw_serde]
// Mutes cw-schema's warning about serde(with), which it does not read.
#[schemaifier(mute_warnings)]
pub struct UsageSummary {
    pub usage_type: String,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub units: Uint128,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub cost: Uint128,
    #[serde(with = "ve_types::packed::uint128")]
    #[schemars(with = "Uint128")]
    pub settled_cost: Uint128,
    pub records: u64,
    /// End of the last recorded period (rejected ones included): the next
    /// period must start at or after it, so periods never overlap.
    #[serde(with = "ve_types::packed::timestamp")]
    #[schemars(with = "Timestamp")]
    pub last_period_end: Timestamp,
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

impl ve_cw::admin::AdminConfig for Config {
    fn admin(&self) -> &Addr {
        &self.admin
    }
    fn set_admin(&mut self, admin: Addr) {
        self.admin = admin;
    }
}

#[cfg(test)]
mod tests {
    use super::escrow_id_of;

    #[test]
    fn a_records_escrow_is_the_escrow_of_its_allocation() {
        assert_eq!(escrow_id_of("cosmwasm1cust/1/2"), "order:cosmwasm1cust/1");
        assert_eq!(escrow_id_of("cosmwasm1cust/12/1"), "order:cosmwasm1cust/12");
        assert_eq!(escrow_id_of("cosmwasm1cust/7"), "job:cosmwasm1cust/7");
    }
}
