//! A page costs reads in proportion to `limit`, not to the size of the tenant: 10 000 contacts
//! in 100 groups in one tenant, and DynamoDB's own `ScannedCount` (plus the items of the gets)
//! for the first page, a group-filtered page, a two-group page and an e-mail lookup; 100 000
//! contacts for search and the sorted lists. And the index's backfill (`admin reindex`).
//! Each test uses a table of its own, created as template.yaml declares it, so that the rest of
//! the suite does not run against their extra items.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;
use shared::App;
use shared::config::Config;
use shared::contact::{Contact, ContactDraft};
use shared::endpoints;
use shared::envelope::Reply;
use shared::error::ApiError;
use shared::identity::TenantId;
use shared::resource::Resource;
use shared::testing::{ReadMeter, token_with};

const CONTACTS: usize = 10_000;

/// The tests of this file load the local DynamoDB, which serves one request at a time: they run
/// one after another, so that one's loading does not time out another's requests.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
const GROUPS: usize = 100;
const LIMIT: u64 = 10;

async fn table_like_the_template(client: &aws_sdk_dynamodb::Client, name: &str) {
    let template: Yaml = serde_yaml_ng::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap(),
    )
    .unwrap();
    let props = &template["Resources"]["ContactsTable"]["Properties"];
    assert!(
        props.get("GlobalSecondaryIndexes").is_none(),
        "the template gained indexes: create them here too"
    );
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for def in props["AttributeDefinitions"].as_sequence().unwrap() {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(def["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    def["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap(),
        );
    }
    for key in props["KeySchema"].as_sequence().unwrap() {
        create = create.key_schema(
            KeySchemaElement::builder()
                .attribute_name(key["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(key["KeyType"].as_str().unwrap()))
                .build()
                .unwrap(),
        );
    }
    create.send().await.unwrap();
}

fn get(path: &str, token: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("https://api.test{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::Empty)
        .unwrap()
}

async fn send<H, F>(app: &'static App, handler: H, request: Request) -> Value
where
    H: Fn(&'static App, Request) -> F,
    F: std::future::Future<Output = Result<Reply, ApiError>>,
{
    let response = shared::lambda::handle(app, request, handler).await;
    assert_eq!(response.status(), 200);
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        _ => panic!("no body"),
    }
}

/// Items read by `app` while `f` runs.
async fn reads<F: std::future::Future<Output = Value>>(meter: &ReadMeter, f: F) -> (u64, Value) {
    let before = meter.items_read();
    let body = f.await;
    (meter.items_read() - before, body)
}

#[tokio::test]
#[allow(
    clippy::await_holding_lock,
    reason = "held on purpose: the tests run one at a time"
)]
async fn a_page_reads_in_proportion_to_its_limit_in_a_tenant_of_10_000_contacts() {
    let _serial = one_at_a_time();
    let (app, meter, client, table) = app_on_own_table().await;
    let tenant = TenantId::parse("big").unwrap();
    let token =
        token_with(json!({"tenant": "big", "exp": jsonwebtoken::get_current_timestamp() + 3600}));

    // 100 groups through the API, then 10 000 contacts, contact i in group i % 100.
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://api.test/v1/groups")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::Text(
                json!({"name": format!("group {g}")}).to_string(),
            ))
            .unwrap();
        let response = shared::lambda::handle(app, request, endpoints::create_group).await;
        assert_eq!(response.status(), 201);
        let body: Value = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            _ => panic!("no body"),
        };
        groups.push(body["data"]["id"].as_str().unwrap().to_string());
    }
    let contacts: Vec<Contact> = (0..CONTACTS)
        .map(|i| {
            let draft = ContactDraft::parse(&json!({
                "name": format!("contact {i}"),
                "email": format!("c{i}@example.com"),
                "groups": [groups[i % GROUPS]],
            }))
            .unwrap();
            Contact::create(draft, "2026-01-01T00:00:00.000Z", None)
        })
        .collect();
    // Without their search entries: none of these pages reads them, and the local DynamoDB
    // sorts a whole partition for every query, so they would only slow the test down.
    app.store
        .seed_contacts_without_index(&tenant, &contacts)
        .await
        .unwrap();

    let budget = 3 * LIMIT;
    let (read, body) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get("/v1/contacts?limit=10", &token),
        ),
    )
    .await;
    assert_eq!(body["data"]["items"].as_array().unwrap().len(), 10);
    assert_eq!(body["data"]["items"][0]["id"], json!(contacts[0].id));
    assert!(read <= budget, "first page read {read} items");
    eprintln!("first page of 10: {read} items read");

    let cursor = body["data"]["nextCursor"].as_str().unwrap().to_string();
    let (read, _) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get(&format!("/v1/contacts?limit=10&cursor={cursor}"), &token),
        ),
    )
    .await;
    assert!(read <= budget, "second page read {read} items");

    let one = &groups[7];
    let (read, body) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get(&format!("/v1/contacts?limit=10&group={one}"), &token),
        ),
    )
    .await;
    let items = body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert!(items.iter().all(|c| c["groups"][0] == json!(one)));
    assert_eq!(items[0]["id"], json!(contacts[7].id));
    assert_eq!(items[1]["id"], json!(contacts[107].id));
    assert!(read <= budget, "group page read {read} items");
    eprintln!("group-filtered page of 10: {read} items read");

    let (read, body) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get("/v1/contacts?limit=10&group=group%203,GROUP%204", &token),
        ),
    )
    .await;
    assert_eq!(body["data"]["items"].as_array().unwrap().len(), 10);
    // Each named group: one name lookup and at most limit + 1 memberships; then limit contacts.
    assert!(
        read <= 2 * (1 + LIMIT + 1) + LIMIT,
        "two-group page (by name) read {read} items"
    );
    eprintln!("two-group page of 10, by name: {read} items read");

    let (read, body) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get("/v1/contacts?email=C9999@example.com", &token),
        ),
    )
    .await;
    assert_eq!(body["data"]["items"][0]["id"], json!(contacts[9999].id));
    assert!(read <= 2, "e-mail lookup read {read} items");

    let (read, body) = reads(
        &meter,
        send(
            app,
            endpoints::list_contacts,
            get("/v1/contacts?limit=10&page=5", &token),
        ),
    )
    .await;
    assert_eq!(body["data"]["items"][0]["id"], json!(contacts[40].id));
    assert!(read <= 5 * (LIMIT + 1), "page 5 read {read} items");
    eprintln!("page 5 of 10: {read} items read");

    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}

/// A table of its own and an app on it, reads counted.
async fn app_on_own_table() -> (&'static App, ReadMeter, aws_sdk_dynamodb::Client, String) {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is unset: run the tests with `make test`"
    );
    let sdk = shared::sdk_config().await;
    let meter = ReadMeter::default();
    // The local DynamoDB (moto) sorts a whole partition for every query: at 100 000 contacts a
    // page takes seconds there, which is the emulator's cost, not the page's (what a page reads
    // is what this file measures). So these calls may take longer than a function's.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .operation_timeout(std::time::Duration::from_secs(120))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .timeout_config(timeouts)
            .interceptor(meter.clone())
            .build(),
    );
    let table = format!("contacts-cost-{}", uuid::Uuid::now_v7().simple());
    table_like_the_template(&client, &table).await;
    let config = Config::for_tests(&table);
    let app: &'static App = Box::leak(Box::new(App::new(&config, client.clone()).unwrap()));
    (app, meter, client, table)
}

/// How many contacts the search and sort test loads: 10 000 in `make test`, 100 000 (or any
/// number) with `COST_CONTACTS=100000` (docs/api.md: about 8 minutes on the local DynamoDB,
/// which sorts a whole partition for every query). What a page reads is the same at any size.
fn searched() -> usize {
    std::env::var("COST_CONTACTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// Search and every sort read O(limit) entries per page among 10 000 (or `COST_CONTACTS`)
/// contacts whose names all start with the query; a two-word query that matches none reads within its budget and
/// answers an empty page with a cursor, never an unbounded read.
#[tokio::test]
#[allow(
    clippy::await_holding_lock,
    reason = "held on purpose: the tests run one at a time"
)]
async fn search_and_sorted_pages_read_in_proportion_to_their_limit_in_a_large_tenant() {
    let _serial = one_at_a_time();
    let (app, meter, client, table) = app_on_own_table().await;
    let tenant = TenantId::parse("searched").unwrap();
    let token = token_with(
        json!({"tenant": "searched", "exp": jsonwebtoken::get_current_timestamp() + 3600}),
    );
    // One word each (their index: one search entry and two sorted places), all starting "n".
    let count = searched();
    assert!(
        (100..1_000_000).contains(&count),
        "COST_CONTACTS: 100 to 999 999"
    );
    let contacts: Vec<Contact> = (0..count)
        .map(|i| {
            let draft =
                ContactDraft::parse(&json!({"name": format!("n{:06}", count - 1 - i)})).unwrap();
            // Written one millisecond apart, the last name first.
            let at = format!(
                "2026-01-01T00:{:02}:{:02}.{:03}Z",
                i / 60_000,
                (i / 1000) % 60,
                i % 1000
            );
            Contact::create(draft, &at, None)
        })
        .collect();
    let started = std::time::Instant::now();
    app.store.seed_contacts(&tenant, &contacts).await.unwrap();
    eprintln!("seeded {count} contacts in {:?}", started.elapsed());
    let list = |query: &str| send(app, endpoints::list_contacts, get(query, &token));

    // Contacts are read in one BatchGetItem (LIMIT items), entries up to LIMIT + 1 (search
    // reads a few more to find a page's worth: at most 16 per item it may answer).
    let budget = LIMIT + 1 + LIMIT;
    let last = format!("n{:06}", count - 1);
    // The last hundred share a prefix: "n0999" of n099900..n099999 at 100 000.
    let prefix = &last[..5];
    let first_of_prefix = format!("{prefix}00");
    for (query, first) in [
        ("/v1/contacts?q=n&limit=10".to_string(), "n000000"),
        (
            format!("/v1/contacts?q={prefix}&limit=10"),
            first_of_prefix.as_str(),
        ),
        ("/v1/contacts?sort=name&limit=10".to_string(), "n000000"),
        (
            "/v1/contacts?sort=-name&limit=10".to_string(),
            last.as_str(),
        ),
        (
            "/v1/contacts?sort=updatedAt&limit=10".to_string(),
            last.as_str(),
        ),
        (
            "/v1/contacts?sort=-updatedAt&limit=10".to_string(),
            "n000000",
        ),
    ] {
        let query = query.as_str();
        let (read, body) = reads(&meter, list(query)).await;
        let items = body["data"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 10, "{query}");
        assert_eq!(items[0]["name"], json!(first), "{query}");
        assert!(read <= 2 * budget, "{query} read {read} items");
        eprintln!("{query}: {read} items read");
        let cursor = body["data"]["nextCursor"].as_str().unwrap().to_string();
        let next = format!("{query}&cursor={cursor}");
        let (read, body) = reads(&meter, list(&next)).await;
        assert_eq!(body["data"]["items"].as_array().unwrap().len(), 10);
        assert!(read <= 2 * budget, "{query}, next page, read {read} items");
    }

    // Two words: the entries of one are read and filtered by the other, within a budget per
    // page; a query that matches nothing answers a shorter (here empty) page with a cursor.
    // (The entries of "n", the word with a letter, are read; "5" starts no contact's word.)
    let (read, body) = reads(&meter, list("/v1/contacts?q=n%205&limit=10")).await;
    assert_eq!(body["data"]["items"], json!([]));
    assert!(
        body["data"]["nextCursor"].is_string(),
        "a page cut by its budget goes on with a cursor"
    );
    assert!(read <= 16 * (LIMIT + 1), "two-word page read {read} items");
    eprintln!("two-word query that matches nothing: {read} items read, a cursor to go on");

    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}

/// Contacts stored before the index existed are found and sorted after the backfill, which
/// can run again without changing anything.
#[tokio::test]
#[allow(
    clippy::await_holding_lock,
    reason = "held on purpose: the tests run one at a time"
)]
async fn the_backfill_indexes_contacts_stored_before_the_index() {
    let _serial = one_at_a_time();
    let (app, _meter, client, table) = app_on_own_table().await;
    let tenant = TenantId::parse("old").unwrap();
    let token =
        token_with(json!({"tenant": "old", "exp": jsonwebtoken::get_current_timestamp() + 3600}));
    let contacts: Vec<Contact> = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
        .iter()
        .map(|name| {
            let (name, surname) = name.split_once(' ').unwrap();
            let draft = ContactDraft::parse(&json!({"name": name, "surname": surname})).unwrap();
            Contact::create(draft, "2026-01-01T00:00:00.000Z", None)
        })
        .collect();
    app.store
        .seed_contacts_without_index(&tenant, &contacts)
        .await
        .unwrap();
    let names = |body: Value| -> Vec<String> {
        body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |query: &str| send(app, endpoints::list_contacts, get(query, &token));
    assert_eq!(
        names(list("/v1/contacts?q=hop").await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(list("/v1/contacts?sort=name").await),
        Vec::<String>::new()
    );

    let done = app.store.reindex_all(4).await.unwrap();
    assert_eq!(done.indexed, 3);
    assert_eq!(names(list("/v1/contacts?q=hop").await), ["Grace"]);
    assert_eq!(names(list("/v1/contacts?q=a").await), ["Ada", "Alan"]);
    assert_eq!(
        names(list("/v1/contacts?sort=name").await),
        ["Ada", "Alan", "Grace"]
    );
    assert_eq!(names(list("/v1/contacts?sort=-updatedAt").await).len(), 3);

    // Again: the same entries, nothing listed twice.
    assert_eq!(app.store.reindex_all(4).await.unwrap().indexed, 3);
    assert_eq!(
        names(list("/v1/contacts?sort=name").await),
        ["Ada", "Alan", "Grace"]
    );
    assert_eq!(names(list("/v1/contacts?q=a").await), ["Ada", "Alan"]);

    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}
