#!/usr/bin/env bash
# Installs what the build needs beyond a Rust toolchain: the wasm target,
# rustfmt/clippy, binaryen's wasm-opt (npm `binaryen`, pinned) under .tools/,
# and the devnet's wasmd, built from the Go module proxy into .tools/wasmd
# (scripts/devnet.sh build
# Before CI empties Go's caches: the metrics linter (scripts/promlint).
scripts/promlint.sh build; needs Go >= 1.25.9; rebuilt only when
# devnet/wasmd/go.mod changes).
set -euo pipefail
cd "$(dirname "$0")/.."

BINARYEN_VERSION=132

rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy

wasm_opt=.tools/node_modules/.bin/wasm-opt
if [ -x "$wasm_opt" ] && "$wasm_opt" --version | grep -q "version $BINARYEN_VERSION"; then
  echo "wasm-opt $BINARYEN_VERSION already installed"
else
  command -v npm >/dev/null || { echo "npm is required to install binaryen" >&2; exit 1; }
  mkdir -p .tools
  npm install --prefix .tools --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
fi
"$wasm_opt" --version

scripts/devnet.sh build
# Before CI empties Go's caches: the metrics linter (scripts/promlint).
scripts/promlint.sh build
