//! The `ve-state` binary on a dump of the marketplace's state.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use ve_integration_tests::world::World;
use ve_state::RawRecord;

fn marketplace_dump(corrupt: bool) -> String {
    let mut world = World::new();
    world.active(50_000, 1);
    let mut records: Vec<RawRecord> = world
        .app
        .dump_wasm_raw(&world.marketplace)
        .into_iter()
        .map(|(key, value)| RawRecord { key, value })
        .collect();
    if corrupt {
        records.push(RawRecord {
            key: b"\x00\x05other".to_vec(),
            value: vec![0],
        });
    }
    ve_state::to_dump(&records).to_string()
}

fn ve_state(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ve-state"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn prints_the_decoded_state_of_stdin_or_a_file() {
    let dump = marketplace_dump(false);
    let out = ve_state(&["--strict"], &dump);
    assert!(out.status.success(), "{out:?}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["contract"], "marketplace");
    assert_eq!(printed["undecoded"], Value::Array(vec![]));
    assert!(printed["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["namespace"] == "offerings" && r["value"]["name"].is_string()));

    let file = std::env::temp_dir().join(format!("ve-state-cli-{}.json", std::process::id()));
    std::fs::write(&file, &dump).unwrap();
    let from_file = ve_state(&["--contract", "marketplace", file.to_str().unwrap()], "");
    let _ = std::fs::remove_file(&file);
    assert!(from_file.status.success(), "{from_file:?}");
    assert_eq!(from_file.stdout, out.stdout);
}

#[test]
fn strict_fails_on_an_undecodable_record_and_a_wrong_contract_is_refused() {
    let out = ve_state(&["--strict"], &marketplace_dump(true));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["undecoded"][0]["key"], "00056F74686572");

    let out = ve_state(&["--contract", "hpc"], &marketplace_dump(false));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("crates.io:ve-marketplace"));
}
