//! `ve-relayer`: the operator's command line. Every flag can also be given
//! as a `VIRTENGINE_*` environment variable.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cosmwasm_std::Binary;
use ve_relayer::keys;
use ve_relayer::outbox::{EntryState, Outbox, CHECKPOINT};
use ve_relayer::signer::{CallbackDraft, Signer};

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

#[derive(Subcommand)]
enum Command {
    /// The signing key: generate one, or show the public half.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Outbox counts and the chain checkpoint.
    Status(Store),
    /// The embedded default: contracts in process, a Waldur emulator and
    /// the relayer, one allocation from offering to settlement, printed
    /// step by step.
    Demo {
        /// Where the relayer's database goes (a fresh folder by default).
        #[arg(long, env = "VIRTENGINE_DEMO_DIR")]
        dir: Option<PathBuf>,
    },
    /// Callbacks that failed too often.
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
    /// Prints the public key and the message that registers it.
    Show {
        #[arg(long, env = "VIRTENGINE_KEY_FILE", default_value = "data/signer.key")]
        key_file: PathBuf,
        #[arg(long, env = "VIRTENGINE_KEY_ID", default_value = "relayer-1")]
        key_id: String,
    },
}

#[derive(Subcommand)]
enum DeadLetterAction {
    List(Store),
    /// Re-signs (fresh nonce and validity) and queues again.
    Reprocess {
        /// The callback id; or --all.
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

fn open(store: &Store) -> Result<Outbox, String> {
    if let Some(dir) = store.db.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Outbox::open(&store.db, store.max_retries).map_err(|e| e.to_string())
}

fn register_message(seed: [u8; 32], key_id: &str) -> String {
    serde_json::json!({ "register_signer": {
        "key_id": key_id,
        "public_key": Binary::from(keys::public_key(seed).to_vec()),
    }})
    .to_string()
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Keys {
            action: KeysAction::Generate { key_file },
        } => {
            if let Some(dir) = key_file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            let seed = keys::generate(&key_file).map_err(|e| e.to_string())?;
            println!("wrote {}", key_file.display());
            println!(
                "public key: {}",
                Binary::from(keys::public_key(seed).to_vec())
            );
        }
        Command::Keys {
            action: KeysAction::Show { key_file, key_id },
        } => {
            let seed = keys::load(&key_file).map_err(|e| e.to_string())?;
            println!(
                "public key: {}",
                Binary::from(keys::public_key(seed).to_vec())
            );
            println!(
                "register it (from the provider account) on the waldur-callback contract with:"
            );
            println!("{}", register_message(seed, &key_id));
        }
        Command::Demo { dir } => {
            let dir = match dir {
                Some(d) => d,
                None => {
                    std::env::temp_dir().join(format!("ve-relayer-demo-{}", std::process::id()))
                }
            };
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
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
            let (pending, done, dead) = outbox.counts().map_err(|e| e.to_string())?;
            let checkpoint = outbox.meta(CHECKPOINT).map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::json!({
                    "checkpoint_height": checkpoint,
                    "outbox": { "pending": pending, "done": done, "dead_letter": dead },
                })
            );
        }
        Command::DeadLetter {
            action: DeadLetterAction::List(store),
        } => {
            let outbox = open(&store)?;
            for e in outbox
                .in_state(EntryState::DeadLetter, usize::MAX)
                .map_err(|e| e.to_string())?
            {
                println!(
                    "{}",
                    serde_json::json!({
                        "callback_id": e.callback.callback_id,
                        "action_type": e.callback.action_type.as_str(),
                        "entity_id": e.callback.entity_id,
                        "attempts": e.attempts,
                        "last_error": e.last_error,
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
            let outbox = open(&store)?;
            let seed = keys::load(&identity.key_file).map_err(|e| e.to_string())?;
            let signer = Signer::new(
                seed,
                identity.key_id,
                identity.provider,
                identity.chain_id,
                identity.callback_contract,
            );
            let dead = outbox
                .in_state(EntryState::DeadLetter, usize::MAX)
                .map_err(|e| e.to_string())?;
            let chosen: Vec<_> = match (&id, all) {
                (Some(id), false) => dead
                    .into_iter()
                    .filter(|e| &e.callback.callback_id == id)
                    .collect(),
                (None, true) => dead,
                _ => return Err("give a callback id or --all".into()),
            };
            if chosen.is_empty() {
                return Err("no such dead letter".into());
            }
            for entry in chosen {
                let cb = &entry.callback;
                let draft = CallbackDraft {
                    callback_id: cb.callback_id.clone(),
                    action: cb.action_type,
                    waldur_id: cb.waldur_id.clone(),
                    entity_id: cb.entity_id.clone(),
                    payload: cb.payload.to_vec(),
                };
                let resigned = signer.sign(&draft, now()).map_err(|e| e.to_string())?;
                outbox
                    .reprocess(&cb.callback_id, resigned, now())
                    .map_err(|e| e.to_string())?;
                println!("queued again: {}", cb.callback_id);
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ve-relayer: {e}");
            ExitCode::FAILURE
        }
    }
}
