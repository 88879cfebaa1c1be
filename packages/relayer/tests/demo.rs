//! The embedded demo's story, checked: the allocation ends terminated on
//! chain and in Waldur, the provider is paid exactly the metered usage less
//! the platform fee, the customer pays exactly that, and no callback was
//! lost or dead-lettered.

#[tokio::test(flavor = "current_thread")]
async fn the_demo_story_ends_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let outcome = ve_relayer::demo::run(dir.path(), &mut |l| lines.push(l.to_string())).await.unwrap();
    assert_eq!(outcome.allocation_state, ve_types::AllocationState::Terminated, "{lines:#?}");
    assert_eq!(outcome.waldur_resource_state, "Terminated");
    // 12 whole cpu hours at 100; 2.5% platform fee (30) stays with the platform.
    assert_eq!(outcome.customer_spent, 1_200);
    assert_eq!(outcome.provider_received, 1_170);
    assert_eq!(outcome.dead_letters, 0);
    assert!(outcome.callbacks_confirmed >= 5, "{outcome:?}");
    assert_eq!(lines.len(), 16, "{lines:#?}");
}
