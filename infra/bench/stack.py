"""The local stack a bench run measures against: moto on a free port with the bench's secrets,
and the environment each function gets (its secrets as values, or by ARN as deployed)."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import ROOT
from .events import SECRET

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import local  # noqa: E402

CURSOR_SECRET = "bench-cursor-secret-bench-cursor-secret"


def secrets_env(base_env: dict, function: dict, secrets: dict) -> dict:
    """The secrets the route table gives a function (`secrets` maps each to its variable and
    value: ARNs as deployed, or the values themselves)."""
    env = dict(base_env)
    if function["token_key"]:
        env.update([secrets["jwt"]])
    if function["cursor_key"]:
        env.update([secrets["cursor"]])
    return env


@contextmanager
def stack() -> Iterator[tuple[int, dict, dict, dict]]:
    """Starts moto and stores the secrets; yields its port, the base environment, and the
    secrets as values and as ARNs (for `secrets_env`); stops moto after."""
    port = int(subprocess.check_output([sys.executable, local.__file__, "free-port"]).strip())
    out = ROOT / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    pid_file = out / "dynamodb.pid"
    local.start_dynamodb(str(port), str(pid_file), str(out / "dynamodb.log"))
    try:
        endpoint = f"http://127.0.0.1:{port}"
        values = {"jwt": ("JWT_SECRET", SECRET), "cursor": ("CURSOR_SECRET", CURSOR_SECRET)}
        arns = {
            "jwt": ("JWT_SECRET_ARN", local.create_secret(endpoint, "bench-jwt", SECRET)),
            "cursor": ("CURSOR_SECRET_ARN", local.create_secret(endpoint, "bench-cursor", CURSOR_SECRET)),
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
        yield port, base_env, values, arns
    finally:
        local.stop(str(pid_file))
