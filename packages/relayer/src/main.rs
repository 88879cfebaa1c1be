//! `ve-relayer`: the operator's command line. Every flag can also be given
//! as a `VIRTENGINE_*` environment variable; `run` and `reconcile` also
//! read a TOML config file (see `ve_relayer::runtime::config`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cosmwasm_std::Binary;
use ve_relayer::chain::keys;
use ve_relayer::chain::signer::Signer;
use ve_relayer::flows::dead_letters;
use ve_relayer::runtime::audit::AuditLog;
use ve_relayer::runtime::config::{RunArgs, Secrets, Settings};
use ve_relayer::runtime::outbox::{Outbox, CHECKPOINT};
use ve_relayer::runtime::service::summary::{ReprocessTarget, Reprocessed};
use ve_relayer::runtime::service::wiring;
use ve_relayer::runtime::telemetry::Telemetry;

#[derive(Parser)]
#[command(
    name = "ve-relayer",
    version,
    about = "VirtEngine relayer: chain <-> Waldur"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Store {
    /// The relayer's database (outbox, checkpoint).
    #[arg(long, env = "VIRTENGINE_DB", default_value = "data/relayer.redb")]
    db: PathBuf,
    /// Failed attempts before a callback goes to the dead letters.
    #[arg(long, env = "VIRTENGINE_MAX_RETRIES", default_value_t = 5)]
    max_retries: u32,
}

#[derive(Args)]
struct Identity {
    /// The provider's signing key (hex seed, mode 0600).
    #[arg(long, env = "VIRTENGINE_KEY_FILE", default_value = "data/signer.key")]
    key_file: PathBuf,
    /// The key's id in the waldur-callback contract's registry.
    #[arg(long, env = "VIRTENGINE_KEY_ID", default_value = "relayer-1")]
    key_id: String,
    /// The provider's address.
    #[arg(long, env = "VIRTENGINE_PROVIDER")]
    provider: String,
    #[arg(long, env = "VIRTENGINE_CHAIN_ID")]
    chain_id: String,
    /// The waldur-callback contract's address.
    #[arg(long, env = "VIRTENGINE_CALLBACK_CONTRACT")]
    callback_contract: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the relayer until SIGINT/SIGTERM: relay steps, offering sync and
    /// reconcile, offering ingest, /metrics, /healthz and the admin API.
    Run {
        #[command(flatten)]
        args: RunArgs,
        /// Print the resolved settings (secrets left out) and exit; non-zero
        /// if they are invalid.
        #[arg(long)]
        check_config: bool,
    },
    /// One offering reconcile pass (chain vs Waldur), printed. Exit code 0:
    /// no drift; 2: drift, missing offerings, orphans or duplicates found
    /// (drifted offerings were resynced); 1: the pass failed. Needs the
    /// database to itself: on a running relayer use
    /// `POST /admin/offering-sync/reconcile`.
    Reconcile {
        #[command(flatten)]
        args: RunArgs,
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
    /// The signing key: generate one, or show the public half.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Outbox counts and the chain checkpoint.
    Status(Store),
    /// The embedded default: contracts in process, a Waldur emulator and
    /// the relayer, one allocation from offering to settlement, printed
    /// step by step. Only in builds with the `demo` feature.
    #[cfg(feature = "demo")]
    Demo {
        /// Where the relayer's database goes (a fresh folder by default).
        #[arg(long, env = "VIRTENGINE_DEMO_DIR")]
        dir: Option<PathBuf>,
    },
    /// Callbacks (and offering syncs) that failed too often.
    DeadLetter {
        #[command(subcommand)]
        action: DeadLetterAction,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Writes a new random key (refuses to overwrite one).
    Generate {
        #[arg(long, env = "VIRTENGINE_KEY_FILE", default_value = "data/signer.key")]
        key_file: PathBuf,
    },
    /// Prints the public key (`keys proof` prints the message that
    /// registers it).
    Show {
        #[arg(long, env = "VIRTENGINE_KEY_FILE", default_value = "data/signer.key")]
        key_file: PathBuf,
    },
    /// Prints, as one line of JSON, the `register_signer` message (or with
    /// --rotate-from, `rotate_signer`) that the provider account sends to
    /// the waldur-callback contract: the public key and its proof of
    /// possession, a signature by the key that binds the chain id, the
    /// contract, the provider and the key id (valid for nothing else).
    Proof {
        #[command(flatten)]
        identity: Identity,
        /// Rotate: the provider's active key that this one replaces.
        #[arg(long)]
        rotate_from: Option<String>,
    },
    /// Prints the chain address of the fee key (`[rpc] fee_key_file`, made
    /// with `keys generate`): the account to fund for gas.
    FeeAddress {
        #[arg(long, default_value = "data/fee.key")]
        fee_key_file: PathBuf,
        #[arg(long, default_value = "virtengine")]
        prefix: String,
    },
}

#[derive(Subcommand)]
enum DeadLetterAction {
    List(Store),
    /// Re-signs callbacks (fresh nonce and validity) and queues them
    /// again; puts dead offering syncs back in the sync queue.
    Reprocess {
        /// The callback or offering id; or --all.
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        store: Store,
        #[command(flatten)]
        identity: Identity,
    },
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Opens the database of a stopped relayer for the commands that read it
/// (and reprocess, which only changes what is there). A path that does
/// not exist is a typo or the wrong folder: refused, never created empty.
fn open(store: &Store) -> anyhow::Result<Outbox> {
    let shown = store.db.display();
    match std::fs::metadata(&store.db) {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => bail!("database {shown} is not a file"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "database {shown} does not exist; give the relayer's database with --db \
                 or VIRTENGINE_DB (nothing was created)"
            )
        }
        Err(e) => bail!("database {shown}: {e}"),
    }
    Outbox::open(&store.db, store.max_retries).map_err(|e| anyhow!("database {shown}: {e}"))
}

const REGISTER_HINT: &str = "register it from the provider account with the message that \
`ve-relayer keys proof --provider <address> --chain-id <id> --callback-contract <address> \
[--key-file …] [--key-id …]` prints (it carries the key's proof of possession)";

/// The message that registers (or rotates to) the key of `identity`, as
/// one line of JSON.
fn key_message(identity: &Identity, rotate_from: Option<&str>) -> anyhow::Result<String> {
    let seed = keys::load(&identity.key_file)?;
    let signer = Signer::new(
        seed,
        identity.key_id.clone(),
        identity.provider.clone(),
        identity.chain_id.clone(),
        identity.callback_contract.clone(),
    );
    let msg = match rotate_from {
        Some(old) => signer.rotate_message(old),
        None => signer.register_message(),
    }?;
    Ok(serde_json::to_string(&msg)?)
}

fn audit_log(
    settings: &Settings,
    fallback: Box<dyn std::io::Write + Send>,
) -> anyhow::Result<AuditLog> {
    match &settings.log_file {
        Some(path) => AuditLog::file(settings.log_format, path)
            .map_err(|e| anyhow!("config `log_file`: {}: {e}", path.display())),
        None => Ok(AuditLog::new(settings.log_format, fallback)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Resolves when the process gets SIGINT or SIGTERM.
async fn stop_signal() -> anyhow::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => Ok(r.map(|()| "SIGINT")?),
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::signal::ctrl_c().await.map(|()| "ctrl-c")?)
    }
}

/// The last resort after a stop signal: the loop abandons stuck work
/// after its grace period and bounds the final flush, so this only fires
/// if something blocks the thread itself (a stalled disk). Under the
/// 10 s an operator or systemd waits before SIGKILL.
const STOP_WATCHDOG: Duration = Duration::from_millis(9_500);

/// Exits the process if it is still running `STOP_WATCHDOG` from now.
fn start_stop_watchdog(audit: AuditLog) {
    let started = std::thread::Builder::new()
        .name("stop-watchdog".into())
        .spawn(move || {
            std::thread::sleep(STOP_WATCHDOG);
            audit.error(
                "relayer.cut_short",
                serde_json::json!({
                    "work": "everything still running",
                    "why": format!("not stopped {} s after the signal", STOP_WATCHDOG.as_secs_f64()),
                    "effect": "exiting now; the outbox is durable, unsent callbacks go out after a restart",
                }),
            );
            std::process::exit(1);
        });
    if let Err(e) = started {
        eprintln!("ve-relayer: cannot start the stop watchdog: {e}");
    }
}

fn run_service(args: RunArgs, check_config: bool) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args, Secrets::from_env())?;
    if check_config {
        // Every file the settings name is opened and read, so a missing,
        // unreadable or exposed key fails the check and not the start.
        settings.check_files()?;
        let shown = serde_json::to_string_pretty(&settings)?;
        println!("{shown}");
        return Ok(ExitCode::SUCCESS);
    }
    let audit = audit_log(&settings, Box::new(std::io::stdout()))?;
    let telemetry = Arc::new(Telemetry::new(
        settings.poll_interval,
        settings.health_intervals,
    ));
    runtime()?.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let signal_log = audit.clone();
        tokio::spawn(async move {
            match stop_signal().await {
                Ok(name) => signal_log.info(
                    "relayer.signal",
                    serde_json::json!({ "signal": name, "action": "finishing the current step (abandoned after a grace period), then stopping" }),
                ),
                Err(e) => signal_log.error(
                    "relayer.signal",
                    serde_json::json!({ "error": format!("cannot watch for signals, stopping: {e}") }),
                ),
            }
            let _ = stop.send(true);
            start_stop_watchdog(signal_log.clone());
            // A second signal does not wait for a step stuck on a slow node
            // or Waldur. Nothing is lost: the outbox is durable.
            if stop_signal().await.is_ok() {
                signal_log.warn(
                    "relayer.signal",
                    serde_json::json!({ "action": "second signal: exiting at once" }),
                );
                std::process::exit(130);
            }
        });
        wiring::connect_and_serve(&settings, telemetry, audit, stopped).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn reconcile(args: RunArgs, output: Output) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args, Secrets::from_env())?;
    // stdout carries the result; the audit log goes to stderr (or its file).
    let audit = audit_log(&settings, Box::new(std::io::stderr()))?;
    let summary = runtime()?.block_on(wiring::reconcile_once(&settings, audit))?;
    match output {
        Output::Table => println!("{}", summary.table()),
        Output::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
    }
    Ok(if summary.drift_found {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run { args, check_config } => return run_service(args, check_config),
        Command::Reconcile { args, output } => return reconcile(args, output),
        Command::Keys {
            action: KeysAction::Generate { key_file },
        } => {
            if let Some(dir) = key_file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let seed = keys::generate(&key_file)?;
            println!("wrote {}", key_file.display());
            println!(
                "public key: {}",
                Binary::from(keys::public_key(seed).to_vec())
            );
            println!("{REGISTER_HINT}");
        }
        Command::Keys {
            action: KeysAction::Show { key_file },
        } => {
            let seed = keys::load(&key_file)?;
            println!(
                "public key: {}",
                Binary::from(keys::public_key(seed).to_vec())
            );
            println!("{REGISTER_HINT}");
        }
        Command::Keys {
            action:
                KeysAction::Proof {
                    identity,
                    rotate_from,
                },
        } => println!("{}", key_message(&identity, rotate_from.as_deref())?),
        Command::Keys {
            action:
                KeysAction::FeeAddress {
                    fee_key_file,
                    prefix,
                },
        } => {
            let key = ve_relayer::chain::rpc::load_fee_key(&fee_key_file)?;
            let address = key
                .public_key()
                .account_id(&prefix)
                .map_err(|e| anyhow!("prefix {prefix:?}: {e}"))?;
            println!("{address}");
        }
        #[cfg(feature = "demo")]
        Command::Demo { dir } => {
            let dir = match dir {
                Some(d) => d,
                None => {
                    std::env::temp_dir().join(format!("ve-relayer-demo-{}", std::process::id()))
                }
            };
            std::fs::create_dir_all(&dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let outcome = runtime.block_on(ve_relayer::demo::run(
                &dir,
                ve_relayer::demo::DemoOptions::default(),
                &mut |line| println!("{line}"),
            ))?;
            println!(
                "demo finished: allocation {} {}, {} callbacks confirmed, {} dead letters (database in {})",
                outcome.allocation_id,
                outcome.allocation_state,
                outcome.callbacks_confirmed,
                outcome.dead_letters,
                dir.display()
            );
        }
        Command::Status(store) => {
            let outbox = open(&store)?;
            let (pending, done, dead) = outbox.counts()?;
            let checkpoint = outbox.meta(CHECKPOINT)?;
            let intents = outbox.intent_figures()?;
            println!(
                "{}",
                serde_json::json!({
                    "checkpoint_height": checkpoint,
                    "chain_events": {
                        "waiting": intents.waiting,
                        "dead_letter": intents.dead_letters,
                        "oldest_waiting_since": intents.oldest_waiting_since,
                    },
                    "outbox": { "pending": pending, "done": done, "dead_letter": dead },
                })
            );
        }
        Command::DeadLetter {
            action: DeadLetterAction::List(store),
        } => {
            let outbox = open(&store)?;
            let listed = dead_letters::list(&outbox)?;
            for e in &listed.events {
                println!(
                    "{}",
                    serde_json::json!({
                        "kind": "event",
                        "event_id": e.event_id,
                        "subject": e.subject,
                        "event": e.event,
                        "attempts": e.attempts,
                        "failure": e.failure,
                        "last_error": e.last_error,
                    })
                );
            }
            for e in &listed.callbacks {
                println!(
                    "{}",
                    serde_json::json!({
                        "kind": "callback",
                        "callback_id": e.callback_id,
                        "action_type": e.action_type,
                        "entity_id": e.entity_id,
                        "attempts": e.attempts,
                        "last_error": e.last_error,
                    })
                );
            }
            for o in &listed.offerings {
                println!(
                    "{}",
                    serde_json::json!({
                        "kind": "offering",
                        "offering_id": o.offering_id,
                        "waldur_uuid": o.waldur_uuid,
                        "attempts": o.attempts,
                        "last_error": o.last_error,
                    })
                );
            }
        }
        Command::DeadLetter {
            action:
                DeadLetterAction::Reprocess {
                    id,
                    all,
                    store,
                    identity,
                },
        } => {
            let target = match (id, all) {
                (Some(id), false) => ReprocessTarget::One { id },
                (None, true) => ReprocessTarget::All { all: true },
                _ => bail!("give a callback or offering id, or --all"),
            };
            let outbox = open(&store)?;
            let seed = keys::load(&identity.key_file)?;
            let signer = Signer::new(
                seed,
                identity.key_id,
                identity.provider,
                identity.chain_id,
                identity.callback_contract,
            );
            let done = Reprocessed {
                events: dead_letters::reprocess_events(&outbox, &target, now())?,
                callbacks: dead_letters::reprocess_callbacks(&outbox, &signer, &target, now())?,
                offerings: dead_letters::reprocess_offerings_offline(&outbox, &target, now())?,
            };
            if done.events.is_empty() && done.callbacks.is_empty() && done.offerings.is_empty() {
                bail!("no such dead letter");
            }
            for id in &done.events {
                println!("chain event queued again: {id}");
            }
            for id in &done.callbacks {
                println!("queued again: {id}");
            }
            for id in &done.offerings {
                println!("offering sync queued again: {id}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The diagnostic log on stderr: what libraries report through `tracing`
/// (the Waldur client's retry warnings among them), filtered by `RUST_LOG`
/// (`info` when unset). The JSON audit log is separate and unchanged.
fn install_diagnostic_log() {
    use tracing_subscriber::EnvFilter;
    const DEFAULT_FILTER: &str = "info";
    let filter = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!(
                "ve-relayer: RUST_LOG={spec:?} is not a log filter ({e}); using {DEFAULT_FILTER:?}"
            );
            EnvFilter::new(DEFAULT_FILTER)
        }),
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    // Colours only for a person at a terminal, never in files or journals.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Fails only if a subscriber is already installed: keep that one.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    install_diagnostic_log();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            // The whole chain of causes, on one line.
            eprintln!("ve-relayer: {e:#}");
            ExitCode::FAILURE
        }
    }
}
