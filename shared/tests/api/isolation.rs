use serde_json::json;
use shared::routes::ROUTES;

use crate::helpers::{TestApp, spawn_app, token_with};

/// For every route of the template, tenant B acting on tenant A's ids and data: 404 exactly like
/// a missing contact, nothing listed, nothing changed, and A's e-mail address free for B.
#[tokio::test]
async fn no_route_lets_one_tenant_see_or_change_another_tenants_data() {
    let a = spawn_app().await;
    let contact = a
        .create(json!({"name": "A's", "email": "private@example.com"}))
        .await;
    let id = contact["id"].as_str().unwrap();
    let b = spawn_app().await;
    let b_token = token_with(json!({"tenant": b.tenant}));
    let as_b = |app: &TestApp, method: &str, path: &str| app.request(method, path).token(&b_token);

    for (method, pattern, function) in ROUTES {
        let path = pattern.replace("{id}", id);
        let request = as_b(&a, method, &path);
        let request = match *method {
            "POST" | "PUT" => request.json(json!({"name": "B's", "email": "private@example.com"})),
            "PATCH" => request.json(json!({"name": "B's"})),
            _ => request,
        };
        let response = a.call(function, request).await;
        match (*method, *pattern) {
            ("POST", "/v1/contacts") => {
                assert_eq!(
                    response.status, 201,
                    "the address is free in another tenant"
                );
            }
            ("GET", "/v1/contacts") => {
                assert_eq!(response.status, 200);
                let items = response.data()["items"].as_array().unwrap();
                assert!(
                    items.iter().all(|c| c["id"] != contact["id"]),
                    "{function} listed another tenant's contact"
                );
            }
            _ => {
                response.assert_error(404, "not_found");
                let missing = a
                    .call(
                        function,
                        match *method {
                            "POST" | "PUT" | "PATCH" => as_b(
                                &a,
                                method,
                                &pattern.replace("{id}", "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"),
                            )
                            .json(json!({"name": "B's"})),
                            _ => as_b(
                                &a,
                                method,
                                &pattern.replace("{id}", "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10"),
                            ),
                        },
                    )
                    .await;
                assert_eq!(
                    response.body["errors"], missing.body["errors"],
                    "{function}: same answer as a missing id"
                );
            }
        }
    }
    assert_eq!(
        a.get(id).await.unwrap(),
        contact,
        "nothing changed in tenant A"
    );
    assert_eq!(
        a.stored_keys().await.len(),
        2,
        "tenant A still has its contact and its guard"
    );
}
