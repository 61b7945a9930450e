//! One handler per Lambda function. Each reads like its route: authorize, parse typed input,
//! make one store call, answer. A function's `main.rs` only hands its handler to `http::serve`.

use futures::StreamExt;
use futures::future::BoxFuture;
use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::App;
use crate::auth::{Scope, TenantId};
use crate::contact::{Contact, ContactDraft, Email, ResourceId, WRITABLE_FIELDS};
use crate::envelope::{Reply, now};
use crate::error::ApiError;
use crate::group::{GROUP_WRITABLE_FIELDS, Group, GroupDraft};
use crate::http::{
    PROJECTION_PARAMETERS, Preconditions, Projection, Query, etag, http_date, json_body,
    not_modified, path_id,
};
use crate::patch::ResourcePatch;
use crate::routes::methods_for;
use crate::store::Stored;

/// The names `fields=` / `$select` may select on a contact.
pub const CONTACT_FIELDS: &[&str] = &[
    "id",
    "name",
    "surname",
    "email",
    "phone",
    "description",
    "groups",
    "fields",
    "createdAt",
    "updatedAt",
    "version",
];

/// The names `fields=` / `$select` may select on a group.
pub const GROUP_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "createdAt",
    "updatedAt",
    "version",
];

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;
/// `page × limit` may not go past this many items.
const MAX_PAGE_DEPTH: usize = 10_000;
/// How many groups one `group=` filter may name.
const MAX_FILTER_GROUPS: usize = 10;
/// How many ids one bulk delete takes.
const MAX_BULK_IDS: usize = 100;
/// How many deletes of one bulk delete run at once.
const BULK_CONCURRENCY: usize = 8;

// ---- contacts -----------------------------------------------------------------------------

/// `POST /v1/contacts`
pub async fn create_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let projection = projection(&request, CONTACT_FIELDS)?;
    let draft = ContactDraft::parse(&json_body(&request)?)?;
    let contact = Contact::create(draft, &now());
    app.store.create(&principal.tenant, &contact).await?;
    created(&contact, &projection, "contacts")
}

/// `GET /v1/contacts/{id}`
pub async fn get_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    read_one::<Contact>(app, request, CONTACT_FIELDS).await
}

/// `GET /v1/contacts`: creation order; `group=` (ids or names, union), `email=`, `limit`,
/// `cursor` or `page`.
pub async fn list_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let query = Query::parse(
        &request,
        &[
            "limit", "cursor", "page", "group", "email", "fields", "$select",
        ],
    )?;
    let projection = Projection::parse(&query, CONTACT_FIELDS)?;
    let tenant = &principal.tenant;
    let email = match query.single("email")? {
        Some(raw) => Some(
            Email::parse(raw)
                .map_err(|message| ApiError::not_valid("email", message))?
                .unique_key(),
        ),
        None => None,
    };
    let groups = group_filter(app, tenant, &query).await?;
    let fingerprint = format!(
        "contacts|groups={}|email={}",
        groups
            .as_ref()
            .map(|ids| ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default(),
        email.as_deref().unwrap_or_default()
    );
    let store = &app.store;
    let (email, groups) = (&email, &groups);
    let fetch = |limit: usize,
                 after: Option<ResourceId>|
     -> BoxFuture<'_, Result<(Vec<Contact>, bool), ApiError>> {
        Box::pin(async move {
            match (email, groups) {
                (Some(email), _) => {
                    let found = store.find_contact_by_email(tenant, email).await?;
                    let matches = found.filter(|contact| {
                        after.is_none_or(|after| contact.id > after)
                            && groups.as_ref().is_none_or(|wanted| {
                                contact.groups.iter().flatten().any(|g| wanted.contains(g))
                            })
                    });
                    Ok((matches.into_iter().collect(), false))
                }
                (None, Some(groups)) if groups.is_empty() => Ok((Vec::new(), false)),
                (None, Some(groups)) => {
                    store
                        .list_contacts_in_groups(tenant, groups, limit, after.as_ref())
                        .await
                }
                (None, None) => store.list(tenant, limit, after.as_ref()).await,
            }
        })
    };
    list_reply(app, tenant, &query, &fingerprint, &projection, fetch).await
}

/// `PUT /v1/contacts/{id}` and `POST /v1/contacts/{id}`: replaces every writable field.
pub async fn update_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let projection = projection(&request, CONTACT_FIELDS)?;
    let draft = ContactDraft::parse(&json_body(&request)?)?;
    let preconditions = Preconditions::from_headers(request.headers());
    let contact = app
        .store
        .update(
            &principal.tenant,
            &id,
            &preconditions,
            |current: &Contact| Ok(current.replaced_by(draft.clone(), &now())),
        )
        .await?;
    resource_reply(StatusCode::OK, &contact, &projection)
}

/// `PATCH /v1/contacts/{id}`: JSON Patch or Merge Patch, atomic, retried on a lost race.
pub async fn patch_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    patch_one(
        app,
        request,
        CONTACT_FIELDS,
        &WRITABLE_FIELDS,
        |current: &Contact, patched| Ok(current.replaced_by(ContactDraft::parse(patched)?, &now())),
    )
    .await
}

/// `DELETE /v1/contacts/{id}`
pub async fn delete_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let preconditions = Preconditions::from_headers(request.headers());
    app.store
        .delete::<Contact>(&principal.tenant, &id, &preconditions)
        .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /v1/contacts/bulk-delete`: each id on its own, a few at a time; repeated ids once.
pub async fn bulk_delete_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let body = json_body(&request)?;
    let ids = bulk_ids(&body)?;
    let tenant = &principal.tenant;
    let results: Vec<Value> = futures::stream::iter(ids)
        .map(|raw| async move {
            let Some(id) = ResourceId::parse(&raw) else {
                return json!({"id": raw, "success": false, "status": "invalid_id"});
            };
            let outcome = app
                .store
                .delete::<Contact>(tenant, &id, &Preconditions::default())
                .await;
            let status = match outcome {
                Ok(()) => "deleted",
                Err(ApiError::NotFound(_)) => "not_found",
                Err(ApiError::Unavailable) => "unavailable",
                Err(err) => {
                    tracing::error!(error = ?err, "bulk delete of one contact failed");
                    "error"
                }
            };
            json!({"id": raw, "success": status == "deleted", "status": status})
        })
        .buffered(BULK_CONCURRENCY)
        .collect()
        .await;
    let deleted = results.iter().filter(|r| r["success"] == true).count();
    Reply::ok(&json!({"results": results, "deleted": deleted}))
}

/// The ids of a bulk delete body, each once, in first-seen order: 400 without an `ids` array,
/// 422 when it is empty or longer than 100.
fn bulk_ids(body: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Object(members) = body else {
        return Err(ApiError::not_valid(
            "ids",
            "the body must be {\"ids\": [...]}",
        ));
    };
    if let Some(unknown) = members.keys().find(|k| *k != "ids") {
        return Err(ApiError::not_valid(
            unknown.as_str(),
            "is not a known field",
        ));
    }
    let Some(Value::Array(ids)) = members.get("ids") else {
        return Err(ApiError::not_valid(
            "ids",
            "must be an array of contact ids",
        ));
    };
    if ids.is_empty() || ids.len() > MAX_BULK_IDS {
        return Err(ApiError::invalid("ids", "must hold 1 to 100 ids"));
    }
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = match id {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

/// The groups a `group=` filter names (repeatable, comma-separated, ids or names), as ids.
/// `None` without a filter; names that match no group match no contact.
async fn group_filter(
    app: &App,
    tenant: &TenantId,
    query: &Query,
) -> Result<Option<Vec<ResourceId>>, ApiError> {
    let names: Vec<&str> = query
        .all("group")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return if query.all("group").next().is_some() {
            Err(ApiError::not_valid("group", "must name a group id or name"))
        } else {
            Ok(None)
        };
    }
    if names.len() > MAX_FILTER_GROUPS {
        return Err(ApiError::not_valid(
            "group",
            format!("may name at most {MAX_FILTER_GROUPS} groups"),
        ));
    }
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = match ResourceId::parse(name) {
            Some(id) => Some(id),
            None => app.store.find_group_id_by_name(tenant, name).await?,
        };
        ids.extend(id);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

// ---- groups -------------------------------------------------------------------------------

/// `POST /v1/groups`
pub async fn create_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let projection = projection(&request, GROUP_FIELDS)?;
    let draft = GroupDraft::parse(&json_body(&request)?)?;
    let group = Group::create(draft, &now());
    app.store.create(&principal.tenant, &group).await?;
    created(&group, &projection, "groups")
}

/// `GET /v1/groups`
pub async fn list_groups(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let query = Query::parse(&request, &["limit", "cursor", "page", "fields", "$select"])?;
    let projection = Projection::parse(&query, GROUP_FIELDS)?;
    let tenant = &principal.tenant;
    let store = &app.store;
    let fetch = |limit: usize,
                 after: Option<ResourceId>|
     -> BoxFuture<'_, Result<(Vec<Group>, bool), ApiError>> {
        Box::pin(async move { store.list::<Group>(tenant, limit, after.as_ref()).await })
    };
    list_reply(app, tenant, &query, "groups", &projection, fetch).await
}

/// `GET /v1/groups/{id}`
pub async fn get_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    read_one::<Group>(app, request, GROUP_FIELDS).await
}

/// `PATCH /v1/groups/{id}`: Merge Patch, or JSON Patch on `name` and `description`.
pub async fn patch_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    patch_one(
        app,
        request,
        GROUP_FIELDS,
        &GROUP_WRITABLE_FIELDS,
        |current: &Group, patched| Ok(current.replaced_by(GroupDraft::parse(patched)?, &now())),
    )
    .await
}

/// `DELETE /v1/groups/{id}`: 409 while contacts are in it.
pub async fn delete_group(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let preconditions = Preconditions::from_headers(request.headers());
    app.store
        .delete_group(&principal.tenant, &id, &preconditions)
        .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

// ---- every route --------------------------------------------------------------------------

/// The `$default` route: 405 with `Allow` on a known path, else 404.
pub async fn route_not_found(_app: &App, request: Request) -> Result<Reply, ApiError> {
    let allow = methods_for(request.uri().path());
    if allow.is_empty() {
        Err(ApiError::NotFound("no route matches this path".into()))
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

/// `GET` of one resource: 200 with validators, or 304 when `If-None-Match` matches.
async fn read_one<T: Stored>(
    app: &App,
    request: Request,
    fields: &'static [&'static str],
) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let id = path_id(&request)?;
    let projection = projection(&request, fields)?;
    let resource: T = app
        .store
        .find(&principal.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(T::NAME))?;
    if not_modified(request.headers(), resource.version()) {
        return Ok(validators(
            Reply::empty(StatusCode::NOT_MODIFIED),
            &resource,
        ));
    }
    resource_reply(StatusCode::OK, &resource, &projection)
}

/// `PATCH` of one resource: the patch is re-applied to the current state on every attempt, and
/// `rebuild` validates the patched fields exactly like a create.
async fn patch_one<T: Stored>(
    app: &App,
    request: Request,
    fields: &'static [&'static str],
    writable: &'static [&'static str],
    rebuild: impl Fn(&T, &Value) -> Result<T, ApiError>,
) -> Result<Reply, ApiError>
where
    crate::store::Store: crate::store::Companions<T>,
{
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let projection = projection(&request, fields)?;
    let patch = ResourcePatch::parse(request.headers(), patch_body(&request)?, writable)?;
    let preconditions = Preconditions::from_headers(request.headers());
    let resource = app
        .store
        .update(&principal.tenant, &id, &preconditions, |current: &T| {
            let patched =
                patch.apply(serde_json::to_value(current).map_err(ApiError::internal)?)?;
            rebuild(current, &patched)
        })
        .await?;
    resource_reply(StatusCode::OK, &resource, &projection)
}

/// One page of a list: `limit` (1–100), then either `cursor` (signed for this tenant and
/// query) or `page` (1-based; each earlier page is read to get there).
async fn list_reply<'a, T: Stored>(
    app: &App,
    tenant: &TenantId,
    query: &Query,
    fingerprint: &str,
    projection: &Projection,
    fetch: impl Fn(usize, Option<ResourceId>) -> BoxFuture<'a, Result<(Vec<T>, bool), ApiError>>,
) -> Result<Reply, ApiError> {
    let limit = match query.single("limit")? {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::not_valid("limit", "must be an integer from 1 to 100"))?,
    };
    let page = match query.single("page")? {
        None => 1,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1 && n.saturating_mul(limit) <= MAX_PAGE_DEPTH)
            .ok_or_else(|| {
                ApiError::not_valid(
                    "page",
                    format!(
                        "must be an integer from 1, with page × limit at most {MAX_PAGE_DEPTH}"
                    ),
                )
            })?,
    };
    let mut after = match query.single("cursor")? {
        None => None,
        Some(_) if page > 1 => {
            return Err(ApiError::not_valid(
                "page",
                "give either cursor or page, not both",
            ));
        }
        Some(cursor) => {
            let position = app.cursors.open(tenant, fingerprint, cursor)?;
            Some(ResourceId::parse(&position).ok_or_else(|| {
                ApiError::not_valid("cursor", "the cursor is not valid for this query")
            })?)
        }
    };
    for _ in 1..page {
        let (skipped, more) = fetch(limit, after).await?;
        match skipped.last() {
            Some(last) if more => after = Some(*last.id()),
            _ => return Reply::ok(&json!({"items": [], "nextCursor": null})),
        }
    }
    let (resources, more) = fetch(limit, after).await?;
    let next_cursor = match resources.last() {
        Some(last) if more => Some(
            app.cursors
                .seal(tenant, fingerprint, &last.id().to_string()),
        ),
        _ => None,
    };
    let items = resources
        .iter()
        .map(|resource| projection.select(resource))
        .collect::<Result<Vec<_>, _>>()?;
    Reply::ok(&Page { items, next_cursor })
}

/// The `data` of a list: its items, already serialized, and the cursor of the next page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub items: Vec<Box<serde_json::value::RawValue>>,
    pub next_cursor: Option<String>,
}

fn projection(request: &Request, fields: &'static [&'static str]) -> Result<Projection, ApiError> {
    Projection::parse(&Query::parse(request, &PROJECTION_PARAMETERS)?, fields)
}

/// A PATCH body: JSON, with PATCH's own 415 (which names the accepted types).
fn patch_body(request: &Request) -> Result<Value, ApiError> {
    json_body(request).map_err(|err| match err {
        ApiError::UnsupportedMediaType(_) => ApiError::UnsupportedPatchType,
        other => other,
    })
}

/// 201 with `Location` under `/v1/<collection>/`.
fn created<T: Stored>(
    resource: &T,
    projection: &Projection,
    collection: &str,
) -> Result<Reply, ApiError> {
    Ok(
        resource_reply(StatusCode::CREATED, resource, projection)?.header(
            header::LOCATION,
            format!("/v1/{collection}/{}", resource.id()),
        ),
    )
}

fn resource_reply<T: Stored>(
    status: StatusCode,
    resource: &T,
    projection: &Projection,
) -> Result<Reply, ApiError> {
    Ok(validators(
        Reply::raw(status, projection.select(resource)?),
        resource,
    ))
}

/// `ETag` and `Last-Modified` of one resource.
fn validators<T: Stored>(reply: Reply, resource: &T) -> Reply {
    let reply = reply.header(header::ETAG, etag(resource.version()));
    match http_date(resource.updated_at()) {
        Some(date) => reply.header(header::LAST_MODIFIED, date),
        None => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;

    #[test]
    fn bulk_ids_are_checked_and_reported_once() {
        assert_eq!(
            bulk_ids(&json!({"ids": ["a", "b", "a", 7]})).unwrap(),
            ["a", "b", "7"]
        );
        for (body, status) in [
            (json!({}), 400),
            (json!({"ids": "a"}), 400),
            (json!([]), 400),
            (json!({"ids": ["a"], "more": 1}), 400),
            (json!({"ids": []}), 422),
            (json!({"ids": vec!["a"; 101]}), 422),
        ] {
            let got = bulk_ids(&body).err().map(|e| e.status().as_u16());
            assert_eq!(got, Some(status), "{body}");
        }
        assert!(bulk_ids(&json!({"ids": vec!["a"; 100]})).is_ok());
    }

    #[test]
    fn problems_name_their_field() {
        let err = bulk_ids(&json!({"ids": []})).unwrap_err();
        assert_eq!(
            err.problems(),
            vec![Problem::field("ids", "must hold 1 to 100 ids")]
        );
    }
}
