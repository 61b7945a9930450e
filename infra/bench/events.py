"""The events a function is sent: API Gateway HTTP API (payload 2.0) requests with a valid token,
and DynamoDB Streams batches. Tokens are minted by `local.mint`, as `make token` does; the key
layout comes from `table.json` (generated from shared/src/store/keys.rs)."""

import base64
import json
import sys
import time
import uuid
from pathlib import Path

from . import TABLE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import local  # noqa: E402

SECRET = "bench-secret-bench-secret-bench-secret"
TENANT = "bench"
TOKEN = local.mint(SECRET, TENANT, "contacts:read contacts:write", 3600)
KEYS = TABLE["keys"]


def http(method: str, path: str, body: object = None, content_type: str = "application/json",
         query: str = "") -> dict:
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
            "requestId": str(uuid.uuid4()),
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


def stream(i: int, tenant: str = TENANT) -> dict:
    """A DynamoDB Streams event of one contact created, as the record-changes function gets it."""
    contact_id = str(uuid.uuid4())
    image = {
        KEYS["pk"]: {"S": f'{KEYS["tenant"]}{tenant}'}, KEYS["sk"]: {"S": f'{KEYS["contact"]}{contact_id}'},
        "id": {"S": contact_id}, "name": {"S": f"Streamed {i}"}, KEYS["version"]: {"N": "1"},
        "createdAt": {"S": "2026-01-01T00:00:00.000Z"}, "updatedAt": {"S": "2026-01-01T00:00:00.000Z"},
    }
    return {"Records": [{
        "eventID": uuid.uuid4().hex, "eventName": "INSERT", "eventSource": "aws:dynamodb",
        "eventVersion": "1.1", "awsRegion": "us-east-1", "eventSourceARN": "bench",
        "dynamodb": {"ApproximateCreationDateTime": int(time.time()), "SequenceNumber": str(i + 1),
                     "SizeBytes": 200, "StreamViewType": "NEW_AND_OLD_IMAGES",
                     "Keys": {KEYS["pk"]: image[KEYS["pk"]], KEYS["sk"]: image[KEYS["sk"]]},
                     "NewImage": image},
    }]}


def data_of(response: dict) -> dict:
    return json.loads(response["body"])["data"]
