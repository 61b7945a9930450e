//! RS256 tokens verified with a JSON Web Key Set: fetched from the provider (JWT_JWKS_URL) or
//! given whole (JWT_JWKS); the key is the one the token's `kid` names.

use std::time::Duration;

use serde_json::json;
use shared::config::{JwksSource, JwtKey};
use shared::endpoints;
use shared::jwks::KeySet;

use crate::helpers::{
    JwksServer, TestApp, rs256_token, spawn_app_with, test_jwks, test_jwks_with_kids, token_with,
};

fn claims(app: &TestApp) -> serde_json::Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({"sub": "idp-user", "tenant": app.tenant, "exp": now + 600, "scope": "contacts:read",
           "iss": "https://idp.example.com", "aud": "contacts-api"})
}

async fn app_with(source: JwksSource) -> TestApp {
    spawn_app_with(|config| {
        config.jwt_key = Some(JwtKey::Jwks(source));
        config.jwt_issuer = Some("https://idp.example.com".into());
        config.jwt_audience = Some("contacts-api".into());
    })
    .await
}

async fn status(app: &TestApp, token: &str) -> u16 {
    app.send(
        endpoints::list_contacts,
        app.request("GET", "/v1/contacts").token(token),
    )
    .await
    .status
}

#[tokio::test]
async fn a_fetched_set_verifies_the_key_a_token_names_and_made_up_kids_do_not_refetch() {
    let provider = JwksServer::start(&test_jwks());
    let app = app_with(JwksSource::Url(provider.url.clone())).await;
    let claims = claims(&app);
    assert_eq!(
        status(&app, &rs256_token(Some("test-key-1"), &claims)).await,
        200
    );
    // A set of one key verifies a token that names none.
    assert_eq!(status(&app, &rs256_token(None, &claims)).await, 200);
    assert_eq!(provider.fetches(), 1);
    for kid in ["other", "another", "yet-another"] {
        assert_eq!(status(&app, &rs256_token(Some(kid), &claims)).await, 401);
    }
    // Within the 30 s between fetches, unknown kids are refused without asking the provider.
    assert_eq!(provider.fetches(), 1);
    // HS256 tokens, and RS256 tokens for another audience, are refused.
    assert_eq!(
        status(&app, &token_with(json!({"tenant": app.tenant}))).await,
        401
    );
    let mut elsewhere = claims.clone();
    elsewhere["aud"] = "another-api".into();
    assert_eq!(
        status(&app, &rs256_token(Some("test-key-1"), &elsewhere)).await,
        401
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it_and_a_failed_fetch_keeps_the_keys() {
    let provider = JwksServer::start(&test_jwks());
    let keys = KeySet::new(&JwksSource::Url(provider.url.clone()))
        .unwrap()
        .with_timing(Duration::from_secs(600), Duration::ZERO);
    keys.load().await;
    assert!(keys.key(Some("test-key-1")).await.is_ok());
    assert_eq!(provider.fetches(), 1);
    // The provider rotates: a token with the new kid makes the function fetch again.
    provider.serve(Some(&test_jwks_with_kids(&["test-key-2"])));
    assert!(keys.key(Some("test-key-2")).await.is_ok());
    assert_eq!(provider.fetches(), 2);
    // The retired key is gone with the new copy.
    assert!(keys.key(Some("test-key-1")).await.is_err());
    // The provider fails: the keys fetched before still verify, even once the copy is old.
    provider.serve(None);
    let stale = KeySet::new(&JwksSource::Url(provider.url.clone()))
        .unwrap()
        .with_timing(Duration::ZERO, Duration::ZERO);
    assert!(
        matches!(
            stale.key(Some("test-key-2")).await,
            Err(shared::error::ApiError::Unavailable)
        ),
        "a set that was never fetched is 503, not 401"
    );
    provider.serve(Some(&test_jwks_with_kids(&["test-key-2"])));
    assert!(stale.key(Some("test-key-2")).await.is_ok());
    provider.serve(None);
    assert!(stale.key(Some("test-key-2")).await.is_ok());
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_503_in_the_envelope() {
    let provider = JwksServer::start(&test_jwks());
    provider.serve(None);
    let app = app_with(JwksSource::Url(provider.url.clone())).await;
    let token = rs256_token(Some("test-key-1"), &claims(&app));
    app.send(
        endpoints::list_contacts,
        app.request("GET", "/v1/contacts").token(&token),
    )
    .await
    .assert_error(503, "unavailable");
}

#[tokio::test]
async fn a_set_given_whole_verifies_its_keys() {
    let document = test_jwks_with_kids(&["a", "b"]).to_string();
    let app = app_with(JwksSource::Document(document)).await;
    let claims = claims(&app);
    assert_eq!(status(&app, &rs256_token(Some("b"), &claims)).await, 200);
    // Two keys: a token must say which.
    assert_eq!(status(&app, &rs256_token(None, &claims)).await, 401);
    assert_eq!(status(&app, &rs256_token(Some("c"), &claims)).await, 401);
}

#[test]
fn a_set_without_an_rs256_signing_key_fails_start_up() {
    for document in [
        r#"{"keys": []}"#,
        r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
        "nope",
    ] {
        assert!(KeySet::new(&JwksSource::Document(document.into())).is_err());
    }
}
