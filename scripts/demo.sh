#!/usr/bin/env bash
# The main job, locally: builds the optimised contracts and runs a whole
# marketplace story against them in the real CosmWasm VM.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh
cargo run --quiet --locked -p ve-vm-tests --bin ve-demo
