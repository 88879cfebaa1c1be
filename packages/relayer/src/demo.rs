//! The embedded default, end to end: the four contracts in process, a
//! Waldur emulator on loopback, and the relayer between them, driving one
//! allocation from offering to termination and settlement. `ve-relayer
//! demo` prints it; the tests run the same story and check the outcome.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{Addr, Uint128};
use rand_core::{OsRng, RngCore};
use ve_interface::{marketplace, settlement};
use waldur::{Config as WaldurConfig, OrderFilter, OrderState, WaldurClient};
use waldur_emulator::{Emulator, OfferingSeed};

use crate::chain::embedded::{EmbeddedChain, DENOM};
use crate::chain::signer::Signer;
use crate::chain::ChainClient;
use crate::flows::engine::Engine;
use crate::runtime::outbox::Outbox;
use crate::waldur_side::adapter::WaldurAdapter;

mod error;
mod hpc_job;
mod passes;

pub use error::DemoError;
pub use hpc_job::HpcOutcome;
pub use passes::DemoOptions;
use passes::{relay, returned_id};

/// Progress lines of the whole story.
const LINES: usize = 23;

/// What the story ended with, for the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOutcome {
    pub allocation_id: String,
    pub allocation_state: ve_types::AllocationState,
    pub waldur_resource_state: String,
    pub provider_received: u128,
    pub customer_spent: u128,
    pub callbacks_confirmed: u64,
    pub dead_letters: u64,
    /// Orders the emulated Waldur holds at the end.
    pub waldur_orders: usize,
    /// The HPC job chapter.
    pub hpc: HpcOutcome,
}

type Progress<'a> = &'a mut dyn FnMut(&str);

fn balance(chain: &EmbeddedChain, who: &Addr) -> Result<u128, DemoError> {
    let amount = chain.app.wrap().query_balance(who, DENOM)?.amount;
    Ok(Uint128::try_from(amount)?.u128())
}

/// What the provider's backend does when its work is finished: marks the
/// resource's executing orders done (Waldur moves the resource along).
async fn finish_orders(backend: &WaldurClient, resource: &str) -> Result<(), DemoError> {
    let filter = OrderFilter {
        resource_uuid: Some(resource.to_string()),
        states: vec![OrderState::Executing],
        ..OrderFilter::default()
    };
    for order in backend.list_orders(&filter).await? {
        if let Some(uuid) = order.uuid {
            backend.set_order_state_done(&uuid).await?;
        }
    }
    Ok(())
}

/// Runs the story; `db_dir` holds the relayer's database.
pub async fn run(
    db_dir: &std::path::Path,
    options: DemoOptions,
    progress: Progress<'_>,
) -> Result<DemoOutcome, DemoError> {
    let mut step_no = 0;
    let mut say = |progress: &mut dyn FnMut(&str), text: String| {
        step_no += 1;
        progress(&format!("[{step_no:>2}/{LINES}] {text}"));
    };

    // Waldur, with an offering the provider sells.
    let waldur = Emulator::start("demo-token").await?;
    let customer_org = waldur.state.seed_customer("Provider Org");
    let project = waldur
        .state
        .seed_project(&customer_org.uuid, "VirtEngine")
        .ok_or(DemoError::Missing("seeding the project"))?;
    let category = waldur.state.seed_category("HPC");
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&customer_org.uuid, &category.uuid))
        .ok_or(DemoError::Missing("seeding the Waldur offering"))?;
    say(
        progress,
        format!(
            "Waldur emulator at {} with offering {}",
            waldur.base_url, offering.uuid
        ),
    );

    // The chain, the provider's relayer key, and its offering on chain.
    let mut chain = EmbeddedChain::deploy(&["provider", "customer"])?;
    let (provider, customer) = (chain.addr("provider"), chain.addr("customer"));
    let (m, cb) = (chain.marketplace.clone(), chain.callback.clone());
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let signer = Signer::new(
        seed,
        "relayer-1",
        provider.as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    );
    let register = signer.register_message()?;
    chain.execute(&provider, &cb, &register, &[])?;
    say(
        progress,
        format!("chain up; provider {provider} registered relayer key relayer-1"),
    );
    let chain_offering = returned_id(&chain.execute(
        &provider,
        &m,
        &marketplace::msg::ExecuteMsg::CreateOffering {
            offering: ve_types::OfferingFields::new(
                "HPC node",
                "Metered CPU hours",
                ve_types::Category::Hpc,
                ve_types::Pricing::new(
                    ve_types::PricingModel::UsageBased,
                    DENOM,
                    Uint128::new(10_000),
                    vec![ve_types::PriceComponent {
                        resource_type: "cpu".into(),
                        unit: "cpu_hour".into(),
                        price: Uint128::new(100),
                    }],
                ),
            ),
            encrypted_secrets: None,
        },
        &[],
    )?)?;
    say(
        progress,
        format!(
            "offering {chain_offering} on chain, mapped to Waldur offering {}",
            offering.uuid
        ),
    );

    // The relayer.
    let outbox = Arc::new(Outbox::open(&db_dir.join("relayer.redb"), 5)?);
    let mut config = WaldurConfig::new(waldur.base_url.clone(), "demo-token");
    config.retry_wait_min = Duration::from_millis(20);
    config.retry_wait_max = Duration::from_millis(200);
    let client = WaldurClient::new(config.clone())?;
    // The provider's Waldur backend (its site agent) uses the API too.
    let backend = WaldurClient::new(config)?;
    let project_url = client.urls().project(&project.uuid)?;
    // Orders take the public offering link, not the provider one.
    let public_offering = client.urls().public_offering(&offering.uuid)?;
    let offerings = BTreeMap::from([(chain_offering.clone(), public_offering)]);
    let mut engine = Engine {
        chain,
        waldur: WaldurAdapter::new(client, project_url, offerings, outbox.clone())?,
        signer,
        outbox,
    };

    let customer_start = balance(&engine.chain, &customer)?;
    let provider_start = balance(&engine.chain, &provider)?;
    let allocation = engine
        .chain
        .allocate(&customer, &provider, &chain_offering, 10_000)?;
    say(progress, format!("customer ordered, provider bid, customer accepted: allocation {allocation}, 10,000 {DENOM} in escrow"));

    let report = relay(&mut engine, &waldur.state, options, true).await?;
    say(progress, format!("relayer: {report}"));

    // The accepted callback bound the Waldur resource to the allocation.
    let bound: marketplace::msg::AllocationResponse = engine.chain.app.wrap().query_wasm_smart(
        m.clone(),
        &marketplace::msg::QueryMsg::Allocation {
            allocation_id: allocation.clone(),
        },
    )?;
    let resource = bound
        .allocation
        .backend_id
        .ok_or(DemoError::Missing("the relayer bound no Waldur resource"))?;
    finish_orders(&backend, &resource).await?;
    say(
        progress,
        format!("Waldur backend: resource {resource} provisioned, order done (OK)"),
    );
    let report = relay(&mut engine, &waldur.state, options, false).await?;
    say(progress, format!("relayer: {report}"));

    engine.chain.advance(3_600);
    waldur
        .state
        .record_usage(&resource, "cpu", "12.50")
        .map_err(DemoError::EmulatorRefused)?;
    say(progress, "Waldur: 12.5 cpu hours used this month".into());
    let report = relay(&mut engine, &waldur.state, options, false).await?;
    say(progress, format!("relayer: {report}"));

    let s = engine.chain.settlement.clone();
    // An allocation's id is its order's with a sequence number appended
    // (`c/1` -> `c/1/1`); the escrow is the order's.
    let order = allocation
        .rsplit_once('/')
        .map_or(allocation.as_str(), |(order, _)| order);
    let escrow_id = format!("order:{order}");
    let records: settlement::msg::UsageRecordsResponse = engine.chain.app.wrap().query_wasm_smart(
        s.clone(),
        &settlement::msg::QueryMsg::UsageRecordsByEscrow {
            escrow_id: escrow_id.clone(),
            state: None,
            start_after: None,
            limit: None,
        },
    )?;
    let ids: Vec<u64> = records.records.iter().map(|r| r.id).collect();
    engine.chain.execute(
        &customer,
        &s,
        &settlement::msg::ExecuteMsg::AcknowledgeUsage {
            record_ids: ids.clone(),
        },
        &[],
    )?;
    engine.chain.execute(
        &provider,
        &s,
        &settlement::msg::ExecuteMsg::Settle {
            escrow_id: escrow_id.clone(),
            record_ids: None,
            finalize: false,
        },
        &[],
    )?;
    say(progress, format!("customer acknowledged {} usage record(s); provider settled (12 cpu hours x 100, less 2.5% fee)", ids.len()));

    engine.chain.execute(
        &customer,
        &m,
        &marketplace::msg::ExecuteMsg::TerminateAllocation {
            allocation_id: allocation.clone(),
            reason: Some("done".into()),
        },
        &[],
    )?;
    say(progress, "customer asked to terminate on chain".into());
    let report = relay(&mut engine, &waldur.state, options, false).await?;
    say(progress, format!("relayer: {report}"));
    finish_orders(&backend, &resource).await?;
    say(
        progress,
        "Waldur backend: resource removed, terminate order done".into(),
    );
    let report = relay(&mut engine, &waldur.state, options, false).await?;
    say(progress, format!("relayer: {report}"));

    engine.chain.execute(
        &provider,
        &s,
        &settlement::msg::ExecuteMsg::Settle {
            escrow_id,
            record_ids: None,
            finalize: true,
        },
        &[],
    )?;
    let provider_received = balance(&engine.chain, &provider)?.saturating_sub(provider_start);
    let customer_spent = customer_start.saturating_sub(balance(&engine.chain, &customer)?);
    say(progress, format!("escrow closed: provider received {provider_received}, customer paid {customer_spent} {DENOM} in all"));

    let allocation_state = {
        let res: marketplace::msg::AllocationResponse = engine.chain.app.wrap().query_wasm_smart(
            m,
            &marketplace::msg::QueryMsg::Allocation {
                allocation_id: allocation.clone(),
            },
        )?;
        res.allocation.state
    };
    let waldur_resource_state = waldur
        .state
        .resource_json(&resource)
        .and_then(|r| r.get("state").and_then(|s| s.as_str()).map(str::to_string))
        .unwrap_or_default();
    say(
        progress,
        format!("allocation {allocation_state}, Waldur resource {waldur_resource_state}"),
    );

    let hpc = hpc_job::run(
        &mut engine,
        &waldur.state,
        options,
        &provider,
        &customer,
        &mut |text| say(progress, text),
    )
    .await?;
    let (_, done, dead_callbacks) = engine.outbox.counts()?;
    let dead = dead_callbacks + engine.outbox.intent_figures()?.dead_letters;
    say(
        progress,
        format!("outbox: {done} callbacks confirmed, {dead} dead letters"),
    );
    Ok(DemoOutcome {
        allocation_id: allocation,
        allocation_state,
        waldur_resource_state,
        provider_received,
        customer_spent,
        callbacks_confirmed: done,
        dead_letters: dead,
        waldur_orders: waldur.state.order_count(),
        hpc,
    })
}
