//! The site-agent stand-in: what waldur-site-agent's order and reporting
//! processors do to an offering's orders and resources.

use std::collections::BTreeMap;

use serde_json::Value;
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed, Seeded};

const TOKEN: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";

async fn world() -> (EmulatorHandle, Seeded, Seeded) {
    let emulator = Emulator::start(TOKEN).await.unwrap();
    let customer = emulator.state.seed_customer("Provider");
    let project = emulator.state.seed_project(&customer.uuid, "P").unwrap();
    let category = emulator.state.seed_category("HPC");
    let offering = emulator
        .state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .unwrap();
    (emulator, offering, project)
}

async fn terminate(emulator: &EmulatorHandle, resource: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{}marketplace-provider-resources/{resource}/terminate/",
            emulator.base_url
        ))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["order_uuid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn approves_finishes_and_names_the_backend_account() {
    let (emulator, offering, project) = world().await;
    let agent = emulator.state.site_agent(&offering.uuid);
    let first = emulator
        .state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    let second = emulator
        .state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    let pass = agent.process_orders();
    assert_eq!(
        pass.approved,
        vec![first.order_uuid.clone(), second.order_uuid.clone()]
    );
    assert_eq!(pass.done, pass.approved);
    assert!(pass.erred.is_empty());
    for (seeded, account) in [(&first, "slurm-acct-1"), (&second, "slurm-acct-2")] {
        let order = emulator.state.order_json(&seeded.order_uuid).unwrap();
        assert_eq!(order["state"], "done");
        let resource = emulator.state.resource_json(&seeded.resource_uuid).unwrap();
        assert_eq!(resource["state"], "OK");
        assert_eq!(resource["backend_id"], account);
    }
    // Nothing left: a second pass does nothing.
    assert_eq!(agent.process_orders(), Default::default());
    // Usage goes to the resources it made.
    assert_eq!(agent.report_usage("cpu", "2.50"), 2);
    let usages = emulator.state.usages_json(&first.resource_uuid);
    assert_eq!(usages.len(), 1);
    assert_eq!(usages[0]["usage"], "2.50");
    // Not a component of the offering: refused as set_usage refuses it.
    assert_eq!(agent.report_usage("disk", "1.00"), 0);
}

#[tokio::test]
async fn a_failed_terminate_puts_the_resource_back_to_ok_with_the_reason() {
    let (emulator, offering, project) = world().await;
    let agent = emulator.state.site_agent(&offering.uuid);
    let seeded = emulator
        .state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    agent.process_orders();
    agent.fail_next_terminates(1, "account has running jobs");
    let failing = terminate(&emulator, &seeded.resource_uuid).await;
    let pass = agent.process_orders();
    assert_eq!(pass.approved, vec![failing.clone()]);
    assert_eq!(pass.erred, vec![failing.clone()]);
    let order = emulator.state.order_json(&failing).unwrap();
    assert_eq!(order["state"], "erred");
    assert_eq!(order["error_message"], "account has running jobs");
    let resource = emulator.state.resource_json(&seeded.resource_uuid).unwrap();
    assert_eq!(resource["state"], "OK", "resource_deletion_failed");
    assert_eq!(resource["backend_id"], "slurm-acct-1");

    // The next one goes through.
    let second = terminate(&emulator, &seeded.resource_uuid).await;
    let pass = agent.process_orders();
    assert_eq!(pass.done, vec![second]);
    let resource = emulator.state.resource_json(&seeded.resource_uuid).unwrap();
    assert_eq!(resource["state"], "Terminated");
}

#[tokio::test]
async fn a_backend_id_already_set_is_reused() {
    let (emulator, offering, project) = world().await;
    let agent = emulator.state.site_agent(&offering.uuid);
    let seeded = emulator
        .state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}marketplace-provider-resources/{}/set_backend_id/",
            emulator.base_url, seeded.resource_uuid
        ))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&serde_json::json!({ "backend_id": "existing-acct" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    agent.process_orders();
    let resource = emulator.state.resource_json(&seeded.resource_uuid).unwrap();
    assert_eq!(resource["backend_id"], "existing-acct");
    // Another offering's orders are not its business.
    let other = emulator
        .state
        .site_agent("00000000000000000000000000000000");
    let next = emulator
        .state
        .seed_order(&offering.uuid, &project.uuid, BTreeMap::new())
        .unwrap();
    assert_eq!(other.process_orders(), Default::default());
    let order = emulator.state.order_json(&next.order_uuid).unwrap();
    assert_eq!(order["state"], "pending-provider");
}
