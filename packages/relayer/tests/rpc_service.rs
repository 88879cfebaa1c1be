//! `ve-relayer run` with `chain = "rpc"`, wired from a config file exactly
//! as the binary does, against the fake wasmd node and the Waldur emulator:
//! an allocation made on chain becomes one Waldur order and its callbacks
//! land on chain through signed transactions; a stop is clean.

// Shared with tests/rpc_chain.rs; this crate uses part of it.
#[allow(dead_code)]
mod support;

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use ve_relayer::audit::{AuditLog, LogFormat};
use ve_relayer::config::{FileConfig, RunArgs, Secrets, Settings};
use ve_relayer::service::wiring;
use ve_relayer::telemetry::Telemetry;
use ve_types::AllocationState;
use waldur_emulator::{Emulator, OfferingSeed};

use support::{World, FEE_SECRET, SIGNER_SEED};

const TOKEN: &str = "rpc-service-token";

/// A key file as `keys generate` writes it: hex, owner-only.
fn write_private(path: &Path, secret: &[u8; 32]) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).expect("key file");
    file.write_all(hex::encode(secret).as_bytes())
        .expect("write key");
}

#[tokio::test(flavor = "current_thread")]
async fn run_over_rpc_provisions_an_allocation_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let offering_id = format!("{}/1", world.provider);

    let waldur = Emulator::start(TOKEN).await.expect("emulator");
    let org = waldur.state.seed_customer("Provider Org");
    let project = waldur.state.seed_project(&org.uuid, "P").expect("project");
    let category = waldur.state.seed_category("Compute");
    let waldur_offering = waldur
        .state
        .seed_offering(OfferingSeed::new(&org.uuid, &category.uuid))
        .expect("offering");

    let (signer_key, fee_key) = (dir.path().join("signer.key"), dir.path().join("fee.key"));
    write_private(&signer_key, &SIGNER_SEED);
    write_private(&fee_key, &FEE_SECRET);
    let offering_map = dir.path().join("offerings.json");
    std::fs::write(
        &offering_map,
        serde_json::json!({ offering_id.clone(): waldur_offering.uuid }).to_string(),
    )
    .expect("offering map");
    let text = format!(
        r#"
db = "{db}"
key_file = "{signer_key}"
key_id = "relayer-1"
provider = "{provider}"
chain = "rpc"
node = "{node}"
chain_id = "{chain_id}"
callback_contract = "{callback}"
poll_interval = 0.05
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{waldur}"
waldur_project_uuid = "{project}"
waldur_offering_map = "{offering_map}"

[rpc]
fee_key_file = "{fee_key}"
start_height = {start}
tx_poll_interval_ms = 5
request_timeout_ms = 2000
tx_inclusion_timeout_ms = 2000

[rpc.contracts]
marketplace = "{marketplace}"
"#,
        db = dir.path().join("relayer.redb").display(),
        signer_key = signer_key.display(),
        provider = world.provider,
        node = world.node.url,
        chain_id = world.chain_id,
        callback = world.callback,
        waldur = waldur.base_url,
        project = project.uuid,
        offering_map = offering_map.display(),
        fee_key = fee_key.display(),
        start = world.deployed_at,
        marketplace = world.marketplace,
    );
    let settings = Settings::resolve(
        RunArgs::default(),
        FileConfig::parse(&text).expect("config parses"),
        Secrets {
            waldur_token: Some(TOKEN.into()),
            admin_token: None,
        },
    )
    .expect("settings");
    let telemetry = Arc::new(Telemetry::new(settings.poll_interval, 3));
    let (stop, stopped) = watch::channel(false);

    let serving = wiring::connect_and_serve(
        &settings,
        telemetry,
        AuditLog::memory(LogFormat::Json).0,
        stopped,
    );
    let driving = async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let state = world.allocation_state(&allocation);
            if state == AllocationState::Provisioning {
                break;
            }
            assert!(Instant::now() < deadline, "allocation still {state:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).expect("service listens for the stop");
    };
    let (served, ()) = tokio::join!(serving, driving);
    served.expect("run stops cleanly");

    // One Waldur order, bound to the allocation; the callbacks went out as
    // signed transactions of the fee account.
    assert_eq!(waldur.state.order_count(), 1);
    let txs = world.with(|n| n.accepted.len());
    assert!(txs >= 1, "no transaction reached the node");
}
