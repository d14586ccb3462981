#!/usr/bin/env bash
# The seed's walk-through, runnable: log in, upload a standard CSV, follow the live stream to `done`,
# then print the status and the report. Works against the embedded mode or docker compose.
#   usage: scripts/test-workflow.sh [BASE_URL]   (default http://127.0.0.1:8080)
# Env: GW_USER / GW_PASSWORD (default the demo gestionnaire), ROWS (default 5), TIMEOUT (s, default 120).
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
USER_NAME=${GW_USER:-gestionnaire}
PASSWORD=${GW_PASSWORD:-gestionnaire123}
ROWS=${ROWS:-5}
TIMEOUT=${TIMEOUT:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

echo "1. login as $USER_NAME at $BASE"
curl -fsS "$BASE/api/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}" > "$work/login.json"
TOKEN=$(json_field access < "$work/login.json")

echo "2. upload $ROWS transfers"
run=$(date +%s%N)
{
  echo "transferId,amount,currency,partyIdType,partyIdentifier"
  for i in $(seq 1 "$ROWS"); do
    printf 'wf-%s-%03d,%d,XOF,MSISDN,22890%06d1\n' "$run" "$i" $((1000 + i)) "$i"
  done
} > "$work/standard.csv"
code=$(curl -sS -o "$work/upload.json" -w '%{http_code}' "$BASE/api/bulk-transfers" \
  -H "Authorization: Bearer $TOKEN" -F "file=@$work/standard.csv;type=text/csv")
cat "$work/upload.json"; echo
[ "$code" = 202 ] || { echo "upload refused with HTTP $code"; exit 1; }
BULK=$(json_field bulkTransferId < "$work/upload.json")

echo "3. follow $BULK live (SSE) until done"
TICKET=$(curl -fsS -X POST "$BASE/api/bulk-transfers/$BULK/stream-ticket" -H "Authorization: Bearer $TOKEN" | json_field ticket)
timeout "$TIMEOUT" curl -sN "$BASE/api/bulk-transfers/$BULK/stream?ticket=$TICKET" | while IFS= read -r line; do
  case "$line" in
    data:*) echo "   ${line#data: }" ;;
    "event: done") echo "   -- done --" ;;
  esac
done
echo "4. status"
curl -fsS "$BASE/api/bulk-transfers/$BULK/status" -H "Authorization: Bearer $TOKEN" > "$work/status.json"
python3 - "$work/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"   {s['bulkTransferId']}: {s['state']} {s['succeeded']}/{s['total']} succeeded, {s['failed']} failed")
if s["state"] not in ("COMPLETED", "PARTIALLY_COMPLETED", "FAILED"):
    sys.exit("bulk is not final")
PY
echo "5. report"
curl -fsS "$BASE/api/bulk-transfers/$BULK/report.csv" -H "Authorization: Bearer $TOKEN"
echo "workflow OK"
