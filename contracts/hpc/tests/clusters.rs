mod common;

use std::collections::BTreeMap;

use common::*;
use cosmwasm_std::coin;
use hpc::msg::{ClusterResponse, ClusterUpdate, ExecuteMsg, QueryMsg};
use ve_types::{ClusterState, StateMachine};

fn cluster(s: &Suite, id: &str) -> ClusterResponse {
    s.query(&QueryMsg::Cluster {
        cluster_id: id.into(),
    })
    .unwrap()
}

fn update(id: &str) -> ExecuteMsg {
    ExecuteMsg::UpdateCluster(ClusterUpdate {
        cluster_id: id.into(),
        name: None,
        region: None,
        total_nodes: None,
        available_nodes: None,
        specifications: None,
    })
}

fn with_nodes(id: &str, total: Option<u32>, available: Option<u32>) -> ExecuteMsg {
    ExecuteMsg::UpdateCluster(ClusterUpdate {
        cluster_id: id.into(),
        name: None,
        region: None,
        total_nodes: total,
        available_nodes: available,
        specifications: None,
    })
}

/// The message that moves a cluster to `to`.
fn change_msg(id: &str, to: ClusterState) -> ExecuteMsg {
    let cluster_id = id.to_string();
    match to {
        ClusterState::Active => ExecuteMsg::ReactivateCluster { cluster_id },
        ClusterState::Draining => ExecuteMsg::DrainCluster {
            cluster_id,
            reason: Some("maintenance".into()),
        },
        ClusterState::Offline => ExecuteMsg::SetClusterOffline {
            cluster_id,
            reason: None,
        },
        ClusterState::Deregistered => ExecuteMsg::DeregisterCluster {
            cluster_id,
            reason: None,
        },
    }
}

type Tweak = Box<dyn Fn(&mut hpc::msg::ClusterFields)>;

#[test]
fn register_assigns_ids_per_provider_and_emits_event() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let res = s
        .exec(
            &provider,
            &ExecuteMsg::RegisterCluster {
                cluster: cluster_fields("Snellius"),
            },
            &[],
        )
        .unwrap();
    let id = Suite::returned_id(&res);
    assert_eq!(id, format!("{provider}/1"));
    let attrs = event_attrs(&res, "ve.cluster_registered");
    assert_eq!(attrs["cluster_id"], id);
    assert_eq!(attrs["provider"], provider.as_str());
    assert_eq!(attrs["state"], "active");
    assert_eq!(attrs["state_code"], "1");
    assert_eq!(attrs["total_nodes"], "16");
    assert_eq!(attrs["available_nodes"], "16");

    let c = cluster(&s, &id);
    assert_eq!(c.id, id);
    assert_eq!(c.cluster.state, ClusterState::Active);
    assert_eq!(c.cluster.available_nodes, 16);
    assert_eq!(c.cluster.version, 1);

    assert_eq!(
        s.register_cluster_as(&provider, cluster_fields("Lisa")),
        format!("{provider}/2")
    );
    assert_eq!(
        s.register_cluster_as(&provider2, cluster_fields("Other")),
        format!("{provider2}/1")
    );
}

#[test]
fn register_rejects_malformed_input() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let cases: Vec<(Tweak, &str)> = vec![
        (
            Box::new(|f| f.name = "".into()),
            "invalid name: must not be empty",
        ),
        (
            Box::new(|f| f.name = "  ".into()),
            "invalid name: must not be empty",
        ),
        (
            Box::new(|f| f.name = "x".repeat(256)),
            "invalid name: 256 characters, at most 255",
        ),
        (
            Box::new(|f| f.name = "a\nb".into()),
            "invalid name: contains control characters",
        ),
        (Box::new(|f| f.region = "EU West".into()), "invalid region"),
        (Box::new(|f| f.region = "".into()), "invalid region"),
        (
            Box::new(|f| f.total_nodes = 0),
            "invalid total_nodes: 0 must be 1-1000000",
        ),
        (
            Box::new(|f| f.total_nodes = 1_000_001),
            "invalid total_nodes: 1000001 must be 1-1000000",
        ),
        (
            Box::new(|f| f.available_nodes = Some(17)),
            "invalid available_nodes: 17 is above total_nodes 16",
        ),
        (
            Box::new(|f| {
                f.specifications = BTreeMap::from([("Bad Key".into(), "x".into())]);
            }),
            "invalid specifications",
        ),
        (
            Box::new(|f| {
                f.specifications = (0..65).map(|i| (format!("k{i}"), "v".into())).collect();
            }),
            "invalid specifications: 65 entries, at most 64",
        ),
    ];
    for (tweak, expected) in cases {
        let mut fields = cluster_fields("Snellius");
        tweak(&mut fields);
        let err = s.exec_fails(
            &provider,
            &ExecuteMsg::RegisterCluster { cluster: fields },
            &[],
        );
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // Boundaries that pass: 255-character name, 1 node, available = total,
    // zero available.
    let mut fields = cluster_fields(&"x".repeat(255));
    fields.total_nodes = 1;
    fields.available_nodes = Some(1);
    s.register_cluster_as(&provider, fields);
    let mut fields = cluster_fields("max");
    fields.total_nodes = 1_000_000;
    fields.available_nodes = Some(0);
    s.register_cluster_as(&provider, fields);

    // Funds are refused.
    let err = s.exec_fails(
        &provider,
        &ExecuteMsg::RegisterCluster {
            cluster: cluster_fields("paid"),
        },
        &[coin(5, DENOM)],
    );
    assert!(err.contains("this message takes no funds"), "{err}");
}

#[test]
fn update_changes_only_given_fields() {
    let mut s = Suite::new();
    let id = s.register_cluster();
    let provider = s.provider.clone();
    let before = cluster(&s, &id).cluster;

    let res = s
        .exec(&provider, &with_nodes(&id, None, Some(4)), &[])
        .unwrap();
    let attrs = event_attrs(&res, "ve.cluster_updated");
    assert_eq!(attrs["cluster_id"], id);
    assert_eq!(attrs["available_nodes"], "4");
    assert_eq!(attrs["version"], "2");
    let after = cluster(&s, &id).cluster;
    assert_eq!(after.available_nodes, 4);
    assert_eq!(after.total_nodes, before.total_nodes);
    assert_eq!(after.name, before.name);
    assert_eq!(after.region, before.region);
    assert_eq!(after.specifications, before.specifications);

    let msg = ExecuteMsg::UpdateCluster(ClusterUpdate {
        cluster_id: id.clone(),
        name: Some("Snellius 2".into()),
        region: Some("eu-central-1".into()),
        total_nodes: Some(32),
        available_nodes: None,
        specifications: Some(BTreeMap::new()),
    });
    s.exec(&provider, &msg, &[]).unwrap();
    let after = cluster(&s, &id).cluster;
    assert_eq!(after.name, "Snellius 2");
    assert_eq!(after.region, "eu-central-1");
    assert_eq!((after.total_nodes, after.available_nodes), (32, 4));
    assert!(after.specifications.is_empty());
    assert_eq!(after.version, 3);

    // Boundaries: available = total passes, one above fails, and a smaller
    // total must still cover the kept available count.
    s.exec(&provider, &with_nodes(&id, None, Some(32)), &[])
        .unwrap();
    let err = s.exec_fails(&provider, &with_nodes(&id, None, Some(33)), &[]);
    assert!(
        err.contains("invalid available_nodes: 33 is above total_nodes 32"),
        "{err}"
    );
    let err = s.exec_fails(&provider, &with_nodes(&id, Some(31), None), &[]);
    assert!(
        err.contains("invalid available_nodes: 32 is above total_nodes 31"),
        "{err}"
    );
    let err = s.exec_fails(&provider, &with_nodes(&id, Some(0), Some(0)), &[]);
    assert!(
        err.contains("invalid total_nodes: 0 must be 1-1000000"),
        "{err}"
    );
    s.exec(&provider, &with_nodes(&id, Some(1), Some(0)), &[])
        .unwrap();
}

#[test]
fn update_rejects_bad_callers_states_and_input() {
    let mut s = Suite::new();
    let id = s.register_cluster();
    let provider = s.provider.clone();
    let admin = s.admin.clone();
    let provider2 = s.provider2.clone();

    for who in [&admin, &provider2] {
        let err = s.exec_fails(who, &with_nodes(&id, None, Some(1)), &[]);
        assert!(
            err.contains("unauthorized: update a cluster may only be done by its provider"),
            "{err}"
        );
    }
    let err = s.exec_fails(&provider, &update(&id), &[]);
    assert!(err.contains("nothing to update"), "{err}");

    let bad_name = ExecuteMsg::UpdateCluster(ClusterUpdate {
        cluster_id: id.clone(),
        name: Some("".into()),
        region: None,
        total_nodes: None,
        available_nodes: None,
        specifications: None,
    });
    let err = s.exec_fails(&provider, &bad_name, &[]);
    assert!(err.contains("invalid name: must not be empty"), "{err}");

    // Malformed and unknown IDs.
    let err = s.exec_fails(&provider, &with_nodes("nope", None, Some(1)), &[]);
    assert!(err.contains("invalid cluster id \"nope\""), "{err}");
    let err = s.exec_fails(
        &provider,
        &with_nodes(&format!("{provider}/0"), None, Some(1)),
        &[],
    );
    assert!(err.contains("sequences start at 1"), "{err}");
    let err = s.exec_fails(&provider, &with_nodes("notanaddress/1", None, Some(1)), &[]);
    assert!(err.contains("invalid cluster_id"), "{err}");
    let err = s.exec_fails(
        &provider,
        &with_nodes(&format!("{provider}/9"), None, Some(1)),
        &[],
    );
    assert!(
        err.contains(&format!("cluster {provider}/9 not found")),
        "{err}"
    );

    // A deregistered cluster is frozen.
    s.exec(&provider, &change_msg(&id, ClusterState::Deregistered), &[])
        .unwrap();
    let err = s.exec_fails(&provider, &with_nodes(&id, None, Some(1)), &[]);
    assert!(
        err.contains(&format!(
            "cluster {id} is deregistered; this needs a cluster that is not deregistered"
        )),
        "{err}"
    );
}

#[test]
fn state_changes_are_authorised() {
    let mut s = Suite::new();
    let id = s.register_cluster();
    let provider = s.provider.clone();
    let admin = s.admin.clone();
    let stranger = s.stranger.clone();
    let provider2 = s.provider2.clone();

    for to in [
        ClusterState::Draining,
        ClusterState::Offline,
        ClusterState::Active,
    ] {
        for who in [&admin, &stranger, &provider2] {
            let err = s.exec_fails(who, &change_msg(&id, to), &[]);
            assert!(
                err.contains("may only be done by the cluster's provider"),
                "{to}: {err}"
            );
        }
    }
    let err = s.exec_fails(&stranger, &change_msg(&id, ClusterState::Deregistered), &[]);
    assert!(
        err.contains(
            "unauthorized: deregister_cluster may only be done by the cluster's provider or the admin"
        ),
        "{err}"
    );

    // Drain with a reason, reactivate clears it.
    let res = s
        .exec(&provider, &change_msg(&id, ClusterState::Draining), &[])
        .unwrap();
    let attrs = event_attrs(&res, "ve.cluster_state_changed");
    assert_eq!(attrs["from"], "active");
    assert_eq!(attrs["state"], "draining");
    assert_eq!(attrs["state_code"], "2");
    assert_eq!(attrs["reason"], "maintenance");
    assert_eq!(attrs["cluster_id"], id);
    assert_eq!(attrs["provider"], provider.to_string());
    // Name, region and nodes stay on cluster_registered / cluster_updated.
    assert_eq!(
        ve_testing::attribute_keys(&attrs),
        [
            "_contract_address",
            "cluster_id",
            "from",
            "provider",
            "reason",
            "state",
            "state_code",
            "version"
        ]
    );
    assert_eq!(
        cluster(&s, &id).cluster.state_reason.as_deref(),
        Some("maintenance")
    );
    s.exec(&provider, &change_msg(&id, ClusterState::Active), &[])
        .unwrap();
    assert_eq!(cluster(&s, &id).cluster.state_reason, None);

    // Funds and a bad reason are refused.
    let err = s.exec_fails(
        &provider,
        &change_msg(&id, ClusterState::Offline),
        &[coin(1, DENOM)],
    );
    assert!(err.contains("this message takes no funds"), "{err}");
    let err = s.exec_fails(
        &provider,
        &ExecuteMsg::DrainCluster {
            cluster_id: id.clone(),
            reason: Some("x".repeat(257)),
        },
        &[],
    );
    assert!(
        err.contains("invalid reason: 257 characters, at most 256"),
        "{err}"
    );

    // The admin may deregister.
    let res = s
        .exec(&admin, &change_msg(&id, ClusterState::Deregistered), &[])
        .unwrap();
    assert_eq!(
        event_attrs(&res, "ve.cluster_state_changed")["state"],
        "deregistered"
    );
}

/// Every (from, to) pair of the cluster table through the contract, against
/// the lifecycle written out here independently.
#[test]
fn every_cluster_transition_pair() {
    use ClusterState::*;
    let spec: &[(ClusterState, &[ClusterState])] = &[
        (Active, &[Draining, Offline, Deregistered]),
        (Draining, &[Active, Offline, Deregistered]),
        (Offline, &[Active, Deregistered]),
        (Deregistered, &[]),
    ];
    let mut s = Suite::new();
    let provider = s.provider.clone();
    for (from, allowed) in spec {
        for to in ClusterState::ALL {
            assert_eq!(
                from.can_transition_to(*to),
                allowed.contains(to),
                "shared table {from} -> {to}"
            );
            let id = s.register_cluster();
            let path: &[ClusterState] = match from {
                Active => &[],
                Draining => &[Draining],
                Offline => &[Offline],
                Deregistered => &[Deregistered],
            };
            for step in path {
                s.exec(&provider, &change_msg(&id, *step), &[]).unwrap();
            }
            assert_eq!(cluster(&s, &id).cluster.state, *from);
            if allowed.contains(to) {
                let version = cluster(&s, &id).cluster.version;
                let res = s
                    .exec(&provider, &change_msg(&id, *to), &[])
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                let attrs = event_attrs(&res, "ve.cluster_state_changed");
                assert_eq!(attrs["cluster_id"], id);
                assert_eq!(attrs["from"], from.as_str());
                assert_eq!(attrs["state"], to.as_str());
                assert_eq!(attrs["state_code"], to.code().to_string());
                let after = cluster(&s, &id).cluster;
                assert_eq!(after.state, *to);
                assert_eq!(after.version, version + 1);
            } else {
                let err = s.exec_fails(&provider, &change_msg(&id, *to), &[]);
                assert!(
                    err.contains(&format!("cluster {id} cannot go from {from} to {to}")),
                    "{from} -> {to}: {err}"
                );
            }
        }
    }
}
