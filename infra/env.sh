# Environment shared by infra/dev.sh and infra/test.sh: the pinned tools on PATH, dummy AWS
# credentials (moto accepts any), and the functions' configuration for local runs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export JWT_SECRET="${JWT_SECRET:-local-dev-secret}"
export CURSOR_SECRET="${CURSOR_SECRET:-local-cursor-secret}"
export SAM_CLI_TELEMETRY=0
PY="$ROOT/.venv/bin/python"
mkdir -p "$ROOT/.local"
