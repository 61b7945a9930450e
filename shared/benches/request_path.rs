//! `handler_us`: the CPU cost of each function's request path with DynamoDB taken out —
//! authentication (JWT verification), the handler's own input parsing (`endpoints::crud` and
//! `endpoints::lists`), the domain step, and the answer — through the same shared functions the
//! handlers call. `make bench` reads the results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::OnceLock;

use aws_lambda_events::event::dynamodb::Event;
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request};
use serde_json::{Value, json};
use shared::App;
use shared::changes::{Change, Op, ResourceKind};
use shared::config::Config;
use shared::contact::{Contact, ContactDraft};
use shared::endpoints::changes::CHANGE_PARAMETERS;
use shared::endpoints::contacts::bulk_ids;
use shared::endpoints::crud::{Creation, Edit, Replacement, Target, created, resource_reply};
use shared::endpoints::filters::ContactFilter;
use shared::endpoints::import::import_items;
use shared::endpoints::lists::{
    CONTACT_LIST_PARAMETERS, Filter, GROUP_LIST_PARAMETERS, Page, Paging, page_items,
};
use shared::endpoints::trash::TRASH_LIST_PARAMETERS;
use shared::envelope::{Reply, render};
use shared::error::ApiError;
use shared::group::Group;
use shared::http::{Query, path_id, path_id_at};
use shared::identity::{Scope, TenantId};
use shared::preconditions::Preconditions;
use shared::projection::Projection;
use shared::resource::{Resource, ResourceId};
use shared::routes::methods_for;
use shared::store::{Trashed, from_record};
use shared::testing::token_with;

const ID: &str = "0192f3c0-7b9e-7cc4-9a4e-2f1c5d8e9a10";
const NOW: &str = "2026-01-02T00:00:00.000Z";

fn app() -> &'static App {
    let mut config = Config::for_tests("bench");
    config.api_key_cache = std::time::Duration::from_secs(60);
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
    let token =
        token_with(json!({"tenant": "acme", "exp": jsonwebtoken::get_current_timestamp() + 3600}));
    lambda_http::http::Request::builder()
        .method(method)
        .uri(format!("https://api.example.com{uri}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body.map_or(Body::Empty, |b| Body::Binary(b.to_string().into_bytes())))
        .unwrap()
}

fn contact() -> Contact {
    let draft = Contact::parse_draft(&json!({
        "name": "John", "surname": "Doe", "email": "john.doe@example.com",
        "phone": "+4917012345678", "description": "Software engineer",
        "fields": {"crmId": "A-17", "vip": true}
    }))
    .unwrap();
    Contact::create(draft, "2026-01-01T00:00:00.000Z", None)
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

fn answer(reply: Result<Reply, ApiError>) {
    black_box(render(Ok(reply.unwrap()), "bench-request"));
}

fn paths(c: &mut Criterion) {
    let app = app();
    let body = json!({"name": "John", "surname": "Doe", "email": "john.doe@example.com", "phone": "+49 170 1234 5678", "fields": {"crmId": "A-17"}});
    let stored = contact();
    let page: Vec<Contact> = (0..10).map(|_| contact()).collect();
    let tenant = TenantId::parse("acme").unwrap();

    let create = request(
        "POST",
        "/v1/contacts",
        "application/json",
        Some(body.clone()),
    );
    c.bench_function("create-contact", |b| {
        b.iter(|| {
            authorize(app, create.headers(), Scope::Write);
            let input = Creation::<Contact>::parse(&create).unwrap();
            answer(created(
                &Contact::create(input.draft, NOW, None),
                &input.projection,
            ));
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
            let input = Replacement::<Contact>::parse(&update).unwrap();
            let next = stored.replaced_by(input.draft, NOW, None);
            answer(resource_reply(StatusCode::OK, &next, &input.projection));
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
            let edit = Edit::parse::<Contact>(&patch).unwrap();
            let next = edit.apply(&stored, None).unwrap();
            answer(resource_reply(StatusCode::OK, &next, &edit.projection));
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
            let projection = shared::endpoints::crud::projection::<Contact>(&get).unwrap();
            answer(resource_reply(StatusCode::OK, &stored, &projection));
        })
    });
    let list = request("GET", "/v1/contacts?limit=10", "application/json", None);
    c.bench_function("list-contacts", |b| {
        b.iter(|| {
            authorize(app, list.headers(), Scope::Read);
            let query = Query::parse(&list, &CONTACT_LIST_PARAMETERS).unwrap();
            let paging = Paging::parse::<Contact>(&query).unwrap();
            let fingerprint = ContactFilter::default().fingerprint();
            let cursor = app.cursors().unwrap().seal(&tenant, &fingerprint, ID);
            black_box(
                app.cursors()
                    .unwrap()
                    .open(&tenant, &fingerprint, &cursor)
                    .unwrap(),
            );
            answer(Reply::ok(&Page {
                items: page_items(&page, &paging.projection).unwrap(),
                next_cursor: Some(cursor),
            }));
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
            black_box(Target::parse(&delete).unwrap());
            answer(Ok(Reply::empty(StatusCode::NO_CONTENT)));
        })
    });
    let trash = request(
        "GET",
        "/v1/contacts/trash?limit=10",
        "application/json",
        None,
    );
    let trashed: Vec<Trashed> = page
        .iter()
        .map(|contact| Trashed {
            contact: contact.clone(),
            deleted_at: NOW.into(),
            deleted_by: Some("tester".into()),
            purge_at: NOW.into(),
            entry: String::new(),
        })
        .collect();
    c.bench_function("list-trash", |b| {
        b.iter(|| {
            authorize(app, trash.headers(), Scope::Read);
            let query = Query::parse(&trash, &TRASH_LIST_PARAMETERS).unwrap();
            black_box(query.limit(10).unwrap());
            let cursor = app.cursors().unwrap().seal(&tenant, "trash", ID);
            black_box(
                app.cursors()
                    .unwrap()
                    .open(&tenant, "trash", &cursor)
                    .unwrap(),
            );
            let projection = Projection::parse::<Contact>(&query).unwrap();
            answer(Reply::ok(&Page {
                items: page_items(&trashed, &projection).unwrap(),
                next_cursor: Some(cursor),
            }));
        })
    });
    let restore = request(
        "POST",
        &format!("/v1/contacts/{ID}/restore"),
        "application/json",
        None,
    );
    c.bench_function("restore-contact", |b| {
        b.iter(|| {
            authorize(app, restore.headers(), Scope::Write);
            black_box(path_id_at(&restore, 1).unwrap());
            black_box(Preconditions::from_headers(restore.headers()).unwrap());
            let projection = shared::endpoints::crud::projection::<Contact>(&restore).unwrap();
            answer(resource_reply(StatusCode::OK, &stored, &projection));
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
            let ids = bulk_ids(&shared::http::json_body(&bulk).unwrap()).unwrap();
            let results: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let parsed = ResourceId::parse(id).is_some();
                    json!({"id": id, "success": parsed, "status": "deleted"})
                })
                .collect();
            answer(Reply::ok(&json!({"results": results, "deleted": 10})));
        })
    });
    let import = request(
        "POST",
        "/v1/contacts/import",
        "application/json",
        Some(json!({"contacts": [body.clone(), {"name": "New", "email": "new@example.com"}]})),
    );
    c.bench_function("import-contacts", |b| {
        b.iter(|| {
            authorize(app, import.headers(), Scope::Write);
            let items = import_items(shared::http::json_body(&import).unwrap()).unwrap();
            let results: Vec<Value> = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let contact = Contact::create(ContactDraft::parse(item).unwrap(), NOW, None);
                    json!({"index": index, "status": "created", "id": contact.id(), "version": 1})
                })
                .collect();
            answer(Reply::ok(
                &json!({"results": results, "created": 2, "updated": 0, "failed": 0}),
            ));
        })
    });
    let since = app.cursors().unwrap().seal(&tenant, "changes", ID);
    let changes = request(
        "GET",
        &format!("/v1/changes?since={since}&limit=10"),
        "application/json",
        None,
    );
    let feed: Vec<Change> = (0..10)
        .map(|version| Change {
            resource: ResourceKind::Contact,
            id: *stored.id(),
            op: Op::Updated,
            version,
            at: NOW.into(),
        })
        .collect();
    c.bench_function("list-changes", |b| {
        b.iter(|| {
            authorize(app, changes.headers(), Scope::Read);
            let query = Query::parse(&changes, &CHANGE_PARAMETERS).unwrap();
            let cursor = query.single("since").unwrap().unwrap();
            black_box(
                app.cursors()
                    .unwrap()
                    .open(&tenant, "changes", cursor)
                    .unwrap(),
            );
            let next = app.cursors().unwrap().seal(&tenant, "changes", ID);
            answer(Reply::ok(
                &json!({"items": feed, "nextCursor": next, "hasMore": false}),
            ));
        })
    });
    let stream = serde_json::to_string(&json!({"Records": [{
        "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_779_466_287, "SequenceNumber": "1", "SizeBytes": 200,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "Keys": {"pk": {"S": "TENANT#acme"}, "sk": {"S": format!("CONTACT#{ID}")}},
            "NewImage": serde_dynamo::to_item::<_, serde_dynamo::Item>(&stored).map(|mut item| {
                item.insert("pk".into(), serde_dynamo::AttributeValue::S("TENANT#acme".into()));
                item.insert("sk".into(), serde_dynamo::AttributeValue::S(format!("CONTACT#{ID}")));
                item
            }).unwrap()
        }
    }]}))
    .unwrap();
    c.bench_function("record-changes", |b| {
        b.iter(|| {
            let event: Event = serde_json::from_str(&stream).unwrap();
            for record in &event.records {
                black_box(from_record(record).unwrap());
            }
        })
    });
    let group_body = json!({"name": "Friends", "description": "close ones"});
    let group = Group::create(Group::parse_draft(&group_body).unwrap(), NOW, None);
    let create_group = request(
        "POST",
        "/v1/groups",
        "application/json",
        Some(group_body.clone()),
    );
    c.bench_function("create-group", |b| {
        b.iter(|| {
            authorize(app, create_group.headers(), Scope::Write);
            let input = Creation::<Group>::parse(&create_group).unwrap();
            answer(created(
                &Group::create(input.draft, NOW, None),
                &input.projection,
            ));
        })
    });
    let get_group = request("GET", &format!("/v1/groups/{ID}"), "application/json", None);
    c.bench_function("get-group", |b| {
        b.iter(|| {
            authorize(app, get_group.headers(), Scope::Read);
            path_id(&get_group).unwrap();
            let projection = shared::endpoints::crud::projection::<Group>(&get_group).unwrap();
            answer(resource_reply(StatusCode::OK, &group, &projection));
        })
    });
    let groups: Vec<Group> = (0..10).map(|_| group.clone()).collect();
    let list_groups = request("GET", "/v1/groups?limit=10", "application/json", None);
    c.bench_function("list-groups", |b| {
        b.iter(|| {
            authorize(app, list_groups.headers(), Scope::Read);
            let query = Query::parse(&list_groups, &GROUP_LIST_PARAMETERS).unwrap();
            let paging = Paging::parse::<Group>(&query).unwrap();
            answer(Reply::ok(&Page {
                items: page_items(&groups, &paging.projection).unwrap(),
                next_cursor: None,
            }));
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
            let edit = Edit::parse::<Group>(&patch_group).unwrap();
            let next = edit.apply(&group, None).unwrap();
            answer(resource_reply(StatusCode::OK, &next, &edit.projection));
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
            black_box(Target::parse(&delete_group).unwrap());
            answer(Ok(Reply::empty(StatusCode::NO_CONTENT)));
        })
    });
    let nowhere = request("DELETE", "/v1/contacts", "application/json", None);
    c.bench_function("route-not-found", |b| {
        b.iter(|| {
            let allow = methods_for(nowhere.uri().path());
            black_box(render(
                Err(ApiError::MethodNotAllowed { allow }),
                "bench-request",
            ));
        })
    });
}

criterion_group!(benches, paths);
criterion_main!(benches);
