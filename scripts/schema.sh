#!/usr/bin/env bash
# Regenerates the JSON schemas of every contract into schema/<contract>/.
# With --check, regenerates into a temporary folder and fails if schema/
# differs (a message type changed without `scripts/schema.sh` being run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CONTRACTS=(marketplace settlement hpc waldur-callback)
mode=${1:-write}

cargo build --quiet --locked $(printf -- '-p %s ' "${CONTRACTS[@]}") --bins
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for c in "${CONTRACTS[@]}"; do
  mkdir -p "$out/$c"
  (cd "$out/$c" && "${CARGO_TARGET_DIR:-$root/target}/debug/schema-$c" >/dev/null)
  # write_api puts its files under ./schema; keep one folder per contract.
  mv "$out/$c/schema"/* "$out/$c/" && rmdir "$out/$c/schema"
done

if [ "$mode" = "--check" ]; then
  if ! diff -r "$out" schema >/dev/null 2>&1; then
    diff -r "$out" schema | head -40 || true
    echo "error: schema/ is stale; run scripts/schema.sh and commit the result" >&2
    exit 1
  fi
  echo "schema/ is up to date"
else
  rm -rf schema
  mkdir -p schema
  cp -r "$out"/* schema/
  echo "wrote schema/ for: ${CONTRACTS[*]}"
fi
