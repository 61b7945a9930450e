"""Sample events, one per function, under events/: what `cargo lambda invoke --data-file` and
`sam local invoke -e` send (docs/operations.md, "Sample events").

  write   writes events/<function>.json for every function of the route table
          (infra/bench/table.json, which `make generate` writes from the table)
  check   fails when one is missing, stale, or names no function (make test)

HTTP functions get an API Gateway HTTP API (payload 2.0) event, as the bench sends, with a token
for tenant `acme` signed with the local default JWT_SECRET (`local-dev-secret`; .env.example)
and valid until 2100, so the files never change; record-changes gets a DynamoDB Streams batch.
Each request works on an empty table: a create answers 201, a read of the sample id 404.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import local  # noqa: E402
from bench import TABLE, events  # noqa: E402

ROOT = local.ROOT
DIR = ROOT / "events"
SECRET = "local-dev-secret"
ISSUED = 1_767_225_600  # 2026-01-01T00:00:00Z
TOKEN = local.mint(SECRET, "acme", "contacts:read contacts:write", 4_102_444_800 - ISSUED, now=ISSUED)
ID = "01937a1e-5c3b-7000-8000-000000000001"
MERGE = "application/merge-patch+json"

# Each function's request: method, path, body, content type, query.
SAMPLES = {
    "create-contact": ("POST", "/v1/contacts", {"name": "Ada", "surname": "Lovelace",
                                               "phone": "+44 20 7946 0958", "fields": {"tier": "gold"}}),
    "get-contact": ("GET", f"/v1/contacts/{ID}"),
    "list-contacts": ("GET", "/v1/contacts", None, None, "limit=10"),
    "update-contact": ("PUT", f"/v1/contacts/{ID}", {"name": "Ada", "surname": "King"}),
    "patch-contact": ("PATCH", f"/v1/contacts/{ID}", {"surname": "King"}, MERGE),
    "delete-contact": ("DELETE", f"/v1/contacts/{ID}"),
    "list-trash": ("GET", "/v1/contacts/trash", None, None, "limit=10"),
    "restore-contact": ("POST", f"/v1/contacts/{ID}/restore"),
    "bulk-delete-contacts": ("POST", "/v1/contacts/bulk-delete", {"ids": [ID]}),
    "import-contacts": ("POST", "/v1/contacts/import", {"contacts": [{"name": "Grace", "surname": "Hopper"}]}),
    "list-changes": ("GET", "/v1/changes", None, None, "limit=10"),
    "create-group": ("POST", "/v1/groups", {"name": "Sample group"}),
    "list-groups": ("GET", "/v1/groups", None, None, "limit=10"),
    "get-group": ("GET", f"/v1/groups/{ID}"),
    "patch-group": ("PATCH", f"/v1/groups/{ID}", {"description": "Renamed"}, MERGE),
    "delete-group": ("DELETE", f"/v1/groups/{ID}"),
    "route-not-found": ("GET", "/v1/nowhere"),
}


def http_event(route_key: str | None, method: str, path: str, body=None, content_type=None,
               query: str = "") -> dict:
    """`route_key`: the API Gateway route that serves it ($default for the fallback), else the
    method and the path's template."""
    event = events.http(method, path, body, content_type or "application/json", query)
    event["headers"]["authorization"] = f"Bearer {TOKEN}"
    event["headers"]["user-agent"] = event["requestContext"]["http"]["userAgent"] = "sample-event"
    event["requestContext"].update(requestId="sample-event", time="01/Jan/2026:00:00:00 +0000",
                                   timeEpoch=ISSUED * 1000, apiId="sample")
    route_key = route_key or f"{method} {path.replace(ID, '{id}')}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    return event


def stream_event() -> dict:
    event = events.stream(0, tenant="acme")
    record = event["Records"][0]
    record["eventID"] = "sample-event"
    record["dynamodb"]["ApproximateCreationDateTime"] = ISSUED
    image = record["dynamodb"]["NewImage"]
    image["id"] = {"S": ID}
    image[events.KEYS["sk"]] = record["dynamodb"]["Keys"][events.KEYS["sk"]] = {"S": events.KEYS["contact"] + ID}
    return event


def expected() -> dict[str, str]:
    files = {}
    for function in TABLE["functions"]:
        name = function["name"]
        if function["kind"] == "stream":
            event = stream_event()
        elif name in SAMPLES:
            event = http_event("$default" if function["kind"] == "fallback" else None, *SAMPLES[name])
        else:
            sys.exit(f"infra/events.py: no sample request for {name}: add one to SAMPLES")
        files[f"{name}.json"] = json.dumps(event, indent=2) + "\n"
    return files


def main(command: str) -> None:
    files = expected()
    if command == "write":
        DIR.mkdir(exist_ok=True)
        for stale in set(p.name for p in DIR.glob("*.json")) - set(files):
            (DIR / stale).unlink()
        for name, text in files.items():
            (DIR / name).write_text(text)
        print(f"events/: {len(files)} sample events")
        return
    problems = [f"events/{name} is missing or stale" for name, text in files.items()
                if not (DIR / name).exists() or (DIR / name).read_text() != text]
    problems += [f"events/{p.name} names no function" for p in DIR.glob("*.json") if p.name not in files]
    if problems:
        sys.exit("; ".join(problems) + "; run `make generate`")
    print(f"events/: {len(files)} sample events, current")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    main(sys.argv[1])
