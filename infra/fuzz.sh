#!/usr/bin/env bash
# Contract fuzzing (part of make test): schemathesis generates requests for every operation of
# openapi.yaml, valid and invalid, sends them to the real functions behind cargo lambda watch on
# the DynamoDB that AWS_ENDPOINT_URL_DYNAMODB names, and checks that none answers 5xx, that
# every status is documented, and that every response matches its schema. Bounded in examples
# per operation and in time (FUZZ_SECONDS, 150 by default). It runs on a DynamoDB of its own:
# moto copies every table it holds for each transaction, so the test suite's data would slow
# every write of the fuzzing run.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# Outside the watched tree's files: schemathesis and Hypothesis write their state into their
# working directory, and cargo lambda watch restarts every function when the tree changes.
WORK="$ROOT/.local/fuzz"
rm -rf "$WORK" && mkdir -p "$WORK"
DDB_PORT="$("$PY" infra/local.py free-port)"
DDB_PIDFILE="$WORK/dynamodb.pid"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DDB_PORT"
export TABLE_NAME=contacts-fuzz
"$PY" infra/local.py start-dynamodb "$DDB_PORT" "$DDB_PIDFILE" "$WORK/dynamodb.log"
trap '"$PY" infra/local.py stop "$DDB_PIDFILE"' EXIT
"$PY" infra/local.py create-table "$AWS_ENDPOINT_URL_DYNAMODB" "$TABLE_NAME" --without-stream

PORT="$("$PY" infra/local.py free-port)"
setsid cargo lambda watch --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$PORT" >"$WORK/watch.log" 2>&1 &
WATCH=$!
trap 'kill -INT -- -"$WATCH" 2>/dev/null || true; wait "$WATCH" 2>/dev/null || true
      "$PY" infra/local.py stop "$DDB_PIDFILE"' EXIT
"$PY" - "$PORT" <<'PY'
import sys, time, urllib.error, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/v1/contacts"
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=5)
        break
    except urllib.error.HTTPError:
        break  # any HTTP answer (a 401 here) means the functions are served
    except OSError:
        time.sleep(1)
else:
    sys.exit("cargo lambda watch did not come up")
PY

TOKEN="$("$PY" infra/local.py token "fuzz-$RANDOM" "contacts:read contacts:write" 3600)"
set +e
(cd "$WORK" && PYTHONPATH="$ROOT/infra" SCHEMATHESIS_HOOKS=fuzz_hooks schemathesis --config-file "$ROOT/infra/schemathesis.toml" run \
  "$ROOT/openapi.yaml" --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,positive_data_acceptance \
  --max-examples "${FUZZ_EXAMPLES:-10}" --max-time "${FUZZ_SECONDS:-150}" \
  --workers 1 --request-timeout 30 --seed "${FUZZ_SEED:-20261124}" --no-color) >"$WORK/report.txt" 2>&1
status=$?
set -e
sed -n '/SUMMARY/,$p' "$WORK/report.txt"
if [ "$status" -ne 0 ]; then
  cat "$WORK/report.txt"
  echo "schemathesis found failures or errors (full report: $WORK/report.txt)" >&2
  exit "$status"
fi
cases="$(grep -Eo '[0-9]+ generated' "$WORK/report.txt" | grep -Eo '[0-9]+' | head -1)"
echo "fuzz: ${cases:-?} cases against openapi.yaml, 0 failures"

# The Python client generated from openapi.yaml (make test generates it into .local/client
# first) against the same functions, in a tenant of its own.
CLIENT_TOKEN="$("$PY" infra/local.py token "client-$RANDOM" "contacts:read contacts:write" 3600)"
PYTHONPATH="$ROOT/.local/client" "$PY" infra/client_check.py "http://127.0.0.1:$PORT" "$CLIENT_TOKEN"

# The API reference page (infra/reference.py, as make dev serves it) in headless Chromium: every
# operation shown, and "Try it out" answered by the same functions. CHROMIUM: infra/chromium.sh.
DOCS_PORT="$("$PY" infra/local.py free-port)"
"$PY" infra/reference.py "$DOCS_PORT" "$PORT" 2>"$WORK/reference.log" &
DOCS=$!
trap 'kill "$DOCS" 2>/dev/null || true; kill -INT -- -"$WATCH" 2>/dev/null || true; wait "$WATCH" 2>/dev/null || true
      "$PY" infra/local.py stop "$DDB_PIDFILE"' EXIT
"$PY" infra/local.py wait-port "$DOCS_PORT"
PAGE_TOKEN="$("$PY" infra/local.py token "page-$RANDOM" "contacts:read contacts:write" 3600)"
node infra/web/reference_check.mjs "http://127.0.0.1:$DOCS_PORT/reference/" "$PAGE_TOKEN"
