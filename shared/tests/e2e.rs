//! End to end: the real function binaries behind `cargo lambda watch` (the router in Cargo.toml,
//! as `make dev` serves them), driven over HTTP against the local DynamoDB.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{Emulator, admin, agent, send, token};

#[test]
fn the_real_functions_serve_the_contract_through_cargo_lambda_watch() {
    let emulator = Emulator::start();
    let agent = agent();
    let base = &emulator.base;
    let bearer = format!("Bearer {}", token(&format!("e2e-{}", std::process::id())));
    let auth = ("authorization", bearer.as_str());
    let json_type = ("content-type", "application/json");

    // Create, with a body the emulator delivers base64-encoded (not application/json).
    let created = send(
        &agent,
        "POST",
        &format!("{base}/v1/contacts"),
        &[auth, ("content-type", "application/vnd.contact+json")],
        Some(r#"{"name":"Eve","email":"eve@example.com","phone":"+44 20 7946 0958"}"#),
    );
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert!(created.headers.contains_key("x-request-id"));
    let location = created.headers["location"].to_str().unwrap().to_string();
    assert_eq!(created.body["data"]["phone"], "+442079460958");

    let read = send(&agent, "GET", &format!("{base}{location}"), &[auth], None);
    assert_eq!(read.status, 200);
    assert_eq!(read.body["data"], created.body["data"]);
    assert_eq!(read.headers["etag"], "\"1\"");

    let cached = send(
        &agent,
        "GET",
        &format!("{base}{location}"),
        &[auth, ("if-none-match", "\"1\"")],
        None,
    );
    assert_eq!(cached.status, 304);

    let listed = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts?limit=5&fields=name"),
        &[auth],
        None,
    );
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"]["items"][0]["name"], "Eve");

    let stale = send(
        &agent,
        "PUT",
        &format!("{base}{location}"),
        &[auth, json_type, ("if-match", "\"9\"")],
        Some(r#"{"name":"X"}"#),
    );
    assert_eq!(stale.status, 412);
    let replaced = send(
        &agent,
        "POST",
        &format!("{base}{location}"),
        &[auth, json_type, ("if-match", "\"1\"")],
        Some(r#"{"name":"Eve B"}"#),
    );
    assert_eq!(replaced.status, 200, "{:#}", replaced.body);
    assert_eq!(replaced.body["data"]["version"], 2);

    // PATCH bodies arrive base64-encoded from the emulator, as from API Gateway.
    let merged = send(
        &agent,
        "PATCH",
        &format!("{base}{location}"),
        &[auth, ("content-type", "application/merge-patch+json")],
        Some(r#"{"Surname":"Lee","fields":{"vip":true}}"#),
    );
    assert_eq!(merged.status, 200, "{:#}", merged.body);
    assert_eq!(merged.body["data"]["surname"], "Lee");
    assert_eq!(merged.body["data"]["version"], 3);
    let patched = send(
        &agent,
        "PATCH",
        &format!("{base}{location}"),
        &[auth, ("content-type", "application/json-patch+json")],
        Some(r#"[{"op":"test","path":"/version","value":3},{"op":"remove","path":"fields/vip"}]"#),
    );
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    assert_eq!(patched.body["data"]["fields"], json!({}));
    let unsupported = send(
        &agent,
        "PATCH",
        &format!("{base}{location}"),
        &[auth, ("content-type", "text/plain")],
        Some("name=x"),
    );
    assert_eq!(unsupported.status, 415);
    assert!(unsupported.headers.contains_key("accept-patch"));

    // An API key made with the admin command works over Basic, and stops when revoked.
    let tenant = format!("e2e-keys-{}", std::process::id());
    let credentials = admin(&["create-key", &tenant, "contacts:read"]);
    let key_id = credentials.split_once(':').unwrap().0.to_string();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            credentials.trim()
        )
    );
    let keyed = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts"),
        &[("authorization", basic.as_str())],
        None,
    );
    assert_eq!(keyed.status, 200, "{:#}", keyed.body);
    assert!(admin(&["list-keys", &tenant]).contains(&key_id));
    admin(&["revoke-key", &key_id]);
    let revoked = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts"),
        &[("authorization", basic.as_str())],
        None,
    );
    assert_eq!(revoked.status, 401);
    assert!(
        revoked.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("Basic")
    );

    // Groups, a group filter and a bulk delete through their own functions.
    let group = send(
        &agent,
        "POST",
        &format!("{base}/v1/groups"),
        &[auth, json_type],
        Some(r#"{"name":"E2E"}"#),
    );
    assert_eq!(group.status, 201, "{:#}", group.body);
    let group_id = group.body["data"]["id"].as_str().unwrap().to_string();
    let member = send(
        &agent,
        "POST",
        &format!("{base}/v1/contacts"),
        &[auth, json_type],
        Some(&json!({"name": "Member", "groups": [group_id]}).to_string()),
    );
    assert_eq!(member.status, 201, "{:#}", member.body);
    let member_id = member.body["data"]["id"].as_str().unwrap().to_string();
    let filtered = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts?group=e2e"),
        &[auth],
        None,
    );
    assert_eq!(filtered.body["data"]["items"][0]["id"], member_id.as_str());
    let busy = send(
        &agent,
        "DELETE",
        &format!("{base}/v1/groups/{group_id}"),
        &[auth],
        None,
    );
    assert_eq!(busy.status, 409);
    let bulk = send(
        &agent,
        "POST",
        &format!("{base}/v1/contacts/bulk-delete"),
        &[auth, json_type],
        Some(&json!({"ids": [member_id, "nope"]}).to_string()),
    );
    assert_eq!(bulk.status, 200, "{:#}", bulk.body);
    assert_eq!(bulk.body["data"]["deleted"], 1);
    let renamed = send(
        &agent,
        "PATCH",
        &format!("{base}/v1/groups/{group_id}"),
        &[auth, ("content-type", "application/merge-patch+json")],
        Some(r#"{"name":"E2E renamed"}"#),
    );
    assert_eq!(renamed.status, 200);
    let listed_groups = send(&agent, "GET", &format!("{base}/v1/groups"), &[auth], None);
    assert_eq!(
        listed_groups.body["data"]["items"][0]["name"],
        "E2E renamed"
    );
    let empty = send(
        &agent,
        "DELETE",
        &format!("{base}/v1/groups/{group_id}"),
        &[auth],
        None,
    );
    assert_eq!(empty.status, 204);
    // The trash: a literal route beside `{id}` (served by list-trash, not get-contact), restore
    // (the group it was in is gone), erase.
    let trashed = send(
        &agent,
        "GET",
        &format!("{base}/v1/contacts/trash"),
        &[auth],
        None,
    );
    assert_eq!(trashed.status, 200, "{:#}", trashed.body);
    assert_eq!(trashed.body["data"]["items"][0]["id"], member_id.as_str());
    let restored = send(
        &agent,
        "POST",
        &format!("{base}/v1/contacts/{member_id}/restore"),
        &[auth],
        None,
    );
    assert_eq!(restored.status, 200, "{:#}", restored.body);
    assert_eq!(restored.body["data"]["groups"], json!([]));
    let erased = send(
        &agent,
        "DELETE",
        &format!("{base}/v1/contacts/{member_id}?permanent=true"),
        &[auth],
        None,
    );
    assert_eq!(erased.status, 204);

    let unauthenticated = send(&agent, "GET", &format!("{base}/v1/contacts"), &[], None);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(
        unauthenticated.body["errors"][0]["code"],
        "invalid_authentication"
    );

    let deleted = send(
        &agent,
        "DELETE",
        &format!("{base}{location}"),
        &[auth],
        None,
    );
    assert_eq!(deleted.status, 204);
    let gone = send(&agent, "GET", &format!("{base}{location}"), &[auth], None);
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["errors"][0]["code"], "not_found");

    // What an operator sees of a request: one JSON log line, and its EMF metrics.
    let log = emulator.log();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line.trim()).ok())
        .collect();
    // The request line of `route` answered with `status`.
    let request_line = |route: &str, status: u16| {
        lines
            .iter()
            .find(|line| {
                line["fields"]["message"] == "request"
                    && line["fields"]["route"] == route
                    && line["fields"]["status"] == status
            })
            .unwrap_or_else(|| panic!("no request line for {route} ({status}) in:\n{log}"))
    };
    let created_line = request_line("POST /v1/contacts", 201);
    let fields = &created_line["fields"];
    assert_eq!(fields["method"], "POST");
    assert!(fields["tenant"].as_str().unwrap().starts_with("e2e-"));
    assert!(fields["latency_ms"].as_f64().unwrap() > 0.0);
    // The capacity a request consumed, as DynamoDB reports it (moto reports none for
    // transactions, so the read's is checked: 0.5 units for one eventually consistent read).
    let read_line = request_line("GET /v1/contacts/{id}", 200);
    assert!(
        read_line["fields"]["capacity_units"].as_f64().unwrap() > 0.0,
        "{read_line}"
    );
    assert_eq!(fields["code"], "-");
    assert!(fields["cold_start"].is_boolean());
    assert!(fields["request_id"].is_string() && fields["lambda_request_id"].is_string());
    let refused = lines.iter().any(|line| {
        line["fields"]["route"] == "GET /v1/contacts"
            && line["fields"]["status"] == 401
            && line["fields"]["code"] == "invalid_authentication"
    });
    assert!(refused, "the 401 has its line, with its code");
    let metrics = lines
        .iter()
        .find(|line| {
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ContactsApi"
                && line["Route"] == "POST /v1/contacts"
        })
        .unwrap_or_else(|| panic!("no EMF document for the create in:\n{log}"));
    assert_eq!(metrics["Requests"], 1);
    assert!(metrics["Latency"].is_number() || metrics["Latency"].is_array());
    assert_eq!(metrics["Function"], "create-contact");
    let read_metrics = lines
        .iter()
        .find(|line| {
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ContactsApi"
                && line["Route"] == "GET /v1/contacts/{id}"
                && !line["ConsumedCapacity"].is_null()
        })
        .unwrap_or_else(|| panic!("no EMF document with the read's capacity in:\n{log}"));
    let consumed = &read_metrics["ConsumedCapacity"];
    assert!(
        consumed.as_f64().is_some_and(|units| units > 0.0)
            || consumed.as_array().is_some_and(|all| !all.is_empty()),
        "{read_metrics}"
    );
    // Never a credential or a body in the log.
    assert!(!log.contains(bearer.trim_start_matches("Bearer ")));
    assert!(!log.contains("eve@example.com"));

    let unknown = send(&agent, "GET", &format!("{base}/v1/nowhere"), &[auth], None);
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["isSuccess"], false);
    let wrong_method = send(
        &agent,
        "DELETE",
        &format!("{base}/v1/contacts"),
        &[auth],
        None,
    );
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.headers["allow"], "POST, GET");
}

/// The sample events under events/ (infra/events.py), sent as docs/operations.md shows: `cargo
/// lambda invoke NAME --data-file events/NAME.json` against `cargo lambda watch` with the local
/// default secret. Each function answers its event on an empty table as the contract says.
#[test]
fn every_sample_event_is_answered_through_cargo_lambda_invoke() {
    let emulator = Emulator::start_with(&[("JWT_SECRET", "local-dev-secret")]);
    let port = emulator.base.rsplit(':').next().unwrap().to_string();
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let expected = [
        ("create-contact", 201),
        ("get-contact", 404),
        ("list-contacts", 200),
        ("update-contact", 404),
        ("patch-contact", 404),
        ("delete-contact", 404),
        ("list-trash", 200),
        ("restore-contact", 404),
        ("bulk-delete-contacts", 200),
        ("import-contacts", 200),
        ("list-changes", 200),
        ("create-group", 201),
        ("list-groups", 200),
        ("get-group", 404),
        ("patch-group", 404),
        ("delete-group", 404),
        ("route-not-found", 404),
    ];
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(root.join("events")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let output = std::process::Command::new("cargo")
            .args(["lambda", "invoke", &name, "--invoke-address", "127.0.0.1"])
            .args([
                "--invoke-port",
                &port,
                "--output-format",
                "json",
                "--data-file",
            ])
            .arg(&path)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cargo lambda invoke {name}: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            emulator.log()
        );
        let answer: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("{name}: {err}: {output:?}"));
        if name == "record-changes" {
            assert_eq!(answer, json!({"batchItemFailures": []}), "{name}");
        } else {
            let status = expected
                .iter()
                .find(|(function, _)| *function == name)
                .unwrap_or_else(|| panic!("events/{name}.json: no expected status here"))
                .1;
            assert_eq!(answer["statusCode"], status, "{name}: {answer:#}");
            let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["isSuccess"], status < 300, "{name}: {body:#}");
        }
        seen.push(name);
    }
    assert_eq!(seen.len(), expected.len() + 1, "{seen:?}");
}
