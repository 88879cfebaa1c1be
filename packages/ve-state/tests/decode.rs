//! State written by the four contracts themselves (cw-multi-test, the
//! wiring of `ve-integration-tests`), dumped as wasmd prints it, decoded,
//! and compared with what the contracts answer to queries.

use cosmwasm_std::Addr;
use serde::Serialize;
use serde_json::{json, Value};
use ve_integration_tests::world::World;
use ve_state::namespaces::Kind;
use ve_state::{Contract, DecodedRecord, DecodedState, RawRecord};
use ve_types::{ActionType, JobState};

/// A flow that leaves records in every contract: an active allocation
/// with settled usage, and a running HPC job.
struct Flow {
    world: World,
    offering: String,
    order: String,
    allocation: String,
    record: u64,
    job: String,
    cluster: String,
    hpc_offering: String,
}

fn flow() -> Flow {
    let mut world = World::new();
    let (offering, order, allocation) = world.active(50_000, 2);
    let provider = world.provider.clone();
    let escrow = format!("order:{order}");
    let start = world.now();
    world.advance(3_600);
    let end = world.now();
    let record = world.record(&provider, &escrow, &allocation, 1, start, end);
    world.advance(86_400 + 1);
    world
        .settle(
            &provider,
            &settlement::msg::ExecuteMsg::Settle {
                escrow_id: escrow,
                record_ids: None,
                finalize: false,
            },
            &[],
        )
        .unwrap();
    let (cluster, hpc_offering) = world.hpc_offering(&provider);
    let customer = world.customer.clone();
    let job = world
        .submit_job(&customer, &hpc_offering, 2, 3_600)
        .unwrap();
    let cb = world.job_callback(&provider, &job, JobState::Running, None);
    world.submit(&cb).unwrap();
    Flow {
        world,
        offering,
        order,
        allocation,
        record,
        job,
        cluster,
        hpc_offering,
    }
}

/// The contract's store as `wasmd query wasm contract-state all -o json`
/// prints it, split in two pages, decoded back.
fn decoded(world: &World, contract: &Addr) -> DecodedState {
    let records: Vec<RawRecord> = world
        .app
        .dump_wasm_raw(contract)
        .into_iter()
        .map(|(key, value)| RawRecord { key, value })
        .collect();
    let half = records.len() / 2;
    let text = format!(
        "{}\n{}",
        ve_state::to_dump(&records[..half]),
        ve_state::to_dump(&records[half..])
    );
    let parsed = ve_state::parse_dump(&text).unwrap();
    assert_eq!(parsed, records);
    let state = ve_state::decode(None, &parsed).unwrap();
    assert_eq!(
        state.undecoded,
        vec![],
        "undecodable records of {}",
        state.contract
    );
    assert_eq!(state.records.len(), records.len());
    every_index_entry_lists_a_stored_record(&state);
    state
}

/// An index `x__y` lists records of map `x` by their primary key.
fn every_index_entry_lists_a_stored_record(state: &DecodedState) {
    for entry in state.records.iter().filter(|r| r.kind == Kind::Index) {
        let (map, _) = entry.namespace.split_once("__").unwrap();
        let primary_key = entry.primary_key.as_ref().unwrap();
        assert!(
            state
                .in_namespace(map)
                .any(|r| r.kind == Kind::Map && &r.key == primary_key),
            "{} lists {primary_key:?}, not in {map}",
            entry.namespace
        );
    }
}

fn record<'s>(state: &'s DecodedState, namespace: &'s str, key: &[Value]) -> &'s DecodedRecord {
    state
        .in_namespace(namespace)
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no {namespace} record {key:?}"))
}

fn json_of(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// `owner/sequence` IDs are the key `[owner, sequence]`.
fn id_key(id: &str) -> Vec<Value> {
    let (owner, sequence) = id.rsplit_once('/').unwrap();
    vec![json!(owner), json!(sequence.parse::<u64>().unwrap())]
}

#[test]
fn marketplace_state_decodes_to_what_its_queries_answer() {
    let f = flow();
    let w = &f.world;
    let state = decoded(w, &w.marketplace);
    assert_eq!(state.contract, Contract::Marketplace);

    let offering: marketplace::msg::OfferingResponse = w
        .query(
            &w.marketplace,
            &marketplace::msg::QueryMsg::Offering {
                offering_id: f.offering.clone(),
            },
        )
        .unwrap();
    let stored = record(&state, "offerings", &id_key(&f.offering));
    assert_eq!(stored.value, json_of(&offering.offering));
    assert_eq!(stored.value_type, "marketplace::state::Offering");
    // Timestamps and amounts as cosmwasm-std writes them: strings.
    assert!(stored.value["created_at"].is_string());
    assert!(stored.value["pricing"]["base_price"].is_string());

    let order: marketplace::msg::OrderResponse = w
        .query(
            &w.marketplace,
            &marketplace::msg::QueryMsg::Order {
                order_id: f.order.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        record(&state, "orders", &id_key(&f.order)).value,
        json_of(&order.order)
    );

    let allocation = w.allocation(&f.allocation);
    let a = &allocation.allocation;
    let key = vec![
        json!(a.customer),
        json!(a.order_sequence),
        json!(a.sequence),
    ];
    assert_eq!(
        record(&state, "allocations", &key).value,
        json_of(&allocation.allocation)
    );
    assert_eq!(
        record(&state, "allocations__provider", &[json!(a.provider)]).primary_key,
        Some(key)
    );
    assert_eq!(state.in_namespace("bids").count(), 1);
    let provider = w.provider.to_string();
    assert_eq!(
        record(&state, "offering_seq", &[json!(provider)]).value,
        json!(1)
    );
    let config = record(&state, "config", &[]);
    assert_eq!(config.kind, Kind::Item);
    assert_eq!(config.value["settlement_contract"], json!(w.settlement));
    assert_eq!(
        record(&state, "contract_info", &[]).value["contract"],
        json!(marketplace::contract::CONTRACT_NAME)
    );
}

#[test]
fn settlement_state_decodes_to_what_its_queries_answer() {
    let f = flow();
    let w = &f.world;
    let state = decoded(w, &w.settlement);
    assert_eq!(state.contract, Contract::Settlement);
    let escrow_id = format!("order:{}", f.order);
    let escrow = w.escrow(&escrow_id);
    assert_eq!(
        record(&state, "escrows", &[json!(escrow_id)]).value,
        json_of(&escrow.escrow)
    );
    let usage: settlement::msg::UsageRecordResponse = w
        .query(
            &w.settlement,
            &settlement::msg::QueryMsg::UsageRecord {
                record_id: f.record,
            },
        )
        .unwrap();
    assert_eq!(
        record(&state, "records", &[json!(f.record)]).value,
        json_of(&usage.record)
    );
    let settlements: settlement::msg::SettlementsResponse = w
        .query(
            &w.settlement,
            &settlement::msg::QueryMsg::Settlements {
                escrow_id: escrow_id.clone(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(settlements.settlements.len(), 1);
    assert_eq!(
        record(&state, "settlements", &[json!(escrow_id), json!(1)]).value,
        json_of(&settlements.settlements[0])
    );
    // The job's escrow too, and the fee tally of the settled escrow.
    assert_eq!(
        record(&state, "escrows", &[json!(format!("job:{}", f.job))]).value,
        json_of(&w.escrow(&format!("job:{}", f.job)).escrow)
    );
    assert_eq!(state.in_namespace("fee_tallies").count(), 1);
    assert_eq!(state.in_namespace("summaries").count(), 1);
    assert_eq!(record(&state, "record_seq", &[]).value, json!(f.record));
}

#[test]
fn hpc_state_decodes_to_what_its_queries_answer() {
    let f = flow();
    let w = &f.world;
    let state = decoded(w, &w.hpc);
    assert_eq!(state.contract, Contract::Hpc);
    let job = w.job(&f.job);
    let stored = record(&state, "jobs", &id_key(&f.job));
    assert_eq!(stored.value, json_of(&job.job));
    assert_eq!(stored.value["state"], json!("running"));
    let cluster: hpc::msg::ClusterResponse = w
        .query(
            &w.hpc,
            &hpc::msg::QueryMsg::Cluster {
                cluster_id: f.cluster.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        record(&state, "clusters", &id_key(&f.cluster)).value,
        json_of(&cluster.cluster)
    );
    let offering: hpc::msg::HpcOfferingResponse = w
        .query(
            &w.hpc,
            &hpc::msg::QueryMsg::HpcOffering {
                hpc_offering_id: f.hpc_offering.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        record(&state, "hpc_offerings", &id_key(&f.hpc_offering)).value,
        json_of(&offering.offering)
    );
}

#[test]
fn waldur_callback_state_decodes_to_what_its_queries_answer() {
    let f = flow();
    let w = &f.world;
    let state = decoded(w, &w.callback);
    assert_eq!(state.contract, Contract::WaldurCallback);
    let provider = w.provider.to_string();
    let signer: waldur_callback::msg::SignerResponse = w
        .query(
            &w.callback,
            &waldur_callback::msg::QueryMsg::Signer {
                provider: provider.clone(),
                key_id: "k1".into(),
            },
        )
        .unwrap();
    assert_eq!(
        record(&state, "signers", &[json!(provider), json!("k1")]).value,
        json_of(&signer.signer)
    );
    // Public keys are byte keys: base64, as cosmwasm-std writes Binary.
    let public_key = signer.signer.public_key.to_base64();
    assert_eq!(
        record(&state, "public_keys", &[json!(public_key)]).value,
        json!([provider, "k1"])
    );
    // The provision callbacks expired a day before the job's callback,
    // which pruned them: its record is the one left.
    let callbacks: Vec<_> = state.in_namespace("callbacks").collect();
    assert_eq!(callbacks.len(), 1);
    assert_eq!(
        callbacks[0].value["action_type"],
        json!(ActionType::JobStatus)
    );
    let nonces = state.in_namespace("nonces").count();
    assert_eq!(record(&state, "nonce_count", &[]).value, json!(nonces));
    assert_eq!(state.in_namespace("expiry_queue").count(), nonces);
}

#[test]
fn what_cannot_be_decoded_is_listed_with_the_reason() {
    let f = flow();
    let w = &f.world;
    let mut records: Vec<RawRecord> = w
        .app
        .dump_wasm_raw(&w.marketplace)
        .into_iter()
        .map(|(key, value)| RawRecord { key, value })
        .collect();
    let offering_key = records
        .iter()
        .position(|r| r.key.starts_with(b"\x00\x09offerings"))
        .unwrap();
    // A byte too many after a stored offering, an unknown namespace, and
    // an index entry whose length disagrees with its key.
    records[offering_key].value.push(0);
    records.push(RawRecord {
        key: b"\x00\x05other\x00\x01".to_vec(),
        value: vec![1],
    });
    let index = records
        .iter()
        .position(|r| r.key.starts_with(b"\x00\x10offerings__state"))
        .unwrap();
    records[index].value = vec![0, 0, 0, 1];
    let state = ve_state::decode(None, &records).unwrap();
    let reasons: Vec<&str> = state.undecoded.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("re-pack"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("no namespace \"other\"")));
    assert!(reasons.iter().any(|r| r.contains("1-byte primary key")));
    assert_eq!(state.records.len() + 3, records.len());
    // Stated as wasmd prints: hex key, base64 value.
    assert!(state
        .undecoded
        .iter()
        .any(|u| u.key == "00056F746865720001"));
}

#[test]
fn the_named_contract_must_be_the_one_in_the_state() {
    let f = flow();
    let records: Vec<RawRecord> = f
        .world
        .app
        .dump_wasm_raw(&f.world.hpc)
        .into_iter()
        .map(|(key, value)| RawRecord { key, value })
        .collect();
    let err = ve_state::decode(Some(Contract::Marketplace), &records).unwrap_err();
    assert!(err.to_string().contains("crates.io:ve-hpc"), "{err}");
    // Without a cw2 record the contract has to be named.
    let without: Vec<RawRecord> = records
        .into_iter()
        .filter(|r| r.key != b"contract_info")
        .collect();
    assert!(ve_state::decode(None, &without).is_err());
    let state = ve_state::decode(Some(Contract::Hpc), &without).unwrap();
    assert!(state.undecoded.is_empty());
}

#[test]
fn a_pending_admin_transfer_decodes_to_what_the_query_answers() {
    let mut world = World::new();
    let (admin, callback) = (world.admin.clone(), world.callback.clone());
    let new_admin = world.customer.to_string();
    world
        .cb_exec(
            &admin,
            &waldur_callback::msg::ExecuteMsg::ProposeAdmin {
                new_admin,
                expiry: Some(ve_cw::admin::Expiration::AtHeight(1_000_000)),
            },
        )
        .unwrap();
    let state = decoded(&world, &callback);
    let pending: Option<ve_cw::admin::PendingAdmin> = world
        .query(&callback, &waldur_callback::msg::QueryMsg::PendingAdmin {})
        .unwrap();
    assert!(pending.is_some());
    assert_eq!(
        record(&state, "pending_admin", &[]).value,
        json_of(&pending)
    );
}
