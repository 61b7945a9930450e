"""Local stack helpers for `make dev` and `make test`.

  start-dynamodb PORT PIDFILE LOGFILE   start the moto server on 127.0.0.1:PORT and wait for it
  serve-dynamodb PORT                   run the moto server in the foreground (what start runs)
  stop PIDFILE                          stop what start-dynamodb started
  free-port                             print a free TCP port on 127.0.0.1
  port-in-use PORT                      exit 0 when something listens on 127.0.0.1:PORT, else 1
  wait-port PORT [SECONDS]              wait until something listens there (10 s by default)
  create-table ENDPOINT NAME [--without-stream]
                                        create the table exactly as template.yaml declares it
                                        (the test suite's main table goes without its stream:
                                        moto copies a table, stream included, per transaction)
  token TENANT [SCOPES] [TTL_SECONDS]   print an HS256 token signed with $JWT_SECRET
  pump-stream ENDPOINT TABLE INVOKE_URL the table's DynamoDB stream to a function, as Lambda's
                                        event source mapping does (make dev: record-changes)

Only the standard library and what infra/requirements.txt installs (boto3, PyYAML via moto).
"""

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE_RESOURCE = "ContactsTable"


def start_dynamodb(port: str, pid_file: str, log_file: str) -> None:
    if port_open(int(port)):
        sys.exit(f"port {port} on 127.0.0.1 is already in use; set DYNAMODB_PORT to another port")
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, "serve-dynamodb", port],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    Path(pid_file).write_text(str(process.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"moto server exited early; see {log_file}")
        if port_open(int(port)):
            print(f"local DynamoDB (moto) listening on 127.0.0.1:{port}")
            return
        time.sleep(0.1)
    stop(pid_file)
    sys.exit("moto server did not start within 60 s")


class _OneRequestAtATime:
    """Runs moto's WSGI app under one lock.

    moto applies TransactWriteItems item by item and undoes a cancelled one by restoring a
    snapshot of the table, with no lock: two concurrent transactions can both pass a condition,
    and a restore can erase another request's write. DynamoDB itself serializes conflicting
    writes, so serving one request at a time gives the tests DynamoDB's guarantees. Requests
    from concurrent clients still interleave between each other, as they do on AWS.
    """

    def __init__(self, app):
        import threading

        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


def _snapshot_tables_cheaply() -> None:
    """moto's TransactWriteItems snapshots a table (a deep copy, to restore if the transaction is
    cancelled) once per item of the transaction, the same state each time: a contact write with
    its guard, memberships and search entries deep-copied the whole table tens of times, so a
    write's time grew with the table and a loaded test run timed out. Snapshot each table once
    per transaction, copying its item maps and stream records but sharing the item objects,
    which Put and Delete replace and never change in place. A transaction holding an Update
    (which changes an item in place; the project's transactions hold none) still gets moto's
    deep copy. Safe because requests are served one at a time (`_OneRequestAtATime`)."""
    import copy
    from collections import defaultdict

    import moto.dynamodb.models as models

    original = models.DynamoDBBackend.transact_write_items

    def snapshot(table):
        taken = copy.copy(table)
        if table.has_range_key:
            taken.items = defaultdict(dict, {h: dict(r) for h, r in table.items.items()})
        else:
            taken.items = defaultdict(dict, table.items)
        if table.stream_shard is not None:
            taken.stream_shard = copy.copy(table.stream_shard)
            taken.stream_shard.items = list(table.stream_shard.items)
            taken.stream_shard.table = taken
        return taken

    def transact_write_items(self, transact_items):
        if any("Update" in item for item in transact_items):
            return original(self, transact_items)
        snapshots = {}

        class OncePerTable:
            @staticmethod
            def deepcopy(table):
                if id(table) not in snapshots:
                    snapshots[id(table)] = snapshot(table)
                return snapshots[id(table)]

        models.copy = OncePerTable
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def serve_dynamodb(port: str) -> None:
    _snapshot_tables_cheaply()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
    run_simple(
        "127.0.0.1", int(port), app, threaded=True, request_handler=MotoRequestHandler
    )


def stop(pid_file: str) -> None:
    path = Path(pid_file)
    if not path.exists():
        return
    pid = int(path.read_text().strip() or 0)
    path.unlink()
    if pid <= 0:
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def port_in_use(port: str) -> None:
    sys.exit(0 if port_open(int(port)) else 1)


def wait_port(port: str, seconds: str = "10") -> None:
    deadline = time.monotonic() + float(seconds)
    while not port_open(int(port)):
        if time.monotonic() > deadline:
            sys.exit(f"nothing listens on 127.0.0.1:{port} after {seconds} s")
        time.sleep(0.1)


def pick_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port() -> None:
    print(pick_free_port())


class _TemplateLoader(__import__("yaml").SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, ...) as plain values."""


def _any_tag(loader, _suffix, node):
    if isinstance(node, __import__("yaml").ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, __import__("yaml").SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TemplateLoader.add_multi_constructor("!", _any_tag)


def client_of(service: str, endpoint: str):
    """A boto3 client of `service` on the local moto server (any credentials do)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    )


def create_secret(endpoint: str, name: str, value: str) -> str:
    """A Secrets Manager secret on the local moto server; its ARN."""
    return client_of("secretsmanager", endpoint).create_secret(Name=name, SecretString=value)["ARN"]


def table_properties() -> dict:
    import yaml

    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_TemplateLoader)
    return template["Resources"][TABLE_RESOURCE]["Properties"]


def create_table(endpoint: str, name: str, *flags: str) -> None:
    props = table_properties()
    client = client_of("dynamodb", endpoint)
    existing = client.list_tables()["TableNames"]
    if name in existing:
        print(f"table {name} exists")
        return
    args = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "StreamSpecification" in props and "--without-stream" not in flags:
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "GlobalSecondaryIndexes" in props:
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    client.create_table(**args)
    if "TimeToLiveSpecification" in props:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
        )
    print(f"table {name} created as template.yaml declares it")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(secret: str, tenant: str, scopes: str, ttl: int, now: int | None = None) -> str:
    """An HS256 token for `tenant` with `scopes` (space- or comma-separated), valid `ttl` seconds
    from `now` (the current time if None): what `make token` prints and what the bench sends."""
    now = int(time.time()) if now is None else now
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "sub": f"dev@{tenant}",
        "tenant": tenant,
        "scope": scopes.replace(",", " "),
        "iat": now,
        "exp": now + ttl,
    }
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def token(tenant: str, scopes: str = "contacts:read contacts:write", ttl: str = "3600") -> None:
    secret = os.environ.get("JWT_SECRET")
    if not secret:
        sys.exit("JWT_SECRET is not set")
    print(mint(secret, tenant, scopes, int(ttl)))


def stream_records(client, streams, table: str, iterators: dict) -> list:
    """The records of every shard of the table's stream since the last call, in order."""
    arn = client.describe_table(TableName=table)["Table"].get("LatestStreamArn")
    if not arn:
        return []
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        shard_id = shard["ShardId"]
        if shard_id not in iterators:
            iterators[shard_id] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        answer = streams.get_records(ShardIterator=iterators[shard_id], Limit=100)
        iterators[shard_id] = answer["NextShardIterator"]
        records.extend(answer["Records"])
    return records


def lambda_record(record: dict) -> dict:
    """A stream record as Lambda delivers it: the creation time in epoch seconds."""
    change = dict(record["dynamodb"])
    when = change.get("ApproximateCreationDateTime")
    if hasattr(when, "timestamp"):
        change["ApproximateCreationDateTime"] = int(when.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": "local"}


def pump_stream(endpoint: str, table: str, invoke_url: str) -> None:
    """Delivers the table's stream to a function until stopped, as Lambda's DynamoDB event
    source does: batches of up to 100 records, in order; a batch whose answer reports a failed
    record is delivered again from that record."""
    import urllib.request

    client = client_of("dynamodb", endpoint)
    streams = client_of("dynamodbstreams", endpoint)
    iterators: dict = {}
    pending: list = []
    while True:
        try:
            pending.extend(lambda_record(r) for r in stream_records(client, streams, table, iterators))
            if not pending:
                time.sleep(0.2)
                continue
            batch = pending[:100]
            request = urllib.request.Request(
                invoke_url, data=json.dumps({"Records": batch}, default=str).encode(), method="POST",
                headers={"content-type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=60) as answer:
                failures = json.load(answer).get("batchItemFailures") or []
            failed = {f.get("itemIdentifier") for f in failures}
            done = next((i for i, r in enumerate(batch) if r["dynamodb"].get("SequenceNumber") in failed), len(batch))
            del pending[:done]
            if done < len(batch):
                time.sleep(1)
        except Exception as err:  # the functions may still be starting: try again
            print(f"stream pump: {err}", file=sys.stderr)
            time.sleep(1)


COMMANDS = {
    "pump-stream": pump_stream,
    "start-dynamodb": start_dynamodb,
    "serve-dynamodb": serve_dynamodb,
    "stop": stop,
    "free-port": free_port,
    "port-in-use": port_in_use,
    "wait-port": wait_port,
    "create-table": create_table,
    "token": token,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
