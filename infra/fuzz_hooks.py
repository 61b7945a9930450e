"""Schemathesis hooks for `make test`'s contract fuzzing (infra/fuzz.sh).

cargo lambda watch, the local API Gateway, turns a `text/*` or `application/json` body into the
event's text with `String::from_utf8` and answers 500 itself, before any function runs, when the
bytes are not UTF-8. That refusal is the emulator's, not the API's (a handler reads the body as
bytes and answers 400: shared/tests/api/hostile.rs), so such bodies are not sent locally.
"""

import schemathesis


def _is_utf8(body) -> bool:
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


@schemathesis.hook
def filter_case(ctx, case):
    return _is_utf8(case.body)
