//! The trash (delete, list, restore), permanent erase, and who wrote what (`createdBy`,
//! `updatedBy`, `deletedBy`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use shared::endpoints::{
    bulk_delete_contacts, create_contact, create_group, delete_group, import_contacts, list_trash,
    patch_group, restore_contact,
};

use crate::helpers::{
    READ_WRITE, SECRET, TestApp, TestRequest, TestResponse, spawn_app, spawn_app_with, token_with,
};

const MISSING: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

async fn trash(app: &TestApp, query: &str) -> TestResponse {
    let response = app
        .send(
            list_trash,
            app.request("GET", &format!("/v1/contacts/trash{query}")),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    response
}

fn ids(response: &TestResponse) -> Vec<String> {
    response.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

fn restore_request(app: &TestApp, id: &str) -> TestRequest {
    app.request("POST", &format!("/v1/contacts/{id}/restore"))
}

async fn restore(app: &TestApp, id: &str) -> TestResponse {
    app.send(restore_contact, restore_request(app, id)).await
}

async fn erase(app: &TestApp, id: &str) -> TestResponse {
    app.call(
        "delete-contact",
        app.request("DELETE", &format!("/v1/contacts/{id}?permanent=true")),
    )
    .await
}

/// The same tenant, as a caller with another `sub`.
fn as_user(app: &TestApp, request: TestRequest, sub: &str) -> TestRequest {
    let _ = app;
    request.token(&token_with(json!({"tenant": app.tenant, "sub": sub})))
}

/// An app on the same table and tenant whose clock is `ahead` in the future.
async fn later(app: &TestApp, ahead: fn() -> Duration) -> TestApp {
    let mut later = spawn_app_with(|config| config.clock = ahead).await;
    later.tenant = app.tenant.clone();
    later
}

#[tokio::test]
async fn every_write_path_records_its_writer_for_tokens_and_api_keys() {
    let app = spawn_app().await;
    let created = app
        .send(
            create_contact,
            as_user(&app, app.request("POST", "/v1/contacts"), "alice").json(json!({"name": "A"})),
        )
        .await;
    let contact = created.data();
    assert_eq!(
        (&contact["createdBy"], &contact["updatedBy"]),
        (&json!("alice"), &json!("alice"))
    );
    let id = contact["id"].as_str().unwrap();
    // An API key writes as `key:<keyId>`, never its secret.
    let (key_id, basic) = app.api_key(&["contacts:read", "contacts:write"]).await;
    let basic = format!("Basic {}", STANDARD.encode(&basic));
    let patched = app
        .call(
            "patch-contact",
            app.request("PATCH", &format!("/v1/contacts/{id}"))
                .without_auth()
                .header("authorization", &basic)
                .header("content-type", "application/merge-patch+json")
                .json(json!({"surname": "B"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    let by_key = format!("key:{key_id}");
    assert_eq!(patched.data()["createdBy"], "alice");
    assert_eq!(patched.data()["updatedBy"], by_key.as_str());
    assert!(
        !patched
            .body
            .to_string()
            .contains(basic.trim_start_matches("Basic "))
    );
    let replaced = app
        .call(
            "update-contact",
            as_user(
                &app,
                app.request("PUT", &format!("/v1/contacts/{id}")),
                "bob",
            )
            .json(json!({"name": "A2", "email": "a2@example.com"})),
        )
        .await;
    assert_eq!(
        (&replaced.data()["createdBy"], &replaced.data()["updatedBy"]),
        (&json!("alice"), &json!("bob"))
    );
    assert_eq!(app.get(id).await.unwrap()["updatedBy"], "bob", "stored");
    // Import: an update by e-mail and a create.
    let imported = app
        .send(
            import_contacts,
            as_user(&app, app.request("POST", "/v1/contacts/import"), "carol").json(json!({
                "contacts": [{"name": "A3", "email": "a2@example.com"}, {"name": "New"}]
            })),
        )
        .await;
    let results = imported.data()["results"].as_array().unwrap().clone();
    let updated = app.get(id).await.unwrap();
    assert_eq!(
        (&updated["createdBy"], &updated["updatedBy"]),
        (&json!("alice"), &json!("carol"))
    );
    let new = app.get(results[1]["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(
        (&new["createdBy"], &new["updatedBy"]),
        (&json!("carol"), &json!("carol"))
    );
    // Groups too.
    let group = app
        .send(
            create_group,
            as_user(&app, app.request("POST", "/v1/groups"), "dave").json(json!({"name": "G"})),
        )
        .await;
    assert_eq!(group.data()["createdBy"], "dave");
    let gid = group.data()["id"].as_str().unwrap();
    let renamed = app
        .send(
            patch_group,
            as_user(
                &app,
                app.request("PATCH", &format!("/v1/groups/{gid}")),
                "erin",
            )
            .json(json!({"name": "G2"})),
        )
        .await;
    assert_eq!(
        (&renamed.data()["createdBy"], &renamed.data()["updatedBy"]),
        (&json!("dave"), &json!("erin"))
    );
    // Every token names its writer: one without `sub` is refused.
    let anonymous = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"tenant": app.tenant, "scope": READ_WRITE, "exp": jsonwebtoken::get_current_timestamp() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    app.send(
        create_contact,
        app.request("POST", "/v1/contacts")
            .token(&anonymous)
            .json(json!({"name": "Nobody's"})),
    )
    .await
    .assert_error(401, "invalid_authentication");
    // A `sub` too long to be a name is refused.
    let long = token_with(json!({"tenant": app.tenant, "sub": "x".repeat(257)}));
    app.send(
        create_contact,
        app.request("POST", "/v1/contacts")
            .token(&long)
            .json(json!({"name": "L"})),
    )
    .await
    .assert_error(401, "invalid_authentication");
}

#[tokio::test]
async fn writers_are_read_only_in_bodies_and_patches() {
    let app = spawn_app().await;
    for field in ["createdBy", "updatedBy"] {
        let mut body = json!({"name": "R"});
        body[field] = json!("mallory");
        app.try_create(body.clone())
            .await
            .assert_error(422, "validation_failed");
        let (id, _) = app.contact(json!({"name": "R"})).await;
        app.update(&id, body)
            .await
            .assert_error(422, "validation_failed");
        app.patch(
            &id,
            "application/merge-patch+json",
            json!({field: "mallory"}),
        )
        .await
        .assert_error(422, "validation_failed");
        app.patch(
            &id,
            "application/json-patch+json",
            json!([{"op": "replace", "path": format!("/{field}"), "value": "mallory"}]),
        )
        .await
        .assert_error(422, "validation_failed");
        assert_eq!(app.get(&id).await.unwrap()[field], "tester");
    }
    // Selectable like the other read-only fields.
    let listed = app.list("?fields=createdBy").await;
    let first = &listed.data()["items"][0];
    assert_eq!(first["createdBy"], "tester");
    assert!(first.get("name").is_none());
}

#[tokio::test]
async fn the_trash_lists_deleted_contacts_newest_first_in_pages() {
    let app = spawn_app().await;
    let mut deleted = Vec::new();
    for n in 0..5 {
        let (id, _) = app.contact(json!({"name": format!("T{n}")})).await;
        let response = app
            .call(
                "delete-contact",
                as_user(
                    &app,
                    app.request("DELETE", &format!("/v1/contacts/{id}")),
                    "remover",
                ),
            )
            .await;
        assert_eq!(response.status, 204);
        deleted.push(id);
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    app.contact(json!({"name": "Live"})).await;
    let first = trash(&app, "?limit=2").await;
    let item = &first.data()["items"][0];
    assert_eq!(item["id"], deleted[4].as_str());
    assert_eq!(item["name"], "T4");
    assert_eq!(item["version"], 1);
    assert_eq!(item["deletedBy"], "remover");
    assert_eq!(item["createdBy"], "tester");
    let deleted_at = time::OffsetDateTime::parse(
        item["deletedAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let purge_at = time::OffsetDateTime::parse(
        item["purgeAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(purge_at - deleted_at, time::Duration::days(30));
    let mut seen = ids(&first);
    let mut cursor = first.data()["nextCursor"].as_str().unwrap().to_string();
    loop {
        let page = trash(&app, &format!("?limit=2&cursor={cursor}")).await;
        seen.extend(ids(&page));
        match page.data()["nextCursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let newest_first: Vec<String> = deleted.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "each once, most recently deleted first");
    // A trashed contact is in no list, filter or search.
    let listed = app.list("").await;
    assert_eq!(ids(&listed).len(), 1);
    assert!(ids(&app.list("?q=t3").await).is_empty());
    // Bad paging is 400; a cursor of another list is not a trash cursor.
    for query in ["?limit=0", "?limit=101", "?cursor=x", "?page=2", "?q=a"] {
        app.send(
            list_trash,
            app.request("GET", &format!("/v1/contacts/trash{query}")),
        )
        .await
        .assert_error(400, "not_valid");
    }
    app.contact(json!({"name": "Live 2"})).await;
    let contacts_cursor = app.list("?limit=1").await.data()["nextCursor"].clone();
    app.send(
        list_trash,
        app.request(
            "GET",
            &format!(
                "/v1/contacts/trash?cursor={}",
                contacts_cursor.as_str().unwrap()
            ),
        ),
    )
    .await
    .assert_error(400, "not_valid");
}

#[tokio::test]
async fn a_restore_brings_the_contact_back_with_its_id_address_groups_and_index() {
    let app = spawn_app().await;
    let (kept, gone) = (app.group("Kept").await, app.group("Gone").await);
    let (id, created) = app
        .contact(json!({"name": "Rita", "email": "rita@example.com", "groups": [kept, gone]}))
        .await;
    app.patch(&id, "application/merge-patch+json", json!({"surname": "R"}))
        .await;
    assert_eq!(app.delete(&id).await.status, 204);
    assert_eq!(app.get(&id).await, None);
    // Its group is not held by it: deleting a group is not blocked by trashed contacts.
    let deleted_group = app
        .send(
            delete_group,
            app.request("DELETE", &format!("/v1/groups/{gone}")),
        )
        .await;
    assert_eq!(deleted_group.status, 204, "{:#}", deleted_group.body);
    // The address is free while it is in the trash, and taken again on restore.
    let response = app
        .send(
            restore_contact,
            as_user(&app, restore_request(&app, &id), "restorer"),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let restored = response.data();
    assert_eq!(restored["id"], id.as_str());
    assert_eq!(restored["version"], 3, "one above the deleted version (2)");
    assert_eq!(response.header("etag"), Some("\"3\""));
    assert_eq!(restored["updatedBy"], "restorer");
    assert_eq!(restored["createdBy"], "tester");
    assert_eq!(restored["createdAt"], created["createdAt"]);
    assert_eq!(
        restored["groups"],
        json!([kept]),
        "rejoins the groups that exist"
    );
    assert_eq!(app.get(&id).await.unwrap(), *restored);
    app.try_create(json!({"name": "X", "email": "RITA@example.com"}))
        .await
        .assert_error(409, "conflict");
    assert_eq!(
        ids(&app.list(&format!("?group={kept}")).await),
        vec![id.clone()]
    );
    assert_eq!(ids(&app.list("?q=rita").await), vec![id.clone()]);
    assert_eq!(
        ids(&app.list("?email=rita@example.com").await),
        vec![id.clone()]
    );
    assert!(ids(&trash(&app, "").await).is_empty(), "out of the trash");
    // Not in the trash any more.
    restore(&app, &id).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_restore_whose_address_is_taken_is_409_and_leaves_it_in_the_trash() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "Old", "email": "taken@example.com"}))
        .await;
    app.delete(&id).await;
    app.create(json!({"name": "New", "email": "taken@example.com"}))
        .await;
    let response = restore(&app, &id).await;
    response.assert_error(409, "conflict");
    assert_eq!(response.errors()[0].1.as_deref(), Some("email"));
    assert_eq!(ids(&trash(&app, "").await), vec![id.clone()]);
    assert_eq!(app.get(&id).await, None);
}

#[tokio::test]
async fn a_restore_is_404_unless_the_contact_is_in_the_trash_and_honours_if_match() {
    let app = spawn_app().await;
    let (live, _) = app.contact(json!({"name": "Live"})).await;
    restore(&app, &live).await.assert_error(404, "not_found");
    restore(&app, MISSING).await.assert_error(404, "not_found");
    restore(&app, "nope").await.assert_error(400, "not_valid");
    let (erased, _) = app.contact(json!({"name": "Erased"})).await;
    app.delete(&erased).await;
    assert_eq!(erase(&app, &erased).await.status, 204);
    restore(&app, &erased).await.assert_error(404, "not_found");
    // If-Match names the trashed version.
    let (id, _) = app.contact(json!({"name": "Guarded"})).await;
    app.delete(&id).await;
    let stale = app
        .send(
            restore_contact,
            restore_request(&app, &id).header("if-match", "\"2\""),
        )
        .await;
    stale.assert_error(412, "precondition_failed");
    let fresh = app
        .send(
            restore_contact,
            restore_request(&app, &id).header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(fresh.status, 200, "{:#}", fresh.body);
}

#[tokio::test]
async fn a_keyed_restore_replays_its_answer() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "Once"})).await;
    app.delete(&id).await;
    let keyed = || restore_request(&app, &id).header("idempotency-key", "restore-1");
    let first = app.send(restore_contact, keyed()).await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    let again = app.send(restore_contact, keyed()).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.data(), first.data());
}

#[tokio::test]
async fn past_its_retention_a_trashed_contact_is_gone_before_ttl_removes_it() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "Old"})).await;
    app.delete(&id).await;
    let day_29 = later(&app, || {
        shared::clock::since_epoch() + Duration::from_secs(29 * 86_400)
    })
    .await;
    assert_eq!(ids(&trash(&day_29, "").await), vec![id.clone()]);
    let day_31 = later(&app, || {
        shared::clock::since_epoch() + Duration::from_secs(31 * 86_400)
    })
    .await;
    assert!(ids(&trash(&day_31, "").await).is_empty());
    restore(&day_31, &id).await.assert_error(404, "not_found");
    // Still stored (TTL lags), so an erase removes it for good.
    assert_eq!(erase(&day_31, &id).await.status, 204);
    let left = app.stored_keys().await;
    assert_eq!(
        left,
        [format!("ERASED#{id}")],
        "only the mark the change feed reads (an id and a version)"
    );
}

#[tokio::test]
async fn with_a_retention_of_zero_a_delete_is_for_good() {
    let app = spawn_app_with(|config| config.trash_retention = Duration::ZERO).await;
    let (id, _) = app
        .contact(json!({"name": "Gone", "email": "g@example.com"}))
        .await;
    assert_eq!(app.delete(&id).await.status, 204);
    assert!(app.stored_keys().await.is_empty());
    restore(&app, &id).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_bulk_delete_moves_each_contact_to_the_trash() {
    let app = spawn_app().await;
    let (a, _) = app.contact(json!({"name": "A"})).await;
    let (b, _) = app.contact(json!({"name": "B"})).await;
    let response = app
        .send(
            bulk_delete_contacts,
            as_user(
                &app,
                app.request("POST", "/v1/contacts/bulk-delete"),
                "bulk",
            )
            .json(json!({"ids": [a, b, MISSING]})),
        )
        .await;
    assert_eq!(response.data()["deleted"], 2);
    let listed = trash(&app, "").await;
    let mut got = ids(&listed);
    got.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(listed.data()["items"][0]["deletedBy"], "bulk");
}

#[tokio::test]
async fn an_erase_removes_a_live_or_trashed_contact_and_its_stored_answers() {
    let app = spawn_app().await;
    let group = app.group("G").await;
    let keyed_create = |key: &str, body: Value| {
        app.request("POST", "/v1/contacts")
            .header("idempotency-key", key)
            .json(body)
    };
    let body = json!({"name": "Private", "email": "p@example.com", "groups": [group]});
    let created = app
        .send(create_contact, keyed_create("erase-me", body.clone()))
        .await;
    let id = created.data()["id"].as_str().unwrap().to_string();
    let replayed = app
        .send(create_contact, keyed_create("erase-me", body.clone()))
        .await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert!(
        app.stored_keys()
            .await
            .iter()
            .any(|sk| sk.starts_with("IDEMPOTENCY#"))
    );
    assert_eq!(erase(&app, &id).await.status, 204);
    assert_eq!(app.get(&id).await, None);
    let left = app.stored_keys().await;
    assert!(
        left.iter()
            .all(|sk| sk.starts_with("GROUP") || sk.starts_with("ERASED#")),
        "no contact, guard, membership, trash entry or stored answer: {left:?}"
    );
    assert!(app.index_keys().await.is_empty());
    // The stored answer is gone: the same key now runs the create again.
    let again = app
        .send(create_contact, keyed_create("erase-me", body))
        .await;
    assert_eq!(again.status, 201);
    assert_ne!(again.data()["id"], id.as_str());
    assert_eq!(again.header("idempotent-replayed"), None);
    // From the trash, a restored-then-deleted contact with a keyed restore answer.
    let (trashed, _) = app.contact(json!({"name": "Twice"})).await;
    app.delete(&trashed).await;
    let restored = app
        .send(
            restore_contact,
            restore_request(&app, &trashed).header("idempotency-key", "r-1"),
        )
        .await;
    assert_eq!(restored.status, 200);
    app.delete(&trashed).await;
    // Its items, but for the erase mark (an id and a version, for the change feed).
    let answers = |keys: Vec<String>| {
        keys.iter()
            .filter(|sk| sk.contains(&trashed) && !sk.starts_with("ERASED#"))
            .count()
    };
    assert!(
        answers(app.stored_keys().await) >= 3,
        "entry, pointer and answer link"
    );
    assert_eq!(erase(&app, &trashed).await.status, 204);
    assert_eq!(answers(app.stored_keys().await), 0);
    assert!(
        !app.stored_keys()
            .await
            .contains(&"IDEMPOTENCY#r-1".to_string())
    );
    erase(&app, &trashed).await.assert_error(404, "not_found");
    erase(&app, MISSING).await.assert_error(404, "not_found");
    let bad = app
        .call(
            "delete-contact",
            app.request("DELETE", &format!("/v1/contacts/{MISSING}?permanent=yes")),
        )
        .await;
    bad.assert_error(400, "not_valid");
}
