#!/usr/bin/env bash
# The C tour in one command. On a machine with Rust and a C compiler: builds the library and the
# emulator, starts the emulator on a free loopback port, runs examples-c/tour against it (each
# step printed) and stops the emulator. With FIRECREST_URL already set (plus FIRECREST_CLIENT_ID,
# FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, FIRECREST_SYSTEM, FIRECREST_HOME) it runs the tour
# against that FirecREST instead and starts no emulator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ -n "${FIRECREST_URL:-}" ]; then
  echo "== FIRECREST_URL is set: touring $FIRECREST_URL (no emulator)"
  cargo build --release --lib
  make -s -C examples-c LIBDIR=../target/release all
  exec examples-c/build/tour
fi

echo "== building the library and the emulator"
cargo build --release
make -s -C examples-c LIBDIR=../target/release all

lines=$(mktemp)
target/release/firecrest-emulator --port 0 >"$lines" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -f "$lines"' EXIT

# The emulator prints KEY=value lines (FIRECREST_URL ... FIRECREST_HOME) once it listens.
for _ in $(seq 300); do
  grep -q '^\(export \)\?FIRECREST_HOME=' "$lines" && break
  kill -0 "$emulator" 2>/dev/null || { echo "the emulator exited:"; cat "$lines"; exit 1; }
  sleep 0.1
done
grep -q '^\(export \)\?FIRECREST_HOME=' "$lines" || { echo "the emulator printed no FIRECREST_HOME"; exit 1; }
# Only plain KEY=value lines are evaluated, each as an export.
eval "$(sed -n 's/^\(export \)\?\([A-Z_][A-Z0-9_]*=[^;&|`$()<>]*\)$/export \2/p' "$lines")"
echo "== emulator at $FIRECREST_URL (system $FIRECREST_SYSTEM, home $FIRECREST_HOME)"

examples-c/build/tour
