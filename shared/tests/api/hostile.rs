//! Hostile input and DynamoDB's own limits: every case answers a clear 4xx (or a correct,
//! complete answer), never a 5xx, a killed process or a half-written item.

use base64::Engine;
use serde_json::{Value, json};
use shared::endpoints::{list_contacts, patch_group};

use crate::helpers::spawn_app;

const JSON_PATCH: &str = "application/json-patch+json";

#[tokio::test]
async fn a_json_patch_that_doubles_the_document_is_422_before_memory_grows() {
    let app = spawn_app().await;
    let (id, before) = app
        .contact(json!({"name": "A", "fields": {"seed": "x".repeat(1000)}}))
        .await;
    // Each copy doubles `fields`: 20 of them would make a 1 GB document.
    let doubling: Vec<Value> = (0..20)
        .map(|i| json!({"op": "copy", "from": "/fields", "path": format!("/fields/c{i}")}))
        .collect();
    let response = app.patch(&id, JSON_PATCH, Value::Array(doubling)).await;
    response.assert_error(422, "validation_failed");
    assert_eq!(app.get(&id).await.unwrap(), before, "nothing changed");
}

/// A value 120 levels deep at `field`, then ten copies of it into its own innermost array: each
/// copy doubles the depth (over 100 000 levels after the tenth), in a body of about 246 KB.
fn self_copying_patch(field: &str) -> Value {
    let mut nested = json!([]);
    for _ in 1..120 {
        nested = json!([nested]);
    }
    let mut operations = vec![json!({"op": "add", "path": field, "value": nested})];
    let mut depth = 120;
    for _ in 0..10 {
        let innermost = format!("{field}{}/-", "/0".repeat(depth - 1));
        operations.push(json!({"op": "copy", "from": field, "path": innermost}));
        depth *= 2;
    }
    Value::Array(operations)
}

#[tokio::test]
async fn a_json_patch_that_nests_a_value_into_itself_is_422_and_the_process_lives() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let patch = self_copying_patch("/fields/a");
    assert!(patch.to_string().len() < 256 * 1024, "under the body limit");
    let response = app.patch(&id, JSON_PATCH, patch).await;
    response.assert_error(422, "validation_failed");
    assert_eq!(app.get(&id).await.unwrap(), before, "nothing changed");
    // The same process still patches: a legal patch of the same contact applies.
    let ok = app
        .patch(
            &id,
            JSON_PATCH,
            json!([{"op": "add", "path": "/fields/a", "value": 1}]),
        )
        .await;
    assert_eq!(ok.status, 200, "{:#}", ok.body);

    let group = app.group("Deep").await;
    let response = app
        .send(
            patch_group,
            app.request("PATCH", &format!("/v1/groups/{group}")).raw(
                JSON_PATCH,
                lambda_http::Body::Text(self_copying_patch("/description").to_string()),
            ),
        )
        .await;
    response.assert_error(422, "validation_failed");
}

#[tokio::test]
async fn a_json_patch_of_more_than_100_operations_is_422() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let ops: Vec<Value> = (0..101)
        .map(|_| json!({"op": "test", "path": "/name", "value": "A"}))
        .collect();
    app.patch(&id, JSON_PATCH, Value::Array(ops.clone()))
        .await
        .assert_error(422, "validation_failed");
    assert_eq!(app.get(&id).await.unwrap(), before);
    let group = app.group("G").await;
    app.send(
        patch_group,
        app.request("PATCH", &format!("/v1/groups/{group}")).raw(
            JSON_PATCH,
            lambda_http::Body::Text(Value::Array(ops).to_string()),
        ),
    )
    .await
    .assert_error(422, "validation_failed");
}

#[tokio::test]
async fn large_contacts_fill_every_page_and_a_page_never_nears_lambdas_6_mb() {
    let app = spawn_app().await;
    // 30 contacts of about 200 KB each (50 fields of 1 000 four-byte characters): DynamoDB
    // pages a query at 1 MB, and 30 of them are 6 MB of JSON.
    let fields: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("f{i}"), json!("😀".repeat(1000))))
        .collect();
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            app.contact(json!({"name": format!("big {i}"), "fields": fields}))
                .await
                .0,
        );
    }
    let mut seen = Vec::new();
    let mut query = "?limit=100".to_string();
    loop {
        let response = app.list(&query).await;
        assert_eq!(response.status, 200, "{:#}", response.body);
        let body_bytes = response.body.to_string().len();
        assert!(body_bytes < 4 * 1024 * 1024, "a page of {body_bytes} bytes");
        for item in response.data()["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match response.data()["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=100&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen, ids,
        "every contact once, in creation order, none missing"
    );
}

#[tokio::test]
async fn user_strings_that_would_make_a_key_over_1024_bytes_are_refused_or_match_nothing() {
    let app = spawn_app().await;
    let long_key = format!("{}.{}:secret", app.tenant, "k".repeat(1100));
    let basic = base64::engine::general_purpose::STANDARD.encode(long_key);
    app.send(
        list_contacts,
        app.request("GET", "/v1/contacts")
            .without_auth()
            .header("authorization", &format!("Basic {basic}")),
    )
    .await
    .assert_error(401, "invalid_authentication");
    let response = app.list(&format!("?group={}", "g".repeat(1020))).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.data()["items"], json!([]));
    let long_email = format!("{}@example.com", "😀".repeat(250));
    app.list(&format!("?email={long_email}"))
        .await
        .assert_error(400, "not_valid");
    app.try_create(json!({"name": "A", "email": long_email}))
        .await
        .assert_error(422, "validation_failed");
}

#[tokio::test]
async fn numbers_dynamodb_cannot_store_are_422_on_create_put_and_patch() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for number in [json!(1e126), json!(-1e126), json!(1e-131), json!(1.7e308)] {
        let body = json!({"name": "A", "fields": {"n": number}});
        app.try_create(body.clone())
            .await
            .assert_error(422, "validation_failed");
        app.update(&id, body)
            .await
            .assert_error(422, "validation_failed");
        app.patch(
            &id,
            "application/merge-patch+json",
            json!({"fields": {"n": number}}),
        )
        .await
        .assert_error(422, "validation_failed");
    }
    assert_eq!(app.get(&id).await.unwrap(), before);
    for fine in [json!(0), json!(1e125), json!(-2.5e-130), json!(u64::MAX)] {
        let response = app
            .update(&id, json!({"name": "A", "fields": {"n": fine}}))
            .await;
        assert_eq!(response.status, 200, "{fine}: {:#}", response.body);
    }
}

#[tokio::test]
async fn an_if_match_that_is_not_ascii_is_400_not_ignored() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let value = lambda_http::http::HeaderValue::from_bytes("\"1\"é".as_bytes()).unwrap();
    let mut request = app
        .request("PUT", &format!("/v1/contacts/{id}"))
        .json(json!({"name": "B"}))
        .build();
    request.headers_mut().insert("if-match", value);
    let response =
        shared::lambda::handle(app.app, request, shared::endpoints::update_contact).await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn hidden_characters_in_names_are_422_so_uniqueness_cannot_be_bypassed() {
    let app = spawn_app().await;
    app.group("Friends").await;
    for name in [
        "Friends\u{200B}",
        "\u{202E}sdneirF",
        "Fri\u{0007}ends",
        "Fri\nends",
    ] {
        app.send(
            shared::endpoints::create_group,
            app.request("POST", "/v1/groups")
                .json(json!({"name": name})),
        )
        .await
        .assert_error(422, "validation_failed");
        app.try_create(json!({"name": name}))
            .await
            .assert_error(422, "validation_failed");
    }
    let response = app
        .try_create(json!({"name": "A", "description": "line one\nline two 👨‍👩‍👧"}))
        .await;
    assert_eq!(
        response.status, 201,
        "descriptions keep line breaks and emoji"
    );
}

#[tokio::test]
async fn phone_input_over_64_characters_is_422() {
    let app = spawn_app().await;
    let phone = format!("+49 170 {}", "1".repeat(60));
    app.try_create(json!({"name": "A", "phone": phone}))
        .await
        .assert_error(422, "validation_failed");
}

#[tokio::test]
async fn a_page_number_skips_earlier_pages_in_a_few_round_trips() {
    use shared::contact::Contact;
    use shared::resource::Resource;
    let app = spawn_app().await;
    let group = app.group("G").await;
    let contacts: Vec<Contact> = (0..150)
        .map(|i| {
            let body = if i % 2 == 0 {
                json!({"name": format!("c{i:03}"), "groups": [group]})
            } else {
                json!({"name": format!("c{i:03}")})
            };
            Contact::create(
                Contact::parse_draft(&body).unwrap(),
                "2026-01-01T00:00:00.000Z",
                None,
            )
        })
        .collect();
    let tenant = shared::identity::TenantId::parse(&app.tenant).unwrap();
    app.app
        .store
        .seed_contacts(&tenant, &contacts)
        .await
        .unwrap();
    let before = app.reads().read_requests();
    let response = app.list("?limit=1&page=120").await;
    let requests = app.reads().read_requests() - before;
    assert_eq!(response.data()["items"][0]["id"], json!(contacts[119].id));
    assert!(requests <= 3, "page 120 of 1 took {requests} round trips");

    let before = app.reads().read_requests();
    let response = app.list(&format!("?group={group}&limit=1&page=60")).await;
    let requests = app.reads().read_requests() - before;
    assert_eq!(response.data()["items"][0]["id"], json!(contacts[118].id));
    assert!(
        requests <= 4,
        "group page 60 of 1 took {requests} round trips"
    );

    let past_the_end = app.list("?limit=10&page=16").await;
    assert_eq!(past_the_end.data()["items"], json!([]));
    assert_eq!(past_the_end.data()["nextCursor"], Value::Null);
    let last = app.list("?limit=10&page=15").await;
    assert_eq!(last.data()["items"].as_array().unwrap().len(), 10);
    assert_eq!(last.data()["nextCursor"], Value::Null);
}

#[tokio::test]
async fn a_body_that_names_a_member_twice_is_400_and_writes_nothing() {
    let app = spawn_app().await;
    let response = app
        .send(
            shared::endpoints::create_contact,
            app.request("POST", "/v1/contacts").raw(
                "application/json",
                lambda_http::Body::Text(r#"{"name": "A", "name": "B"}"#.into()),
            ),
        )
        .await;
    response.assert_error(400, "not_valid");
    assert!(app.stored_keys().await.is_empty());
    let (id, before) = app.contact(json!({"name": "A"})).await;
    let response = app
        .send(
            shared::endpoints::patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}")).raw(
                "application/merge-patch+json",
                lambda_http::Body::Text(r#"{"fields": {"k": 1, "k": 2}}"#.into()),
            ),
        )
        .await;
    response.assert_error(400, "not_valid");
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn three_interleaved_group_deletions_never_leave_an_orphan_membership() {
    use futures::future::join_all;
    use shared::endpoints::delete_group;
    for _ in 0..3 {
        let app = spawn_app().await;
        let g = app.group("Raced").await;
        let joins = (0..6).map(|i| app.try_create(json!({"name": format!("j{i}"), "groups": [g]})));
        let deletes = (0..3).map(|_| {
            app.send(
                delete_group,
                app.request("DELETE", &format!("/v1/groups/{g}")),
            )
        });
        let (joined, deleted) = futures::join!(join_all(joins), join_all(deletes));
        let keys = app.stored_keys().await;
        let members = keys.iter().filter(|k| k.starts_with("MEMBER#")).count();
        let group_exists = keys.iter().any(|k| k.starts_with("GROUP#"));
        let joined_ok = joined.iter().filter(|r| r.status == 201).count();
        assert!(joined.iter().all(|r| r.status == 201 || r.status == 422));
        assert!(deleted.iter().all(|r| [204, 404, 409].contains(&r.status)));
        assert!(deleted.iter().filter(|r| r.status == 204).count() <= 1);
        if group_exists {
            assert!(deleted.iter().all(|r| r.status != 204));
            assert_eq!(members, joined_ok, "each joined contact has its membership");
        } else {
            assert_eq!(members, 0, "a deleted group has no members");
            assert_eq!(joined_ok, 0, "no contact joined a group that is gone");
        }
    }
}

#[tokio::test]
async fn a_failed_precondition_on_a_group_deletion_leaves_the_group_open_to_joins() {
    let app = spawn_app().await;
    let g = app.group("Kept").await;
    let response = app
        .send(
            shared::endpoints::delete_group,
            app.request("DELETE", &format!("/v1/groups/{g}"))
                .header("if-match", "\"7\""),
        )
        .await;
    response.assert_error(412, "precondition_failed");
    let joined = app.try_create(json!({"name": "J", "groups": [g]})).await;
    assert_eq!(joined.status, 201, "{:#}", joined.body);
}

#[tokio::test]
async fn a_bulk_delete_past_its_deadline_starts_no_delete_and_reports_unavailable() {
    let app = spawn_app().await;
    let (a, _) = app.contact(json!({"name": "A"})).await;
    let (b, _) = app.contact(json!({"name": "B"})).await;
    let tenant = shared::identity::TenantId::parse(&app.tenant).unwrap();
    let deleter = shared::identity::Principal::new(tenant, Vec::new());
    let results = shared::endpoints::contacts::bulk_delete(
        app.app,
        &deleter,
        vec![a.clone(), b.clone(), "nope".into()],
        shared::endpoints::batch::Deadline::at(std::time::Instant::now()),
    )
    .await;
    let results = serde_json::to_value(results).unwrap();
    let statuses: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["unavailable", "unavailable", "invalid_id"]);
    assert!(app.get(&a).await.is_some() && app.get(&b).await.is_some());
}

#[tokio::test]
async fn a_json_body_that_is_not_utf_8_is_400_whichever_way_it_arrives() {
    let app = spawn_app().await;
    for body in [
        lambda_http::Body::Binary(vec![0xff, 0xfe, 0x00]),
        lambda_http::Body::Binary(b"{\"name\": \"\xff\"}".to_vec()),
    ] {
        app.send(
            shared::endpoints::create_contact,
            app.request("POST", "/v1/contacts")
                .raw("application/json", body),
        )
        .await
        .assert_error(400, "not_valid");
    }
    assert!(app.stored_keys().await.is_empty());
}

/// An API Gateway event whose raw query string holds bytes a URI may not (a client that does
/// not percent-encode): lambda_http alone panics building the request (a bare 502 and the
/// invocation lost); the functions percent-encode those bytes first and answer like any other
/// request, with what the client meant.
#[tokio::test]
async fn a_raw_query_with_bytes_a_uri_may_not_hold_is_answered_not_a_panic() {
    use lambda_http::request::LambdaRequest;
    let app = spawn_app().await;
    let (zoe, _) = app.contact(json!({"name": "Zoë"})).await;
    let token = crate::helpers::token_with(json!({"tenant": app.tenant}));
    let event = |query: &str| -> LambdaRequest {
        let event = json!({
            "version": "2.0", "routeKey": "GET /v1/contacts", "rawPath": "/v1/contacts",
            "rawQueryString": query,
            "headers": {"host": "api.example.com", "authorization": format!("Bearer {token}")},
            "requestContext": {
                "accountId": "1", "apiId": "a", "domainName": "api.example.com",
                "domainPrefix": "api", "requestId": "r", "routeKey": "GET /v1/contacts",
                "stage": "$default", "time": "03/Dec/2026:00:00:00 +0000", "timeEpoch": 0,
                "http": {"method": "GET", "path": "/v1/contacts", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "test"}
            },
            "isBase64Encoded": false
        });
        serde_json::from_value(event).unwrap()
    };
    // (query, whether lambda_http alone panics on it, status, whether Zoë is found)
    for (query, panics, status, found) in [
        ("q=\"zo\"", true, 200, false),
        ("q=<zo>", true, 200, false),
        ("q=zo&fields=name name", true, 400, false),
        ("q=zo ë", true, 200, false),
        ("q=z\u{1}o", true, 400, false),
        ("q=Zoë", false, 200, true),
    ] {
        let raw = std::panic::catch_unwind(|| lambda_http::Request::from(event(query)));
        assert_eq!(raw.is_err(), panics, "lambda_http alone on {query:?}");
        let mut safe = event(query);
        shared::lambda::make_query_safe(&mut safe);
        let response = shared::lambda::handle(app.app, safe.into(), list_contacts).await;
        let body: Value = match response.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
            _ => panic!("no body"),
        };
        assert_eq!(response.status().as_u16(), status, "{query:?}: {body:#}");
        if status == 200 {
            let ids: Vec<&str> = body["data"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids == [zoe.as_str()], found, "{query:?}: {ids:?}");
        }
    }
}
