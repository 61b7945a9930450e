"""make bench (infra/bench.sh runs `python -m bench` from infra/): every function of the route
table measured, target/bench/report.json written, the table printed."""

import json
import os
import subprocess
import sys
from pathlib import Path

from . import ROOT, TABLE
from .events import SECRET
from .measure import INIT_RUNS, WARM_RUNS, measure
from .report import TARGETS, machine, print_table
from .scenarios import scenarios

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import local  # noqa: E402


def secrets_env(base_env: dict, function: dict, secrets: dict) -> dict:
    """The secrets the route table gives a function (`secrets` maps each to its variable and
    value: ARNs as deployed, or the values themselves)."""
    env = dict(base_env)
    if function["token_key"]:
        env.update([secrets["jwt"]])
    if function["cursor_key"]:
        env.update([secrets["cursor"]])
    return env


def main() -> None:
    functions = TABLE["functions"]
    missing = [f["name"] for f in functions if f["name"] not in scenarios({}, 1)]
    if missing:
        sys.exit(f"no bench scenario for {', '.join(missing)}: add one to infra/bench/scenarios.py")
    if len(sys.argv) > 1:
        functions = [f for f in functions if f["name"] in sys.argv[1:]]
    port = int(subprocess.check_output([sys.executable, local.__file__, "free-port"]).strip())
    out = ROOT / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    pid_file = out / "dynamodb.pid"
    local.start_dynamodb(str(port), str(pid_file), str(out / "dynamodb.log"))
    endpoint = f"http://127.0.0.1:{port}"
    cursor_secret = "bench-cursor-secret-bench-cursor-secret"
    values = {"jwt": ("JWT_SECRET", SECRET), "cursor": ("CURSOR_SECRET", cursor_secret)}
    arns = {
        "jwt": ("JWT_SECRET_ARN", local.create_secret(endpoint, "bench-jwt", SECRET)),
        "cursor": ("CURSOR_SECRET_ARN", local.create_secret(endpoint, "bench-cursor", cursor_secret)),
    }
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
        # Secrets by ARN are read from moto's Secrets Manager directly (the counting proxy
        # counts DynamoDB calls only).
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
        # Feed entries seeded just before are read at once (the settle time only filters).
        "CHANGES_SETTLE_MS": "0",
    }
    results = []
    try:
        for function in functions:
            print(f"measuring {function['name']} ...", file=sys.stderr, flush=True)
            results.append(measure(function["name"], secrets_env(base_env, function, values),
                                   secrets_env(base_env, function, arns), port))
    finally:
        local.stop(str(pid_file))
    report = {
        "machine": machine(),
        "command": "make bench",
        "init_runs": INIT_RUNS,
        "warm_runs": WARM_RUNS,
        "targets": TARGETS,
        "functions": results,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


main()
