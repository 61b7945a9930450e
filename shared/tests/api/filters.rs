use serde_json::json;
use shared::endpoints::list_contacts;
use shared::resource::ResourceId;
use shared::store::keys;

use crate::helpers::{TestApp, spawn_app};

/// The ids a `GET /v1/contacts?<query>` page answers, and its next cursor.
pub(crate) async fn ids(app: &TestApp, query: &str) -> (Vec<String>, Option<String>) {
    let response = app
        .send(
            list_contacts,
            app.request("GET", &format!("/v1/contacts?{query}")),
        )
        .await;
    assert_eq!(response.status, 200, "{query}: {:#}", response.body);
    let ids = response.data()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    (
        ids,
        response.data()["nextCursor"].as_str().map(str::to_string),
    )
}

#[tokio::test]
async fn group_filters_take_ids_or_names_and_return_the_union_once_in_creation_order() {
    let app = spawn_app().await;
    let (a, b, c) = (
        app.group("Alpha").await,
        app.group("Beta").await,
        app.group("Gamma").await,
    );
    let c1 = app.contact(json!({"name": "1", "groups": [a]})).await.0;
    let c2 = app.contact(json!({"name": "2", "groups": [b]})).await.0;
    let c3 = app.contact(json!({"name": "3", "groups": [a, b]})).await.0;
    let _c4 = app.contact(json!({"name": "4", "groups": [c]})).await.0;
    let _c5 = app.contact(json!({"name": "5"})).await.0;
    for query in [
        format!("group={a}&group={b}"),
        format!("group={a},{b}"),
        "group=alpha,BETA".to_string(),
        format!("group=Alpha&group={b}"),
    ] {
        assert_eq!(
            ids(&app, &query).await.0,
            [c1.clone(), c2.clone(), c3.clone()],
            "{query}"
        );
    }
    assert_eq!(
        ids(&app, &format!("group={a}")).await.0,
        [c1.clone(), c3.clone()]
    );
    assert_eq!(ids(&app, "group=nobody").await.0, Vec::<String>::new());
    // Pages of a filtered list, walked with its cursor.
    let (first, cursor) = ids(&app, &format!("group={a},{b}&limit=2")).await;
    assert_eq!(first, [c1, c2]);
    let (rest, end) = ids(
        &app,
        &format!("group={a},{b}&limit=2&cursor={}", cursor.clone().unwrap()),
    )
    .await;
    assert_eq!((rest, end), (vec![c3], None));
    // A cursor belongs to its query.
    for other in [format!("group={a}&limit=2"), "limit=2".to_string()] {
        let response = app
            .send(
                list_contacts,
                app.request(
                    "GET",
                    &format!("/v1/contacts?{other}&cursor={}", cursor.clone().unwrap()),
                ),
            )
            .await;
        response.assert_error(400, "not_valid");
    }
}

#[tokio::test]
async fn email_finds_the_one_contact_case_insensitively() {
    let app = spawn_app().await;
    let g = app.group("G").await;
    let id = app
        .contact(json!({"name": "E", "email": "Find.Me@Example.com", "groups": [g]}))
        .await
        .0;
    app.contact(json!({"name": "Other", "email": "other@example.com"}))
        .await;
    assert_eq!(
        ids(&app, "email=find.me@example.COM").await,
        (vec![id.clone()], None)
    );
    assert_eq!(
        ids(&app, "email=nobody@example.com").await.0,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app, &format!("email=find.me@example.com&group={g}"))
            .await
            .0,
        [id]
    );
    assert_eq!(
        ids(&app, "email=find.me@example.com&group=nothing").await.0,
        Vec::<String>::new()
    );
    let response = app
        .send(
            list_contacts,
            app.request("GET", "/v1/contacts?email=not-an-address"),
        )
        .await;
    response.assert_error(400, "not_valid");
}

#[tokio::test]
async fn pages_by_number_match_pages_by_cursor() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(app.contact(json!({"name": format!("p{i}")})).await.0);
    }
    assert_eq!(ids(&app, "limit=3&page=1").await.0, all[0..3]);
    assert_eq!(ids(&app, "limit=3&page=2").await.0, all[3..6]);
    let (last, cursor) = ids(&app, "limit=3&page=3").await;
    assert_eq!((last, cursor), (all[6..].to_vec(), None));
    assert_eq!(ids(&app, "limit=3&page=9").await, (Vec::new(), None));
    for query in [
        "page=0",
        "page=x",
        "limit=100&page=101",
        "page=10001",
        "page=2&cursor=abc",
        "group=",
        "group=,",
    ] {
        let response = app
            .send(
                list_contacts,
                app.request("GET", &format!("/v1/contacts?{query}")),
            )
            .await;
        response.assert_error(400, "not_valid");
    }
    assert_eq!(
        ids(&app, "limit=100&page=100").await.0.len(),
        0,
        "page × limit = 10 000 is allowed"
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("g{i}")).collect();
    let response = app
        .send(
            list_contacts,
            app.request("GET", &format!("/v1/contacts?group={}", eleven.join(","))),
        )
        .await;
    response.assert_error(400, "not_valid");
}

/// The contacts of a group page deleted between reading their memberships and reading them: the
/// page is empty, and still goes on with a cursor to the contacts after it (it used to end the
/// list with `nextCursor: null`).
#[tokio::test]
async fn a_group_page_whose_contacts_went_meanwhile_still_goes_on() {
    let app = spawn_app().await;
    let group = app.group("Vanishing").await;
    let group_id = ResourceId::parse(&group).unwrap();
    // Memberships of two contacts that are gone, older than the ones that stay.
    for _ in 0..2 {
        let gone = ResourceId::new();
        let sk = keys::member(&group_id, &gone);
        app.put_bare_item(sk.as_s().unwrap()).await;
    }
    let stays = app
        .contact(json!({"name": "Stays", "groups": [group]}))
        .await
        .0;
    let (first, cursor) = ids(&app, &format!("group={group}&limit=2")).await;
    assert_eq!(first, Vec::<String>::new());
    let cursor = cursor.expect("more follow: the page has a cursor");
    let (rest, end) = ids(&app, &format!("group={group}&limit=2&cursor={cursor}")).await;
    assert_eq!((rest, end), (vec![stays], None));
}
