#!/usr/bin/env bash
# make bench: release builds as Lambda ships them, the criterion request-path benchmark, then
# every function measured by infra/bench/ (python -m bench). See docs/performance.md.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
echo "== cargo lambda build --release --output-format zip ($(uname -m))" >&2
cargo lambda build --release --output-format zip >&2
cargo lambda build --release >&2
echo "== criterion: shared/benches/request_path.rs" >&2
cargo bench -p shared --bench request_path -- --warm-up-time 1 --measurement-time 2 >&2
echo "== measuring every function" >&2
PYTHONPATH="$ROOT/infra" "$PY" -m bench "$@"
