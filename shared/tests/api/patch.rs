use futures::future::join_all;
use lambda_http::Body;
use serde_json::json;
use shared::endpoints::patch_contact;

use crate::helpers::{new_tenant, spawn_app, token_with};

const MERGE: &str = "application/merge-patch+json";
const JSON_PATCH: &str = "application/json-patch+json";

#[tokio::test]
async fn a_merge_patch_changes_only_what_it_names() {
    let app = spawn_app().await;
    let (id, before) = app.contact(
        json!({"name": "A", "surname": "S", "email": "a@example.com", "fields": {"x": 1, "y": 2}}),
    )
    .await;
    let response = app
        .patch(
            &id,
            MERGE,
            json!({"surname": null, "phone": "+1 415 555 2671", "fields": {"y": null, "z": true}}),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let after = response.data();
    assert_eq!(after["name"], "A");
    assert_eq!(after["email"], "a@example.com");
    assert!(after.get("surname").is_none());
    assert_eq!(after["phone"], "+14155552671");
    assert_eq!(after["fields"], json!({"x": 1, "z": true}));
    assert_eq!(after["version"], 2);
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert_eq!(response.header("etag"), Some("\"2\""));
    assert_eq!(app.get(&id).await.unwrap(), *after);
}

#[tokio::test]
async fn a_json_patch_applies_all_six_operations_in_order() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(
            json!({"name": "A", "surname": "S", "email": "a@example.com", "fields": {"old": "v"}}),
        )
        .await;
    let response = app
        .patch(
            &id,
            JSON_PATCH,
            json!([
                {"op": "test", "path": "/version", "value": 1.0},
                {"op": "replace", "path": "/name", "value": "B"},
                {"op": "remove", "path": "/surname"},
                {"op": "add", "path": "/fields/new", "value": 7},
                {"op": "move", "from": "/fields/old", "path": "/fields/moved"},
                {"op": "copy", "from": "/email", "path": "/fields/backup"},
                {"op": "add", "path": "/description", "value": "added"}
            ]),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let after = response.data();
    assert_eq!(after["name"], "B");
    assert!(after.get("surname").is_none());
    assert_eq!(after["description"], "added");
    assert_eq!(
        after["fields"],
        json!({"new": 7, "moved": "v", "backup": "a@example.com"})
    );
}

#[tokio::test]
async fn the_first_segment_is_case_insensitive_and_its_slash_optional() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "A", "fields": {"Phone2": "x"}}))
        .await;
    for (i, path) in ["Email", "/email", "email", "/EMAIL"]
        .into_iter()
        .enumerate()
    {
        let address = format!("n{i}@example.com");
        let response = app
            .patch(
                &id,
                JSON_PATCH,
                json!([{"op": "add", "path": path, "value": address}]),
            )
            .await;
        assert_eq!(response.status, 200, "{path}: {:#}", response.body);
        assert_eq!(response.data()["email"], address);
    }
    let response = app
        .patch(&id, MERGE, json!({"NAME": "Upper", "Surname": "Mixed"}))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        (
            response.data()["name"].clone(),
            response.data()["surname"].clone()
        ),
        (json!("Upper"), json!("Mixed"))
    );
    // Below the first segment a key names an existing member case-insensitively when none
    // matches exactly (as SuperOffice clients send them); an exact match wins, and no key is
    // guessed among several.
    let (id, _) = app
        .contact(json!({"name": "A", "fields": {"Phone2": "x", "a": 1, "A": 2, "crmId": "c"}}))
        .await;
    let response = app
        .patch(
            &id,
            JSON_PATCH,
            json!([
                {"op": "remove", "path": "FIELDS/phone2"},
                {"op": "remove", "path": "/fields/a"},
                {"op": "replace", "path": "/Fields/CRMID", "value": "d"},
                {"op": "add", "path": "/fields/New", "value": 1},
                {"op": "replace", "path": "/fields/NEW", "value": 2},
            ]),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(
        response.data()["fields"],
        json!({"A": 2, "crmId": "d", "New": 2})
    );
    for ambiguous in [json!({"a": 1, "A": 2}), json!({"x": 1})] {
        let (id, before) = app.contact(json!({"name": "A", "fields": ambiguous})).await;
        let response = app
            .patch(
                &id,
                JSON_PATCH,
                json!([{"op": "remove", "path": "/fields/aA"}]),
            )
            .await;
        response.assert_error(422, "validation_failed");
        assert_eq!(app.get(&id).await.unwrap(), before);
    }
    let response = app
        .patch(&id, MERGE, json!({"fields": {"crmid": null, "A": 3}}))
        .await;
    assert_eq!(response.data()["fields"], json!({"A": 3, "New": 2}));
}

#[tokio::test]
async fn application_json_takes_an_array_as_json_patch_and_an_object_as_merge_patch() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let response = app
        .patch(
            &id,
            "application/json",
            json!([{"op": "replace", "path": "/name", "value": "FromArray"}]),
        )
        .await;
    assert_eq!(response.data()["name"], "FromArray");
    let response = app
        .patch(
            &id,
            "application/json; charset=utf-8",
            json!({"name": "FromObject"}),
        )
        .await;
    assert_eq!(response.data()["name"], "FromObject");
    let response = app.patch(&id, "application/json", json!("text")).await;
    response.assert_error(400, "not_valid");
}

#[tokio::test]
async fn other_media_types_are_415_with_accept_patch() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for content_type in [
        "text/plain",
        "application/xml",
        "application/vnd.other+json",
    ] {
        let response = app.patch(&id, content_type, json!({"name": "B"})).await;
        response.assert_error(415, "unsupported_media_type");
        let accept = response.header("accept-patch").unwrap();
        for media in [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/json",
        ] {
            assert!(accept.contains(media), "{accept}");
        }
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn malformed_patch_documents_are_400_and_change_nothing() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for (content_type, body, field) in [
        (JSON_PATCH, json!({"op": "add"}), Some("/0/path")),
        (JSON_PATCH, json!({"name": "x"}), Some("/0/op")),
        (
            JSON_PATCH,
            json!([{"op": "spam", "path": "/name", "value": 1}]),
            Some("/0/op"),
        ),
        (
            JSON_PATCH,
            json!([{"op": "replace", "path": "/name"}]),
            Some("/0/value"),
        ),
        (
            JSON_PATCH,
            json!([{"op": "copy", "path": "/name"}]),
            Some("/0/from"),
        ),
        (
            JSON_PATCH,
            json!([{"op": "add", "value": 1}]),
            Some("/0/path"),
        ),
        (
            JSON_PATCH,
            json!([{"op": "test", "path": "/name", "value": "A"}, {"op": "add", "path": "/nickname", "value": 1}]),
            Some("/1/path"),
        ),
        (
            JSON_PATCH,
            json!([{"op": "add", "path": "", "value": {}}]),
            Some("/0/path"),
        ),
        (JSON_PATCH, json!(["add"]), Some("/0")),
        (MERGE, json!(["not", "an", "object"]), None),
        (MERGE, json!({"nickname": "x"}), Some("nickname")),
        (MERGE, json!({"name": "a", "NAME": "b"}), Some("name")),
        (MERGE, json!({"name": 5}), Some("name")),
    ] {
        let response = app.patch(&id, content_type, body.clone()).await;
        response.assert_error(400, "not_valid");
        assert_eq!(response.errors()[0].1.as_deref(), field, "{body}");
    }
    let response = app
        .send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}"))
                .raw(MERGE, Body::Text("{\"name\": ".into())),
        )
        .await;
    response.assert_error(400, "not_valid");
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn a_failed_test_is_409_and_nothing_changes() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let response = app
        .patch(
            &id,
            JSON_PATCH,
            json!([
                {"op": "replace", "path": "/name", "value": "B"},
                {"op": "test", "path": "/name", "value": "A"}
            ]),
        )
        .await;
    response.assert_error(409, "conflict");
    assert_eq!(response.errors()[0].1.as_deref(), Some("/1"));
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn touching_a_read_only_field_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, before) = app
        .contact(json!({"name": "A", "fields": {"k": "v"}}))
        .await;
    for (content_type, body) in [
        (
            JSON_PATCH,
            json!([{"op": "replace", "path": "/id", "value": "x"}]),
        ),
        (
            JSON_PATCH,
            json!([{"op": "replace", "path": "Version", "value": 9}]),
        ),
        (JSON_PATCH, json!([{"op": "remove", "path": "/updatedAt"}])),
        (
            JSON_PATCH,
            json!([{"op": "move", "from": "/createdAt", "path": "/fields/c"}]),
        ),
        (
            JSON_PATCH,
            json!([{"op": "copy", "from": "/fields/k", "path": "/createdAt"}]),
        ),
        (MERGE, json!({"version": 5})),
        (MERGE, json!({"CreatedAt": null, "name": "B"})),
    ] {
        let response = app.patch(&id, content_type, body.clone()).await;
        response.assert_error(422, "validation_failed");
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
    // Reading a read-only field is not touching it.
    let response = app.patch(
        &id,
        JSON_PATCH,
        json!([{"op": "test", "path": "/version", "value": 1}, {"op": "copy", "from": "/id", "path": "/fields/ref"}]),
    )
    .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
}

#[tokio::test]
async fn a_patch_that_leaves_the_contact_invalid_is_422_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, before) = app
        .contact(json!({"name": "A", "email": "a@example.com", "groups": []}))
        .await;
    for (content_type, body, field) in [
        (
            JSON_PATCH,
            json!([{"op": "remove", "path": "/name"}]),
            "name",
        ),
        (MERGE, json!({"name": null}), "name"),
        (MERGE, json!({"email": "nope"}), "email"),
        (MERGE, json!({"phone": "12"}), "phone"),
        (
            JSON_PATCH,
            json!([{"op": "add", "path": "/groups/-", "value": "0192f3c1-0000-7000-8000-000000000000"}]),
            "groups",
        ),
        (MERGE, json!({"fields": {"bad key": 1}}), "fields.bad key"),
    ] {
        let response = app.patch(&id, content_type, body.clone()).await;
        response.assert_error(422, "validation_failed");
        assert_eq!(response.errors()[0].1.as_deref(), Some(field), "{body}");
    }
    let response = app
        .patch(
            &id,
            JSON_PATCH,
            json!([{"op": "remove", "path": "/surname"}]),
        )
        .await;
    response.assert_error(422, "validation_failed");
    assert_eq!(response.errors()[0].1.as_deref(), Some("/0/path"));
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn changing_the_email_by_patch_moves_the_guard_and_respects_uniqueness() {
    let app = spawn_app().await;
    app.create(json!({"name": "Owner", "email": "taken@example.com"}))
        .await;
    let (id, before) = app
        .contact(json!({"name": "B", "email": "mine@example.com"}))
        .await;
    let response = app
        .patch(&id, MERGE, json!({"email": "TAKEN@example.com"}))
        .await;
    response.assert_error(409, "conflict");
    assert_eq!(response.errors()[0].1.as_deref(), Some("email"));
    assert_eq!(app.get(&id).await.unwrap(), before);

    let response = app
        .patch(&id, MERGE, json!({"email": "new@example.com"}))
        .await;
    assert_eq!(response.status, 200);
    let reuse = app
        .try_create(json!({"name": "C", "email": "mine@example.com"}))
        .await;
    assert_eq!(reuse.status, 201, "the old address is free again");
    let response = app.patch(&id, MERGE, json!({"email": null})).await;
    assert_eq!(response.status, 200);
    let keys = app.stored_keys().await;
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("EMAIL#")).count(),
        2,
        "{keys:?}"
    );
}

#[tokio::test]
async fn preconditions_hold_or_the_patch_is_412() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let stale = app
        .send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}"))
                .header("if-match", "\"2\"")
                .raw(MERGE, Body::Text(json!({"name": "B"}).to_string())),
        )
        .await;
    stale.assert_error(412, "precondition_failed");
    assert_eq!(app.get(&id).await.unwrap(), before);
    let fresh = app
        .send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}?fields=name"))
                .header("if-match", "\"1\"")
                .raw(
                    MERGE,
                    Body::Binary(json!({"name": "B"}).to_string().into_bytes()),
                ),
        )
        .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(*fresh.data(), json!({"id": id, "name": "B"}));
    assert_eq!(fresh.header("etag"), Some("\"2\""));
}

#[tokio::test]
async fn twenty_concurrent_merge_patches_all_land() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "Busy"})).await;
    let patches = (0..20).map(|i| {
        app.send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}")).raw(
                MERGE,
                Body::Text(json!({"fields": {format!("f{i}"): i}}).to_string()),
            ),
        )
    });
    let statuses: Vec<u16> = join_all(patches).await.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let stored = app.get(&id).await.unwrap();
    assert_eq!(stored["version"], 21);
    let fields = stored["fields"].as_object().unwrap();
    assert_eq!(fields.len(), 20);
    for i in 0..20 {
        assert_eq!(fields[&format!("f{i}")], i);
    }
}

#[tokio::test]
async fn patching_a_missing_or_foreign_contact_is_404() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    app.patch(
        "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10",
        MERGE,
        json!({"name": "B"}),
    )
    .await
    .assert_error(404, "not_found");
    let foreign = app
        .send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}"))
                .token(&token_with(json!({"tenant": new_tenant()})))
                .raw(MERGE, Body::Text(json!({"name": "B"}).to_string())),
        )
        .await;
    foreign.assert_error(404, "not_found");
    app.patch("not-a-uuid", MERGE, json!({"name": "B"}))
        .await
        .assert_error(400, "not_valid");
    assert_eq!(app.get(&id).await.unwrap(), before);
}
