//! The `ve-relayer` binary killed with SIGKILL again and again while it
//! provisions an allocation (chain = rpc against the fake wasmd node, the
//! Waldur emulator), then left to finish: one Waldur order, every state
//! change on chain exactly once, nothing dead-lettered.

// Shared with tests/rpc_chain.rs; this crate uses part of it.
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ve_relayer::chain::ChainClient;
use ve_relayer::runtime::outbox::{EntryState, Outbox};
use ve_types::AllocationState;
use waldur_emulator::ResourceState;

use support::run_setup::run_setup;
use support::World;

const TOKEN: &str = "kill9-token";
const BIN: &str = env!("CARGO_BIN_EXE_ve-relayer");

/// A running relayer; SIGKILLed when dropped (std's `kill` is SIGKILL).
struct Relayer(Child);

impl Relayer {
    fn start(config: &Path) -> Relayer {
        let child = Command::new(BIN)
            .arg("run")
            .arg("--config")
            .arg(config)
            .env("VIRTENGINE_WALDUR_TOKEN", TOKEN)
            .env_remove("WALDUR_TOKEN")
            .env_remove("VIRTENGINE_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("relayer starts");
        Relayer(child)
    }
}

/// A relayer whose log (stdout) is read, to know when it runs its loop.
struct Watched {
    relayer: Relayer,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Watched {
    fn start(config: &Path) -> Watched {
        let child = Command::new(BIN)
            .arg("run")
            .arg("--config")
            .arg(config)
            .env("VIRTENGINE_WALDUR_TOKEN", TOKEN)
            .env_remove("WALDUR_TOKEN")
            .env_remove("VIRTENGINE_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("relayer starts");
        let mut relayer = Relayer(child);
        let stdout = relayer.0.stdout.take().expect("piped stdout");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watched { relayer, lines }
    }

    /// Waits for a log line containing `text`, letting the test's runtime
    /// (which serves the Waldur emulator) go on meanwhile.
    async fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            match self.lines.try_recv() {
                Ok(line) if line.contains(text) => return,
                Ok(_) => continue,
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(e) => panic!("no `{text}` in the relayer's log: {e}"),
            }
            assert!(
                Instant::now() < deadline,
                "no `{text}` in the relayer's log"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops it as an operator does (SIGTERM, once its loop runs) and waits
    /// for it to exit: a graceful stop sends what its outbox still holds,
    /// so what the test then reads does not depend on when a pass was cut.
    async fn stop(mut self) {
        self.wait_for_log("relayer.loop_started").await;
        let pid = self.relayer.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM to {pid}");
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(status) = self.relayer.0.try_wait().expect("relayer status") {
                break status;
            }
            assert!(Instant::now() < deadline, "the relayer did not stop");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(status.success(), "graceful stop: {status}");
    }
}

impl Drop for Relayer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sigkill_at_any_moment_loses_and_doubles_nothing() {
    let world = World::new();
    world.register_key();
    let allocation = world.allocation();
    let setup = run_setup(&world, TOKEN, 0.02).await;
    let (waldur, config, db) = (&setup.waldur, &setup.config, &setup.db);

    // The Waldur backend: a resource whose Create order the relayer
    // approved gets provisioned.
    let backend = |waldur: &waldur_emulator::EmulatorHandle| {
        for order in waldur.state.orders_json() {
            let approved = order["type"] == "Create" && order["state"] == "executing";
            if let (true, Some(uuid)) = (approved, order["marketplace_resource_uuid"].as_str()) {
                waldur.state.set_resource_state(uuid, ResourceState::Ok);
            }
        }
    };

    // Killed after a spread of lifetimes: before, during and after the
    // Waldur order, the signed transactions and the checkpoint writes.
    for millis in [5u64, 40, 90, 150, 220, 300, 420, 600] {
        let relayer = Relayer::start(config);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        drop(relayer);
        if millis >= 300 {
            backend(waldur);
        }
    }

    // Then it runs undisturbed until the allocation is active.
    let relayer = Watched::start(config);
    // Generous: the assertion is the outcome, not the speed (CI machines are
    // shared).
    let deadline = Instant::now() + Duration::from_secs(90);
    while world.allocation_state(&allocation) != AllocationState::Active {
        backend(waldur);
        assert!(
            Instant::now() < deadline,
            "allocation still {:?}",
            world.allocation_state(&allocation)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The allocation can be active on chain before the relayer has read
    // the answer to the transaction that made it so.
    relayer.stop().await;

    assert_eq!(waldur.state.order_count(), 1, "one Waldur order");
    assert_eq!(waldur.state.resource_count(), 1, "one Waldur resource");

    // Every state the allocation went through was reached once.
    let client = world.client().await;
    let latest = client.latest_height().await.expect("height");
    let events = client
        .events(world.deployed_at, latest)
        .await
        .expect("events");
    let mut reached: BTreeMap<String, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| {
        e.kind == "allocation_state_changed"
            && e.attributes.get("allocation_id") == Some(&allocation)
    }) {
        *reached.entry(e.attributes["state"].clone()).or_default() += 1;
    }
    assert_eq!(
        reached,
        BTreeMap::from([
            ("accepted".to_string(), 1),
            ("active".to_string(), 1),
            ("provisioning".to_string(), 1),
        ]),
        "{events:#?}"
    );

    // Nothing was given up on.
    let outbox = Outbox::open(db, 5).expect("outbox");
    assert!(outbox
        .in_state(EntryState::DeadLetter, 10)
        .expect("dead letters")
        .is_empty());
    assert_eq!(outbox.counts().expect("counts").0, 0, "nothing pending");
}
