//! A stand-in for Waldur's own site agent (github waldur/waldur-site-agent),
//! for tests of a relayer that runs beside it on the same offering.
//!
//! What the real agent does, per `waldur_site_agent/common/processors.py`
//! (`OfferingOrderProcessor.process_offering` and `process_order`): it
//! lists the offering's orders in `pending-provider` or `executing`,
//! approves the pending-provider ones (`approve_by_provider`), carries out
//! Create, Update and Terminate orders on its backend and then calls
//! `set_state_done`, or `set_state_erred` with an `error_message` when the
//! backend failed. A Create gives the resource the backend's own id with
//! `set_backend_id` (`_create_resource`; for SLURM the account name), unless
//! the resource already has one (then it reuses it). The reporting
//! processor sends usage with `set_usage`. This stand-in does the same on
//! the emulator's store directly, through the same state rules as the API.

use std::sync::Mutex;

use crate::clock::now_iso;
use crate::ids::normalize_uuid;
use crate::model::{OrderKind, OrderState, ResourceState};
use crate::ops::{self, UsageItem};
use crate::roles::{Caller, Role};
use crate::rules::OrderAction;
use crate::shared::AppState;

/// What one pass of the agent did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPass {
    /// Orders the agent approved (pending-provider -> executing).
    pub approved: Vec<String>,
    /// Orders it finished (executing -> done).
    pub done: Vec<String>,
    /// Orders it failed (executing -> erred).
    pub erred: Vec<String>,
}

#[derive(Debug, Default)]
struct AgentScript {
    /// Backend accounts made so far: the next is `slurm-acct-<n + 1>`.
    accounts_made: u64,
    /// Terminate orders still to fail, and the backend's error message.
    failing_terminates: u32,
    terminate_error: String,
}

/// The site agent of one offering.
#[derive(Debug)]
pub struct SiteAgent {
    shared: AppState,
    offering_uuid: String,
    script: Mutex<AgentScript>,
}

impl SiteAgent {
    pub(crate) fn new(shared: AppState, offering_uuid: &str) -> Self {
        SiteAgent {
            shared,
            offering_uuid: normalize_uuid(offering_uuid),
            script: Mutex::new(AgentScript::default()),
        }
    }

    fn script(&self) -> std::sync::MutexGuard<'_, AgentScript> {
        self.script
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The backend fails the next `count` Terminate orders with `message`
    /// (the agent then calls `set_state_erred`; Waldur puts the resource
    /// back to OK, `marketplace/callbacks.py` `resource_deletion_failed`).
    pub fn fail_next_terminates(&self, count: u32, message: &str) {
        let mut script = self.script();
        script.failing_terminates = count;
        script.terminate_error = message.to_owned();
    }

    /// One polling pass of the agent's order processor: approves what waits
    /// for the provider, then finishes (or fails) what is executing, oldest
    /// first, as the real agent refreshes an order after approving it and
    /// processes it at once.
    pub fn process_orders(&self) -> AgentPass {
        let mut pass = AgentPass::default();
        // The agent's service account owns the provider's customer.
        let agent = Caller {
            username: "site-agent".into(),
            role: Role::Provider { staff: false },
        };
        let mut store = self.shared.store();
        let mut mine: Vec<(u64, String)> = store
            .orders
            .values()
            .filter(|o| o.offering_uuid == self.offering_uuid)
            .filter(|o| matches!(o.state, OrderState::PendingProvider | OrderState::Executing))
            .map(|o| (o.seq, o.uuid.clone()))
            .collect();
        mine.sort();
        for (_, uuid) in mine {
            let Some(order) = store.orders.get(&uuid) else {
                continue;
            };
            if order.state == OrderState::PendingProvider {
                if ops::apply_order_action(
                    &mut store,
                    &uuid,
                    OrderAction::ApproveByProvider,
                    &agent,
                )
                .is_err()
                {
                    continue;
                }
                pass.approved.push(uuid.clone());
            }
            let Some(order) = store.orders.get(&uuid) else {
                continue;
            };
            let (kind, resource_uuid) = (order.kind, order.resource_uuid.clone());
            if kind == OrderKind::Terminate {
                let mut script = self.script();
                if script.failing_terminates > 0 {
                    script.failing_terminates -= 1;
                    let message = script.terminate_error.clone();
                    drop(script);
                    if ops::apply_order_action(
                        &mut store,
                        &uuid,
                        OrderAction::SetStateErred,
                        &agent,
                    )
                    .is_ok()
                    {
                        if let Some(order) = store.orders.get_mut(&uuid) {
                            order.error_message = message.clone();
                        }
                        if let Some(resource) = store.resources.get_mut(&resource_uuid) {
                            resource.error_message = message;
                        }
                        pass.erred.push(uuid);
                    }
                    continue;
                }
            }
            if matches!(kind, OrderKind::Create | OrderKind::Restore) {
                // The backend's own id, unless the resource has one already
                // (the agent then reuses it: `_process_create_order`).
                let needs_id = store
                    .resources
                    .get(&resource_uuid)
                    .is_some_and(|r| r.backend_id.is_empty());
                if needs_id {
                    let account = {
                        let mut script = self.script();
                        script.accounts_made = script.accounts_made.saturating_add(1);
                        format!("slurm-acct-{}", script.accounts_made)
                    };
                    if let Some(resource) = store.resources.get_mut(&resource_uuid) {
                        resource.backend_id = account;
                        resource.modified = now_iso();
                    }
                }
            }
            if ops::apply_order_action(&mut store, &uuid, OrderAction::SetStateDone, &agent).is_ok()
            {
                pass.done.push(uuid);
            }
        }
        pass
    }

    /// The reporting processor: sets the month-to-date `amount` of
    /// `component_type` on every resource of the offering that has a
    /// backend id and accepts usage. Returns how many it reported.
    pub fn report_usage(&self, component_type: &str, amount: &str) -> usize {
        let Some(hundredths) = crate::model::parse_hundredths(amount) else {
            return 0;
        };
        let mut store = self.shared.store();
        let resources: Vec<String> = store
            .resources
            .values()
            .filter(|r| r.offering_uuid == self.offering_uuid && !r.backend_id.is_empty())
            .filter(|r| r.state == ResourceState::Ok)
            .map(|r| r.uuid.clone())
            .collect();
        let item = UsageItem {
            component_type: component_type.to_owned(),
            hundredths,
            description: String::new(),
            recurring: false,
        };
        resources
            .iter()
            .filter(|uuid| {
                ops::set_usage(&mut store, uuid, None, std::slice::from_ref(&item), None).is_ok()
            })
            .count()
    }
}
