//! `ve-relayer run` with `chain = "rpc"`, wired from a config file exactly
//! as the binary does, against the fake wasmd node and the Waldur emulator:
//! an allocation made on chain becomes one Waldur order and its callbacks
//! land on chain through signed transactions; a stop is clean.

// Shared with tests/rpc_chain.rs; this crate uses part of it.
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use ve_relayer::runtime::audit::{AuditLog, LogFormat};
use ve_relayer::runtime::config::{FileConfig, RunArgs, Secrets, Settings};
use ve_relayer::runtime::service::wiring;
use ve_relayer::runtime::telemetry::Telemetry;
use ve_types::AllocationState;

use support::run_setup::run_setup;
use support::World;

const TOKEN: &str = "rpc-service-token";

#[tokio::test(flavor = "current_thread")]
async fn run_over_rpc_provisions_an_allocation_and_stops_cleanly() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let setup = run_setup(&world, TOKEN, 0.05).await;
    let settings = Settings::resolve(
        RunArgs::default(),
        FileConfig::parse(&setup.config_text).expect("config parses"),
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
        telemetry.clone(),
        AuditLog::memory(LogFormat::Json).0,
        stopped,
    );
    let driving = async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let state = world.allocation_state(&allocation);
            // The health monitor has read the node: its height and the
            // fee account's balance.
            let s = telemetry.snapshot();
            if state == AllocationState::Provisioning
                && s.chain_probe.as_ref().is_some_and(|p| p.ok)
                && s.fee_balance.is_some()
            {
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
    assert_eq!(setup.waldur.state.order_count(), 1);
    let text = telemetry.render_prometheus();
    // The fee denom of the default gas price.
    assert!(
        text.contains(&format!(
            "ve_relayer_fee_account_balance{{denom=\"uvirt\"}} {}\n",
            support::fake_node::FEE_BALANCE
        )),
        "{text}"
    );
    assert!(text.contains("ve_relayer_chain_up 1\n"), "{text}");
    assert!(text.contains("ve_relayer_chain_height "), "{text}");
    let txs = world.with(|n| n.accepted.len());
    assert!(txs >= 1, "no transaction reached the node");
}
