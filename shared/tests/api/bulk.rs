use serde_json::json;
use shared::endpoints::bulk_delete_contacts;

use crate::helpers::{new_tenant, spawn_app, token_with};

#[tokio::test]
async fn bulk_delete_reports_each_id_once_and_deletes_what_exists() {
    let app = spawn_app().await;
    let g = app.group("G").await;
    let a = app
        .create(json!({"name": "A", "email": "a@example.com", "groups": [g]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app.create(json!({"name": "B"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";
    let response = app
        .send(
            bulk_delete_contacts,
            app.request("POST", "/v1/contacts/bulk-delete")
                .json(json!({"ids": [a, "nope", missing, a, b, 42]})),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(
        response.data()["results"],
        json!([
            {"id": a, "success": true, "status": "deleted", "link_id": a, "extended_info": "deleted"},
            {"id": "nope", "success": false, "status": "invalid_id", "link_id": "nope", "extended_info": "entity_not_found"},
            {"id": missing, "success": false, "status": "not_found", "link_id": missing, "extended_info": "entity_not_found"},
            {"id": b, "success": true, "status": "deleted", "link_id": b, "extended_info": "deleted"},
            {"id": "42", "success": false, "status": "invalid_id", "link_id": "42", "extended_info": "entity_not_found"},
        ])
    );
    assert_eq!(response.data()["deleted"], 2);
    let keys = app.stored_keys().await;
    assert!(
        keys.iter().all(|k| !k.starts_with("CONTACT#")
            && !k.starts_with("EMAIL#")
            && !k.starts_with("MEMBER#")),
        "contacts, guards and memberships gone: {keys:?}"
    );
    app.create(json!({"name": "again", "email": "a@example.com"}))
        .await;
}

#[tokio::test]
async fn a_hundred_ids_are_handled_and_bad_bodies_are_refused() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            app.create(json!({"name": format!("n{i}")})).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    while ids.len() < 100 {
        ids.push(format!("0192f3c0-7b9e-7cc4-9a4e-{:012}", ids.len()));
    }
    let response = app
        .send(
            bulk_delete_contacts,
            app.request("POST", "/v1/contacts/bulk-delete")
                .json(json!({"ids": ids})),
        )
        .await;
    assert_eq!(response.data()["deleted"], 30);
    assert_eq!(response.data()["results"].as_array().unwrap().len(), 100);
    for (body, status) in [
        (json!({}), 400),
        (json!({"ids": "x"}), 400),
        (json!({"ids": [], "extra": 1}), 400),
        (json!({"ids": []}), 422),
        (json!({"ids": vec!["x"; 101]}), 422),
    ] {
        let response = app
            .send(
                bulk_delete_contacts,
                app.request("POST", "/v1/contacts/bulk-delete")
                    .json(body.clone()),
            )
            .await;
        assert_eq!(response.status, status, "{body}");
    }
}

#[tokio::test]
async fn bulk_delete_never_reaches_another_tenant_and_needs_write() {
    let app = spawn_app().await;
    let id = app.create(json!({"name": "Mine"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app
        .send(
            bulk_delete_contacts,
            app.request("POST", "/v1/contacts/bulk-delete")
                .token(&token_with(json!({"tenant": new_tenant()})))
                .json(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(response.data()["results"][0]["status"], "not_found");
    let response = app
        .send(
            bulk_delete_contacts,
            app.request("POST", "/v1/contacts/bulk-delete")
                .token(&token_with(
                    json!({"tenant": app.tenant, "scope": "contacts:read"}),
                ))
                .json(json!({"ids": [id]})),
        )
        .await;
    response.assert_error(403, "permission_denied");
    assert!(app.get(&id).await.is_some());
}
