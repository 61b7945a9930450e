use serde_json::json;
use shared::endpoints::get_contact;

use crate::helpers::{new_tenant, spawn_app, token_with};

#[tokio::test]
async fn get_returns_the_contact_with_etag_and_last_modified() {
    let app = spawn_app().await;
    let created = app
        .create(json!({"name": "G", "email": "g@example.com"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .send(
            get_contact,
            app.request("GET", &format!("/v1/contacts/{id}")),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(*response.data(), created);
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert!(
        response
            .header("last-modified")
            .is_some_and(|d| d.ends_with(" GMT"))
    );
}

#[tokio::test]
async fn a_missing_contact_is_404_and_a_malformed_id_is_400() {
    let app = spawn_app().await;
    let response = app
        .send(
            get_contact,
            app.request("GET", "/v1/contacts/0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"),
        )
        .await;
    response.assert_error(404, "not_found");
    for bad in ["nope", "0192f3c07b9e7cc49a4e2f1c5d8e9a10", "%00"] {
        let response = app
            .send(
                get_contact,
                app.request("GET", &format!("/v1/contacts/{bad}")),
            )
            .await;
        response.assert_error(400, "not_valid");
        assert_eq!(response.errors()[0].1.as_deref(), Some("id"));
    }
}

#[tokio::test]
async fn another_tenants_contact_answers_exactly_like_a_missing_one() {
    let app = spawn_app().await;
    let id = app.create(json!({"name": "Mine"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = token_with(json!({"tenant": new_tenant()}));
    let theirs = app
        .send(
            get_contact,
            app.request("GET", &format!("/v1/contacts/{id}"))
                .token(&other),
        )
        .await;
    let missing = app
        .send(
            get_contact,
            app.request("GET", "/v1/contacts/0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10")
                .token(&other),
        )
        .await;
    theirs.assert_error(404, "not_found");
    assert_eq!(theirs.body["errors"], missing.body["errors"]);
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_is_304_without_body() {
    let app = spawn_app().await;
    let id = app.create(json!({"name": "C"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = format!("/v1/contacts/{id}");
    let response = app
        .send(
            get_contact,
            app.request("GET", &uri).header("if-none-match", "\"1\""),
        )
        .await;
    assert_eq!(response.status, 304);
    assert_eq!(response.header("etag"), Some("\"1\""));
    let response = app
        .send(
            get_contact,
            app.request("GET", &uri).header("if-none-match", "\"0\""),
        )
        .await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn projection_selects_fields_case_insensitively_and_refuses_unknown_names() {
    let app = spawn_app().await;
    let id = app
        .create(json!({"name": "P", "email": "p@example.com", "phone": "+14155552671"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for query in [
        "fields=name,email",
        "$select=NAME,Email",
        "fields=name,%20email",
        // Both names of the parameter: the union of what they select.
        "fields=name&$select=email",
        "fields=name,email&$select=Name",
        "fields=name&fields=email",
    ] {
        let response = app
            .send(
                get_contact,
                app.request("GET", &format!("/v1/contacts/{id}?{query}")),
            )
            .await;
        assert_eq!(response.status, 200, "{query}");
        assert_eq!(
            *response.data(),
            json!({"id": id, "name": "P", "email": "p@example.com"})
        );
    }
    for query in [
        "fields=name,nickname",
        "fields=",
        "fields=name,,email",
        "fields=name&$select=",
        "fields=name&$select=nickname",
        "other=1",
    ] {
        let response = app
            .send(
                get_contact,
                app.request("GET", &format!("/v1/contacts/{id}?{query}")),
            )
            .await;
        response.assert_error(400, "not_valid");
    }
}
