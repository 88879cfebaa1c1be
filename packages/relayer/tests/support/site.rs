//! The relayer's test site, shared by the engine-level tests: a seeded
//! Waldur emulator, the embedded chain with the relayer's key registered,
//! a chain offering, and the relay engine between them. Included on its
//! own (`#[path = "support/site.rs"]`) by tests that do not need the fake
//! RPC node of `support/mod.rs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cosmwasm_std::{Addr, Uint128};
use ve_relayer::chain::embedded::{EmbeddedChain, DENOM};
use ve_relayer::chain::signer::Signer;
use ve_relayer::chain::ChainClient;
use ve_relayer::flows::engine::Engine;
use ve_relayer::runtime::outbox::Outbox;
use ve_relayer::waldur_side::adapter::WaldurAdapter;
use ve_testing::OrderFlow;
use waldur::{Config, WaldurClient};
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed, Seeded};

/// A Waldur client whose retries wait 5-20 ms, so retried calls end
/// quickly.
pub fn quick_client(base: &str, token: &str) -> WaldurClient {
    let mut c = Config::new(base.to_string(), token);
    c.retry_wait_min = Duration::from_millis(5);
    c.retry_wait_max = Duration::from_millis(20);
    WaldurClient::new(c).expect("client")
}

/// A Waldur client for the fault tests: gives up on an answer after
/// 500 ms and retries three times, 2-10 ms apart.
pub fn impatient_client(base: &str, token: &str) -> WaldurClient {
    let mut c = Config::new(base.to_string(), token);
    c.timeout = Duration::from_millis(500);
    c.retry_wait_min = Duration::from_millis(2);
    c.retry_wait_max = Duration::from_millis(10);
    c.max_retries = 3;
    WaldurClient::new(c).expect("client")
}

/// A Waldur emulator with a provider organisation, its project, a
/// category and one offering of it.
pub struct SeededWaldur {
    pub waldur: EmulatorHandle,
    pub org: Seeded,
    pub project: Seeded,
    pub category: Seeded,
    pub offering: Seeded,
}

pub async fn seeded_waldur(token: &str, org_name: &str, category_title: &str) -> SeededWaldur {
    let waldur = Emulator::start(token).await.expect("emulator");
    let org = waldur.state.seed_customer(org_name);
    let project = waldur.state.seed_project(&org.uuid, "P").expect("project");
    let category = waldur.state.seed_category(category_title);
    let offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .expect("offering");
    SeededWaldur {
        waldur,
        org,
        project,
        category,
        offering,
    }
}

/// The relayer's signer for the chain's `provider` account.
pub fn relayer_signer(chain: &EmbeddedChain, seed: [u8; 32], key_id: &str) -> Signer {
    Signer::new(
        seed,
        key_id,
        chain.addr("provider").as_str(),
        chain.chain_id(),
        chain.callback_contract(),
    )
}

/// The embedded chain with a `provider` and a `customer`, and the
/// relayer's key registered for the provider (with its proof).
pub fn chain_with_relayer_key(seed: [u8; 32], key_id: &str) -> (EmbeddedChain, Signer) {
    let mut chain = EmbeddedChain::deploy(&["provider", "customer"]).expect("chain deployed");
    let signer = relayer_signer(&chain, seed, key_id);
    let (provider, callback) = (chain.addr("provider"), chain.callback.clone());
    chain
        .execute(
            &provider,
            &callback,
            &signer.register_message().expect("proof"),
            &[],
        )
        .expect("key registered");
    (chain, signer)
}

/// The provider's chain offering with a base price of 1,000 and the
/// given usage rates; its id.
pub fn create_offering(
    chain: &mut EmbeddedChain,
    provider: &Addr,
    name: &str,
    category: ve_types::Category,
    model: ve_types::PricingModel,
    rates: Vec<ve_types::PriceComponent>,
) -> String {
    chain
        .create_offering(
            provider,
            ve_types::OfferingFields::new(
                name,
                "",
                category,
                ve_types::Pricing::new(model, DENOM, Uint128::new(1_000), rates),
            ),
        )
        .expect("offering")
}

/// The relay engine on `chain` with its outbox in `db`, driving Waldur
/// through `client` in the project `project_url`, for the chain offerings
/// mapped to Waldur offering links in `offerings`.
pub fn relay_engine(
    chain: EmbeddedChain,
    signer: Signer,
    client: WaldurClient,
    project_url: String,
    offerings: BTreeMap<String, String>,
    db: &Path,
    max_retries: u32,
) -> Engine<EmbeddedChain, WaldurAdapter> {
    let outbox = Arc::new(Outbox::open(db, max_retries).expect("db"));
    let adapter =
        WaldurAdapter::new(client, project_url, offerings, outbox.clone()).expect("adapter");
    Engine {
        chain,
        waldur: adapter,
        signer,
        outbox,
    }
}
