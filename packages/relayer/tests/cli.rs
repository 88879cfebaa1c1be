//! The `ve-relayer` binary: `run --config` on the embedded chain serves
//! /healthz and /metrics and stops cleanly on SIGTERM, within 10 s even
//! when Waldur never answers; the environment sits between flags and the
//! file; a token in the file stops it; unsafe settings (an open admin API
//! off loopback, an empty token, secret files others can read, missing
//! files, a database that does not exist) are refused with the problem
//! named; the Waldur client's retry warnings reach stderr; `reconcile`
//! prints its findings with a meaningful exit code.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed};

const TOKEN: &str = "cli-token";
const BIN: &str = env!("CARGO_BIN_EXE_ve-relayer");

struct Setup {
    waldur: EmulatorHandle,
    customer_uuid: String,
    category_uuid: String,
    dir: tempfile::TempDir,
    config: PathBuf,
}

async fn setup(extra: &str) -> Setup {
    let waldur = Emulator::start(TOKEN).await.expect("emulator");
    let customer = waldur.state.seed_customer("Provider Org");
    let project = waldur
        .state
        .seed_project(&customer.uuid, "VirtEngine")
        .expect("project");
    let category = waldur.state.seed_category("Compute");
    let dir = tempfile::tempdir().expect("tempdir");
    ve_relayer::chain::keys::generate(&dir.path().join("signer.key")).expect("key");
    let config = dir.path().join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            r#"db = "{db}"
key_file = "{key}"
poll_interval = 0.2
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{base}"
waldur_project_uuid = "{project}"
waldur_customer_uuid = "{customer}"
waldur_offering_sync_enabled = true
{extra}
"#,
            db = dir.path().join("data/relayer.redb").display(),
            key = dir.path().join("signer.key").display(),
            base = waldur.base_url,
            project = project.uuid,
            customer = customer.uuid,
        ),
    )
    .expect("config");
    Setup {
        waldur,
        customer_uuid: customer.uuid,
        category_uuid: category.uuid,
        dir,
        config,
    }
}

fn subcommand(name: &str, config: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg(name).arg("--config").arg(config);
    cmd.env("VIRTENGINE_WALDUR_TOKEN", TOKEN)
        .env_remove("WALDUR_TOKEN")
        .env_remove("VIRTENGINE_ADMIN_TOKEN")
        .env_remove("VIRTENGINE_ADMIN_TOKEN_FILE")
        .env_remove("VIRTENGINE_ADMIN_LISTEN")
        .env_remove("RUST_LOG")
        .env_remove("VIRTENGINE_CONFIG")
        .env_remove("VIRTENGINE_POLL_INTERVAL");
    cmd
}

/// Runs the command off the async thread, so the in-process emulator
/// keeps answering meanwhile.
async fn output(mut cmd: Command) -> Output {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(cmd.output());
    });
    let deadline = Instant::now() + Duration::from_secs(9);
    loop {
        if let Ok(result) = rx.try_recv() {
            return result.expect("the binary ran");
        }
        assert!(Instant::now() < deadline, "the binary did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// stdout lines of a running child, read on a thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    read_lines(child.stdout.take().expect("piped stdout"))
}

/// stderr lines of a running child, read on a thread.
fn stderr_lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    read_lines(child.stderr.take().expect("piped stderr"))
}

fn read_lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

async fn next_line(rx: &mpsc::Receiver<String>, deadline: Instant) -> Option<String> {
    loop {
        match rx.try_recv() {
            Ok(line) => return Some(line),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        // A failed test must not leave the relayer running.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn run_serves_healthz_and_metrics_and_stops_on_sigterm() {
    let s = setup("").await;
    let mut cmd = subcommand("run", &s.config);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = Killer(cmd.spawn().expect("spawn ve-relayer run"));
    let rx = lines_of(&mut child.0);
    let deadline = Instant::now() + Duration::from_secs(8);

    let mut seen = Vec::new();
    let started = loop {
        let line = next_line(&rx, deadline).await.unwrap_or_else(|| {
            let _ = child.0.kill();
            let mut err = String::new();
            if let Some(mut e) = child.0.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("no relayer.started line; stdout {seen:#?}, stderr {err}")
        });
        let parsed: Value = serde_json::from_str(&line).expect("a JSON log line");
        seen.push(line);
        if parsed["event"] == "relayer.started" {
            break parsed;
        }
    };
    let admin = started["admin_listen"]
        .as_str()
        .expect("admin address")
        .to_string();
    let metrics = started["metrics_listen"]
        .as_str()
        .expect("metrics address")
        .to_string();

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let healthy = loop {
        let res = http.get(format!("http://{admin}/healthz")).send().await;
        if let Ok(res) = res {
            if res.status().as_u16() == 200 {
                break res.json::<Value>().await.expect("JSON");
            }
        }
        assert!(Instant::now() < deadline, "/healthz never answered 200");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(healthy["status"], "ok");
    let text = http
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("body");
    assert!(
        text.contains("# TYPE offering_sync_reconciliations_total counter"),
        "{text}"
    );
    assert!(
        text.contains("ve_relayer_steps_total{result=\"success\"}"),
        "{text}"
    );

    // SIGTERM: the relayer finishes its step, closes the database, exits 0.
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let stop_deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < stop_deadline, "did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    let mut rest = Vec::new();
    while let Some(line) = next_line(&rx, Instant::now() + Duration::from_secs(1)).await {
        rest.push(serde_json::from_str::<Value>(&line).expect("a JSON log line"));
    }
    let names: Vec<&str> = rest.iter().filter_map(|l| l["event"].as_str()).collect();
    assert!(names.contains(&"relayer.signal"), "{names:?}");
    assert_eq!(names.last(), Some(&"relayer.stopped"), "{names:?}");
    // The database is closed and reusable.
    ve_relayer::runtime::outbox::Outbox::open(&s.dir.path().join("data/relayer.redb"), 5)
        .expect("database closed");
}

#[tokio::test(flavor = "current_thread")]
async fn the_environment_sits_between_flags_and_the_file() {
    let s = setup("poll_interval = 5").await;
    // `poll_interval` twice in the file would be a TOML error: drop the
    // setup's line and keep ours.
    let text = std::fs::read_to_string(&s.config).expect("read");
    std::fs::write(&s.config, text.replace("poll_interval = 0.2\n", "")).expect("write");
    let shown = |out: Output| -> Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("settings JSON")
    };

    let mut cmd = subcommand("run", &s.config);
    cmd.arg("--check-config");
    assert_eq!(
        shown(output(cmd).await)["poll_interval"]["secs"],
        5,
        "the file"
    );

    let mut cmd = subcommand("run", &s.config);
    cmd.arg("--check-config")
        .env("VIRTENGINE_POLL_INTERVAL", "2");
    let settings = shown(output(cmd).await);
    assert_eq!(
        settings["poll_interval"]["secs"], 2,
        "the variable beats the file"
    );
    let printed = settings.to_string();
    assert!(
        !printed.contains(TOKEN),
        "the token is never printed: {printed}"
    );

    let mut cmd = subcommand("run", &s.config);
    cmd.args(["--check-config", "--poll-interval", "3"])
        .env("VIRTENGINE_POLL_INTERVAL", "2");
    assert_eq!(
        shown(output(cmd).await)["poll_interval"]["secs"],
        3,
        "the flag beats the variable"
    );

    // The guide's variable names.
    let mut cmd = subcommand("run", &s.config);
    cmd.arg("--check-config")
        .env("VIRTENGINE_WALDUR_OFFERING_SYNC_INTERVAL", "42")
        .env("VIRTENGINE_WALDUR_CUSTOMER_UUID", "from-env");
    let settings = shown(output(cmd).await);
    assert_eq!(settings["offering_sync"]["interval"]["secs"], 42);
    assert_eq!(settings["offering_sync"]["customer_uuid"], "from-env");
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_in_the_config_file_stops_the_relayer() {
    let s = setup("waldur_token = \"leaked-secret\"").await;
    let out = output(subcommand("run", &s.config)).await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waldur_token"), "{err}");
    assert!(!err.contains("leaked-secret"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn reconcile_exits_2_on_findings_and_0_without() {
    let s = setup("").await;
    let out = output({
        let mut cmd = subcommand("reconcile", &s.config);
        cmd.args(["--output", "json"]);
        cmd
    })
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(summary["drift_found"], false);

    // A Waldur offering claiming a chain offering that does not exist.
    let mut seed = OfferingSeed::new(&s.customer_uuid, &s.category_uuid);
    seed.backend_id = "ve1nobody/7".into();
    let orphan = s.waldur.state.seed_offering(seed).expect("seed");
    let out = output({
        let mut cmd = subcommand("reconcile", &s.config);
        cmd.args(["--output", "json"]);
        cmd
    })
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(summary["orphans"][0]["waldur_uuid"], orphan.uuid.as_str());
    assert_eq!(summary["orphans"][0]["ve_offering_id"], "ve1nobody/7");
    // The table form says the same.
    let out = output(subcommand("reconcile", &s.config)).await;
    assert_eq!(out.status.code(), Some(2));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("orphan") && table.contains("drift found"),
        "{table}"
    );
}

#[test]
fn the_fee_key_is_generated_private_and_its_address_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("fee.key");
    let generated = std::process::Command::new(BIN)
        .args(["keys", "generate", "--key-file"])
        .arg(&key)
        .output()
        .expect("keys generate");
    assert!(generated.status.success(), "{generated:?}");
    let shown = std::process::Command::new(BIN)
        .args(["keys", "fee-address", "--fee-key-file"])
        .arg(&key)
        .output()
        .expect("keys fee-address");
    assert!(shown.status.success(), "{shown:?}");
    let expected = ve_relayer::chain::rpc::load_fee_key(&key)
        .expect("loads")
        .public_key()
        .account_id("virtengine")
        .expect("address")
        .to_string();
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), expected);
    assert!(expected.starts_with("virtengine1"));

    // A key others can read is refused, with the fix in the message.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let refused = std::process::Command::new(BIN)
            .args(["keys", "fee-address", "--fee-key-file"])
            .arg(&key)
            .output()
            .expect("keys fee-address");
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("chmod 600"),
            "{refused:?}"
        );
    }
}

fn keys_proof(key: &Path, key_id: &str, provider: &str, chain_id: &str, contract: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["keys", "proof", "--key-file"])
        .arg(key)
        .args(["--key-id", key_id, "--provider", provider])
        .args(["--chain-id", chain_id, "--callback-contract", contract]);
    cmd
}

fn message(out: Output) -> waldur_callback::msg::ExecuteMsg {
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
    serde_json::from_str(text.trim()).expect("an execute message of waldur-callback")
}

/// `keys proof` prints the register_signer (and rotate_signer) message the
/// provider sends; the contract takes it from that provider only.
#[test]
fn keys_proof_prints_the_message_that_registers_the_key() {
    use ve_relayer::chain::embedded::EmbeddedChain;
    use ve_relayer::chain::ChainClient;

    let dir = tempfile::tempdir().expect("tempdir");
    let (key, next) = (dir.path().join("signer.key"), dir.path().join("next.key"));
    for k in [&key, &next] {
        let generated = Command::new(BIN)
            .args(["keys", "generate", "--key-file"])
            .arg(k)
            .output()
            .expect("keys generate");
        assert!(generated.status.success(), "{generated:?}");
        assert!(
            String::from_utf8_lossy(&generated.stdout).contains("keys proof"),
            "{generated:?}"
        );
    }
    let mut chain = EmbeddedChain::deploy(&["provider", "other"]).expect("chain");
    let (provider, other) = (chain.addr("provider"), chain.addr("other"));
    let (chain_id, contract) = (chain.chain_id(), chain.callback_contract());
    let cb = chain.callback.clone();

    let register = message(
        keys_proof(&key, "relayer-7", provider.as_str(), &chain_id, &contract)
            .output()
            .expect("keys proof"),
    );
    let public = ve_relayer::chain::keys::public_key(ve_relayer::chain::keys::load(&key).unwrap());
    match &register {
        waldur_callback::msg::ExecuteMsg::RegisterSigner {
            key_id,
            public_key,
            proof,
        } => {
            assert_eq!(key_id, "relayer-7");
            assert_eq!(public_key.as_slice(), public);
            assert_eq!(proof.len(), 64);
        }
        _ => panic!("not register_signer"),
    }
    // The message is the provider's: another account sending it is refused.
    let err = chain
        .execute(&other, &cb, &register, &[])
        .expect_err("another account");
    assert!(
        err.to_string().contains("invalid proof of possession"),
        "{err}"
    );
    // Made for another chain: refused too.
    let foreign = message(
        keys_proof(
            &key,
            "relayer-7",
            provider.as_str(),
            "other-chain",
            &contract,
        )
        .output()
        .expect("keys proof"),
    );
    let err = chain
        .execute(&provider, &cb, &foreign, &[])
        .expect_err("another chain");
    assert!(
        err.to_string().contains("invalid proof of possession"),
        "{err}"
    );
    chain
        .execute(&provider, &cb, &register, &[])
        .expect("the provider registers its key");

    let mut rotate = keys_proof(&next, "relayer-8", provider.as_str(), &chain_id, &contract);
    let rotate = message(
        rotate
            .args(["--rotate-from", "relayer-7"])
            .output()
            .expect("keys proof --rotate-from"),
    );
    assert!(
        matches!(&rotate, waldur_callback::msg::ExecuteMsg::RotateSigner { old_key_id, new_key_id, .. }
            if old_key_id == "relayer-7" && new_key_id == "relayer-8"),
        "{rotate:?}"
    );
    chain
        .execute(&provider, &cb, &rotate, &[])
        .expect("the provider rotates to the next key");

    // Without the provider, chain id or contract there is no proof to print.
    let missing = Command::new(BIN)
        .args(["keys", "proof", "--key-file"])
        .arg(&key)
        .env_remove("VIRTENGINE_PROVIDER")
        .output()
        .expect("keys proof");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("--provider"),
        "{missing:?}"
    );
}

/// The failure of a command that must be refused: its stderr.
fn refused(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "accepted; stdout {}, stderr {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

fn accepted(out: &Output) {
    assert!(
        out.status.success(),
        "refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[tokio::test(flavor = "current_thread")]
async fn an_open_admin_api_off_loopback_and_empty_tokens_are_refused() {
    let s = setup("").await;
    let check = |configure: &dyn Fn(&mut Command)| {
        let mut cmd = subcommand("run", &s.config);
        cmd.arg("--check-config");
        configure(&mut cmd);
        output(cmd)
    };
    let err = refused(
        &check(&|cmd| {
            cmd.args(["--admin-listen", "0.0.0.0:0"]);
        })
        .await,
    );
    assert!(err.contains("0.0.0.0:0"), "names the address: {err}");
    assert!(err.contains("VIRTENGINE_ADMIN_TOKEN"), "says how: {err}");
    // Without a flag, from the variable too.
    let err = refused(
        &check(&|cmd| {
            cmd.env("VIRTENGINE_ADMIN_LISTEN", "0.0.0.0:0");
        })
        .await,
    );
    assert!(err.contains("admin_listen"), "{err}");
    accepted(
        &check(&|cmd| {
            cmd.args(["--admin-listen", "0.0.0.0:0"])
                .env("VIRTENGINE_ADMIN_TOKEN", "adm1n");
        })
        .await,
    );
    for blank in ["", " "] {
        let err = refused(
            &check(&|cmd| {
                cmd.env("VIRTENGINE_ADMIN_TOKEN", blank);
            })
            .await,
        );
        assert!(
            err.contains("VIRTENGINE_ADMIN_TOKEN is set but empty"),
            "{err}"
        );
        let err = refused(
            &check(&|cmd| {
                cmd.env("VIRTENGINE_WALDUR_TOKEN", blank);
            })
            .await,
        );
        assert!(err.contains("VIRTENGINE_WALDUR_TOKEN"), "{err}");
    }
    // Not only the check: `run` itself stops before serving anything.
    let mut cmd = subcommand("run", &s.config);
    cmd.args(["--admin-listen", "0.0.0.0:0"]);
    let err = refused(&output(cmd).await);
    assert!(err.contains("0.0.0.0:0"), "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "current_thread")]
async fn secret_files_others_can_read_are_refused_naming_file_mode_and_fix() {
    let s = setup("").await;
    let key = s.dir.path().join("signer.key");
    let admin_token = s.dir.path().join("admin-token");
    std::fs::write(&admin_token, "adm1n\n").expect("write");
    set_mode(&admin_token, 0o600);
    let check = || {
        let mut cmd = subcommand("run", &s.config);
        cmd.arg("--check-config")
            .env("VIRTENGINE_ADMIN_TOKEN_FILE", &admin_token);
        output(cmd)
    };
    accepted(&check().await);
    for (file, mode) in [(&key, 0o644), (&key, 0o640), (&admin_token, 0o644)] {
        set_mode(file, mode);
        let err = refused(&check().await);
        for part in [
            file.display().to_string(),
            format!("{mode:04o}"),
            "chmod 600".into(),
        ] {
            assert!(err.contains(&part), "{part:?} missing: {err}");
        }
        set_mode(file, 0o600);
    }
    // The fee key of the rpc chain, the same way (`keys fee-address` too,
    // see the_fee_key_is_generated_private_and_its_address_printed).
    let fee_key = s.dir.path().join("fee.key");
    ve_relayer::chain::keys::generate(&fee_key).expect("fee key");
    set_mode(&fee_key, 0o644);
    let mut cmd = rpc_check(&s, &fee_key);
    cmd.env("VIRTENGINE_ADMIN_TOKEN_FILE", &admin_token);
    let err = refused(&output(cmd).await);
    assert!(
        err.contains(&fee_key.display().to_string())
            && err.contains("0644")
            && err.contains("chmod 600"),
        "{err}"
    );
}

/// `run --check-config` with `chain = "rpc"` and `fee_key` as the fee key.
fn rpc_check(s: &Setup, fee_key: &Path) -> Command {
    let text = std::fs::read_to_string(&s.config).expect("read");
    let config = s.dir.path().join("rpc.toml");
    std::fs::write(
        &config,
        format!(
            "chain = \"rpc\"\nnode = \"http://127.0.0.1:9\"\nchain_id = \"virtengine-1\"\n\
             callback_contract = \"ve1cb\"\nprovider = \"ve1provider\"\n{text}\n\
             [rpc]\nfee_key_file = {:?}\n[rpc.contracts]\nmarketplace = \"ve1market\"\n",
            fee_key.display().to_string()
        ),
    )
    .expect("write");
    let mut cmd = subcommand("run", &config);
    cmd.arg("--check-config");
    cmd
}

#[tokio::test(flavor = "current_thread")]
async fn check_config_fails_naming_a_file_that_is_missing() {
    let s = setup("").await;
    let missing_key = s.dir.path().join("no-such.key");
    let mut cmd = subcommand("run", &s.config);
    cmd.arg("--check-config")
        .arg("--key-file")
        .arg(&missing_key);
    let err = refused(&output(cmd).await);
    assert!(err.contains("key_file"), "{err}");
    assert!(err.contains(&missing_key.display().to_string()), "{err}");

    let missing_fee_key = s.dir.path().join("no-such-fee.key");
    let err = refused(&output(rpc_check(&s, &missing_fee_key)).await);
    assert!(err.contains("fee_key_file"), "{err}");
    assert!(
        err.contains(&missing_fee_key.display().to_string()),
        "{err}"
    );

    for (variable, name) in [
        ("VIRTENGINE_ADMIN_TOKEN_FILE", "no-such-admin-token"),
        ("VIRTENGINE_WALDUR_TOKEN_FILE", "no-such-waldur-token"),
        ("VIRTENGINE_WALDUR_OFFERING_MAP", "no-such-map.json"),
    ] {
        let missing = s.dir.path().join(name);
        let mut cmd = subcommand("run", &s.config);
        cmd.arg("--check-config").env(variable, &missing);
        let err = refused(&output(cmd).await);
        assert!(err.contains(&missing.display().to_string()), "{err}");
    }
}

#[test]
fn commands_that_read_the_database_refuse_one_that_does_not_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let typo = dir.path().join("relayr.redb");
    let key = dir.path().join("signer.key");
    ve_relayer::chain::keys::generate(&key).expect("key");
    let key = key.display().to_string();
    let commands: [&[&str]; 3] = [
        &["status"],
        &["dead-letter", "list"],
        &[
            "dead-letter",
            "reprocess",
            "--all",
            "--key-file",
            &key,
            "--provider",
            "ve1provider",
            "--chain-id",
            "virtengine-1",
            "--callback-contract",
            "ve1cb",
        ],
    ];
    for args in commands {
        let out = Command::new(BIN)
            .args(args)
            .arg("--db")
            .arg(&typo)
            .env_remove("VIRTENGINE_DB")
            .output()
            .expect("ran");
        let err = refused(&out);
        assert!(err.contains("does not exist"), "{args:?}: {err}");
        assert!(err.contains(&typo.display().to_string()), "{args:?}: {err}");
        assert!(!typo.exists(), "{args:?} created {}", typo.display());
    }
}

/// A relayer folder (key, config) whose Waldur is `waldur_base_url`, with
/// the offering sync on: its reconcile at start lists the customer's
/// offerings in Waldur.
fn config_against(waldur_base_url: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    ve_relayer::chain::keys::generate(&dir.path().join("signer.key")).expect("key");
    let config = dir.path().join("relayer.toml");
    std::fs::write(
        &config,
        format!(
            r#"db = "{db}"
key_file = "{key}"
poll_interval = 0.2
metrics_listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
waldur_base_url = "{waldur_base_url}"
waldur_project_uuid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
waldur_customer_uuid = "1f1e2d3c4b5a69788796a5b4c3d2e1f0"
waldur_offering_sync_enabled = true
"#,
            db = dir.path().join("relayer.redb").display(),
            key = dir.path().join("signer.key").display(),
        ),
    )
    .expect("config");
    (dir, config)
}

/// A Waldur that accepts connections and never answers; the count of
/// connections it holds.
async fn silent_waldur() -> (String, tokio::sync::watch::Receiver<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (count_tx, count_rx) = tokio::sync::watch::channel(0);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
            count_tx.send_replace(held.len());
        }
    });
    (format!("http://{address}/api/"), count_rx)
}

/// A Waldur that answers every request 503 and closes the connection, so
/// each connection is one attempt of the client; the count of requests.
async fn unavailable_waldur() -> (String, tokio::sync::watch::Receiver<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (count_tx, count_rx) = tokio::sync::watch::channel(0);
    tokio::spawn(async move {
        while let Ok((mut connection, _)) = listener.accept().await {
            // The request head (a GET has no body), then the answer.
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match connection.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = connection
                .write_all(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            count_tx.send_modify(|n| *n += 1);
        }
    });
    (format!("http://{address}/api/"), count_rx)
}

/// Waits until `count` reaches `at_least`, or fails after `within`.
async fn wait_for_count(
    count: &mut tokio::sync::watch::Receiver<usize>,
    at_least: usize,
    within: Duration,
    what: &str,
) {
    let reached = tokio::time::timeout(within, count.wait_for(|n| *n >= at_least)).await;
    assert!(
        matches!(reached, Ok(Ok(_))),
        "{what}: fewer than {at_least} within {within:?}"
    );
}

fn terminate(child: &Child) {
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
}

/// The stated contract: SIGTERM ends `run` within 10 s whatever Waldur
/// does; what was cut short is logged, and nothing is lost (the same
/// database opens again).
#[tokio::test(flavor = "current_thread")]
async fn sigterm_ends_run_within_10_s_while_waldur_never_answers() {
    const STOP_CONTRACT: Duration = Duration::from_secs(10);
    let (waldur, mut connections) = silent_waldur().await;
    let (dir, config) = config_against(&waldur);
    let mut cmd = subcommand("run", &config);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = Killer(cmd.spawn().expect("spawn ve-relayer run"));
    let stdout = lines_of(&mut child.0);
    let _stderr = stderr_lines_of(&mut child.0);
    // A Waldur request is in flight once the silent Waldur holds one.
    wait_for_count(
        &mut connections,
        1,
        Duration::from_secs(15),
        "the relayer's Waldur requests",
    )
    .await;

    terminate(&child.0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            signalled.elapsed() < STOP_CONTRACT,
            "still running {STOP_CONTRACT:?} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = signalled.elapsed();
    assert!(took < STOP_CONTRACT, "stopped after {took:?}");
    assert!(
        status.success(),
        "an orderly stop, not the watchdog: {status:?}"
    );

    let mut events = Vec::new();
    while let Some(line) = next_line(&stdout, Instant::now() + Duration::from_secs(2)).await {
        events.push(serde_json::from_str::<Value>(&line).expect("a JSON log line"));
    }
    let cut = events
        .iter()
        .find(|e| e["event"] == "relayer.cut_short")
        .unwrap_or_else(|| panic!("no relayer.cut_short line: {events:#?}"));
    assert!(cut["work"].is_string(), "{cut}");
    let stopped = events.last().expect("log lines");
    assert_eq!(stopped["event"], "relayer.stopped", "{events:#?}");
    assert_eq!(stopped["cut_short"][0], cut["work"], "{stopped}");
    ve_relayer::runtime::outbox::Outbox::open(&dir.path().join("relayer.redb"), 5)
        .expect("the database is closed and opens again");
}

fn spawn_with_stderr(config: &Path, rust_log: Option<&str>) -> (Killer, mpsc::Receiver<String>) {
    let mut cmd = subcommand("run", config);
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = Killer(cmd.spawn().expect("spawn ve-relayer run"));
    let stderr = stderr_lines_of(&mut child.0);
    (child, stderr)
}

const RETRY_WARNING: &str = "transient Waldur failure, retrying";

#[tokio::test(flavor = "current_thread")]
async fn the_waldur_clients_retry_warnings_reach_stderr() {
    let (waldur, _requests) = unavailable_waldur().await;
    let (_dir, config) = config_against(&waldur);
    let (_child, stderr) = spawn_with_stderr(&config, None);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    let warning = loop {
        match next_line(&stderr, deadline).await {
            Some(line) if line.contains(RETRY_WARNING) => break line,
            Some(line) => seen.push(line),
            None => panic!("no retry warning on stderr: {seen:#?}"),
        }
    };
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("503"), "says why: {warning}");
}

/// RUST_LOG filters that log: at `error`, the warnings are left out.
#[tokio::test(flavor = "current_thread")]
async fn rust_log_filters_the_diagnostic_log() {
    let (waldur, mut requests) = unavailable_waldur().await;
    let (_dir, config) = config_against(&waldur);
    let (mut child, stderr) = spawn_with_stderr(&config, Some("error"));
    // A second request is a retry: the client logged its warning first.
    wait_for_count(&mut requests, 2, Duration::from_secs(15), "Waldur requests").await;
    let _ = child.0.kill();
    let _ = child.0.wait();
    let mut logged = Vec::new();
    while let Some(line) = next_line(&stderr, Instant::now() + Duration::from_secs(2)).await {
        logged.push(line);
    }
    assert!(
        !logged.iter().any(|l| l.contains(RETRY_WARNING)),
        "{logged:#?}"
    );
}
