#!/usr/bin/env bash
# Builds every contract for wasm32 in release, lowers bulk-memory and
# sign-ext instructions (which CosmWasm VM 3 rejects) with binaryen, writes
# artifacts/<name>.wasm and artifacts/checksums.txt, and fails when an
# artifact is over wasmd's 800 KiB limit or fails the real VM's static
# validation (cosmwasm-vm's check_wasm).
#
# --profile builds the bench's gas-profile variant instead (the
# `gas-profile` feature: the execute entry point reports the gas left after
# parsing and after the handler to the VM) into artifacts/profile;
# --json-store the bench's variant that stores values as JSON instead of
# packed (ve-cw's `json-store` feature) into artifacts/json-store. Never
# deploy either.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=artifacts
# cargo's target directory (CARGO_TARGET_DIR when set).
TARGET=${CARGO_TARGET_DIR:-target}
FEATURES=()
case "${1:-}" in
  --profile)
    OUT=artifacts/profile
    FEATURES=(--features gas-profile)
    ;;
  --json-store)
    OUT=artifacts/json-store
    FEATURES=(--features ve-cw/json-store)
    ;;
  "") ;;
  *) echo "usage: scripts/build-wasm.sh [--profile | --json-store]" >&2; exit 2 ;;
esac

CONTRACTS=(marketplace settlement hpc waldur-callback)
MAX_BYTES=$((800 * 1024))
WASM_OPT=${WASM_OPT:-.tools/node_modules/.bin/wasm-opt}
[ -x "$WASM_OPT" ] || { echo "wasm-opt not found at $WASM_OPT: run scripts/install-tools.sh" >&2; exit 1; }

# One cargo invocation per contract: building them together would unify
# features, and the `library` feature another contract turns on for its
# dependency would strip this contract's entry points.
for c in "${CONTRACTS[@]}"; do
  # Strip symbols at link time. target-cpu=mvp keeps our own code free of
  # bulk-memory instructions: wasm-opt's byte-loop lowering of them costs
  # about a quarter more gas than the copies LLVM writes for the MVP
  # (measured with scripts/demo.sh). std's precompiled code still needs the
  # lowering below.
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=-s -C target-cpu=mvp -D warnings" \
    cargo build --release --lib --locked --target wasm32-unknown-unknown -p "$c" "${FEATURES[@]}"
  mkdir -p "$TARGET/wasm-contracts/$OUT"
  cp "$TARGET/wasm32-unknown-unknown/release/${c//-/_}.wasm" "$TARGET/wasm-contracts/$OUT/$c.wasm"
done

mkdir -p "$OUT"
rm -f "$OUT"/*.wasm "$OUT"/checksums.txt
for c in "${CONTRACTS[@]}"; do
  raw="$TARGET/wasm-contracts/$OUT/$c.wasm"
  out="$OUT/$c.wasm"
  "$WASM_OPT" -Os --enable-bulk-memory --enable-sign-ext \
    --llvm-memory-copy-fill-lowering --signext-lowering \
    --strip-debug --strip-producers "$raw" -o "$out"
  size=$(wc -c < "$out")
  printf '%-20s %8d bytes (raw %d)\n' "$c.wasm" "$size" "$(wc -c < "$raw")"
  if [ "$size" -gt "$MAX_BYTES" ]; then
    echo "error: $out is $size bytes, over the $MAX_BYTES byte limit of wasmd" >&2
    exit 1
  fi
done
(cd "$OUT" && sha256sum ./*.wasm | sed 's# \./# #' > checksums.txt)
cat "$OUT/checksums.txt"

cargo run --quiet --locked -p ve-vm-tests --bin ve-wasm-check -- "$OUT"/*.wasm
