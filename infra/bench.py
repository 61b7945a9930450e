"""make bench: every function as Lambda ships it, measured.

For each function of template.yaml, from its release build (target/lambda/<name>/bootstrap):

  zip_bytes        size of target/lambda/<name>/bootstrap.zip (cargo lambda build --output-format zip)
  init_ms          process start -> its first GET /runtime/invocation/next on the Lambda Runtime
                   API emulator below; median and max over INIT_RUNS fresh processes: the
                   function's own start-up, with its secrets as values and no prewarm
  deployed         the same as template.yaml deploys it: "secrets_init_ms_median" with the secrets
                   read from (moto's) Secrets Manager by ARN, "init_ms_median" with that and the
                   DynamoDB prewarm, and that configuration's first invocation
  first_invoke_ms  the first invocation of a fresh process (first DynamoDB connection included)
  warm_p50_ms/p99  WARM_RUNS further invocations of that process
  peak_rss_kb      the process's VmHWM after all of them
  ddb_calls        DynamoDB requests per warm invocation, counted by a forwarding proxy in front of
                   the local DynamoDB (by X-Amz-Target), with the breakdown per operation
  handler_us       from the criterion benchmark shared/benches/request_path.rs (DynamoDB taken out)

Every invocation is a real API Gateway HTTP API (payload 2.0) event with a valid HS256 token,
against the moto server on loopback. Each function gets a fresh table, seeded through the
create functions themselves. Writes target/bench/report.json and prints a table.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
INIT_RUNS = int(os.environ.get("BENCH_INIT_RUNS", "10"))
WARM_RUNS = int(os.environ.get("BENCH_WARM_RUNS", "200"))
SECRET = "bench-secret-bench-secret-bench-secret"
TARGETS = {"init_ms": 10, "zip_bytes": 4_000_000, "peak_rss_kb": 30_000, "handler_us": 50}


class QuietServer(ThreadingHTTPServer):
    """A threaded server that does not print the resets of the processes the harness kills."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


# ---- Lambda Runtime API emulator ------------------------------------------------------------

class RuntimeApi:
    """The four endpoints of the Lambda Runtime API a function uses, on 127.0.0.1."""

    def __init__(self):
        self.events = queue.Queue()
        self.responses = queue.Queue()
        self.first_next = None
        self.first_next_seen = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without it, headers and body leave as two segments and Nagle's algorithm meets the
            # client's delayed ACK: 40 ms per response that no real endpoint has.
            disable_nagle_algorithm = True

            def log_message(self, *_):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404, b"{}")
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                    api.first_next_seen.set()
                request_id, event = api.events.get()
                if event is None:
                    # Shutting down: keep the function parked on this request.
                    time.sleep(3600)
                    return
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.endswith("/response"):
                    api.responses.put((time.perf_counter(), json.loads(body or b"null")))
                elif self.path.endswith("/error"):
                    api.responses.put((time.perf_counter(), {"error": body.decode(errors="replace")}))
                self._reply(202, b"{}")

            def _reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, event, timeout=30):
        started = time.perf_counter()
        self.events.put((str(uuid.uuid4()), event))
        finished, response = self.responses.get(timeout=timeout)
        return (finished - started) * 1000, response

    def close(self):
        self.events.put(("stop", None))
        self.server.shutdown()


# ---- DynamoDB request counter ----------------------------------------------------------------

class CountingProxy:
    """Forwards every request to the local DynamoDB and counts them by operation."""

    def __init__(self, upstream_port):
        self.counts = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without it, headers and body leave as two segments and Nagle's algorithm meets the
            # client's delayed ACK: 40 ms per response that no real endpoint has.
            disable_nagle_algorithm = True

            def log_message(self, *_):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                target = (self.headers.get("X-Amz-Target") or "?").split(".")[-1]
                with proxy.lock:
                    proxy.counts[target] = proxy.counts.get(target, 0) + 1
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request("POST", self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def snapshot(self):
        with self.lock:
            return dict(self.counts)


# ---- functions and their requests ------------------------------------------------------------

def token():
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"sub": "bench", "tenant": "bench", "scope": "contacts:read contacts:write",
              "iat": now, "exp": now + 3600}
    enc = lambda part: base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signing_input = f"{enc(header)}.{enc(claims)}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


TOKEN = token()


def event(method, path, body=None, content_type="application/json", query=""):
    """An API Gateway HTTP API payload 2.0 event, as API Gateway sends it."""
    headers = {
        "authorization": f"Bearer {TOKEN}",
        "host": "api.example.com",
        "user-agent": "bench",
        "x-forwarded-proto": "https",
    }
    binary = body is not None and not content_type.startswith(("application/json", "text/"))
    payload = None
    if body is not None:
        headers["content-type"] = content_type
        raw = json.dumps(body)
        payload = base64.b64encode(raw.encode()).decode() if binary else raw
    parts = [p for p in path.split("/") if p]
    path_parameters = {"id": parts[2]} if len(parts) == 3 and parts[2] not in ("bulk-delete", "import") else None
    request_id = str(uuid.uuid4())
    result = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": binary,
    }
    if query:
        result["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if path_parameters:
        result["pathParameters"] = path_parameters
    if payload is not None:
        result["body"] = payload
    return result


class Function:
    """One bootstrap process on its own Runtime API emulator."""

    def __init__(self, name, env):
        self.api = RuntimeApi()
        binary = ROOT / "target" / "lambda" / name / "bootstrap"
        env = dict(env, AWS_LAMBDA_RUNTIME_API=self.api.address, AWS_LAMBDA_FUNCTION_NAME=name,
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                   AWS_LAMBDA_LOG_FORMAT="JSON", AWS_LAMBDA_LOG_LEVEL="WARN", RUST_LOG="warn")
        self.started = time.perf_counter()
        self.process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        if not self.api.first_next_seen.wait(30):
            self.stop()
            raise RuntimeError(f"{name} never asked for an invocation")
        self.init_ms = (self.api.first_next - self.started) * 1000

    def invoke(self, request):
        elapsed, response = self.api.invoke(request)
        if not isinstance(response, dict) or not ("statusCode" in response or "batchItemFailures" in response):
            raise RuntimeError(f"bad response: {response}")
        return elapsed, response

    def peak_rss_kb(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.api.close()


def data_of(response):
    return json.loads(response["body"])["data"]


def seed(env, function, bodies):
    """Creates resources through a create function and returns their ids."""
    creator = Function(function, env)
    try:
        path = "/v1/contacts" if function == "create-contact" else "/v1/groups"
        ids = []
        for body in bodies:
            _, response = creator.invoke(event("POST", path, body))
            assert response["statusCode"] == 201, response
            ids.append(data_of(response)["id"])
        return ids
    finally:
        creator.stop()


def stream_event(i, tenant="bench"):
    """A DynamoDB Streams event of one contact created, as the record-changes function gets it."""
    contact_id = str(uuid.uuid4())
    image = {
        "pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": f"CONTACT#{contact_id}"},
        "id": {"S": contact_id}, "name": {"S": f"Streamed {i}"}, "version": {"N": "1"},
        "createdAt": {"S": "2026-01-01T00:00:00.000Z"}, "updatedAt": {"S": "2026-01-01T00:00:00.000Z"},
    }
    return {"Records": [{
        "eventID": uuid.uuid4().hex, "eventName": "INSERT", "eventSource": "aws:dynamodb",
        "eventVersion": "1.1", "awsRegion": "us-east-1", "eventSourceARN": "bench",
        "dynamodb": {"ApproximateCreationDateTime": int(time.time()), "SequenceNumber": str(i + 1),
                     "SizeBytes": 200, "StreamViewType": "NEW_AND_OLD_IMAGES",
                     "Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image},
    }]}


def seed_changes(env, count):
    """Feed entries of the bench tenant, recorded through the record-changes function."""
    recorder = Function("record-changes", env)
    try:
        for i in range(count):
            _, response = recorder.invoke(stream_event(i))
            assert response == {"batchItemFailures": []}, response
    finally:
        recorder.stop()


def scenarios(env, n):
    """For each function: a request maker (called with the invocation number) and what it expects."""
    contact = lambda i: {"name": f"Bench {i}", "surname": "Doe", "email": f"bench{i}-{uuid.uuid4().hex[:8]}@example.com",
                         "phone": "+49 170 1234 5678", "fields": {"crmId": f"A-{i}"}}
    return {
        "create-contact": (lambda: None, lambda s, i: event("POST", "/v1/contacts", contact(i)), 201),
        "get-contact": (lambda: seed(env, "create-contact", [contact(0)]),
                        lambda s, i: event("GET", f"/v1/contacts/{s[0]}"), 200),
        "list-contacts": (lambda: seed(env, "create-contact", [contact(i) for i in range(15)]),
                          lambda s, i: event("GET", "/v1/contacts", query="limit=10"), 200),
        "update-contact": (lambda: seed(env, "create-contact", [contact(0)]),
                           lambda s, i: event("PUT", f"/v1/contacts/{s[0]}", {"name": f"Renamed {i}", "email": "same@example.com"}), 200),
        "patch-contact": (lambda: seed(env, "create-contact", [contact(0)]),
                          lambda s, i: event("PATCH", f"/v1/contacts/{s[0]}", {"surname": f"Roe {i}"},
                                             content_type="application/merge-patch+json"), 200),
        "delete-contact": (lambda: seed(env, "create-contact", [{"name": f"d{i}"} for i in range(n)]),
                           lambda s, i: event("DELETE", f"/v1/contacts/{s[i]}"), 204),
        "bulk-delete-contacts": (lambda: seed(env, "create-contact", [{"name": f"b{i}"} for i in range(n * 2)]),
                                 lambda s, i: event("POST", "/v1/contacts/bulk-delete", {"ids": s[2 * i:2 * i + 2]}), 200),
        # Two contacts per import: one matched by e-mail (replaced), one new.
        "import-contacts": (lambda: seed(env, "create-contact", [{"name": f"i{i}", "email": f"import{i}@example.com"} for i in range(n)]),
                            lambda s, i: event("POST", "/v1/contacts/import", {"contacts": [
                                {"name": f"Imported {i}", "email": f"import{i}@example.com"},
                                {"name": f"New {i}", "email": f"new{i}-{uuid.uuid4().hex[:6]}@example.com"}]}), 200),
        "create-group": (lambda: None, lambda s, i: event("POST", "/v1/groups", {"name": f"Group {i} {uuid.uuid4().hex[:6]}"}), 201),
        "list-groups": (lambda: seed(env, "create-group", [{"name": f"g{i}"} for i in range(15)]),
                        lambda s, i: event("GET", "/v1/groups", query="limit=10"), 200),
        "get-group": (lambda: seed(env, "create-group", [{"name": "g"}]),
                      lambda s, i: event("GET", f"/v1/groups/{s[0]}"), 200),
        "patch-group": (lambda: seed(env, "create-group", [{"name": "g"}]),
                        lambda s, i: event("PATCH", f"/v1/groups/{s[0]}", {"description": f"d{i}"},
                                           content_type="application/merge-patch+json"), 200),
        "delete-group": (lambda: seed(env, "create-group", [{"name": f"g{i}"} for i in range(n)]),
                         lambda s, i: event("DELETE", f"/v1/groups/{s[i]}"), 204),
        "route-not-found": (lambda: None, lambda s, i: event("GET", "/v1/nowhere"), 404),
        "list-changes": (lambda: seed_changes(env, 15), lambda s, i: event("GET", "/v1/changes", query="limit=10"), 200),
        # Not an HTTP function: a stream batch of one contact write, answered with no failures.
        "record-changes": (lambda: None, lambda s, i: stream_event(i), "batch"),
    }


def criterion_us(name):
    estimates = ROOT / "target" / "criterion" / name / "new" / "estimates.json"
    if not estimates.exists():
        return None
    return round(json.loads(estimates.read_text())["mean"]["point_estimate"] / 1000, 1)


def init_ms(name, env):
    inits = []
    for _ in range(INIT_RUNS):
        fresh = Function(name, env)
        inits.append(fresh.init_ms)
        fresh.stop()
    return inits


def measure(name, values_env, deployed_env, moto_port):
    table = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    # No consumer runs here; without the stream moto does not copy it per transaction.
    local.create_table(f"http://127.0.0.1:{moto_port}", table, "--without-stream")
    proxy = CountingProxy(moto_port)
    values_env = dict(values_env, TABLE_NAME=table, AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    env = dict(deployed_env, TABLE_NAME=table, AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    setup, make, expected = scenarios(env, WARM_RUNS + 1)[name]
    state = setup()

    inits = init_ms(name, values_env)
    # As deployed: the secrets read from Secrets Manager (one local round trip each, at once),
    # then with the DynamoDB connection opened during init too (DYNAMODB_PREWARM).
    secrets_inits = init_ms(name, env)
    prewarmed_inits, prewarmed_firsts = [], []
    for i in range(INIT_RUNS):
        fresh = Function(name, dict(env, DYNAMODB_PREWARM="true"))
        prewarmed_inits.append(fresh.init_ms)
        if i < 3:
            elapsed, response = fresh.invoke(make(state, 0)) if expected != 204 else (None, None)
            if elapsed is not None:
                prewarmed_firsts.append(elapsed)
        fresh.stop()

    function = Function(name, env)
    try:
        first_ms, response = function.invoke(make(state, 0))
        assert answered(response, expected), (name, response)
        before = proxy.snapshot()
        warm = []
        for i in range(1, WARM_RUNS + 1):
            elapsed, response = function.invoke(make(state, i))
            assert answered(response, expected), (name, i, response)
            warm.append(elapsed)
        after = proxy.snapshot()
        rss = function.peak_rss_kb()
    finally:
        function.stop()
        proxy.server.shutdown()

    calls = {op: (after.get(op, 0) - before.get(op, 0)) / WARM_RUNS for op in after}
    calls = {op: round(c, 2) for op, c in calls.items() if c}
    zip_path = ROOT / "target" / "lambda" / name / "bootstrap.zip"
    warm.sort()
    return {
        "function": name,
        "zip_bytes": zip_path.stat().st_size if zip_path.exists() else None,
        "init_ms": {"median": round(statistics.median(inits), 2), "max": round(max(inits), 2), "runs": len(inits)},
        "first_invoke_ms": round(first_ms, 2),
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


def answered(response, expected):
    """An HTTP function's status, or a stream consumer's batch with no failed record."""
    if expected == "batch":
        return response == {"batchItemFailures": []}
    return response["statusCode"] == expected


def functions_of_template():
    """Each function's binary and the environment variables its own resource sets."""
    import yaml
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=local._TemplateLoader)
    return {r["Metadata"]["BuildProperties"]["Binary"]:
            ((r.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
            for r in template["Resources"].values()
            if isinstance(r, dict) and r.get("Type") == "AWS::Serverless::Function"}


def secrets_env(base_env, own, secrets):
    """The secrets template.yaml gives a function: the token key unless the function blanks it,
    the cursor key only where the template gives it; `secrets` maps each to its variable and
    value (ARNs as deployed, or the values themselves)."""
    env = dict(base_env)
    if own.get("JWT_SECRET_ARN") != "":
        env.update([secrets["jwt"]])
    if "CURSOR_SECRET_ARN" in own:
        env.update([secrets["cursor"]])
    return env


def main():
    functions = functions_of_template()
    names = list(functions)
    if len(sys.argv) > 1:
        names = [n for n in names if n in sys.argv[1:]]
    port = int(subprocess.check_output([sys.executable, local.__file__, "free-port"]).strip())
    out = ROOT / "target" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    pid_file = out / "dynamodb.pid"
    local.start_dynamodb(str(port), str(pid_file), str(out / "dynamodb.log"))
    cursor_secret = "bench-cursor-secret-bench-cursor-secret"
    values = {"jwt": ("JWT_SECRET", SECRET), "cursor": ("CURSOR_SECRET", cursor_secret)}
    arns = {
        "jwt": ("JWT_SECRET_ARN", local.create_secret(f"http://127.0.0.1:{port}", "bench-jwt", SECRET)),
        "cursor": ("CURSOR_SECRET_ARN",
                   local.create_secret(f"http://127.0.0.1:{port}", "bench-cursor", cursor_secret)),
    }
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
        # Secrets by ARN are read from moto's Secrets Manager directly (the counting proxy
        # counts DynamoDB calls only).
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": f"http://127.0.0.1:{port}",
        # Feed entries seeded just before are read at once (the settle time only filters).
        "CHANGES_SETTLE_MS": "0",
    }
    results = []
    try:
        for name in names:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            own = functions[name]
            results.append(measure(name, secrets_env(base_env, own, values),
                                   secrets_env(base_env, own, arns), port))
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


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"arch": os.uname().machine, "cpu": cpu, "cores": os.cpu_count(), "kernel": os.uname().release}


def print_table(report):
    header = ["function", "zip_bytes", "init_ms med/max", "deployed init secrets/+prewarm", "first_ms", "warm p50/p99 ms", "peak_rss_kb", "ddb_calls", "handler_us"]
    rows = []
    for r in report["functions"]:
        rows.append([
            r["function"], str(r["zip_bytes"]), f'{r["init_ms"]["median"]}/{r["init_ms"]["max"]}',
            f'{r["deployed"]["secrets_init_ms_median"]}/{r["deployed"]["init_ms_median"]}',
            str(r["first_invoke_ms"]), f'{r["warm_p50_ms"]}/{r["warm_p99_ms"]}', str(r["peak_rss_kb"]),
            str(r["ddb_calls"]), str(r["handler_us"]),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    m = report["machine"]
    print(f'\n{m["cpu"]}, {m["cores"]} cores, {m["arch"]}; init over {report["init_runs"]} processes, '
          f'warm over {report["warm_runs"]} invocations; JSON: target/bench/report.json')
    misses = []
    for r in report["functions"]:
        if r["init_ms"]["median"] > TARGETS["init_ms"]:
            misses.append(f'{r["function"]}: init_ms median {r["init_ms"]["median"]} > {TARGETS["init_ms"]}')
        if (r["zip_bytes"] or 0) > TARGETS["zip_bytes"]:
            misses.append(f'{r["function"]}: zip_bytes {r["zip_bytes"]} > {TARGETS["zip_bytes"]}')
        if (r["peak_rss_kb"] or 0) > TARGETS["peak_rss_kb"]:
            misses.append(f'{r["function"]}: peak_rss_kb {r["peak_rss_kb"]} > {TARGETS["peak_rss_kb"]}')
        if r["handler_us"] is None or r["handler_us"] > TARGETS["handler_us"]:
            misses.append(f'{r["function"]}: handler_us {r["handler_us"]} > {TARGETS["handler_us"]}')
    print("targets: all met" if not misses else "targets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
