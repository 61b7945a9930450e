"""A page of large contacts: 30 contacts of about 200 KB each (6 MB in all), the first page of
`GET /v1/contacts?limit=100` answered by a fresh list-contacts process. Reports its peak RSS, the
bytes of items DynamoDB answered for the page and the consistent read units they cost (per query
page, 4 KB each), how many items the page holds and how long it took. `make bench` adds it to the
report (`large_page`); `python -m bench.large_page` (from infra/, after `make bench` built the
functions) runs it alone."""

import json
import sys
import uuid
from pathlib import Path

from . import TABLE, events
from .proxy import CountingProxy
from .runtime import Function

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import local  # noqa: E402

CONTACTS = 30


def value_size(value: dict) -> int:
    """The size DynamoDB counts for an attribute value (as store/pages.rs counts it)."""
    (kind, inner), = value.items()
    if kind in ("S", "B"):
        return len(inner.encode())
    if kind == "N":
        return (len(inner) + 1) // 2 + 1
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
    if kind in ("SS", "NS", "BS"):
        return sum(len(v.encode()) for v in inner)
    return 1


def item_size(item: dict) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_of(answer: dict) -> tuple[int, int]:
    """Bytes of items and consistent read units of one DynamoDB answer."""
    if "Items" in answer:  # a query page: its units are for the page's bytes
        size = sum(item_size(i) for i in answer["Items"])
        return size, max(1, -(-size // 4096))
    if "Responses" in answer:  # a batch get: each item's units
        sizes = [item_size(i) for items in answer["Responses"].values() for i in items]
        return sum(sizes), sum(max(1, -(-s // 4096)) for s in sizes)
    if "Item" in answer:
        size = item_size(answer["Item"])
        return size, max(1, -(-size // 4096))
    return 0, 0


def large_page(env: dict, moto_port: int) -> dict:
    table = f"bench-large-{uuid.uuid4().hex[:6]}"
    local.create_table(f"http://127.0.0.1:{moto_port}", table, "--without-stream")
    proxy = CountingProxy(moto_port, record=True)
    env = dict(env, TABLE_NAME=table, AWS_ENDPOINT_URL_DYNAMODB=proxy.url)
    # About 200 KB each: 50 fields of 1 000 four-byte characters, sent as UTF-8 (escaped, the
    # body would be over the 256 KB limit).
    fields = {f"f{i}": "\U0001F600" * 1000 for i in range(50)}
    creator = Function("create-contact", env)
    try:
        for i in range(CONTACTS):
            event = events.http("POST", "/v1/contacts", {})
            event["body"] = json.dumps({"name": f"Big {i:02}", "fields": fields}, ensure_ascii=False)
            _, response = creator.invoke(event)
            assert response["statusCode"] == 201, response
    finally:
        creator.stop()
    function = Function("list-contacts", env)
    try:
        proxy.answers.clear()
        elapsed, response = function.invoke(events.http("GET", "/v1/contacts", query="limit=100"))
        assert response["statusCode"] == 200, response
        items = len(events.data_of(response)["items"])
        rss = function.peak_rss_kb()
    finally:
        function.stop()
        proxy.close()
    reads = [read_of(json.loads(a)) for a in proxy.answers]
    return {
        "contacts": CONTACTS,
        "page_items": items,
        "ddb_requests": len(reads),
        "bytes_read": sum(b for b, _ in reads),
        "read_units": sum(u for _, u in reads),
        "peak_rss_kb": rss,
        "first_invoke_ms": round(elapsed, 2),
    }


if __name__ == "__main__":
    from .stack import secrets_env, stack

    with stack() as (port, base_env, values, _):
        lister = next(f for f in TABLE["functions"] if f["name"] == "list-contacts")
        print(json.dumps(large_page(secrets_env(base_env, lister, values), port), indent=2))
