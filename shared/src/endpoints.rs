//! One handler per Lambda function. Each reads like its route: authorize, parse typed input,
//! make one store call, answer. A function's `main.rs` only hands its handler to `http::serve`.

use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use serde_json::json;

use crate::App;
use crate::auth::Scope;
use crate::contact::{Contact, ContactDraft, ResourceId, WRITABLE_FIELDS};
use crate::envelope::{Reply, timestamp};
use crate::error::ApiError;
use crate::http::{
    PROJECTION_PARAMETERS, Preconditions, Projection, Query, etag, http_date, json_body,
    not_modified, path_id,
};
use crate::patch::ResourcePatch;
use crate::routes::methods_for;

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

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;
const LIST_QUERY: &str = "contacts";

/// `POST /v1/contacts`
pub async fn create_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let projection = projection(&request)?;
    let draft = ContactDraft::parse(&json_body(&request)?)?;
    let contact = Contact::create(draft, &now());
    app.store
        .create_contact(&principal.tenant, &contact)
        .await?;
    Ok(contact_reply(StatusCode::CREATED, &contact, &projection)?
        .header(header::LOCATION, format!("/v1/contacts/{}", contact.id)))
}

/// `GET /v1/contacts/{id}`
pub async fn get_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let id = path_id(&request)?;
    let projection = projection(&request)?;
    let contact = app
        .store
        .find_contact(&principal.tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    if not_modified(request.headers(), contact.version) {
        return Ok(validators(Reply::empty(StatusCode::NOT_MODIFIED), &contact));
    }
    contact_reply(StatusCode::OK, &contact, &projection)
}

/// `GET /v1/contacts`
pub async fn list_contacts(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Read).await?;
    let query = Query::parse(&request, &["limit", "cursor", "fields", "$select"])?;
    let projection = Projection::parse(&query, CONTACT_FIELDS)?;
    let limit = match query.single("limit")? {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::not_valid("limit", "must be an integer from 1 to 100"))?,
    };
    let after = match query.single("cursor")? {
        None => None,
        Some(cursor) => {
            let position = app.cursors.open(&principal.tenant, LIST_QUERY, cursor)?;
            Some(ResourceId::parse(&position).ok_or_else(|| {
                ApiError::not_valid("cursor", "the cursor is not valid for this query")
            })?)
        }
    };
    let (contacts, more) = app
        .store
        .list_contacts(&principal.tenant, limit, after.as_ref())
        .await?;
    let next_cursor = match contacts.last() {
        Some(last) if more => Some(app.cursors.seal(
            &principal.tenant,
            LIST_QUERY,
            &last.id.to_string(),
        )),
        _ => None,
    };
    let items = contacts
        .iter()
        .map(|contact| Ok(projection.apply(serde_json::to_value(contact)?)))
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(ApiError::internal)?;
    Ok(Reply::ok(
        json!({ "items": items, "nextCursor": next_cursor }),
    ))
}

/// `PUT /v1/contacts/{id}` and `POST /v1/contacts/{id}`: replaces every writable field.
pub async fn update_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let projection = projection(&request)?;
    let draft = ContactDraft::parse(&json_body(&request)?)?;
    let preconditions = Preconditions::from_headers(request.headers());
    let contact = app
        .store
        .update_contact(&principal.tenant, &id, &preconditions, |current| {
            Ok(current.replaced_by(draft.clone(), &now()))
        })
        .await?;
    contact_reply(StatusCode::OK, &contact, &projection)
}

/// `PATCH /v1/contacts/{id}`: JSON Patch or Merge Patch, atomic, retried on a lost race.
pub async fn patch_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let projection = projection(&request)?;
    let body = json_body(&request).map_err(|err| match err {
        ApiError::UnsupportedMediaType(_) => ApiError::UnsupportedPatchType,
        other => other,
    })?;
    let patch = ResourcePatch::parse(request.headers(), body, &WRITABLE_FIELDS)?;
    let preconditions = Preconditions::from_headers(request.headers());
    let contact = app
        .store
        .update_contact(&principal.tenant, &id, &preconditions, |current| {
            let patched =
                patch.apply(serde_json::to_value(current).map_err(ApiError::internal)?)?;
            Ok(current.replaced_by(ContactDraft::parse(&patched)?, &now()))
        })
        .await?;
    contact_reply(StatusCode::OK, &contact, &projection)
}

/// `DELETE /v1/contacts/{id}`
pub async fn delete_contact(app: &App, request: Request) -> Result<Reply, ApiError> {
    let principal = app.authorize(request.headers(), Scope::Write).await?;
    let id = path_id(&request)?;
    let preconditions = Preconditions::from_headers(request.headers());
    app.store
        .delete_contact(&principal.tenant, &id, &preconditions)
        .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The `$default` route: 405 with `Allow` on a known path, else 404.
pub async fn route_not_found(_app: &App, request: Request) -> Result<Reply, ApiError> {
    let allow = methods_for(request.uri().path());
    if allow.is_empty() {
        Err(ApiError::NotFound("no route matches this path".into()))
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

fn projection(request: &Request) -> Result<Projection, ApiError> {
    Projection::parse(
        &Query::parse(request, &PROJECTION_PARAMETERS)?,
        CONTACT_FIELDS,
    )
}

fn contact_reply(
    status: StatusCode,
    contact: &Contact,
    projection: &Projection,
) -> Result<Reply, ApiError> {
    let data = serde_json::to_value(contact).map_err(ApiError::internal)?;
    Ok(validators(
        Reply::with_status(status, projection.apply(data)),
        contact,
    ))
}

/// `ETag` and `Last-Modified` of one resource.
fn validators(reply: Reply, contact: &Contact) -> Reply {
    let reply = reply.header(header::ETAG, etag(contact.version));
    match http_date(&contact.updated_at) {
        Some(date) => reply.header(header::LAST_MODIFIED, date),
        None => reply,
    }
}

fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}
