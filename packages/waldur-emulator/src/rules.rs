//! State rules of offerings, orders and resources (ENDPOINTS.md sections
//! 2 to 4), as pure functions. An `Err` carries the states from which the
//! operation is allowed, for the 409 message.

use crate::model::{OfferingState, OrderKind, OrderState, ResourceState};

pub type Transition<S> = Result<S, &'static [&'static str]>;

/// The offering state actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingAction {
    Activate,
    Pause,
    Unpause,
    Archive,
    Draft,
}

impl OfferingAction {
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "activate" => Some(Self::Activate),
            "pause" => Some(Self::Pause),
            "unpause" => Some(Self::Unpause),
            "archive" => Some(Self::Archive),
            "draft" => Some(Self::Draft),
            _ => None,
        }
    }

    /// The `detail` text of the 200 answer.
    pub fn done_message(self) -> &'static str {
        match self {
            Self::Activate => "Offering has been activated.",
            Self::Pause => "Offering has been paused.",
            Self::Unpause => "Offering has been unpaused.",
            Self::Archive => "Offering has been archived.",
            Self::Draft => "Offering has been moved to draft.",
        }
    }
}

pub fn offering_transition(
    state: OfferingState,
    action: OfferingAction,
) -> Transition<OfferingState> {
    use OfferingState::*;
    match action {
        OfferingAction::Activate => match state {
            Draft | Paused => Ok(Active),
            _ => Err(&["Draft", "Paused"]),
        },
        OfferingAction::Pause => match state {
            Active => Ok(Paused),
            _ => Err(&["Active"]),
        },
        OfferingAction::Unpause => match state {
            Paused => Ok(Active),
            _ => Err(&["Paused"]),
        },
        OfferingAction::Archive => Ok(Archived),
        OfferingAction::Draft => Ok(Draft),
    }
}

/// The order actions that move its state (marketplace/views.py
/// `OrderViewSet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    ApproveByConsumer,
    RejectByConsumer,
    ApproveByProvider,
    RejectByProvider,
    Cancel,
    SetStateExecuting,
    SetStateDone,
    SetStateErred,
}

impl OrderAction {
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "approve_by_consumer" => Some(Self::ApproveByConsumer),
            "reject_by_consumer" => Some(Self::RejectByConsumer),
            "approve_by_provider" => Some(Self::ApproveByProvider),
            "reject_by_provider" => Some(Self::RejectByProvider),
            "cancel" => Some(Self::Cancel),
            "set_state_executing" => Some(Self::SetStateExecuting),
            "set_state_done" => Some(Self::SetStateDone),
            "set_state_erred" => Some(Self::SetStateErred),
            _ => None,
        }
    }

    /// The `OfferingTypeValidator` of the action: the offering types it
    /// is allowed for, `None` for any. Another type gets 405.
    pub fn offering_types(self) -> Option<&'static [&'static str]> {
        use crate::plugins::{BASIC, SLURM_REMOTE, SUPPORT};
        match self {
            Self::Cancel => Some(&[BASIC, SUPPORT]),
            Self::SetStateExecuting | Self::SetStateErred => Some(&[SLURM_REMOTE]),
            Self::SetStateDone => Some(&[SLURM_REMOTE, BASIC, SUPPORT]),
            _ => None,
        }
    }
}

/// The state an order action leads to, or the `StateValidator` states
/// (409). `approve_by_consumer` leads to `pending-provider` here; the
/// caller moves on to `executing` when no provider review is needed.
pub fn order_transition(state: OrderState, action: OrderAction) -> Transition<OrderState> {
    use OrderState::*;
    match action {
        OrderAction::ApproveByConsumer => match state {
            PendingConsumer => Ok(PendingProvider),
            _ => Err(&["pending-consumer"]),
        },
        OrderAction::RejectByConsumer => match state {
            PendingConsumer => Ok(Rejected),
            _ => Err(&["pending-consumer"]),
        },
        OrderAction::ApproveByProvider => match state {
            PendingProvider => Ok(Executing),
            _ => Err(&["pending-provider"]),
        },
        OrderAction::RejectByProvider => match state {
            PendingProvider => Ok(Rejected),
            _ => Err(&["pending-provider"]),
        },
        OrderAction::Cancel => match state {
            PendingConsumer | PendingProvider | Executing => Ok(Canceled),
            _ => Err(&["pending-consumer", "pending-provider", "executing"]),
        },
        OrderAction::SetStateExecuting => match state {
            PendingConsumer | PendingProvider | Erred => Ok(Executing),
            _ => Err(&["pending-consumer", "pending-provider", "erred"]),
        },
        OrderAction::SetStateDone => match state {
            Executing => Ok(Done),
            _ => Err(&["executing"]),
        },
        // No StateValidator: `Order.set_state_erred` is `source="*"`.
        OrderAction::SetStateErred => Ok(Erred),
    }
}

/// What happens to the order's resource when the order enters `new_state`;
/// `None` leaves the resource alone. From marketplace/callbacks.py
/// `OrderHandlers` (`resource_creation_failed` -> Erred,
/// `resource_deletion_failed` -> OK, `resource_update_failed` -> Erred)
/// and handlers.py `update_resource_when_order_is_rejected_or_erred` (a
/// rejected Create order terminates its resource, another rejected order
/// puts it back to OK). `cancel` changes no resource there.
pub fn resource_follows_order(kind: OrderKind, new_state: OrderState) -> Option<ResourceState> {
    use OrderKind::*;
    match (new_state, kind) {
        (OrderState::Executing, Update) => Some(ResourceState::Updating),
        (OrderState::Executing, Terminate) => Some(ResourceState::Terminating),
        (OrderState::Done, Create | Update | Restore) => Some(ResourceState::Ok),
        (OrderState::Done, Terminate) => Some(ResourceState::Terminated),
        (OrderState::Erred, Create | Update | Restore) => Some(ResourceState::Erred),
        (OrderState::Erred, Terminate) => Some(ResourceState::Ok),
        (OrderState::Rejected, Create) => Some(ResourceState::Terminated),
        (OrderState::Rejected, Update | Terminate | Restore) => Some(ResourceState::Ok),
        _ => None,
    }
}

/// `set_state_ok` on a provider resource.
pub fn resource_set_state_ok(state: ResourceState) -> Transition<ResourceState> {
    match state {
        ResourceState::Erred
        | ResourceState::Creating
        | ResourceState::Updating
        | ResourceState::Terminating => Ok(ResourceState::Ok),
        _ => Err(&["Erred", "Creating", "Updating", "Terminating"]),
    }
}

/// `terminate` may start only from a settled resource.
pub fn resource_can_terminate(state: ResourceState) -> Result<(), &'static [&'static str]> {
    match state {
        ResourceState::Ok | ResourceState::Erred => Ok(()),
        _ => Err(&["OK", "Erred"]),
    }
}

/// `set_usage` accepts resources in these states only.
pub fn resource_accepts_usage(state: ResourceState) -> bool {
    matches!(
        state,
        ResourceState::Ok | ResourceState::Updating | ResourceState::Terminating
    )
}

/// An order in these states stops any new order for its resource
/// (waldur-mastermind `check_pending_order_exists`). `pending-project`
/// is not among them there.
pub fn order_blocks_new_orders(state: OrderState) -> bool {
    matches!(
        state,
        OrderState::PendingConsumer | OrderState::PendingProvider | OrderState::Executing
    )
}

/// Terminal order states: Waldur never leaves them on its own.
pub fn order_is_terminal(state: OrderState) -> bool {
    matches!(
        state,
        OrderState::Done | OrderState::Erred | OrderState::Canceled | OrderState::Rejected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lifecycle() {
        let state =
            order_transition(OrderState::PendingProvider, OrderAction::ApproveByProvider).unwrap();
        assert_eq!(state, OrderState::Executing);
        assert_eq!(
            order_transition(state, OrderAction::ApproveByProvider),
            Err(&["pending-provider"][..])
        );
        assert_eq!(
            order_transition(state, OrderAction::SetStateDone),
            Ok(OrderState::Done)
        );
        assert!(order_transition(OrderState::Done, OrderAction::SetStateDone).is_err());
        assert_eq!(
            order_transition(OrderState::Done, OrderAction::SetStateErred),
            Ok(OrderState::Erred)
        );
        assert_eq!(
            order_transition(OrderState::Erred, OrderAction::SetStateExecuting),
            Ok(OrderState::Executing)
        );
        assert!(order_transition(OrderState::Executing, OrderAction::RejectByProvider).is_err());
    }

    #[test]
    fn consumer_review_and_cancel() {
        use OrderAction::*;
        assert_eq!(
            order_transition(OrderState::PendingConsumer, ApproveByConsumer),
            Ok(OrderState::PendingProvider)
        );
        assert_eq!(
            order_transition(OrderState::PendingProvider, ApproveByConsumer),
            Err(&["pending-consumer"][..])
        );
        assert_eq!(
            order_transition(OrderState::PendingConsumer, RejectByConsumer),
            Ok(OrderState::Rejected)
        );
        assert_eq!(
            order_transition(OrderState::Executing, Cancel),
            Ok(OrderState::Canceled)
        );
        assert!(order_transition(OrderState::Done, Cancel).is_err());
        assert_eq!(OrderAction::parse("cancel"), Some(Cancel));
        assert_eq!(
            SetStateErred.offering_types(),
            Some(&["Marketplace.Slurm"][..])
        );
        assert_eq!(ApproveByProvider.offering_types(), None);
    }

    #[test]
    fn resources_follow_their_orders() {
        use OrderKind::*;
        assert_eq!(resource_follows_order(Create, OrderState::Executing), None);
        assert_eq!(
            resource_follows_order(Create, OrderState::Done),
            Some(ResourceState::Ok)
        );
        assert_eq!(
            resource_follows_order(Create, OrderState::Erred),
            Some(ResourceState::Erred)
        );
        assert_eq!(
            resource_follows_order(Terminate, OrderState::Executing),
            Some(ResourceState::Terminating)
        );
        assert_eq!(
            resource_follows_order(Terminate, OrderState::Done),
            Some(ResourceState::Terminated)
        );
        assert_eq!(
            resource_follows_order(Terminate, OrderState::Erred),
            Some(ResourceState::Ok)
        );
        assert_eq!(
            resource_follows_order(Update, OrderState::Erred),
            Some(ResourceState::Erred)
        );
        assert_eq!(
            resource_follows_order(Terminate, OrderState::Rejected),
            Some(ResourceState::Ok)
        );
        assert_eq!(resource_follows_order(Create, OrderState::Canceled), None);
    }

    #[test]
    fn offering_actions() {
        use OfferingState::*;
        assert_eq!(
            offering_transition(Draft, OfferingAction::Activate),
            Ok(Active)
        );
        assert_eq!(
            offering_transition(Paused, OfferingAction::Activate),
            Ok(Active)
        );
        assert!(offering_transition(Archived, OfferingAction::Activate).is_err());
        assert!(offering_transition(Draft, OfferingAction::Pause).is_err());
        assert_eq!(
            offering_transition(Active, OfferingAction::Pause),
            Ok(Paused)
        );
        assert_eq!(
            offering_transition(Paused, OfferingAction::Unpause),
            Ok(Active)
        );
        assert_eq!(
            offering_transition(Active, OfferingAction::Archive),
            Ok(Archived)
        );
    }

    #[test]
    fn resource_rules() {
        assert!(resource_set_state_ok(ResourceState::Erred).is_ok());
        assert!(resource_set_state_ok(ResourceState::Ok).is_err());
        assert!(resource_set_state_ok(ResourceState::Terminated).is_err());
        assert!(resource_can_terminate(ResourceState::Ok).is_ok());
        assert!(resource_can_terminate(ResourceState::Creating).is_err());
        assert!(resource_accepts_usage(ResourceState::Terminating));
        assert!(!resource_accepts_usage(ResourceState::Creating));
        assert!(order_is_terminal(OrderState::Rejected));
    }
}
