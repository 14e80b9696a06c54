# shellcheck shell=bash
# Shared settings and helpers for the scripts in this folder. Sourced, never run:
#   source "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2034 # the variables below are used by the scripts that source this

# Pinned tool versions. Trunk 0.22 needs a newer rustc than this machine has; Debian's
# binaryen (108) silently breaks the app (see README), npm's 132 works.
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
PLAYWRIGHT_VERSION=1.65.1
MQTTJS_VERSION=5.16.0
CARGO_FUZZ_VERSION=0.13.2

ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Tools installed per checkout (binaryen from npm) and run-time state (broker configs, logs).
TOOLS_DIR="$ROOT_DIR/target/tools"
RUN_DIR="$ROOT_DIR/target/run"

# cargo-installed tools and the pinned wasm-opt come first.
export PATH="$TOOLS_DIR/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Bold when talking to a terminal, plain in logs.
if [ -t 2 ]; then
  _bold=$'\033[1m' _red=$'\033[31m' _green=$'\033[32m' _reset=$'\033[0m'
else
  _bold='' _red='' _green='' _reset=''
fi

log() { printf '%s==> %s%s\n' "$_bold" "$*" "$_reset" >&2; }
ok() { printf '%s%s%s\n' "$_green" "$*" "$_reset" >&2; }
warn() { printf '%swarning:%s %s\n' "$_red" "$_reset" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$_red" "$_reset" "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise (never
# prompting under CI=true).
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then sudo -n "$@"; else sudo "$@"; fi
  else
    die "need root to run: $* (no sudo here)"
  fi
}

# The wasm-bindgen version Cargo.lock resolved; the CLI must equal it, or the JS glue it
# generates does not match the compiled crate.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' \
    "$ROOT_DIR/Cargo.lock"
}

# Whether something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits until 127.0.0.1:$1 accepts connections: up to $2 seconds (default 20), and only while
# process $3 (if given) is alive.
wait_port() {
  local port=$1 secs=${2:-20} pid=${3:-} i
  for ((i = 0; i < secs * 10; i++)); do
    port_open "$port" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# A TCP port on 127.0.0.1 that nobody listens on, from the range above the well-known and
# registered ports most services use.
free_port() {
  local port i
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 30000))
    port_open "$port" || {
      echo "$port"
      return 0
    }
  done
  die "no free TCP port found"
}

# Whether an MQTT broker answers on 127.0.0.1:$1: sends a 3.1.1 CONNECT (clean session, empty
# client id) and expects CONNACK "accepted" (20 02 00 00).
mqtt_answers() {
  local reply
  reply=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00' >&3
    timeout 3 head -c 4 <&3 | od -An -tx1 | tr -d ' \n'
  ) || return 1
  [ "$reply" = 20020000 ]
}

# Whether a WebSocket endpoint speaking the "mqtt" subprotocol answers on 127.0.0.1:$1
# (HTTP 101 to an upgrade request).
websocket_answers() {
  local reply
  reply=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf '%s\r\n' 'GET /mqtt HTTP/1.1' 'Host: 127.0.0.1' 'Upgrade: websocket' \
      'Connection: Upgrade' 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
      'Sec-WebSocket-Version: 13' 'Sec-WebSocket-Protocol: mqtt' '' >&3
    timeout 3 head -c 12 <&3
  ) || return 1
  [ "$reply" = "HTTP/1.1 101" ]
}
