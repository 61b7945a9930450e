//! `Idempotency-Key` on the creating endpoints: replay, a different request, in flight, refused
//! requests, tenants, and 20 concurrent identical creates.

use futures::future::join_all;
use serde_json::{Value, json};
use shared::idempotency::IdempotencyKey;
use shared::identity::TenantId;

use crate::helpers::{TestApp, TestRequest, TestResponse, spawn_app, token_with};

fn keyed(app: &TestApp, key: &str, body: Value) -> TestRequest {
    app.request("POST", "/v1/contacts")
        .header("idempotency-key", key)
        .json(body)
}

async fn contacts(app: &TestApp) -> Vec<String> {
    app.stored_keys()
        .await
        .into_iter()
        .filter(|k| k.starts_with("CONTACT#"))
        .collect()
}

fn replayed(response: &TestResponse) -> bool {
    response.header("idempotent-replayed") == Some("true")
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let body = json!({"name": "Once"});
    let first = app
        .call("create-contact", keyed(&app, "order-1", body.clone()))
        .await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert!(!replayed(&first));
    for _ in 0..2 {
        let retry = app
            .call("create-contact", keyed(&app, "order-1", body.clone()))
            .await;
        assert_eq!(retry.status, 201);
        assert!(replayed(&retry));
        assert_eq!(retry.data(), first.data());
        for header in ["location", "etag", "last-modified"] {
            assert_eq!(retry.header(header), first.header(header), "{header}");
        }
    }
    assert_eq!(contacts(&app).await.len(), 1);
    // Without a key, the same body is another contact, as before.
    assert_eq!(app.try_create(body).await.status, 201);
    assert_eq!(contacts(&app).await.len(), 2);
}

#[tokio::test]
async fn the_same_key_on_a_different_request_is_422() {
    let app = spawn_app().await;
    let first = app
        .call("create-contact", keyed(&app, "k", json!({"name": "A"})))
        .await;
    assert_eq!(first.status, 201);
    let other = app
        .call("create-contact", keyed(&app, "k", json!({"name": "B"})))
        .await;
    other.assert_error(422, "validation_failed");
    assert_eq!(other.errors()[0].1.as_deref(), Some("Idempotency-Key"));
    let other_path = app
        .call(
            "create-group",
            app.request("POST", "/v1/groups")
                .header("idempotency-key", "k")
                .json(json!({"name": "A"})),
        )
        .await;
    other_path.assert_error(422, "validation_failed");
    assert_eq!(contacts(&app).await.len(), 1);
}

#[tokio::test]
async fn a_request_still_running_makes_a_retry_409() {
    let app = spawn_app().await;
    let request = keyed(&app, "slow", json!({"name": "A"}));
    // The first request holds the key (claimed as it would be) and has not answered yet.
    let key = IdempotencyKey::from_request(&keyed(&app, "slow", json!({"name": "A"})).build())
        .unwrap()
        .unwrap();
    let tenant = TenantId::parse(&app.tenant).unwrap();
    app.app.store.claim(&tenant, key).await.unwrap();
    let retry = app.call("create-contact", request).await;
    retry.assert_error(409, "conflict");
    assert_eq!(retry.errors()[0].1.as_deref(), Some("Idempotency-Key"));
    assert!(contacts(&app).await.is_empty());
}

#[tokio::test]
async fn a_refused_request_frees_its_key_for_a_corrected_retry() {
    let app = spawn_app().await;
    let refused = app
        .call("create-contact", keyed(&app, "fix-me", json!({"name": ""})))
        .await;
    refused.assert_error(422, "validation_failed");
    let taken = app
        .create(json!({"name": "T", "email": "t@example.com"}))
        .await;
    let conflict = app
        .call(
            "create-contact",
            keyed(
                &app,
                "fix-me",
                json!({"name": "A", "email": "t@example.com"}),
            ),
        )
        .await;
    conflict.assert_error(409, "conflict");
    let fixed = app
        .call(
            "create-contact",
            keyed(&app, "fix-me", json!({"name": "A"})),
        )
        .await;
    assert_eq!(fixed.status, 201, "{:#}", fixed.body);
    assert!(!replayed(&fixed));
    assert_ne!(fixed.data()["id"], taken["id"]);
}

#[tokio::test]
async fn keys_belong_to_their_tenant() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let body = json!({"name": "Shared key"});
    let from_a = a
        .call("create-contact", keyed(&a, "same", body.clone()))
        .await;
    let from_b = a
        .call(
            "create-contact",
            keyed(&a, "same", body).token(&token_with(json!({"tenant": b.tenant}))),
        )
        .await;
    assert_eq!((from_a.status, from_b.status), (201, 201));
    assert!(!replayed(&from_b));
    assert_ne!(from_a.data()["id"], from_b.data()["id"]);
}

#[tokio::test]
async fn a_malformed_key_is_400() {
    let app = spawn_app().await;
    for key in ["", "has space", &"k".repeat(256), "ключ"] {
        let request = app
            .request("POST", "/v1/contacts")
            .header("idempotency-key", key)
            .json(json!({"name": "A"}));
        app.call("create-contact", request)
            .await
            .assert_error(400, "not_valid");
    }
    assert!(contacts(&app).await.is_empty());
}

#[tokio::test]
async fn twenty_concurrent_identical_keyed_creates_make_one_contact() {
    let app = spawn_app().await;
    let body = json!({"name": "Twenty"});
    let answers: Vec<TestResponse> =
        join_all((0..20).map(|_| app.call("create-contact", keyed(&app, "burst", body.clone()))))
            .await;
    assert_eq!(contacts(&app).await.len(), 1);
    let ran: Vec<&TestResponse> = answers
        .iter()
        .filter(|a| a.status == 201 && !replayed(a))
        .collect();
    assert_eq!(ran.len(), 1, "exactly one request ran");
    for answer in &answers {
        match answer.status {
            201 => assert_eq!(answer.data(), ran[0].data()),
            409 => assert_eq!(answer.errors()[0].1.as_deref(), Some("Idempotency-Key")),
            other => panic!("unexpected {other}: {:#}", answer.body),
        }
    }
    // Once the first has answered, every retry is its replay.
    let late = app.call("create-contact", keyed(&app, "burst", body)).await;
    assert!(replayed(&late));
    assert_eq!(late.data(), ran[0].data());
}

#[tokio::test]
async fn bulk_delete_and_group_creates_replay_too() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let bulk = || {
        app.request("POST", "/v1/contacts/bulk-delete")
            .header("idempotency-key", "cleanup")
            .json(json!({"ids": [id]}))
    };
    let first = app.call("bulk-delete-contacts", bulk()).await;
    assert_eq!(first.data()["deleted"], 1);
    let retry = app.call("bulk-delete-contacts", bulk()).await;
    assert!(replayed(&retry));
    assert_eq!(
        retry.data(),
        first.data(),
        "the first answer, not a second run"
    );

    let group = || {
        app.request("POST", "/v1/groups")
            .header("idempotency-key", "team")
            .json(json!({"name": "Team"}))
    };
    let first = app.call("create-group", group()).await;
    let retry = app.call("create-group", group()).await;
    assert_eq!((first.status, retry.status), (201, 201));
    assert!(replayed(&retry));
    assert_eq!(retry.data(), first.data());
}

/// A keyed batch that did not do every item (here: every id reached after its deadline, so
/// each is `unavailable`) stores no answer: a retry with the same key does the items, instead of
/// replaying for 24 hours that they were not done.
#[tokio::test]
async fn a_keyed_batch_with_items_not_done_frees_its_key_for_the_retry() {
    let app = spawn_app().await;
    let (a, _) = app.contact(json!({"name": "A"})).await;
    let (b, _) = app.contact(json!({"name": "B"})).await;
    let request = || {
        app.request("POST", "/v1/contacts/bulk-delete")
            .header("idempotency-key", "bulk-partial")
            .json(json!({"ids": [a, b]}))
    };
    // A second left: less than what a batch keeps for its answer, so no item starts.
    let soon = u64::try_from(shared::clock::since_epoch().as_millis()).unwrap() + 1_000;
    let first = app
        .send(
            shared::endpoints::bulk_delete_contacts,
            request().deadline(soon),
        )
        .await;
    assert_eq!(first.status, 200, "{:#}", first.body);
    assert_eq!(first.data()["results"][0]["status"], "unavailable");
    assert_eq!(first.data()["deleted"], 0);
    let retry = app
        .send(shared::endpoints::bulk_delete_contacts, request())
        .await;
    assert_eq!(retry.header("idempotent-replayed"), None, "not a replay");
    assert_eq!(retry.data()["deleted"], 2, "{:#}", retry.body);
    // Now every item was done: that answer is stored and replayed.
    let again = app
        .send(shared::endpoints::bulk_delete_contacts, request())
        .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.data(), retry.data());
}

/// An import whose items each name hundreds of unknown fields answered one error per field:
/// over DynamoDB's 400 KB item, so its answer was never stored (only logged), its key stayed
/// `running`, and a retry was told 409 (then, after the hold, ran the import again). Each item
/// now lists at most 5 errors, each text echoed up to 100 characters: the answer is stored and
/// replayed.
#[tokio::test]
async fn a_keyed_import_answer_always_fits_and_is_replayed() {
    let app = spawn_app().await;
    let item = |i: usize| {
        let mut contact = serde_json::Map::new();
        contact.insert("name".into(), json!(format!("n{i}")));
        for f in 0..250 {
            contact.insert(format!("x{f:03}"), json!(0));
        }
        Value::Object(contact)
    };
    let body = json!({"contacts": (0..100).map(item).collect::<Vec<_>>()});
    let request = || {
        app.request("POST", "/v1/contacts/import")
            .header("idempotency-key", "import-wide")
            .json(body.clone())
    };
    let first = app
        .send(shared::endpoints::import_contacts, request())
        .await;
    assert_eq!(first.status, 200, "{:#}", first.body["errors"]);
    let results = first.data()["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["status"] == "invalid"));
    assert_eq!(results[0]["errors"].as_array().unwrap().len(), 5);
    let again = app
        .send(shared::endpoints::import_contacts, request())
        .await;
    assert_eq!(again.status, 200, "{:#}", again.body["errors"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

/// An id of a bulk delete is echoed up to 100 characters (only an invalid one can be longer).
#[tokio::test]
async fn a_long_invalid_id_is_echoed_cut() {
    let app = spawn_app().await;
    let response = app
        .send(
            shared::endpoints::bulk_delete_contacts,
            app.request("POST", "/v1/contacts/bulk-delete")
                .json(json!({"ids": ["x".repeat(5000)]})),
        )
        .await;
    let result = &response.data()["results"][0];
    assert_eq!(result["status"], "invalid_id");
    assert_eq!(result["id"], format!("{}…", "x".repeat(100)));
    assert_eq!(result["link_id"], result["id"]);
}
