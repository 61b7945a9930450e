#!/usr/bin/env bash
# make db: a local DynamoDB and the suite's tables, until Ctrl-C, for running one test file by
# hand (CONTRIBUTING.md, "One test file"). Prints the variables the tests read.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
PORT="${DYNAMODB_PORT:-8000}"
PIDFILE=".local/dynamodb-db-$PORT.pid"
trap '"$PY" infra/local.py stop "$PIDFILE"; echo "stopped local DynamoDB"' EXIT
"$PY" infra/local.py start-dynamodb "$PORT" "$PIDFILE" .local/dynamodb-db.log
ENDPOINT="http://127.0.0.1:$PORT"
"$PY" infra/local.py create-table "$ENDPOINT" contacts-test --without-stream
"$PY" infra/local.py create-table "$ENDPOINT" contacts-test-changes
cat <<MSG

Local DynamoDB on $ENDPOINT with the tables of make test. In another shell:

  export AWS_ENDPOINT_URL_DYNAMODB=$ENDPOINT TABLE_NAME=contacts-test CHANGES_TABLE_NAME=contacts-test-changes
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
  cargo test -p shared --test api patch::        # one file of shared/tests/api (its module)

Ctrl-C stops it.
MSG
# `wait` returns at a signal, so Ctrl-C (or a TERM) stops the server at once.
while true; do sleep 3600 & wait $!; done
