//! What one list page reads is bounded in bytes, not only in items: a page of large contacts
//! ends where `PAGE_READ_BYTES` of them were read (plus at most one DynamoDB query page), with a
//! cursor, and walking the cursors still gives every contact once. For every kind of list: the
//! default order, a `group=` page and a sorted page (both read by `BatchGetItem`), a search page
//! and the trash.

use serde_json::{Value, json};
use shared::endpoints::{delete_contact, list_trash};
use shared::store::PAGE_READ_BYTES;
use shared::testing::{TestApp, spawn_app};

/// DynamoDB answers a query page of at most 1 MB: a page may read that much past its budget.
const QUERY_PAGE: u64 = 1024 * 1024;
/// The index entries or memberships a page reads besides its contacts, generously.
const KEYS: u64 = 64 * 1024;
const CONTACTS: usize = 30;

/// `CONTACTS` contacts of about 200 KB each (50 fields of 1 000 four-byte characters), 6 MB in
/// all, in one group; their ids in creation order.
async fn large_contacts(app: &TestApp, group: &str) -> Vec<String> {
    let fields: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("f{i}"), json!("😀".repeat(1000))))
        .collect();
    let mut ids = Vec::new();
    for i in 0..CONTACTS {
        let body = json!({"name": format!("Big {i:02}"), "fields": fields, "groups": [group]});
        ids.push(app.contact(body).await.0);
    }
    ids
}

/// Every page of a list, `limit=100`, each checked to read within its budget; the ids in the
/// order the pages gave them.
async fn walk(app: &TestApp, list: &str, fetch: impl AsyncFn(&str) -> Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            None => format!("limit=100{list}"),
            Some(cursor) => format!("limit=100{list}&cursor={cursor}"),
        };
        let (bytes, units) = (app.reads().bytes_read(), app.reads().read_units());
        let data = fetch(&query).await;
        let read = app.reads().bytes_read() - bytes;
        let spent = app.reads().read_units() - units;
        println!("{list}: page {pages} read {read} bytes, {spent} read units");
        assert!(
            read <= PAGE_READ_BYTES as u64 + QUERY_PAGE + KEYS,
            "`{list}` page {pages} read {read} bytes ({spent} read units) for a 3 MB answer"
        );
        let items = data["items"].as_array().unwrap();
        assert!(!items.is_empty(), "every page holds at least one contact");
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        pages += 1;
        match data["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert!(
        pages >= 2,
        "`{list}`: 6 MB of contacts take more than one page"
    );
    seen
}

#[tokio::test]
async fn a_page_of_large_contacts_reads_about_its_answer_and_every_list_goes_on_with_no_loss() {
    let app = spawn_app().await;
    let group = app.group("big").await;
    let ids = large_contacts(&app, &group).await;
    let list = async |query: &str| {
        let response = app.list(&format!("?{query}")).await;
        assert_eq!(response.status, 200, "{:#}", response.body);
        response.data().clone()
    };
    assert_eq!(walk(&app, "", list).await, ids, "creation order");
    let in_group = format!("&group={group}");
    assert_eq!(walk(&app, &in_group, list).await, ids, "group= page");
    assert_eq!(walk(&app, "&sort=name", list).await, ids, "by name");
    let mut found = walk(&app, "&q=big", list).await;
    found.sort();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(found, sorted, "a search finds each once");

    for id in &ids {
        let response = app
            .send(
                delete_contact,
                app.request("DELETE", &format!("/v1/contacts/{id}")),
            )
            .await;
        assert_eq!(response.status, 204, "{:#}", response.body);
    }
    let trash = async |query: &str| {
        let response = app
            .send(
                list_trash,
                app.request("GET", &format!("/v1/contacts/trash?{query}")),
            )
            .await;
        assert_eq!(response.status, 200, "{:#}", response.body);
        response.data().clone()
    };
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(walk(&app, "", trash).await, newest_first, "the trash");
}
