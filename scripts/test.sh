#!/usr/bin/env bash
# The test command: installs what the tests need (scripts/install-tools.sh:
# the wasm target, wasm-opt, wasmd for tests/devnet, the metrics linter;
# only version checks when already there), builds and validates the
# optimised wasm artifacts (the real-VM tests load them), then runs every
# test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
scripts/build-wasm.sh
# The metrics linter (promtool check metrics' code, scripts/promlint) that
# packages/relayer/tests/health.rs runs on the text the relayer serves;
# required here, so a missing linter fails instead of skipping.
export VE_PROMLINT="$PWD/.tools/promlint" VE_REQUIRE_PROMLINT=1
cargo test --workspace --locked "$@"
