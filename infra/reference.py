"""The API reference page of `make dev`: Swagger UI (the swagger-ui-dist package that `make web`
installs from infra/web/package-lock.json; nothing from a CDN) showing openapi.yaml, whose
"Try it out" sends requests to the local stack.

  python infra/reference.py PORT API_PORT

serves, on 127.0.0.1:PORT,
  /reference/                  the page (infra/web/reference.html)
  /reference/swagger-ui/...    Swagger UI's files
  /reference/openapi.json      openapi.yaml, its first server this page's own origin
and forwards every other request to the API on 127.0.0.1:API_PORT as it came (method, path,
query, headers, body), so that "Try it out" is a same-origin request: the local stack, like
`cargo lambda watch`, answers no CORS preflight.
"""

import http.client
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "infra" / "web"
SWAGGER_UI = WEB / "node_modules" / "swagger-ui-dist"
TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".html": "text/html",
         ".map": "application/json"}
# Hop-by-hop headers (RFC 9110, 7.6.1) are the connection's, not the request's.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "host", "content-length"}


def spec(origin: str) -> bytes:
    """openapi.yaml as JSON, with this page's origin as its first server."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    document["servers"] = [
        {"url": origin, "description": "make dev (the local stack, through this page's server)"},
        {"url": f"{origin}/api", "description": "make dev, under the source APIs' base path /api/v1"},
    ] + [s for s in document.get("servers", []) if "{" in s["url"]]
    return json.dumps(document).encode()


class Handler(BaseHTTPRequestHandler):
    api_port = 9000
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def page(self) -> bool:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/reference"):
            self.send_response(302)
            self.send_header("Location", "/reference/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if path == "/reference/":
            self.answer(200, (WEB / "reference.html").read_bytes(), "text/html; charset=utf-8")
            return True
        if path == "/reference/openapi.json":
            host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
            self.answer(200, spec(f"http://{host}"), "application/json")
            return True
        if path.startswith("/reference/swagger-ui/"):
            name = path.removeprefix("/reference/swagger-ui/")
            file = (SWAGGER_UI / name).resolve()
            if file.parent != SWAGGER_UI.resolve() or not file.is_file():
                self.answer(404, b"not found", "text/plain")
            else:
                self.answer(200, file.read_bytes(), TYPES.get(file.suffix, "application/octet-stream"))
            return True
        return False

    def forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except OSError as err:
            self.answer(502, f"the local API on port {self.api_port}: {err}".encode(), "text/plain")
            return
        finally:
            connection.close()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_one(self) -> None:
        if self.command in ("GET", "HEAD") and self.page():
            return
        self.forward()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_one


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    port, api_port = int(sys.argv[1]), int(sys.argv[2])
    if not (SWAGGER_UI / "swagger-ui-bundle.js").is_file():
        sys.exit(f"Swagger UI is not installed in {SWAGGER_UI}: run make web")
    Handler.api_port = api_port
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
