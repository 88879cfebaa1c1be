mod common;

use common::*;
use cosmwasm_std::{coin, Addr, Uint128};
use marketplace::msg::{AllocationResponse, ExecuteMsg, OrderResponse, QueryMsg};
use ve_types::{AllocationState, OrderState, StateMachine};

fn allocation(s: &Suite, id: &str) -> AllocationResponse {
    s.query(&QueryMsg::Allocation {
        allocation_id: id.into(),
    })
    .unwrap()
}

fn order_of(s: &Suite, allocation_id: &str) -> OrderResponse {
    let order_id = allocation(s, allocation_id).order_id;
    s.query(&QueryMsg::Order { order_id }).unwrap()
}

fn terminate(id: &str) -> ExecuteMsg {
    ExecuteMsg::TerminateAllocation {
        allocation_id: id.into(),
        reason: Some("customer_request".into()),
    }
}

/// A report as the callback contract sends it for `provider`.
fn report_msg(
    id: &str,
    state: AllocationState,
    backend: Option<&str>,
    provider: &Addr,
) -> ExecuteMsg {
    ExecuteMsg::ReportAllocationState {
        allocation_id: id.into(),
        provider: provider.to_string(),
        state,
        backend_id: backend.map(Into::into),
        reason: None,
    }
}

/// Drives a fresh allocation into `state` through the paths users take.
fn allocation_in(s: &mut Suite, state: AllocationState) -> String {
    use AllocationState::*;
    let id = s.allocation();
    let path: &[AllocationState] = match state {
        Pending => &[],
        Accepted => &[Accepted],
        Provisioning => &[Accepted, Provisioning],
        Active => &[Accepted, Provisioning, Active],
        Suspended => &[Accepted, Provisioning, Active, Suspended],
        Terminating => &[Accepted, Provisioning, Active, Terminating],
        Terminated => &[Accepted, Provisioning, Active, Terminating, Terminated],
        Rejected => &[Rejected],
        Failed => &[Failed],
    };
    for step in path {
        s.report(&id, *step).unwrap();
    }
    assert_eq!(allocation(s, &id).allocation.state, state);
    id
}

/// Every (from, to) pair through the contract, against the allocation
/// lifecycle of the mapping spec written out here independently.
#[test]
fn every_allocation_transition_pair() {
    use AllocationState::*;
    let spec: &[(AllocationState, &[AllocationState])] = &[
        (Pending, &[Accepted, Rejected, Failed, Terminating]),
        (Accepted, &[Provisioning, Failed, Terminating]),
        (Provisioning, &[Active, Failed]),
        (Active, &[Suspended, Terminating]),
        (Suspended, &[Active, Terminating]),
        (Terminating, &[Terminated, Failed]),
        (Terminated, &[]),
        (Rejected, &[]),
        (Failed, &[]),
    ];
    let mut s = Suite::new();
    let callback = s.callback.clone();
    for (from, allowed) in spec {
        for to in AllocationState::ALL {
            let id = allocation_in(&mut s, *from);
            assert_eq!(
                from.can_transition_to(*to),
                allowed.contains(to),
                "shared table {from} -> {to}"
            );
            if from == to {
                // A re-sent report of the current state is a no-op.
                let before = allocation(&s, &id).allocation;
                let res = s.report(&id, *to).unwrap();
                assert!(res.events.iter().any(|e| e
                    .attributes
                    .iter()
                    .any(|a| a.key == "result" && a.value == "unchanged")));
                assert_eq!(count_events(&res, "ve.allocation_state_changed"), 0);
                let after = allocation(&s, &id).allocation;
                assert_eq!((after.state, after.version), (before.state, before.version));
            } else if allowed.contains(to) {
                let version = allocation(&s, &id).allocation.version;
                let res = s
                    .report(&id, *to)
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                let attrs = event_attrs(&res, "ve.allocation_state_changed");
                assert_eq!(attrs["from"], from.as_str());
                assert_eq!(attrs["state"], to.as_str());
                assert_eq!(attrs["state_code"], to.code().to_string());
                let after = allocation(&s, &id).allocation;
                assert_eq!(after.state, *to);
                assert_eq!(after.version, version + 1);
            } else {
                let err = s.exec_fails(&callback, &report_msg(&id, *to, None, &s.provider), &[]);
                assert!(
                    err.contains(&format!("allocation {id} cannot go from {from} to {to}")),
                    "{from} -> {to}: {err}"
                );
            }
        }
    }
}

#[test]
fn order_state_follows_the_allocation() {
    use AllocationState as A;
    use OrderState as O;
    let mut s = Suite::new();
    let id = s.allocation();
    let steps = [
        (A::Accepted, O::Matched),
        (A::Provisioning, O::Provisioning),
        (A::Active, O::Active),
        (A::Suspended, O::Suspended),
        (A::Active, O::Active),
        (A::Terminating, O::PendingTermination),
        (A::Terminated, O::Terminated),
    ];
    for (alloc_state, order_state) in steps {
        s.report(&id, alloc_state).unwrap();
        let order = order_of(&s, &id).order;
        assert_eq!(order.state, order_state, "after allocation {alloc_state}");
    }
    // The escrow of a service that ran stays for settlement.
    assert_eq!(order_of(&s, &id).order.escrow, Uint128::new(100_000));
}

#[test]
fn failure_before_activation_refunds_the_customer() {
    for (path, refunded) in [
        (vec![AllocationState::Rejected], true),
        (
            vec![AllocationState::Accepted, AllocationState::Failed],
            true,
        ),
        (
            vec![
                AllocationState::Accepted,
                AllocationState::Provisioning,
                AllocationState::Failed,
            ],
            true,
        ),
        (
            vec![
                AllocationState::Accepted,
                AllocationState::Provisioning,
                AllocationState::Active,
                AllocationState::Terminating,
                AllocationState::Failed,
            ],
            false,
        ),
    ] {
        let mut s = Suite::new();
        let customer = s.customer.clone();
        let start = s.balance(&customer, DENOM);
        let id = s.allocation();
        let mut last = None;
        for step in &path {
            last = Some(s.report(&id, *step).unwrap());
        }
        let order = order_of(&s, &id).order;
        assert_eq!(order.state, OrderState::Failed, "{path:?}");
        let contract = s.contract.clone();
        if refunded {
            assert_eq!(s.balance(&customer, DENOM), start, "{path:?}");
            assert_eq!(s.balance(&contract, DENOM), 0);
            assert_eq!(order.escrow, Uint128::zero());
            assert_eq!(
                event_attrs(&last.unwrap(), "ve.escrow_refunded")["amount"],
                "100000"
            );
        } else {
            assert_eq!(s.balance(&contract, DENOM), 100_000);
            assert_eq!(order.escrow, Uint128::new(100_000));
        }
    }
}

#[test]
fn terminate_by_either_party_only() {
    let mut s = Suite::new();
    let id = allocation_in(&mut s, AllocationState::Active);
    let (stranger, provider2, provider) =
        (s.stranger.clone(), s.provider2.clone(), s.provider.clone());
    for who in [&stranger, &provider2] {
        let err = s.exec_fails(who, &terminate(&id), &[]);
        assert!(
            err.contains(
                "terminate an allocation may only be done by the allocation's customer or provider"
            ),
            "{err}"
        );
    }
    let res = s.exec(&provider, &terminate(&id), &[]).unwrap();
    let attrs = event_attrs(&res, "ve.allocation_terminate_requested");
    assert_eq!(attrs["from"], "active");
    assert_eq!(attrs["state"], "terminating");
    assert_eq!(attrs["reason"], "customer_request");
    // A state change names the allocation and its provider (what a
    // relayer filters on) and repeats nothing fixed at allocation_created.
    assert_eq!(attrs["allocation_id"], id);
    assert_eq!(attrs["provider"], provider.to_string());
    assert_eq!(
        ve_testing::attribute_keys(&attrs),
        [
            "_contract_address",
            "allocation_id",
            "from",
            "provider",
            "reason",
            "state",
            "state_code",
            "version"
        ]
    );
    assert_eq!(
        order_of(&s, &id).order.state,
        OrderState::PendingTermination
    );
    let err = s.exec_fails(&provider, &terminate(&id), &[]);
    assert!(
        err.contains("cannot go from terminating to terminating"),
        "{err}"
    );
}

#[test]
fn terminate_before_start_cancels_and_refunds() {
    let mut s = Suite::new();
    let customer = s.customer.clone();
    let start = s.balance(&customer, DENOM);
    let id = s.allocation();
    let res = s.exec(&customer, &terminate(&id), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.order_state_changed")["state"],
        "cancelled"
    );
    assert_eq!(event_attrs(&res, "ve.escrow_refunded")["amount"], "100000");
    assert_eq!(s.balance(&customer, DENOM), start);
    // Waldur then confirms; the cancelled order stays cancelled.
    s.report(&id, AllocationState::Terminated).unwrap();
    assert_eq!(order_of(&s, &id).order.state, OrderState::Cancelled);
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Terminated
    );
}

#[test]
fn provisioning_cannot_be_terminated() {
    let mut s = Suite::new();
    let id = allocation_in(&mut s, AllocationState::Provisioning);
    let customer = s.customer.clone();
    let err = s.exec_fails(&customer, &terminate(&id), &[]);
    assert!(
        err.contains("cannot go from provisioning to terminating"),
        "{err}"
    );
}

#[test]
fn pause_and_resume_belong_to_whoever_paused() {
    let mut s = Suite::new();
    let id = allocation_in(&mut s, AllocationState::Active);
    let (customer, provider, stranger) =
        (s.customer.clone(), s.provider.clone(), s.stranger.clone());
    let pause = ExecuteMsg::PauseAllocation {
        allocation_id: id.clone(),
    };
    let resume = ExecuteMsg::ResumeAllocation {
        allocation_id: id.clone(),
    };

    let err = s.exec_fails(&stranger, &pause, &[]);
    assert!(
        err.contains("pause an allocation may only be done by"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &resume, &[]);
    assert!(err.contains("cannot go from active to active"), "{err}");

    let res = s.exec(&provider, &pause, &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.allocation_paused")["state"],
        "suspended"
    );
    assert_eq!(
        allocation(&s, &id).allocation.suspended_by,
        Some(provider.clone())
    );
    assert_eq!(order_of(&s, &id).order.state, OrderState::Suspended);
    let err = s.exec_fails(&provider, &pause, &[]);
    assert!(
        err.contains("cannot go from suspended to suspended"),
        "{err}"
    );

    // The customer cannot lift a provider's suspension.
    let err = s.exec_fails(&customer, &resume, &[]);
    assert!(
        err.contains("resume an allocation may only be done by the party that paused it"),
        "{err}"
    );
    let res = s.exec(&provider, &resume, &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.allocation_resumed")["state"],
        "active"
    );
    assert_eq!(allocation(&s, &id).allocation.suspended_by, None);
    assert_eq!(order_of(&s, &id).order.state, OrderState::Active);

    // A suspension reported from Waldur is lifted from Waldur only.
    s.report(&id, AllocationState::Suspended).unwrap();
    for who in [&customer, &provider] {
        let err = s.exec_fails(who, &resume, &[]);
        assert!(err.contains("the party that paused it"), "{err}");
    }
    s.report(&id, AllocationState::Active).unwrap();
    let err = s.exec_fails(&customer, &pause, &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");
}

#[test]
fn resize_tops_up_exactly() {
    let mut s = Suite::new();
    let id = allocation_in(&mut s, AllocationState::Active);
    let (customer, provider) = (s.customer.clone(), s.provider.clone());
    let resize = |q| ExecuteMsg::ResizeAllocation {
        allocation_id: id.clone(),
        quantity: q,
    };

    let err = s.exec_fails(&provider, &resize(3), &[coin(50_000, DENOM)]);
    assert!(
        err.contains("resize an allocation may only be done by the allocation's customer"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &resize(2), &[]);
    assert!(err.contains("invalid quantity: already 2"), "{err}");
    let err = s.exec_fails(&customer, &resize(0), &[]);
    assert!(err.contains("invalid quantity: 0 must be"), "{err}");
    let err = s.exec_fails(&customer, &resize(3), &[coin(49_999, DENOM)]);
    assert!(
        err.contains("wrong funds: expected exactly 50000uvirt"),
        "{err}"
    );
    let err = s.exec_fails(&customer, &resize(1), &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");

    let res = s
        .exec(&customer, &resize(3), &[coin(50_000, DENOM)])
        .unwrap();
    let attrs = event_attrs(&res, "ve.allocation_resized");
    assert_eq!(attrs["from_quantity"], "2");
    assert_eq!(attrs["quantity"], "3");
    assert_eq!(attrs["top_up"], "50000");
    let order = order_of(&s, &id).order;
    assert_eq!(order.escrow, Uint128::new(150_000));
    assert_eq!(order.quantity, 3);
    assert_eq!(s.balance(&s.contract.clone(), DENOM), 150_000);

    s.exec(&customer, &resize(1), &[]).unwrap();
    assert_eq!(allocation(&s, &id).allocation.quantity, 1);
    assert_eq!(order_of(&s, &id).order.escrow, Uint128::new(150_000));

    let pending = s.allocation();
    let err = s.exec_fails(
        &customer,
        &ExecuteMsg::ResizeAllocation {
            allocation_id: pending.clone(),
            quantity: 5,
        },
        &[],
    );
    assert!(
        err.contains(&format!(
            "allocation {pending} is pending; this needs an active or suspended allocation"
        )),
        "{err}"
    );
}

#[test]
fn reports_come_only_from_the_callback_contract() {
    let mut s = Suite::new();
    let id = s.allocation();
    let (provider, customer, admin) = (s.provider.clone(), s.customer.clone(), s.admin.clone());
    for who in [&provider, &customer, &admin] {
        let err = s.exec_fails(
            who,
            &report_msg(&id, AllocationState::Accepted, None, &s.provider),
            &[],
        );
        assert!(
            err.contains(
                "report an allocation state may only be done by the waldur-callback contract"
            ),
            "{err}"
        );
    }
    // The callback contract reports for the provider whose signature it
    // checked: the allocation must be that provider's.
    let (callback, stranger) = (s.callback.clone(), s.stranger.clone());
    let err = s.exec_fails(
        &callback,
        &report_msg(&id, AllocationState::Accepted, None, &stranger),
        &[],
    );
    assert!(
        err.contains(&format!(
            "allocation {id} belongs to {provider}, not to {stranger}"
        )),
        "{err}"
    );
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Pending
    );

    let mut s = Suite::with_instantiate(|m| m.callback_contract = None);
    let id = s.allocation();
    let callback = s.callback.clone();
    let err = s.exec_fails(
        &callback,
        &report_msg(&id, AllocationState::Accepted, None, &s.provider),
        &[],
    );
    assert!(err.contains("no callback contract is configured"), "{err}");
}

#[test]
fn backend_id_binds_once() {
    let mut s = Suite::new();
    let id = s.allocation();
    let callback = s.callback.clone();
    let uuid = "550e8400-e29b-41d4-a716-446655440003";
    let res = s
        .exec(
            &callback,
            &report_msg(&id, AllocationState::Accepted, Some(uuid), &s.provider),
            &[],
        )
        .unwrap();
    assert_eq!(
        event_attrs(&res, "ve.allocation_state_changed")["backend_id"],
        uuid
    );
    // The same id again is fine (a re-sent report); another one is not.
    s.exec(
        &callback,
        &report_msg(&id, AllocationState::Accepted, Some(uuid), &s.provider),
        &[],
    )
    .unwrap();
    let err = s.exec_fails(
        &callback,
        &report_msg(
            &id,
            AllocationState::Provisioning,
            Some("other-uuid"),
            &s.provider,
        ),
        &[],
    );
    assert!(
        err.contains(&format!("allocation {id} is already bound to {uuid}")),
        "{err}"
    );
    let err = s.exec_fails(
        &callback,
        &report_msg(
            &id,
            AllocationState::Provisioning,
            Some("has space"),
            &s.provider,
        ),
        &[],
    );
    assert!(err.contains("invalid backend_id"), "{err}");
    let err = s.exec_fails(
        &callback,
        &report_msg(
            &id,
            AllocationState::Provisioning,
            Some(&"x".repeat(129)),
            &s.provider,
        ),
        &[],
    );
    assert!(err.contains("invalid backend_id"), "{err}");
    assert_eq!(
        allocation(&s, &id).allocation.backend_id.as_deref(),
        Some(uuid)
    );
}

#[test]
fn unknown_allocations_and_malformed_ids() {
    let mut s = Suite::new();
    let customer = s.customer.clone();
    let missing = format!("{customer}/1/1");
    let err = s.exec_fails(&customer, &terminate(&missing), &[]);
    assert!(
        err.contains(&format!("allocation {missing} not found")),
        "{err}"
    );
    for bad in [
        "",
        "x/1",
        &format!("{customer}/1/0"),
        &format!("{customer}/01/1"),
    ] {
        let err = s.exec_fails(&customer, &terminate(bad), &[]);
        assert!(err.contains("invalid allocation id"), "{bad}: {err}");
    }
}

/// A provider's state report (through the callback contract) acts for the
/// provider: it cannot resume an allocation the customer paused, and is
/// refused with an error naming who paused it; nothing changes. It still
/// resumes the provider's own pause and a suspension its Waldur reported,
/// and may still terminate or fail a customer-paused allocation.
#[test]
fn provider_report_cannot_resume_a_customer_pause() {
    let mut s = Suite::new();
    let id = allocation_in(&mut s, AllocationState::Active);
    let (customer, provider, callback) =
        (s.customer.clone(), s.provider.clone(), s.callback.clone());
    let pause = ExecuteMsg::PauseAllocation {
        allocation_id: id.clone(),
    };
    let resume = ExecuteMsg::ResumeAllocation {
        allocation_id: id.clone(),
    };

    s.exec(&customer, &pause, &[]).unwrap();
    let paused = allocation(&s, &id);
    let order_before = order_of(&s, &id);
    assert_eq!(paused.allocation.suspended_by, Some(customer.clone()));
    let err = s.exec_fails(
        &callback,
        &report_msg(&id, AllocationState::Active, None, &provider),
        &[],
    );
    assert!(
        err.contains(&format!(
            "allocation {id} was paused by its customer {customer}: a state report from the provider cannot resume it; only the customer may (resume_allocation)"
        )),
        "{err}"
    );
    assert_eq!(allocation(&s, &id), paused);
    assert_eq!(order_of(&s, &id), order_before);
    assert_eq!(order_before.order.state, OrderState::Suspended);
    // Re-sending "suspended" is still the harmless no-op.
    s.report(&id, AllocationState::Suspended).unwrap();
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Suspended
    );

    // The customer resumes its own pause.
    s.exec(&customer, &resume, &[]).unwrap();
    let a = allocation(&s, &id).allocation;
    assert_eq!((a.state, a.suspended_by), (AllocationState::Active, None));

    // The provider's own pause may be lifted by its report.
    s.exec(&provider, &pause, &[]).unwrap();
    s.report(&id, AllocationState::Active).unwrap();
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Active
    );
    // So may a suspension its Waldur reported.
    s.report(&id, AllocationState::Suspended).unwrap();
    s.report(&id, AllocationState::Active).unwrap();
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Active
    );

    // A customer-paused allocation may still be ended from Waldur.
    s.exec(&customer, &pause, &[]).unwrap();
    s.report(&id, AllocationState::Terminating).unwrap();
    assert_eq!(
        allocation(&s, &id).allocation.state,
        AllocationState::Terminating
    );
}
