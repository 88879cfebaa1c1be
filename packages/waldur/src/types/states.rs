//! String enums of the Waldur API.
//!
//! Waldur adds states between releases, so every enum keeps an
//! `Other(String)` fallback: a value this client does not know yet is kept
//! verbatim instead of failing the whole response.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an enum serialised as a fixed set of strings plus `Other`.
macro_rules! open_string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know; kept as sent by the server.
            Other(String),
        }

        impl $name {
            /// The wire form, exactly as Waldur spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(value) => value,
                }
            }

            /// False for `Other`: the server sent a value unknown to this client.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

open_string_enum! {
    /// `OrderState` of a marketplace order.
    OrderState {
        PendingConsumer => "pending-consumer",
        PendingProvider => "pending-provider",
        PendingProject => "pending-project",
        PendingStartDate => "pending-start-date",
        Executing => "executing",
        Done => "done",
        Erred => "erred",
        Canceled => "canceled",
        Rejected => "rejected",
    }
}

impl OrderState {
    /// Waldur never moves an order out of these states on its own.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Done | Self::Erred | Self::Canceled | Self::Rejected
        )
    }
}

open_string_enum! {
    /// `RequestTypes`: what an order asks for.
    OrderType {
        Create => "Create",
        Update => "Update",
        Terminate => "Terminate",
        Restore => "Restore",
    }
}

open_string_enum! {
    /// `ResourceState` of a marketplace resource.
    ResourceState {
        Creating => "Creating",
        Ok => "OK",
        Erred => "Erred",
        Updating => "Updating",
        Terminating => "Terminating",
        Terminated => "Terminated",
    }
}

open_string_enum! {
    /// `OfferingState` of a marketplace offering.
    OfferingState {
        Draft => "Draft",
        Active => "Active",
        Paused => "Paused",
        Archived => "Archived",
        Unavailable => "Unavailable",
    }
}

open_string_enum! {
    /// `BillingTypeEnum` of an offering component.
    BillingType {
        Fixed => "fixed",
        Usage => "usage",
        Limit => "limit",
        One => "one",
        Few => "few",
    }
}

open_string_enum! {
    /// `BillingUnit` of a plan.
    BillingUnit {
        Month => "month",
        Quarter => "quarter",
        HalfMonth => "half_month",
        Day => "day",
        Hour => "hour",
        Quantity => "quantity",
    }
}

open_string_enum! {
    /// `CoreStates`, used by SLURM allocations.
    CoreState {
        CreationScheduled => "CREATION_SCHEDULED",
        Creating => "CREATING",
        UpdateScheduled => "UPDATE_SCHEDULED",
        Updating => "UPDATING",
        DeletionScheduled => "DELETION_SCHEDULED",
        Deleting => "DELETING",
        Ok => "OK",
        Erred => "ERRED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        let state: OrderState = serde_json::from_str("\"pending-provider\"").unwrap();
        assert_eq!(state, OrderState::PendingProvider);
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            "\"pending-provider\""
        );
        let state: ResourceState = serde_json::from_str("\"OK\"").unwrap();
        assert_eq!(state, ResourceState::Ok);
    }

    #[test]
    fn unknown_values_are_kept_not_rejected() {
        let state: OfferingState = serde_json::from_str("\"Retired\"").unwrap();
        assert_eq!(state, OfferingState::Other("Retired".into()));
        assert!(!state.is_known());
        assert_eq!(serde_json::to_string(&state).unwrap(), "\"Retired\"");
    }

    #[test]
    fn terminal_order_states() {
        assert!(OrderState::Done.is_terminal());
        assert!(OrderState::Rejected.is_terminal());
        assert!(!OrderState::Executing.is_terminal());
        assert!(!OrderState::Other("x".into()).is_terminal());
    }
}
