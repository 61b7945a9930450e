use futures::future::join_all;
use lambda_http::Body;
use serde_json::{Value, json};
use shared::endpoints::{
    create_contact, create_group, delete_group, get_group, list_groups, patch_contact, patch_group,
};

use crate::helpers::spawn_app;

fn merge(body: Value) -> Body {
    Body::Text(body.to_string())
}

#[tokio::test]
async fn create_get_and_list_groups() {
    let app = spawn_app().await;
    let response = app
        .send(
            create_group,
            app.request("POST", "/v1/groups")
                .json(json!({"name": " Friends ", "description": "close ones"})),
        )
        .await;
    assert_eq!(response.status, 201);
    let created = response.data().clone();
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        response.header("location"),
        Some(format!("/v1/groups/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(created["name"], "Friends");
    let read = app
        .send(get_group, app.request("GET", &format!("/v1/groups/{id}")))
        .await;
    assert_eq!(*read.data(), created);
    let cached = app
        .send(
            get_group,
            app.request("GET", &format!("/v1/groups/{id}"))
                .header("if-none-match", "\"1\""),
        )
        .await;
    assert_eq!(cached.status, 304);
    app.group("Work").await;
    let listed = app
        .send(
            list_groups,
            app.request("GET", "/v1/groups?limit=1&fields=name"),
        )
        .await;
    assert_eq!(
        listed.data()["items"],
        json!([{"id": id, "name": "Friends"}])
    );
    let cursor = listed.data()["nextCursor"].as_str().unwrap().to_string();
    let rest = app
        .send(
            list_groups,
            app.request("GET", &format!("/v1/groups?limit=1&cursor={cursor}")),
        )
        .await;
    assert_eq!(rest.data()["items"][0]["name"], "Work");
    assert_eq!(rest.data()["nextCursor"], Value::Null);
    let page2 = app
        .send(list_groups, app.request("GET", "/v1/groups?limit=1&page=2"))
        .await;
    assert_eq!(page2.data()["items"][0]["name"], "Work");
}

#[tokio::test]
async fn group_names_are_unique_per_tenant_case_insensitively_even_under_a_race() {
    let app = spawn_app().await;
    let attempts = (0..10).map(|i| {
        app.send(
            create_group,
            app.request("POST", "/v1/groups")
                .json(json!({"name": if i % 2 == 0 { "Family" } else { "FAMILY" }})),
        )
    });
    let responses = join_all(attempts).await;
    assert_eq!(responses.iter().filter(|r| r.status == 201).count(), 1);
    for refused in responses.iter().filter(|r| r.status != 201) {
        refused.assert_error(409, "conflict");
        assert_eq!(refused.errors()[0].1.as_deref(), Some("name"));
    }
}

#[tokio::test]
async fn bad_group_bodies_are_400_or_422() {
    let app = spawn_app().await;
    for (body, status) in [
        (json!({}), 422),
        (json!({"name": " "}), 422),
        (json!({"name": "n".repeat(101)}), 422),
        (json!({"name": "ok", "id": "x"}), 422),
        (json!({"name": 3}), 400),
        (json!({"name": "ok", "colour": "red"}), 400),
    ] {
        let response = app
            .send(
                create_group,
                app.request("POST", "/v1/groups").json(body.clone()),
            )
            .await;
        assert_eq!(response.status, status, "{body}");
    }
    assert!(app.stored_keys().await.is_empty());
}

#[tokio::test]
async fn patching_a_group_renames_it_and_moves_the_name_guard() {
    let app = spawn_app().await;
    let id = app.group("Old").await;
    app.group("Taken").await;
    let uri = format!("/v1/groups/{id}");
    let response = app
        .send(
            patch_group,
            app.request("PATCH", &uri).raw(
                "application/merge-patch+json",
                merge(json!({"Name": "New", "description": "d"})),
            ),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.data()["name"], "New");
    assert_eq!(response.data()["version"], 2);
    let response = app
        .send(
            patch_group,
            app.request("PATCH", &uri).raw(
                "application/json-patch+json",
                merge(json!([{"op": "replace", "path": "/name", "value": "taken"}])),
            ),
        )
        .await;
    response.assert_error(409, "conflict");
    let response = app
        .send(
            patch_group,
            app.request("PATCH", &uri).raw(
                "application/json-patch+json",
                merge(json!([{"op": "remove", "path": "description"}])),
            ),
        )
        .await;
    assert_eq!(response.status, 200);
    assert!(response.data().get("description").is_none());
    for (body, status) in [
        (json!({"version": 9}), 422),
        (json!({"name": null}), 422),
        (json!({"surname": "x"}), 400),
    ] {
        let response = app
            .send(
                patch_group,
                app.request("PATCH", &uri)
                    .raw("application/merge-patch+json", merge(body.clone())),
            )
            .await;
        assert_eq!(response.status, status, "{body}");
    }
    let stale = app
        .send(
            patch_group,
            app.request("PATCH", &uri)
                .header("if-match", "\"1\"")
                .raw("application/merge-patch+json", merge(json!({"name": "X"}))),
        )
        .await;
    stale.assert_error(412, "precondition_failed");
    // The old name is free again; the new one is taken.
    app.group("OLD").await;
    let taken = app
        .send(
            create_group,
            app.request("POST", "/v1/groups")
                .json(json!({"name": "new"})),
        )
        .await;
    taken.assert_error(409, "conflict");
}

#[tokio::test]
async fn memberships_follow_every_contact_write() {
    let app = spawn_app().await;
    let (g1, g2) = (app.group("One").await, app.group("Two").await);
    let members = |keys: &[String], g: &str| {
        keys.iter()
            .filter(|k| k.starts_with(&format!("MEMBER#{g}#")))
            .count()
    };

    let contact = app.create(json!({"name": "C", "groups": [g1]})).await;
    let id = contact["id"].as_str().unwrap().to_string();
    let keys = app.stored_keys().await;
    assert_eq!((members(&keys, &g1), members(&keys, &g2)), (1, 0));

    let response = app.update(&id, json!({"name": "C", "groups": [g2]})).await;
    assert_eq!(response.status, 200);
    let keys = app.stored_keys().await;
    assert_eq!((members(&keys, &g1), members(&keys, &g2)), (0, 1));

    let response = app
        .send(
            patch_contact,
            app.request("PATCH", &format!("/v1/contacts/{id}")).raw(
                "application/json-patch+json",
                merge(json!([{"op": "add", "path": "/groups/-", "value": g1}])),
            ),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    let keys = app.stored_keys().await;
    assert_eq!((members(&keys, &g1), members(&keys, &g2)), (1, 1));

    let response = app.delete(&id).await;
    assert_eq!(response.status, 204);
    let keys = app.stored_keys().await;
    assert_eq!((members(&keys, &g1), members(&keys, &g2)), (0, 0));
}

#[tokio::test]
async fn a_group_with_contacts_cannot_be_deleted_and_an_empty_one_can() {
    let app = spawn_app().await;
    let g = app.group("Busy").await;
    let id = app.create(json!({"name": "C", "groups": [g]})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let response = app
        .send(
            delete_group,
            app.request("DELETE", &format!("/v1/groups/{g}")),
        )
        .await;
    response.assert_error(409, "conflict");
    // Still usable: contacts can keep joining it.
    app.create(json!({"name": "D", "groups": [g]})).await;
    for contact in [id] {
        app.delete(&contact).await;
    }
    let others: Vec<String> = app
        .stored_keys()
        .await
        .into_iter()
        .filter(|k| k.starts_with("CONTACT#"))
        .collect();
    for key in others {
        let contact = key.trim_start_matches("CONTACT#");
        app.delete(contact).await;
    }
    let stale = app
        .send(
            delete_group,
            app.request("DELETE", &format!("/v1/groups/{g}"))
                .header("if-match", "\"7\""),
        )
        .await;
    stale.assert_error(412, "precondition_failed");
    // A refused delete leaves the group usable.
    let joined = app
        .create(json!({"name": "After 412", "groups": [g]}))
        .await;
    let joined = joined["id"].as_str().unwrap();
    app.delete(joined).await;
    let response = app
        .send(
            delete_group,
            app.request("DELETE", &format!("/v1/groups/{g}")),
        )
        .await;
    assert_eq!(response.status, 204);
    assert!(
        app.stored_keys()
            .await
            .iter()
            .all(|sk| sk.starts_with("TRASH")),
        "group, name guard and memberships all gone (the deleted contact is in the trash)"
    );
    let response = app
        .send(get_group, app.request("GET", &format!("/v1/groups/{g}")))
        .await;
    response.assert_error(404, "not_found");
    let late = app.try_create(json!({"name": "Late", "groups": [g]})).await;
    late.assert_error(422, "validation_failed");
}

#[tokio::test]
async fn deleting_a_group_while_contacts_join_it_never_leaves_a_member_behind() {
    for _ in 0..3 {
        let app = spawn_app().await;
        let g = app.group("Raced").await;
        let joins = (0..5).map(|i| {
            app.send(
                create_contact,
                app.request("POST", "/v1/contacts")
                    .json(json!({"name": format!("j{i}"), "groups": [g]})),
            )
        });
        let delete = app.send(
            delete_group,
            app.request("DELETE", &format!("/v1/groups/{g}")),
        );
        let (joined, deleted) = futures::join!(join_all(joins), delete);
        let keys = app.stored_keys().await;
        let members = keys.iter().filter(|k| k.starts_with("MEMBER#")).count();
        let group_exists = keys.iter().any(|k| k.starts_with("GROUP#"));
        if deleted.status == 204 {
            assert!(!group_exists);
            assert_eq!(members, 0, "a deleted group has no members");
            assert!(joined.iter().all(|r| r.status == 422 || r.status == 201));
            assert_eq!(joined.iter().filter(|r| r.status == 201).count(), 0);
        } else {
            deleted.assert_error(409, "conflict");
            assert!(group_exists);
            assert_eq!(members, joined.iter().filter(|r| r.status == 201).count());
        }
    }
}

#[tokio::test]
async fn a_contact_can_be_in_50_groups_but_one_request_adds_at_most_32() {
    // One write is one transaction of at most 100 items: the contact, its e-mail guard's move,
    // up to 32 index entries (each deleted and put when the name changes), two per group.
    assert_eq!(shared::store::MAX_GROUP_CHANGES, 32);
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(app.group(&format!("g{i}")).await);
    }
    let response = app
        .send(
            create_contact,
            app.request("POST", "/v1/contacts")
                .json(json!({"name": "All", "groups": ids[..33]})),
        )
        .await;
    response.assert_error(422, "validation_failed");
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 32 groups")
    );
    assert!(
        app.stored_keys()
            .await
            .iter()
            .all(|k| !k.starts_with("CONTACT#")),
        "nothing half-written"
    );
    let contact = app
        .create(
            json!({"name": "a b c d e f", "surname": "g h i j k l", "email": "all@groups.example",
                       "phone": "+49 170 1234567", "groups": ids[..32]}),
        )
        .await;
    let id = contact["id"].as_str().unwrap();
    // The worst case beside 32 groups changed: ten indexed words renamed (every index entry
    // moves), a new address and a new phone number.
    let response = app
        .update(
            id,
            json!({"name": "m n o p q r", "surname": "s t u v w x", "email": "every@groups.example",
                           "phone": "+49 170 7654321", "groups": ids[16..48]}),
        )
        .await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.data()["groups"].as_array().unwrap().len(), 32);
    let response = app.update(id, json!({"name": "All", "groups": ids})).await;
    assert_eq!(response.status, 200, "{:#}", response.body);
    assert_eq!(response.data()["groups"].as_array().unwrap().len(), 50);
    let version = response.data()["version"].as_u64().unwrap();
    // To the trash and back in 50 groups: the restore rejoins 32 (one transaction), the next
    // version the other 18.
    assert_eq!(app.delete(id).await.status, 204);
    let restored = app
        .call(
            "restore-contact",
            app.request("POST", &format!("/v1/contacts/{id}/restore")),
        )
        .await;
    assert_eq!(restored.status, 200, "{:#}", restored.body);
    assert_eq!(restored.data()["version"], version + 1);
    assert_eq!(restored.data()["groups"].as_array().unwrap().len(), 32);
    let now = app.get(id).await.unwrap();
    assert_eq!(now["version"], version + 2);
    assert_eq!(now["groups"], json!(ids));
    for group in [&ids[0], &ids[49]] {
        let members = app.list(&format!("?group={group}")).await;
        assert_eq!(members.data()["items"][0]["id"], id);
    }
    // An erase of a contact in 50 groups fits one transaction too.
    let erased = app
        .call(
            "delete-contact",
            app.request("DELETE", &format!("/v1/contacts/{id}?permanent=true")),
        )
        .await;
    assert_eq!(erased.status, 204, "{:#}", erased.body);
    assert!(
        app.stored_keys()
            .await
            .iter()
            .all(|k| k.starts_with("GROUP") || k.starts_with("ERASED#")),
        "no membership left"
    );
}
