#!/usr/bin/env bash
# CI: start the embedded mode on free ports, run the walk-through against it, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
log="$data/demo.log"
cargo build -q -p demo
DATABASE_URL="sqlite://$data/gateway.db" BIND_ADDR=127.0.0.1:18080 SIM_BIND_ADDR=127.0.0.1:14001 \
  target/debug/gateway-demo > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for i in $(seq 1 60); do
  curl -fsS http://127.0.0.1:18080/health/ready >/dev/null 2>&1 && break
  sleep 1
done
scripts/test-workflow.sh http://127.0.0.1:18080 || { cat "$log"; exit 1; }
