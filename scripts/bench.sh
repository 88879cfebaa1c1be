#!/usr/bin/env bash
# Benchmarks: builds the optimised artifacts, then measures them in the real
# VM and writes bench/gas.md (gas per operation, page cost against stored
# records, single vs batched callbacks, nonce store under load, sizes).
# Prints figures; fails only if something does not run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh
cargo run --quiet --locked -p ve-vm-tests --bin ve-bench
