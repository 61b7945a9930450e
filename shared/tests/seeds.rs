//! The five source APIs (000 to 004 in docs/compatibility.md): each one's own example requests,
//! as its clients send them, sent to the real binaries behind `cargo lambda watch` as `make dev`
//! serves them, get the status and the shape that document shows (or the documented
//! difference, named here where it applies).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{Answer, Emulator, admin, agent, send, token};
use ureq::Agent;

struct Client {
    agent: Agent,
    base: String,
    bearer: String,
    tenant: String,
}

impl Client {
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Answer {
        let body = body.map(Value::to_string);
        send(
            &self.agent,
            method,
            &format!("{}{path}", self.base),
            headers,
            body.as_deref(),
        )
    }

    /// A request with the tenant's Bearer token and, with a body, `Content-Type: application/json`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut headers = vec![("authorization", self.bearer.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.send(method, path, &headers, body.as_ref())
    }

    fn create(&self, body: Value) -> String {
        let created = self.call("POST", "/api/v1/contacts", Some(body));
        assert_eq!(created.status, 201, "{:#}", created.body);
        created.body["data"]["id"].as_str().unwrap().to_string()
    }

    /// `Basic keyId:secret` of a new API key of this tenant with `scopes`.
    fn basic(&self, scopes: &str) -> String {
        let credentials = admin(&["create-key", &self.tenant, scopes]);
        format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                credentials.trim()
            )
        )
    }
}

/// The envelope (docs/api.md), whose first five members are those source 000's clients read.
fn assert_envelope(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{:#}", answer.body);
    let body = &answer.body;
    assert_eq!(body["isSuccess"], status < 400, "{body:#}");
    assert_eq!(body["statusCode"], status);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    if status < 400 {
        assert_eq!(body["errors"], json!([]));
    } else {
        assert_eq!(body["data"], Value::Null);
        // Each error is an object with a readable `message`, which is what a client that
        // prints source 000's string errors shows.
        for error in body["errors"].as_array().unwrap() {
            assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
            assert!(error["code"].is_string());
        }
    }
}

#[test]
fn each_source_documents_example_requests_get_its_status_and_shape() {
    let emulator = Emulator::start();
    let tenant = format!("seeds-{}", std::process::id());
    let client = Client {
        agent: agent(),
        base: emulator.base.clone(),
        bearer: format!("Bearer {}", token(&tenant)),
        tenant,
    };
    seed_000_patch_with_envelope(&client);
    seed_001_contacts_with_groups(&client);
    seed_002_directory_item_json_patch(&client);
    seed_003_bulk_delete_by_link_ids(&client);
    seed_004_superoffice_patch(&client);
}

/// 000: PATCH /api/v1/contacts/{id} with a plain JSON body; the envelope with `_id`.
fn seed_000_patch_with_envelope(client: &Client) {
    let id = client.create(json!({"name": "Jo"}));
    let example = json!({
        "name": "John", "surname": "Doe", "email": "john.doe.000@example.com",
        "description": "Software engineer with 5+ years experience"
    });
    let patched = client.call(
        "PATCH",
        &format!("/api/v1/contacts/{id}"),
        Some(example.clone()),
    );
    assert_envelope(&patched, 200);
    let data = &patched.body["data"];
    for (member, value) in example.as_object().unwrap() {
        assert_eq!(&data[member], value, "{member}");
    }
    assert_eq!(data["_id"], id.as_str());
    for member in ["createdAt", "updatedAt"] {
        assert!(data[member].as_str().unwrap().ends_with('Z'), "{member}");
    }

    let read = client.call("GET", &format!("/api/v1/contacts/{id}"), None);
    assert_envelope(&read, 200);
    assert_eq!(read.body["data"]["_id"], id.as_str());

    // 400 "Validation failed" there: a malformed body is a 400 here too (a well-formed one
    // that breaks a rule is a 422, as docs/api.md says).
    let malformed = client.call(
        "PATCH",
        &format!("/api/v1/contacts/{id}"),
        Some(json!({"name": 5})),
    );
    assert_envelope(&malformed, 400);
    // 409: "already exists": the e-mail is another contact's.
    let other = client.create(json!({"name": "Other"}));
    let taken = client.call(
        "PATCH",
        &format!("/api/v1/contacts/{other}"),
        Some(json!({"email": "john.doe.000@example.com"})),
    );
    assert_envelope(&taken, 409);
    let deleted = client.call("DELETE", &format!("/api/v1/contacts/{id}"), None);
    assert_eq!(deleted.status, 204);
    let missing = client.call("PATCH", &format!("/api/v1/contacts/{id}"), Some(example));
    assert_envelope(&missing, 404);
}

/// 001: /contacts with `number` and group ids, Bearer or Basic, `limit` 10 and `page` 1 by
/// default, POST /contacts/{id} as an update, 204 on delete, 400/401/403/404/422.
fn seed_001_contacts_with_groups(client: &Client) {
    let group = client.call(
        "POST",
        "/api/v1/groups",
        Some(json!({"name": "Newsletter 001"})),
    );
    assert_envelope(&group, 201);
    let group_id = group.body["data"]["id"].as_str().unwrap().to_string();
    let created = client.call(
        "POST",
        "/api/v1/contacts",
        Some(json!({
            "name": "Max", "number": "+49 170 1234567", "email": "max.001@example.com",
            "groups": [group_id]
        })),
    );
    assert_envelope(&created, 201);
    let id = created.body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["data"]["number"], "+491701234567");
    assert_eq!(created.body["data"]["groups"], json!([group_id]));

    // Filtered by group id or name; `limit` and `page` as there.
    for filter in [group_id.as_str(), "newsletter%20001"] {
        let listed = client.call(
            "GET",
            &format!("/api/v1/contacts?group={filter}&limit=10&page=1"),
            None,
        );
        assert_envelope(&listed, 200);
        assert_eq!(
            listed.body["data"]["items"][0]["id"],
            id.as_str(),
            "{filter}"
        );
        assert_eq!(listed.body["data"]["items"][0]["number"], "+491701234567");
    }
    // Defaults: 10 per page, page 1; page 2 holds the rest.
    for i in 0..10 {
        client.create(json!({"name": format!("Filler {i}")}));
    }
    let first = client.call("GET", "/api/v1/contacts", None);
    let first_items = first.body["data"]["items"].as_array().unwrap().clone();
    assert_eq!(first_items.len(), 10);
    let explicit = client.call("GET", "/api/v1/contacts?page=1&limit=10", None);
    assert_eq!(
        explicit.body["data"]["items"].as_array().unwrap(),
        &first_items
    );
    let second = client.call("GET", "/api/v1/contacts?page=2", None);
    let second_items = second.body["data"]["items"].as_array().unwrap();
    assert!(!second_items.is_empty());
    assert!(second_items.iter().all(|item| !first_items.contains(item)));

    // Basic authentication: a read key reads (403 on writes), the Bearer token writes.
    let basic = client.basic("contacts:read");
    let read = client.send(
        "GET",
        &format!("/api/v1/contacts/{id}"),
        &[("authorization", basic.as_str())],
        None,
    );
    assert_envelope(&read, 200);
    assert_eq!(read.body["data"]["number"], "+491701234567");
    let forbidden = client.send(
        "POST",
        &format!("/api/v1/contacts/{id}"),
        &[
            ("authorization", basic.as_str()),
            ("content-type", "application/json"),
        ],
        Some(&json!({"name": "Max"})),
    );
    assert_envelope(&forbidden, 403);

    // POST /contacts/{id}: the same body as a create, an update.
    let updated = client.call(
        "POST",
        &format!("/api/v1/contacts/{id}"),
        Some(json!({"name": "Max M", "number": "+49 170 7654321", "email": "max.001@example.com", "groups": []})),
    );
    assert_envelope(&updated, 200);
    assert_eq!(updated.body["data"]["number"], "+491707654321");
    assert_eq!(updated.body["data"]["version"], 2);

    assert_envelope(&client.send("GET", "/api/v1/contacts", &[], None), 401);
    assert_envelope(
        &client.call("POST", "/api/v1/contacts", Some(json!({"name": ""}))),
        422,
    );
    assert_envelope(
        &client.call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"name": "A", "number": 49})),
        ),
        400,
    );
    let deleted = client.call("DELETE", &format!("/api/v1/contacts/{id}"), None);
    assert_eq!((deleted.status, deleted.body.clone()), (204, Value::Null));
    assert_envelope(
        &client.call("GET", &format!("/api/v1/contacts/{id}"), None),
        404,
    );
}

/// 002: one JSON Patch operation object as `application/json`. The answer is 200 (the
/// document shows 201 for a patch) with the item's `id` and `fields`.
fn seed_002_directory_item_json_patch(client: &Client) {
    let id = client.create(json!({
        "name": "CRM3a", "fields": {"title": "Mr", "phone1": "+44XXXXXXXXXX", "crmId": "00000000-0000-0000-0000-000000000001"}
    }));
    let operation = json!({"path": "/fields/phone2", "op": "add", "value": "+44YYYYYYYYYY"});
    let headers = [
        ("authorization", client.bearer.as_str()),
        ("content-type", "application/json"),
        ("accept-charges", "true"),
        ("connection", "keep-alive"),
    ];
    let patched = client.send(
        "PATCH",
        &format!("/api/v1/contacts/{id}"),
        &headers,
        Some(&operation),
    );
    assert_envelope(&patched, 200);
    let data = &patched.body["data"];
    assert_eq!(data["id"], id.as_str());
    assert_eq!(data["fields"]["phone1"], "+44XXXXXXXXXX");
    assert_eq!(data["fields"]["phone2"], "+44YYYYYYYYYY");
    assert_eq!(
        data["fields"]["crmId"],
        "00000000-0000-0000-0000-000000000001"
    );

    // Its errors: 401 without a token, 400 for an id in the wrong format, 404 for no item.
    assert_envelope(
        &client.send(
            "PATCH",
            &format!("/api/v1/contacts/{id}"),
            &headers[1..],
            Some(&operation),
        ),
        401,
    );
    assert_envelope(
        &client.send(
            "PATCH",
            "/api/v1/contacts/not-an-id",
            &headers,
            Some(&operation),
        ),
        400,
    );
    let missing = "00000000-0000-0000-0000-000000000123";
    assert_envelope(
        &client.send(
            "PATCH",
            &format!("/api/v1/contacts/{missing}"),
            &headers,
            Some(&operation),
        ),
        404,
    );
}

/// 003: `{"link_ids": [...]}`; each result carries `link_id`, `success`, `extended_info`.
fn seed_003_bulk_delete_by_link_ids(client: &Client) {
    let id = client.create(json!({"name": "Linked"}));
    let missing = "91c615e3-1040-4815-8ecb-039a18b756b5";
    let deleted = client.call(
        "POST",
        "/api/v1/contacts/bulk-delete",
        Some(json!({"link_ids": [id, missing]})),
    );
    assert_envelope(&deleted, 200);
    let results = deleted.body["data"]["results"].as_array().unwrap();
    let seed_view: Vec<Value> = results
        .iter()
        .map(|r| json!({"link_id": r["link_id"], "success": r["success"], "extended_info": r["extended_info"]}))
        .collect();
    assert_eq!(
        seed_view,
        [
            json!({"link_id": id, "success": true, "extended_info": "deleted"}),
            json!({"link_id": missing, "success": false, "extended_info": "entity_not_found"}),
        ]
    );
    // Its error codes are the contract's: not_valid (400) and invalid_authentication (401).
    let invalid = client.call(
        "POST",
        "/api/v1/contacts/bulk-delete",
        Some(json!({"link_ids": "x"})),
    );
    assert_envelope(&invalid, 400);
    assert_eq!(invalid.body["errors"][0]["code"], "not_valid");
    assert_eq!(invalid.body["errors"][0]["field"], "link_ids");
    let anonymous = client.send(
        "POST",
        "/api/v1/contacts/bulk-delete",
        &[("content-type", "application/json")],
        Some(&json!({"link_ids": [missing]})),
    );
    assert_envelope(&anonymous, 401);
    assert_eq!(
        anonymous.body["errors"][0]["code"],
        "invalid_authentication"
    );
}

/// 004: PATCH /api/v1/Contact/{id}, JSON Patch or Merge Patch, case-insensitive paths with an
/// optional slash, `$select`, 409 on a failed `test`, 412 on `If-Unmodified-Since`.
fn seed_004_superoffice_patch(client: &Client) {
    // RFC 6902 `replace` needs the member to exist; SuperOffice returns every field, this API
    // leaves out what was never given (docs/compatibility.md), so the contact has a description.
    let id = client.create(json!({
        "name": "Schuster-Reichel", "description": "Public-key actuating circuit",
        "fields": {"CustomFields1": "laborum"}
    }));
    let basic = client.basic("contacts:read,contacts:write");
    let headers = [
        ("authorization", basic.as_str()),
        ("accept", "application/json; charset=utf-8"),
        ("accept-language", "en"),
        ("content-type", "application/json; charset=utf-8"),
    ];
    let path = format!("/api/v1/Contact/{id}?$select=name,description,fields");
    for (body, description) in [
        (
            json!([{"op": "replace", "path": "/Description", "value": "foo"}]),
            "foo",
        ),
        (json!({"Description": "bar"}), "bar"),
        (
            json!([{"op": "add", "path": "description", "value": "baz"}]),
            "baz",
        ),
    ] {
        let patched = client.send("PATCH", &path, &headers, Some(&body));
        assert_envelope(&patched, 200);
        let data = patched.body["data"].as_object().unwrap();
        assert_eq!(data["description"], description);
        let mut members: Vec<&str> = data.keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(members, ["_id", "description", "fields", "id", "name"]);
    }
    // Every segment naming a field or a custom field key is case-insensitive.
    let custom = client.send(
        "PATCH",
        &path,
        &headers,
        Some(&json!([{"op": "replace", "path": "/customfields/x", "value": 1}])),
    );
    assert_envelope(&custom, 400);
    let custom = client.send(
        "PATCH",
        &path,
        &headers,
        Some(&json!([{"op": "replace", "path": "/FIELDS/customfields1", "value": "perspiciatis"}])),
    );
    assert_envelope(&custom, 200);
    assert_eq!(
        custom.body["data"]["fields"],
        json!({"CustomFields1": "perspiciatis"})
    );

    let conflict = client.send(
        "PATCH",
        &path,
        &headers,
        Some(&json!([{"op": "test", "path": "/Name", "value": "Someone else"}, {"op": "replace", "path": "/Name", "value": "X"}])),
    );
    assert_envelope(&conflict, 409);
    let stale = [
        headers[0],
        headers[3],
        ("if-unmodified-since", "Thu, 21 Feb 2013 15:29:29 GMT"),
    ];
    assert_envelope(
        &client.send("PATCH", &path, &stale, Some(&json!({"Name": "X"}))),
        412,
    );
    let missing = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";
    assert_envelope(
        &client.send(
            "PATCH",
            &format!("/api/v1/Contact/{missing}"),
            &headers,
            Some(&json!({"Name": "X"})),
        ),
        404,
    );
    // The document's sample request names a field this API does not have: a 400 naming it.
    let sample = json!([{"op": "add", "path": "officia", "value": {}}, {"op": "add", "path": "officia", "value": {}}]);
    let unknown = client.send(
        "PATCH",
        &format!("/api/v1/Contact/{id}"),
        &headers,
        Some(&sample),
    );
    assert_envelope(&unknown, 400);
    assert_eq!(unknown.body["errors"][0]["field"], "/0/path");
    let read = client.send("GET", &format!("/api/v1/contact/{id}"), &headers[..1], None);
    assert_envelope(&read, 200);
    assert_eq!(read.body["data"]["name"], "Schuster-Reichel");
}
