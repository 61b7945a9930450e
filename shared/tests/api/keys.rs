use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use shared::endpoints::{create_contact, get_contact, list_contacts};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

fn basic(credentials: &str) -> String {
    format!("Basic {}", STANDARD.encode(credentials))
}

async fn list_with(app: &TestApp, authorization: &str) -> crate::helpers::TestResponse {
    app.send(
        list_contacts,
        app.request("GET", "/v1/contacts")
            .without_auth()
            .header("authorization", authorization),
    )
    .await
}

#[tokio::test]
async fn an_api_key_authenticates_its_tenant_with_its_scopes() {
    let app = spawn_app().await;
    let created = app.create(json!({"name": "Keyed"})).await;
    let (_, credentials) = app.api_key(&["contacts:read"]).await;
    let response = list_with(&app, &basic(&credentials)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.data()["items"][0], created);
    let write = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts")
                .without_auth()
                .header("authorization", &basic(&credentials))
                .json(json!({"name": "x"})),
        )
        .await;
    write.assert_error(403, "permission_denied");
    let (_, writer) = app.api_key(&["contacts:write"]).await;
    let write = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts")
                .without_auth()
                .header("authorization", &basic(&writer))
                .json(json!({"name": "x"})),
        )
        .await;
    assert_eq!(write.status, 201);
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_key_is_401_naming_both_schemes() {
    let app = spawn_app().await;
    let (key_id, _) = app.api_key(&["contacts:read"]).await;
    for authorization in [
        basic(&format!("{key_id}:wrong-secret")),
        basic(&format!("{key_id}:")),
        basic(&format!("{}.nope:secret", app.tenant)),
        basic("no-colon"),
        "Basic !!!".to_string(),
    ] {
        let response = list_with(&app, &authorization).await;
        response.assert_error(401, "invalid_authentication");
        let challenge = response.header("www-authenticate").unwrap();
        assert!(
            challenge.contains("Bearer") && challenge.contains("Basic"),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn a_key_of_one_tenant_never_reaches_another() {
    let app = spawn_app().await;
    let id = app.create(json!({"name": "Mine"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = spawn_app().await;
    let (_, theirs) = other.api_key(&["contacts:read"]).await;
    let response = app
        .send(
            get_contact,
            app.request("GET", &format!("/v1/contacts/{id}"))
                .without_auth()
                .header("authorization", &basic(&theirs)),
        )
        .await;
    response.assert_error(404, "not_found");
    // Naming another tenant in the key id does not move the key there.
    let (key_id, credentials) = other.api_key(&["contacts:read"]).await;
    let secret = credentials.split_once(':').unwrap().1;
    let forged = key_id.replacen(&other.tenant, &app.tenant, 1);
    list_with(&app, &basic(&format!("{forged}:{secret}")))
        .await
        .assert_error(401, "invalid_authentication");
}

#[tokio::test]
async fn a_revoked_key_stops_working_once_the_cache_expires() {
    let app = spawn_app_with(|config| config.api_key_cache = Duration::from_millis(2000)).await;
    let (key_id, credentials) = app.api_key(&["contacts:read"]).await;
    assert_eq!(list_with(&app, &basic(&credentials)).await.status, 200);
    let tenant = shared::identity::TenantId::parse(&app.tenant).unwrap();
    assert!(
        app.app
            .store
            .delete_api_key(&tenant, &key_id)
            .await
            .unwrap()
    );
    assert_eq!(
        list_with(&app, &basic(&credentials)).await.status,
        200,
        "a warm function may trust a verified key for the cache time"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    list_with(&app, &basic(&credentials))
        .await
        .assert_error(401, "invalid_authentication");
    let listed = app.app.store.list_api_keys(&tenant).await.unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn keys_are_listed_without_secrets() {
    let app = spawn_app().await;
    let (first, credentials) = app.api_key(&["contacts:read"]).await;
    let (second, _) = app.api_key(&["contacts:read", "contacts:write"]).await;
    let tenant = shared::identity::TenantId::parse(&app.tenant).unwrap();
    let listed = app.app.store.list_api_keys(&tenant).await.unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|k| k.key_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![first.as_str(), second.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let secret = credentials.split_once(':').unwrap().1;
    let dump = format!("{listed:?}");
    assert!(
        !dump.contains(secret),
        "only a hash of the secret is stored"
    );
}

/// `Basic <victim>.<made-up>:x` cost a consistent read in the victim's partition on every
/// request; an id found not to exist is now remembered briefly, so a flood of them reads once.
#[tokio::test]
async fn an_unknown_key_id_is_looked_up_once_while_remembered() {
    let app = spawn_app_with(|config| config.api_key_cache = Duration::from_secs(60)).await;
    let made_up = basic(&format!("{}.AAAAAAAAAAAAAAAA:secret", app.tenant));
    let before = app.reads().read_requests();
    for _ in 0..5 {
        list_with(&app, &made_up)
            .await
            .assert_error(401, "invalid_authentication");
    }
    assert_eq!(
        app.reads().read_requests() - before,
        1,
        "one lookup for five requests"
    );
}
