#!/usr/bin/env bash
# Creates the demo data with the admin commands of `gateway-api`: organisation CNSS, users
# `gestionnaire` (GESTIONNAIRE) and `superviseur` (SUPERVISEUR), and an XOF account with a balance,
# then prints the credentials. Uses DATABASE_URL (default sqlite://data/gateway.db) and BCRYPT_COST
# like the API. Safe to run again: what exists is kept (the CLI exits with 3 for "already exists"),
# and the account is credited only when it is created.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${GATEWAY_API_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build -q -p api --bin gateway-api
  BIN=target/debug/gateway-api
fi

ORG="CNSS"
ACCOUNT_ID="${DEMO_ACCOUNT_ID:-CNSS-XOF-001}"
PAYER_MSISDN="${DEMO_PAYER_MSISDN:-22890000000}"
BALANCE="${DEMO_BALANCE:-1000000000}"
GEST_PW="${DEMO_GESTIONNAIRE_PASSWORD:-gestionnaire123}"
SUP_PW="${DEMO_SUPERVISEUR_PASSWORD:-superviseur123}"

# Runs an admin command; sets CREATED=1 when it created something, 0 when it already existed.
admin() {
  local rc=0
  "$BIN" "$@" || rc=$?
  case "$rc" in
    0) CREATED=1 ;;
    3) CREATED=0; echo "  (already there, kept as is)" ;;
    *) echo "gateway-api $1 failed (exit $rc)" >&2; exit "$rc" ;;
  esac
}

# The password goes through stdin (never a flag, never in the process list).
create_user() {
  local username="$1" role="$2" password="$3" rc=0
  printf '%s\n' "$password" | env -u ADMIN_PASSWORD "$BIN" create-user --org "$ORG" \
    --username "$username" --role "$role" || rc=$?
  case "$rc" in
    0) ;;
    3) echo "  (user $username already exists; its password was NOT changed)" ;;
    *) echo "creating $username failed (exit $rc)" >&2; exit "$rc" ;;
  esac
}

admin migrate
admin create-org "$ORG"
create_user gestionnaire GESTIONNAIRE "$GEST_PW"
create_user superviseur SUPERVISEUR "$SUP_PW"
admin create-account --org "$ORG" --account-id "$ACCOUNT_ID" --currency XOF \
  --party-id-type MSISDN --party-identifier "$PAYER_MSISDN"
if [ "$CREATED" = 1 ]; then
  admin credit --account-id "$ACCOUNT_ID" --amount "$BALANCE"
fi

cat <<INFO

Demo data ready in ${DATABASE_URL:-sqlite://data/gateway.db}
  organisation : $ORG
  account      : $ACCOUNT_ID (XOF, payer MSISDN $PAYER_MSISDN)
  GESTIONNAIRE : username gestionnaire  password $GEST_PW
  SUPERVISEUR  : username superviseur   password $SUP_PW
(passwords shown are those set now; users that already existed kept theirs)
INFO
