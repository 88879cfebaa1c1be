//! `ve-state`: the raw state of a VirtEngine contract as JSON.
//!
//! ```text
//! wasmd query wasm contract-state all <address> -o json | ve-state [--contract NAME] [--strict]
//! ve-state [--contract NAME] [--strict] dump.json
//! ```
//!
//! Reads the answer (several pages concatenated, one after the other, or a
//! JSON array of pages) from the file or stdin and prints every record
//! decoded (see docs/state-layout.md). The contract is the one the state's
//! cw2 record names unless `--contract` says (marketplace, settlement,
//! hpc, waldur-callback). With `--strict` the exit status is 2 when a
//! record could not be decoded.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ve_state::Contract;

const USAGE: &str =
    "usage: ve-state [--contract marketplace|settlement|hpc|waldur-callback] [--strict] [FILE|-]";

struct Args {
    contract: Option<Contract>,
    strict: bool,
    input: Option<String>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        contract: None,
        strict: false,
        input: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--contract" => {
                let name = given.next().context(USAGE)?;
                args.contract = Some(name.parse()?);
            }
            "--strict" => args.strict = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ if args.input.is_none() && (arg == "-" || !arg.starts_with('-')) => {
                args.input = Some(arg)
            }
            _ => bail!("unexpected argument {arg:?}\n{USAGE}"),
        }
    }
    Ok(args)
}

fn run() -> Result<ExitCode> {
    let args = parse_args()?;
    let text = match args.input.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading stdin")?;
            text
        }
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
    };
    let records = ve_state::parse_dump(&text)?;
    let state = ve_state::decode(args.contract, &records)?;
    println!("{}", serde_json::to_string_pretty(&state)?);
    if args.strict && !state.undecoded.is_empty() {
        eprintln!("{} record(s) could not be decoded", state.undecoded.len());
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ve-state: {e:#}");
            ExitCode::FAILURE
        }
    }
}
