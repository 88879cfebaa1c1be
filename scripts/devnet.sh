#!/usr/bin/env bash
# A local one-validator wasmd chain on loopback, for the demo, the end-to-end
# tests and the gas bench.
#
#   scripts/devnet.sh start    build wasmd if needed, init once, start, wait for blocks
#   scripts/devnet.sh stop     stop the node (its state stays)
#   scripts/devnet.sh status   running or not, height, where things are
#   scripts/devnet.sh reset    stop, wipe the chain, start afresh
#   scripts/devnet.sh env      the settings as shell assignments (for eval)
#   scripts/devnet.sh build    only build .tools/wasmd
#
# wasmd is built from the Go module proxy (devnet/wasmd/go.mod pins it) into
# .tools/wasmd, and rebuilt only when that pin changes. Settings (environment):
#   VE_DEVNET_HOME         the node's home (default .devnet/node)
#   VE_DEVNET_PORT_OFFSET  added to every port (default 0: RPC 26657, P2P 26656,
#                          gRPC 9090, REST 1317), so tests can run their own chain
# Test accounts (keyring "test" in the home; fixed mnemonics, devnet only):
# deployer, provider, customer, relayer (the relayer's fee account), arbiter,
# treasury, each funded with 10^12 uve; the validator holds its own stake.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

WASMD="$ROOT/.tools/wasmd"
PIN_FILE="$ROOT/.tools/wasmd.pin"
HOME_DIR=${VE_DEVNET_HOME:-$ROOT/.devnet/node}
OFFSET=${VE_DEVNET_PORT_OFFSET:-0}
CHAIN_ID=${VE_DEVNET_CHAIN_ID:-ve-devnet-1}
DENOM=uve
RPC_PORT=$((26657 + OFFSET))
P2P_PORT=$((26656 + OFFSET))
GRPC_PORT=$((9090 + OFFSET))
API_PORT=$((1317 + OFFSET))
RPC_URL="http://127.0.0.1:$RPC_PORT"
LOG="$HOME_DIR/node.log"
PID_FILE="$HOME_DIR/node.pid"

# name|mnemonic. Devnet only: these keys guard nothing of value.
ACCOUNTS=(
  "deployer|abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
  "provider|legal winner thank year wave sausage worth useful legal winner thank yellow"
  "customer|letter advice cage absurd amount doctor acoustic avoid letter advice cage above"
  "relayer|zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"
  "arbiter|vessel ladder alter error federal sibling chat ability sun glass valve picture"
  "treasury|scheme spot photo card baby mountain device kick cradle pact join borrow"
  "validator|cat swing flag economy stadium alone churn speed unique patch report train"
)

# The pin: the module files and this recipe's version (2: wasmvm's
# library copied to .tools/lib).
pin() { { echo "recipe 2"; cat devnet/wasmd/go.mod devnet/wasmd/go.sum; } | sha256sum | cut -d' ' -f1; }

build() {
  if [ -x "$WASMD" ] && [ -f "$PIN_FILE" ] && [ "$(cat "$PIN_FILE")" = "$(pin)" ] \
    && "$WASMD" version >/dev/null 2>&1; then
    return
  fi
  command -v go >/dev/null || { echo "devnet: Go >= 1.25.9 is required to build wasmd (devnet/wasmd/go.mod); not found on PATH" >&2; exit 1; }
  echo "devnet: building wasmd from the Go module proxy (devnet/wasmd; a few minutes the first time)" >&2
  mkdir -p "$ROOT/.tools"
  # wasmd links wasmvm's shared library, which lives in Go's module cache;
  # a copy beside the binary (found through its $ORIGIN/lib run path)
  # keeps it working once that cache is cleaned (CI cleans it for disk).
  if ! (cd devnet/wasmd && go build -buildvcs=false -ldflags='-r $ORIGIN/lib' -o "$WASMD" github.com/CosmWasm/wasmd/cmd/wasmd); then
    echo "devnet: building wasmd failed (see the Go errors above)" >&2
    exit 1
  fi
  local wasmvm lib
  wasmvm=$(cd devnet/wasmd && go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3) || {
    echo "devnet: cannot find wasmvm's module (go list -m github.com/CosmWasm/wasmvm/v3)" >&2; exit 1; }
  lib="$wasmvm/internal/api/libwasmvm.$(uname -m).so"
  [ -f "$lib" ] || { echo "devnet: wasmvm has no shared library for $(uname -m) ($lib)" >&2; exit 1; }
  mkdir -p "$ROOT/.tools/lib"
  cp -f "$lib" "$ROOT/.tools/lib/"
  pin > "$PIN_FILE"
  "$WASMD" version >&2
}

wasmd() { "$WASMD" --home "$HOME_DIR" "$@"; }

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

height() {
  curl -sf --max-time 2 "$RPC_URL/status" | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'
}

# Sets a key of a TOML section in place: set_toml FILE SECTION KEY VALUE
# (SECTION "" for the top level; VALUE as TOML, e.g. '"1s"' or 'true').
set_toml() {
  python3 - "$@" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:5]
lines = open(path).read().split("\n")
current = ""
for i, line in enumerate(lines):
    m = re.match(r"\s*\[([^\]]+)\]\s*$", line)
    if m:
        current = m.group(1)
        continue
    if current == section and re.match(r"\s*" + re.escape(key) + r"\s*=", line):
        lines[i] = f"{key} = {value}"
        break
else:
    sys.exit(f"devnet: no {key} in [{section}] of {path}")
open(path, "w").write("\n".join(lines))
PY
}

init() {
  [ -f "$HOME_DIR/config/genesis.json" ] && return
  echo "devnet: new chain $CHAIN_ID in $HOME_DIR" >&2
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR"
  wasmd init ve-devnet --chain-id "$CHAIN_ID" --default-denom "$DENOM" >/dev/null 2>&1
  for entry in "${ACCOUNTS[@]}"; do
    name=${entry%%|*}
    echo "${entry#*|}" | wasmd keys add "$name" --recover --keyring-backend test >/dev/null 2>&1
    if [ "$name" = validator ]; then amount=1000000000000000$DENOM; else amount=1000000000000$DENOM; fi
    wasmd genesis add-genesis-account "$name" "$amount" --keyring-backend test >/dev/null
  done
  wasmd genesis gentx validator 1000000000$DENOM --chain-id "$CHAIN_ID" --keyring-backend test >/dev/null 2>&1
  wasmd genesis collect-gentxs >/dev/null 2>&1
  wasmd genesis validate >/dev/null

  local cfg="$HOME_DIR/config/config.toml" app="$HOME_DIR/config/app.toml" client="$HOME_DIR/config/client.toml"
  # Loopback only, blocks of about a second.
  set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
  set_toml "$cfg" "" proxy_app "\"tcp://127.0.0.1:$((26658 + OFFSET))\""
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" consensus timeout_commit '"1s"'
  set_toml "$cfg" instrumentation prometheus false
  set_toml "$app" "" minimum-gas-prices "\"0.025$DENOM\""
  set_toml "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
  set_toml "$app" api enable true
  set_toml "$app" api address "\"tcp://127.0.0.1:$API_PORT\""
  set_toml "$client" "" chain-id "\"$CHAIN_ID\""
  set_toml "$client" "" keyring-backend '"test"'
  set_toml "$client" "" node "\"tcp://127.0.0.1:$RPC_PORT\""
}

start() {
  build
  if running; then
    echo "devnet: already running (pid $(cat "$PID_FILE")) at $RPC_URL"
    return
  fi
  init
  echo "devnet: starting wasmd, log $LOG" >&2
  nohup "$WASMD" start --home "$HOME_DIR" >>"$LOG" 2>&1 &
  echo $! > "$PID_FILE"
  # Ready when the node commits a new block: right after a restart it
  # answers with the old height, and simulations fail ("Block (unix) time
  # must never be empty") until it has committed one.
  first=""
  for _ in $(seq 1 120); do
    if ! running; then
      echo "devnet: wasmd exited; the end of $LOG:" >&2
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    h=$(height || true)
    [ -z "$first" ] && first=$h
    if [ -n "$h" ] && [ "$h" -ge 2 ] && [ "$h" -gt "$first" ]; then
      echo "devnet: chain $CHAIN_ID at height $h, RPC $RPC_URL"
      return
    fi
    sleep 0.5
  done
  echo "devnet: no blocks after 60 s; the end of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
}

stop() {
  if ! running; then
    rm -f "$PID_FILE"
    echo "devnet: not running"
    return
  fi
  pid=$(cat "$PID_FILE")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; echo "devnet: stopped"; return; }
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  echo "devnet: killed (did not stop within 10 s)"
}

status() {
  if running; then
    echo "devnet: running (pid $(cat "$PID_FILE")), chain $CHAIN_ID, height $(height || echo '?')"
  else
    echo "devnet: not running"
  fi
  echo "  home $HOME_DIR, RPC $RPC_URL, gRPC 127.0.0.1:$GRPC_PORT, REST http://127.0.0.1:$API_PORT"
  running
}

print_env() {
  cat <<EOF
VE_DEVNET_WASMD=$WASMD
VE_DEVNET_HOME=$HOME_DIR
VE_DEVNET_CHAIN_ID=$CHAIN_ID
VE_DEVNET_DENOM=$DENOM
VE_DEVNET_RPC=$RPC_URL
VE_DEVNET_GRPC=127.0.0.1:$GRPC_PORT
VE_DEVNET_REST=http://127.0.0.1:$API_PORT
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$HOME_DIR"; start ;;
  env) print_env ;;
  build) build; echo "devnet: $WASMD ($(grep -o 'github.com/CosmWasm/wasmd v[^ ]*' devnet/wasmd/go.mod | head -1))" ;;
  *) echo "usage: $0 start|stop|status|reset|env|build" >&2; exit 2 ;;
esac
