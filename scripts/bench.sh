#!/usr/bin/env bash
# Benchmarks: builds the optimised artifacts, then measures them in the real
# VM and writes bench/gas.md (gas per operation, page cost against stored
# records, single vs batched callbacks, nonce store under load, sizes, the
# relayer's throughput and peak memory), then bench/profile.md from profile
# builds (where the VM gas of the costliest executes goes, step by step).
# Prints figures; fails only if something does not run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-wasm.sh

# The baseline: cw20-base 2.0.0 from crates.io (bench/cw20-baseline, its own
# workspace and lock file), built with the same flags and the same binaryen
# lowering as our contracts, into artifacts/bench/cw20-base.wasm. ve-bench
# measures its instantiate and transfer in the same VM. Bench only: the
# tests and CI never build it.
WASM_OPT=${WASM_OPT:-.tools/node_modules/.bin/wasm-opt}
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=-s -C target-cpu=mvp" \
  cargo build --release --lib --locked --target wasm32-unknown-unknown \
  --manifest-path bench/cw20-baseline/Cargo.toml --target-dir target/cw20-baseline
mkdir -p artifacts/bench
"$WASM_OPT" -Os --enable-bulk-memory --enable-sign-ext \
  --llvm-memory-copy-fill-lowering --signext-lowering \
  --strip-debug --strip-producers \
  target/cw20-baseline/wasm32-unknown-unknown/release/cw20_baseline.wasm \
  -o artifacts/bench/cw20-base.wasm
printf '%-20s %8d bytes\n' "cw20-base.wasm" "$(wc -c < artifacts/bench/cw20-base.wasm)"

# ve-bench runs ve-relayer-load (10,000 allocations through the relayer and
# the Waldur emulator) as a child process: build both.
cargo build --quiet --locked -p ve-vm-tests --bins
cargo run --quiet --locked -p ve-vm-tests --bin ve-bench

# The same executes on a real chain: ve-devnet-bench starts a wasmd devnet
# of its own (target/devnet-bench, ports + 300, stopped at the end), deploys
# the artifacts and cw20-base, and writes the transactions' gas_used against
# cw20-base's transfer to bench/devnet-gas.md (a few minutes: one block each).
# The same scenario first runs on a build that stores values as JSON instead
# of packed (--json-store), on the same chain: bench/devnet-store.md is what
# packing saves. Set VE_BENCH_BEFORE=DIR to compare with other artifacts too
# (bench/devnet-before-after.md).
scripts/devnet.sh build
scripts/build-wasm.sh --json-store
VE_BENCH_JSON_STORE=artifacts/json-store cargo run --quiet --locked -p ve-devnet --bin ve-devnet-bench

# Where the VM gas of the costliest executes goes: the same scenarios on
# profile builds (the execute entry point marks parsing, handler and answer),
# written to bench/profile.md.
scripts/build-wasm.sh --profile
VE_ARTIFACTS=artifacts/profile VE_BENCH_ONLY=marketplace,settlement,hpc,callbacks \
  cargo run --quiet --locked -p ve-vm-tests --bin ve-bench
