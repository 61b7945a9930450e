"""The Lambda Runtime API a function talks to, on loopback, and one function's process."""

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from . import ROOT


class QuietServer(ThreadingHTTPServer):
    """A threaded server that does not print the resets of the processes the harness kills."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


class RuntimeApi:
    """The four endpoints of the Lambda Runtime API a function uses, on 127.0.0.1."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.responses: queue.Queue = queue.Queue()
        self.first_next: float | None = None
        self.first_next_seen = threading.Event()
        # How many times the function asked for its next invocation: it is idle after each.
        self.nexts = 0
        self.asked = threading.Condition()
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
                with api.asked:
                    api.nexts += 1
                    api.asked.notify_all()
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
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, event: dict, timeout: float = 30) -> tuple[float, object]:
        started = time.perf_counter()
        self.events.put((str(uuid.uuid4()), event))
        finished, response = self.responses.get(timeout=timeout)
        return (finished - started) * 1000, response

    def invoke_all(self, events: list[dict], timeout: float = 60) -> list:
        """Every event queued at once (the function takes as many at a time as it asks for);
        the answers, in the order they came."""
        for event in events:
            self.events.put((str(uuid.uuid4()), event))
        return [self.responses.get(timeout=timeout)[1] for _ in events]

    def wait_idle(self, nexts: int, timeout: float = 5) -> None:
        """Until the function has asked for its next invocation `nexts` times in all."""
        with self.asked:
            self.asked.wait_for(lambda: self.nexts >= nexts, timeout)

    def close(self) -> None:
        self.events.put(("stop", None))
        self.server.shutdown()


class Function:
    """One bootstrap process on its own Runtime API emulator."""

    def __init__(self, name: str, env: dict) -> None:
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
        self.init_cpu_ms = self.cpu_ms()
        self.invocations = 0
        self.last_cpu_ms = 0.0

    def cpu_ms(self) -> float:
        """CPU time the process used so far (user and system, every thread), from /proc: what
        Lambda's small memory sizes stretch, and far less noisy on a shared machine than wall
        time."""
        total_ns = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                total_ns += int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended meanwhile
        return total_ns / 1e6

    def invoke(self, request: dict) -> tuple[float, dict]:
        """Wall time and response of one invocation; its CPU time (until the function asks for
        the next one) in `last_cpu_ms`."""
        before = self.cpu_ms()
        elapsed, response = self.api.invoke(request)
        self.invocations += 1
        self.api.wait_idle(self.invocations + 1)
        self.last_cpu_ms = self.cpu_ms() - before
        if not isinstance(response, dict) or not ("statusCode" in response or "batchItemFailures" in response):
            raise RuntimeError(f"bad response: {response}")
        return elapsed, response

    def peak_rss_kb(self) -> int | None:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.api.close()
