//! What clients of the source APIs (docs/compatibility.md) rely on: the `/api/v1` base path and
//! its output aliases, input aliases, one-operation patches, case-insensitive custom field keys,
//! and the bulk delete by `link_ids`. The e2e test `seeds.rs`
//! sends the documents' own example requests to the real binaries.

use lambda_http::Body;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn under_api_v1_a_contact_also_carries_id_and_number() {
    let app = spawn_app().await;
    let created = app
        .call(
            "create-contact",
            app.request("POST", "/api/v1/contacts")
                .json(json!({"name": "Ann", "number": "+49 170 1234567"})),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = created.data()["id"].as_str().unwrap().to_string();
    assert_eq!(created.data()["_id"], id.as_str());
    assert_eq!(created.data()["phone"], "+491701234567");
    assert_eq!(created.data()["number"], "+491701234567");
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/contacts/{id}").as_str())
    );

    // The contract's own paths are unchanged: no alias members, Location under /v1.
    let contract = app.get(&id).await.unwrap();
    assert!(contract.get("_id").is_none() && contract.get("number").is_none());
    let plain = app
        .call(
            "create-contact",
            app.request("POST", "/v1/contacts")
                .json(json!({"name": "Bo", "number": "+4917012345678"})),
        )
        .await;
    assert_eq!(plain.status, 201);
    assert_eq!(plain.data()["phone"], "+4917012345678");
    assert!(plain.data().get("number").is_none());
    assert!(
        plain
            .header("location")
            .unwrap()
            .starts_with("/v1/contacts/")
    );

    // Every read path under /api/v1, the singular spellings included.
    for path in [
        format!("/api/v1/contacts/{id}"),
        format!("/api/v1/Contact/{id}"),
        format!("/api/v1/contact/{id}"),
    ] {
        let read = app.call("get-contact", app.request("GET", &path)).await;
        assert_eq!(read.status, 200, "{path}");
        assert_eq!(read.data()["_id"], id.as_str(), "{path}");
        assert_eq!(read.data()["number"], "+491701234567", "{path}");
    }
    let listed = app
        .call("list-contacts", app.request("GET", "/api/v1/contacts"))
        .await;
    let items = listed.data()["items"].as_array().unwrap();
    assert!(items.iter().all(|item| item["_id"] == item["id"]));

    // A projection keeps its members and their aliases only; `number` selects the phone.
    let projected = app
        .call(
            "get-contact",
            app.request("GET", &format!("/api/v1/contacts/{id}?$select=Number")),
        )
        .await;
    assert_eq!(
        *projected.data(),
        json!({"id": id, "phone": "+491701234567", "_id": id, "number": "+491701234567"})
    );
    let projected = app
        .call(
            "get-contact",
            app.request("GET", &format!("/v1/contacts/{id}?fields=number")),
        )
        .await;
    assert_eq!(
        *projected.data(),
        json!({"id": id, "phone": "+491701234567"})
    );
}

#[tokio::test]
async fn number_is_phone_in_replacements_and_patches_and_both_at_once_is_400() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let replaced = app
        .call(
            "update-contact",
            app.request("POST", &format!("/api/v1/contacts/{id}"))
                .json(json!({"name": "A", "number": "+44 20 7946 0958"})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{:#}", replaced.body);
    assert_eq!(replaced.data()["number"], "+442079460958");
    let merged = app
        .patch(
            &id,
            "application/merge-patch+json",
            json!({"Number": "+4917012345678"}),
        )
        .await;
    assert_eq!(merged.data()["phone"], "+4917012345678");
    let patched = app
        .patch(
            &id,
            "application/json-patch+json",
            json!([{"op": "remove", "path": "number"}]),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    assert!(patched.data().get("phone").is_none());
    let before = app.get(&id).await.unwrap();
    let both = app
        .try_create(json!({"name": "B", "phone": "+4917012345678", "number": "+4917012345678"}))
        .await;
    both.assert_error(400, "not_valid");
    assert_eq!(both.errors()[0].1.as_deref(), Some("number"));
    let both = app
        .patch(
            &id,
            "application/merge-patch+json",
            json!({"phone": "+4917012345678", "number": null}),
        )
        .await;
    both.assert_error(400, "not_valid");
    assert_eq!(app.get(&id).await.unwrap(), before);
}

#[tokio::test]
async fn a_single_operation_object_is_a_one_operation_json_patch() {
    let app = spawn_app().await;
    let (id, _) = app
        .contact(json!({"name": "A", "fields": {"phone1": "+44 1"}}))
        .await;
    for (content_type, value) in [
        ("application/json", "+44 2"),
        ("application/json-patch+json", "+44 3"),
        ("application/json; charset=utf-8", "+44 4"),
    ] {
        let response = app
            .patch(
                &id,
                content_type,
                json!({"path": "/fields/phone2", "op": "add", "value": value}),
            )
            .await;
        assert_eq!(response.status, 200, "{content_type}: {:#}", response.body);
        assert_eq!(
            response.data()["fields"],
            json!({"phone1": "+44 1", "phone2": value})
        );
    }
    // An operation object that is not a valid operation is a 400 naming the member.
    let response = app
        .patch(
            &id,
            "application/json",
            json!({"op": "jump", "path": "/name"}),
        )
        .await;
    response.assert_error(400, "not_valid");
    assert_eq!(response.errors()[0].1.as_deref(), Some("/0/op"));
}

#[tokio::test]
async fn a_contact_without_custom_fields_patches_as_if_they_were_empty() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let untouched = app
        .patch(
            &id,
            "application/json",
            json!([{"op": "replace", "path": "/name", "value": "B"}]),
        )
        .await;
    assert_eq!(untouched.status, 200);
    assert!(
        untouched.data().get("fields").is_none(),
        "no fields invented"
    );
    let added = app
        .patch(
            &id,
            "application/json",
            json!({"op": "add", "path": "/fields/phone2", "value": "+44 2"}),
        )
        .await;
    assert_eq!(added.status, 200, "{:#}", added.body);
    assert_eq!(added.data()["fields"], json!({"phone2": "+44 2"}));
}

#[tokio::test]
async fn a_stale_if_unmodified_since_is_412_on_patch_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, before) = app.contact(json!({"name": "A"})).await;
    for path in [
        format!("/v1/contacts/{id}"),
        format!("/api/v1/Contact/{id}"),
    ] {
        let stale = app
            .call(
                "patch-contact",
                app.request("PATCH", &path)
                    .header("if-unmodified-since", "Sat, 01 Jan 2000 00:00:00 GMT")
                    .raw(
                        "application/json",
                        Body::Text(
                            json!([{"op": "replace", "path": "/Description", "value": "foo"}])
                                .to_string(),
                        ),
                    ),
            )
            .await;
        stale.assert_error(412, "precondition_failed");
        assert_eq!(app.get(&id).await.unwrap(), before);
    }
    let fresh = app
        .call(
            "patch-contact",
            app.request("PATCH", &format!("/api/v1/Contact/{id}"))
                .header("if-unmodified-since", "Fri, 31 Dec 2100 23:59:59 GMT")
                .json(json!({"Description": "foo"})),
        )
        .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.data()["description"], "foo");
}

#[tokio::test]
async fn bulk_delete_takes_link_ids_and_answers_in_both_words() {
    let app = spawn_app().await;
    let (id, _) = app.contact(json!({"name": "A"})).await;
    let missing = "91c615e3-1040-4815-8ecb-039a18b756b5";
    let response = app
        .call(
            "bulk-delete-contacts",
            app.request("POST", "/api/v1/contacts/bulk-delete")
                .json(json!({"link_ids": [id, missing]})),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(
        response.data()["results"],
        json!([
            {"id": id, "success": true, "status": "deleted", "link_id": id, "extended_info": "deleted"},
            {"id": missing, "success": false, "status": "not_found", "link_id": missing, "extended_info": "entity_not_found"},
        ])
    );
    assert_eq!(app.get(&id).await, None);
    let both = app
        .call(
            "bulk-delete-contacts",
            app.request("POST", "/api/v1/contacts/bulk-delete")
                .json(json!({"link_ids": [missing], "ids": [missing]})),
        )
        .await;
    both.assert_error(400, "not_valid");
}

#[tokio::test]
async fn under_api_v1_unknown_paths_are_404_and_other_methods_405() {
    let app = spawn_app().await;
    let wrong = app
        .call(
            "route-not-found",
            app.request(
                "DELETE",
                "/api/v1/Contact/0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10",
            ),
        )
        .await;
    wrong.assert_error(405, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("GET, PATCH"));
    for path in ["/api/v1/CONTACT/x", "/api/v2/contacts", "/api/contacts"] {
        app.call("route-not-found", app.request("GET", path))
            .await
            .assert_error(404, "not_found");
    }
    let group = app
        .call(
            "create-group",
            app.request("POST", "/api/v1/groups")
                .json(json!({"name": "G"})),
        )
        .await;
    assert_eq!(group.data()["_id"], group.data()["id"]);
    assert_ne!(group.data()["_id"], Value::Null);
    assert!(
        group
            .header("location")
            .unwrap()
            .starts_with("/api/v1/groups/")
    );
}
