#!/usr/bin/env bash
# Installs what the build needs beyond a Rust toolchain (rustup) and Go:
#   - the wasm32 target and rustfmt/clippy (rustup; no-ops when present),
#   - binaryen's wasm-opt (npm `binaryen`, pinned) under .tools/,
#   - the devnet's wasmd, built from the Go module proxy into .tools/wasmd
#     (scripts/devnet.sh build; needs Go >= 1.25.9; rebuilt only when
#     devnet/wasmd/go.mod changes),
#   - the metrics linter .tools/promlint (scripts/promlint.sh build).
# Idempotent: a second run only checks versions, so scripts/test.sh and
# scripts/demo.sh call it every time and a newcomer never has to.
set -euo pipefail
cd "$(dirname "$0")/.."

BINARYEN_VERSION=132

# `rustup target add` prints "is up to date" and returns at once when the
# target is there; quiet so the two commands' output stays the story.
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
rustup component add rustfmt clippy >/dev/null 2>&1 || rustup component add rustfmt clippy

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
# Built here, before CI empties Go's caches (.ci/run).
scripts/promlint.sh build
