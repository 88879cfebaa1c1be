use std::collections::BTreeMap;

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;
pub use ve_types::OfferingFields;
use ve_types::{AllocationState, Category, OfferingState, Pricing};

pub use super::state::EncryptedSecrets;
use super::state::{Allocation, Bid, Offering, Order};

#[cw_serde]
pub struct InstantiateMsg {
    /// Admin (governance). Defaults to the instantiating account.
    pub admin: Option<String>,
    /// The waldur-callback contract, the only account that may report
    /// allocation states from Waldur. Can be set later with `update_config`.
    pub callback_contract: Option<String>,
    /// Bid lifetime when the provider gives none (default 86,400 s).
    pub default_bid_ttl_seconds: Option<u64>,
    /// Longest bid lifetime a provider may ask for (default 604,800 s).
    pub max_bid_ttl_seconds: Option<u64>,
    /// Most bids one order takes (default 20): bounds the work of accepting.
    pub max_bids_per_order: Option<u32>,
    /// The settlement contract. When set, accepting a bid moves the order's
    /// escrow there; without it this contract holds the escrow.
    pub settlement_contract: Option<String>,
    /// Lifetime of escrows opened in settlement (default 30 days).
    pub escrow_expiry_seconds: Option<u64>,
}

/// The fields of `update_offering`: the offering and the fields to replace;
/// `None` keeps the stored value.
#[cw_serde]
pub struct OfferingUpdate {
    pub offering_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub pricing: Option<Pricing>,
    pub regions: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub specifications: Option<BTreeMap<String, String>>,
    pub min_identity_score: Option<u8>,
    pub require_mfa_for_orders: Option<bool>,
    pub encrypted_secrets: Option<EncryptedSecrets>,
}

/// The fields of `update_config`: the fields to replace; `None` keeps
/// the stored value.
#[cw_serde]
pub struct ConfigUpdate {
    pub admin: Option<String>,
    pub callback_contract: Option<String>,
    pub default_bid_ttl_seconds: Option<u64>,
    pub max_bid_ttl_seconds: Option<u64>,
    pub max_bids_per_order: Option<u32>,
    pub settlement_contract: Option<String>,
    pub escrow_expiry_seconds: Option<u64>,
}

#[cw_serde]
pub enum ExecuteMsg {
    // ---- offerings (provider) ----
    /// Creates an active offering owned by the sender, with the next
    /// sequence of that provider.
    CreateOffering {
        offering: OfferingFields,
        encrypted_secrets: Option<EncryptedSecrets>,
    },
    /// Replaces the given fields; omitted fields keep their value.
    UpdateOffering(OfferingUpdate),
    /// Active -> paused (provider).
    PauseOffering {
        offering_id: String,
    },
    /// Paused -> active (provider); suspended -> active (admin only).
    ResumeOffering {
        offering_id: String,
    },
    /// -> deprecated: no new orders; running allocations go on (provider).
    DeprecateOffering {
        offering_id: String,
    },
    /// -> terminated, final (provider or admin). The reference calls this
    /// `MsgDeactivateOffering`.
    TerminateOffering {
        offering_id: String,
        reason: Option<String>,
    },
    /// -> suspended (admin: governance).
    SuspendOffering {
        offering_id: String,
        reason: String,
    },

    // ---- orders (customer) ----
    /// Opens an order; the funds sent must be exactly
    /// `max_bid_price x quantity` of the offering's denom and are held in
    /// escrow by this contract.
    CreateOrder {
        offering_id: String,
        quantity: u32,
        max_bid_price: Uint128,
        region: Option<String>,
        #[serde(default)]
        public_metadata: BTreeMap<String, String>,
        /// Pointer to the encrypted configuration (never the config itself).
        encrypted_config_ref: Option<String>,
    },
    /// Cancels an open order and refunds its escrow; open bids are rejected.
    CancelOrder {
        order_id: String,
    },

    // ---- bids ----
    /// The provider of the order's offering bids `price` per unit.
    PlaceBid {
        order_id: String,
        price: Uint128,
        ttl_seconds: Option<u64>,
    },
    WithdrawBid {
        bid_id: String,
    },
    /// The customer accepts a bid: an allocation is created, the other bids
    /// are rejected, the order is matched and the escrow above the accepted
    /// price is refunded.
    AcceptBid {
        bid_id: String,
    },

    // ---- allocations ----
    /// Customer or provider asks for termination (-> terminating); the
    /// provider reports `terminated` through the callback contract.
    TerminateAllocation {
        allocation_id: String,
        reason: Option<String>,
    },
    /// Customer changes the quantity of an active or suspended allocation.
    /// Growing it takes exactly `(new - old) x price` as funds.
    ResizeAllocation {
        allocation_id: String,
        quantity: u32,
    },
    /// Customer or provider: active -> suspended.
    PauseAllocation {
        allocation_id: String,
    },
    /// suspended -> active, by the party that paused it.
    ResumeAllocation {
        allocation_id: String,
    },
    /// A state reported from Waldur; only from the callback contract.
    ReportAllocationState {
        allocation_id: String,
        /// The provider whose signed callback this is (the callback
        /// contract verified the signature); the allocation must be theirs.
        provider: String,
        state: AllocationState,
        /// The Waldur resource UUID, once known.
        backend_id: Option<String>,
        reason: Option<String>,
    },

    /// An offering created or changed in the provider's Waldur; only from
    /// the callback contract. Creates the provider's offering bound to
    /// `waldur_id` the first time, replaces its fields afterwards.
    IngestOffering {
        provider: String,
        waldur_id: String,
        offering: OfferingFields,
        state: OfferingState,
    },

    // ---- admin ----
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

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(super::state::Config)]
    Config {},
    /// The proposed next admin, or null.
    #[returns(Option<crate::admin::PendingAdmin>)]
    PendingAdmin {},
    #[returns(OfferingResponse)]
    Offering { offering_id: String },
    /// All offerings, in ID order.
    #[returns(OfferingsResponse)]
    Offerings {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(OfferingsResponse)]
    OfferingsByProvider {
        provider: String,
        state: Option<OfferingState>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(OfferingsResponse)]
    OfferingsByCategory {
        category: Category,
        state: Option<OfferingState>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(OfferingsResponse)]
    OfferingsByState {
        state: OfferingState,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The offering's price, and the total for `quantity` units.
    #[returns(OfferingPriceResponse)]
    OfferingPrice {
        offering_id: String,
        quantity: Option<u32>,
    },
    #[returns(OrderResponse)]
    Order { order_id: String },
    #[returns(OrdersResponse)]
    OrdersByCustomer {
        customer: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Orders placed on an offering (what a provider bids on).
    #[returns(OrdersResponse)]
    OrdersByOffering {
        offering_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(BidResponse)]
    Bid { bid_id: String },
    /// `start_after` is a bid ID of the same order.
    #[returns(BidsResponse)]
    BidsByOrder {
        order_id: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(AllocationResponse)]
    Allocation { allocation_id: String },
    #[returns(AllocationsResponse)]
    AllocationsByCustomer {
        customer: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(AllocationsResponse)]
    AllocationsByProvider {
        provider: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct OfferingResponse {
    pub id: String,
    pub offering: Offering,
    /// Whether encrypted secrets are attached (their content is never
    /// returned).
    pub has_encrypted_secrets: bool,
}

#[cw_serde]
pub struct OfferingsResponse {
    pub offerings: Vec<OfferingResponse>,
}

#[cw_serde]
pub struct OfferingPriceResponse {
    pub offering_id: String,
    pub pricing: Pricing,
    pub quantity: u32,
    /// `base_price x quantity`.
    pub total: Uint128,
}

#[cw_serde]
pub struct OrderResponse {
    pub id: String,
    pub offering_id: String,
    pub order: Order,
}

#[cw_serde]
pub struct OrdersResponse {
    pub orders: Vec<OrderResponse>,
}

#[cw_serde]
pub struct BidResponse {
    pub id: String,
    pub order_id: String,
    /// The stored state, or `expired` for an open bid past its expiry.
    pub effective_state: ve_types::BidState,
    pub bid: Bid,
}

#[cw_serde]
pub struct BidsResponse {
    pub bids: Vec<BidResponse>,
}

#[cw_serde]
pub struct AllocationResponse {
    pub id: String,
    pub order_id: String,
    pub offering_id: String,
    pub allocation: Allocation,
}

#[cw_serde]
pub struct AllocationsResponse {
    pub allocations: Vec<AllocationResponse>,
}
