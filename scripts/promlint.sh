#!/usr/bin/env bash
# The Prometheus metrics linter, the code `promtool check metrics` runs
# (client_golang's testutil/promlint), as a tiny Go program of ours built
# from the Go module proxy into .tools/promlint. Chosen over Debian's
# `prometheus` package (which ships promtool) because that one needs root
# and apt, and installs and starts a Prometheus server; CI has Go already
# (wasmd is built the same way).
#   scripts/promlint.sh build         build .tools/promlint if missing or stale
#   scripts/promlint.sh < metrics.txt lint an exposition (exit 1 on problems)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.tools/promlint
build() {
  if [ -x "$BIN" ] && [ "$BIN" -nt scripts/promlint/go.sum ] && [ "$BIN" -nt scripts/promlint/main.go ]; then
    return
  fi
  command -v go >/dev/null || { echo "promlint: Go is required to build the metrics linter (scripts/promlint)" >&2; exit 1; }
  mkdir -p .tools
  (cd scripts/promlint && go build -buildvcs=false -o "../../$BIN" .)
}
case "${1:-}" in
  build) build ;;
  "") build; exec "$BIN" ;;
  *) echo "usage: scripts/promlint.sh [build] (< metrics.txt)" >&2; exit 2 ;;
esac
