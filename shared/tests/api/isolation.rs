use serde_json::json;
use shared::endpoints::create_group;
use shared::routes::contract_routes;

use crate::helpers::{TestRequest, spawn_app, token_with};

const MISSING: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

/// For every route of the template, tenant B acting on tenant A's ids and data: 404 exactly like
/// a missing resource, nothing listed, nothing changed, and A's unique values free for B.
#[tokio::test]
async fn no_route_lets_one_tenant_see_or_change_another_tenants_data() {
    let a = spawn_app().await;
    let group = a
        .send(
            create_group,
            a.request("POST", "/v1/groups")
                .json(json!({"name": "A team"})),
        )
        .await
        .data()
        .clone();
    let group_id = group["id"].as_str().unwrap().to_string();
    let contact = a
        .create(json!({"name": "A's", "email": "private@example.com", "groups": [group_id]}))
        .await;
    let contact_id = contact["id"].as_str().unwrap().to_string();
    // And one in A's trash.
    let (trashed_id, _) = a
        .contact(json!({"name": "A's trashed", "email": "trashed@example.com"}))
        .await;
    assert_eq!(a.delete(&trashed_id).await.status, 204);
    let before = a.stored_keys().await;
    let b = spawn_app().await;
    let b_token = token_with(json!({"tenant": b.tenant}));
    let as_b =
        |method: &str, path: &str| -> TestRequest { a.request(method, path).token(&b_token) };
    let with_body = |request: TestRequest, method: &str, pattern: &str| match (method, pattern) {
        ("POST", "/v1/contacts/bulk-delete") => request.json(json!({"ids": [contact_id]})),
        ("POST", "/v1/contacts/import") => {
            request.json(json!({"contacts": [{"name": "B's", "email": "private@example.com"}]}))
        }
        ("POST", "/v1/groups") => request.json(json!({"name": "A TEAM"})),
        ("POST" | "PUT", _) => request.json(json!({"name": "B's", "email": "private@example.com"})),
        ("PATCH", _) => request.json(json!({"name": "B's"})),
        _ => request,
    };

    for (method, pattern, function) in contract_routes() {
        let id = if pattern.starts_with("/v1/groups") {
            &group_id
        } else if pattern.ends_with("/restore") {
            &trashed_id
        } else {
            &contact_id
        };
        let response = a
            .call(
                function,
                with_body(as_b(method, &pattern.replace("{id}", id)), method, pattern),
            )
            .await;
        match (method, pattern) {
            ("POST", "/v1/contacts") | ("POST", "/v1/groups") => {
                assert_eq!(
                    response.status, 201,
                    "{function}: unique values are per tenant"
                );
            }
            ("GET", "/v1/contacts")
            | ("GET", "/v1/groups")
            | ("GET", "/v1/changes")
            | ("GET", "/v1/contacts/trash") => {
                assert_eq!(response.status, 200);
                let items = response.data()["items"].as_array().unwrap();
                assert!(
                    items.iter().all(|item| item["id"] != contact["id"]
                        && item["id"] != group["id"]
                        && item["id"] != trashed_id.as_str()),
                    "{function} listed another tenant's data"
                );
            }
            ("POST", "/v1/contacts/import") => {
                assert_eq!(response.status, 200);
                let result = &response.data()["results"][0];
                assert_ne!(
                    result["id"], contact["id"],
                    "matched another tenant's e-mail"
                );
                assert!(["created", "updated"].contains(&result["status"].as_str().unwrap()));
            }
            ("POST", "/v1/contacts/bulk-delete") => {
                assert_eq!(response.status, 200);
                assert_eq!(response.data()["results"][0]["status"], "not_found");
                assert_eq!(response.data()["deleted"], 0);
            }
            _ => {
                response.assert_error(404, "not_found");
                let missing = a
                    .call(
                        function,
                        with_body(
                            as_b(method, &pattern.replace("{id}", MISSING)),
                            method,
                            pattern,
                        ),
                    )
                    .await;
                assert_eq!(
                    response.body["errors"], missing.body["errors"],
                    "{function}: same answer as a missing id"
                );
            }
        }
    }
    // Nor can B erase A's contacts, live or trashed.
    for id in [&contact_id, &trashed_id] {
        let response = a
            .call(
                "delete-contact",
                as_b("DELETE", &format!("/v1/contacts/{id}?permanent=true")),
            )
            .await;
        response.assert_error(404, "not_found");
    }
    // Filters by A's group id or name find nothing of A's either.
    for query in [
        format!("group={group_id}"),
        "group=A%20team".to_string(),
        "email=private@example.com".to_string(),
    ] {
        let response = a
            .call(
                "list-contacts",
                as_b("GET", &format!("/v1/contacts?{query}")),
            )
            .await;
        let items = response.data()["items"].as_array().unwrap();
        assert!(
            items.iter().all(|item| item["id"] != contact["id"]),
            "{query}"
        );
    }
    assert_eq!(
        a.get(&contact_id).await.unwrap(),
        contact,
        "nothing changed in tenant A"
    );
    assert_eq!(
        a.stored_keys().await,
        before,
        "tenant A's items are all there, unchanged in number"
    );
}
