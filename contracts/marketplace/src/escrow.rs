//! Where an order's money lives. Without a settlement contract this contract
//! holds it (`Order::escrow`); with one, accepting a bid moves the accepted
//! amount into the settlement escrow `order:{order id}`, and later refunds
//! and top-ups go through settlement.

use cosmwasm_std::{
    to_json_binary, Coin, CosmosMsg, Env, Event, StdResult, SubMsg, Uint128, WasmMsg,
};
use ve_interface::settlement::msg::{ExecuteMsg as SettlementMsg, NewEscrow, UsageRate};

use crate::events;
use crate::funds;
use crate::state::{Bid, Config, Offering, Order};

/// Reply id of settlement refunds: a failed refund must not block the state
/// change that caused it (see `contract::reply`).
pub const REFUND_REPLY_ID: u64 = 1;
/// Reply id of reports of an escrow's end (`end_order_escrow`): a refused
/// report must not block the state change either.
pub const END_REPLY_ID: u64 = 2;

fn call(
    contract: &cosmwasm_std::Addr,
    msg: &SettlementMsg,
    funds: Vec<Coin>,
) -> StdResult<WasmMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds,
    })
}

/// The rate card of a matched order: the accepted price per billing unit of
/// the pricing model, and the offering's metered components.
pub fn rates(offering: &Offering, bid: &Bid) -> Vec<UsageRate> {
    let base = offering.pricing.model.waldur_measured_unit();
    let mut rates = vec![UsageRate {
        usage_type: base.to_string(),
        unit_price: bid.price,
    }];
    for c in &offering.pricing.components {
        if c.resource_type != base {
            rates.push(UsageRate {
                usage_type: c.resource_type.clone(),
                unit_price: c.price,
            });
        }
    }
    rates
}

/// Moves `amount` of a just-matched order into a new settlement escrow.
/// Returns `None` when no settlement contract is configured.
pub fn open(
    config: &Config,
    env: &Env,
    order: &mut Order,
    offering: &Offering,
    bid: &Bid,
    amount: Uint128,
) -> StdResult<Option<WasmMsg>> {
    let Some(settlement) = &config.settlement_contract else {
        return Ok(None);
    };
    let escrow_id = format!("order:{}", order.order_id());
    let msg = SettlementMsg::CreateEscrow(NewEscrow {
        escrow_id: escrow_id.clone(),
        customer: Some(order.customer.to_string()),
        provider: bid.provider.to_string(),
        rates: rates(offering, bid),
        expires_at: env.block.time.plus_seconds(config.escrow_expiry_seconds),
    });
    order.escrow = order.escrow.checked_sub(amount)?;
    order.settlement_escrow = Some(escrow_id);
    Ok(Some(call(
        settlement,
        &msg,
        vec![Coin::new(amount, &order.denom)],
    )?))
}

/// Adds funds to the order's escrow, wherever it lives.
pub fn top_up(config: &Config, order: &mut Order, amount: Uint128) -> StdResult<Option<WasmMsg>> {
    match (&order.settlement_escrow, &config.settlement_contract) {
        (Some(escrow_id), Some(settlement)) => {
            let msg = SettlementMsg::Deposit {
                escrow_id: escrow_id.clone(),
            };
            Ok(Some(call(
                settlement,
                &msg,
                vec![Coin::new(amount, &order.denom)],
            )?))
        }
        _ => {
            order.escrow = order.escrow.checked_add(amount)?;
            Ok(None)
        }
    }
}

/// Returns the whole escrow to the customer: a bank send of what this
/// contract holds, and a refund of the settlement escrow if there is one.
pub fn refund_all(config: &Config, order: &mut Order) -> StdResult<(Vec<SubMsg>, Vec<Event>)> {
    let mut msgs = Vec::new();
    let mut evs = Vec::new();
    let held = order.escrow;
    order.escrow = Uint128::zero();
    if let Some(send) = funds::send(&order.customer, held, &order.denom) {
        msgs.push(SubMsg::new(CosmosMsg::Bank(send)));
        evs.push(events::escrow_refunded(order, held));
    }
    if let (Some(escrow_id), Some(settlement)) =
        (&order.settlement_escrow, &config.settlement_contract)
    {
        let msg = SettlementMsg::RefundEscrow {
            escrow_id: escrow_id.clone(),
        };
        msgs.push(SubMsg::reply_on_error(
            call(settlement, &msg, vec![])?,
            REFUND_REPLY_ID,
        ));
        evs.push(
            Event::new("ve.settlement_refund_requested")
                .add_attribute("order_id", order.order_id().text())
                .add_attribute("escrow_id", escrow_id),
        );
    }
    Ok((msgs, evs))
}

/// Tells settlement that the order's escrow has ended: the order reached a
/// final state (terminated, failed or cancelled), i.e. its allocation did,
/// or it was cancelled. Settlement records the time (`ended_at`): no usage
/// period may end after it, and after the acknowledgement window the
/// customer can reclaim what no usage record holds. Nothing without a
/// settlement escrow. Sent before any refund, which closes the escrow.
pub fn end(config: &Config, order: &Order) -> StdResult<Option<(SubMsg, Event)>> {
    let (Some(escrow_id), Some(settlement)) =
        (&order.settlement_escrow, &config.settlement_contract)
    else {
        return Ok(None);
    };
    let msg = SettlementMsg::EndOrderEscrow {
        escrow_id: escrow_id.clone(),
    };
    Ok(Some((
        SubMsg::reply_on_error(call(settlement, &msg, vec![])?, END_REPLY_ID),
        Event::new("ve.settlement_end_requested")
            .add_attribute("order_id", order.order_id().text())
            .add_attribute("escrow_id", escrow_id),
    )))
}
