use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use shared::endpoints;

use crate::helpers::{SECRET, TestApp, TestRequest, TestResponse, spawn_app, token_with};

const SOME_ID: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

/// Every contact function, with a request that it would otherwise accept, and the scope it needs.
fn every_endpoint(app: &TestApp) -> Vec<(&'static str, TestRequest, &'static str)> {
    let item = format!("/v1/contacts/{SOME_ID}");
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
    ]
}

async fn call(app: &TestApp, function: &str, request: TestRequest) -> TestResponse {
    match function {
        "create-contact" => app.send(endpoints::create_contact, request).await,
        "list-contacts" => app.send(endpoints::list_contacts, request).await,
        "get-contact" => app.send(endpoints::get_contact, request).await,
        "update-contact" => app.send(endpoints::update_contact, request).await,
        "patch-contact" => app.send(endpoints::patch_contact, request).await,
        "delete-contact" => app.send(endpoints::delete_contact, request).await,
        other => panic!("no handler {other}"),
    }
}

fn unsigned(header: serde_json::Value, claims: serde_json::Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
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
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS384),
                &json!({"sub": "x", "tenant": tenant, "exp": now + 600, "scope": "contacts:read contacts:write"}),
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap()
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
            let response = call(&app, function, request).await;
            response.assert_error(401, "invalid_authentication");
            assert!(
                response
                    .header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Bearer")),
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
        let response = call(&app, function, request.token(&token)).await;
        response.assert_error(403, "permission_denied");
        let none = token_with(json!({"tenant": app.tenant, "scope": null}));
        let (_, request, _) = every_endpoint(&app)
            .into_iter()
            .find(|(f, _, _)| *f == function)
            .unwrap();
        call(&app, function, request.token(&none))
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
        let status = call(&app, function, request.token(&token)).await.status;
        assert!(status != 401 && status != 403, "{function}: {status}");
    }
}
