//! State enums with the specification's numeric codes, and their
//! allowed-transition tables as data.
//!
//! JSON carries the snake_case name (`"pending_payment"`); events carry both
//! the name and the numeric code of the mapping specification.

use cosmwasm_schema::cw_serde;

/// A state enum with a transition table.
pub trait StateMachine: Copy + PartialEq + Sized + 'static {
    /// Every state, in code order.
    const ALL: &'static [Self];
    /// `(from, allowed next states)`; a state missing here is terminal.
    const TRANSITIONS: &'static [(Self, &'static [Self])];

    fn allowed_next(self) -> &'static [Self] {
        Self::TRANSITIONS
            .iter()
            .find(|(from, _)| *from == self)
            .map(|(_, next)| *next)
            .unwrap_or(&[])
    }

    fn can_transition_to(self, to: Self) -> bool {
        self.allowed_next().contains(&to)
    }

    fn is_terminal(self) -> bool {
        self.allowed_next().is_empty()
    }
}

macro_rules! coded_state {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[cw_serde]
        #[derive(Copy, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($variant = $code),+
        }

        impl $name {
            /// The numeric code of the mapping specification.
            pub const fn code(self) -> u8 {
                self as u8
            }

            pub fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The snake_case name used in JSON and events.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded_state!(
    /// `OfferingState` of the mapping specification.
    OfferingState {
        Active = 1 => "active",
        Paused = 2 => "paused",
        Suspended = 3 => "suspended",
        Deprecated = 4 => "deprecated",
        Terminated = 5 => "terminated",
    }
);

coded_state!(
    /// `OrderState` of the mapping specification.
    OrderState {
        PendingPayment = 1 => "pending_payment",
        Open = 2 => "open",
        Matched = 3 => "matched",
        Provisioning = 4 => "provisioning",
        Active = 5 => "active",
        Suspended = 6 => "suspended",
        PendingTermination = 7 => "pending_termination",
        Terminated = 8 => "terminated",
        Failed = 9 => "failed",
        Cancelled = 10 => "cancelled",
    }
);

coded_state!(
    /// `AllocationState` of the mapping specification.
    AllocationState {
        Pending = 1 => "pending",
        Accepted = 2 => "accepted",
        Provisioning = 3 => "provisioning",
        Active = 4 => "active",
        Suspended = 5 => "suspended",
        Terminating = 6 => "terminating",
        Terminated = 7 => "terminated",
        Rejected = 8 => "rejected",
        Failed = 9 => "failed",
    }
);

coded_state!(
    /// Bid lifecycle. `Expired` is what an open bid reads as once its expiry
    /// has passed.
    BidState {
        Open = 1 => "open",
        Accepted = 2 => "accepted",
        Rejected = 3 => "rejected",
        Withdrawn = 4 => "withdrawn",
        Expired = 5 => "expired",
    }
);

impl StateMachine for OfferingState {
    const ALL: &'static [Self] = &[
        Self::Active,
        Self::Paused,
        Self::Suspended,
        Self::Deprecated,
        Self::Terminated,
    ];
    // Suspension is a governance action; a deprecated offering takes no new
    // orders and can only be terminated.
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Active,
            &[
                Self::Paused,
                Self::Suspended,
                Self::Deprecated,
                Self::Terminated,
            ],
        ),
        (
            Self::Paused,
            &[
                Self::Active,
                Self::Suspended,
                Self::Deprecated,
                Self::Terminated,
            ],
        ),
        (Self::Suspended, &[Self::Active, Self::Terminated]),
        (Self::Deprecated, &[Self::Suspended, Self::Terminated]),
    ];
}

impl StateMachine for OrderState {
    const ALL: &'static [Self] = &[
        Self::PendingPayment,
        Self::Open,
        Self::Matched,
        Self::Provisioning,
        Self::Active,
        Self::Suspended,
        Self::PendingTermination,
        Self::Terminated,
        Self::Failed,
        Self::Cancelled,
    ];
    // Exactly the "Allowed Order Transitions" table of the mapping spec.
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (Self::PendingPayment, &[Self::Open, Self::Cancelled]),
        (Self::Open, &[Self::Matched, Self::Cancelled]),
        (
            Self::Matched,
            &[Self::Provisioning, Self::Failed, Self::Cancelled],
        ),
        (Self::Provisioning, &[Self::Active, Self::Failed]),
        (Self::Active, &[Self::Suspended, Self::PendingTermination]),
        (Self::Suspended, &[Self::Active, Self::PendingTermination]),
        (Self::PendingTermination, &[Self::Terminated, Self::Failed]),
    ];
}

impl StateMachine for AllocationState {
    const ALL: &'static [Self] = &[
        Self::Pending,
        Self::Accepted,
        Self::Provisioning,
        Self::Active,
        Self::Suspended,
        Self::Terminating,
        Self::Terminated,
        Self::Rejected,
        Self::Failed,
    ];
    // The allocation lifecycle of the mapping spec. Terminating is not
    // reachable from Provisioning because the order table has no
    // Provisioning -> PendingTermination edge: wait for active or failed.
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Pending,
            &[
                Self::Accepted,
                Self::Rejected,
                Self::Failed,
                Self::Terminating,
            ],
        ),
        (
            Self::Accepted,
            &[Self::Provisioning, Self::Failed, Self::Terminating],
        ),
        (Self::Provisioning, &[Self::Active, Self::Failed]),
        (Self::Active, &[Self::Suspended, Self::Terminating]),
        (Self::Suspended, &[Self::Active, Self::Terminating]),
        (Self::Terminating, &[Self::Terminated, Self::Failed]),
    ];
}

impl StateMachine for BidState {
    const ALL: &'static [Self] = &[
        Self::Open,
        Self::Accepted,
        Self::Rejected,
        Self::Withdrawn,
        Self::Expired,
    ];
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[(
        Self::Open,
        &[
            Self::Accepted,
            Self::Rejected,
            Self::Withdrawn,
            Self::Expired,
        ],
    )];
}

coded_state!(
    /// Settlement escrow lifecycle.
    EscrowState {
        Pending = 1 => "pending",
        Active = 2 => "active",
        Released = 3 => "released",
        Refunded = 4 => "refunded",
        Disputed = 5 => "disputed",
        Expired = 6 => "expired",
    }
);

coded_state!(
    /// A usage record, from recording to settlement.
    UsageRecordState {
        Pending = 1 => "pending",
        Acknowledged = 2 => "acknowledged",
        Disputed = 3 => "disputed",
        Settled = 4 => "settled",
        Rejected = 5 => "rejected",
    }
);

coded_state!(
    /// HPC job lifecycle.
    JobState {
        Pending = 1 => "pending",
        Queued = 2 => "queued",
        Running = 3 => "running",
        Completed = 4 => "completed",
        Failed = 5 => "failed",
        Cancelled = 6 => "cancelled",
        Timeout = 7 => "timeout",
    }
);

coded_state!(
    /// HPC cluster lifecycle.
    ClusterState {
        Active = 1 => "active",
        Draining = 2 => "draining",
        Offline = 3 => "offline",
        Deregistered = 4 => "deregistered",
    }
);

impl StateMachine for EscrowState {
    const ALL: &'static [Self] = &[
        Self::Pending,
        Self::Active,
        Self::Released,
        Self::Refunded,
        Self::Disputed,
        Self::Expired,
    ];
    // A disputed escrow cannot expire: the arbiter decides first.
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Pending,
            &[Self::Active, Self::Refunded, Self::Expired],
        ),
        (
            Self::Active,
            &[
                Self::Disputed,
                Self::Released,
                Self::Refunded,
                Self::Expired,
            ],
        ),
        (Self::Disputed, &[Self::Active]),
    ];
}

impl StateMachine for UsageRecordState {
    const ALL: &'static [Self] = &[
        Self::Pending,
        Self::Acknowledged,
        Self::Disputed,
        Self::Settled,
        Self::Rejected,
    ];
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Pending,
            &[Self::Acknowledged, Self::Disputed, Self::Settled],
        ),
        (Self::Acknowledged, &[Self::Settled]),
        (Self::Disputed, &[Self::Acknowledged, Self::Rejected]),
    ];
}

impl StateMachine for JobState {
    const ALL: &'static [Self] = &[
        Self::Pending,
        Self::Queued,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
        Self::Timeout,
    ];
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Pending,
            &[Self::Queued, Self::Running, Self::Failed, Self::Cancelled],
        ),
        (
            Self::Queued,
            &[Self::Running, Self::Failed, Self::Cancelled],
        ),
        (
            Self::Running,
            &[
                Self::Completed,
                Self::Failed,
                Self::Cancelled,
                Self::Timeout,
            ],
        ),
    ];
}

impl StateMachine for ClusterState {
    const ALL: &'static [Self] = &[
        Self::Active,
        Self::Draining,
        Self::Offline,
        Self::Deregistered,
    ];
    const TRANSITIONS: &'static [(Self, &'static [Self])] = &[
        (
            Self::Active,
            &[Self::Draining, Self::Offline, Self::Deregistered],
        ),
        (
            Self::Draining,
            &[Self::Active, Self::Offline, Self::Deregistered],
        ),
        (Self::Offline, &[Self::Active, Self::Deregistered]),
    ];
}

/// The order state an allocation transition implies, given the order's
/// current state. `None`: the order does not move (it is already terminal,
/// or the allocation step has no order-level meaning).
pub fn order_state_for_allocation(
    order: OrderState,
    allocation_to: AllocationState,
) -> Option<OrderState> {
    use AllocationState as A;
    use OrderState as O;
    if order.is_terminal() {
        return None;
    }
    let target = match allocation_to {
        A::Pending | A::Accepted => return None,
        A::Provisioning => O::Provisioning,
        A::Active => O::Active,
        A::Suspended => O::Suspended,
        // Stopped before it ever started: the order is cancelled.
        A::Terminating | A::Terminated if order == O::Matched => O::Cancelled,
        A::Terminating => O::PendingTermination,
        A::Terminated => O::Terminated,
        A::Rejected | A::Failed => O::Failed,
    };
    (target != order).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_codes<S: StateMachine + std::fmt::Debug>(
        code: fn(S) -> u8,
        from_code: fn(u8) -> Option<S>,
    ) {
        for (i, s) in S::ALL.iter().enumerate() {
            assert_eq!(code(*s) as usize, i + 1, "{s:?}");
            assert_eq!(from_code(code(*s)), Some(*s));
        }
        assert_eq!(from_code(0), None);
        assert_eq!(from_code(S::ALL.len() as u8 + 1), None);
    }

    #[test]
    fn numeric_codes_match_the_spec() {
        check_codes(OfferingState::code, OfferingState::from_code);
        check_codes(OrderState::code, OrderState::from_code);
        check_codes(AllocationState::code, AllocationState::from_code);
        check_codes(BidState::code, BidState::from_code);
        check_codes(EscrowState::code, EscrowState::from_code);
        check_codes(UsageRecordState::code, UsageRecordState::from_code);
        check_codes(JobState::code, JobState::from_code);
        check_codes(ClusterState::code, ClusterState::from_code);
        assert_eq!(OrderState::Cancelled.code(), 10);
        assert_eq!(AllocationState::Failed.code(), 9);
        assert_eq!(OfferingState::Terminated.code(), 5);
    }

    #[test]
    fn json_uses_snake_case_names() {
        assert_eq!(
            cosmwasm_std::to_json_string(&OrderState::PendingTermination).unwrap(),
            "\"pending_termination\""
        );
        assert_eq!(
            OrderState::PendingTermination.as_str(),
            "pending_termination"
        );
    }

    /// Every (from, to) pair of the order table against the spec's table,
    /// written out independently here.
    #[test]
    fn order_table_matches_spec_for_every_pair() {
        use OrderState::*;
        let spec: &[(OrderState, &[OrderState])] = &[
            (PendingPayment, &[Open, Cancelled]),
            (Open, &[Matched, Cancelled]),
            (Matched, &[Provisioning, Failed, Cancelled]),
            (Provisioning, &[Active, Failed]),
            (Active, &[Suspended, PendingTermination]),
            (Suspended, &[Active, PendingTermination]),
            (PendingTermination, &[Terminated, Failed]),
        ];
        for from in OrderState::ALL {
            for to in OrderState::ALL {
                let expected = spec.iter().any(|(f, next)| f == from && next.contains(to));
                assert_eq!(from.can_transition_to(*to), expected, "{from} -> {to}");
            }
        }
    }

    /// Every (from, to) pair of the bid table: only an open bid moves.
    #[test]
    fn bid_table_every_pair() {
        for from in BidState::ALL {
            for to in BidState::ALL {
                let expected = *from == BidState::Open && *to != BidState::Open;
                assert_eq!(from.can_transition_to(*to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn terminal_states() {
        use StateMachine as _;
        assert!(OfferingState::Terminated.is_terminal());
        assert!(!OfferingState::Deprecated.is_terminal());
        for s in [
            OrderState::Terminated,
            OrderState::Failed,
            OrderState::Cancelled,
        ] {
            assert!(s.is_terminal(), "{s}");
        }
        for s in [
            AllocationState::Terminated,
            AllocationState::Rejected,
            AllocationState::Failed,
        ] {
            assert!(s.is_terminal(), "{s}");
        }
    }

    /// Every allocation transition implies an order transition the order
    /// table allows.
    #[test]
    fn allocation_steps_never_break_the_order_table() {
        use AllocationState as A;
        use OrderState as O;
        // The order state that goes with each non-terminal allocation state
        // along the allowed paths.
        let paired: &[(A, &[O])] = &[
            (A::Pending, &[O::Matched]),
            (A::Accepted, &[O::Matched]),
            (A::Provisioning, &[O::Provisioning]),
            (A::Active, &[O::Active]),
            (A::Suspended, &[O::Suspended]),
            (A::Terminating, &[O::PendingTermination, O::Cancelled]),
        ];
        for (alloc_from, orders) in paired {
            for alloc_to in alloc_from.allowed_next() {
                for order in *orders {
                    if let Some(target) = order_state_for_allocation(*order, *alloc_to) {
                        assert!(
                            order.can_transition_to(target),
                            "alloc {alloc_from}->{alloc_to} moves order {order}->{target}"
                        );
                    }
                }
            }
        }
    }
}
