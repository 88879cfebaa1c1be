mod common;

use common::*;
use cosmwasm_std::{coin, Binary, Uint128};
use marketplace::msg::{
    EncryptedSecrets, ExecuteMsg, OfferingResponse, OfferingUpdate, OfferingsResponse, QueryMsg,
};
use ve_types::{Category, OfferingState, PriceComponent, PricingModel, StateMachine};

fn offering(suite: &Suite, id: &str) -> OfferingResponse {
    suite
        .query(&QueryMsg::Offering {
            offering_id: id.into(),
        })
        .unwrap()
}

fn create_msg(fields: marketplace::msg::OfferingFields) -> ExecuteMsg {
    ExecuteMsg::CreateOffering {
        offering: fields,
        encrypted_secrets: None,
    }
}

fn update_msg(id: &str) -> ExecuteMsg {
    ExecuteMsg::UpdateOffering(OfferingUpdate {
        offering_id: id.into(),
        name: None,
        description: None,
        pricing: None,
        regions: None,
        tags: None,
        specifications: None,
        min_identity_score: None,
        require_mfa_for_orders: None,
        encrypted_secrets: None,
    })
}

#[test]
fn create_assigns_sequences_per_provider_and_emits_event() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let res = s
        .exec(&provider, &create_msg(offering_fields("A")), &[])
        .unwrap();
    let attrs = event_attrs(&res, "ve.offering_created");
    assert_eq!(attrs["offering_id"], format!("{provider}/1"));
    assert_eq!(attrs["provider"], provider.to_string());
    assert_eq!(attrs["category"], "compute");
    assert_eq!(attrs["state"], "active");
    assert_eq!(attrs["state_code"], "1");
    assert_eq!(attrs["version"], "1");

    assert_eq!(
        s.create_offering_as(&provider, offering_fields("B")),
        format!("{provider}/2")
    );
    assert_eq!(
        s.create_offering_as(&provider2, offering_fields("C")),
        format!("{provider2}/1")
    );

    let o = offering(&s, &format!("{provider}/2"));
    assert_eq!(o.offering.name, "B");
    assert_eq!(o.offering.state, OfferingState::Active);
    assert_eq!(o.offering.pricing.base_price, Uint128::new(50_000));
    assert!(!o.has_encrypted_secrets);
}

#[test]
fn encrypted_secrets_are_never_returned() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let secret = Binary::from(b"CIPHERTEXT-super-secret".to_vec());
    let msg = ExecuteMsg::CreateOffering {
        offering: offering_fields("A"),
        encrypted_secrets: Some(EncryptedSecrets {
            envelope: secret.clone(),
            recipient_key_ids: vec!["k1".into()],
        }),
    };
    s.exec(&provider, &msg, &[]).unwrap();
    let id = format!("{provider}/1");
    let o = offering(&s, &id);
    assert!(o.has_encrypted_secrets);
    // No query answer carries the envelope, in any encoding.
    let answer: serde_json::Value = s
        .query(&QueryMsg::Offering {
            offering_id: id.clone(),
        })
        .unwrap();
    let text = answer.to_string();
    assert!(!text.contains(&secret.to_base64()), "{text}");
    assert!(!text.contains("CIPHERTEXT"), "{text}");
    let list: OfferingsResponse = s
        .query(&QueryMsg::Offerings {
            start_after: None,
            limit: None,
        })
        .unwrap();
    let text = serde_json::to_string(&list).unwrap();
    assert!(!text.contains(&secret.to_base64()));
}

#[test]
fn create_rejects_malformed_fields_with_named_errors() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    type Tweak = Box<dyn Fn(&mut marketplace::msg::OfferingFields)>;
    let cases: Vec<(Tweak, &str)> = vec![
        (
            Box::new(|f| f.name = "".into()),
            "invalid name: must not be empty",
        ),
        (
            Box::new(|f| f.name = "   ".into()),
            "invalid name: must not be empty",
        ),
        (
            Box::new(|f| f.name = "x".repeat(256)),
            "invalid name: 256 characters, at most 255",
        ),
        (
            Box::new(|f| f.name = "bad\u{0}name".into()),
            "invalid name: contains control characters",
        ),
        (
            Box::new(|f| f.min_identity_score = 101),
            "invalid min_identity_score: 101 is above 100",
        ),
        (
            Box::new(|f| f.pricing.denom = "u".into()),
            "invalid pricing: invalid denom",
        ),
        (
            Box::new(|f| f.pricing.base_price = Uint128::zero()),
            "base_price must be greater than zero",
        ),
        (
            Box::new(|f| {
                let c = PriceComponent {
                    resource_type: "cpu".into(),
                    unit: "cpu_hour".into(),
                    price: Uint128::one(),
                };
                f.pricing.components = vec![c.clone(), c];
            }),
            "duplicate price component \"cpu\"",
        ),
        (
            Box::new(|f| {
                f.pricing.model = PricingModel::UsageBased;
                f.pricing.components = vec![];
            }),
            "a usage_based offering needs at least one price component",
        ),
        (
            Box::new(|f| f.regions = vec!["us-east-1".into(), "us-east-1".into()]),
            "invalid regions: duplicate",
        ),
        (
            Box::new(|f| f.regions = vec!["US EAST".into()]),
            "invalid regions",
        ),
        (
            Box::new(|f| f.tags = (0..33).map(|i| format!("t{i}")).collect()),
            "invalid tags: 33 items, at most 32",
        ),
        (
            Box::new(|f| {
                f.specifications.insert("k".into(), "v".repeat(257));
            }),
            "invalid specifications: 257 characters, at most 256",
        ),
    ];
    for (tweak, expected) in cases {
        let mut fields = offering_fields("ok");
        tweak(&mut fields);
        let err = s.exec_fails(&provider, &create_msg(fields), &[]);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
    // Funds are refused rather than kept.
    let err = s.exec_fails(
        &provider,
        &create_msg(offering_fields("ok")),
        &[coin(1, DENOM)],
    );
    assert!(
        err.contains("this message takes no funds, got [1uvirt]"),
        "{err}"
    );
}

#[test]
fn create_accepts_boundary_values() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let mut fields = offering_fields(&"n".repeat(255));
    fields.min_identity_score = 100;
    fields.tags = (0..32).map(|i| format!("t{i}")).collect();
    fields.pricing.model = PricingModel::UsageBased;
    fields.pricing.base_price = Uint128::zero();
    fields.pricing.components = (0..16)
        .map(|i| PriceComponent {
            resource_type: format!("c{i}"),
            unit: "unit".into(),
            price: Uint128::one(),
        })
        .collect();
    fields.category = Category::Ml;
    let id = s.create_offering_as(&provider, fields);
    assert_eq!(offering(&s, &id).offering.name.chars().count(), 255);
}

#[test]
fn update_replaces_only_given_fields_and_bumps_version() {
    let mut s = Suite::new();
    let id = s.create_offering();
    let provider = s.provider.clone();
    let before = offering(&s, &id).offering;
    let mut msg = update_msg(&id);
    if let ExecuteMsg::UpdateOffering(OfferingUpdate { name, pricing, .. }) = &mut msg {
        *name = Some("Renamed".into());
        *pricing = Some(hourly_pricing(70_000));
    }
    s.advance(10);
    let res = s.exec(&provider, &msg, &[]).unwrap();
    assert_eq!(event_attrs(&res, "ve.offering_updated")["version"], "2");
    let after = offering(&s, &id).offering;
    assert_eq!(after.name, "Renamed");
    assert_eq!(after.pricing.base_price, Uint128::new(70_000));
    assert_eq!(after.version, 2);
    assert!(after.updated_at > before.updated_at);
    // Everything not named is untouched, state included.
    assert_eq!(after.state, OfferingState::Active);
    assert_eq!(after.description, before.description);
    assert_eq!(after.regions, before.regions);
    assert_eq!(after.specifications, before.specifications);
    assert_eq!(after.min_identity_score, before.min_identity_score);
    assert_eq!(after.require_mfa_for_orders, before.require_mfa_for_orders);
}

#[test]
fn update_rejects_wrong_caller_state_and_input() {
    let mut s = Suite::new();
    let id = s.create_offering();
    let (provider, provider2, admin) = (s.provider.clone(), s.provider2.clone(), s.admin.clone());
    let mut rename = update_msg(&id);
    if let ExecuteMsg::UpdateOffering(OfferingUpdate { name, .. }) = &mut rename {
        *name = Some("x".into());
    }
    for who in [&provider2, &admin] {
        let err = s.exec_fails(who, &rename, &[]);
        assert!(
            err.contains("unauthorized: update an offering may only be done by its provider"),
            "{err}"
        );
    }
    let err = s.exec_fails(&provider, &update_msg(&id), &[]);
    assert!(err.contains("nothing to update"), "{err}");

    let mut bad = update_msg(&id);
    if let ExecuteMsg::UpdateOffering(OfferingUpdate {
        min_identity_score, ..
    }) = &mut bad
    {
        *min_identity_score = Some(200);
    }
    let err = s.exec_fails(&provider, &bad, &[]);
    assert!(err.contains("invalid min_identity_score"), "{err}");

    let mut missing = rename.clone();
    if let ExecuteMsg::UpdateOffering(OfferingUpdate { offering_id, .. }) = &mut missing {
        *offering_id = format!("{provider}/9");
    }
    let err = s.exec_fails(&provider, &missing, &[]);
    assert!(
        err.contains(&format!("offering {provider}/9 not found")),
        "{err}"
    );

    let mut malformed = rename.clone();
    if let ExecuteMsg::UpdateOffering(OfferingUpdate { offering_id, .. }) = &mut malformed {
        *offering_id = "not-an-id".into();
    }
    let err = s.exec_fails(&provider, &malformed, &[]);
    assert!(err.contains("invalid offering id \"not-an-id\""), "{err}");

    let mut bad_addr = rename.clone();
    if let ExecuteMsg::UpdateOffering(OfferingUpdate { offering_id, .. }) = &mut bad_addr {
        *offering_id = "NotAnAddress/1".into();
    }
    let err = s.exec_fails(&provider, &bad_addr, &[]);
    assert!(err.contains("invalid offering_id"), "{err}");

    s.exec(
        &provider,
        &ExecuteMsg::TerminateOffering {
            offering_id: id.clone(),
            reason: None,
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&provider, &rename, &[]);
    assert!(err.contains("is terminated"), "{err}");
}

#[test]
fn state_changes_check_the_caller() {
    let mut s = Suite::new();
    let id = s.create_offering();
    let (provider, admin, stranger) = (s.provider.clone(), s.admin.clone(), s.stranger.clone());
    let oid = || id.clone();

    let err = s.exec_fails(
        &stranger,
        &ExecuteMsg::PauseOffering { offering_id: oid() },
        &[],
    );
    assert!(
        err.contains("pause_offering may only be done by the offering's provider"),
        "{err}"
    );
    let err = s.exec_fails(
        &admin,
        &ExecuteMsg::DeprecateOffering { offering_id: oid() },
        &[],
    );
    assert!(
        err.contains("deprecate_offering may only be done by the offering's provider"),
        "{err}"
    );
    let suspend = ExecuteMsg::SuspendOffering {
        offering_id: oid(),
        reason: "policy".into(),
    };
    let err = s.exec_fails(&provider, &suspend, &[]);
    assert!(
        err.contains("suspend_offering may only be done by the admin"),
        "{err}"
    );

    let res = s.exec(&admin, &suspend, &[]).unwrap();
    let attrs = event_attrs(&res, "ve.offering_state_changed");
    assert_eq!(attrs["from"], "active");
    assert_eq!(attrs["state"], "suspended");
    assert_eq!(attrs["reason"], "policy");

    // The provider cannot lift a governance suspension.
    let err = s.exec_fails(
        &provider,
        &ExecuteMsg::ResumeOffering { offering_id: oid() },
        &[],
    );
    assert!(
        err.contains("resume_offering may only be done by the admin"),
        "{err}"
    );
    s.exec(
        &admin,
        &ExecuteMsg::ResumeOffering { offering_id: oid() },
        &[],
    )
    .unwrap();

    let err = s.exec_fails(
        &stranger,
        &ExecuteMsg::TerminateOffering {
            offering_id: oid(),
            reason: None,
        },
        &[],
    );
    assert!(
        err.contains("the offering's provider or the admin"),
        "{err}"
    );
    let long_reason = ExecuteMsg::TerminateOffering {
        offering_id: oid(),
        reason: Some("r".repeat(257)),
    };
    let err = s.exec_fails(&admin, &long_reason, &[]);
    assert!(err.contains("invalid reason"), "{err}");
    s.exec(
        &admin,
        &ExecuteMsg::TerminateOffering {
            offering_id: oid(),
            reason: Some("fraud".into()),
        },
        &[],
    )
    .unwrap();
    assert_eq!(offering(&s, &id).offering.state, OfferingState::Terminated);
    assert_eq!(
        offering(&s, &id).offering.state_reason.as_deref(),
        Some("fraud")
    );
}

/// Drives an offering into `state` with the parties allowed to.
fn offering_in(s: &mut Suite, state: OfferingState) -> String {
    let id = s.create_offering();
    let (provider, admin) = (s.provider.clone(), s.admin.clone());
    let msg = match state {
        OfferingState::Active => return id,
        OfferingState::Paused => (
            provider,
            ExecuteMsg::PauseOffering {
                offering_id: id.clone(),
            },
        ),
        OfferingState::Deprecated => (
            provider,
            ExecuteMsg::DeprecateOffering {
                offering_id: id.clone(),
            },
        ),
        OfferingState::Terminated => (
            provider,
            ExecuteMsg::TerminateOffering {
                offering_id: id.clone(),
                reason: None,
            },
        ),
        OfferingState::Suspended => (
            admin,
            ExecuteMsg::SuspendOffering {
                offering_id: id.clone(),
                reason: "r".into(),
            },
        ),
    };
    s.exec(&msg.0, &msg.1, &[]).unwrap();
    assert_eq!(offering(s, &id).offering.state, state);
    id
}

/// Every (from, to) pair, through the contract, against the lifecycle of
/// the mapping spec written out here independently of the shared table.
#[test]
fn every_offering_transition_pair() {
    use OfferingState::*;
    let spec: &[(OfferingState, &[OfferingState])] = &[
        (Active, &[Paused, Suspended, Deprecated, Terminated]),
        (Paused, &[Active, Suspended, Deprecated, Terminated]),
        (Suspended, &[Active, Terminated]),
        (Deprecated, &[Suspended, Terminated]),
        (Terminated, &[]),
    ];
    let mut s = Suite::new();
    let (provider, admin) = (s.provider.clone(), s.admin.clone());
    for (from, allowed) in spec {
        for to in OfferingState::ALL {
            let id = offering_in(&mut s, *from);
            let (sender, msg) = match to {
                Active if *from == Suspended => (
                    &admin,
                    ExecuteMsg::ResumeOffering {
                        offering_id: id.clone(),
                    },
                ),
                Active => (
                    &provider,
                    ExecuteMsg::ResumeOffering {
                        offering_id: id.clone(),
                    },
                ),
                Paused => (
                    &provider,
                    ExecuteMsg::PauseOffering {
                        offering_id: id.clone(),
                    },
                ),
                Deprecated => (
                    &provider,
                    ExecuteMsg::DeprecateOffering {
                        offering_id: id.clone(),
                    },
                ),
                Terminated => (
                    &provider,
                    ExecuteMsg::TerminateOffering {
                        offering_id: id.clone(),
                        reason: None,
                    },
                ),
                Suspended => (
                    &admin,
                    ExecuteMsg::SuspendOffering {
                        offering_id: id.clone(),
                        reason: "r".into(),
                    },
                ),
            };
            let expected = allowed.contains(to);
            assert_eq!(
                from.can_transition_to(*to),
                expected,
                "shared table {from} -> {to}"
            );
            if expected {
                s.exec(sender, &msg, &[])
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                assert_eq!(offering(&s, &id).offering.state, *to);
            } else {
                let err = s.exec_fails(sender, &msg, &[]);
                assert!(
                    err.contains(&format!("offering {id} cannot go from {from} to {to}")),
                    "{from} -> {to}: {err}"
                );
            }
        }
    }
}

#[test]
fn orders_need_an_active_offering() {
    let mut s = Suite::new();
    let customer = s.customer.clone();
    for state in [
        OfferingState::Paused,
        OfferingState::Suspended,
        OfferingState::Deprecated,
        OfferingState::Terminated,
    ] {
        let id = offering_in(&mut s, state);
        let err = s.exec_fails(
            &customer,
            &create_order_msg(&id, 1, 100),
            &[coin(100, DENOM)],
        );
        assert!(
            err.contains(&format!("offering {id} is {state} and takes no new orders")),
            "{err}"
        );
    }
}

fn ingest_msg(
    provider: &cosmwasm_std::Addr,
    waldur_id: &str,
    name: &str,
    state: OfferingState,
) -> ExecuteMsg {
    ExecuteMsg::IngestOffering {
        provider: provider.to_string(),
        waldur_id: waldur_id.into(),
        offering: offering_fields(name),
        state,
    }
}

#[test]
fn waldur_offerings_are_ingested_through_the_callback_contract() {
    let mut s = Suite::new();
    let (callback, provider, stranger) =
        (s.callback.clone(), s.provider.clone(), s.stranger.clone());
    let uuid = "550e8400-e29b-41d4-a716-446655440000";
    for who in [&provider, &stranger] {
        let err = s.exec_fails(
            who,
            &ingest_msg(&provider, uuid, "W", OfferingState::Active),
            &[],
        );
        assert!(
            err.contains("ingest an offering may only be done by the waldur-callback contract"),
            "{err}"
        );
    }
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, uuid, "W", OfferingState::Terminated),
        &[],
    );
    assert!(
        err.contains("a new offering is ingested active or paused, not terminated"),
        "{err}"
    );
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, "has space", "W", OfferingState::Active),
        &[],
    );
    assert!(err.contains("invalid backend_id"), "{err}");
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, uuid, "", OfferingState::Active),
        &[],
    );
    assert!(err.contains("invalid name"), "{err}");

    let res = s
        .exec(
            &callback,
            &ingest_msg(&provider, uuid, "From Waldur", OfferingState::Active),
            &[],
        )
        .unwrap();
    let created = event_attrs(&res, "ve.offering_created");
    assert_eq!(created["waldur_id"], uuid);
    let id = created["offering_id"].clone();
    assert_eq!(id, format!("{provider}/1"));

    // The same Waldur offering again updates it; Archived ends it.
    let res = s
        .exec(
            &callback,
            &ingest_msg(&provider, uuid, "Renamed", OfferingState::Paused),
            &[],
        )
        .unwrap();
    assert_eq!(
        event_attrs(&res, "ve.offering_state_changed")["state"],
        "paused"
    );
    let o = offering(&s, &id).offering;
    assert_eq!(
        (o.name.as_str(), o.state, o.version),
        ("Renamed", OfferingState::Paused, 2)
    );
    s.exec(
        &callback,
        &ingest_msg(&provider, uuid, "Renamed", OfferingState::Terminated),
        &[],
    )
    .unwrap();
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, uuid, "Again", OfferingState::Active),
        &[],
    );
    assert!(
        err.contains(&format!("offering {id} is terminated")),
        "{err}"
    );
    // Another provider's offering with the same UUID is its own.
    let p2 = s.provider2.clone();
    let res = s
        .exec(
            &callback,
            &ingest_msg(&p2, uuid, "Other", OfferingState::Active),
            &[],
        )
        .unwrap();
    assert_eq!(
        event_attrs(&res, "ve.offering_created")["offering_id"],
        format!("{p2}/1")
    );
}

/// An admin suspension is lifted by the admin only, whatever the path: an
/// ingest from the provider's Waldur (which acts for the provider) can no
/// more resume a suspended offering than `resume_offering` by the provider,
/// nor suspend one. It may still replace fields and terminate, as the
/// provider may.
#[test]
fn ingest_cannot_lift_or_impose_an_admin_suspension() {
    let mut s = Suite::new();
    let (callback, provider, admin) = (s.callback.clone(), s.provider.clone(), s.admin.clone());
    let uuid = "550e8400-e29b-41d4-a716-446655440000";
    s.exec(
        &callback,
        &ingest_msg(&provider, uuid, "From Waldur", OfferingState::Active),
        &[],
    )
    .unwrap();
    let id = format!("{provider}/1");

    // An active offering cannot be suspended through an ingest.
    let before = offering(&s, &id);
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, uuid, "From Waldur", OfferingState::Suspended),
        &[],
    );
    assert!(
        err.contains(&format!(
            "offering {id} is active: an ingest from the provider's Waldur cannot move it to suspended; only the admin may"
        )),
        "{err}"
    );
    assert_eq!(offering(&s, &id), before);

    s.exec(
        &admin,
        &ExecuteMsg::SuspendOffering {
            offering_id: id.clone(),
            reason: "policy".into(),
        },
        &[],
    )
    .unwrap();
    let suspended = offering(&s, &id);
    assert_eq!(suspended.offering.state, OfferingState::Suspended);

    // The provider can lift it neither directly ...
    let err = s.exec_fails(
        &provider,
        &ExecuteMsg::ResumeOffering {
            offering_id: id.clone(),
        },
        &[],
    );
    assert!(
        err.contains("resume_offering may only be done by the admin"),
        "{err}"
    );
    // ... nor through its Waldur.
    let err = s.exec_fails(
        &callback,
        &ingest_msg(&provider, uuid, "Renamed", OfferingState::Active),
        &[],
    );
    assert!(
        err.contains(&format!(
            "offering {id} is suspended: an ingest from the provider's Waldur cannot move it to active; only the admin may"
        )),
        "{err}"
    );
    assert_eq!(offering(&s, &id), suspended);

    // Fields may still change while it stays suspended.
    s.exec(
        &callback,
        &ingest_msg(&provider, uuid, "Renamed", OfferingState::Suspended),
        &[],
    )
    .unwrap();
    let o = offering(&s, &id).offering;
    assert_eq!(
        (o.name.as_str(), o.state, o.version),
        (
            "Renamed",
            OfferingState::Suspended,
            suspended.offering.version + 1
        )
    );

    // The admin lifts it; then the provider's Waldur pauses and resumes.
    s.exec(
        &admin,
        &ExecuteMsg::ResumeOffering {
            offering_id: id.clone(),
        },
        &[],
    )
    .unwrap();
    for state in [OfferingState::Paused, OfferingState::Active] {
        s.exec(
            &callback,
            &ingest_msg(&provider, uuid, "Renamed", state),
            &[],
        )
        .unwrap();
        assert_eq!(offering(&s, &id).offering.state, state);
    }

    // A suspended offering may still be terminated by the provider's Waldur.
    s.exec(
        &admin,
        &ExecuteMsg::SuspendOffering {
            offering_id: id.clone(),
            reason: "policy".into(),
        },
        &[],
    )
    .unwrap();
    s.exec(
        &callback,
        &ingest_msg(&provider, uuid, "Renamed", OfferingState::Terminated),
        &[],
    )
    .unwrap();
    assert_eq!(offering(&s, &id).offering.state, OfferingState::Terminated);
}
