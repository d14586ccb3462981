#!/usr/bin/env bash
# Browser tests of the console and of CORS: Debian's Chromium driven by playwright-core (from npm,
# into tests/browser/node_modules; no browser download), against the real `demo` binary.
# Usage: scripts/browser-tests.sh            (SCREENSHOTS=docs/screenshots to refresh the README's pictures)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing: apt-get install chromium (Debian's package)" >&2
  exit 1
fi
if [ -n "${SCREENSHOTS:-}" ]; then
  mkdir -p "$SCREENSHOTS"
  SCREENSHOTS="$(cd "$SCREENSHOTS" && pwd)"
  export SCREENSHOTS
fi
cargo build -q -p demo --bin gateway-demo
export DEMO_BIN="$PWD/target/debug/gateway-demo"
cd tests/browser
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
