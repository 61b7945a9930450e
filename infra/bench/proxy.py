"""A forwarding proxy in front of the local DynamoDB that counts requests by operation and the
time DynamoDB took to answer them (and, when asked, keeps each answer's body, or holds each
request a while first)."""

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler

from .runtime import QuietServer


class CountingProxy:
    """Forwards every request to the local DynamoDB and counts them by operation."""

    def __init__(self, upstream_port: int, record: bool = False, delay_s: float = 0.0) -> None:
        self.counts: dict[str, int] = {}
        self.answers: list[bytes] = []
        self.lock = threading.Lock()
        # The time at least one request was with DynamoDB (calls at once counted once).
        self.busy_s = 0.0
        self.busy_since = 0.0
        self.in_flight = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # As in the Runtime API emulator: no Nagle delay on the answers.
            disable_nagle_algorithm = True

            def log_message(self, *_):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                target = (self.headers.get("X-Amz-Target") or "?").split(".")[-1]
                with proxy.lock:
                    proxy.counts[target] = proxy.counts.get(target, 0) + 1
                if delay_s:
                    # Standing in for the network between a function and DynamoDB.
                    time.sleep(delay_s)
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                proxy._upstream(+1)
                try:
                    upstream.request("POST", self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    proxy._upstream(-1)
                if record:
                    with proxy.lock:
                        proxy.answers.append(data)
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _upstream(self, change: int) -> None:
        with self.lock:
            now = time.perf_counter()
            if change > 0 and self.in_flight == 0:
                self.busy_since = now
            self.in_flight += change
            if change < 0 and self.in_flight == 0:
                self.busy_s += now - self.busy_since

    def busy_ms(self) -> float:
        """How long, in all, DynamoDB has been answering at least one request of this proxy's:
        the difference over an invocation is the part of its wall time spent waiting on the
        local DynamoDB (connecting to it, sending, its work and its answer), the rest is the
        function's own (and this proxy's, which forwards in Python)."""
        with self.lock:
            open_s = time.perf_counter() - self.busy_since if self.in_flight else 0.0
            return (self.busy_s + open_s) * 1000

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    def close(self) -> None:
        self.server.shutdown()
