"""make test's test run: every test binary of the workspace, the slowest side by side.

  run ENDPOINT   build every test target (`cargo test --workspace --all-targets --no-run`), then
                 run each binary as `cargo test` does (from its package's folder, no arguments).
                 The binaries named in OWN_DYNAMODB each get a local DynamoDB of their own and
                 run beside the rest, which run one after another against ENDPOINT.

The local DynamoDB (moto) serves one request at a time (infra/local.py), so the tests that load
it for minutes (cost.rs: 10 000 contacts, twice; e2e.rs: every function behind `cargo lambda
watch`) were most of the suite's wall time while the machine's other core stood idle. Each binary
runs whole and unchanged: nothing is skipped, and a binary that is not named here runs in the
main lane. The binaries are run directly, not through `cargo test`, because cargo holds the
build folder's lock while its tests run, and e2e.rs's `cargo lambda watch` needs that lock.

Prints each binary's output as `cargo test` would (a lane's output once the lane is done) and
exits 1 if any binary failed.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local  # noqa: E402

ROOT = local.ROOT
# Test binaries (cargo target names) that run beside the others, each on its own DynamoDB.
OWN_DYNAMODB = ("cost", "e2e")


def test_binaries() -> list[dict]:
    """Every test executable of the workspace, built now, in cargo's order."""
    build = subprocess.run(
        ["cargo", "test", "--workspace", "--all-targets", "--no-run",
         "--message-format=json-render-diagnostics"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    if build.returncode != 0:
        sys.exit(build.returncode)
    binaries = []
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["profile"]["test"]:
            binaries.append({
                "name": message["target"]["name"],
                "kind": message["target"]["kind"][0],
                "src": message["target"]["src_path"],
                "executable": message["executable"],
                "package_dir": str(Path(message["manifest_path"]).parent),
            })
    return binaries


def run_lane(name: str, binaries: list[dict], endpoint: str, results: dict) -> None:
    """Runs `binaries` one after another against `endpoint`; output to .local/test-NAME.log."""
    started = time.monotonic()
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    log_path = ROOT / ".local" / f"test-{name}.log"
    failed = []
    with open(log_path, "w") as log:
        for binary in binaries:
            src = os.path.relpath(binary["src"], binary["package_dir"])
            label = "unittests " + src if binary["kind"] in ("lib", "bin") else src
            log.write(f"     Running {label} ({os.path.relpath(binary['executable'], ROOT)})\n")
            log.flush()
            status = subprocess.run(
                [binary["executable"]], cwd=binary["package_dir"], stdout=log,
                stderr=subprocess.STDOUT, env={**env, "CARGO_MANIFEST_DIR": binary["package_dir"]},
            ).returncode
            if status != 0:
                failed.append(label)
    results[name] = (failed, time.monotonic() - started)


def own_dynamodb(name: str) -> tuple[str, str]:
    """Starts a local DynamoDB for one lane, with the suite's tables; (endpoint, pid file)."""
    port = str(local.pick_free_port())
    pid_file = str(ROOT / ".local" / f"dynamodb-test-{name}-{port}.pid")
    local.start_dynamodb(port, pid_file, str(ROOT / ".local" / f"dynamodb-test-{name}.log"))
    endpoint = f"http://127.0.0.1:{port}"
    local.create_table(endpoint, os.environ["TABLE_NAME"], "--without-stream")
    local.create_table(endpoint, os.environ["CHANGES_TABLE_NAME"])
    return endpoint, pid_file


def run(endpoint: str) -> None:
    binaries = test_binaries()
    lanes = {"main": [b for b in binaries if b["name"] not in OWN_DYNAMODB or b["kind"] != "test"]}
    for name in OWN_DYNAMODB:
        lanes[name] = [b for b in binaries if b["name"] == name and b["kind"] == "test"]
        if not lanes[name]:
            sys.exit(f"infra/tests.py: no test target named {name}: update OWN_DYNAMODB")
    pid_files = []
    results: dict = {}
    try:
        threads = []
        for name, members in lanes.items():
            lane_endpoint = endpoint
            if name != "main":
                lane_endpoint, pid_file = own_dynamodb(name)
                pid_files.append(pid_file)
            thread = threading.Thread(target=run_lane, args=(name, members, lane_endpoint, results))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
    finally:
        for pid_file in pid_files:
            local.stop(pid_file)
    failed = []
    for name in lanes:
        sys.stdout.write((ROOT / ".local" / f"test-{name}.log").read_text())
        lane_failed, seconds = results.get(name, ([f"lane {name} did not finish"], 0.0))
        print(f"lane {name}: {len(lanes[name])} test binaries in {seconds:.0f} s")
        failed += lane_failed
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "run":
        sys.exit(__doc__)
    run(sys.argv[2])
