use serde_json::{Value, json};
use shared::endpoints::list_contacts;

use crate::helpers::{TestApp, new_tenant, spawn_app, token_with};

async fn page(app: &TestApp, query: &str) -> (Vec<Value>, Option<String>) {
    let response = app.list(query).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let items = response.data()["items"].as_array().unwrap().clone();
    let cursor = response.data()["nextCursor"].as_str().map(str::to_string);
    (items, cursor)
}

async fn create_named(app: &TestApp, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(
            app.create(json!({"name": format!("c{i:02}")})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids
}

#[tokio::test]
async fn pages_walk_every_contact_once_in_creation_order() {
    let app = spawn_app().await;
    let created = create_named(&app, 7).await;
    let mut seen = Vec::new();
    let mut query = "?limit=3".to_string();
    let mut pages = 0;
    loop {
        let (items, cursor) = page(&app, &query).await;
        pages += 1;
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        match cursor {
            Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
    assert_eq!(pages, 3, "no empty trailing page");
}

#[tokio::test]
async fn the_default_page_is_ten_and_the_last_page_has_no_cursor() {
    let app = spawn_app().await;
    create_named(&app, 11).await;
    let (items, cursor) = page(&app, "").await;
    assert_eq!(items.len(), 10);
    let (rest, end) = page(&app, &format!("?cursor={}", cursor.unwrap())).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(end, None);
    let (exact, none) = page(&app, "?limit=11").await;
    assert_eq!(exact.len(), 11);
    assert_eq!(none, None);
}

#[tokio::test]
async fn an_empty_tenant_lists_nothing() {
    let app = spawn_app().await;
    assert_eq!(page(&app, "").await, (Vec::new(), None));
}

#[tokio::test]
async fn another_tenants_contacts_are_never_listed() {
    let app = spawn_app().await;
    create_named(&app, 2).await;
    let response = app
        .send(
            list_contacts,
            app.request("GET", "/v1/contacts")
                .token(&token_with(json!({"tenant": new_tenant()}))),
        )
        .await;
    assert_eq!(response.data()["items"], json!([]));
}

#[tokio::test]
async fn bad_limits_and_unknown_parameters_are_400() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=-1",
        "limit=1&limit=2",
        "order=name",
    ] {
        let response = app
            .send(
                list_contacts,
                app.request("GET", &format!("/v1/contacts?{query}")),
            )
            .await;
        response.assert_error(400, "not_valid");
    }
    assert_eq!(page(&app, "?limit=100").await.0.len(), 0);
}

#[tokio::test]
async fn altered_or_foreign_cursors_are_400() {
    let app = spawn_app().await;
    create_named(&app, 3).await;
    let (_, cursor) = page(&app, "?limit=1").await;
    let cursor = cursor.unwrap();
    let mut altered = cursor.clone().into_bytes();
    altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for bad in [altered.as_str(), "garbage", "a.b"] {
        let response = app
            .send(
                list_contacts,
                app.request("GET", &format!("/v1/contacts?cursor={bad}")),
            )
            .await;
        response.assert_error(400, "not_valid");
    }
    let foreign = app
        .send(
            list_contacts,
            app.request("GET", &format!("/v1/contacts?cursor={cursor}"))
                .token(&token_with(json!({"tenant": new_tenant()}))),
        )
        .await;
    foreign.assert_error(400, "not_valid");
}

#[tokio::test]
async fn list_items_honour_the_projection() {
    let app = spawn_app().await;
    app.create(json!({"name": "A", "email": "a@example.com"}))
        .await;
    let (items, _) = page(&app, "?$select=email").await;
    let id = items[0]["id"].clone();
    assert_eq!(items, [json!({"id": id, "email": "a@example.com"})]);
}
