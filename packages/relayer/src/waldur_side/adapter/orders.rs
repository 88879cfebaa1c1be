//! The adapter's order writes. The engine calls a port method again after
//! any failure, including one where Waldur did the work before the answer
//! was lost, so each step here is safe to repeat:
//!
//! - **Create.** Waldur has no idempotency key, and the client does not
//!   resend an order create after a failure that may hide a created order
//!   (timeout, connection lost after sending, 5xx). Before creating, the
//!   adapter looks for the Create order an earlier attempt may have made:
//!   the project's Create orders whose `attributes.ve_allocation_id` is
//!   the allocation. Waldur's order filters have no attribute filter;
//!   `query` narrows the listing to orders whose `attributes.name` (the
//!   allocation id) contains it (waldur-mastermind
//!   `marketplace/filters.py`, `OrderFilter`). The offering is not a
//!   filter: a chain offering re-mapped to another Waldur offering
//!   between two attempts must not hide the first attempt's order. Waldur
//!   keeps order attributes as sent and returns them, minus the offering
//!   type's secret keys (`marketplace/models.py`, `safe_attributes`).
//! - **Finding the resource.** The resource is the Create order's
//!   `marketplace_resource_uuid`; the relayer keeps it in its database and,
//!   after losing that, finds it again through the order (above). It never
//!   writes the resource's `backend_id`: the provider's site agent owns it
//!   (waldur-site-agent `common/processors.py`,
//!   `OfferingOrderProcessor._create_resource` sets it to the backend's id
//!   with `set_backend_id`, and `_process_create_order` takes a non-empty
//!   one as the backend id of an existing backend resource, so a relayer
//!   writing it first would make the agent look for an account named
//!   after the allocation).
//! - **Approve.** `OrderViewSet.approve_by_provider_validators` in
//!   `marketplace/views.py` holds `StateValidator(PENDING_PROVIDER)`: any
//!   other state gives 409 `Valid states for operation: pending-provider.`
//!   (`waldur_core/core/validators.py`, `IncorrectStateException`). The
//!   order is read back: executing or done means an earlier attempt
//!   approved it; pending-consumer, pending-project, pending-start-date
//!   are states to wait on ([`WaldurError::Conflict`]); erred, rejected
//!   and canceled ended it, and the order poll tells the chain. The site
//!   agent approves pending-provider orders of its offering too
//!   (`OfferingOrderProcessor.process_order`): when it is first, the
//!   relayer's approve is this 409 and the read-back finds the order
//!   executing or done, a success.
//! - **Terminate.** `ResourceViewSet.terminate_validators` is
//!   `StateValidator(OK, Erred)` (409 `Valid states for operation: OK,
//!   Erred.`); then `create_resource_order` runs `validate_order`
//!   (`marketplace/serializers.py`), which refuses a resource with an
//!   order pending-consumer, pending-provider or executing with **400**
//!   `["Pending order for resource already exists."]`. Both are read
//!   back: a resource Terminating or Terminated, or an open Terminate
//!   order (an earlier attempt's, approved here if it waits), is done; a
//!   Create or Update order in progress, or a resource still Creating or
//!   Updating, is a conflict to wait on.
//! - **Terminate, erred.** The site agent fails a Terminate order with
//!   `set_state_erred` when its backend fails (waldur-site-agent
//!   `OfferingOrderProcessor.process_order`); Waldur then puts the
//!   resource back to OK (`marketplace/callbacks.py`,
//!   `resource_deletion_failed`). The relayer reports the allocation
//!   failed; a terminate request read again after a lost database finds
//!   that erred order (`WaldurAdapter::terminate`) and makes no second.

use serde_json::Value;
use waldur::{Order, OrderCreateRequest, OrderFilter, OrderState, OrderType, ResourceState};

use super::{api, WaldurAdapter};
use crate::waldur_side::port::{ProvisionedOrder, WaldurError};

/// The order (and resource) attribute naming the allocation it was made
/// for.
pub(super) const ALLOCATION_ATTRIBUTE: &str = "ve_allocation_id";

/// What reading an order back says about approving it.
#[derive(Debug, PartialEq, Eq)]
enum Approval {
    /// Waiting for the provider: approve it now.
    Needed,
    /// Approved earlier (executing, done), or ended without it (erred,
    /// rejected, canceled): nothing left for the provider to do.
    Settled,
    /// Waiting for someone else first (the consumer, the project's start):
    /// try again later.
    NotYet,
}

fn approval_of(state: Option<&OrderState>) -> Approval {
    match state {
        Some(OrderState::PendingProvider) => Approval::Needed,
        Some(
            OrderState::Executing
            | OrderState::Done
            | OrderState::Erred
            | OrderState::Rejected
            | OrderState::Canceled,
        ) => Approval::Settled,
        // A state this client does not know is not taken as done.
        _ => Approval::NotYet,
    }
}

fn made_for(order: &Order, allocation_id: &str) -> bool {
    order
        .attributes
        .get(ALLOCATION_ATTRIBUTE)
        .and_then(Value::as_str)
        == Some(allocation_id)
}

impl WaldurAdapter {
    /// Creates the allocation's order, or adopts the one an earlier attempt
    /// made, then binds its resource and approves it.
    pub(super) async fn provision_once(
        &mut self,
        allocation_id: &str,
        offering_id: &str,
        quantity: u32,
    ) -> Result<ProvisionedOrder, WaldurError> {
        let tracked = self
            .tracked
            .get(allocation_id)
            .map(|t| t.resource_uuid.clone());
        let earlier = match &tracked {
            Some(resource_uuid) => self.create_order_of_resource(resource_uuid).await?,
            None => self.find_create_order(allocation_id).await?,
        };
        let order = match (earlier, &tracked) {
            (Some(order), _) => order,
            // Bound earlier, but Waldur shows no Create order for it
            // (removed by hand): nothing left to approve.
            (None, Some(resource_uuid)) => {
                return Ok(ProvisionedOrder {
                    order_uuid: String::from("(none in Waldur)"),
                    resource_uuid: resource_uuid.clone(),
                })
            }
            (None, None) => {
                self.create_order(allocation_id, offering_id, quantity)
                    .await?
            }
        };
        let order_uuid = order
            .uuid
            .clone()
            .ok_or_else(|| WaldurError::Api("Waldur gave an order without a uuid".into()))?;
        let resource_uuid = match (&tracked, &order.marketplace_resource_uuid) {
            (Some(resource), _) => resource.clone(),
            (None, Some(resource)) => resource.clone(),
            (None, None) => self
                .client
                .get_order(&order_uuid)
                .await
                .map_err(api)?
                .marketplace_resource_uuid
                .ok_or_else(|| WaldurError::Api(format!("order {order_uuid} has no resource")))?,
        };
        if tracked.is_none() {
            // Tracked first, approved second: a retry after a failure in
            // between knows the resource and only approves.
            self.track(allocation_id, &resource_uuid)?;
        }
        // Followed to done or erred, whoever approves it.
        self.watch_order(
            &order_uuid,
            allocation_id,
            &resource_uuid,
            super::WatchedKind::Create,
        )?;
        self.approve(&order_uuid, order.state.as_ref()).await?;
        Ok(ProvisionedOrder {
            order_uuid,
            resource_uuid,
        })
    }

    /// Creates the order on the offering's public link, with its plan,
    /// the quantity as the only limit (if the offering has the `limit`
    /// component for it) and the terms accepted where required and
    /// configured (`waldur_adapter/offerings.rs`).
    async fn create_order(
        &mut self,
        allocation_id: &str,
        offering_id: &str,
        quantity: u32,
    ) -> Result<Order, WaldurError> {
        let mapped = self
            .offerings
            .get(offering_id)
            .cloned()
            .ok_or_else(|| WaldurError::UnmappedOffering(offering_id.to_string()))?;
        let offering = self.orderable(&mapped).await?;
        let plan = self.plan_for_order(&offering)?;
        let accepting_terms = self.accept_terms(&offering).await?;
        let mut request = OrderCreateRequest::new(offering.url.clone(), self.project_url.clone());
        request.plan = plan;
        request.attributes = Some(serde_json::json!({
            "name": allocation_id,
            ALLOCATION_ATTRIBUTE: allocation_id,
        }));
        request.limits = offering.quantity_limits(&self.quantity_component, quantity);
        request.accepting_terms_of_service = accepting_terms;
        self.client.create_order(&request).await.map_err(api)
    }

    /// The Create order made for the allocation, if any: the oldest, should
    /// an older relayer have left a duplicate.
    pub(super) async fn find_create_order(
        &self,
        allocation_id: &str,
    ) -> Result<Option<Order>, WaldurError> {
        let filter = OrderFilter {
            project_uuid: self.project_uuid(),
            types: vec![OrderType::Create],
            query: Some(allocation_id.to_string()),
            ..OrderFilter::default()
        };
        let mut mine: Vec<Order> = self
            .client
            .list_orders(&filter)
            .await
            .map_err(api)?
            .into_iter()
            .filter(|order| made_for(order, allocation_id))
            .collect();
        mine.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(mine.into_iter().next())
    }

    async fn create_order_of_resource(
        &self,
        resource_uuid: &str,
    ) -> Result<Option<Order>, WaldurError> {
        let filter = OrderFilter {
            resource_uuid: Some(resource_uuid.to_string()),
            types: vec![OrderType::Create],
            ..OrderFilter::default()
        };
        let mut orders = self.client.list_orders(&filter).await.map_err(api)?;
        orders.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(orders.into_iter().next())
    }

    /// Approves the order as the provider unless `known` (its state as
    /// last read) shows there is nothing to approve; a 409 is read back.
    async fn approve(
        &self,
        order_uuid: &str,
        known: Option<&OrderState>,
    ) -> Result<(), WaldurError> {
        match known.map(|state| approval_of(Some(state))) {
            Some(Approval::Settled) => return Ok(()),
            Some(Approval::NotYet) => return Err(not_yet(order_uuid, known)),
            Some(Approval::Needed) | None => {}
        }
        match self
            .client
            .approve_order_by_provider(order_uuid, None)
            .await
        {
            Ok(_) => Ok(()),
            Err(waldur::Error::Conflict { detail }) => {
                let order = self.client.get_order(order_uuid).await.map_err(api)?;
                match approval_of(order.state.as_ref()) {
                    Approval::Settled => Ok(()),
                    // Still pending-provider after a 409 (another check
                    // failed, or a race): wait and try again.
                    Approval::Needed => Err(WaldurError::Conflict(format!(
                        "approving order {order_uuid}: {detail}"
                    ))),
                    Approval::NotYet => Err(not_yet(order_uuid, order.state.as_ref())),
                }
            }
            Err(e) => Err(api(e)),
        }
    }

    /// Asks Waldur to terminate the resource, or finds that an earlier
    /// attempt did; approves the Terminate order. Returns the order (to be
    /// followed), when Waldur names one.
    pub(super) async fn terminate_once(
        &self,
        resource_uuid: &str,
    ) -> Result<Option<String>, WaldurError> {
        let refusal = match self.client.terminate_resource(resource_uuid, None).await {
            Ok(created) => {
                // The provider approves its own terminate order at once;
                // the backend completes it.
                return match created.order_uuid {
                    Some(order_uuid) => {
                        self.approve(&order_uuid, Some(&OrderState::PendingProvider))
                            .await?;
                        Ok(Some(order_uuid))
                    }
                    None => Ok(None),
                };
            }
            Err(e @ waldur::Error::Conflict { .. }) => e,
            Err(e) if e.is_pending_order() => e,
            Err(e) => return Err(api(e)),
        };
        // An earlier attempt's Terminate order may be the one in the way.
        let open = OrderFilter {
            resource_uuid: Some(resource_uuid.to_string()),
            states: vec![
                OrderState::PendingConsumer,
                OrderState::PendingProvider,
                OrderState::Executing,
            ],
            ..OrderFilter::default()
        };
        let open_orders = self.client.list_orders(&open).await.map_err(api)?;
        if let Some(terminate) = open_orders
            .iter()
            .find(|o| o.order_type == Some(OrderType::Terminate))
        {
            if let Some(order_uuid) = &terminate.uuid {
                self.approve(order_uuid, terminate.state.as_ref()).await?;
            }
            return Ok(terminate.uuid.clone());
        }
        let resource = self.client.get_resource(resource_uuid).await.map_err(api)?;
        match resource.state {
            Some(ResourceState::Terminating | ResourceState::Terminated) => Ok(None),
            state => {
                let in_progress: Vec<String> = open_orders
                    .iter()
                    .map(|o| {
                        format!(
                            "{} order {} {}",
                            o.order_type.as_ref().map_or("?", |t| t.as_str()),
                            o.uuid.as_deref().unwrap_or("?"),
                            o.state.as_ref().map_or("?", |s| s.as_str()),
                        )
                    })
                    .collect();
                Err(WaldurError::Conflict(format!(
                    "terminate {resource_uuid} (resource {}{}): {refusal}",
                    state.as_ref().map_or("?", |s| s.as_str()),
                    if in_progress.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", in_progress.join(", "))
                    },
                )))
            }
        }
    }
}

fn not_yet(order_uuid: &str, state: Option<&OrderState>) -> WaldurError {
    WaldurError::Conflict(format!(
        "order {order_uuid} is {}, not yet pending-provider",
        state.map_or("in no known state", |s| s.as_str())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waldur_side::adapter::uuid_of_link;

    #[test]
    fn an_order_read_back_says_whether_approval_is_still_needed() {
        assert_eq!(
            approval_of(Some(&OrderState::PendingProvider)),
            Approval::Needed
        );
        for settled in [
            OrderState::Executing,
            OrderState::Done,
            OrderState::Erred,
            OrderState::Rejected,
            OrderState::Canceled,
        ] {
            assert_eq!(approval_of(Some(&settled)), Approval::Settled, "{settled}");
        }
        for waiting in [
            OrderState::PendingConsumer,
            OrderState::PendingProject,
            OrderState::PendingStartDate,
            OrderState::Other("pending-magic".into()),
        ] {
            assert_eq!(approval_of(Some(&waiting)), Approval::NotYet, "{waiting}");
        }
        assert_eq!(approval_of(None), Approval::NotYet);
    }

    #[test]
    fn link_uuids() {
        assert_eq!(
            uuid_of_link("https://w/api/marketplace-public-offerings/ab12/").as_deref(),
            Some("ab12")
        );
        assert_eq!(uuid_of_link("").as_deref(), None);
        assert_eq!(uuid_of_link("https://").as_deref(), None);
    }
}
