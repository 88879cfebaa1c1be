//! Benchmarks from the optimised artifacts in the real VM: gas per
//! operation, page cost at 10 / 1,000 / 100,000 records, a signed callback
//! alone and in a batch of 50, nonces stored after 100,000 callbacks, and
//! the wasm sizes. Prints the tables and writes them to bench/gas.md.
//! Figures only: nothing here fails on a number.

use std::fmt::Write as _;

use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env, MockStorage};
use cosmwasm_std::{coin, to_json_vec, Binary};
use ed25519_zebra::SigningKey;
use serde_json::{json, Value};
use ve_types::callback::{signing_bytes, CallbackFields, OfferingIngestPayload};
use ve_types::{ActionType, OfferingState};
use ve_vm_tests::wasmd_gas::{self, Charges};
use ve_vm_tests::{artifact_path, msgs, seed, VmContract, VM_GAS_PER_SDK_GAS};

/// cw20-base's transfer on the same VM as DESIGN.md gives it: used only
/// when `artifacts/bench/cw20-base.wasm` (built by scripts/bench.sh) is absent.
const CW20_TRANSFER_FALLBACK_VM_GAS: u64 = 25_000_000;
/// Its wasmd gas as scripts/bench.sh measured it, for the same case.
const CW20_TRANSFER_FALLBACK_WASMD_GAS: u64 = 70_000;

/// Built by scripts/bench.sh from bench/cw20-baseline.
fn cw20_artifact() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/bench/cw20-base.wasm")
}

struct Report {
    md: String,
    /// VM gas of the cw20-base transfer every execute is compared with.
    cw20: u64,
    /// The same transfer's wasmd gas (setup, storage, events and VM).
    cw20_wasmd: u64,
    /// Step tables of the marked executes (bench/profile.md), filled only
    /// when the artifacts are profile builds.
    profile: String,
}

impl Report {
    fn section(&mut self, title: &str, header: &str) {
        let _ = write!(self.md, "\n## {title}\n\n{header}\n");
        let cols = header.matches('|').count() - 1;
        let _ = writeln!(self.md, "{}", "|---".repeat(cols) + "|");
        println!("\n== {title}");
    }
    fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.md, "| {} |", cells.join(" | "));
        println!("  {}", cells.join("  "));
    }
    fn gas(&mut self, op: &str, gas: u64, charges: Charges) {
        self.gas_per(op, gas, charges, 1);
    }
    /// One of `n` items of a message: its share of the message's figures.
    fn gas_per(&mut self, op: &str, gas: u64, charges: Charges, n: u64) {
        let wasmd = charges.total(gas, false) / n;
        let gas = gas / n;
        self.row(&[
            op.to_string(),
            gas.to_string(),
            (gas / VM_GAS_PER_SDK_GAS).to_string(),
            format!("{:.2}", gas as f64 / self.cw20 as f64),
            (charges.storage / n).to_string(),
            wasmd.to_string(),
            format!("{:.2}", wasmd as f64 / self.cw20_wasmd as f64),
        ]);
    }
    /// The steps of `vm`'s last execute, per item of `n`, when the artifact
    /// is a profile build.
    fn steps(&mut self, op: &str, vm: &VmContract, n: u64) {
        let steps = vm.steps();
        if steps.is_empty() {
            return;
        }
        let total: u64 = steps.iter().map(|s| s.gas).sum();
        let _ = write!(
            self.profile,
            "\n## {op}\n\n{} VM gas{} with the marks.\n\n| step | VM gas | share |\n|---|---|---|\n",
            total / n,
            if n > 1 { format!(" per callback of {n}") } else { String::new() },
        );
        println!("  steps of {op}:");
        for step in steps {
            let share = 100.0 * step.gas as f64 / total as f64;
            let _ = writeln!(
                self.profile,
                "| {} | {} | {share:.0}% |",
                step.name,
                step.gas / n
            );
            println!("    {:>10}  {share:>3.0}%  {}", step.gas / n, step.name);
        }
    }
}

fn ok(
    res: (cosmwasm_std::ContractResult<cosmwasm_std::Response>, u64),
    what: &str,
) -> (cosmwasm_std::Response, u64) {
    match res.0.into_result() {
        Ok(r) => (r, res.1),
        Err(e) => panic!("{what}: {e}"),
    }
}

fn data_id(r: &cosmwasm_std::Response) -> String {
    cosmwasm_std::from_json(r.data.as_ref().expect("data")).expect("id")
}

fn query_gas(vm: &mut VmContract, q: &Value) -> u64 {
    let (res, gas): (Result<Value, String>, u64) = vm.query(q);
    res.unwrap_or_else(|e| panic!("{q}: {e}"));
    gas
}

const GAS_HEADER: &str =
    "| operation | VM gas | SDK gas | x cw20 transfer | store gas | wasmd gas | x cw20 (wasmd) |";

fn marketplace(r: &mut Report) {
    r.section("marketplace", GAS_HEADER);
    let mut vm = VmContract::load("marketplace");
    let [admin, provider, customer, callback] =
        ["admin", "provider", "customer", "callback"].map(|n| vm.addr(n));
    let (_, g) = ok(
        vm.instantiate(&admin, &msgs::instantiate(callback.as_str())),
        "instantiate",
    );
    r.gas("instantiate", g, vm.charges());
    let (res, g) = ok(
        vm.execute(&provider, &msgs::create_offering("Compute", 50_000), &[]),
        "create_offering",
    );
    r.gas("create_offering", g, vm.charges());
    let offering = data_id(&res);
    let (_, g) = ok(
        vm.execute(
            &provider,
            &json!({ "update_offering": { "offering_id": offering, "name": "Compute v2" }}),
            &[],
        ),
        "update",
    );
    r.gas("update_offering", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &provider,
            &json!({ "pause_offering": { "offering_id": offering }}),
            &[],
        ),
        "pause",
    );
    r.gas("pause_offering", g, vm.charges());
    ok(
        vm.execute(
            &provider,
            &json!({ "resume_offering": { "offering_id": offering }}),
            &[],
        ),
        "resume",
    );
    let (res, g) = ok(
        vm.execute(
            &customer,
            &msgs::create_order(&offering, 2, 60_000),
            &[coin(120_000, "uvirt")],
        ),
        "order",
    );
    r.gas("create_order", g, vm.charges());
    let order = data_id(&res);
    let (res, g) = ok(
        vm.execute(&provider, &msgs::place_bid(&order, 55_000), &[]),
        "bid",
    );
    r.gas("place_bid", g, vm.charges());
    let first_bid = data_id(&res);
    let (_, g) = ok(
        vm.execute(
            &provider,
            &json!({ "withdraw_bid": { "bid_id": first_bid }}),
            &[],
        ),
        "withdraw",
    );
    r.gas("withdraw_bid", g, vm.charges());
    let (res, _) = ok(
        vm.execute(&provider, &msgs::place_bid(&order, 50_000), &[]),
        "bid 2",
    );
    let bid = data_id(&res);
    let (res, g) = ok(
        vm.execute(&customer, &msgs::accept_bid(&bid), &[]),
        "accept",
    );
    r.gas("accept_bid", g, vm.charges());
    r.steps("accept_bid", &vm, 1);
    let allocation = data_id(&res);
    for state in ["accepted", "provisioning", "active"] {
        let (_, g) = ok(
            vm.execute(
                &callback,
                &msgs::report_state(&allocation, provider.as_str(), state),
                &[],
            ),
            state,
        );
        r.gas(
            &format!("report_allocation_state ({state})"),
            g,
            vm.charges(),
        );
    }
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "pause_allocation": { "allocation_id": allocation }}),
            &[],
        ),
        "pause alloc",
    );
    r.gas("pause_allocation", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "resume_allocation": { "allocation_id": allocation }}),
            &[],
        ),
        "resume alloc",
    );
    r.gas("resume_allocation", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "resize_allocation": { "allocation_id": allocation, "quantity": 1 }}),
            &[],
        ),
        "resize",
    );
    r.gas("resize_allocation (shrink)", g, vm.charges());
    let (_, g) = ok(
        vm.execute(&customer, &msgs::terminate(&allocation), &[]),
        "terminate",
    );
    r.gas("terminate_allocation", g, vm.charges());
    let (res, _) = ok(
        vm.execute(
            &customer,
            &msgs::create_order(&offering, 1, 1_000),
            &[coin(1_000, "uvirt")],
        ),
        "order 2",
    );
    let order2 = data_id(&res);
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "cancel_order": { "order_id": order2 }}),
            &[],
        ),
        "cancel",
    );
    r.gas("cancel_order", g, vm.charges());
    for (name, q) in [
        (
            "query offering",
            json!({ "offering": { "offering_id": offering }}),
        ),
        ("query order", json!({ "order": { "order_id": order }})),
        (
            "query allocation",
            json!({ "allocation": { "allocation_id": allocation }}),
        ),
        (
            "query allocations_by_customer",
            json!({ "allocations_by_customer": { "customer": customer }}),
        ),
        (
            "query offerings_by_category",
            json!({ "offerings_by_category": { "category": "compute" }}),
        ),
    ] {
        let g = query_gas(&mut vm, &q);
        r.gas(name, g, vm.charges());
    }
}

fn settlement(r: &mut Report) {
    r.section("settlement", GAS_HEADER);
    let mut vm = VmContract::load("settlement");
    let [admin, marketplace, provider, customer, treasury] =
        ["admin", "marketplace", "provider", "customer", "treasury"].map(|n| vm.addr(n));
    let (_, g) = ok(
        vm.instantiate(
            &admin,
            &json!({ "arbiter": admin, "marketplace": marketplace, "ack_window_seconds": 0,
            "fee_shares": [{ "name": "platform", "recipient": treasury, "bps": 250 }] }),
        ),
        "instantiate",
    );
    r.gas("instantiate", g, vm.charges());
    let escrow = format!("order:{customer}/1");
    let expires = format!("{}000000000", vm.env.block.time.seconds() + 30 * 86_400);
    let (_, g) = ok(
        vm.execute(&marketplace, &json!({ "create_escrow": { "escrow_id": escrow, "customer": customer, "provider": provider,
            "rates": [{ "usage_type": "hour", "unit_price": "1000" }], "expires_at": expires }}), &[coin(1_000_000, "uvirt")]),
        "create_escrow",
    );
    r.gas("create_escrow", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "deposit": { "escrow_id": escrow }}),
            &[coin(10, "uvirt")],
        ),
        "deposit",
    );
    r.gas("deposit", g, vm.charges());
    let mut ids = vec![];
    for i in 0..3u64 {
        vm.advance(3_600);
        let end = vm.env.block.time.seconds();
        let (res, g) = ok(
            vm.execute(&provider, &json!({ "record_usage": { "escrow_id": escrow, "allocation_id": format!("{customer}/1/1"),
                "usage_type": "hour", "units": "2", "period_start": format!("{}000000000", end - 3_600), "period_end": format!("{end}000000000") }}), &[]),
            "record",
        );
        if i == 0 {
            r.gas("record_usage", g, vm.charges());
            r.steps("record_usage", &vm, 1);
        }
        ids.push(cosmwasm_std::from_json::<u64>(res.data.unwrap()).unwrap());
    }
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "acknowledge_usage": { "record_ids": [ids[0]] }}),
            &[],
        ),
        "ack",
    );
    r.gas("acknowledge_usage (1 record)", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &customer,
            &json!({ "dispute_usage": { "record_id": ids[1], "reason": "check" }}),
            &[],
        ),
        "dispute",
    );
    r.gas("dispute_usage", g, vm.charges());
    let (_, g) = ok(vm.execute(&admin, &json!({ "resolve_dispute": { "escrow_id": escrow, "upheld": [ids[1]], "rejected": [] }}), &[]), "resolve");
    r.gas("resolve_dispute", g, vm.charges());
    let (_, g) = ok(
        vm.execute(
            &provider,
            &json!({ "settle": { "escrow_id": escrow, "record_ids": [ids[0]], "finalize": false }}),
            &[],
        ),
        "settle",
    );
    r.gas("settle (1 record, 1 fee)", g, vm.charges());
    r.steps("settle (1 record, 1 fee)", &vm, 1);
    let (_, g) = ok(
        vm.execute(
            &provider,
            &json!({ "settle": { "escrow_id": escrow, "finalize": true }}),
            &[],
        ),
        "final",
    );
    r.gas("settle final (2 records + refund)", g, vm.charges());
    r.steps("settle final (2 records + refund)", &vm, 1);
    let g = query_gas(&mut vm, &json!({ "escrow": { "escrow_id": escrow }}));
    r.gas("query escrow", g, vm.charges());
    let g = query_gas(
        &mut vm,
        &json!({ "usage_records_by_escrow": { "escrow_id": escrow }}),
    );
    r.gas("query usage_records_by_escrow", g, vm.charges());
}

fn hpc(r: &mut Report) {
    r.section("hpc", GAS_HEADER);
    let mut vm = VmContract::load("hpc");
    let [admin, provider, customer, settlement] =
        ["admin", "provider", "customer", "settlement"].map(|n| vm.addr(n));
    let (_, g) = ok(
        vm.instantiate(&admin, &json!({ "settlement_contract": settlement })),
        "instantiate",
    );
    r.gas("instantiate", g, vm.charges());
    let (res, g) = ok(vm.execute(&provider, &json!({ "register_cluster": { "cluster": { "name": "alpha", "region": "eu-west-1", "total_nodes": 64 }}}), &[]), "cluster");
    r.gas("register_cluster", g, vm.charges());
    let cluster = data_id(&res);
    let (res, g) = ok(
        vm.execute(&provider, &json!({ "create_hpc_offering": { "cluster_id": cluster, "offering": { "name": "batch",
            "queues": [{ "name": "normal", "max_nodes": 16, "max_runtime_seconds": 7200 }], "max_runtime_seconds": 7200,
            "denom": "uvirt", "price_per_node_hour": "1000" }}}), &[]),
        "offering",
    );
    r.gas("create_hpc_offering", g, vm.charges());
    let offering = data_id(&res);
    let submit = json!({ "submit_job": { "hpc_offering_id": offering, "queue": "normal", "nodes": 4, "max_runtime_seconds": 3600 }});
    let (res, g) = ok(
        vm.execute(&customer, &submit, &[coin(4_000, "uvirt")]),
        "submit",
    );
    r.gas("submit_job", g, vm.charges());
    r.steps("submit_job", &vm, 1);
    let job = data_id(&res);
    for state in ["queued", "running"] {
        let (_, g) = ok(
            vm.execute(
                &provider,
                &json!({ "report_job_status": { "job_id": job, "state": state }}),
                &[],
            ),
            state,
        );
        r.gas(&format!("report_job_status ({state})"), g, vm.charges());
    }
    let g = query_gas(&mut vm, &json!({ "job": { "job_id": job }}));
    r.gas("query job", g, vm.charges());
}

/// What a callback says, before the numbering and the signature.
struct Draft<'a> {
    action: ActionType,
    waldur_id: &'a str,
    entity_id: &'a str,
    payload: &'a [u8],
}

impl Draft<'_> {
    /// Callback `n` of `provider`, signed with `key` for this VM's chain and
    /// contract, valid for 600 s from now.
    fn signed(&self, vm: &VmContract, key: &SigningKey, provider: &str, n: u32) -> Value {
        let now = vm.env.block.time.seconds();
        self.sign(
            key,
            (&vm.env.block.chain_id, vm.env.contract.address.as_str()),
            provider,
            n,
            now,
        )
    }

    fn sign(
        &self,
        key: &SigningKey,
        (chain_id, contract): (&str, &str),
        provider: &str,
        n: u32,
        now: u64,
    ) -> Value {
        let callback_id = format!("cb-{n}");
        let nonce = format!("nonce-{n:08}");
        let entity_type = self.action.entity_type();
        let bytes = signing_bytes(&CallbackFields {
            chain_id,
            contract,
            provider,
            signer_key_id: "k1",
            callback_id: &callback_id,
            action: self.action,
            waldur_id: self.waldur_id,
            entity_type,
            entity_id: self.entity_id,
            nonce: &nonce,
            timestamp: now,
            expires_at: now + 600,
            payload: self.payload,
        })
        .expect("signing bytes");
        let signature: [u8; 64] = key.sign(&bytes).into();
        json!({
            "provider": provider, "signer_key_id": "k1", "callback_id": callback_id,
            "action_type": self.action.as_str(), "waldur_id": self.waldur_id,
            "entity_type": entity_type.as_str(), "entity_id": self.entity_id, "nonce": nonce,
            "timestamp": now, "expires_at": now + 600, "payload": Binary::from(self.payload.to_vec()),
            "signature": Binary::from(signature.to_vec()),
        })
    }
}

/// Offering `n` of the provider's Waldur, ingested.
fn signed_ingest(vm: &VmContract, key: &SigningKey, provider: &str, n: u32) -> Value {
    let payload = ingest_payload();
    let uuid = format!("waldur-offering-{n}");
    Draft {
        action: ActionType::OfferingIngest,
        waldur_id: &uuid,
        entity_id: &uuid,
        payload: &payload,
    }
    .signed(vm, key, provider, n)
}

/// Allocation `customer/n/1` provisioned: the most frequent callback.
fn signed_provision(vm: &VmContract, key: &SigningKey, provider: &str, n: u32) -> Value {
    let payload = to_json_vec(&ve_types::callback::AllocationStatePayload {
        state: ve_types::AllocationState::Active,
        backend_id: Some(format!("{n:032x}")),
        reason: None,
    })
    .expect("payload");
    let allocation = format!("{}/{n}/1", vm.addr("customer"));
    let resource = format!("waldur-resource-{n}");
    Draft {
        action: ActionType::Provision,
        waldur_id: &resource,
        entity_id: &allocation,
        payload: &payload,
    }
    .signed(vm, key, provider, n)
}

fn ingest_payload() -> Vec<u8> {
    to_json_vec(&OfferingIngestPayload {
        offering: ve_types::OfferingFields {
            name: "GPU box".into(),
            description: String::new(),
            category: ve_types::Category::Gpu,
            pricing: ve_types::Pricing {
                model: ve_types::PricingModel::Hourly,
                denom: "uvirt".into(),
                base_price: 10u128.into(),
                components: vec![],
                minimum_commitment_seconds: 0,
            },
            regions: vec![],
            tags: vec![],
            specifications: Default::default(),
            min_identity_score: 0,
            require_mfa_for_orders: false,
        },
        state: OfferingState::Active,
    })
    .expect("payload")
}

fn callbacks(r: &mut Report) {
    r.section("waldur-callback", GAS_HEADER);
    let mut vm = VmContract::load("waldur-callback");
    let [admin, provider, marketplace] = ["admin", "provider", "marketplace"].map(|n| vm.addr(n));
    let (_, g) = ok(
        vm.instantiate(&admin, &json!({ "marketplace": marketplace })),
        "instantiate",
    );
    r.gas("instantiate", g, vm.charges());
    let key = SigningKey::from([7u8; 32]);
    let register = ve_relayer::chain::signer::Signer::new(
        [7u8; 32],
        "k1",
        provider.as_str(),
        vm.env.block.chain_id.clone(),
        vm.env.contract.address.to_string(),
    )
    .register_message()
    .expect("key proof");
    let (_, g) = ok(vm.execute(&provider, &register, &[]), "register");
    r.gas("register_signer", g, vm.charges());
    // The most frequent kind (a small payload) and the largest one.
    callback_kind(r, &mut vm, &key, "provision", signed_provision, 1_000);
    let (single, batch) = callback_kind(r, &mut vm, &key, "offering_ingest", signed_ingest, 0);
    batch_floor(r, single, batch, 50);
}

type SignFn = fn(&VmContract, &SigningKey, &str, u32) -> Value;

/// One callback of a kind alone, again, then 50 of it in one message and
/// those again; prints their rows and ratios. Returns the VM gas of the
/// one alone and of the whole batch.
fn callback_kind(
    r: &mut Report,
    vm: &mut VmContract,
    key: &SigningKey,
    kind: &str,
    sign: SignFn,
    first: u32,
) -> (u64, u64) {
    r.section(&format!("waldur-callback: {kind} callbacks"), GAS_HEADER);
    let provider = vm.addr("provider");
    let single_msg =
        json!({ "submit_callback": { "callback": sign(vm, key, provider.as_str(), first + 1) }});
    let (_, single) = ok(vm.execute(&provider, &single_msg, &[]), "single");
    let single_charges = vm.charges();
    r.gas(
        &format!("submit_callback ({kind}, verified alone)"),
        single,
        single_charges,
    );
    r.steps(&format!("submit_callback ({kind}, verified alone)"), vm, 1);
    let (_, g) = ok(vm.execute(&provider, &single_msg, &[]), "again");
    r.gas(
        &format!("submit_callback ({kind}, re-delivery: already_processed)"),
        g,
        vm.charges(),
    );
    r.steps(
        &format!("submit_callback ({kind}, re-delivery: already_processed)"),
        vm,
        1,
    );
    let batch: Vec<Value> = (first + 100..first + 150)
        .map(|n| sign(vm, key, provider.as_str(), n))
        .collect();
    let batch_msg = json!({ "submit_callbacks": { "callbacks": batch }});
    let (_, g) = ok(vm.execute(&provider, &batch_msg, &[]), "batch");
    let batch_charges = vm.charges();
    r.gas(
        &format!("submit_callbacks (50 {kind}, batch-verified), whole message"),
        g,
        batch_charges,
    );
    r.gas_per(
        &format!("submit_callbacks (50 {kind}), per callback"),
        g,
        batch_charges,
        50,
    );
    r.steps(
        &format!("submit_callbacks (50 {kind} batch-verified)"),
        vm,
        50,
    );
    let (_, again) = ok(vm.execute(&provider, &batch_msg, &[]), "batch again");
    r.gas_per(
        &format!("submit_callbacks (the same 50 {kind} again: re-deliveries), per callback"),
        again,
        vm.charges(),
        50,
    );
    let single_wasmd = single_charges.total(single, false);
    let batch_wasmd = batch_charges.total(g, false) / 50;
    let message_gas = |m: &Value| wasmd_gas::tx_size_gas(to_json_vec(m).map_or(0, |b| b.len()));
    let single_tx = single_wasmd + message_gas(&single_msg);
    let batch_tx = batch_wasmd + message_gas(&batch_msg) / 50;
    let ratios = format!(
        "A batched {kind} callback costs {:.0}% of one sent alone in VM gas (budget: 30%); \
         {:.0}% in wasmd gas ({batch_wasmd} vs {single_wasmd}: the message's instance cost is shared by 50, \
         its storage and events are per callback); {:.0}% with the transaction's size gas of the message \
         ({batch_tx} vs {single_tx}: 10 per byte of its JSON, most of it the callback's own).",
        100.0 * (g / 50) as f64 / single as f64,
        100.0 * batch_wasmd as f64 / single_wasmd as f64,
        100.0 * batch_tx as f64 / single_tx as f64,
    );
    println!("  {ratios}");
    let _ = writeln!(r.md, "\n{ratios}");
    (single, g)
}

/// Splits the two measurements into what a message costs once (F) and what
/// each callback costs besides its signature (W), with the VM's prices for
/// the signature checks, and says how small W would have to be for 30%.
fn batch_floor(r: &mut Report, single: u64, batch: u64, n: u64) {
    // cosmwasm-vm 3.0.10 GasConfig::default(): ed25519_verify_cost, and
    // ed25519_batch_verify_one_pubkey_cost (base + per item).
    const VERIFY_ONE: f64 = 35e6;
    const BATCH_BASE: f64 = 36e6;
    const BATCH_PER_SIGNATURE: f64 = 10e6;
    let (single, batch, n) = (single as f64, batch as f64, n as f64);
    // single = F + VERIFY_ONE + W; batch = F + BATCH_BASE + n (BATCH_PER_SIGNATURE + W)
    let own = (batch - single - BATCH_BASE - n * BATCH_PER_SIGNATURE + VERIFY_ONE) / (n - 1.0);
    let fixed = single - VERIFY_ONE - own;
    // (F + BATCH_BASE) / n + BATCH_PER_SIGNATURE + W <= 0.3 (F + VERIFY_ONE + W)
    let most = (0.3 * (fixed + VERIFY_ONE) - (fixed + BATCH_BASE) / n - BATCH_PER_SIGNATURE) / 0.7;
    let _ = writeln!(
        r.md,
        "With the VM's signature prices (35M alone; 36M + 10M per signature in a batch \
         under one key) the two figures split into {:.1}M paid once per message and \
         {:.1}M of each callback's own work (its JSON, checks, signing bytes, replay \
         records, dispatched message and event). 30% would need that own work at or \
         under {:.1}M per callback.",
        fixed / 1e6,
        own / 1e6,
        most / 1e6
    );
    println!(
        "  batch split: fixed {:.1}M, own work per callback {:.1}M, 30% needs <= {:.1}M",
        fixed / 1e6,
        own / 1e6,
        most / 1e6
    );
}

fn scale(r: &mut Report) {
    r.section(
        "page cost against stored records (limit 10)",
        "| query | 10 records | 1,000 | 100,000 | ratio 100,000 / 10 |",
    );
    let mut results: Vec<(String, Vec<u64>)> = vec![];
    for n in [10u64, 1_000, 100_000] {
        // marketplace
        let mut vm = VmContract::load("marketplace");
        let [admin, provider, customer] = ["admin", "provider", "customer"].map(|x| vm.addr(x));
        ok(vm.instantiate(&admin, &json!({})), "instantiate");
        let mut native = MockStorage::new();
        seed::marketplace(&mut native, &customer, &provider, n);
        seed::copy_into(&mut vm, &native);
        // Every page returns 10 items: from the start for 10 records, from
        // the middle (a seek into a big index) for more.
        let mid = if n > 20 { Some(n / 2) } else { None };
        let alloc_cursor = mid.map(|m| format!("{customer}/{m}/1"));
        let offering_cursor = mid.map(|m| format!("{provider}/{m}"));
        let queries = [
            (
                "allocations_by_customer",
                json!({ "allocations_by_customer": { "customer": customer, "start_after": alloc_cursor }}),
            ),
            (
                "allocations_by_provider",
                json!({ "allocations_by_provider": { "provider": provider, "start_after": alloc_cursor }}),
            ),
            (
                "offerings_by_category",
                json!({ "offerings_by_category": { "category": "compute", "start_after": offering_cursor }}),
            ),
            (
                "offerings_by_provider",
                json!({ "offerings_by_provider": { "provider": provider, "start_after": offering_cursor }}),
            ),
        ];
        for (i, (name, q)) in queries.iter().enumerate() {
            let g = query_gas(&mut vm, q);
            if results.len() <= i {
                results.push((name.to_string(), vec![]));
            }
            results[i].1.push(g);
        }
        // settlement
        let mut vm = VmContract::load("settlement");
        let [admin, provider] = ["admin", "provider"].map(|x| vm.addr(x));
        ok(
            vm.instantiate(&admin, &json!({ "arbiter": admin })),
            "instantiate",
        );
        let mut native = MockStorage::new();
        let allocation = format!("{provider}/1/1");
        seed::settlement(&mut native, &provider, &allocation, n);
        seed::copy_into(&mut vm, &native);
        let g = query_gas(
            &mut vm,
            &json!({ "usage_records_by_allocation": { "allocation_id": allocation, "start_after": mid }}),
        );
        // (start_after None at 10 records: the whole page from the start)
        let idx = queries.len();
        if results.len() <= idx {
            results.push(("usage_records_by_allocation".into(), vec![]));
        }
        results[idx].1.push(g);
    }
    for (name, g) in results {
        r.row(&[
            name,
            g[0].to_string(),
            g[1].to_string(),
            g[2].to_string(),
            format!("{:.3}", g[2] as f64 / g[0] as f64),
        ]);
    }
}

/// 100,000 callbacks, one every 6 s, each valid 600 s, through the
/// contract's own entry points natively (the VM would take minutes): the
/// stored nonces stay bounded by the validity window.
fn nonce_store(r: &mut Report) {
    r.section(
        "nonce store under load",
        "| callbacks sent | stored nonces at the end | peak |",
    );
    let mut deps = mock_dependencies();
    let mut env = mock_env();
    let admin = deps.api.addr_make("admin");
    let provider = deps.api.addr_make("provider");
    let marketplace = deps.api.addr_make("marketplace");
    waldur_callback::contract::instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&admin, &[]),
        waldur_callback::msg::InstantiateMsg {
            admin: None,
            marketplace: Some(marketplace.to_string()),
            settlement: None,
            hpc: None,
            max_validity_seconds: None,
            max_clock_skew_seconds: None,
            max_payload_bytes: None,
            prune_batch: None,
        },
    )
    .expect("instantiate");
    let key = SigningKey::from([8u8; 32]);
    let register = ve_relayer::chain::signer::Signer::new(
        [8u8; 32],
        "k1",
        provider.as_str(),
        env.block.chain_id.clone(),
        env.contract.address.to_string(),
    )
    .register_message()
    .expect("key proof");
    waldur_callback::contract::execute(
        deps.as_mut(),
        env.clone(),
        message_info(&provider, &[]),
        register,
    )
    .expect("register");
    let payload = ingest_payload();
    let contract = env.contract.address.to_string();
    let mut peak = 0u64;
    let total = 100_000u32;
    for n in 0..total {
        env.block.time = env.block.time.plus_seconds(6);
        let now = env.block.time.seconds();
        let uuid = format!("w-{n}");
        let cb: waldur_callback::msg::SignedCallback = serde_json::from_value(
            Draft {
                action: ActionType::OfferingIngest,
                waldur_id: &uuid,
                entity_id: &uuid,
                payload: &payload,
            }
            .sign(
                &key,
                (&env.block.chain_id, &contract),
                provider.as_str(),
                n,
                now,
            ),
        )
        .expect("callback");
        waldur_callback::contract::execute(
            deps.as_mut(),
            env.clone(),
            message_info(&provider, &[]),
            waldur_callback::msg::ExecuteMsg::SubmitCallback { callback: cb },
        )
        .expect("submit");
        let stored = waldur_callback::state::NONCE_COUNT
            .load(&deps.storage)
            .unwrap_or(0);
        peak = peak.max(stored);
    }
    let stored = waldur_callback::state::NONCE_COUNT
        .load(&deps.storage)
        .unwrap_or(0);
    r.row(&[total.to_string(), stored.to_string(), peak.to_string()]);
}

/// The relayer's own speed: callbacks signed per second, and signed +
/// written to the (fsynced) outbox per second.
fn relayer(r: &mut Report) {
    use std::time::Instant;
    use ve_relayer::chain::signer::{CallbackDraft, Signer};
    use ve_relayer::runtime::outbox::Outbox;
    r.section("relayer", "| measure | value |");
    let signer = Signer::new(
        [5; 32],
        "k1",
        "virtengine1provider",
        "virtengine-1",
        "virtengine1callback",
    );
    let drafts: Vec<CallbackDraft> = (0..10_000u32)
        .map(|n| CallbackDraft {
            callback_id: format!("provision:virtengine1customer/{n}/1:active"),
            action: ActionType::Provision,
            waldur_id: format!("{n:032x}"),
            entity_id: format!("virtengine1customer/{n}/1"),
            payload: br#"{"state":"active","backend_id":null,"reason":null}"#.to_vec(),
        })
        .collect();
    let start = Instant::now();
    let signed: Vec<_> = drafts
        .iter()
        .map(|d| signer.sign(d, 1_700_000_000).expect("sign"))
        .collect();
    let secs = start.elapsed().as_secs_f64();
    r.row(&[
        "callbacks signed per second (one core)".into(),
        format!("{:.0}", signed.len() as f64 / secs),
    ]);
    let dir = std::env::temp_dir().join(format!("ve-bench-outbox-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let outbox = Outbox::open(&dir.join("o.redb"), 5).expect("outbox");
    let start = Instant::now();
    for cb in signed.iter().take(1_000) {
        outbox.enqueue(cb.clone(), 1).expect("enqueue");
    }
    let secs = start.elapsed().as_secs_f64();
    r.row(&[
        "callbacks written to the outbox per second (one fsynced commit each)".into(),
        format!("{:.0}", 1_000.0 / secs),
    ]);
    r.row(&[
        "executes per transaction (submit_callbacks batch)".into(),
        "50".into(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// cw20-base 2.0.0, built like our contracts, in the same VM: instantiate
/// with one holder, a transfer to a new holder, one to an existing holder,
/// a balance query. Sets the baseline of the "x cw20 transfer" columns.
fn cw20(r: &mut Report) -> String {
    let path = cw20_artifact();
    let Ok(wasm) = std::fs::read(&path) else {
        r.cw20 = CW20_TRANSFER_FALLBACK_VM_GAS;
        r.cw20_wasmd = CW20_TRANSFER_FALLBACK_WASMD_GAS;
        return format!(
            "cw20-base's transfer: {CW20_TRANSFER_FALLBACK_VM_GAS} VM gas, the figure of DESIGN.md \
({} is absent: run scripts/bench.sh to measure it here).",
            path.display()
        );
    };
    let mut vm = VmContract::from_wasm(&wasm);
    let [minter, alice, bob] = ["minter", "alice", "bob"].map(|n| vm.addr(n));
    let (_, instantiate) = ok(
        vm.instantiate(
            &minter,
            &json!({ "name": "Bench Token", "symbol": "BENCH", "decimals": 6,
                "initial_balances": [{ "address": alice, "amount": "1000000" }] }),
        ),
        "cw20 instantiate",
    );
    let transfer =
        |to: &cosmwasm_std::Addr| json!({ "transfer": { "recipient": to, "amount": "1000" }});
    let instantiate_charges = vm.charges();
    let (_, first) = ok(vm.execute(&alice, &transfer(&bob), &[]), "cw20 transfer");
    let first_charges = vm.charges();
    let (_, again) = ok(vm.execute(&alice, &transfer(&bob), &[]), "cw20 transfer 2");
    let again_charges = vm.charges();
    let balance = query_gas(&mut vm, &json!({ "balance": { "address": bob }}));
    r.cw20 = first;
    r.cw20_wasmd = first_charges.total(first, false);
    r.section("cw20-base 2.0.0 (the baseline)", GAS_HEADER);
    r.gas("instantiate (one holder)", instantiate, instantiate_charges);
    r.gas(
        "transfer (to a new holder): the baseline",
        first,
        first_charges,
    );
    r.gas("transfer (to an existing holder)", again, again_charges);
    r.gas("query balance", balance, vm.charges());
    format!(
        "cw20-base 2.0.0's transfer, built with the same flags and wasm-opt lowering and measured in the same VM \
(section below): {first} VM gas."
    )
}

/// The relayer against the Waldur emulator with 10,000 allocations, run as
/// a child process (`ve-relayer-load`, next to this binary) so that its
/// peak memory is its own.
fn relayer_load(r: &mut Report) {
    r.section(
        "relayer under load: 10,000 allocations through the Waldur emulator",
        "| measure | value |",
    );
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("ve-relayer-load")));
    let out = exe.and_then(|exe| std::process::Command::new(exe).arg("10000").output().ok());
    let Some(out) = out.filter(|o| o.status.success()) else {
        r.row(&[
            "not measured".into(),
            "build `ve-relayer-load` (cargo build -p ve-vm-tests --bins)".into(),
        ]);
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let fig: std::collections::BTreeMap<&str, &str> = text
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let get = |k: &str| fig.get(k).copied().unwrap_or("?").to_string();
    let mb = |k: &str| {
        fig.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or("?".into(), |kb| format!("{:.0} MB", kb / 1024.0))
    };
    for (what, value) in [
        (
            "allocations created on the embedded chain (in chunks of 2,000)",
            get("allocations"),
        ),
        (
            "allocation_created events handled per second (Waldur order create, bind, approve; 2 signed callbacks into the fsynced outbox each)",
            get("events_per_s"),
        ),
        (
            "callbacks confirmed on chain per second (batches of 50, one block each)",
            get("callbacks_per_s"),
        ),
        ("callbacks confirmed in all", get("callbacks_confirmed")),
        ("left pending / dead letters", format!("{} / {}", get("outbox_pending"), get("outbox_dead"))),
        (
            "one poll of the 10,000 tracked Waldur resources (one listing of the project, 100 a page), seconds",
            get("poll_s"),
        ),
        (
            "peak RSS of the process (VmHWM from the relayer's start; it also holds the embedded chain and the emulator)",
            mb("peak_rss_kb"),
        ),
        ("RSS when the relayer started", mb("start_rss_kb")),
    ] {
        r.row(&[what.into(), value]);
    }
}

fn sizes(r: &mut Report) {
    r.section(
        "wasm sizes",
        "| artifact | bytes | of the 800 KiB limit | x cw20-base |",
    );
    // DESIGN.md's figure when the baseline was not built here.
    let cw20_bytes = std::fs::metadata(cw20_artifact()).map_or(339_000, |m| m.len());
    r.row(&[
        "cw20-base.wasm (baseline)".into(),
        cw20_bytes.to_string(),
        format!("{:.0}%", 100.0 * cw20_bytes as f64 / (800.0 * 1024.0)),
        "1.00".into(),
    ]);
    for name in ["marketplace", "settlement", "hpc", "waldur-callback"] {
        let bytes = std::fs::metadata(artifact_path(name))
            .map(|m| m.len())
            .unwrap_or(0);
        r.row(&[
            format!("{name}.wasm"),
            bytes.to_string(),
            format!("{:.0}%", 100.0 * bytes as f64 / (800.0 * 1024.0)),
            format!("{:.2}", bytes as f64 / cw20_bytes as f64),
        ]);
    }
}

/// A section of the report: its name (for VE_BENCH_ONLY) and what runs it.
type Section = (&'static str, fn(&mut Report));

fn main() {
    let mut r = Report {
        md: String::new(),
        cw20: CW20_TRANSFER_FALLBACK_VM_GAS,
        cw20_wasmd: CW20_TRANSFER_FALLBACK_WASMD_GAS,
        profile: String::new(),
    };
    let baseline = cw20(&mut r);
    r.md = format!(
        "# Benchmarks\n\nWritten by `scripts/bench.sh` (cosmwasm-vm 3.0.10, mock storage, optimised artifacts). \
VM gas / 140,000 = SDK gas. wasmd charges more than that: \
\"store gas\" is the SDK store's gas for the execute's reads and writes (KVGasConfig, keys behind wasmd's 33-byte contract prefix), \
and \"wasmd gas\" adds it to the VM's SDK gas, the event gas and the 60,000 instance cost of an unpinned contract \
(tests/vm/src/wasmd_gas.rs has the constants and their sources). The transaction's own costs (signature, bytes) come on top. {baseline}\n{}",
        r.md
    );
    // VE_BENCH_ONLY=marketplace,callbacks runs just those sections and
    // prints them, leaving bench/gas.md as it is (for quick comparisons).
    let only = std::env::var("VE_BENCH_ONLY").ok();
    let wanted = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|w| w == name))
    };
    let sections: [Section; 9] = [
        ("sizes", sizes),
        ("marketplace", marketplace),
        ("settlement", settlement),
        ("hpc", hpc),
        ("callbacks", callbacks),
        ("scale", scale),
        ("nonce_store", nonce_store),
        ("relayer", relayer),
        ("relayer_load", relayer_load),
    ];
    for (name, run) in sections {
        if wanted(name) {
            run(&mut r);
        }
    }
    // Marked artifacts (VE_ARTIFACTS=artifacts/profile) pay for their marks:
    // such a run writes their steps, never gas.md.
    if !r.profile.is_empty() {
        write_bench_file("profile.md", &format!("{PROFILE_INTRO}{}", r.profile));
        return;
    }
    if only.is_some() {
        return;
    }
    write_bench_file("gas.md", &r.md);
}

const PROFILE_INTRO: &str = "# Where the gas of the costliest executes goes\n\n\
Written by `scripts/bench.sh` from profile builds of the contracts (`--features gas-profile`, \
artifacts/profile, never deployed): their `execute` entry point is wrapped \
(`ve_cw::gas_profile_entry_point!`) to send a debug message when cosmwasm-std has parsed env, info \
and message, and another when the contract's handler returns; the VM gas between two marks is the \
step the second one names, and the last step is the answer written for the VM. Nothing is marked \
inside the handlers. Each mark is a debug host call, counted in the step it ends, so these totals \
are a little above bench/gas.md's; the scenarios are the same. VM gas is about 0.3% of what wasmd \
charges (bench/devnet-gas.md): this shows where the contract's own instructions go, not the fee.\n";

fn write_bench_file(name: &str, text: &str) {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench")
        .join(name);
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&out, text) {
        Ok(()) => println!("\nwrote {}", out.display()),
        Err(e) => eprintln!("cannot write {}: {e}", out.display()),
    }
}
