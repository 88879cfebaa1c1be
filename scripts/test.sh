#!/usr/bin/env bash
# The test command: builds and validates the optimised wasm artifacts (the
# real-VM tests load them), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh
cargo test --workspace --locked "$@"
