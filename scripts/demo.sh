#!/usr/bin/env bash
# The main job.
#
#   scripts/demo.sh                the four contracts in process, a Waldur emulator on
#                                  loopback and the relayer between them: one allocation
#                                  from offering to termination and settlement, and an
#                                  HPC job, printed step by step
#   scripts/demo.sh --chain wasmd  the same story on a real chain: the local wasmd devnet
#                                  (scripts/devnet.sh, started if needed and left running),
#                                  the contracts deployed once (.devnet/deployment.json),
#                                  signed transactions of the test accounts, and
#                                  `ve-relayer run` and `waldur-emulator` as processes
#
# Set-up is part of the command: the default needs only cargo (the contracts
# run natively in cw-multi-test); --chain wasmd first runs
# scripts/install-tools.sh (wasm target, wasm-opt, wasmd; version checks
# only when installed) and builds the wasm artifacts.
#
# (The contracts as optimised wasm in the real VM: after scripts/build-wasm.sh,
# `cargo run -p ve-vm-tests --bin ve-demo`.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--chain" ]; then
  [ "${2:-}" = "wasmd" ] || { echo "usage: $0 [--chain wasmd]" >&2; exit 2; }
  scripts/install-tools.sh >/dev/null
  scripts/build-wasm.sh >/dev/null
  scripts/devnet.sh start
  cargo run --quiet --locked -p ve-devnet --bin ve-devnet-demo
  exit
fi
cargo run --quiet --locked -p ve-relayer --features demo -- demo "$@"
