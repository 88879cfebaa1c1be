//! The records settlement stores and its queries return. The storage
//! (maps, indexes) stays in the contract.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, StdResult, Timestamp, Uint128};
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
