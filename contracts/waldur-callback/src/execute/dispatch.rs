//! Turns a verified callback into the execute of the contract that owns the
//! entity. The execute names the signing provider, and that contract, which
//! holds the entity anyway, refuses it unless the entity is the provider's:
//! no query to it first (on wasmd a query between contracts pays the
//! instance cost, 60,000 gas, as an execute does).

use cosmwasm_std::{from_json, to_json_binary, Addr, Timestamp, WasmMsg};
use serde::de::DeserializeOwned;
use ve_interface::{hpc, marketplace, settlement};
use ve_types::callback::{
    AllocationStatePayload, JobStatusPayload, OfferingIngestPayload, UsagePayload,
};
use ve_types::{ActionType, AllocationId};

use crate::error::ContractError;
use crate::msg::SignedCallback;
use crate::state::Config;

fn payload<T: DeserializeOwned>(cb: &SignedCallback) -> Result<T, ContractError> {
    from_json(&cb.payload).map_err(|e| {
        ContractError::invalid(
            "payload",
            format!("not a valid {} payload: {e}", cb.action_type.as_str()),
        )
    })
}

fn target(addr: &Option<Addr>, name: &'static str) -> Result<Addr, ContractError> {
    addr.clone().ok_or(ContractError::TargetNotConfigured(name))
}

fn execute<M: serde::Serialize>(contract: &Addr, msg: &M) -> Result<WasmMsg, ContractError> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    })
}

/// The execute that applies the callback.
pub fn dispatch(
    config: &Config,
    provider: &Addr,
    cb: &SignedCallback,
) -> Result<WasmMsg, ContractError> {
    match cb.action_type {
        ActionType::Provision | ActionType::Terminate | ActionType::StatusUpdate => {
            let p: AllocationStatePayload = payload(cb)?;
            if !cb.action_type.allows_allocation_state(p.state) {
                return Err(ContractError::invalid(
                    "payload.state",
                    format!(
                        "a {} callback cannot report {}",
                        cb.action_type.as_str(),
                        p.state
                    ),
                ));
            }
            let marketplace = target(&config.marketplace, "marketplace")?;
            // A provision callback names the Waldur resource it created.
            let backend_id = p.backend_id.or_else(|| {
                (cb.action_type == ActionType::Provision).then(|| cb.waldur_id.clone())
            });
            execute(
                &marketplace,
                &marketplace::msg::ExecuteMsg::ReportAllocationState {
                    allocation_id: cb.entity_id.clone(),
                    provider: provider.to_string(),
                    state: p.state,
                    backend_id,
                    reason: p.reason,
                },
            )
        }
        ActionType::UsageReport => {
            let p: UsagePayload = payload(cb)?;
            let settlement = target(&config.settlement, "settlement")?;
            let order = cb.entity_id.parse::<AllocationId>()?.order_id();
            execute(
                &settlement,
                &settlement::msg::ExecuteMsg::RecordUsage(settlement::msg::NewUsage {
                    escrow_id: format!("order:{order}"),
                    allocation_id: cb.entity_id.clone(),
                    provider: Some(provider.to_string()),
                    usage_type: p.usage_type,
                    units: p.units,
                    period_start: Timestamp::from_seconds(p.period_start),
                    period_end: Timestamp::from_seconds(p.period_end),
                }),
            )
        }
        ActionType::JobStatus => {
            let p: JobStatusPayload = payload(cb)?;
            let hpc = target(&config.hpc, "hpc")?;
            execute(
                &hpc,
                &hpc::msg::ExecuteMsg::ReportJobStatus {
                    job_id: cb.entity_id.clone(),
                    provider: Some(provider.to_string()),
                    state: p.state,
                    exit_code: p.exit_code,
                    node_seconds_used: p.node_seconds_used,
                    reason: p.reason,
                },
            )
        }
        ActionType::OfferingIngest => {
            let p: OfferingIngestPayload = payload(cb)?;
            let marketplace = target(&config.marketplace, "marketplace")?;
            // The entity is the provider's own Waldur offering.
            if cb.entity_id != cb.waldur_id {
                return Err(ContractError::invalid(
                    "entity_id",
                    "an offering ingest names the Waldur offering UUID as both waldur_id and entity_id",
                ));
            }
            execute(
                &marketplace,
                &marketplace::msg::ExecuteMsg::IngestOffering {
                    provider: provider.to_string(),
                    waldur_id: cb.entity_id.clone(),
                    offering: p.offering,
                    state: p.state,
                },
            )
        }
    }
}
