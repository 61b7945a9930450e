#!/usr/bin/env bash
# The admin command against the local stack of `make dev` (its table and DynamoDB port).
# Against AWS, run it directly: TABLE_NAME=<stack's TableName> cargo run -q -p admin -- ...
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
export TABLE_NAME="${TABLE_NAME:-contacts-local}"
export AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:${DYNAMODB_PORT:-8000}}"
exec cargo run -q -p admin -- "$@"
