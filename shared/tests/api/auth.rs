use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use shared::endpoints;

use crate::helpers::{SECRET, TestApp, TestRequest, spawn_app, token_with};

const SOME_ID: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

/// Every function, with a request that it would otherwise accept, and the scope it needs.
fn every_endpoint(app: &TestApp) -> Vec<(&'static str, TestRequest, &'static str)> {
    let item = format!("/v1/contacts/{SOME_ID}");
    let group = format!("/v1/groups/{SOME_ID}");
    vec![
        (
            "create-contact",
            app.request("POST", "/v1/contacts")
                .json(json!({"name": "a"})),
            "write",
        ),
        ("list-contacts", app.request("GET", "/v1/contacts"), "read"),
        ("get-contact", app.request("GET", &item), "read"),
        (
            "update-contact",
            app.request("PUT", &item).json(json!({"name": "a"})),
            "write",
        ),
        (
            "patch-contact",
            app.request("PATCH", &item).json(json!({"name": "a"})),
            "write",
        ),
        ("delete-contact", app.request("DELETE", &item), "write"),
        (
            "bulk-delete-contacts",
            app.request("POST", "/v1/contacts/bulk-delete")
                .json(json!({"ids": [SOME_ID]})),
            "write",
        ),
        (
            "create-group",
            app.request("POST", "/v1/groups").json(json!({"name": "g"})),
            "write",
        ),
        ("list-groups", app.request("GET", "/v1/groups"), "read"),
        ("get-group", app.request("GET", &group), "read"),
        (
            "patch-group",
            app.request("PATCH", &group).json(json!({"name": "g"})),
            "write",
        ),
        ("delete-group", app.request("DELETE", &group), "write"),
    ]
}

fn unsigned(header: serde_json::Value, claims: serde_json::Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// A token signed with HS384 and the right secret: an algorithm the API does not accept (the
/// token toolkit signs only HS256 and RS256, so this one is signed here).
fn hs384(claims: serde_json::Value) -> String {
    let signed = unsigned(json!({"alg": "HS384", "typ": "JWT"}), claims);
    let message = signed.trim_end_matches('.');
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA384, SECRET.as_bytes());
    let tag = ring::hmac::sign(&key, message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

#[tokio::test]
async fn bad_credentials_are_401_with_www_authenticate_on_every_endpoint() {
    let app = spawn_app().await;
    let now = jsonwebtoken::get_current_timestamp();
    let tenant = app.tenant.clone();
    let bad_authorizations = vec![
        None,
        Some("Bearer".to_string()),
        Some("Bearer not.a.token".to_string()),
        Some("Basic dXNlcjpwYXNz".to_string()),
        Some(format!("Bearer {}", token_with(json!({"tenant": tenant, "exp": now - 120})))),
        Some(format!("Bearer {}", token_with(json!({"tenant": tenant, "nbf": now + 600})))),
        Some(format!("Bearer {}", token_with(json!({})))),
        Some(format!("Bearer {}", token_with(json!({"tenant": "bad#tenant"})))),
        Some(format!("Bearer {}", token_with(json!({"tenant": ""})))),
        Some(format!(
            "Bearer {}",
            unsigned(
                json!({"alg": "none", "typ": "JWT"}),
                json!({"sub": "x", "tenant": tenant, "exp": now + 600, "scope": "contacts:read contacts:write"})
            )
        )),
        Some(format!(
            "Bearer {}",
            hs384(json!({"sub": "x", "tenant": tenant, "exp": now + 600, "scope": "contacts:read contacts:write"}))
        )),
        Some(format!(
            "Bearer {}",
            jsonwebtoken::encode(
                &Header::default(),
                &json!({"sub": "x", "tenant": tenant, "exp": now + 600, "scope": "contacts:read contacts:write"}),
                &EncodingKey::from_secret(b"another-secret"),
            )
            .unwrap()
        )),
    ];
    for authorization in &bad_authorizations {
        for (function, request, _) in every_endpoint(&app) {
            let request = match authorization {
                None => request.without_auth(),
                Some(value) => request.without_auth().header("authorization", value),
            };
            let response = app.call(function, request).await;
            response.assert_error(401, "invalid_authentication");
            assert!(
                response
                    .header("www-authenticate")
                    .is_some_and(|v| v.contains("Bearer") && v.contains("Basic")),
                "{function} {authorization:?}"
            );
        }
    }
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn a_scope_that_does_not_cover_the_operation_is_403() {
    let app = spawn_app().await;
    for (function, request, needs) in every_endpoint(&app) {
        let granted = if needs == "write" {
            "contacts:read"
        } else {
            "contacts:write"
        };
        let token = token_with(json!({"tenant": app.tenant, "scope": granted}));
        let response = app.call(function, request.token(&token)).await;
        response.assert_error(403, "permission_denied");
        let none = token_with(json!({"tenant": app.tenant, "scope": null}));
        let (_, request, _) = every_endpoint(&app)
            .into_iter()
            .find(|(f, _, _)| *f == function)
            .unwrap();
        app.call(function, request.token(&none))
            .await
            .assert_error(403, "permission_denied");
    }
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn the_right_scope_is_enough() {
    let app = spawn_app().await;
    for (function, request, needs) in every_endpoint(&app) {
        let scope = if needs == "write" {
            "contacts:write"
        } else {
            "contacts:read"
        };
        let token = token_with(json!({"tenant": app.tenant, "scope": scope}));
        let status = app.call(function, request.token(&token)).await.status;
        assert!(status != 401 && status != 403, "{function}: {status}");
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn rs256_token(claims: serde_json::Value) -> String {
    let key = EncodingKey::from_rsa_pem(fixture("rs256-test-private.pem").as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
}

#[tokio::test]
async fn rs256_tokens_work_when_a_public_key_is_configured_and_hs256_then_does_not() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.jwt_key = Some(shared::config::JwtKey::Rs256(fixture(
            "rs256-test-public.pem",
        )));
    })
    .await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims =
        json!({"sub": "rs", "tenant": app.tenant, "exp": now + 600, "scope": "contacts:read"});
    let response = app
        .send(
            endpoints::list_contacts,
            app.request("GET", "/v1/contacts")
                .token(&rs256_token(claims.clone())),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    // HS256 with the secret, or with the public key as the HMAC secret (algorithm confusion).
    let confused = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(fixture("rs256-test-public.pem").as_bytes()),
    )
    .unwrap();
    for token in [token_with(json!({"tenant": app.tenant})), confused] {
        app.send(
            endpoints::list_contacts,
            app.request("GET", "/v1/contacts").token(&token),
        )
        .await
        .assert_error(401, "invalid_authentication");
    }
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.jwt_issuer = Some("https://issuer.test".into());
        config.jwt_audience = Some("contacts-api".into());
    })
    .await;
    for (claims, status) in [
        (
            json!({"tenant": app.tenant, "iss": "https://issuer.test", "aud": "contacts-api"}),
            200,
        ),
        (
            json!({"tenant": app.tenant, "iss": "https://issuer.test", "aud": ["other", "contacts-api"]}),
            200,
        ),
        (
            json!({"tenant": app.tenant, "iss": "https://evil.test", "aud": "contacts-api"}),
            401,
        ),
        (json!({"tenant": app.tenant, "aud": "contacts-api"}), 401),
        (
            json!({"tenant": app.tenant, "iss": "https://issuer.test", "aud": "other"}),
            401,
        ),
        (
            json!({"tenant": app.tenant, "iss": "https://issuer.test"}),
            401,
        ),
    ] {
        let response = app
            .send(
                endpoints::list_contacts,
                app.request("GET", "/v1/contacts")
                    .token(&token_with(claims.clone())),
            )
            .await;
        assert_eq!(response.status, status, "{claims}");
    }
}
