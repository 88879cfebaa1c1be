//! The marketplace's order flow as the portal drives it: a provider's
//! offering, a customer's order paid in full, the provider's bid and the
//! customer's acceptance, which makes the allocation. One implementation
//! for every harness: [`MarketOn`] runs it on a cw-multi-test `App`; a
//! harness that wraps one (the relayer's embedded chain, which keeps each
//! block's events) implements [`OrderFlow`] itself.

use std::collections::BTreeMap;

use cosmwasm_std::{coin, Addr, Coin, StdError, StdResult, Uint128};
use cw_multi_test::{App, Executor};
use marketplace::msg::ExecuteMsg;
use ve_types::{Category, OfferingFields, Pricing, PricingModel};

use crate::events::returned_data;
use crate::parties::DENOM;

/// An hourly compute offering named `name` at `base_price` [`DENOM`] per
/// unit-hour, with nothing else set.
pub fn hourly_offering(name: &str, base_price: u128) -> OfferingFields {
    OfferingFields::new(
        name,
        "",
        Category::Compute,
        Pricing::new(
            PricingModel::Hourly,
            DENOM,
            Uint128::new(base_price),
            vec![],
        ),
    )
}

/// `create_offering` of `offering`, without encrypted secrets.
pub fn create_offering_msg(offering: OfferingFields) -> ExecuteMsg {
    ExecuteMsg::CreateOffering {
        offering,
        encrypted_secrets: None,
    }
}

/// `create_order` of `quantity` units of `offering_id` at most
/// `max_bid_price` each, with no region, metadata or configuration.
pub fn create_order_msg(offering_id: &str, quantity: u32, max_bid_price: u128) -> ExecuteMsg {
    ExecuteMsg::CreateOrder {
        offering_id: offering_id.into(),
        quantity,
        max_bid_price: Uint128::new(max_bid_price),
        region: None,
        public_metadata: BTreeMap::new(),
        encrypted_config_ref: None,
    }
}

/// `place_bid` on `order_id` at `price` per unit, with the default TTL.
pub fn place_bid_msg(order_id: &str, price: u128) -> ExecuteMsg {
    ExecuteMsg::PlaceBid {
        order_id: order_id.into(),
        price: Uint128::new(price),
        ttl_seconds: None,
    }
}

/// What an order pays in full: `quantity` × `max_bid_price` [`DENOM`].
pub fn order_payment(quantity: u32, max_bid_price: u128) -> Vec<Coin> {
    vec![coin(max_bid_price * u128::from(quantity), DENOM)]
}

/// The terms of a matched order: `quantity` units at most `max_bid_price`
/// each (paid in full with the order), matched by a bid at `price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deal {
    pub quantity: u32,
    pub max_bid_price: u128,
    pub price: u128,
}

impl Deal {
    /// `quantity` units ordered and bid at `price` each.
    pub fn at(price: u128, quantity: u32) -> Self {
        Deal {
            quantity,
            max_bid_price: price,
            price,
        }
    }
}

/// The ids [`OrderFlow::offer_and_match`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    pub offering: String,
    pub order: String,
    pub allocation: String,
}

/// A marketplace contract reached through whatever runs its transactions.
/// Every step returns the id the execute created (its data).
pub trait OrderFlow {
    type Error;

    /// Executes `msg` on the marketplace as `sender`, sending `funds`, and
    /// returns the id it created.
    fn execute_for_id(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> Result<String, Self::Error>;

    /// `provider`'s new offering.
    fn create_offering(
        &mut self,
        provider: &Addr,
        offering: OfferingFields,
    ) -> Result<String, Self::Error> {
        self.execute_for_id(provider, &create_offering_msg(offering), &[])
    }

    /// `customer`'s order, paid in full ([`order_payment`]).
    fn create_order(
        &mut self,
        customer: &Addr,
        offering_id: &str,
        quantity: u32,
        max_bid_price: u128,
    ) -> Result<String, Self::Error> {
        self.execute_for_id(
            customer,
            &create_order_msg(offering_id, quantity, max_bid_price),
            &order_payment(quantity, max_bid_price),
        )
    }

    /// `provider`'s bid on `order_id`.
    fn place_bid(
        &mut self,
        provider: &Addr,
        order_id: &str,
        price: u128,
    ) -> Result<String, Self::Error> {
        self.execute_for_id(provider, &place_bid_msg(order_id, price), &[])
    }

    /// `customer` accepts `bid_id`; returns the allocation id.
    fn accept_bid(&mut self, customer: &Addr, bid_id: &str) -> Result<String, Self::Error> {
        let msg = ExecuteMsg::AcceptBid {
            bid_id: bid_id.into(),
        };
        self.execute_for_id(customer, &msg, &[])
    }

    /// `customer` orders `offering_id` on `deal`'s terms, `provider` bids
    /// and `customer` accepts: (order id, allocation id).
    fn match_order(
        &mut self,
        provider: &Addr,
        customer: &Addr,
        offering_id: &str,
        deal: Deal,
    ) -> Result<(String, String), Self::Error> {
        let order = self.create_order(customer, offering_id, deal.quantity, deal.max_bid_price)?;
        let bid = self.place_bid(provider, &order, deal.price)?;
        let allocation = self.accept_bid(customer, &bid)?;
        Ok((order, allocation))
    }

    /// `provider` offers `offering` and [`Self::match_order`] matches an
    /// order of `customer` on it. The order's escrow in settlement is
    /// `order:{order}`.
    fn offer_and_match(
        &mut self,
        provider: &Addr,
        customer: &Addr,
        offering: OfferingFields,
        deal: Deal,
    ) -> Result<Matched, Self::Error> {
        let offering = self.create_offering(provider, offering)?;
        let (order, allocation) = self.match_order(provider, customer, &offering, deal)?;
        Ok(Matched {
            offering,
            order,
            allocation,
        })
    }
}

/// The marketplace at `marketplace` on `app`.
pub struct MarketOn<'a> {
    pub app: &'a mut App,
    pub marketplace: &'a Addr,
}

impl<'a> MarketOn<'a> {
    pub fn new(app: &'a mut App, marketplace: &'a Addr) -> Self {
        MarketOn { app, marketplace }
    }
}

impl OrderFlow for MarketOn<'_> {
    type Error = StdError;

    fn execute_for_id(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: &[Coin],
    ) -> StdResult<String> {
        let res =
            self.app
                .execute_contract(sender.clone(), self.marketplace.clone(), msg, funds)?;
        returned_data(&res)
    }
}
