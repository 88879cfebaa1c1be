#!/usr/bin/env bash
# Deploys the four contracts to the running devnet (scripts/devnet.sh start):
# builds the optimised artifacts, then `ve-deploy` stores, instantiates and
# wires them and writes .devnet/deployment.json. Run again, it says the
# deployment is already there. Arguments go to ve-deploy
# (--artifacts DIR, --out FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh >/dev/null
cargo run --quiet --locked -p ve-devnet --bin ve-deploy -- "$@"
