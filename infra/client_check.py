"""The Python client generated from openapi.yaml (openapi-python-client, in make test) driving the
local stack: create, get, list with a cursor, patch in both formats, delete, and an error answer
decoded into its model.

  python infra/client_check.py BASE_URL TOKEN    (the generated package on PYTHONPATH)

Every call goes through the generated functions and models, but for one generator bug: with more
than one content type for a request body, openapi-python-client 0.29.1 picks the content type
with `isinstance(body, JsonPatchOperation | list[JsonPatchOperation])`, which Python refuses
(TypeError: a parameterized generic), so `patch_contact` cannot be called at all. The patches
are then sent with the generated client's own HTTP client and the generated models, and
decoded by the generated parser; when a generator release fixes it, this check uses
`patch_contact` itself (it tries it first).
"""

import sys
import uuid

from contacts_api_client import AuthenticatedClient
from contacts_api_client.api.contacts import (
    create_contact,
    delete_contact,
    get_contact,
    list_contacts,
    patch_contact,
)
from contacts_api_client.models import (
    ContactEnvelope,
    ContactInput,
    ContactMergePatch,
    ErrorEnvelope,
    JsonPatchOperation,
    JsonPatchOperationOp,
    PageEnvelope,
)
from contacts_api_client.types import Response


def patch(client: AuthenticatedClient, contact_id: uuid.UUID, body, content_type: str) -> Response:
    try:
        return patch_contact.sync_detailed(contact_id, client=client, body=body)
    except TypeError as err:
        if "parameterized generic" not in str(err):
            raise
    payload = [op.to_dict() for op in body] if isinstance(body, list) else body.to_dict()
    response = client.get_httpx_client().request(
        "PATCH", f"/v1/contacts/{contact_id}", json=payload, headers={"Content-Type": content_type})
    return patch_contact._build_response(client=client, response=response)


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token)
    run = uuid.uuid4().hex[:8]

    ids = []
    for i in range(3):
        body = ContactInput.from_dict({"name": f"Client {i}", "email": f"client{i}-{run}@example.com"})
        created = create_contact.sync_detailed(client=client, body=body)
        assert created.status_code == 201, created
        assert isinstance(created.parsed, ContactEnvelope), created.parsed
        assert created.parsed.is_success and created.parsed.data.name == f"Client {i}"
        ids.append(created.parsed.data.id)

    read = get_contact.sync_detailed(ids[0], client=client)
    assert read.status_code == 200 and isinstance(read.parsed, ContactEnvelope), read
    assert read.parsed.data.email == f"client0-{run}@example.com"

    # A page of two, then the rest with its cursor.
    seen = []
    first = list_contacts.sync_detailed(client=client, limit=2)
    assert first.status_code == 200 and isinstance(first.parsed, PageEnvelope), first
    seen += [item.id for item in first.parsed.data.items]
    cursor = first.parsed.data.next_cursor
    assert len(seen) == 2 and isinstance(cursor, str), first.parsed
    rest = list_contacts.sync_detailed(client=client, limit=2, cursor=cursor)
    assert rest.status_code == 200 and isinstance(rest.parsed, PageEnvelope), rest
    seen += [item.id for item in rest.parsed.data.items]
    assert set(ids) <= set(seen), (ids, seen)

    merged = patch(client, ids[0], ContactMergePatch.from_dict({"surname": "Merged"}),
                   "application/merge-patch+json")
    assert merged.status_code == 200 and isinstance(merged.parsed, ContactEnvelope), merged
    assert merged.parsed.data.surname == "Merged" and merged.parsed.data.version == 2
    json_patched = patch(client, ids[0], [JsonPatchOperation(op=JsonPatchOperationOp.REPLACE,
                                                             path="/surname", value="Patched")],
                         "application/json-patch+json")
    assert json_patched.status_code == 200 and isinstance(json_patched.parsed, ContactEnvelope), json_patched
    assert json_patched.parsed.data.surname == "Patched" and json_patched.parsed.data.version == 3

    deleted = delete_contact.sync_detailed(ids[0], client=client)
    assert deleted.status_code == 204, deleted

    # An error answer, decoded into the error envelope's model.
    missing = get_contact.sync_detailed(ids[0], client=client)
    assert missing.status_code == 404 and isinstance(missing.parsed, ErrorEnvelope), missing
    assert not missing.parsed.is_success and missing.parsed.errors[0].code.value == "not_found", missing.parsed
    taken = create_contact.sync_detailed(
        client=client, body=ContactInput.from_dict({"name": "Twin", "email": f"client1-{run}@example.com"}))
    assert taken.status_code == 409 and isinstance(taken.parsed, ErrorEnvelope), taken
    assert taken.parsed.errors[0].field == "email", taken.parsed
    print("generated Python client: create, get, list with a cursor, patch (merge and JSON Patch), "
          "delete, and error answers decoded: OK")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
