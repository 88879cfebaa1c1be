//! `waldur-emulator`: the fake Waldur 8.0.5 as its own process, for the
//! on-chain demo and end-to-end tests in which the relayer
//! (`ve-relayer run`) runs as a separate process.
//!
//! ```text
//! waldur-emulator --token <TOKEN> [--listen 127.0.0.1:0]
//! WALDUR_EMULATOR_TOKEN=<TOKEN> waldur-emulator [--listen 127.0.0.1:8000]
//! ```
//!
//! - `--listen <ADDR>`: a loopback socket address (`127.0.0.0/8` or
//!   `[::1]`), default `127.0.0.1:0` (a free port). Any other address is
//!   refused: the process exits 1 with a message on stderr.
//! - `--token <TOKEN>` or `WALDUR_EMULATOR_TOKEN`: the only API token
//!   accepted (`Authorization: Token <TOKEN>`); required, non-empty,
//!   without whitespace.
//!
//! On start it seeds what a provider's Waldur holds: the customer
//! "Provider Org", a project "Demo Project" of it, the category "HPC", one
//! Active `Marketplace.Slurm` offering "Emulated HPC" (components `cpu` and
//! `gpu`, usage-billed in hours, and `ram`, a limit in GB) and the SLURM
//! service settings "Demo SLURM cluster". Then it writes exactly one line
//! of JSON to stdout, flushed, with these keys in this order:
//!
//! ```text
//! {"base_url":"http://127.0.0.1:<port>/api/","customer_uuid":"…","project_uuid":"…",
//!  "project_url":"…","category_uuid":"…","offering_uuid":"…","offering_url":"…",
//!  "service_settings_uuid":"…","service_settings_url":"…","public_offering_url":"…"}
//! ```
//!
//! (one line in reality; the URLs are the API's hyperlinks, `offering_url`
//! being the `marketplace-provider-offerings/` one and
//! `public_offering_url` the `marketplace-public-offerings/` one, the only
//! offering link an order takes). It then serves until
//! SIGTERM or SIGINT and exits 0. Nothing else goes to stdout; the few
//! log lines go to stderr. Exit status 2 is a usage error, 1 any other
//! failure.
//!
//! Besides Waldur's API under `/api/`, the emulator's control endpoints
//! stand in for what the provider's SLURM cluster does. They take the same
//! token, are never faulted and are left out of the request log:
//!
//! - `POST /control/slurm-jobs/{uuid}/runtime/` with a JSON body
//!   `{"state": "RUNNING" | "COMPLETED" | "FAILED" | ..., "report": {...}}`
//!   (`runtime_state` may be written for `state`; `report`, the job's
//!   output, is optional and any JSON, e.g.
//!   `{"elapsed_seconds": 5400, "exit_code": 0}`) sets a FireCREST job's
//!   `runtime_state` (and `report`) as SLURM would. 200 with the job as
//!   `GET /api/slurm-jobs/{uuid}/` renders it; 404 `{"detail": "Not
//!   found."}` for an unknown job; 400 with DRF-style field errors for a
//!   malformed body (not JSON, not an object, no or blank state, unknown
//!   field).
//! - `GET /control/summary/`: 200 `{"orders": n, "resources": n,
//!   "slurm_jobs": n, "component_usages": n}`.
//! - `POST /control/tokens/` with `{"token": "…", "role": "consumer" |
//!   "staff", "username": "…", "projects": ["<project uuid>", …]}`
//!   (`projects` for a consumer only) adds a token with that Waldur role
//!   (see the library's `EmulatorState::add_consumer_token`): 201 with
//!   `{"token", "role", "username"}`; 400 for a malformed body.
//! - `POST /control/offering-types/` with `{"types": ["Marketplace.Slurm",
//!   …]}` sets the installed plugins' offering types (offerings of other
//!   types are refused): 200 `{"types": [...]}`.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use serde::Serialize;
use waldur_emulator::{Emulator, EmulatorHandle, OfferingSeed};

const PROGRAM: &str = "waldur-emulator";

/// A fake Waldur 8.0.5 marketplace API on a loopback address, for demos
/// and end-to-end tests. Prints one JSON line with the seeded objects,
/// then serves until SIGTERM or SIGINT.
#[derive(Debug, Parser)]
#[command(name = PROGRAM, version, about)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value_t = SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))]
    listen: SocketAddr,

    /// The only API token accepted (`Authorization: Token <TOKEN>`).
    #[arg(
        long,
        env = "WALDUR_EMULATOR_TOKEN",
        hide_env_values = true,
        value_parser = parse_token
    )]
    token: String,
}

fn parse_token(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the token must not be empty".to_owned());
    }
    if text.chars().any(char::is_whitespace) {
        // Waldur's token header could never carry it.
        return Err("the token must not contain whitespace".to_owned());
    }
    Ok(text.to_owned())
}

/// The line written on stdout once the emulator serves.
#[derive(Debug, Serialize)]
struct Ready {
    base_url: String,
    customer_uuid: String,
    project_uuid: String,
    project_url: String,
    category_uuid: String,
    offering_uuid: String,
    offering_url: String,
    service_settings_uuid: String,
    service_settings_url: String,
    /// The link orders take (`offering_url` is the provider's).
    public_offering_url: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("{PROGRAM}: {message}");
    ExitCode::FAILURE
}

async fn run(args: Args) -> Result<(), String> {
    // Listening before anything is announced: a signal sent as soon as the
    // ready line is read is then always seen.
    let mut signals = Signals::new().map_err(|e| format!("cannot watch signals: {e}"))?;
    let emulator = Emulator::start_on(args.listen, args.token)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => e.to_string(),
            _ => format!("cannot listen on {}: {e}", args.listen),
        })?;
    let ready = seed(&emulator)?;
    let line = serde_json::to_string(&ready).map_err(|e| format!("cannot encode: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the ready line to stdout: {e}"))?;
    drop(stdout);
    eprintln!("{PROGRAM}: serving {}", emulator.base_url);
    let signal = signals.recv().await;
    eprintln!("{PROGRAM}: {signal} received, stopping");
    drop(emulator);
    Ok(())
}

/// What a provider's Waldur holds before the relayer starts.
fn seed(emulator: &EmulatorHandle) -> Result<Ready, String> {
    let state = &emulator.state;
    let customer = state.seed_customer("Provider Org");
    let project = state
        .seed_project(&customer.uuid, "Demo Project")
        .ok_or("seeding the project failed: its customer is missing")?;
    let category = state.seed_category("HPC");
    let offering = state
        .seed_offering(OfferingSeed::new(&customer.uuid, &category.uuid))
        .ok_or("seeding the offering failed: its customer or category is missing")?;
    let settings = state.seed_service_settings("Demo SLURM cluster");
    let public_offering_url = state.public_offering_url(&offering.uuid);
    Ok(Ready {
        base_url: emulator.base_url.clone(),
        customer_uuid: customer.uuid,
        project_uuid: project.uuid,
        project_url: project.url,
        category_uuid: category.uuid,
        offering_uuid: offering.uuid,
        offering_url: offering.url,
        service_settings_uuid: settings.uuid,
        service_settings_url: settings.url,
        public_offering_url,
    })
}

/// SIGTERM and SIGINT (Ctrl-C elsewhere than on Unix).
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the first signal and names it.
    #[cfg(unix)]
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) -> &'static str {
        // An error here means no Ctrl-C can be seen: stop at once.
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
