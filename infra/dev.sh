#!/usr/bin/env bash
# make dev: local DynamoDB, the table from template.yaml, every function built, and every route
# served by `cargo lambda watch` until Ctrl-C; stops what it started.
set -euo pipefail
# An optional .env first (.env.example lists every variable): the shell wins over it, and it
# over the defaults here and in env.sh.
source "$(dirname "$0")/dotenv.sh"
load_dotenv "$(dirname "$0")/../.env"
source "$(dirname "$0")/env.sh"
cd "$ROOT"

DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
API_PORT="${API_PORT:-9000}"
DOCS_PORT="${DOCS_PORT:-9001}"
export TABLE_NAME="${TABLE_NAME:-contacts-local}"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"
# One local stream pump records the change feed, in order: no entry can land behind another.
export CHANGES_SETTLE_MS="${CHANGES_SETTLE_MS:-0}"
PIDFILE=.local/dynamodb-dev.pid

for var in API_PORT DOCS_PORT; do
  if "$PY" infra/local.py port-in-use "${!var}"; then
    echo "port ${!var} on 127.0.0.1 is already in use; set $var to another port" >&2
    exit 1
  fi
done
# The reference page needs Swagger UI from npm (make web); without npm the API is served alone.
REFERENCE=""
if command -v npm >/dev/null && make -s web; then
  REFERENCE="http://127.0.0.1:$DOCS_PORT/reference/"
else
  echo "no npm (Node.js): serving the API without its reference page (sudo apt install nodejs npm, then make web)" >&2
fi

PUMP=""
DOCS=""
trap '[ -n "$PUMP" ] && kill "$PUMP" 2>/dev/null; [ -n "$DOCS" ] && kill "$DOCS" 2>/dev/null
      "$PY" infra/local.py stop "$PIDFILE"; echo "stopped local DynamoDB"' EXIT
"$PY" infra/local.py start-dynamodb "$DYNAMODB_PORT" "$PIDFILE" .local/dynamodb-dev.log
"$PY" infra/local.py create-table "$AWS_ENDPOINT_URL_DYNAMODB" "$TABLE_NAME"

echo "building every function (the first build takes a few minutes)..."
cargo build --workspace --bins

TOKEN="$("$PY" infra/local.py token acme "contacts:read contacts:write" 86400)"
cat <<MSG

Contacts API on http://127.0.0.1:$API_PORT (tenant "acme", token valid 24 h, signed with JWT_SECRET).

  export TOKEN=$TOKEN
  curl -s -X POST http://127.0.0.1:$API_PORT/v1/contacts \\
    -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '{"name":"John","surname":"Doe","email":"john.doe@example.com","phone":"+49 170 1234 5678"}'
  curl -s http://127.0.0.1:$API_PORT/v1/contacts -H "Authorization: Bearer \$TOKEN"

Other tenants or scopes: make token TENANT=other SCOPES=contacts:read
${REFERENCE:+API reference: $REFERENCE (Swagger UI: Authorize with the token above, then Try it out)
}Ctrl-C stops the API and the local DynamoDB (its data is in memory and goes with it).

MSG
# The table's stream to the change feed's consumer, as Lambda's event source mapping does.
"$PY" infra/local.py pump-stream "$AWS_ENDPOINT_URL_DYNAMODB" "$TABLE_NAME" \
  "http://127.0.0.1:$API_PORT/2015-03-31/functions/record-changes/invocations" 2>>.local/stream-pump.log &
PUMP=$!
if [ -n "$REFERENCE" ]; then
  "$PY" infra/reference.py "$DOCS_PORT" "$API_PORT" 2>>.local/reference.log &
  DOCS=$!
fi
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT"
