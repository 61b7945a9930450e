//! `POST /v1/contacts/import`: 100 mixed items, each reported; matched by e-mail; nothing
//! half-written.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, spawn_app};

async fn import(app: &TestApp, body: Value) -> TestResponse {
    app.call(
        "import-contacts",
        app.request("POST", "/v1/contacts/import").json(body),
    )
    .await
}

#[tokio::test]
async fn a_hundred_mixed_items_are_each_reported_and_only_valid_ones_written() {
    let app = spawn_app().await;
    let group = app.group("Imported").await;
    // 20 contacts exist already; the import matches them by e-mail in another case.
    let mut existing = Vec::new();
    for i in 0..20 {
        let (id, _) = app
            .contact(json!({"name": format!("Old {i}"), "email": format!("old{i}@example.com"), "surname": "Keep?"}))
            .await;
        existing.push(id);
    }
    let taken = app
        .create(json!({"name": "Taken", "email": "taken@example.com"}))
        .await;
    let mut items = Vec::new();
    for i in 0..100 {
        items.push(match i % 5 {
            // 20 updates of existing contacts (e-mail matched case-insensitively)
            0 => json!({"name": format!("Updated {i}"), "email": format!("OLD{}@Example.com", i / 5), "groups": [group]}),
            // 20 new contacts with an e-mail, 20 without
            1 => json!({"name": format!("New {i}"), "email": format!("new{i}@example.com")}),
            2 => json!({"name": format!("Plain {i}"), "number": "+49 170 1234567"}),
            // 20 invalid: a rule broken (422) or a malformed member (400)
            3 if i % 2 == 0 => json!({"name": "", "email": "nope"}),
            3 => json!({"name": "Typo", "nmae": "x"}),
            // 20 that name a group that does not exist
            _ => json!({"name": format!("Lost {i}"), "groups": ["0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"]}),
        });
    }
    let response = import(&app, json!({"contacts": items})).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let data = response.data();
    assert_eq!(
        (&data["created"], &data["updated"], &data["failed"]),
        (&json!(40), &json!(20), &json!(40))
    );
    let results = data["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result["index"], i);
        let expected = match i % 5 {
            0 => "updated",
            1 | 2 => "created",
            _ => "invalid",
        };
        assert_eq!(result["status"], expected, "{i}: {result}");
        match expected {
            "invalid" => {
                assert!(result.get("id").is_none());
                let errors = result["errors"].as_array().unwrap();
                assert!(!errors.is_empty());
                let field = if i % 5 == 4 {
                    "groups"
                } else if i % 2 == 0 {
                    "name"
                } else {
                    "nmae"
                };
                assert!(
                    errors
                        .iter()
                        .any(|e| e["field"] == field && e["message"].is_string()),
                    "{i}: {result}"
                );
            }
            _ => {
                let id = result["id"].as_str().unwrap();
                let stored = app.get(id).await.unwrap();
                assert_eq!(stored["version"], result["version"]);
                if expected == "updated" {
                    assert_eq!(id, existing[i / 5]);
                    // Replaced like PUT: the e-mail as imported, surname gone, group joined.
                    assert_eq!(stored["email"], format!("OLD{}@Example.com", i / 5));
                    assert!(stored.get("surname").is_none());
                    assert_eq!(stored["groups"], json!([group]));
                }
            }
        }
    }
    // Nothing else was written: 20 old + 1 taken + 40 new contacts, each with its guard.
    let keys = app.stored_keys().await;
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("CONTACT#")).count(),
        61
    );
    assert_eq!(keys.iter().filter(|k| k.starts_with("EMAIL#")).count(), 41);
    assert_eq!(keys.iter().filter(|k| k.starts_with("MEMBER#")).count(), 20);
    assert_eq!(app.get(taken["id"].as_str().unwrap()).await.unwrap(), taken);
}

#[tokio::test]
async fn an_address_given_twice_is_written_once_and_the_repeat_is_a_conflict() {
    let app = spawn_app().await;
    let response = import(
        &app,
        json!({"contacts": [
            {"name": "First", "email": "twice@example.com"},
            {"name": "Second", "email": "TWICE@example.com"},
        ]}),
    )
    .await;
    let results = response.data()["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "created");
    assert_eq!(results[1]["status"], "conflict");
    assert_eq!(results[1]["errors"][0]["code"], "conflict");
    assert_eq!(results[1]["errors"][0]["field"], "email");
    let stored = app.get(results[0]["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(stored["name"], "First");
}

#[tokio::test]
async fn a_body_that_is_not_a_list_of_1_to_100_contacts_is_refused_whole() {
    let app = spawn_app().await;
    for (body, status) in [
        (json!([{"name": "A"}]), 400),
        (json!({"items": [{"name": "A"}]}), 400),
        (json!({"contacts": []}), 422),
        (json!({"contacts": vec![json!({"name": "A"}); 101]}), 422),
    ] {
        let response = import(&app, body.clone()).await;
        assert_eq!(response.status, status, "{body}");
    }
    assert!(app.stored_keys().await.is_empty());
    let read_only = app
        .call(
            "import-contacts",
            app.request("POST", "/v1/contacts/import")
                .token(&crate::helpers::token_with(
                    json!({"tenant": app.tenant, "scope": "contacts:read"}),
                ))
                .json(json!({"contacts": [{"name": "A"}]})),
        )
        .await;
    read_only.assert_error(403, "permission_denied");
}

#[tokio::test]
async fn an_import_replays_under_its_idempotency_key() {
    let app = spawn_app().await;
    let request = || {
        app.request("POST", "/v1/contacts/import")
            .header("idempotency-key", "import-1")
            .json(json!({"contacts": [{"name": "No e-mail"}]}))
    };
    let first = app.call("import-contacts", request()).await;
    let retry = app.call("import-contacts", request()).await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.data(), first.data());
    let keys = app.stored_keys().await;
    assert_eq!(keys.iter().filter(|k| k.starts_with("CONTACT#")).count(), 1);
}
