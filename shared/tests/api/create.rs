use futures::future::join_all;
use lambda_http::Body;
use serde_json::json;
use shared::endpoints::create_contact;

use crate::helpers::{spawn_app, token_with};

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_contact() {
    let app = spawn_app().await;
    let response = app.try_create(json!({
                "name": " John ", "surname": "Doe", "email": "John.Doe@Example.com",
                "phone": "+49 (170) 123-45.678", "description": "Engineer",
                "fields": {"phone2": "+44 20 7946 0958", "crmId": "A-17", "score": 4.5, "vip": true, "x": null}
            })).await;
    assert_eq!(response.status, 201);
    let contact = response.data();
    let id = contact["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "7", "ids are UUIDv7");
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/contacts/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert!(response.header("last-modified").is_some());
    assert_eq!(contact["name"], "John");
    assert_eq!(contact["email"], "John.Doe@Example.com");
    assert_eq!(contact["phone"], "+4917012345678");
    assert_eq!(contact["fields"]["score"], 4.5);
    assert_eq!(contact["fields"]["x"], serde_json::Value::Null);
    assert_eq!(contact["version"], 1);
    assert_eq!(contact["createdAt"], contact["updatedAt"]);
    assert_eq!(
        app.get(id).await.unwrap(),
        *contact,
        "what was answered is what is stored"
    );
}

#[tokio::test]
async fn fields_not_given_are_absent_never_invented() {
    let app = spawn_app().await;
    let contact = app.create(json!({"name": "Solo"})).await;
    let mut keys: Vec<&str> = contact
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    // `createdBy`/`updatedBy` come from the credentials (the test token's `sub`), not the body.
    assert_eq!(
        keys,
        [
            "createdAt",
            "createdBy",
            "id",
            "name",
            "updatedAt",
            "updatedBy",
            "version"
        ]
    );
}

#[tokio::test]
async fn email_is_unique_per_tenant_case_insensitively() {
    let app = spawn_app().await;
    app.create(json!({"name": "A", "email": "same@example.com"}))
        .await;
    let response = app
        .try_create(json!({"name": "B", "email": "SAME@example.COM"}))
        .await;
    response.assert_error(409, "conflict");
    assert_eq!(response.errors()[0].1.as_deref(), Some("email"));
    assert_eq!(
        app.stored_keys().await.len(),
        2,
        "one contact and its guard, nothing half-written"
    );
}

#[tokio::test]
async fn the_same_email_is_free_in_another_tenant() {
    let app = spawn_app().await;
    app.create(json!({"name": "A", "email": "shared@example.com"}))
        .await;
    let other = crate::helpers::new_tenant();
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts")
                .token(&token_with(json!({"tenant": other})))
                .json(json!({"name": "B", "email": "shared@example.com"})),
        )
        .await;
    assert_eq!(response.status, 201);
}

#[tokio::test]
async fn twenty_simultaneous_creates_with_one_address_have_exactly_one_winner() {
    let app = spawn_app().await;
    let attempts = (0..20).map(|i| {
        app.send(
            create_contact,
            app.request("POST", "/v1/contacts")
                .json(json!({"name": format!("racer {i}"), "email": "race@example.com"})),
        )
    });
    let statuses: Vec<u16> = join_all(attempts).await.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    let keys = app.stored_keys().await;
    assert_eq!(keys.iter().filter(|k| k.starts_with("CONTACT#")).count(), 1);
    assert_eq!(keys.iter().filter(|k| k.starts_with("EMAIL#")).count(), 1);
}

#[tokio::test]
async fn malformed_bodies_are_400_and_write_nothing() {
    let app = spawn_app().await;
    for (body, field) in [
        ("{\"name\": ", None),
        ("[]", None),
        ("\"text\"", None),
        ("", None),
        ("{\"name\": 7}", Some("name")),
        ("{\"name\": \"a\", \"nick\": \"b\"}", Some("nick")),
        ("{\"name\": \"a\", \"groups\": [\"nope\"]}", Some("groups")),
        (
            "{\"name\": \"a\", \"fields\": {\"k\": [1]}}",
            Some("fields.k"),
        ),
    ] {
        let response = app
            .send(
                create_contact,
                app.request("POST", "/v1/contacts")
                    .raw("application/json", Body::Text(body.into())),
            )
            .await;
        response.assert_error(400, "not_valid");
        assert_eq!(response.errors()[0].1.as_deref(), field, "{body}");
    }
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn broken_rules_are_422_with_one_error_per_field() {
    let app = spawn_app().await;
    let response = app
        .try_create(json!({
            "name": "", "email": "not-an-email", "phone": "12",
            "surname": "s".repeat(101), "description": "d".repeat(2001),
            "fields": {"bad key": 1}, "version": 4
        }))
        .await;
    response.assert_error(422, "validation_failed");
    let mut fields: Vec<String> = response
        .errors()
        .into_iter()
        .filter_map(|(_, f)| f)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "description",
            "email",
            "fields.bad key",
            "name",
            "phone",
            "surname",
            "version"
        ]
    );
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn an_unknown_group_is_422_and_writes_nothing() {
    let app = spawn_app().await;
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts").json(
                json!({"name": "a", "email": "g@example.com", "groups": ["0192f3c1-0000-7000-8000-000000000000"]}),
            ),
        )
        .await;
    response.assert_error(422, "validation_failed");
    assert_eq!(response.errors()[0].1.as_deref(), Some("groups"));
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn bodies_over_256_kib_are_413() {
    let app = spawn_app().await;
    let big = json!({"name": "a", "description": "x".repeat(256 * 1024)});
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts").json(big),
        )
        .await;
    response.assert_error(413, "payload_too_large");
}

#[tokio::test]
async fn non_json_bodies_are_415() {
    let app = spawn_app().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = app
            .send(
                create_contact,
                app.request("POST", "/v1/contacts")
                    .raw(content_type, Body::Text("name=a".into())),
            )
            .await;
        response.assert_error(415, "unsupported_media_type");
    }
}

#[tokio::test]
async fn a_body_delivered_base64_encoded_is_read_as_bytes() {
    let app = spawn_app().await;
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts").raw(
                "application/json; charset=utf-8",
                Body::Binary(br#"{"name":"Bytes"}"#.to_vec()),
            ),
        )
        .await;
    assert_eq!(response.status, 201);
    assert_eq!(response.data()["name"], "Bytes");
}

#[tokio::test]
async fn the_create_response_honours_the_projection() {
    let app = spawn_app().await;
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts?fields=Name,EMAIL")
                .json(json!({"name": "P", "email": "p@example.com", "phone": "+14155552671"})),
        )
        .await;
    assert_eq!(response.status, 201);
    let mut keys: Vec<&String> = response.data().as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["email", "id", "name"]);
}

/// A number is stored as it was sent, or refused: `123456789012345678901234567890123456789012`
/// was answered 201 and came back as `1.2345678901234568e41`. Numbers a double or a 64-bit
/// integer holds exactly come back as sent.
#[tokio::test]
async fn a_number_is_kept_exactly_or_refused() {
    let app = spawn_app().await;
    for number in [
        "123456789012345678901234567890123456789012",
        "0.1000000000000000000001",
        "9007199254740993.0",
    ] {
        let body = format!(r#"{{"name": "N", "fields": {{"n": {number}}}}}"#);
        let response = app
            .send(
                shared::endpoints::create_contact,
                app.request("POST", "/v1/contacts")
                    .raw("application/json", lambda_http::Body::Text(body)),
            )
            .await;
        response.assert_error(422, "validation_failed");
    }
    let (id, created) = app
        .contact(serde_json::from_str(
            r#"{"name": "N", "fields": {"a": 0.30000000000000004, "b": 18446744073709551615, "c": -9223372036854775808, "d": 1.5e3}}"#,
        ).unwrap())
        .await;
    let stored = app.get(&id).await.unwrap();
    for (name, text) in [
        ("a", "0.30000000000000004"),
        ("b", "18446744073709551615"),
        ("c", "-9223372036854775808"),
    ] {
        assert_eq!(
            created["fields"][name].to_string(),
            text,
            "{name} as answered"
        );
        assert_eq!(stored["fields"][name].to_string(), text, "{name} as stored");
    }
    // The same value, in the shortest form of its type.
    assert_eq!(stored["fields"]["d"].as_f64(), Some(1500.0));
    let patched = app
        .send(
            shared::endpoints::patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}")).raw(
                "application/merge-patch+json",
                lambda_http::Body::Text(r#"{"fields": {"a": 1e400000000000000000000}}"#.into()),
            ),
        )
        .await;
    assert!(matches!(patched.status, 400 | 422), "{:#}", patched.body);
    let patched = app
        .send(
            shared::endpoints::patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}")).raw(
                "application/merge-patch+json",
                lambda_http::Body::Text(r#"{"fields": {"a": 12345678901234567890123}}"#.into()),
            ),
        )
        .await;
    patched.assert_error(422, "validation_failed");
    assert_eq!(app.get(&id).await.unwrap(), stored, "nothing changed");
}
