use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Timestamp, Uint128};
use ve_types::{EscrowState, UsageRecordState};

pub use super::state::UsageRate;
use super::state::{Escrow, Settlement, UsageRecord, UsageSummary};

/// The largest usage record ID. Record IDs are JSON numbers in messages
/// and answers, so they stay within the integers a JavaScript number holds
/// exactly (2^53 - 1): a client reading them never rounds one.
pub const MAX_RECORD_ID: u64 = (1 << 53) - 1;

/// A share of every settled amount, in basis points (1/100 of a percent).
#[cw_serde]
pub struct FeeShareInput {
    /// A short label, e.g. `platform`.
    pub name: String,
    pub recipient: String,
    pub bps: u16,
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Defaults to the sender.
    pub admin: Option<String>,
    /// Decides disputes.
    pub arbiter: String,
    /// The marketplace contract: creates, tops up, settles and refunds order
    /// escrows.
    pub marketplace: Option<String>,
    /// The hpc contract: the same for job escrows.
    pub hpc: Option<String>,
    /// The waldur-callback contract: may record usage for a provider.
    pub callback_contract: Option<String>,
    /// Fees taken from each settled amount; at most 10,000 bps in total.
    /// The provider receives the rest, rounding dust included.
    #[serde(default)]
    pub fee_shares: Vec<FeeShareInput>,
    /// Seconds after which a usage record the customer neither acknowledged
    /// nor disputed may be settled (default 86,400).
    pub ack_window_seconds: Option<u64>,
}

/// The fields of `create_escrow`.
#[cw_serde]
pub struct NewEscrow {
    /// `order:{order id}` or `job:{job id}`.
    pub escrow_id: String,
    pub customer: Option<String>,
    pub provider: String,
    pub rates: Vec<UsageRate>,
    pub expires_at: Timestamp,
}

/// The fields of `record_usage`.
#[cw_serde]
pub struct NewUsage {
    pub escrow_id: String,
    /// The allocation or job the usage belongs to.
    pub allocation_id: String,
    /// The provider whose signed callback this is: required from the
    /// callback contract (which verified the signature), and the escrow
    /// must be theirs; the provider or the creating contract may leave
    /// it out.
    pub provider: Option<String>,
    pub usage_type: String,
    pub units: Uint128,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
}

/// The fields of `update_config`: the fields to replace; `None` keeps
/// the stored value.
#[cw_serde]
pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub arbiter: Option<String>,
    pub marketplace: Option<String>,
    pub hpc: Option<String>,
    pub callback_contract: Option<String>,
    pub fee_shares: Option<Vec<FeeShareInput>>,
    pub ack_window_seconds: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Opens the escrow of an order or job with the attached funds (one
    /// coin). From the marketplace/hpc contract the escrow is active at once
    /// and `customer` names the payer; a customer depositing directly opens
    /// a pending escrow for one of its own orders or jobs, which the provider
    /// activates.
    CreateEscrow(NewEscrow),
    /// Adds the attached funds (customer or the creating contract).
    Deposit { escrow_id: String },
    /// Pending -> active (provider or the creating contract).
    ActivateEscrow { escrow_id: String },
    /// Records usage of one allocation (or job) for one period: provider of
    /// the escrow, the creating contract, or the callback contract.
    RecordUsage(NewUsage),
    /// The customer accepts records (at most 100 per message).
    AcknowledgeUsage { record_ids: Vec<u64> },
    /// The customer disputes a record: the escrow's payouts are held until
    /// the arbiter resolves it.
    DisputeUsage { record_id: u64, reason: String },
    /// The arbiter upholds (-> acknowledged) or rejects records in dispute.
    ResolveDispute {
        escrow_id: String,
        upheld: Vec<u64>,
        rejected: Vec<u64>,
    },
    /// Pays the provider (minus fees) for settleable records: the listed
    /// ones, or all of them when `record_ids` is omitted (at most 100 per
    /// message). With `finalize`, also refunds what is left to the customer
    /// and closes the escrow (provider or the creating contract only).
    Settle {
        escrow_id: String,
        record_ids: Option<Vec<u64>>,
        finalize: bool,
    },
    /// Returns the whole balance to the customer and closes the escrow: the
    /// provider or the creating contract, and only with no unsettled usage.
    RefundEscrow { escrow_id: String },
    /// Anyone, once the escrow is past `expires_at`: settles what may be
    /// settled, refunds the rest, closes the escrow.
    ExpireEscrow { escrow_id: String },
    /// The marketplace only, for an order escrow it opened: the order's
    /// allocation reached a final state (terminated, rejected, failed) or
    /// the order was cancelled. Records `ended_at` (now) on the escrow: no
    /// usage period may end after it. A second report keeps the first end.
    EndOrderEscrow { escrow_id: String },
    /// The customer, once the escrow has ended (`ended_at`) and the
    /// acknowledgement window has passed since: returns the balance no usage
    /// record holds (`balance - reserved`). Records still unsettled settle
    /// or are rejected as usual; with none left the escrow is closed
    /// (-> refunded).
    ReclaimUnreserved { escrow_id: String },
    /// Admin: proposes `new_admin` as the next admin (replacing an earlier
    /// proposal), to be accepted before `expiry` when given. The admin
    /// changes only when the proposed account accepts (`accept_admin`).
    ProposeAdmin {
        new_admin: String,
        expiry: Option<crate::admin::Expiration>,
    },
    /// The proposed admin: becomes the admin; the proposal is cleared.
    AcceptAdmin {},
    /// Admin: withdraws the pending proposal.
    CancelAdminTransfer {},
    /// Admin. Its `admin` field replaces the admin in one step, unchecked
    /// by the new account; `propose_admin`/`accept_admin` is the safe path.
    UpdateConfig(ConfigUpdate),
}

#[cw_serde]
pub struct MigrateMsg {}

/// Which side of an escrow a party is on.
#[cw_serde]
#[derive(Copy)]
pub enum PartyRole {
    Customer,
    Provider,
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(super::state::Config)]
    Config {},
    /// The proposed next admin, or null.
    #[returns(Option<crate::admin::PendingAdmin>)]
    PendingAdmin {},
    #[returns(EscrowResponse)]
    Escrow { escrow_id: String },
    #[returns(EscrowsResponse)]
    EscrowsByParty {
        party: String,
        role: PartyRole,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(EscrowsResponse)]
    EscrowsByState {
        state: EscrowState,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(UsageRecordResponse)]
    UsageRecord { record_id: u64 },
    /// The usage records of an escrow (an order's or a job's).
    #[returns(UsageRecordsResponse)]
    UsageRecordsByEscrow {
        escrow_id: String,
        state: Option<UsageRecordState>,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(UsageRecordsResponse)]
    UsageRecordsByAllocation {
        allocation_id: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Totals per usage type of one allocation (or job).
    #[returns(UsageSummaryResponse)]
    UsageSummary { allocation_id: String },
    #[returns(SettlementsResponse)]
    Settlements {
        escrow_id: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct EscrowResponse {
    pub id: String,
    /// `deposited - paid_provider - paid_fees - refunded`.
    pub balance: Uint128,
    /// Part of the balance owed to usage records not settled yet.
    pub reserved: Uint128,
    pub escrow: Escrow,
}

#[cw_serde]
pub struct EscrowsResponse {
    pub escrows: Vec<EscrowResponse>,
}

#[cw_serde]
pub struct UsageRecordResponse {
    pub id: u64,
    /// The escrow of the record's allocation.
    pub escrow_id: String,
    pub record: UsageRecord,
}

#[cw_serde]
pub struct UsageRecordsResponse {
    pub records: Vec<UsageRecordResponse>,
}

#[cw_serde]
pub struct UsageSummaryResponse {
    pub allocation_id: String,
    pub usage: Vec<UsageSummary>,
}

#[cw_serde]
pub struct SettlementsResponse {
    pub settlements: Vec<Settlement>,
}
