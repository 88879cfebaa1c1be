//! The embedded demo's story, checked: the allocation ends terminated on
//! chain and in Waldur, the provider is paid exactly the metered usage less
//! the platform fee, the customer pays exactly that, and no callback was
//! lost, doubled or dead-lettered, with and without Waldur misbehaving; and
//! an HPC job runs through Waldur SLURM and is billed its node-seconds.

use ve_relayer::demo::{run, DemoOptions, DemoOutcome};

fn check(outcome: &DemoOutcome, lines: &[String]) {
    assert_eq!(
        outcome.allocation_state,
        ve_types::AllocationState::Terminated,
        "{lines:#?}"
    );
    assert_eq!(outcome.waldur_resource_state, "Terminated");
    // 12 whole cpu hours at 100; the 2.5% platform fee (30) is not the provider's.
    assert_eq!(outcome.customer_spent, 1_200);
    assert_eq!(outcome.provider_received, 1_170);
    assert_eq!(outcome.dead_letters, 0);
    // accepted, provisioning, active, usage, terminating, terminated, and
    // the job's queued, running, completed.
    assert_eq!(outcome.callbacks_confirmed, 9, "{outcome:?}");
    assert_eq!(
        outcome.waldur_orders, 2,
        "one create and one terminate order, no duplicates"
    );
    // The HPC job: one Waldur job; 2 nodes x 1.5 h = 10,800 node-seconds,
    // billed as 3 started node-hours.
    assert_eq!(outcome.hpc.job_state, ve_types::JobState::Completed);
    assert_eq!(outcome.hpc.node_seconds_used, Some(10_800));
    assert_eq!(outcome.hpc.billed_node_hours, Some(3));
    assert_eq!(outcome.hpc.waldur_jobs, 1, "no duplicate Waldur job");
    assert_eq!(lines.len(), 23, "{lines:#?}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_demo_story_ends_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let outcome = run(dir.path(), DemoOptions::default(), &mut |l| {
        lines.push(l.to_string())
    })
    .await
    .unwrap();
    check(&outcome, &lines);
}

#[tokio::test(flavor = "current_thread")]
async fn waldur_storms_and_dropped_connections_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let options = DemoOptions {
        waldur_faults: true,
    };
    let outcome = run(dir.path(), options, &mut |l| lines.push(l.to_string()))
        .await
        .unwrap();
    check(&outcome, &lines);
    assert!(
        lines.iter().any(|l| l.contains("failed pass")),
        "the 500 storm should have failed a pass: {lines:#?}"
    );
}
