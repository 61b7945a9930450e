"""One function's figures: its init over fresh processes (as built, and as deployed), its first
and warm invocations, its memory and its DynamoDB calls."""

import json
import os
import statistics
import sys
import uuid
from pathlib import Path

from . import ROOT
from .proxy import CountingProxy
from .runtime import Function
from .scenarios import answered, scenarios

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import local  # noqa: E402

INIT_RUNS = int(os.environ.get("BENCH_INIT_RUNS", "10"))
WARM_RUNS = int(os.environ.get("BENCH_WARM_RUNS", "200"))


def criterion_us(name: str) -> float | None:
    estimates = ROOT / "target" / "criterion" / name / "new" / "estimates.json"
    if not estimates.exists():
        return None
    return round(json.loads(estimates.read_text())["mean"]["point_estimate"] / 1000, 1)


def fresh_processes(name: str, env: dict, first_request, proxy: CountingProxy | None = None) -> dict:
    """INIT_RUNS fresh processes: init wall and CPU time, and, when `first_request` is given (a
    request that can be sent again), their first invocation's wall and CPU time, and the part of
    its wall time DynamoDB took to answer (when its calls go through `proxy`)."""
    runs = {"init": [], "init_cpu": [], "first": [], "first_cpu": [], "first_ddb": []}
    for _ in range(INIT_RUNS):
        fresh = Function(name, env)
        try:
            runs["init"].append(fresh.init_ms)
            runs["init_cpu"].append(fresh.init_cpu_ms)
            if first_request is not None:
                waited = proxy.busy_ms() if proxy else 0.0
                elapsed, _ = fresh.invoke(first_request)
                runs["first"].append(elapsed)
                runs["first_cpu"].append(fresh.last_cpu_ms)
                if proxy:
                    runs["first_ddb"].append(proxy.busy_ms() - waited)
        finally:
            fresh.stop()
    return runs


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def process_figures(runs: dict) -> dict:
    """Init (median, max) and first request (median), wall and CPU, of `fresh_processes`; the
    first request's wall time split into the time DynamoDB took to answer and the rest."""
    return {
        "init_ms": {"median": median(runs["init"]), "max": round(max(runs["init"]), 2), "runs": len(runs["init"])},
        "init_cpu_ms": {"median": median(runs["init_cpu"])},
        "first_invoke_ms": median(runs["first"]),
        "first_invoke_cpu_ms": median(runs["first_cpu"]),
        "first_invoke_ddb_ms": median(runs["first_ddb"]),
        "first_invoke_own_ms": median([f - d for f, d in zip(runs["first"], runs["first_ddb"])]),
    }


def measure(name: str, values_env: dict, deployed_env: dict, moto_port: int) -> dict:
    table = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    # No consumer runs here; without the stream moto does not copy it per transaction.
    local.create_table(f"http://127.0.0.1:{moto_port}", table, "--without-stream")
    proxy = CountingProxy(moto_port)
    values_env = dict(values_env, TABLE_NAME=table, AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    env = dict(deployed_env, TABLE_NAME=table, AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    scenario = scenarios(env, WARM_RUNS + 1)[name]
    state = scenario.setup()

    # A request that can be sent to each fresh process: not a delete or a restore, which use
    # up what the setup made.
    repeatable = scenario.expected != 204 and name != "restore-contact"
    runs = fresh_processes(name, values_env, scenario.request(state, 0) if repeatable else None, proxy)
    # As deployed: the secrets read from Secrets Manager (one local round trip each, at once),
    # then with the DynamoDB connection opened during init too (DYNAMODB_PREWARM).
    secrets_inits = fresh_processes(name, env, None)["init"]
    prewarmed_inits, prewarmed_firsts = [], []
    for i in range(INIT_RUNS):
        fresh = Function(name, dict(env, DYNAMODB_PREWARM="true"))
        prewarmed_inits.append(fresh.init_ms)
        if i < 3 and scenario.expected != 204:
            elapsed, _ = fresh.invoke(scenario.request(state, 0))
            prewarmed_firsts.append(elapsed)
        fresh.stop()

    function = Function(name, env)
    try:
        waited = proxy.busy_ms()
        first_ms, response = function.invoke(scenario.request(state, 0))
        function_first_cpu = function.last_cpu_ms
        function_first_ddb = proxy.busy_ms() - waited
        assert answered(response, scenario.expected), (name, response)
        before = proxy.snapshot()
        warm = []
        for i in range(1, WARM_RUNS + 1):
            elapsed, response = function.invoke(scenario.request(state, i))
            assert answered(response, scenario.expected), (name, i, response)
            warm.append(elapsed)
        after = proxy.snapshot()
        rss = function.peak_rss_kb()
    finally:
        function.stop()
        proxy.close()

    calls = {op: (after.get(op, 0) - before.get(op, 0)) / WARM_RUNS for op in after}
    calls = {op: round(c, 2) for op, c in calls.items() if c}
    zip_path = ROOT / "target" / "lambda" / name / "bootstrap.zip"
    figures = process_figures(runs)
    warm.sort()
    return {
        "function": name,
        "zip_bytes": zip_path.stat().st_size if zip_path.exists() else None,
        **figures,
        # The median over the fresh processes, or (a delete, a restore) the one process's first.
        "first_invoke_ms": figures["first_invoke_ms"] or round(first_ms, 2),
        "first_invoke_cpu_ms": figures["first_invoke_cpu_ms"] or round(function_first_cpu, 2),
        "first_invoke_ddb_ms": figures["first_invoke_ddb_ms"] if runs["first"] else round(function_first_ddb, 2),
        "first_invoke_own_ms": figures["first_invoke_own_ms"] if runs["first"] else round(first_ms - function_first_ddb, 2),
        "first_invoke_runs": len(runs["first"]) or 1,
        "deployed": {
            "secrets_init_ms_median": round(statistics.median(secrets_inits), 2),
            "init_ms_median": round(statistics.median(prewarmed_inits), 2),
            "first_invoke_ms_median": round(statistics.median(prewarmed_firsts), 2) if prewarmed_firsts else None,
        },
        "warm_p50_ms": round(warm[len(warm) // 2], 2),
        "warm_p99_ms": round(warm[min(len(warm) - 1, int(len(warm) * 0.99))], 2),
        "warm_runs": len(warm),
        "peak_rss_kb": rss,
        "ddb_calls": round(sum(calls.values()), 2),
        "ddb_calls_by_operation": calls,
        "handler_us": criterion_us(name),
    }


REFERENCE = "bare-runtime"


def reference(env: dict) -> dict:
    """The bare runtime (infra/bare-runtime: lambda_http and an answer, nothing else), measured
    as the functions are: what a function's init adds to a cold start is its init over this."""
    from . import events
    runs = fresh_processes(REFERENCE, env, events.http("GET", "/"))
    zip_path = ROOT / "target" / "lambda" / REFERENCE / "bootstrap.zip"
    return {
        "function": REFERENCE,
        "zip_bytes": zip_path.stat().st_size if zip_path.exists() else None,
        **process_figures(runs),
    }
