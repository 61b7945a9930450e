"""What each function is sent: a setup run once (seeding through the create functions
themselves), a request per invocation, and the answer expected. A function of the route table
without a scenario here stops the bench."""

import uuid
from dataclasses import dataclass
from typing import Callable

from . import events
from .runtime import Function

# The state a setup leaves: the ids it created (or nothing).
State = list[str] | None


@dataclass(frozen=True)
class Scenario:
    setup: Callable[[], State]
    request: Callable[[State, int], dict]
    # An HTTP status, or BATCH: a stream consumer's answer with no failed record.
    expected: int | str


BATCH = "batch"


def answered(response: dict, expected: int | str) -> bool:
    if expected == BATCH:
        return response == {"batchItemFailures": []}
    return response["statusCode"] == expected


def seed(env: dict, function: str, bodies: list[dict]) -> list[str]:
    """Creates resources through a create function and returns their ids."""
    creator = Function(function, env)
    try:
        path = "/v1/contacts" if function == "create-contact" else "/v1/groups"
        ids = []
        for body in bodies:
            _, response = creator.invoke(events.http("POST", path, body))
            assert response["statusCode"] == 201, response
            ids.append(events.data_of(response)["id"])
        return ids
    finally:
        creator.stop()


def seed_trash(env: dict, bodies: list[dict]) -> list[str]:
    """Creates contacts and deletes them (to the trash) through the functions themselves."""
    ids = seed(env, "create-contact", bodies)
    deleter = Function("delete-contact", env)
    try:
        for id in ids:
            _, response = deleter.invoke(events.http("DELETE", f"/v1/contacts/{id}"))
            assert response["statusCode"] == 204, response
        return ids
    finally:
        deleter.stop()


def seed_changes(env: dict, count: int) -> None:
    """Feed entries of the bench tenant, recorded through the record-changes function."""
    recorder = Function("record-changes", env)
    try:
        for i in range(count):
            _, response = recorder.invoke(events.stream(i))
            assert answered(response, BATCH), response
    finally:
        recorder.stop()


def contact(i: int) -> dict:
    return {"name": f"Bench {i}", "surname": "Doe", "email": f"bench{i}-{uuid.uuid4().hex[:8]}@example.com",
            "phone": "+49 170 1234 5678", "fields": {"crmId": f"A-{i}"}}


def scenarios(env: dict, n: int) -> dict[str, Scenario]:
    """Every function's scenario, for `n` invocations."""
    http = events.http
    merge = "application/merge-patch+json"
    nothing: Callable[[], State] = lambda: None
    contacts = lambda bodies: lambda: seed(env, "create-contact", bodies)
    groups = lambda bodies: lambda: seed(env, "create-group", bodies)
    return {
        "create-contact": Scenario(nothing, lambda s, i: http("POST", "/v1/contacts", contact(i)), 201),
        "get-contact": Scenario(contacts([contact(0)]), lambda s, i: http("GET", f"/v1/contacts/{s[0]}"), 200),
        "list-contacts": Scenario(contacts([contact(i) for i in range(15)]),
                                  lambda s, i: http("GET", "/v1/contacts", query="limit=10"), 200),
        "update-contact": Scenario(contacts([contact(0)]), lambda s, i: http(
            "PUT", f"/v1/contacts/{s[0]}", {"name": f"Renamed {i}", "email": "same@example.com"}), 200),
        "patch-contact": Scenario(contacts([contact(0)]), lambda s, i: http(
            "PATCH", f"/v1/contacts/{s[0]}", {"surname": f"Roe {i}"}, content_type=merge), 200),
        "delete-contact": Scenario(contacts([{"name": f"d{i}"} for i in range(n)]),
                                   lambda s, i: http("DELETE", f"/v1/contacts/{s[i]}"), 204),
        "list-trash": Scenario(lambda: seed_trash(env, [contact(i) for i in range(15)]),
                               lambda s, i: http("GET", "/v1/contacts/trash", query="limit=10"), 200),
        # A restore takes its contact out of the trash, and the harness sends a request more than
        # once (the first requests of fresh processes): each request restores the next one.
        "restore-contact": Scenario(lambda: seed_trash(env, [contact(i) for i in range(n + 4)]),
                                    lambda s, i: http("POST", f"/v1/contacts/{s.pop()}/restore"), 200),
        "bulk-delete-contacts": Scenario(contacts([{"name": f"b{i}"} for i in range(n * 2)]), lambda s, i: http(
            "POST", "/v1/contacts/bulk-delete", {"ids": s[2 * i:2 * i + 2]}), 200),
        # Two contacts per import: one matched by e-mail (replaced), one new.
        "import-contacts": Scenario(
            contacts([{"name": f"i{i}", "email": f"import{i}@example.com"} for i in range(n)]),
            lambda s, i: http("POST", "/v1/contacts/import", {"contacts": [
                {"name": f"Imported {i}", "email": f"import{i}@example.com"},
                {"name": f"New {i}", "email": f"new{i}-{uuid.uuid4().hex[:6]}@example.com"}]}), 200),
        "create-group": Scenario(nothing, lambda s, i: http(
            "POST", "/v1/groups", {"name": f"Group {i} {uuid.uuid4().hex[:6]}"}), 201),
        "list-groups": Scenario(groups([{"name": f"g{i}"} for i in range(15)]),
                                lambda s, i: http("GET", "/v1/groups", query="limit=10"), 200),
        "get-group": Scenario(groups([{"name": "g"}]), lambda s, i: http("GET", f"/v1/groups/{s[0]}"), 200),
        "patch-group": Scenario(groups([{"name": "g"}]), lambda s, i: http(
            "PATCH", f"/v1/groups/{s[0]}", {"description": f"d{i}"}, content_type=merge), 200),
        "delete-group": Scenario(groups([{"name": f"g{i}"} for i in range(n)]),
                                 lambda s, i: http("DELETE", f"/v1/groups/{s[i]}"), 204),
        "route-not-found": Scenario(nothing, lambda s, i: http("GET", "/v1/nowhere"), 404),
        "list-changes": Scenario(lambda: seed_changes(env, 15),
                                 lambda s, i: http("GET", "/v1/changes", query="limit=10"), 200),
        # Not an HTTP function: a stream batch of one contact write, answered with no failures.
        "record-changes": Scenario(nothing, lambda s, i: events.stream(i), BATCH),
    }
