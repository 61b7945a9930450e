use serde_json::json;
use shared::endpoints::delete_contact;

use crate::helpers::{new_tenant, spawn_app, token_with};

#[tokio::test]
async fn delete_answers_204_and_moves_the_contact_to_the_trash_freeing_its_guard() {
    let app = spawn_app().await;
    let id = app
        .create(json!({"name": "D", "email": "d@example.com"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app.delete(&id).await;
    assert_eq!(response.status, 204);
    assert_eq!(app.get(&id).await, None);
    let left = app.stored_keys().await;
    assert_eq!(left.len(), 2, "only its trash entry and pointer: {left:?}");
    assert!(
        left.iter().all(|sk| sk.starts_with("TRASH")),
        "no guard, membership or index entry left: {left:?}"
    );
    app.create(json!({"name": "E", "email": "d@example.com"}))
        .await;
    let again = app.delete(&id).await;
    again.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_stale_precondition_is_412_and_keeps_the_contact() {
    let app = spawn_app().await;
    let created = app.create(json!({"name": "D"})).await;
    let id = created["id"].as_str().unwrap();
    for (header, value) in [
        ("if-match", "\"2\""),
        ("if-unmodified-since", "Sat, 01 Jan 2000 00:00:00 GMT"),
    ] {
        let response = app
            .send(
                delete_contact,
                app.request("DELETE", &format!("/v1/contacts/{id}"))
                    .header(header, value),
            )
            .await;
        response.assert_error(412, "precondition_failed");
    }
    assert_eq!(app.get(id).await.unwrap(), created);
    let response = app
        .send(
            delete_contact,
            app.request("DELETE", &format!("/v1/contacts/{id}"))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(response.status, 204);
}

#[tokio::test]
async fn deleting_another_tenants_contact_is_404_and_keeps_it() {
    let app = spawn_app().await;
    let created = app.create(json!({"name": "Mine"})).await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .send(
            delete_contact,
            app.request("DELETE", &format!("/v1/contacts/{id}"))
                .token(&token_with(json!({"tenant": new_tenant()}))),
        )
        .await;
    response.assert_error(404, "not_found");
    assert_eq!(app.get(id).await.unwrap(), created);
}

#[tokio::test]
async fn a_malformed_id_is_400() {
    let app = spawn_app().await;
    app.send(delete_contact, app.request("DELETE", "/v1/contacts/42"))
        .await
        .assert_error(400, "not_valid");
}
