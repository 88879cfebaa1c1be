mod common;

use common::*;
use cosmwasm_std::Uint128;
use hpc::msg::{ClustersResponse, HpcOfferingsResponse, JobCostResponse, JobsResponse, QueryMsg};
use ve_types::JobState;

/// Follows `start_after` through every page of `limit` and returns the IDs
/// in order.
fn walk(
    s: &Suite,
    limit: u32,
    query: impl Fn(Option<String>, Option<u32>) -> QueryMsg,
    ids: impl Fn(&Suite, &QueryMsg) -> Vec<String>,
) -> Vec<String> {
    let mut all = Vec::new();
    let mut start_after = None;
    loop {
        let page = ids(s, &query(start_after.clone(), Some(limit)));
        assert!(page.len() <= limit as usize);
        all.extend(page.iter().cloned());
        if page.len() < limit as usize {
            return all;
        }
        start_after = page.last().cloned();
    }
}

fn cluster_ids(s: &Suite, q: &QueryMsg) -> Vec<String> {
    let r: ClustersResponse = s.query(q).unwrap();
    r.clusters
        .into_iter()
        .map(|c| {
            assert_eq!(c.id, c.cluster.cluster_id().to_string());
            c.id
        })
        .collect()
}

fn offering_ids(s: &Suite, q: &QueryMsg) -> Vec<String> {
    let r: HpcOfferingsResponse = s.query(q).unwrap();
    r.offerings
        .into_iter()
        .map(|o| {
            assert_eq!(o.id, o.offering.offering_id().to_string());
            assert_eq!(o.cluster_id, o.offering.cluster_id().to_string());
            o.id
        })
        .collect()
}

fn job_ids(s: &Suite, q: &QueryMsg) -> Vec<String> {
    let r: JobsResponse = s.query(q).unwrap();
    r.jobs
        .into_iter()
        .map(|j| {
            assert_eq!(j.id, j.job.job_id().to_string());
            assert_eq!(j.escrow_id, format!("job:{}", j.id));
            j.id
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn clusters_paginate_by_key() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let mine: Vec<String> = (0..12)
        .map(|i| s.register_cluster_as(&provider, cluster_fields(&format!("c{i}"))))
        .collect();
    let theirs: Vec<String> = (0..3)
        .map(|i| s.register_cluster_as(&provider2, cluster_fields(&format!("d{i}"))))
        .collect();

    // Default page is 10.
    let first = cluster_ids(
        &s,
        &QueryMsg::Clusters {
            start_after: None,
            limit: None,
        },
    );
    assert_eq!(first.len(), 10);

    let all = walk(
        &s,
        4,
        |start_after, limit| QueryMsg::Clusters { start_after, limit },
        cluster_ids,
    );
    let expected: Vec<String> = mine.iter().chain(&theirs).cloned().collect();
    // Key order: by provider address bytes, then by sequence.
    assert_eq!(sorted(all.clone()), sorted(expected));
    assert_eq!(all.len(), 15);

    let by_provider = walk(
        &s,
        5,
        |start_after, limit| QueryMsg::ClustersByProvider {
            provider: provider.to_string(),
            start_after,
            limit,
        },
        cluster_ids,
    );
    assert_eq!(by_provider, mine);
    let by_provider2 = walk(
        &s,
        2,
        |start_after, limit| QueryMsg::ClustersByProvider {
            provider: provider2.to_string(),
            start_after,
            limit,
        },
        cluster_ids,
    );
    assert_eq!(by_provider2, theirs);

    // Errors name the input.
    let err = s
        .query::<ClustersResponse>(&QueryMsg::ClustersByProvider {
            provider: provider.to_string(),
            start_after: Some(theirs[0].clone()),
            limit: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "invalid start_after: {} is not a cluster of {provider}",
            theirs[0]
        )),
        "{err}"
    );
    let err = s
        .query::<ClustersResponse>(&QueryMsg::ClustersByProvider {
            provider: "nope".into(),
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid provider"), "{err}");
    let err = s
        .query::<ClustersResponse>(&QueryMsg::Clusters {
            start_after: Some("x/0".into()),
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid cluster id"), "{err}");
    let err = s
        .query::<hpc::msg::ClusterResponse>(&QueryMsg::Cluster {
            cluster_id: format!("{provider}/99"),
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("cluster {provider}/99 not found")),
        "{err}"
    );
}

#[test]
fn pages_are_capped_at_100() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    for i in 0..105 {
        s.register_cluster_as(&provider, cluster_fields(&format!("c{i}")));
    }
    for limit in [Some(100), Some(101), Some(u32::MAX)] {
        let page = cluster_ids(
            &s,
            &QueryMsg::Clusters {
                start_after: None,
                limit,
            },
        );
        assert_eq!(page.len(), 100, "{limit:?}");
    }
    let page = cluster_ids(
        &s,
        &QueryMsg::ClustersByProvider {
            provider: provider.to_string(),
            start_after: None,
            limit: Some(0),
        },
    );
    assert!(page.is_empty());
}

#[test]
fn offerings_by_cluster_provider_and_all() {
    let mut s = Suite::new();
    let provider = s.provider.clone();
    let provider2 = s.provider2.clone();
    let c1 = s.register_cluster();
    let c2 = s.register_cluster();
    let c3 = s.register_cluster_as(&provider2, cluster_fields("other"));
    let mut on_c1 = Vec::new();
    let mut on_c2 = Vec::new();
    for i in 0..7 {
        let cluster = if i % 2 == 0 { &c1 } else { &c2 };
        let id = s.create_offering_as(&provider, cluster, offering_fields(&format!("o{i}")));
        if i % 2 == 0 {
            on_c1.push(id);
        } else {
            on_c2.push(id);
        }
    }
    let on_c3 = vec![s.create_offering_as(&provider2, &c3, offering_fields("x"))];

    for (cluster, expected) in [(&c1, &on_c1), (&c2, &on_c2), (&c3, &on_c3)] {
        let got = walk(
            &s,
            2,
            |start_after, limit| QueryMsg::HpcOfferingsByCluster {
                cluster_id: cluster.clone(),
                start_after,
                limit,
            },
            offering_ids,
        );
        assert_eq!(&got, expected, "{cluster}");
    }
    let mine = walk(
        &s,
        3,
        |start_after, limit| QueryMsg::HpcOfferingsByProvider {
            provider: provider.to_string(),
            start_after,
            limit,
        },
        offering_ids,
    );
    assert_eq!(
        sorted(mine.clone()),
        sorted([on_c1.clone(), on_c2.clone()].concat())
    );
    assert_eq!(mine.len(), 7);
    let all = walk(
        &s,
        3,
        |start_after, limit| QueryMsg::HpcOfferings { start_after, limit },
        offering_ids,
    );
    assert_eq!(all.len(), 8);

    let err = s
        .query::<HpcOfferingsResponse>(&QueryMsg::HpcOfferingsByProvider {
            provider: provider2.to_string(),
            start_after: Some(on_c1[0].clone()),
            limit: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("is not an hpc offering of"),
        "{err}"
    );
    let err = s
        .query::<HpcOfferingsResponse>(&QueryMsg::HpcOfferingsByCluster {
            cluster_id: "c".into(),
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid cluster id"), "{err}");
}

#[test]
fn jobs_by_every_index() {
    let mut s = Suite::new();
    let (_, o1) = s.offering();
    let (_, o2) = s.offering();
    let provider2 = s.provider2.clone();
    let c3 = s.register_cluster_as(&provider2, cluster_fields("other"));
    let o3 = s.create_offering_as(&provider2, &c3, offering_fields("x"));
    let customer = s.customer.clone();
    let customer2 = s.customer2.clone();

    let mut by_offering: [Vec<String>; 3] = Default::default();
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..14 {
        let (who, list) = if i % 3 == 2 {
            (&customer2, &mut theirs)
        } else {
            (&customer, &mut mine)
        };
        let which = i % 3;
        let offering = [&o1, &o2, &o3][which];
        let id = s.submit_as(who, offering, "batch", 1, 3_600);
        list.push(id.clone());
        by_offering[which].push(id);
    }

    // Move some jobs along.
    let queued: Vec<String> = by_offering[0].iter().take(3).cloned().collect();
    for id in &queued {
        s.report(id, JobState::Queued, None).unwrap();
    }
    let cancelled = by_offering[2][0].clone();
    s.exec(
        &customer2,
        &hpc::msg::ExecuteMsg::CancelJob {
            job_id: cancelled.clone(),
            reason: None,
        },
        &[],
    )
    .unwrap();

    let by_customer = walk(
        &s,
        4,
        |start_after, limit| QueryMsg::JobsByCustomer {
            customer: customer.to_string(),
            start_after,
            limit,
        },
        job_ids,
    );
    assert_eq!(by_customer, mine);
    let by_customer2 = walk(
        &s,
        4,
        |start_after, limit| QueryMsg::JobsByCustomer {
            customer: customer2.to_string(),
            start_after,
            limit,
        },
        job_ids,
    );
    assert_eq!(by_customer2, theirs);

    for (i, offering) in [&o1, &o2, &o3].into_iter().enumerate() {
        let got = walk(
            &s,
            2,
            |start_after, limit| QueryMsg::JobsByOffering {
                hpc_offering_id: offering.clone(),
                start_after,
                limit,
            },
            job_ids,
        );
        assert_eq!(sorted(got), sorted(by_offering[i].clone()), "{offering}");
    }

    let provider_jobs = walk(
        &s,
        3,
        |start_after, limit| QueryMsg::JobsByProvider {
            provider: s.provider.to_string(),
            start_after,
            limit,
        },
        job_ids,
    );
    assert_eq!(
        sorted(provider_jobs),
        sorted([by_offering[0].clone(), by_offering[1].clone()].concat())
    );
    let provider2_jobs = walk(
        &s,
        3,
        |start_after, limit| QueryMsg::JobsByProvider {
            provider: provider2.to_string(),
            start_after,
            limit,
        },
        job_ids,
    );
    assert_eq!(sorted(provider2_jobs), sorted(by_offering[2].clone()));

    let state = |state: JobState| {
        walk(
            &s,
            3,
            |start_after, limit| QueryMsg::JobsByState {
                state,
                start_after,
                limit,
            },
            job_ids,
        )
    };
    assert_eq!(sorted(state(JobState::Queued)), sorted(queued.clone()));
    assert_eq!(state(JobState::Cancelled), vec![cancelled.clone()]);
    assert_eq!(state(JobState::Pending).len(), 14 - 3 - 1);
    assert!(state(JobState::Running).is_empty());

    let all = walk(
        &s,
        5,
        |start_after, limit| QueryMsg::Jobs { start_after, limit },
        job_ids,
    );
    assert_eq!(sorted(all), sorted([mine.clone(), theirs.clone()].concat()));

    let err = s
        .query::<JobsResponse>(&QueryMsg::JobsByCustomer {
            customer: customer.to_string(),
            start_after: Some(theirs[0].clone()),
            limit: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "invalid start_after: {} is not a job of {customer}",
            theirs[0]
        )),
        "{err}"
    );
    let err = s
        .query::<JobsResponse>(&QueryMsg::JobsByState {
            state: JobState::Pending,
            start_after: Some("garbage".into()),
            limit: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("invalid job id \"garbage\""),
        "{err}"
    );
    let err = s
        .query::<JobsResponse>(&QueryMsg::JobsByProvider {
            provider: "PROVIDER".into(),
            start_after: None,
            limit: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid provider"), "{err}");
}

#[test]
fn job_cost_matches_what_submit_takes() {
    let mut s = Suite::new();
    let (_, offering) = s.offering();
    for (nodes, runtime) in [(1, 60), (1, 3_600), (1, 3_601), (8, 43_200)] {
        let c: JobCostResponse = s
            .query(&QueryMsg::JobCost {
                hpc_offering_id: offering.clone(),
                nodes,
                max_runtime_seconds: runtime,
            })
            .unwrap();
        assert_eq!(c.total, Uint128::new(cost(nodes, runtime)));
        assert_eq!(c.billable_hours, runtime.div_ceil(3600));
        assert_eq!(c.denom, DENOM);
        assert_eq!(c.price_per_node_hour, Uint128::new(PRICE));
        let customer = s.customer.clone();
        s.submit_as(&customer, &offering, "batch", nodes, runtime);
    }
    let err = s
        .query::<JobCostResponse>(&QueryMsg::JobCost {
            hpc_offering_id: offering.clone(),
            nodes: 0,
            max_runtime_seconds: 60,
        })
        .unwrap_err();
    assert!(err.to_string().contains("invalid nodes"), "{err}");
    for runtime in [59, 43_201] {
        let err = s
            .query::<JobCostResponse>(&QueryMsg::JobCost {
                hpc_offering_id: offering.clone(),
                nodes: 1,
                max_runtime_seconds: runtime,
            })
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!(
                "invalid max_runtime_seconds: {runtime} s must be 60-43200"
            )),
            "{err}"
        );
    }
}
