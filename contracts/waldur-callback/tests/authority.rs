//! Who may do what, whatever the path: a provider's signed callback acts
//! for that provider and no further (audit of 0.2.0, issue 16), and every
//! config field is applied or refused.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use ve_types::callback::OfferingIngestPayload;
use ve_types::{ActionType, AllocationState, OfferingState};
use waldur_callback::msg::{ExecuteMsg, QueryMsg};
use waldur_callback::state::Config;

fn config(s: &Suite) -> Config {
    s.query(&QueryMsg::Config {}).unwrap()
}

/// One update giving all eight fields changes all eight; a refused one
/// changes none.
#[test]
fn update_config_applies_every_field() {
    let mut s = Suite::new();
    let admin = s.admin.clone();
    let api = *s.app.api();
    let [new_admin, marketplace, settlement, hpc] =
        ["admin2", "marketplace2", "settlement2", "hpc2"].map(|n| api.addr_make(n));
    let all = |hpc: String, prune_batch: u32| {
        ExecuteMsg::UpdateConfig(waldur_callback::msg::ConfigUpdate {
            admin: Some(new_admin.to_string()),
            marketplace: Some(marketplace.to_string()),
            settlement: Some(settlement.to_string()),
            hpc: Some(hpc),
            max_validity_seconds: Some(600),
            max_clock_skew_seconds: Some(5),
            max_payload_bytes: Some(1_024),
            prune_batch: Some(prune_batch),
        })
    };
    let before = config(&s);
    for (msg, expected) in [
        (all("Bad".into(), 3), "invalid hpc"),
        (
            all(hpc.to_string(), 501),
            "invalid prune_batch: must be 1-500",
        ),
    ] {
        let state = s.all_state();
        let err = s.exec(&admin, &msg).unwrap_err().to_string();
        assert!(err.contains(expected), "{expected}: {err}");
        assert_eq!(s.all_state(), state);
        assert_eq!(config(&s), before);
    }
    s.exec(&admin, &all(hpc.to_string(), 3)).unwrap();
    assert_eq!(
        config(&s),
        Config {
            admin: new_admin,
            marketplace: Some(marketplace),
            settlement: Some(settlement),
            hpc: Some(hpc),
            max_validity_seconds: 600,
            max_clock_skew_seconds: 5,
            max_payload_bytes: 1_024,
            prune_batch: 3,
        }
    );
}

fn allocation(s: &Suite, id: &str) -> marketplace::msg::AllocationResponse {
    s.app
        .wrap()
        .query_wasm_smart(
            s.marketplace.clone(),
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: id.into(),
            },
        )
        .unwrap()
}

/// A provider's `status_update` to active cannot resume an allocation the
/// customer paused: the callback is refused (nothing stored anywhere, the
/// nonce not used) until the customer resumes.
#[test]
fn status_update_cannot_resume_a_customer_pause() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let id = s.active_allocation_of(&provider);
    let customer = s.customer.clone();
    let m = s.marketplace.clone();
    let pause = marketplace::msg::ExecuteMsg::PauseAllocation {
        allocation_id: id.clone(),
    };
    s.app
        .execute_contract(customer.clone(), m.clone(), &pause, &[])
        .unwrap();
    let paused = allocation(&s, &id);
    assert_eq!(paused.allocation.state, AllocationState::Suspended);

    let cb = s.state_callback(ActionType::StatusUpdate, &id, AllocationState::Active);
    let err = s.submit_fails(&cb);
    assert!(
        err.contains(&format!(
            "allocation {id} was paused by its customer {customer}: a state report from the provider cannot resume it"
        )),
        "{err}"
    );
    assert_eq!(allocation(&s, &id), paused);

    // The customer resumes; the provider's Waldur may then suspend and
    // resume on its own account.
    s.app
        .execute_contract(
            customer,
            m,
            &marketplace::msg::ExecuteMsg::ResumeAllocation {
                allocation_id: id.clone(),
            },
            &[],
        )
        .unwrap();
    for state in [AllocationState::Suspended, AllocationState::Active] {
        let cb = s.state_callback(ActionType::StatusUpdate, &id, state);
        s.submit(&cb).unwrap();
        assert_eq!(s.allocation_state(&id), state);
    }
}

fn offering(s: &Suite, id: &str) -> marketplace::msg::OfferingResponse {
    s.app
        .wrap()
        .query_wasm_smart(
            s.marketplace.clone(),
            &marketplace::msg::QueryMsg::Offering {
                offering_id: id.into(),
            },
        )
        .unwrap()
}

/// An offering ingest signed by the provider cannot lift the admin's
/// suspension of its offering (nor can the provider's `resume_offering`);
/// the admin's resume does.
#[test]
fn offering_ingest_cannot_lift_an_admin_suspension() {
    let mut s = Suite::new();
    let (provider, admin) = (s.provider.clone(), s.admin.clone());
    let uuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    let payload = |state| OfferingIngestPayload {
        offering: ve_types::OfferingFields::new(
            "From Waldur",
            "",
            ve_types::Category::Gpu,
            ve_types::Pricing::new(
                ve_types::PricingModel::Hourly,
                DENOM,
                Uint128::new(5),
                vec![],
            ),
        ),
        state,
    };
    let ingest = |s: &mut Suite, state| {
        let mut draft = s.draft(&provider, ActionType::OfferingIngest, uuid, &payload(state));
        draft.waldur_id = uuid.into();
        s.sign(draft, &s.key)
    };
    let cb = ingest(&mut s, OfferingState::Active);
    s.submit(&cb).unwrap();
    let id = format!("{provider}/1");
    let m = s.marketplace.clone();
    s.app
        .execute_contract(
            admin.clone(),
            m.clone(),
            &marketplace::msg::ExecuteMsg::SuspendOffering {
                offering_id: id.clone(),
                reason: "policy".into(),
            },
            &[],
        )
        .unwrap();
    let suspended = offering(&s, &id);
    assert_eq!(suspended.offering.state, OfferingState::Suspended);

    let cb = ingest(&mut s, OfferingState::Active);
    let err = s.submit_fails(&cb);
    assert!(
        err.contains(&format!(
            "offering {id} is suspended: an ingest from the provider's Waldur cannot move it to active; only the admin may"
        )),
        "{err}"
    );
    assert_eq!(offering(&s, &id), suspended);

    let resume = marketplace::msg::ExecuteMsg::ResumeOffering {
        offering_id: id.clone(),
    };
    let err = s
        .app
        .execute_contract(provider.clone(), m.clone(), &resume, &[])
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("resume_offering may only be done by the admin"),
        "{err}"
    );
    s.app.execute_contract(admin, m, &resume, &[]).unwrap();
    // Active again: the provider's Waldur pauses it.
    let cb = ingest(&mut s, OfferingState::Paused);
    s.submit(&cb).unwrap();
    assert_eq!(offering(&s, &id).offering.state, OfferingState::Paused);
}

/// The two-step admin transfer (propose_admin, accept_admin,
/// cancel_admin_transfer, pending_admin): the scenario every contract
/// passes (`ve_testing::check_admin_transfer`).
#[test]
fn the_admin_is_transferred_in_two_steps() {
    let mut s = Suite::new();
    let parties = ve_testing::AdminTransferParties {
        contract: s.callback.clone(),
        admin: s.admin.clone(),
        next: s.provider2.clone(),
        stranger: s.stranger.clone(),
    };
    let msgs = ve_testing::AdminTransferMsgs {
        propose: |new_admin, expiry| waldur_callback::msg::ExecuteMsg::ProposeAdmin {
            new_admin: new_admin.to_string(),
            expiry,
        },
        accept: waldur_callback::msg::ExecuteMsg::AcceptAdmin {},
        cancel: waldur_callback::msg::ExecuteMsg::CancelAdminTransfer {},
        admin_only: ExecuteMsg::UpdateConfig(waldur_callback::msg::ConfigUpdate {
            admin: None,
            marketplace: None,
            settlement: None,
            hpc: None,
            max_validity_seconds: Some(600),
            max_clock_skew_seconds: None,
            max_payload_bytes: None,
            prune_batch: None,
        }),
        pending_query: waldur_callback::msg::QueryMsg::PendingAdmin {},
        config_query: waldur_callback::msg::QueryMsg::Config {},
    };
    ve_testing::check_admin_transfer(&mut s.app, &parties, &msgs);
}
