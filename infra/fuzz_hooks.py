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

import uuid

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


# The positive-data check (a schema-valid request must not be refused) and the rules a schema
# cannot state. openapi.yaml says what each refuses; these make a generated positive request
# valid in those respects only, and leave negative ones as they are:
# - `cursor` and `since` are signed by the server: only one it gave out is valid, and a drawn
#   string is a 400 (shared/tests/api/list.rs, changes.rs test the refusals). Dropped.
# - An Idempotency-Key is single-use: the same key on a different request is a 422
#   (shared/tests/api/idempotency.rs). A fresh one for each request.
# - A phone number must be valid by libphonenumber's rules for its country (the rules are
#   data, not a pattern). A valid one in its place.
# - A custom field's number must be held exactly (a 64-bit integer or a double's 15 to 17
#   significant digits, shared/tests/api/hostile.rs). Numbers past that are made smaller.
# - `q` (search) keeps its own order and takes no `group`, `email` or `sort` (a 400; a rule
#   between parameters, which OpenAPI cannot state): those are dropped beside `q`. Likewise
#   `page` × `limit` is at most 10 000 (the page is lowered).
# - A contact's groups must exist (422 otherwise, shared/tests/api/groups.rs): drawn ids are
#   left out of positive bodies (and of JSON Patches, below).
# - A JSON Patch applies to the resource as it stands (RFC 6902: removing, replacing or testing
#   a member that is not there fails, 422) and its values must suit their members (a name is
#   text): a positive patch becomes `add` operations of valid values on the members it named.
VALID_PHONE = "+14155552671"
OPAQUE_QUERY = ("cursor", "since")


def _exact_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else 1
    return value if len(repr(value).lstrip("-").replace(".", "").lstrip("0")) <= 15 else 0.5


def _valid(body, key=None):
    if isinstance(body, dict):
        out = {}
        for k, v in body.items():
            if k in ("phone", "number") and isinstance(v, str) and key != "fields":
                out[k] = VALID_PHONE
            elif k == "groups" and isinstance(v, list) and key != "fields":
                out[k] = []
            else:
                out[k] = _valid(v, k)
        return out
    if isinstance(body, list):
        return [_valid(item, key) for item in body]
    return _exact_number(body)


PATCH_VALUES = {
    "name": lambda: "Ann", "surname": lambda: "Lee", "description": lambda: "patched",
    "email": lambda: f"p{uuid.uuid4().hex[:12]}@example.com", "phone": lambda: VALID_PHONE,
    "number": lambda: VALID_PHONE, "groups": lambda: [], "fields": lambda: {},
}


def _as_adds(operations):
    """Each operation, as `add` of a valid value on the member it named (`groups`: none); an
    operation inside `groups` (a drawn group id) or on anything else is dropped."""
    adds = []
    for operation in operations:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path", ""))
        member = path.lstrip("/")
        if member.lower() in PATCH_VALUES:
            adds.append({"op": "add", "path": path, "value": PATCH_VALUES[member.lower()]()})
        elif member.lower().startswith("fields/"):
            adds.append({"op": "add", "path": path, "value": "v"})
    return adds


def _is_json_patch(body) -> bool:
    if isinstance(body, dict):
        return "op" in body and "path" in body
    return isinstance(body, list) and all(isinstance(op, dict) and "op" in op for op in body)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return
    if case.query:
        for name in OPAQUE_QUERY:
            case.query.pop(name, None)
        if "q" in case.query:
            for name in ("group", "email", "sort"):
                case.query.pop(name, None)
        if "page" in case.query:
            limit = int(case.query.get("limit", 10))
            case.query["page"] = min(int(case.query["page"]), 10_000 // limit)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if _is_json_patch(case.body) and case.body:
        case.body = _as_adds(case.body if isinstance(case.body, list) else [case.body])
    elif isinstance(case.body, (dict, list)):
        case.body = _valid(case.body)
