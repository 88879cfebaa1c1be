//! Chain <-> Waldur state maps of the mapping specification.

use crate::states::{AllocationState, OfferingState, OrderState};

impl OfferingState {
    /// Waldur offering `state` for an on-chain offering state.
    pub const fn waldur_state(self) -> &'static str {
        match self {
            OfferingState::Active => "Active",
            OfferingState::Paused | OfferingState::Deprecated => "Paused",
            OfferingState::Suspended | OfferingState::Terminated => "Archived",
        }
    }

    /// The Waldur offering action that puts an offering into
    /// [`Self::waldur_state`] (offering sync guide).
    pub const fn waldur_state_action(self) -> &'static str {
        match self.waldur_state().as_bytes() {
            b"Active" => "activate",
            b"Paused" => "pause",
            _ => "archive",
        }
    }

    /// On-chain state for an ingested Waldur offering state (VE-3D:
    /// Active -> Active, Paused -> Paused, Archived -> Terminated).
    pub fn from_waldur(state: &str) -> Option<Self> {
        match state {
            "Active" => Some(OfferingState::Active),
            "Paused" => Some(OfferingState::Paused),
            "Archived" => Some(OfferingState::Terminated),
            _ => None,
        }
    }
}

impl OrderState {
    /// Waldur order `state` for an on-chain order state. A suspended order
    /// maps to `done` with the suspended flag set (see [`Self::is_suspended_flag`]).
    pub const fn waldur_state(self) -> &'static str {
        match self {
            OrderState::PendingPayment => "pending-consumer",
            OrderState::Open => "pending-provider",
            OrderState::Matched | OrderState::Provisioning => "executing",
            OrderState::Active | OrderState::Suspended => "done",
            OrderState::PendingTermination => "terminating",
            OrderState::Terminated => "terminated",
            OrderState::Failed => "erred",
            OrderState::Cancelled => "canceled",
        }
    }

    pub const fn is_suspended_flag(self) -> bool {
        matches!(self, OrderState::Suspended)
    }
}

impl AllocationState {
    /// Waldur resource `state` for an on-chain allocation state.
    pub const fn waldur_resource_state(self) -> &'static str {
        match self {
            AllocationState::Pending
            | AllocationState::Accepted
            | AllocationState::Provisioning => "Creating",
            AllocationState::Active | AllocationState::Suspended => "OK",
            AllocationState::Terminating => "Terminating",
            AllocationState::Terminated => "Terminated",
            AllocationState::Rejected | AllocationState::Failed => "Erred",
        }
    }

    /// The allocation state a Waldur resource state reports. `Creating` is
    /// provisioning; `Updating` carries no state change (`None`).
    pub fn from_waldur_resource(state: &str) -> Option<Self> {
        match state {
            "Creating" => Some(AllocationState::Provisioning),
            "OK" => Some(AllocationState::Active),
            "Erred" => Some(AllocationState::Failed),
            "Terminating" => Some(AllocationState::Terminating),
            "Terminated" => Some(AllocationState::Terminated),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::states::StateMachine;

    #[test]
    fn offering_map_matches_spec() {
        let expected = [
            (OfferingState::Active, "Active", "activate"),
            (OfferingState::Paused, "Paused", "pause"),
            (OfferingState::Suspended, "Archived", "archive"),
            (OfferingState::Deprecated, "Paused", "pause"),
            (OfferingState::Terminated, "Archived", "archive"),
        ];
        for (s, waldur, action) in expected {
            assert_eq!(s.waldur_state(), waldur);
            assert_eq!(s.waldur_state_action(), action);
        }
        assert_eq!(
            OfferingState::from_waldur("Archived"),
            Some(OfferingState::Terminated)
        );
        assert_eq!(OfferingState::from_waldur("Draft"), None);
    }

    #[test]
    fn order_map_matches_spec() {
        let expected = [
            "pending-consumer",
            "pending-provider",
            "executing",
            "executing",
            "done",
            "done",
            "terminating",
            "terminated",
            "erred",
            "canceled",
        ];
        for (s, w) in OrderState::ALL.iter().zip(expected) {
            assert_eq!(s.waldur_state(), w, "{s}");
            assert_eq!(s.is_suspended_flag(), *s == OrderState::Suspended);
        }
    }

    #[test]
    fn allocation_map_matches_spec() {
        let expected = [
            "Creating",
            "Creating",
            "Creating",
            "OK",
            "OK",
            "Terminating",
            "Terminated",
            "Erred",
            "Erred",
        ];
        for (s, w) in AllocationState::ALL.iter().zip(expected) {
            assert_eq!(s.waldur_resource_state(), w, "{s}");
        }
        assert_eq!(
            AllocationState::from_waldur_resource("OK"),
            Some(AllocationState::Active)
        );
        assert_eq!(
            AllocationState::from_waldur_resource("Erred"),
            Some(AllocationState::Failed)
        );
        assert_eq!(AllocationState::from_waldur_resource("Updating"), None);
    }
}
