mod common;

use common::*;
use cosmwasm_std::{coin, Uint128};
use hpc::msg::{ExecuteMsg, HpcOfferingFields, HpcOfferingResponse, HpcOfferingUpdate, QueryMsg};
use hpc::state::QueueOption;
use ve_types::ClusterState;

fn offering(s: &Suite, id: &str) -> HpcOfferingResponse {
    s.query(&QueryMsg::HpcOffering {
        hpc_offering_id: id.into(),
    })
    .unwrap()
}

fn create(cluster_id: &str, fields: HpcOfferingFields) -> ExecuteMsg {
    ExecuteMsg::CreateHpcOffering {
        cluster_id: cluster_id.into(),
        offering: fields,
    }
}

fn empty_update(id: &str) -> ExecuteMsg {
    ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
        hpc_offering_id: id.into(),
        name: None,
        description: None,
        queues: None,
        max_runtime_seconds: None,
        min_identity_score: None,
        denom: None,
        price_per_node_hour: None,
        active: None,
    })
}

fn set_active(id: &str, active: bool) -> ExecuteMsg {
    ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
        hpc_offering_id: id.into(),
        name: None,
        description: None,
        queues: None,
        max_runtime_seconds: None,
        min_identity_score: None,
        denom: None,
        price_per_node_hour: None,
        active: Some(active),
    })
}

fn queue(name: &str, max_nodes: u32, max_runtime_seconds: u64) -> QueueOption {
    QueueOption {
        name: name.into(),
        max_nodes,
        max_runtime_seconds,
    }
}

type Tweak = Box<dyn Fn(&mut HpcOfferingFields)>;

/// Malformed fields and the error naming them.
fn malformed() -> Vec<(Tweak, &'static str)> {
    vec![
        (
            Box::new(|f| f.name = "".into()),
            "invalid name: must not be empty",
        ),
        (
            Box::new(|f| f.name = "n".repeat(256)),
            "invalid name: 256 characters, at most 255",
        ),
        (
            Box::new(|f| f.description = "d".repeat(4097)),
            "invalid description: 4097 characters, at most 4096",
        ),
        (
            Box::new(|f| f.queues = vec![]),
            "invalid queues: 0 queues, must be 1-16",
        ),
        (
            Box::new(|f| f.queues = (0..17).map(|i| queue(&format!("q{i}"), 1, 60)).collect()),
            "invalid queues: 17 queues, must be 1-16",
        ),
        (
            Box::new(|f| f.queues = vec![queue("a", 1, 60), queue("a", 2, 60)]),
            "invalid queues.name: duplicate queue \"a\"",
        ),
        (
            Box::new(|f| f.queues = vec![queue("GPU Queue", 1, 60)]),
            "invalid queues.name",
        ),
        (
            Box::new(|f| f.queues = vec![queue("a", 0, 60)]),
            "invalid queues.max_nodes: 0 of queue \"a\" must be 1-1000000",
        ),
        (
            Box::new(|f| f.queues = vec![queue("a", 1, 59)]),
            "invalid queues.max_runtime_seconds: 59 s must be 60-31536000",
        ),
        (
            Box::new(|f| f.max_runtime_seconds = 59),
            "invalid max_runtime_seconds: 59 s must be 60-31536000",
        ),
        (
            Box::new(|f| f.max_runtime_seconds = 31_536_001),
            "invalid max_runtime_seconds: 31536001 s must be 60-31536000",
        ),
        (
            Box::new(|f| f.min_identity_score = 101),
            "invalid min_identity_score: 101 is above 100",
        ),
        (Box::new(|f| f.denom = "u".into()), "invalid denom: \"u\""),
        (Box::new(|f| f.denom = "1virt".into()), "invalid denom"),
        (
            Box::new(|f| f.price_per_node_hour = Uint128::zero()),
            "invalid price_per_node_hour: must be above zero",
        ),
    ]
}

#[test]
fn create_on_own_active_cluster() {
    let mut s = Suite::new();
    let cluster = s.register_cluster();
    let provider = s.provider.clone();
    let res = s
        .exec(
            &provider,
            &create(&cluster, offering_fields("GPU batch")),
            &[],
        )
        .unwrap();
    let id = Suite::returned_id(&res);
    assert_eq!(id, format!("{provider}/1"));
    let attrs = event_attrs(&res, "ve.hpc_offering_created");
    assert_eq!(attrs["hpc_offering_id"], id);
    assert_eq!(attrs["cluster_id"], cluster);
    assert_eq!(attrs["provider"], provider.as_str());
    assert_eq!(attrs["active"], "true");
    assert_eq!(attrs["denom"], DENOM);
    assert_eq!(attrs["price_per_node_hour"], PRICE.to_string());
    assert_eq!(attrs["queues"], "batch,debug");

    let o = offering(&s, &id);
    assert_eq!(o.id, id);
    assert_eq!(o.cluster_id, cluster);
    assert!(o.offering.active);
    assert_eq!(o.offering.queues, queues());
    assert_eq!(o.offering.version, 1);

    // Offering sequences are per provider and separate from clusters.
    let second = s.create_offering_as(&provider, &cluster, offering_fields("Second"));
    assert_eq!(second, format!("{provider}/2"));

    // Boundaries that pass.
    let mut fields = offering_fields(&"n".repeat(255));
    fields.max_runtime_seconds = 60;
    fields.min_identity_score = 100;
    fields.queues = (0..16)
        .map(|i| queue(&format!("q{i}"), 1_000_000, 31_536_000))
        .collect();
    fields.denom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2".into();
    s.create_offering_as(&provider, &cluster, fields);
}

#[test]
fn create_rejects_bad_callers_states_and_input() {
    let mut s = Suite::new();
    let cluster = s.register_cluster();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let admin = s.admin.clone();

    for who in [&provider2, &admin] {
        let err = s.exec_fails(who, &create(&cluster, offering_fields("x")), &[]);
        assert!(
            err.contains(
                "unauthorized: create an hpc offering may only be done by the cluster's provider"
            ),
            "{err}"
        );
    }
    for (tweak, expected) in malformed() {
        let mut fields = offering_fields("GPU batch");
        tweak(&mut fields);
        let err = s.exec_fails(&provider, &create(&cluster, fields), &[]);
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let err = s.exec_fails(
        &provider,
        &create(&cluster, offering_fields("x")),
        &[coin(1, DENOM)],
    );
    assert!(err.contains("this message takes no funds"), "{err}");
    let err = s.exec_fails(
        &provider,
        &create(&format!("{provider}/7"), offering_fields("x")),
        &[],
    );
    assert!(
        err.contains(&format!("cluster {provider}/7 not found")),
        "{err}"
    );

    // Only on an active cluster.
    for (msg, state) in [
        (
            ExecuteMsg::DrainCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "draining",
        ),
        (
            ExecuteMsg::SetClusterOffline {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "offline",
        ),
        (
            ExecuteMsg::DeregisterCluster {
                cluster_id: cluster.clone(),
                reason: None,
            },
            "deregistered",
        ),
    ] {
        s.exec(&provider, &msg, &[]).unwrap();
        let err = s.exec_fails(&provider, &create(&cluster, offering_fields("x")), &[]);
        assert!(
            err.contains(&format!(
                "cluster {cluster} is {state}; this needs an active cluster"
            )),
            "{err}"
        );
    }
}

#[test]
fn update_never_changes_omitted_fields() {
    let mut s = Suite::new();
    let (_, id) = s.offering();
    let provider = s.provider.clone();
    let before = offering(&s, &id).offering;

    // A price-only update keeps everything else, `active` included (the
    // reference deactivated on an omitted bool).
    let msg = ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
        hpc_offering_id: id.clone(),
        name: None,
        description: None,
        queues: None,
        max_runtime_seconds: None,
        min_identity_score: None,
        denom: None,
        price_per_node_hour: Some(Uint128::new(2_000)),
        active: None,
    });
    let res = s.exec(&provider, &msg, &[]).unwrap();
    let attrs = event_attrs(&res, "ve.hpc_offering_updated");
    assert_eq!(attrs["hpc_offering_id"], id);
    assert_eq!(attrs["price_per_node_hour"], "2000");
    assert_eq!(attrs["active"], "true");
    assert_eq!(attrs["version"], "2");
    let after = offering(&s, &id).offering;
    assert_eq!(after.price_per_node_hour, Uint128::new(2_000));
    assert!(after.active);
    assert_eq!(after.name, before.name);
    assert_eq!(after.description, before.description);
    assert_eq!(after.queues, before.queues);
    assert_eq!(after.max_runtime_seconds, before.max_runtime_seconds);
    assert_eq!(after.min_identity_score, before.min_identity_score);
    assert_eq!(after.denom, before.denom);

    // Every field at once.
    let msg = ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
        hpc_offering_id: id.clone(),
        name: Some("Renamed".into()),
        description: Some("".into()),
        queues: Some(vec![queue("long", 4, 172_800)]),
        max_runtime_seconds: Some(172_800),
        min_identity_score: Some(0),
        denom: Some(OTHER_DENOM.into()),
        price_per_node_hour: Some(Uint128::new(7)),
        active: Some(false),
    });
    s.exec(&provider, &msg, &[]).unwrap();
    let after = offering(&s, &id).offering;
    assert_eq!(after.name, "Renamed");
    assert_eq!(after.description, "");
    assert_eq!(after.queues, vec![queue("long", 4, 172_800)]);
    assert_eq!(after.max_runtime_seconds, 172_800);
    assert_eq!(after.min_identity_score, 0);
    assert_eq!(after.denom, OTHER_DENOM);
    assert_eq!(after.price_per_node_hour, Uint128::new(7));
    assert!(!after.active);
    assert_eq!(after.version, 3);
}

#[test]
fn active_toggles_availability() {
    let mut s = Suite::new();
    let (_, id) = s.offering();
    let provider = s.provider.clone();
    let customer = s.customer.clone();

    let res = s.exec(&provider, &set_active(&id, false), &[]).unwrap();
    assert_eq!(
        event_attrs(&res, "ve.hpc_offering_updated")["active"],
        "false"
    );
    assert!(!offering(&s, &id).offering.active);
    let err = s.exec_fails(
        &customer,
        &submit_msg(&id, "batch", 1, 3_600),
        &[coin(cost(1, 3_600), DENOM)],
    );
    assert!(
        err.contains(&format!(
            "hpc offering {id} is inactive and takes no new jobs"
        )),
        "{err}"
    );
    // Setting the same value again is allowed (idempotent).
    s.exec(&provider, &set_active(&id, false), &[]).unwrap();
    s.exec(&provider, &set_active(&id, true), &[]).unwrap();
    assert!(offering(&s, &id).offering.active);
    s.submit_as(&customer, &id, "batch", 1, 3_600);
}

#[test]
fn update_rejects_bad_callers_states_and_input() {
    let mut s = Suite::new();
    let (cluster, id) = s.offering();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let admin = s.admin.clone();

    for who in [&provider2, &admin] {
        let err = s.exec_fails(who, &set_active(&id, false), &[]);
        assert!(
            err.contains("unauthorized: update an hpc offering may only be done by its provider"),
            "{err}"
        );
    }
    let err = s.exec_fails(&provider, &empty_update(&id), &[]);
    assert!(err.contains("nothing to update"), "{err}");
    let err = s.exec_fails(&provider, &set_active(&id, false), &[coin(1, DENOM)]);
    assert!(err.contains("this message takes no funds"), "{err}");
    let err = s.exec_fails(&provider, &set_active("bad id", false), &[]);
    assert!(err.contains("invalid hpc offering id"), "{err}");
    let err = s.exec_fails(&provider, &set_active(&format!("{provider}/5"), false), &[]);
    assert!(
        err.contains(&format!("hpc offering {provider}/5 not found")),
        "{err}"
    );

    // Each malformed field, given alone, is refused.
    for (tweak, expected) in malformed() {
        let mut f = offering_fields("GPU batch");
        tweak(&mut f);
        let msg = ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
            hpc_offering_id: id.clone(),
            name: Some(f.name),
            description: Some(f.description),
            queues: Some(f.queues),
            max_runtime_seconds: Some(f.max_runtime_seconds),
            min_identity_score: Some(f.min_identity_score),
            denom: Some(f.denom),
            price_per_node_hour: Some(f.price_per_node_hour),
            active: None,
        });
        let err = s.exec_fails(&provider, &msg, &[]);
        assert!(err.contains(expected), "{expected}: {err}");
    }

    // A draining or offline cluster still lets the provider edit; a
    // deregistered one does not.
    s.exec(
        &provider,
        &ExecuteMsg::DrainCluster {
            cluster_id: cluster.clone(),
            reason: None,
        },
        &[],
    )
    .unwrap();
    s.exec(&provider, &set_active(&id, false), &[]).unwrap();
    s.exec(
        &provider,
        &ExecuteMsg::DeregisterCluster {
            cluster_id: cluster.clone(),
            reason: None,
        },
        &[],
    )
    .unwrap();
    let err = s.exec_fails(&provider, &set_active(&id, true), &[]);
    assert!(
        err.contains(&format!(
            "cluster {cluster} is {}; this needs a cluster that is not deregistered",
            ClusterState::Deregistered
        )),
        "{err}"
    );
}

#[test]
fn submitted_jobs_keep_their_price() {
    let mut s = Suite::new();
    let (_, id) = s.offering();
    let provider = s.provider.clone();
    let job = s.submit(&id);
    let msg = ExecuteMsg::UpdateHpcOffering(HpcOfferingUpdate {
        hpc_offering_id: id.clone(),
        name: None,
        description: None,
        queues: None,
        max_runtime_seconds: None,
        min_identity_score: None,
        denom: None,
        price_per_node_hour: Some(Uint128::new(PRICE * 3)),
        active: None,
    });
    s.exec(&provider, &msg, &[]).unwrap();
    let j = s.job_state(&job);
    assert_eq!(j.price_per_node_hour, Uint128::new(PRICE));
    assert_eq!(j.escrow_amount, Uint128::new(cost(2, 7_200)));
    // New jobs pay the new price.
    let customer = s.customer.clone();
    let err = s.exec_fails(
        &customer,
        &submit_msg(&id, "batch", 1, 3_600),
        &[coin(PRICE, DENOM)],
    );
    assert!(
        err.contains(&format!(
            "wrong funds: expected exactly {}{DENOM}, got [{PRICE}{DENOM}]",
            PRICE * 3
        )),
        "{err}"
    );
}
