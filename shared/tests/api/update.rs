use futures::future::join_all;
use serde_json::json;
use shared::endpoints::update_contact;

use crate::helpers::{new_tenant, spawn_app, token_with};

#[tokio::test]
async fn put_replaces_every_writable_field_and_bumps_the_version() {
    let app = spawn_app().await;
    let (id, created) = app
        .contact(
            json!({"name": "Old", "surname": "S", "email": "old@example.com", "fields": {"a": 1}}),
        )
        .await;
    let response = app
        .update(&id, json!({"name": "New", "phone": "+14155552671"}))
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let updated = response.data();
    assert_eq!(updated["name"], "New");
    assert_eq!(updated["phone"], "+14155552671");
    for gone in ["surname", "email", "fields"] {
        assert!(
            updated.get(gone).is_none(),
            "{gone} was not in the replacement"
        );
    }
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert_eq!(response.header("etag"), Some("\"2\""));
    assert_eq!(app.get(&id).await.unwrap(), *updated);
    assert_eq!(
        app.stored_keys().await.len(),
        1,
        "the dropped e-mail's guard is gone"
    );
}

#[tokio::test]
async fn post_to_a_contact_is_the_same_replacement() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "Old"})).await;
    let response = app
        .send(
            update_contact,
            app.request("POST", &format!("/v1/contacts/{id}?fields=name"))
                .json(json!({"name": "Posted"})),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(*response.data(), json!({"id": id, "name": "Posted"}));
}

#[tokio::test]
async fn changing_the_email_moves_its_uniqueness() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "A", "email": "first@example.com"}))
        .await;
    let response = app
        .update(&id, json!({"name": "A", "email": "second@example.com"}))
        .await;
    assert_eq!(response.status, 200);
    app.create(json!({"name": "B", "email": "FIRST@example.com"}))
        .await;
    let taken = app
        .try_create(json!({"name": "C", "email": "second@example.com"}))
        .await;
    taken.assert_error(409, "conflict");
}

#[tokio::test]
async fn changing_only_the_case_of_the_email_keeps_it() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "A", "email": "case@example.com"}))
        .await;
    let response = app
        .update(&id, json!({"name": "A", "email": "CASE@example.com"}))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(app.stored_keys().await.len(), 2);
}

#[tokio::test]
async fn taking_another_contacts_email_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    app.create(json!({"name": "Owner", "email": "taken@example.com"}))
        .await;
    let (id, before) = app
        .contact(json!({"name": "B", "email": "mine@example.com"}))
        .await;
    let response = app
        .update(&id, json!({"name": "B2", "email": "Taken@Example.com"}))
        .await;
    response.assert_error(409, "conflict");
    assert_eq!(response.errors()[0].1.as_deref(), Some("email"));
    assert_eq!(app.get(&id).await.unwrap(), before);
    assert_eq!(app.stored_keys().await.len(), 4);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for (header, value) in [
        ("if-match", "\"7\""),
        ("if-match", "W/\"1\""),
        ("if-unmodified-since", "Sat, 01 Jan 2000 00:00:00 GMT"),
    ] {
        let response = app
            .send(
                update_contact,
                app.request("PUT", &format!("/v1/contacts/{id}"))
                    .header(header, value)
                    .json(json!({"name": "B"})),
            )
            .await;
        response.assert_error(412, "precondition_failed");
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn a_matching_precondition_lets_the_write_through() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    for (header, value, version) in [
        ("if-match", "\"1\"", 2),
        ("if-match", "*", 3),
        ("if-unmodified-since", "Fri, 31 Dec 2100 23:59:59 GMT", 4),
    ] {
        let response = app
            .send(
                update_contact,
                app.request("PUT", &format!("/v1/contacts/{id}"))
                    .header(header, value)
                    .json(json!({"name": "B"})),
            )
            .await;
        assert_eq!(response.status, 200, "{header}: {value}");
        assert_eq!(response.data()["version"], version);
    }
}

#[tokio::test]
async fn concurrent_replacements_without_preconditions_are_never_lost() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let writes = (0..10).map(|i| {
        app.send(
            update_contact,
            app.request("PUT", &format!("/v1/contacts/{id}"))
                .json(json!({"name": format!("writer {i}")})),
        )
    });
    let responses = join_all(writes).await;
    assert!(
        responses.iter().all(|r| r.status == 200),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let mut versions: Vec<u64> = responses
        .iter()
        .map(|r| r.data()["version"].as_u64().unwrap())
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        (2..=11).collect::<Vec<_>>(),
        "each write applied on its own version"
    );
    assert_eq!(app.get(&id).await.unwrap()["version"], 11);
}

#[tokio::test]
async fn concurrent_replacements_with_the_same_if_match_have_one_winner() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let writes = (0..5).map(|i| {
        app.send(
            update_contact,
            app.request("PUT", &format!("/v1/contacts/{id}"))
                .header("if-match", "\"1\"")
                .json(json!({"name": format!("writer {i}")})),
        )
    });
    let statuses: Vec<u16> = join_all(writes).await.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        4,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn replacing_a_missing_or_foreign_contact_is_404() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for (uri, token) in [
        (
            "/v1/contacts/0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10".to_string(),
            None,
        ),
        (
            format!("/v1/contacts/{id}"),
            Some(token_with(json!({"tenant": new_tenant()}))),
        ),
    ] {
        let mut request = app.request("PUT", &uri).json(json!({"name": "X"}));
        if let Some(token) = &token {
            request = request.token(token);
        }
        app.send(update_contact, request)
            .await
            .assert_error(404, "not_found");
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn an_invalid_replacement_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, before) = app
        .contact(json!({"name": "A", "email": "a@example.com"}))
        .await;
    for (body, status) in [
        (json!({"email": "b@example.com"}), 422),
        (
            json!({"name": "A", "id": "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"}),
            422,
        ),
        (json!({"name": "A", "extra": 1}), 400),
    ] {
        let response = app
            .send(
                update_contact,
                app.request("PUT", &format!("/v1/contacts/{id}")).json(body),
            )
            .await;
        assert_eq!(response.status, status);
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
}

/// Six clients set one new address on one contact at once, without `If-Match`: each loser of a
/// race re-reads and re-applies (the address is its own contact's by then), so every one lands.
#[tokio::test]
async fn concurrent_patches_setting_one_new_address_on_one_contact_all_land() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "A", "email": "old@example.com"}))
        .await;
    let patches = (0..6).map(|i| {
        app.patch(
            &id,
            "application/merge-patch+json",
            json!({"email": "new@example.com", "surname": format!("S{i}")}),
        )
    });
    for response in join_all(patches).await {
        assert_eq!(response.status, 200, "{:#}", response.body);
    }
    let contact = app.get(&id).await.unwrap();
    assert_eq!(contact["version"], 7);
    assert_eq!(contact["email"], "new@example.com");
}
