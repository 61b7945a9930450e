"""make bench (infra/bench.sh runs `python -m bench` from infra/): every function of the route
table measured, target/bench/report.json written, the table printed."""

import json
import sys

from . import ROOT, TABLE
from .chart import write as write_chart
from .concurrency import FUNCTION as CONCURRENT, concurrency
from .large_page import large_page
from .measure import INIT_RUNS, WARM_RUNS, measure, reference
from .report import TARGETS, machine, print_table
from .scenarios import scenarios
from .stack import secrets_env, stack


def main() -> None:
    functions = TABLE["functions"]
    missing = [f["name"] for f in functions if f["name"] not in scenarios({}, 1)]
    if missing:
        sys.exit(f"no bench scenario for {', '.join(missing)}: add one to infra/bench/scenarios.py")
    if len(sys.argv) > 1:
        functions = [f for f in functions if f["name"] in sys.argv[1:]]
    results = []
    page = None
    concurrent = None
    with stack() as (port, base_env, values, arns):
        print("measuring the bare runtime (reference) ...", file=sys.stderr, flush=True)
        bare = reference(base_env)
        for function in functions:
            print(f"measuring {function['name']} ...", file=sys.stderr, flush=True)
            results.append(measure(function["name"], secrets_env(base_env, function, values),
                                   secrets_env(base_env, function, arns), port))
        lister = next((f for f in functions if f["name"] == "list-contacts"), None)
        if lister:
            print("measuring a page of large contacts ...", file=sys.stderr, flush=True)
            page = large_page(secrets_env(base_env, lister, values), port)
        reader = next((f for f in functions if f["name"] == CONCURRENT), None)
        if reader:
            print(f"measuring {CONCURRENT} at concurrency 1 and 8 ...", file=sys.stderr, flush=True)
            concurrent = concurrency(secrets_env(base_env, reader, values), port)
    report = {
        "machine": machine(),
        "command": "make bench",
        "init_runs": INIT_RUNS,
        "warm_runs": WARM_RUNS,
        "targets": TARGETS,
        "reference": bare,
        "functions": results,
        "large_page": page,
        "concurrency": concurrent,
    }
    (ROOT / "target" / "bench" / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    write_chart(report, ROOT / "target" / "bench" / "chart.svg")
    print_table(report)


main()
