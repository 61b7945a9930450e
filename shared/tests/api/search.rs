//! `GET /v1/contacts?q=`: prefix search over names, e-mail addresses and phone numbers, folded
//! for case and accents, each contact once, read-after-write; and `sort=` on both lists.

use serde_json::{Value, json};
use shared::endpoints::{import_contacts, list_groups};

use crate::filters::ids as page;
use crate::helpers::{TestApp, spawn_app, token_with};

/// Every id a query answers, walking its pages with their cursors.
async fn all(app: &TestApp, query: &str) -> Vec<String> {
    let (mut ids, mut next) = page(app, query).await;
    while let Some(cursor) = next {
        let (more, after) = page(app, &format!("{query}&cursor={cursor}")).await;
        ids.extend(more);
        next = after;
    }
    ids
}

/// A result of exactly this id.
fn one(id: &str) -> Vec<String> {
    vec![id.to_string()]
}

async fn search(app: &TestApp, q: &str) -> Vec<String> {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    all(app, &format!("q={q}")).await
}

#[tokio::test]
async fn search_folds_case_and_accents_on_both_sides() {
    let app = spawn_app().await;
    let zoe = app
        .contact(json!({"name": "Zoë", "surname": "Müller"}))
        .await
        .0;
    let strasse = app
        .contact(json!({"name": "Jens", "surname": "Straße"}))
        .await
        .0;
    let soren = app.contact(json!({"name": "SØREN"})).await.0;
    for (query, id) in [
        ("zoe", &zoe),
        ("ZOË", &zoe),
        ("muller", &zoe),
        ("Mü", &zoe),
        ("strasse", &strasse),
        ("STRASS", &strasse),
        ("straß", &strasse),
        ("soren", &soren),
        ("sø", &soren),
    ] {
        assert_eq!(search(&app, query).await, one(id), "{query}");
    }
}

#[tokio::test]
async fn every_searched_part_is_found_by_its_prefix_and_nothing_else() {
    let app = spawn_app().await;
    let anna = app
        .contact(json!({
            "name": "Anna-Lena", "surname": "von Schmidt",
            "email": "Zoe.M@Example.com", "phone": "+49 170 1234567",
            "description": "findme", "fields": {"crm": "findme"}
        }))
        .await
        .0;
    let carl = app
        .contact(json!({"name": "Carl", "email": "carl@nordwind.io"}))
        .await
        .0;
    for query in [
        "anna",
        "ann",
        "lena",
        "von",
        "schm",
        "zoe.m@ex",
        "zoe.m@example.com",
        "example",
        "exa",
        "ann sch",
        "SCH ann",
        "lena von schmidt",
        "+49 170",
        "170 1234",
        "4917012",
        "(170) 123-4",
    ] {
        assert_eq!(search(&app, query).await, one(&anna), "{query}");
    }
    assert_eq!(search(&app, "nordwind").await, one(&carl));
    assert_eq!(search(&app, "carl@nord").await, one(&carl));
    // Not prefixes of a searched part: the middle of a word, other fields, another word.
    for query in [
        "chmidt",
        "mple",
        "findme",
        "crm",
        "anna carl",
        "171",
        "49171",
        "lena x",
        "m@example",
    ] {
        assert_eq!(search(&app, query).await, Vec::<String>::new(), "{query}");
    }
}

#[tokio::test]
async fn a_phone_query_needs_three_digits_and_reads_digits_only() {
    let app = spawn_app().await;
    let us = app
        .contact(json!({"name": "Pat", "phone": "+1 415 555 2671"}))
        .await
        .0;
    assert_eq!(search(&app, "415 555").await, one(&us), "national number");
    assert_eq!(search(&app, "+1 (415)").await, one(&us), "E.164 digits");
    assert_eq!(search(&app, "1-415-555-2671").await, one(&us));
    // Two digits are a word, which no name starts with.
    assert_eq!(search(&app, "41").await, Vec::<String>::new());
}

#[tokio::test]
async fn each_contact_is_answered_once_across_pages_in_a_stable_order() {
    let app = spawn_app().await;
    let mut expected = Vec::new();
    for i in 0..13 {
        // Name, surname and address all start with the query: still one result each.
        let id = app
            .contact(json!({
                "name": "Pagina", "surname": format!("Pagano{i:02}"),
                "email": format!("pag{i}@pagination.example")
            }))
            .await
            .0;
        expected.push(id);
    }
    app.contact(json!({"name": "Other"})).await;
    let walked = all(&app, "q=pag&limit=4").await;
    let mut sorted = walked.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(walked.len(), 13, "each once: {walked:?}");
    assert_eq!(sorted.len(), 13);
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted);
    // The same walk twice gives the same order; pages are full until the last.
    assert_eq!(all(&app, "q=pag&limit=4").await, walked);
    let (first, next) = page(&app, "q=pag&limit=4").await;
    assert_eq!(first.len(), 4);
    assert!(next.is_some());
    // The matching word, then the name: every one matches through "pagano..", ordered by surname.
    assert_eq!(search(&app, "pagano").await, expected);
    // `page=` walks the same order.
    let (third, _) = page(&app, "q=pag&limit=4&page=3").await;
    assert_eq!(third, walked[8..12]);
    // A projection works as on lists.
    let response = app.list("?q=pagano0&fields=surname").await;
    let items = response.data()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 10);
    assert_eq!(items[0], json!({"id": expected[0], "surname": "Pagano00"}));
}

#[tokio::test]
async fn a_write_shows_in_the_very_next_search() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(
            json!({"name": "Quentin", "email": "q@first.example", "phone": "+44 20 7946 0958"}),
        )
        .await;
    assert_eq!(search(&app, "quent").await, one(&id), "after create");
    // Its word, address, domain, two phone forms and two sorted places.
    assert_eq!(
        app.index_keys().await.len(),
        7,
        "{:?}",
        app.index_keys().await
    );
    let response = app
        .patch(
            &id,
            "application/merge-patch+json",
            json!({"name": "Roderick"}),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        search(&app, "quent").await,
        Vec::<String>::new(),
        "old name gone"
    );
    assert_eq!(search(&app, "roder").await, one(&id), "after rename");
    let response = app
        .patch(
            &id,
            "application/json-patch+json",
            json!([{"op": "replace", "path": "/email", "value": "q@second.example"}]),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(search(&app, "first.ex").await, Vec::<String>::new());
    assert_eq!(
        search(&app, "second.ex").await,
        one(&id),
        "after e-mail change"
    );
    let response = app
        .update(
            &id,
            json!({"name": "Roderick", "phone": "+33 1 23 45 67 89"}),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        search(&app, "2079").await,
        Vec::<String>::new(),
        "old phone gone"
    );
    assert_eq!(
        search(&app, "second").await,
        Vec::<String>::new(),
        "address removed"
    );
    assert_eq!(search(&app, "+33 1 23").await, one(&id), "after replace");
    assert_eq!(app.delete(&id).await.status, 204);
    assert_eq!(
        search(&app, "roder").await,
        Vec::<String>::new(),
        "after delete"
    );
    assert_eq!(
        page(&app, "sort=name").await.0,
        Vec::<String>::new(),
        "no sorted place left behind"
    );
    assert_eq!(
        app.index_keys().await,
        Vec::<String>::new(),
        "a delete removes every index entry"
    );
}

#[tokio::test]
async fn imported_contacts_are_found_at_once() {
    let app = spawn_app().await;
    let response = app
        .send(
            import_contacts,
            app.request("POST", "/v1/contacts/import")
                .json(json!({"contacts": [
                    {"name": "Imre", "email": "imre@import.example"},
                    {"name": "Ingrid"}
                ]})),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(search(&app, "im").await.len(), 1);
    assert_eq!(search(&app, "i").await.len(), 2);
    // Imported again: the match is replaced, its index follows.
    let response = app
        .send(
            import_contacts,
            app.request("POST", "/v1/contacts/import")
                .json(json!({"contacts": [
                    {"name": "Isolde", "email": "IMRE@import.example"}
                ]})),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(search(&app, "imre").await.len(), 1, "by its address only");
    assert_eq!(search(&app, "isol").await.len(), 1);
    assert_eq!(search(&app, "imre@").await, search(&app, "isolde").await);
}

#[tokio::test]
async fn a_search_sees_only_its_own_tenant() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    a.contact(json!({"name": "Secretive", "email": "s@tenant-a.example"}))
        .await;
    let mine = b.contact(json!({"name": "Secretary"})).await.0;
    assert_eq!(search(&b, "secret").await, [mine]);
    assert_eq!(search(&b, "tenant-a").await, Vec::<String>::new());
    let as_b = a
        .request("GET", "/v1/contacts?q=secretive")
        .token(&token_with(json!({"tenant": b.tenant})));
    let response = a.call("list-contacts", as_b).await;
    assert_eq!(response.data()["items"], json!([]));
}

#[tokio::test]
async fn bad_searches_and_sorts_are_400() {
    let app = spawn_app().await;
    let long = "a".repeat(101);
    for query in [
        "q=".to_string(),
        "q=%20%20%20".to_string(),
        format!("q={long}"),
        "q=%CC%81".to_string(),
        "q=ann&q=bob".to_string(),
        "q=ann&sort=name".to_string(),
        "q=ann&group=friends".to_string(),
        "q=ann&email=a@b.example".to_string(),
        "sort=surname".to_string(),
        "sort=".to_string(),
        "sort=--name".to_string(),
        "sort=Name".to_string(),
        "sort=name&group=friends".to_string(),
        "sort=-updatedAt&email=a@b.example".to_string(),
    ] {
        let response = app.list(&format!("?{query}")).await;
        response.assert_error(400, "not_valid");
    }
    let ok = format!("q={}", "a".repeat(100));
    assert_eq!(app.list(&format!("?{ok}")).await.status, 200);
    assert_eq!(app.list("?q=%20ann%20").await.status, 200);
    // A cursor is bound to its query and its order.
    for _ in 0..3 {
        app.contact(json!({"name": "Cursor"})).await;
    }
    let (_, cursor) = page(&app, "q=cur&limit=1").await;
    let cursor = cursor.unwrap();
    for other in ["q=curs&limit=1", "limit=1", "sort=name&limit=1"] {
        let response = app.list(&format!("?{other}&cursor={cursor}")).await;
        response.assert_error(400, "not_valid");
    }
    let (_, cursor) = page(&app, "sort=name&limit=1").await;
    let cursor = cursor.unwrap();
    for other in ["sort=-name&limit=1", "sort=updatedAt&limit=1", "limit=1"] {
        let response = app.list(&format!("?{other}&cursor={cursor}")).await;
        response.assert_error(400, "not_valid");
    }
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["surname"].as_str().unwrap_or_default()
            )
            .trim()
            .to_string()
        })
        .collect()
}

async fn sorted_names(app: &TestApp, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let cursor = next.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let response = app.list(&format!("?{query}&limit=2{cursor}")).await;
        assert_eq!(response.status, 200, "{query}: {:#}", response.body);
        out.extend(names(&response.data()["items"]));
        next = response.data()["nextCursor"].as_str().map(str::to_string);
        if next.is_none() {
            return out;
        }
    }
}

#[tokio::test]
async fn contacts_sort_by_folded_name_then_surname_or_by_last_change_either_way() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (name, surname) in [
        ("bob", Some("Zed")),
        ("Émile", None),
        ("Bob", Some("Adams")),
        ("alice", None),
        ("Zoë", Some("Ng")),
    ] {
        let mut body = json!({"name": name});
        if let Some(surname) = surname {
            body["surname"] = json!(surname);
        }
        ids.push(app.contact(body).await.0);
    }
    let by_name = ["alice", "Bob Adams", "bob Zed", "Émile", "Zoë Ng"];
    assert_eq!(sorted_names(&app, "sort=name").await, by_name);
    let mut reversed = by_name.to_vec();
    reversed.reverse();
    assert_eq!(sorted_names(&app, "sort=-name").await, reversed);
    let created = ["bob Zed", "Émile", "Bob Adams", "alice", "Zoë Ng"];
    assert_eq!(sorted_names(&app, "sort=createdAt").await, created);
    assert_eq!(sorted_names(&app, "").await, created, "the default");
    let mut newest_first = created.to_vec();
    newest_first.reverse();
    assert_eq!(sorted_names(&app, "sort=-createdAt").await, newest_first);

    // Changing Émile moves it last by change, and renaming it moves it in the name order.
    let response = app
        .patch(
            &ids[1],
            "application/merge-patch+json",
            json!({"name": "Aaron"}),
        )
        .await;
    assert_eq!(response.status, 200);
    let by_change = ["bob Zed", "Bob Adams", "alice", "Zoë Ng", "Aaron"];
    assert_eq!(sorted_names(&app, "sort=updatedAt").await, by_change);
    let mut latest_first = by_change.to_vec();
    latest_first.reverse();
    assert_eq!(sorted_names(&app, "sort=-updatedAt").await, latest_first);
    assert_eq!(
        sorted_names(&app, "sort=name").await,
        ["Aaron", "alice", "Bob Adams", "bob Zed", "Zoë Ng"]
    );
    // `page=` and projections work on sorted lists.
    let response = app.list("?sort=name&limit=2&page=2&fields=name").await;
    assert_eq!(
        response.data()["items"],
        json!([{"id": ids[2], "name": "Bob"}, {"id": ids[0], "name": "bob"}])
    );
    assert_eq!(app.delete(&ids[3]).await.status, 204);
    assert_eq!(
        sorted_names(&app, "sort=-name").await,
        ["Zoë Ng", "bob Zed", "Bob Adams", "Aaron"]
    );
}

#[tokio::test]
async fn groups_sort_by_name_case_insensitively_either_way() {
    let app = spawn_app().await;
    for name in ["beta", "Alpha", "gamma", "Delta"] {
        app.group(name).await;
    }
    let list = |query: &'static str| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let cursor = next.map(|c| format!("&cursor={c}")).unwrap_or_default();
                let response = app
                    .send(
                        list_groups,
                        app.request("GET", &format!("/v1/groups?{query}&limit=3{cursor}")),
                    )
                    .await;
                assert_eq!(response.status, 200, "{:#}", response.body);
                for group in response.data()["items"].as_array().unwrap() {
                    out.push(group["name"].as_str().unwrap().to_string());
                }
                next = response.data()["nextCursor"].as_str().map(str::to_string);
                if next.is_none() {
                    return out;
                }
            }
        }
    };
    assert_eq!(list("sort=name").await, ["Alpha", "beta", "Delta", "gamma"]);
    assert_eq!(
        list("sort=-name").await,
        ["gamma", "Delta", "beta", "Alpha"]
    );
    assert_eq!(
        list("sort=-createdAt").await,
        ["Delta", "gamma", "Alpha", "beta"]
    );
    let response = app
        .send(list_groups, app.request("GET", "/v1/groups?sort=updatedAt"))
        .await;
    response.assert_error(400, "not_valid");
}
