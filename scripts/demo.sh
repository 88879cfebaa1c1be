#!/usr/bin/env bash
# The main job, locally: the four contracts in process, a Waldur emulator on
# loopback and the relayer between them, driving one allocation from
# offering to termination and settlement, printed step by step.
# (The same contracts as optimised wasm in the real VM: after
# scripts/build-wasm.sh, `cargo run -p ve-vm-tests --bin ve-demo`.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --locked -p ve-relayer -- demo "$@"
