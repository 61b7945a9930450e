//! `handler_us`: the CPU cost of each function's request path with DynamoDB taken out —
//! authentication (JWT verification), input parsing and validation, the domain step, and the
//! envelope — through the same shared code the handlers call. `make bench` reads the results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::OnceLock;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{EncodingKey, Header};
use lambda_http::http::HeaderMap;
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use shared::App;
use shared::auth::Scope;
use shared::config::{Config, JwtKey};
use shared::contact::{Contact, ContactDraft, WRITABLE_FIELDS};
use shared::endpoints::{CONTACT_FIELDS, GROUP_FIELDS, Page};
use shared::envelope::{Reply, render};
use shared::group::{GROUP_WRITABLE_FIELDS, Group, GroupDraft};
use shared::http::{Preconditions, Projection, Query, json_body, path_id};
use shared::patch::ResourcePatch;
use shared::routes::methods_for;

const ID: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";

fn app() -> &'static App {
    let config = Config {
        table_name: "bench".into(),
        jwt_key: JwtKey::Hs256("bench-secret".into()),
        jwt_issuer: None,
        jwt_audience: None,
        cursor_secret: "bench-cursor".into(),
        api_key_cache: std::time::Duration::from_secs(60),
        prewarm: false,
    };
    // The client is never called: nothing here reaches DynamoDB.
    let sdk = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .build();
    Box::leak(Box::new(
        App::new(&config, aws_sdk_dynamodb::Client::from_conf(sdk)).unwrap(),
    ))
}

fn request(method: &str, uri: &str, content_type: &str, body: Option<Value>) -> Request {
    let now = jsonwebtoken::get_current_timestamp();
    let token = jsonwebtoken::encode(
        &Header::default(),
        &json!({"sub": "bench", "tenant": "acme", "exp": now + 3600, "scope": "contacts:read contacts:write"}),
        &EncodingKey::from_secret(b"bench-secret"),
    )
    .unwrap();
    lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://api.example.com{uri}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body.map_or(Body::Empty, |b| Body::Binary(b.to_string().into_bytes())))
        .unwrap()
}

fn contact() -> Contact {
    let draft = ContactDraft::parse(&json!({
        "name": "John", "surname": "Doe", "email": "john.doe@example.com",
        "phone": "+4917012345678", "description": "Software engineer",
        "fields": {"crmId": "A-17", "vip": true}
    }))
    .unwrap();
    Contact::create(draft, "2026-01-01T00:00:00.000Z")
}

/// Authentication as the handlers do it; the Bearer path never awaits I/O, so the runtime only
/// polls the future once.
fn authorize(app: &App, headers: &HeaderMap, scope: Scope) {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    });
    black_box(runtime.block_on(app.authorize(headers, scope)).unwrap());
}

/// The answer as the handlers build it: the resource serialized once (through the projection),
/// then the envelope.
fn answer(status: u16, resource: &impl serde::Serialize, projection: &Projection) {
    let data = projection.select(resource).unwrap();
    let reply = Reply::raw(
        lambda_http::http::StatusCode::from_u16(status).unwrap(),
        data,
    );
    black_box(render(Ok(reply), "bench-request"));
}

fn answer_page<T: serde::Serialize>(items: &[T], next_cursor: Option<String>) {
    let all = Projection::default();
    let items = items.iter().map(|item| all.select(item).unwrap()).collect();
    let reply = Reply::ok(&Page { items, next_cursor }).unwrap();
    black_box(render(Ok(reply), "bench-request"));
}

fn paths(c: &mut Criterion) {
    let app = app();
    let body = json!({"name": "John", "surname": "Doe", "email": "john.doe@example.com", "phone": "+49 170 1234 5678", "fields": {"crmId": "A-17"}});
    let stored = contact();
    let page: Vec<Contact> = (0..10).map(|_| contact()).collect();

    let create = request(
        "POST",
        "/v1/contacts",
        "application/json",
        Some(body.clone()),
    );
    c.bench_function("create-contact", |b| {
        b.iter(|| {
            authorize(app, create.headers(), Scope::Write);
            let draft = ContactDraft::parse(&json_body(&create).unwrap()).unwrap();
            let contact = Contact::create(draft, "2026-01-01T00:00:00.000Z");
            answer(201, &contact, &Projection::default());
        })
    });
    let update = request(
        "PUT",
        &format!("/v1/contacts/{ID}"),
        "application/json",
        Some(body.clone()),
    );
    c.bench_function("update-contact", |b| {
        b.iter(|| {
            authorize(app, update.headers(), Scope::Write);
            path_id(&update).unwrap();
            black_box(Preconditions::from_headers(update.headers()));
            let draft = ContactDraft::parse(&json_body(&update).unwrap()).unwrap();
            answer(
                200,
                &stored.replaced_by(draft, "2026-01-02T00:00:00.000Z"),
                &Projection::default(),
            );
        })
    });
    let patch = request(
        "PATCH",
        &format!("/v1/contacts/{ID}"),
        "application/merge-patch+json",
        Some(json!({"Surname": "Roe", "fields": {"vip": null}})),
    );
    c.bench_function("patch-contact", |b| {
        b.iter(|| {
            authorize(app, patch.headers(), Scope::Write);
            path_id(&patch).unwrap();
            let parsed = ResourcePatch::parse(
                patch.headers(),
                json_body(&patch).unwrap(),
                &WRITABLE_FIELDS,
            )
            .unwrap();
            let patched = parsed
                .apply(serde_json::to_value(&stored).unwrap())
                .unwrap();
            let draft = ContactDraft::parse(&patched).unwrap();
            answer(
                200,
                &stored.replaced_by(draft, "2026-01-02T00:00:00.000Z"),
                &Projection::default(),
            );
        })
    });
    let get = request(
        "GET",
        &format!("/v1/contacts/{ID}?fields=name,email"),
        "application/json",
        None,
    );
    c.bench_function("get-contact", |b| {
        b.iter(|| {
            authorize(app, get.headers(), Scope::Read);
            path_id(&get).unwrap();
            let projection = Projection::parse(
                &Query::parse(&get, &["fields", "$select"]).unwrap(),
                CONTACT_FIELDS,
            )
            .unwrap();
            answer(200, &stored, &projection);
        })
    });
    let list = request("GET", "/v1/contacts?limit=10", "application/json", None);
    c.bench_function("list-contacts", |b| {
        b.iter(|| {
            authorize(app, list.headers(), Scope::Read);
            let query = Query::parse(
                &list,
                &[
                    "limit", "cursor", "page", "group", "email", "fields", "$select",
                ],
            )
            .unwrap();
            black_box(query.single("limit").unwrap());
            let tenant = shared::auth::TenantId::parse("acme").unwrap();
            let cursor = app.cursors.seal(&tenant, "contacts", ID);
            black_box(app.cursors.open(&tenant, "contacts", &cursor).unwrap());
            answer_page(&page, Some(cursor));
        })
    });
    let delete = request(
        "DELETE",
        &format!("/v1/contacts/{ID}"),
        "application/json",
        None,
    );
    c.bench_function("delete-contact", |b| {
        b.iter(|| {
            authorize(app, delete.headers(), Scope::Write);
            path_id(&delete).unwrap();
            black_box(Preconditions::from_headers(delete.headers()));
            black_box(render(
                Ok(Reply::empty(lambda_http::http::StatusCode::NO_CONTENT)),
                "bench-request",
            ));
        })
    });
    let ids: Vec<String> = (0..10)
        .map(|i| format!("0192f3c0-7b9e-7cc4-9a4e-{i:012}"))
        .collect();
    let bulk = request(
        "POST",
        "/v1/contacts/bulk-delete",
        "application/json",
        Some(json!({"ids": ids})),
    );
    c.bench_function("bulk-delete-contacts", |b| {
        b.iter(|| {
            authorize(app, bulk.headers(), Scope::Write);
            let body = json_body(&bulk).unwrap();
            let results: Vec<Value> = body["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| {
                    let parsed = shared::contact::ResourceId::parse(id.as_str().unwrap()).is_some();
                    json!({"id": id, "success": parsed, "status": "deleted"})
                })
                .collect();
            answer(
                200,
                &json!({"results": results, "deleted": 10}),
                &Projection::default(),
            );
        })
    });
    let group_body = json!({"name": "Friends", "description": "close ones"});
    let group = Group::create(
        GroupDraft::parse(&group_body).unwrap(),
        "2026-01-01T00:00:00.000Z",
    );
    let create_group = request(
        "POST",
        "/v1/groups",
        "application/json",
        Some(group_body.clone()),
    );
    c.bench_function("create-group", |b| {
        b.iter(|| {
            authorize(app, create_group.headers(), Scope::Write);
            let draft = GroupDraft::parse(&json_body(&create_group).unwrap()).unwrap();
            answer(
                201,
                &Group::create(draft, "2026-01-01T00:00:00.000Z"),
                &Projection::default(),
            );
        })
    });
    let get_group = request("GET", &format!("/v1/groups/{ID}"), "application/json", None);
    c.bench_function("get-group", |b| {
        b.iter(|| {
            authorize(app, get_group.headers(), Scope::Read);
            path_id(&get_group).unwrap();
            let projection = Projection::parse(
                &Query::parse(&get_group, &["fields", "$select"]).unwrap(),
                GROUP_FIELDS,
            )
            .unwrap();
            answer(200, &group, &projection);
        })
    });
    let groups: Vec<Group> = (0..10).map(|_| group.clone()).collect();
    let list_groups = request("GET", "/v1/groups?limit=10", "application/json", None);
    c.bench_function("list-groups", |b| {
        b.iter(|| {
            authorize(app, list_groups.headers(), Scope::Read);
            black_box(
                Query::parse(
                    &list_groups,
                    &["limit", "cursor", "page", "fields", "$select"],
                )
                .unwrap(),
            );
            answer_page(&groups, None);
        })
    });
    let patch_group = request(
        "PATCH",
        &format!("/v1/groups/{ID}"),
        "application/merge-patch+json",
        Some(json!({"name": "Close friends"})),
    );
    c.bench_function("patch-group", |b| {
        b.iter(|| {
            authorize(app, patch_group.headers(), Scope::Write);
            let parsed = ResourcePatch::parse(
                patch_group.headers(),
                json_body(&patch_group).unwrap(),
                &GROUP_WRITABLE_FIELDS,
            )
            .unwrap();
            let draft =
                GroupDraft::parse(&parsed.apply(serde_json::to_value(&group).unwrap()).unwrap())
                    .unwrap();
            answer(
                200,
                &group.replaced_by(draft, "2026-01-02T00:00:00.000Z"),
                &Projection::default(),
            );
        })
    });
    let delete_group = request(
        "DELETE",
        &format!("/v1/groups/{ID}"),
        "application/json",
        None,
    );
    c.bench_function("delete-group", |b| {
        b.iter(|| {
            authorize(app, delete_group.headers(), Scope::Write);
            path_id(&delete_group).unwrap();
            black_box(render(
                Ok(Reply::empty(lambda_http::http::StatusCode::NO_CONTENT)),
                "bench-request",
            ));
        })
    });
    let nowhere = request("DELETE", "/v1/contacts", "application/json", None);
    c.bench_function("route-not-found", |b| {
        b.iter(|| {
            let allow = methods_for(nowhere.uri().path());
            black_box(render(
                Err(shared::error::ApiError::MethodNotAllowed { allow }),
                "bench-request",
            ));
        })
    });
}

criterion_group!(benches, paths);
criterion_main!(benches);
