//! The change feed: changes made through the API reach the table's stream (moto's, as DynamoDB
//! Streams delivers it), the consumer records the stream records it would receive, and
//! `GET /v1/changes` returns them in order, to their tenant only.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use serde_json::{Value, json};
use shared::endpoints::record_changes;

use crate::helpers::{TestApp, TestResponse, spawn_app_with, token_with};

/// One call of the local DynamoDB's JSON API (`DynamoDB_20120810` or `DynamoDBStreams_20120810`).
fn call(target: &str, body: Value) -> Value {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap();
    let mut response = ureq::post(&endpoint)
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send(body.to_string())
        .unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// The table with the stream (`make test` makes it; the main test table has none, see
/// infra/test.sh).
fn changes_table() -> String {
    std::env::var("CHANGES_TABLE_NAME")
        .expect("CHANGES_TABLE_NAME is unset: run the tests with `make test`")
}

/// An app on the table with the stream.
async fn spawn_feed_app() -> TestApp {
    spawn_app_with(|config| config.table_name = changes_table()).await
}

/// Every record of the table's stream whose item belongs to `tenant`, in stream order, as Lambda
/// would deliver them (other tests' records are on the same stream).
fn stream_records(tenant: &str) -> Vec<Value> {
    let table = changes_table();
    let described = call(
        "DynamoDB_20120810.DescribeTable",
        json!({"TableName": table}),
    );
    let arn = described["Table"]["LatestStreamArn"]
        .as_str()
        .expect("the table has a stream, as template.yaml declares")
        .to_string();
    let stream = call(
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": arn}),
    );
    let mut records = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
        let mut iterator = call(
            "DynamoDBStreams_20120810.GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )["ShardIterator"]
            .clone();
        loop {
            let page = call(
                "DynamoDBStreams_20120810.GetRecords",
                json!({"ShardIterator": iterator, "Limit": 100}),
            );
            let batch = page["Records"].as_array().cloned().unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            records.extend(batch);
            iterator = page["NextShardIterator"].clone();
        }
    }
    let pk = format!("TENANT#{tenant}");
    records
        .into_iter()
        .filter(|r| r["dynamodb"]["Keys"]["pk"]["S"] == pk.as_str())
        .collect()
}

/// The consumer, on the tenant's stream records not delivered yet, in batches of 100 as the
/// event source mapping sends them.
async fn deliver(app: &TestApp, delivered: &mut usize) {
    let records = stream_records(&app.tenant);
    for batch in records[*delivered..].chunks(100) {
        let event: Event = serde_json::from_value(json!({"Records": batch})).unwrap();
        let response = record_changes(&app.app.store, event).await;
        assert!(response.batch_item_failures.is_empty());
    }
    *delivered = records.len();
}

async fn feed(app: &TestApp, query: &str) -> TestResponse {
    let response = app
        .call(
            "list-changes",
            app.request("GET", &format!("/v1/changes{query}")),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    response
}

fn ops(response: &TestResponse) -> Vec<(String, String, u64)> {
    response.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["resource"].as_str().unwrap().to_string(),
                c["op"].as_str().unwrap().to_string(),
                c["version"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_change_made_through_the_api_shows_up_in_the_feed_in_order() {
    let app = spawn_feed_app().await;
    let mut delivered = 0;
    let empty = feed(&app, "").await;
    assert!(empty.data()["items"].as_array().unwrap().is_empty());
    assert_eq!(empty.data()["hasMore"], false);
    let start = empty.data()["nextCursor"].as_str().unwrap().to_string();

    let group = app.group("Feed").await;
    let (id, _) = app
        .contact(json!({"name": "A", "email": "feed@example.com", "groups": [group]}))
        .await;
    app.patch(&id, "application/merge-patch+json", json!({"surname": "B"}))
        .await;
    app.update(&id, json!({"name": "C"})).await;
    assert_eq!(app.delete(&id).await.status, 204);
    let group_deleted = app
        .call(
            "delete-group",
            app.request("DELETE", &format!("/v1/groups/{group}")),
        )
        .await;
    assert_eq!(group_deleted.status, 204);
    deliver(&app, &mut delivered).await;

    let all = feed(&app, &format!("?since={start}")).await;
    assert_eq!(
        ops(&all),
        [
            ("group".into(), "created".into(), 1),
            ("contact".into(), "created".into(), 1),
            ("contact".into(), "updated".into(), 2),
            ("contact".into(), "updated".into(), 3),
            ("contact".into(), "deleted".into(), 3),
            ("group".into(), "deleted".into(), 1),
        ]
    );
    let items = all.data()["items"].as_array().unwrap();
    assert!(items[1..5].iter().all(|c| c["id"] == id.as_str()));
    assert_eq!(items[0]["id"], group.as_str());
    // Only what changed: guards, memberships and the deletion flag are not changes.
    assert_eq!(feed(&app, "").await.data()["items"], all.data()["items"]);

    // Paging through it with `limit`, and polling from the last cursor.
    let mut cursor = start;
    let mut paged = Vec::new();
    loop {
        let page = feed(&app, &format!("?since={cursor}&limit=4")).await;
        paged.extend(page.data()["items"].as_array().unwrap().clone());
        cursor = page.data()["nextCursor"].as_str().unwrap().to_string();
        if page.data()["hasMore"] == false {
            break;
        }
    }
    assert_eq!(Value::Array(paged), all.data()["items"]);
    let caught_up = feed(&app, &format!("?since={cursor}")).await;
    assert!(caught_up.data()["items"].as_array().unwrap().is_empty());
    assert_eq!(caught_up.data()["nextCursor"], cursor.as_str());

    app.create(json!({"name": "Later"})).await;
    deliver(&app, &mut delivered).await;
    let later = feed(&app, &format!("?since={cursor}")).await;
    assert_eq!(ops(&later), [("contact".into(), "created".into(), 1)]);
}

#[tokio::test]
async fn a_delivery_again_records_again_and_versions_order_an_items_changes() {
    // At least once: a batch Lambda retries is recorded twice; each change carries its
    // resource's version, so a reader keeps the highest it saw per id.
    let app = spawn_feed_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    app.update(&id, json!({"name": "B"})).await;
    let mut delivered = 0;
    deliver(&app, &mut delivered).await;
    delivered = 0;
    deliver(&app, &mut delivered).await;
    let versions: BTreeMap<u64, usize> = ops(&feed(&app, "").await).into_iter().fold(
        BTreeMap::new(),
        |mut seen, (_, _, version)| {
            *seen.entry(version).or_default() += 1;
            seen
        },
    );
    assert_eq!(versions, BTreeMap::from([(1, 2), (2, 2)]));
}

#[tokio::test]
async fn the_feed_is_the_tenants_own_and_its_cursors_too() {
    let a = spawn_feed_app().await;
    a.create(json!({"name": "A's"})).await;
    let mut delivered = 0;
    deliver(&a, &mut delivered).await;
    let a_cursor = feed(&a, "").await.data()["nextCursor"].clone();
    let b = spawn_feed_app().await;
    let as_b = |query: &str| {
        a.request("GET", &format!("/v1/changes{query}"))
            .token(&token_with(json!({"tenant": b.tenant})))
    };
    let b_feed = a.call("list-changes", as_b("")).await;
    assert!(b_feed.data()["items"].as_array().unwrap().is_empty());
    let stolen = a
        .call(
            "list-changes",
            as_b(&format!("?since={}", a_cursor.as_str().unwrap())),
        )
        .await;
    stolen.assert_error(400, "not_valid");
    for query in [
        "?since=abc",
        "?limit=0",
        "?limit=101",
        "?cursor=x",
        "?limit=1&limit=2",
    ] {
        a.call(
            "list-changes",
            a.request("GET", &format!("/v1/changes{query}")),
        )
        .await
        .assert_error(400, "not_valid");
    }
    let unauthenticated = a
        .call(
            "list-changes",
            a.request("GET", "/v1/changes").without_auth(),
        )
        .await;
    unauthenticated.assert_error(401, "invalid_authentication");
}

#[tokio::test]
async fn entries_younger_than_the_settle_time_wait() {
    let app = spawn_app_with(|config| {
        config.table_name = changes_table();
        config.changes_settle = Duration::from_secs(3600);
    })
    .await;
    app.create(json!({"name": "Fresh"})).await;
    let mut delivered = 0;
    deliver(&app, &mut delivered).await;
    let response = feed(&app, "").await;
    assert!(response.data()["items"].as_array().unwrap().is_empty());
    assert_eq!(response.data()["hasMore"], false);
}

fn in_six_days() -> Duration {
    shared::clock::since_epoch() + Duration::from_secs(6 * 24 * 3600)
}

fn in_eight_days() -> Duration {
    shared::clock::since_epoch() + Duration::from_secs(8 * 24 * 3600)
}

/// The same tenant's feed, read with the clock moved.
async fn later(app: &TestApp, clock: fn() -> Duration) -> TestApp {
    let mut later = spawn_app_with(|config| {
        config.table_name = changes_table();
        config.clock = clock;
    })
    .await;
    later.tenant = app.tenant.clone();
    later
}

/// A cursor older than the feed's retention (7 days) is 410 `gone`, whether it stands after an
/// entry or on a feed that was empty: changes after it may have expired. Within the retention
/// the same cursor reads on, and a client that keeps polling keeps a fresh cursor even when
/// nothing changes.
#[tokio::test]
async fn a_cursor_older_than_the_feeds_retention_is_410_gone() {
    let app = spawn_feed_app().await;
    let empty = feed(&app, "").await.data()["nextCursor"].clone();
    app.create(json!({"name": "Kept"})).await;
    let mut delivered = 0;
    deliver(&app, &mut delivered).await;
    let read = feed(&app, "").await;
    assert_eq!(ops(&read).len(), 1);
    let after_entry = read.data()["nextCursor"].clone();

    let six = later(&app, in_six_days).await;
    let eight = later(&app, in_eight_days).await;
    for cursor in [&empty, &after_entry] {
        let query = format!("?since={}", cursor.as_str().unwrap());
        feed(&six, &query).await;
        eight
            .call(
                "list-changes",
                eight.request("GET", &format!("/v1/changes{query}")),
            )
            .await
            .assert_error(410, "gone");
    }
    // Polled six days on with nothing new, the cursor is renewed: eight days on it still reads.
    let renewed = feed(&six, &format!("?since={}", after_entry.as_str().unwrap())).await;
    assert!(ops(&renewed).is_empty());
    let renewed = renewed.data()["nextCursor"].as_str().unwrap().to_string();
    feed(&eight, &format!("?since={renewed}")).await;
    // Without since, the feed starts anew.
    feed(&eight, "").await;
}

/// A mirror can follow the trash: a delete to the trash is `deleted`, a restore `restored` (one
/// version up), an erase `erased`, in order per contact, delivered once at the end; the feed
/// holds ids, operations, versions and times only, never a contact's data.
#[tokio::test]
async fn the_feed_records_deleted_restored_and_erased_in_order() {
    let app = spawn_feed_app().await;
    let (id, _) = app
        .contact(json!({"name": "Mirror", "email": "mirror@example.com"}))
        .await;
    assert_eq!(app.delete(&id).await.status, 204);
    let restored = app
        .call(
            "restore-contact",
            app.request("POST", &format!("/v1/contacts/{id}/restore")),
        )
        .await;
    assert_eq!(restored.status, 200, "{:#}", restored.body);
    assert_eq!(app.delete(&id).await.status, 204);
    let erased = app
        .call(
            "delete-contact",
            app.request("DELETE", &format!("/v1/contacts/{id}?permanent=true")),
        )
        .await;
    assert_eq!(erased.status, 204);
    let mut delivered = 0;
    deliver(&app, &mut delivered).await;
    let all = feed(&app, "").await;
    assert_eq!(
        ops(&all),
        [
            ("contact".into(), "created".into(), 1),
            ("contact".into(), "deleted".into(), 1),
            ("contact".into(), "restored".into(), 2),
            ("contact".into(), "deleted".into(), 2),
            ("contact".into(), "erased".into(), 2),
        ]
    );
    for item in all.data()["items"].as_array().unwrap() {
        let mut members: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(members, ["at", "id", "op", "resource", "version"], "{item}");
        assert_eq!(item["id"], id.as_str());
    }
    assert!(!all.body.to_string().contains("mirror@example.com"));
}
