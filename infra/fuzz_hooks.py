"""Schemathesis hooks for `make test`'s contract fuzzing (infra/fuzz.sh).

cargo lambda watch, the local API Gateway, turns a `text/*` or `application/json` body into the
event's text with `String::from_utf8` and answers 500 itself, before any function runs, when the
bytes are not UTF-8. That refusal is the emulator's, not the API's (a handler reads the body as
bytes and answers 400: shared/tests/api/hostile.rs), so such bodies are not sent locally.

The same emulator answers 500 for any request with a header value that is not UTF-8 (bytes
0x80-0xFF, sent by schemathesis for the Idempotency-Key parameter, for example), also before any
function runs. A handler given such a header answers 400 (shared/tests/api/idempotency.rs:
a_malformed_key_is_400; preconditions: a non-ASCII If-Match), so such headers are not sent
locally either.
"""

import schemathesis


def _is_utf8(body) -> bool:
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _ascii_headers(headers) -> bool:
    return all(str(value).isascii() for value in (headers or {}).values())


@schemathesis.hook
def filter_case(ctx, case):
    return _is_utf8(case.body) and _ascii_headers(case.headers)
