#!/usr/bin/env bash
# make test: everything CI checks. Starts its own DynamoDB on a free port and stops it after.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
# Each stage's header says when it started, so a slow stage shows in any CI log.
stage() { echo "== $* [${SECONDS} s]"; }

# The lock make tools installs is the lock of requirements.txt: each tool pinned there is locked at
# the same version (make lock refreshes the whole tree).
stage "infra/requirements.lock and uv.lock lock infra/requirements.txt"
"$PY" - <<'PY'
import re
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
pins = lambda text: {norm(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", text, re.M)}
wanted, locked = pins(open("infra/requirements.txt").read()), pins(open("infra/requirements.lock").read())
stale = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
assert not stale, f"infra/requirements.lock is stale (requirements.txt, lock): {stale}; run make lock"
uv = pins(open("infra/uv.lock").read())
assert uv == {"uv": wanted["uv"]}, f"infra/uv.lock holds {uv}, requirements.txt uv=={wanted['uv']}; run make lock"
print(f"infra/requirements.lock: {len(locked)} packages with hashes, every pin of requirements.txt")
PY
stage "events/: a sample event per function, current (infra/events.py check)"
"$PY" infra/events.py check
# Before the long stages, so that a machine without it stops here with what to install.
stage "Chromium for the reference page's browser check (infra/chromium.sh)"
CHROMIUM="$(infra/chromium.sh)"
export CHROMIUM
"$CHROMIUM" --version
stage "cargo fmt --check"
cargo fmt --all --check
stage "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
# Offline: licenses, banned and unknown sources. Advisories need the RustSec database, which
# the GitHub workflow fetches (`cargo deny check advisories`).
stage "cargo deny --offline check licenses bans sources"
# cargo deny reads the metadata of every platform's dependencies; a build fetches only this
# machine's, so fetch the rest first (from the registry, as the build does).
cargo fetch --quiet
cargo deny --offline check licenses bans sources

PORT="$("$PY" infra/local.py free-port)"
PIDFILE=".local/dynamodb-test-$PORT.pid"
trap '"$PY" infra/local.py stop "$PIDFILE"' EXIT
"$PY" infra/local.py start-dynamodb "$PORT" "$PIDFILE" ".local/dynamodb-test.log"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$PORT"
export TABLE_NAME=contacts-test
# moto copies a table with its whole stream for every transaction: the suite's main table goes
# without its stream, and the change feed's tests use a table of their own that has it.
"$PY" infra/local.py create-table "$AWS_ENDPOINT_URL_DYNAMODB" "$TABLE_NAME" --without-stream
export CHANGES_TABLE_NAME=contacts-test-changes
"$PY" infra/local.py create-table "$AWS_ENDPOINT_URL_DYNAMODB" "$CHANGES_TABLE_NAME"

stage "cargo test (infra/tests.py: every test binary; cost.rs and e2e.rs beside the rest, each on a DynamoDB of its own)"
cargo build --workspace --bins
"$PY" infra/tests.py run "$AWS_ENDPOINT_URL_DYNAMODB" 2>&1 | tee .local/test-output.log

# A client generated from the contract has every operation and error model: the generator warns
# about any schema it cannot read (an error envelope it could not merge dropped 99 responses).
stage "openapi-python-client generate (no warning)"
rm -rf .local/client && mkdir -p .local/client
(cd .local/client && openapi-python-client generate --path ../../openapi.yaml --meta none \
  --config ../../infra/openapi-client.yaml) > .local/client.log 2>&1 || { cat .local/client.log; exit 1; }
if grep -qiE "warning|error|skipping" .local/client.log; then
  cat .local/client.log; echo "openapi-python-client warned about openapi.yaml" >&2; exit 1
fi
ls .local/client/*/api | tr '\n' ' '; echo
# TypeScript types from the contract: openapi-typescript (infra/web, make web) with no warning,
# and the types compile under tsc --strict.
stage "openapi-typescript (no warning) and tsc --strict"
rm -rf .local/types && mkdir -p .local/types
infra/web/node_modules/.bin/openapi-typescript openapi.yaml -o .local/types/api.d.ts > .local/types.log 2>&1 \
  || { cat .local/types.log; exit 1; }
if grep -qiE "warn|error|⚠" .local/types.log; then
  cat .local/types.log; echo "openapi-typescript warned about openapi.yaml" >&2; exit 1
fi
infra/web/node_modules/.bin/tsc --noEmit --strict .local/types/api.d.ts
echo "openapi-typescript: .local/types/api.d.ts, $(grep -c operationId openapi.yaml) operations, compiles under tsc --strict"
stage "schemathesis against openapi.yaml and the functions, then the generated Python client and the reference page in Chromium (infra/fuzz.sh)"
infra/fuzz.sh | tee .local/fuzz-output.log

stage "deploy rehearsal: sam validate --lint, cfn-lint with the serverless rules"
sam validate --lint --region "$AWS_REGION"
cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
# The Lambda Managed Instances variant (generated from template.yaml by make generate).
sam validate --lint --region "$AWS_REGION" -t template.managed-instances.yaml
cfn-lint template.managed-instances.yaml --append-rules cfn_lint_serverless.rules
# What `make deploy` runs first: SAM reads the template and builds one function with cargo-lambda
# for the default architecture, arm64, cross-compiled with the zig of the pinned pip package, as
# the default deploy is. Caught that sam build cannot read Fn::ForEach in Resources. Debug
# profile (SAM_BUILD_MODE=debug): the release profile's fat LTO would add minutes to every CI run,
# and make bench builds it for this machine.
stage "deploy rehearsal: sam build RouteNotFoundFunction (arm64)"
rustup target add aarch64-unknown-linux-gnu
SAM_BUILD_MODE=debug sam build RouteNotFoundFunction --build-dir .local/sam-build
"$PY" - <<'PY'
header = open(".local/sam-build/RouteNotFoundFunction/bootstrap", "rb").read(20)
# An ELF executable whose e_machine (bytes 18-19) is 183: AArch64.
assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183, header
print("sam build: bootstrap is an AArch64 executable")
PY
# make deploy ENV=dev|prod: each environment of samconfig.toml names its own stack and only
# parameters the template declares.
stage "deploy rehearsal: samconfig.toml environments"
"$PY" - <<'PY'
import tomllib, yaml
config = tomllib.load(open("samconfig.toml", "rb"))
class Loader(yaml.SafeLoader):
    pass
Loader.add_multi_constructor("!", lambda loader, tag, node: None)
declared = yaml.load(open("template.yaml"), Loader=Loader)["Parameters"]
stacks = {}
for env in ("default", "dev", "prod"):
    deploy = config[env]["deploy"]["parameters"]
    stacks.setdefault(config[env]["global"]["parameters"]["stack_name"], []).append(env)
    for pair in deploy.get("parameter_overrides", "").split():
        name = pair.split("=", 1)[0]
        assert name in declared, f"samconfig.toml [{env}]: {name} is not a template parameter"
assert len(stacks) == 2 and stacks["contacts-api"] == ["default", "prod"], stacks
print("samconfig.toml: default, dev and prod environments OK")
PY
# make bench's chart (infra/bench/chart.py) from a small report: a valid SVG naming each function.
stage "bench chart"
(cd infra && "$PY" - <<'PY'
import xml.etree.ElementTree as ET
from bench.chart import chart
row = lambda name, init, first, size: {"function": name, "init_ms": {"median": init}, "first_invoke_ms": first, "zip_bytes": size}
report = {"targets": {"init_ms": 10, "zip_bytes": 4_000_000}, "machine": {"cpu": "test", "cores": 2, "arch": "x86_64"},
          "functions": [row("create-contact", 12.5, 150.0, 3_700_000), row("get-contact", 8.0, 10.0, 3_100_000)]}
svg = chart(report)
root = ET.fromstring(svg)
texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
assert "create-contact" in texts and "get-contact" in texts, texts
assert sum(1 for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "over") == 1, svg
print("bench chart OK")
PY
)
# The bench's proxy splits a request's time into DynamoDB's and the function's own: calls that
# overlap count once, and the report names that part of a first request over its target.
stage "bench proxy"
(cd infra && "$PY" - <<'PY'
import http.client, threading, time
from http.server import BaseHTTPRequestHandler
from bench.proxy import CountingProxy
from bench.report import misses
from bench.runtime import QuietServer
class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *_): pass
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.2)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
upstream = QuietServer(("127.0.0.1", 0), Slow)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
proxy = CountingProxy(upstream.server_address[1])
def call():
    c = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    c.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.GetItem"})
    assert c.getresponse().read() == b"{}"
start = proxy.busy_ms(); call(); call()
sequential = proxy.busy_ms() - start
start = proxy.busy_ms()
both = [threading.Thread(target=call) for _ in range(2)]
[t.start() for t in both]; [t.join() for t in both]
overlapping = proxy.busy_ms() - start
assert 400 <= sequential < 500, sequential
assert 200 <= overlapping < 300, overlapping
assert proxy.snapshot() == {"GetItem": 4}, proxy.snapshot()
row = {"function": "list-contacts", "init_ms": {"median": 3}, "first_invoke_ms": 52.1, "first_invoke_ddb_ms": 47.3,
       "zip_bytes": 1, "peak_rss_kb": 1, "handler_us": 1}
assert misses({"functions": [row]}) == ["list-contacts: first_invoke_ms 52.1 > 15 (47.3 ms of it waiting on DynamoDB)"]
print(f"bench proxy OK: {sequential:.0f} ms for two calls in turn, {overlapping:.0f} ms for two at once")
PY
)
stage "openapi-spec-validator openapi.yaml"
openapi-spec-validator openapi.yaml

# One closing line over every test binary (cargo prints one per binary, most of them empty).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?/) p += $(i-1); if ($(i) ~ /^failed;?/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' .local/test-output.log
grep '^fuzz:' .local/fuzz-output.log
echo "make test: ${SECONDS} s"
